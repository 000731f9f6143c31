"""The committed store data: the counts the issue asks for, and the validator passes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from store.catalog import load_catalog, load_policies, validate

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


def test_catalog_counts_and_distinct_descriptions():
    products = load_catalog(DATA / "catalog/products.jsonl")
    assert len(products) >= 2000
    assert len({p.top for p in products}) >= 12
    assert len({p.category for p in products}) >= 60
    descriptions = [p.description for p in products]
    assert len(set(descriptions)) / len(descriptions) >= 0.95
    assert any(p.stock == 0 for p in products) and any(p.sale_price for p in products)
    assert all((REPO / p.image).stat().st_size < 4096 for p in {p.image: p for p in products}.values())


def test_policies_cover_the_help_center():
    docs = load_policies(DATA / "policies")
    assert len(docs) >= 40
    text = "\n".join(d.body for d in docs)
    for must in ("전자상거래법", "7일", "40,000원", "밤 11시", "새벽배송", "적립금", "개인정보", "키오스크",
                 "매장 픽업", "정기배송", "선물", "알레르기", "주문 취소", "결제"):
        assert must in text, must
    assert all(d.sections for d in docs)


def test_customers_orders_and_queries_counts():
    customers = [json.loads(l) for l in (DATA / "customers/customers.jsonl").read_text("utf-8").splitlines()]
    orders = [json.loads(l) for l in (DATA / "customers/orders.jsonl").read_text("utf-8").splitlines()]
    assert len(customers) >= 30 and len({c["persona"] for c in customers}) == len(customers)
    months = {c["id"]: {o["created_at"][:7] for o in orders if o["customer_id"] == c["id"]} for c in customers}
    assert all(len(m) >= 7 for m in months.values()), months  # 2026-05 .. 2026-11, every month
    queries = [json.loads(l) for split in ("dev", "test")
               for l in (DATA / f"eval/queries_{split}.jsonl").read_text("utf-8").splitlines()]
    kinds = Counter(q["type"] for q in queries)
    assert kinds["product"] >= 200 and kinds["policy"] >= 100


def test_validator_passes_on_committed_data():
    assert validate(DATA, REPO) == []
