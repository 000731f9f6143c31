"""Labeled eval queries: product intents from query_specs.py and policy questions from the
help-center source. Relevant product ids are computed from catalog attributes (concept
words in the name + the query's constraints), best-first, capped at 30; a policy query's
relevant ids are the documents that answer it. Dev/test split ~40/60 by intent group so
that no two variants of one intent land on both sides.
"""

from __future__ import annotations

import random

from store._rules import under
from store.datagen.policies import POLICIES
from store.datagen.query_specs import SPECS
from store.datagen.spec import _split

MAX_RELEVANT = 30
DEV_SHARE = 0.4


def parse_spec(line: str) -> tuple[list[str], dict[str, str]]:
    left, _, right = line.partition("||")
    variants = [v.strip() for v in left.split(" / ") if v.strip()]
    fields = {}
    for part in right.split(";"):
        if part.strip():
            key, _, value = part.partition("=")
            fields[key.strip()] = value.strip()
    return variants, fields


def constraints_of(fields: dict[str, str]) -> dict:
    cons: dict = {}
    if "max" in fields:
        cons["max_price"] = int(fields["max"])
    if "min" in fields:
        cons["min_price"] = int(fields["min"])
    if "ex" in fields:
        cons["excluded_allergens"] = list(_split(fields["ex"]))
    if "tags" in fields:
        cons["required_tags"] = list(_split(fields["tags"]))
    if "cat" in fields:
        cons["category"] = fields["cat"]
    return cons


def matches(p: dict, fields: dict[str, str], cons: dict) -> bool:
    price = p["sale_price"] if p["sale_price"] is not None else p["price"]
    words = _split(fields.get("kw", ""))
    return ((not words or any(w in p["name"] for w in words))
            and (not cons.get("category") or under(p["category"], (cons["category"].rstrip("/") + "/",)))
            and cons.get("min_price", 0) <= price <= cons.get("max_price", price)
            and not set(cons.get("excluded_allergens", ())) & set(p["allergens"])
            and set(cons.get("required_tags", ())) <= set(p["tags"])
            and p["delivery"] == fields.get("dlv", p["delivery"])
            and (fields.get("sale") != "1" or p["sale_price"] is not None))


def relevant_products(products: list[dict], fields: dict[str, str], cons: dict) -> list[str]:
    hits = [p for p in products if matches(p, fields, cons)]
    hits.sort(key=lambda p: (p["stock"] == 0, -p["rating"], -p["review_count"], p["id"]))
    return [p["id"] for p in hits[:MAX_RELEVANT]]


def product_groups(products: list[dict]) -> list[list[dict]]:
    groups = []
    for i, line in enumerate(l for l in SPECS.strip().splitlines() if l.strip()):
        variants, fields = parse_spec(line)
        cons = constraints_of(fields)
        relevant = relevant_products(products, fields, cons)
        if not relevant:
            raise ValueError(f"query spec matches no product: {line!r}")
        groups.append([{"id": f"qp-{i + 1:03d}-{j + 1}", "query": q, "type": "product", "relevant": relevant,
                        "constraints": cons} for j, q in enumerate(variants)])
    return groups


def policy_groups() -> list[list[dict]]:
    groups = []
    for doc in POLICIES:
        groups.append([{"id": f"qs-{doc.filename[:-3]}-{j + 1}", "query": q, "type": "policy", "relevant": list(ids),
                        "constraints": {}} for j, (q, ids) in enumerate(doc.queries)])
    return groups


def generate_queries(products: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(dev, test) rows; product and policy intents are split separately, each ~40/60."""
    rng = random.Random(seed * 31 + 3)
    dev: list[dict] = []
    test: list[dict] = []
    for groups in (product_groups(products), policy_groups()):
        order = list(range(len(groups)))
        rng.shuffle(order)
        cut = round(len(groups) * DEV_SHARE)
        dev_ids = set(order[:cut])
        for i, group in enumerate(groups):
            (dev if i in dev_ids else test).extend(group)
    return dev, test
