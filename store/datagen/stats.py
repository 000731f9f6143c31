"""Print the numbers recorded in docs/benchmarks/data.md, from the committed data.

    python -m store.datagen.stats [--data data] [--sample 30 --sample-seed 2026]

`--sample N` also prints N seeded-random products in full, for the "reads like a real
Korean mall" review.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from pathlib import Path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store.datagen.stats", description=__doc__.split("\n\n")[0],
                                     epilog="example: python -m store.datagen.stats --sample 30")
    parser.add_argument("--data", default="data")
    parser.add_argument("--sample", type=int, default=0, help="print this many random products")
    parser.add_argument("--sample-seed", type=int, default=2026)
    args = parser.parse_args(argv)
    from store.catalog import load_catalog, load_policies

    data = Path(args.data)
    products = load_catalog(data / "catalog/products.jsonl")
    docs = load_policies(data / "policies")
    customers = _jsonl(data / "customers/customers.jsonl")
    orders = _jsonl(data / "customers/orders.jsonl")
    queries = {s: _jsonl(data / f"eval/queries_{s}.jsonl") for s in ("dev", "test")}
    descs = [p.description for p in products]
    prices = [p.effective_price for p in products]
    print(f"products: {len(products)}; top categories: {len({p.top for p in products})}; "
          f"leaf categories: {len({p.category for p in products})}")
    print("per top: " + ", ".join(f"{k} {v}" for k, v in Counter(p.top for p in products).most_common()))
    print(f"distinct descriptions: {len(set(descs))}/{len(descs)} ({len(set(descs)) / len(descs):.1%}); "
          f"distinct names: {len({p.name for p in products})}")
    print(f"sentences per description: {dict(sorted(Counter(d.count('. ') + 1 for d in descs).items()))}")
    print(f"effective price: min {min(prices):,} median {int(statistics.median(prices)):,} max {max(prices):,}; "
          f"on sale: {sum(p.sale_price is not None for p in products)}; stock 0: {sum(p.stock == 0 for p in products)}")
    print(f"vegan: {sum('비건' in p.tags for p in products)}; with allergens: "
          f"{sum(bool(p.allergens) for p in products)}; delivery: {dict(Counter(p.delivery for p in products))}")
    print(f"policies: {len(docs)}; sections: {sum(len(d.sections) for d in docs)}; "
          f"by category: {dict(Counter(d.category for d in docs))}")
    per_customer = Counter(o["customer_id"] for o in orders)
    months = {c: len({o['created_at'][:7] for o in orders if o['customer_id'] == c}) for c in per_customer}
    print(f"customers: {len(customers)}; orders: {len(orders)} (per customer {min(per_customer.values())}-"
          f"{max(per_customer.values())}); months with orders per customer: min {min(months.values())}; "
          f"span {min(o['created_at'] for o in orders)[:10]} .. {max(o['created_at'] for o in orders)[:10]}")
    for split, rows in queries.items():
        kinds = Counter(q["type"] for q in rows)
        rel = [len(q["relevant"]) for q in rows if q["type"] == "product"]
        print(f"queries_{split}: {len(rows)} ({dict(kinds)}); product relevant ids: min {min(rel)} "
              f"median {int(statistics.median(rel))} max {max(rel)}")
    images = sorted({p.image for p in products})
    print(f"images: {len(images)}; largest {max(Path(i).stat().st_size for i in images)} bytes")
    for p in random.Random(args.sample_seed).sample(products, args.sample):
        print(f"\n{p.id} {p.name} | {p.brand} | {p.category} | {p.effective_price:,}원 | {p.origin} | "
              f"tags {list(p.tags)} | allergens {list(p.allergens)}\n    {p.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
