"""Regenerate the store data deterministically.

    python -m store.datagen --seed 7            # everything, into data/ and assets/products/
    python -m store.datagen --seed 7 --only catalog --out /tmp/x

Outputs: data/catalog/products.jsonl, data/policies/*.md, data/customers/customers.jsonl,
data/customers/orders.jsonl, data/eval/queries_{dev,test}.jsonl, assets/products/*.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PARTS = ("catalog", "images", "policies", "customers", "queries")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m store.datagen", description=__doc__.split("\n\n")[0],
        epilog="example: python -m store.datagen --seed 7 && python -m store.catalog validate",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (the committed data uses 7)")
    parser.add_argument("--out", default=".", help="repo root to write data/ and assets/ under")
    parser.add_argument("--only", choices=PARTS, action="append", help="generate only these parts")
    return parser


def build(seed: int = 7, only: list[str] | None = None) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every output file as {relative path: bytes}, built in memory (nothing written yet)."""
    from store.datagen.products import LEAVES, generate_products

    parts = only or list(PARTS)
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    products = generate_products(seed)

    def jsonl(rows: list[dict]) -> bytes:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")

    for part in parts:
        if part == "catalog":
            files["data/catalog/products.jsonl"] = jsonl(products)
            counts["products"] = len(products)
        elif part == "images":
            from store.datagen.images import render_all

            files.update(render_all(LEAVES))
            counts["images"] = len(LEAVES)
        elif part == "policies":
            from store.datagen.policies import POLICIES, render_policy

            for doc in POLICIES:
                files[f"data/policies/{doc.filename}"] = render_policy(doc).encode("utf-8")
            counts["policies"] = len(POLICIES)
        elif part == "customers":
            from store.datagen.customers import generate_customers
            from store.datagen.orders import generate_orders

            customers = generate_customers()
            orders = generate_orders(customers, products, seed)
            files["data/customers/customers.jsonl"] = jsonl(customers)
            files["data/customers/orders.jsonl"] = jsonl(orders)
            counts["customers"], counts["orders"] = len(customers), len(orders)
        elif part == "queries":
            from store.datagen.queries import generate_queries

            dev, test = generate_queries(products, seed)
            files["data/eval/queries_dev.jsonl"], files["data/eval/queries_test.jsonl"] = jsonl(dev), jsonl(test)
            counts["queries_dev"], counts["queries_test"] = len(dev), len(test)
    return files, counts


def write_all(seed: int = 7, out: str | Path = ".", only: list[str] | None = None) -> dict[str, int]:
    """Build the chosen parts, then write each file atomically; returns counts per kind.
    A failing part raises before anything is written, so the data never ends half-updated."""
    from tqdm import tqdm

    from store.datagen.writers import write_bytes

    files, counts = build(seed, only)
    for rel, data in tqdm(sorted(files.items()), desc="writing", unit="file", disable=not sys.stderr.isatty()):
        write_bytes(Path(out) / rel, data)
    return counts


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    for name, count in write_all(args.seed, args.out, args.only).items():
        print(f"{name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
