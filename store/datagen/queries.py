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


def _fields(text: str) -> dict[str, str]:
    fields = {}
    for part in text.split(";"):
        if part.strip():
            key, _, value = part.partition("=")
            fields[key.strip()] = value.strip()
    return fields


def parse_variants(line: str) -> list[tuple[str, dict[str, str]]]:
    """Each variant's text and its fields: the line's fields, then the variant's own "{...}" over them.

    >>> parse_variants("냉동 피자 / 냉동피자 만원 이하 {max=10000} || kw=피자")
    [('냉동 피자', {'kw': '피자'}), ('냉동피자 만원 이하', {'kw': '피자', 'max': '10000'})]
    """
    left, _, right = line.partition("||")
    shared = _fields(right)
    out = []
    for variant in (v.strip() for v in left.split(" / ")):
        if not variant:
            continue
        text, _, own = variant.partition("{")
        out.append((text.strip(), shared | _fields(own.rstrip().removesuffix("}"))))
    return out


def parse_spec(line: str) -> tuple[list[str], dict[str, str]]:
    """The variants' texts and the fields they share (a variant's own "{...}" fields left out)."""
    left, _, right = line.partition("||")
    return [text for text, _ in parse_variants(left)], _fields(right)


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
    scopes = [c for c in (cons.get("category"), fields.get("in")) if c]
    return ((not words or any(w in p["name"] for w in words))
            and all(under(p["category"], (c.rstrip("/") + "/",)) for c in scopes)
            and set(_split(fields.get("has", ""))) <= set(p["tags"])
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
    """One group per spec line (its variants); each variant's constraints are checked against
    its own text (`query_check.problems`) so a label the query does not say fails here."""
    from store.datagen.query_check import problems

    groups = []
    for i, line in enumerate(l for l in SPECS.strip().splitlines() if l.strip()):
        group = []
        for j, (query, fields) in enumerate(parse_variants(line)):
            cons = constraints_of(fields)
            found = problems(query, cons)
            if found:
                raise ValueError(f"labels of {query!r} do not match its text: {found}")
            relevant = relevant_products(products, fields, cons)
            if not relevant:
                raise ValueError(f"query {query!r} matches no product: {line!r}")
            group.append({"id": f"qp-{i + 1:03d}-{j + 1}", "query": query, "type": "product",
                          "relevant": relevant, "constraints": cons})
        groups.append(group)
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
