"""Whole-data validation behind `python -m store.catalog validate`: the catalog, policies,
demo customers, their orders and the eval queries, each checked on its own and against
the others (an order names real products; a vegan's order holds no animal products; a
query's relevant products satisfy its constraints).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from store._rules import ALLERGENS, ANIMAL_ALLERGENS, TAGS, check_text, is_not_vegan_category, under

CUSTOMER_ID = re.compile(r"^C\d{3}$")
AGE_BAND = re.compile(r"^\d0대$")
PIN = re.compile(r"^\d{4}$")
ORDER_STATUS = ("배송완료", "주문취소", "반품완료")
PRICE_SENSITIVITY = ("low", "medium", "high")  # the profiles package's vocabulary
QUERY_TYPES = ("product", "policy")
CONSTRAINT_KEYS = {"max_price": int, "min_price": int, "excluded_allergens": list, "required_tags": list,
                   "category": str}


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def read_jsonl(path: Path, errors: list[str]) -> list[tuple[int, dict]]:
    """(line number, object) pairs; bad lines become errors, a missing file one error."""
    if not path.exists():
        errors.append(f"{path}: file not found")
        return []
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{lineno}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            errors.append(f"{path.name}:{lineno}: expected a JSON object")
            continue
        rows.append((lineno, row))
    return rows


def _typed(row: dict, spec: dict[str, type | tuple]) -> list[str]:
    problems = [f"missing field {k}" for k in spec if k not in row]
    problems += [f"{k} has type {type(row[k]).__name__}" for k, t in spec.items()
                 if k in row and (not isinstance(row[k], t) or (isinstance(row[k], bool) and t in (int, float)))]
    return problems


CUSTOMER_SPEC = {"id": str, "name": str, "age_band": str, "region": str, "household_size": int, "pets": list,
                 "persona": str, "dietary": list, "allergies": list, "preferred_categories": dict,
                 "preferred_brands": dict, "disliked_brands": list, "price_sensitivity": str,
                 "monthly_budget": int, "pin": str, "consent": dict}


def check_customer(row: dict) -> list[str]:
    problems = _typed(row, CUSTOMER_SPEC)
    if problems:
        return problems
    if not CUSTOMER_ID.match(row["id"]):
        problems.append(f"id {row['id']!r} is not like C001")
    for key in ("name", "persona", "region"):
        problems += check_text(key, row[key])
    if not AGE_BAND.match(row["age_band"]):
        problems.append(f"age_band {row['age_band']!r} is not like 30대")
    if any(ch.isdigit() for ch in row["region"]) or len(row["region"].split()) > 3:
        problems.append("region must stay at 시/구 level")
    if not 1 <= row["household_size"] <= 20:
        problems.append("household_size out of 1..20")
    problems += [f"unknown allergy {a!r}" for a in row["allergies"] if a not in ALLERGENS]
    problems += [f"unknown dietary tag {d!r}" for d in row["dietary"] if d not in TAGS]
    for key in ("preferred_categories", "preferred_brands"):
        for name, weight in row[key].items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not -1 <= weight <= 1:
                problems.append(f"{key}[{name!r}] weight must be within -1..1")
    if row["price_sensitivity"] not in PRICE_SENSITIVITY:
        problems.append(f"price_sensitivity must be one of {PRICE_SENSITIVITY}")
    if row["monthly_budget"] <= 0:
        problems.append("monthly_budget must be positive")
    if not PIN.match(row["pin"]):
        problems.append("pin must be 4 digits")
    consent = row["consent"]
    if set(consent) != {"personalization", "history", "marketing"} or \
            not all(isinstance(v, bool) for v in consent.values()):
        problems.append("consent needs boolean personalization, history, marketing")
    return problems


def check_order(row: dict, customers: dict[str, dict], products: dict) -> list[str]:
    """Schema, arithmetic and persona consistency of one order row."""
    problems = _typed(row, {"order_id": str, "customer_id": str, "created_at": str, "items": list,
                            "total": int, "status": str})
    if problems:
        return problems
    try:
        datetime.fromisoformat(row["created_at"])
    except ValueError:
        problems.append(f"created_at {row['created_at']!r} is not ISO 8601")
    if row["status"] not in ORDER_STATUS:
        problems.append(f"status {row['status']!r} not in {ORDER_STATUS}")
    customer = customers.get(row["customer_id"])
    if customer is None:
        problems.append(f"unknown customer {row['customer_id']}")
    if not row["items"]:
        problems.append("order has no items")
    total = 0
    for item in row["items"]:
        if not isinstance(item, dict) or _typed(item, {"product_id": str, "qty": int, "unit_price": int}):
            problems.append("item needs product_id (str), qty (int), unit_price (int)")
            continue
        product = products.get(item["product_id"])
        if product is None:
            problems.append(f"unknown product {item['product_id']}")
            continue
        if item["qty"] < 1 or item["unit_price"] < 1:
            problems.append(f"{item['product_id']}: qty and unit_price must be positive")
        total += item["qty"] * item["unit_price"]
        if customer is not None:
            clash = sorted(set(customer["allergies"]) & set(product.allergens))
            if clash:
                problems.append(f"{item['product_id']} contains {clash}, an allergy of {customer['id']}")
            if "비건" in customer["dietary"] and (ANIMAL_ALLERGENS & set(product.allergens)
                                                 or is_not_vegan_category(product.category)):
                problems.append(f"{item['product_id']} is not vegan but {customer['id']} is")
    if total != row["total"]:
        problems.append(f"total {row['total']} != sum of items {total}")
    return problems


def check_query(row: dict, products: dict, policy_ids: set[str]) -> list[str]:
    """Schema of one eval query; its relevant ids exist and satisfy its constraints."""
    problems = _typed(row, {"id": str, "query": str, "type": str, "relevant": list, "constraints": dict})
    if problems:
        return problems
    problems += check_text("query", row["query"])
    if row["type"] not in QUERY_TYPES:
        return problems + [f"type {row['type']!r} not in {QUERY_TYPES}"]
    if not row["relevant"]:
        problems.append("no relevant ids")
    cons = row["constraints"]
    for key, value in cons.items():
        if key not in CONSTRAINT_KEYS or not isinstance(value, CONSTRAINT_KEYS[key]):
            problems.append(f"bad constraint {key}={value!r}")
    if problems:
        return problems
    for rid in row["relevant"]:
        if row["type"] == "policy":
            if rid not in policy_ids:
                problems.append(f"unknown policy {rid}")
            continue
        p = products.get(rid)
        if p is None:
            problems.append(f"unknown product {rid}")
        elif not satisfies(p, cons):
            problems.append(f"{rid} does not satisfy the constraints")
    return problems


def satisfies(product, cons: dict) -> bool:
    """Whether a Product meets a query's constraints (prices compare the effective price)."""
    price = product.effective_price
    return (price <= cons.get("max_price", price) and price >= cons.get("min_price", price)
            and not set(cons.get("excluded_allergens", ())) & set(product.allergens)
            and set(cons.get("required_tags", ())) <= set(product.tags)
            and (not cons.get("category") or under(product.category, (cons["category"].rstrip("/") + "/",))))


