"""`python -m store.catalog validate`: exit codes, line numbers, cross-file rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from store.catalog import main

REPO = Path(__file__).resolve().parent.parent


def _jsonl(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in rows), "utf-8")


@pytest.fixture
def data(tmp_path) -> Path:
    """A small valid data dir: 3 products, 1 policy, 1 customer, 1 order, 2 queries."""
    products = [json.loads(l) for l in (REPO / "data/catalog/products.jsonl").read_text("utf-8").splitlines()]
    milk = next(p for p in products if p["category"] == "유제품/우유/우유")
    tofu = next(p for p in products if p["category"] == "가공식품/두부·김치/두부")
    nuts = next(p for p in products if "땅콩" in p["allergens"])
    d = tmp_path / "data"
    _jsonl(d / "catalog/products.jsonl", [milk, tofu, nuts])
    shutil.copytree(REPO / "data/policies", d / "policies")
    _jsonl(d / "customers/customers.jsonl", [{
        "id": "C001", "name": "이수민", "age_band": "20대", "region": "서울 마포구", "household_size": 1,
        "pets": [], "persona": "비건 직장인", "dietary": ["비건"], "allergies": ["땅콩"],
        "preferred_categories": {"신선식품": 0.5}, "preferred_brands": {}, "disliked_brands": [],
        "price_sensitivity": "medium", "monthly_budget": 300000, "pin": "1234",
        "consent": {"personalization": True, "history": True, "marketing": False}}])
    _jsonl(d / "customers/orders.jsonl", [{
        "order_id": "O1", "customer_id": "C001", "created_at": "2026-06-01T09:00:00+09:00",
        "items": [{"product_id": tofu["id"], "qty": 2, "unit_price": 1000}], "total": 2000, "status": "배송완료"}])
    _jsonl(d / "eval/queries_dev.jsonl", [{"id": "q1", "query": "두부", "type": "product",
                                          "relevant": [tofu["id"]], "constraints": {"max_price": 100000}}])
    _jsonl(d / "eval/queries_test.jsonl", [{"id": "q2", "query": "배송비 얼마", "type": "policy",
                                           "relevant": ["배송-04"], "constraints": {}}])
    return d


def test_small_valid_dir_passes(data, capsys):
    assert main(["validate", "--data", str(data), "--root", str(REPO)]) == 0
    out = capsys.readouterr().out
    assert "products: 3" in out and "OK" in out


def test_persona_violations_and_bad_rows_fail_with_line_numbers(data, capsys):
    products = [json.loads(l) for l in (data / "catalog/products.jsonl").read_text("utf-8").splitlines()]
    milk, tofu, nuts = products
    orders = data / "customers/orders.jsonl"
    with orders.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"order_id": "O2", "customer_id": "C001", "created_at": "2026-06-02T09:00:00+09:00",
                             "items": [{"product_id": milk["id"], "qty": 1, "unit_price": 100},
                                       {"product_id": nuts["id"], "qty": 1, "unit_price": 100}],
                             "total": 999, "status": "배송완료"}, ensure_ascii=False) + "\n{oops\n")
    _jsonl(data / "eval/queries_dev.jsonl", [{"id": "q1", "query": "두부 천원 이하", "type": "product",
                                             "relevant": [tofu["id"], "P9999"], "constraints": {"max_price": 1}}])
    assert main(["validate", "--data", str(data), "--root", str(REPO)]) == 1
    err = capsys.readouterr().err
    assert f"orders.jsonl:2: {milk['id']} is not vegan but C001 is" in err
    assert f"orders.jsonl:2: {nuts['id']} contains ['땅콩'], an allergy of C001" in err
    assert "orders.jsonl:2: total 999 != sum of items 200" in err
    assert "orders.jsonl:3: invalid JSON" in err
    assert f"queries_dev.jsonl:1: {tofu['id']} does not satisfy the constraints" in err
    assert "queries_dev.jsonl:1: unknown product P9999" in err


def test_bad_customer_and_missing_image(data, capsys):
    _jsonl(data / "customers/customers.jsonl", [{"id": "C1", "name": "x"}])
    rows = (data / "catalog/products.jsonl").read_text("utf-8").splitlines()
    first = json.loads(rows[0]) | {"image": "assets/products/missing.png"}
    _jsonl(data / "catalog/products.jsonl", [first] + rows[1:])
    assert main(["validate", "--data", str(data), "--root", str(REPO)]) == 1
    err = capsys.readouterr().err
    assert "customers.jsonl:1: missing field age_band" in err
    assert "image assets/products/missing.png not found" in err
    assert "orders.jsonl:1: unknown customer C001" in err


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "store.catalog", "validate", "--help"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert "example: python -m store.catalog validate --data data" in out