def validate_all(data: Path, root: Path = Path(".")) -> Report:
    """Check every data file under `data`; image paths resolve against `root`."""
    from store.catalog import parse_policy, parse_products

    report = Report()
    err = report.errors
    catalog = data / "catalog" / "products.jsonl"
    products: dict = {}
    if catalog.exists():
        items, errs = parse_products(catalog.read_text(encoding="utf-8").splitlines(), catalog.name)
        err.extend(errs)
        products = {p.id: p for p in items}
        missing = sorted({p.image for p in items if not (root / p.image).is_file()})
        err.extend(f"{catalog.name}: image {m} not found under {root}" for m in missing)
        descs = [p.description for p in items]
        if descs and len(set(descs)) / len(descs) < 0.95:
            err.append(f"{catalog.name}: only {len(set(descs)) / len(descs):.1%} of descriptions are distinct")
    else:
        err.append(f"{catalog}: file not found")
    report.counts["products"] = len(products)
    report.counts["top_categories"] = len({p.top for p in products.values()})
    report.counts["leaf_categories"] = len({p.category for p in products.values()})
    policy_ids: set[str] = set()
    for file in sorted((data / "policies").glob("*.md")):
        doc, errs = parse_policy(file.read_text(encoding="utf-8"), file.name)
        err.extend(errs)
        if doc and doc.id in policy_ids:
            err.append(f"{file.name}:1: duplicate policy id {doc.id}")
        if doc:
            policy_ids.add(doc.id)
    report.counts["policies"] = len(policy_ids)
    if not policy_ids:
        err.append(f"{data / 'policies'}: no policy documents")
    customers: dict[str, dict] = {}
    path = data / "customers" / "customers.jsonl"
    for lineno, row in read_jsonl(path, err):
        problems = check_customer(row)
        if row.get("id") in customers:
            problems.append(f"duplicate id {row['id']}")
        err.extend(f"{path.name}:{lineno}: {p}" for p in problems)
        if not problems:
            customers[row["id"]] = row
    report.counts["customers"] = len(customers)
    path = data / "customers" / "orders.jsonl"
    seen_orders: set[str] = set()
    for lineno, row in read_jsonl(path, err):
        problems = check_order(row, customers, products)
        if row.get("order_id") in seen_orders:
            problems.append(f"duplicate order_id {row['order_id']}")
        seen_orders.add(row.get("order_id"))
        err.extend(f"{path.name}:{lineno}: {p}" for p in problems)
    report.counts["orders"] = len(seen_orders)
    seen_ids: set[str] = set()
    for split in ("dev", "test"):
        path = data / "eval" / f"queries_{split}.jsonl"
        for lineno, row in read_jsonl(path, err):
            problems = check_query(row, products, policy_ids)
            if row.get("id") in seen_ids:
                problems.append(f"duplicate query id {row['id']}")
            seen_ids.add(row.get("id"))
            err.extend(f"{path.name}:{lineno}: {p}" for p in problems)
            kind = f"queries_{row.get('type')}"
            report.counts[kind] = report.counts.get(kind, 0) + 1
    _check_store_tables(data, {p.category for p in products.values()}, report)
    return report


def _check_store_tables(data: Path, leaves: set[str], report: Report) -> None:
    """data/store/layout.json (a zone for every leaf) and occasions.json (plans' roles). A data
    folder without a store/ folder (a partial copy) skips these; one with it needs both files."""
    if not (data / "store").is_dir():
        return
    from store.layout import validate_layout
    from store.planner import validate_occasions

    for name, check, count in (("layout.json", validate_layout, lambda d: len(d.get("zones", ()))),
                               ("occasions.json", validate_occasions, lambda d: len(d.get("occasions", ())))):
        path = data / "store" / name
        if not path.exists():
            report.errors.append(f"{path}: file not found")
            continue
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            report.errors.append(f"{name}: invalid JSON ({exc})")
            continue
        report.errors.extend(f"{name}: {e}" for e in check(obj, leaves or None))
        if isinstance(obj, dict):
            report.counts[f"store_{name.split('.')[0]}"] = count(obj)
