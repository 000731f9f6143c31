"""Catalog and help-center policy loading, with validation that names the bad row.

`load_catalog(path)` reads `data/catalog/products.jsonl` into frozen `Product`s and
`load_policies(dir)` reads `data/policies/*.md` into `PolicyDoc`s. Both validate first and
raise `CatalogError` (with `.errors`, one "file:line: reason" string each) instead of
crashing later inside retrieval. The row rules live in `store/_rules.py`; the whole-data
check (customers, orders, eval queries too) is `python -m store.catalog validate`.

Leaves out: stock levels after sales (the stock ledger owns those) and any search logic.

Example:
    >>> products = load_catalog("data/catalog/products.jsonl")
    >>> products[0].top, products[0].effective_price  # doctest: +SKIP
    ('신선식품', 12900)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from store._rules import check_policy_text, check_product_row


class CatalogError(Exception):
    """Store data failed validation; `.errors` lists each problem as "file:line: reason"."""

    def __init__(self, errors: list[str], source: str = "") -> None:
        self.errors = list(errors)
        self.source = source
        shown = "; ".join(self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"invalid store data in {source or '?'}: {shown}{more}")

    @property
    def user_message(self) -> str:
        return f"상품/안내 데이터에 오류가 {len(self.errors)}건 있어 불러오지 못했습니다. 관리자에게 문의해 주세요."


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    brand: str
    category: str
    price: int
    sale_price: int | None
    unit: str
    description: str
    tags: tuple[str, ...]
    allergens: tuple[str, ...]
    origin: str
    storage: str
    stock: int
    rating: float
    review_count: int
    delivery: str
    image: str

    @property
    def effective_price(self) -> int:
        return self.sale_price if self.sale_price is not None else self.price

    @property
    def top(self) -> str:
        return self.category.split("/")[0]

    @property
    def mid(self) -> str:
        return self.category.split("/")[1]

    @property
    def leaf(self) -> str:
        return self.category.split("/")[2]

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def to_dict(self) -> dict:
        """The JSON row shape (lists, not tuples), in the file's field order."""
        row = {f: getattr(self, f) for f in self.__dataclass_fields__}
        row["tags"], row["allergens"] = list(self.tags), list(self.allergens)
        return row


@dataclass(frozen=True)
class PolicyDoc:
    id: str
    title: str
    category: str
    body: str
    sections: tuple[tuple[str, str], ...]  # (heading, text) per "## " heading


def parse_products(lines: list[str], source: str = "products.jsonl") -> tuple[list[Product], list[str]]:
    """Parse JSONL lines; returns (valid products, errors). Never raises on bad rows."""
    products: list[Product] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{source}:{lineno}: invalid JSON ({exc.msg}, column {exc.colno})")
            continue
        problems = check_product_row(row)
        rid = row.get("id") if isinstance(row, dict) else None
        if isinstance(rid, str) and rid in seen:
            problems.append(f"duplicate id {rid} (first on line {seen[rid]})")
        if problems:
            label = f"{rid}: " if isinstance(rid, str) else ""
            errors.extend(f"{source}:{lineno}: {label}{p}" for p in problems)
            continue
        seen[rid] = lineno
        products.append(Product(**{**row, "tags": tuple(row["tags"]), "allergens": tuple(row["allergens"]),
                                   "rating": float(row["rating"])}))
    return products, errors


def load_catalog(path: str | Path = "data/catalog/products.jsonl") -> list[Product]:
    """Load and validate the catalog; raises CatalogError listing every bad row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([f"{path}: cannot read ({exc})"], str(path)) from exc
    products, errors = parse_products(text.splitlines(), path.name)
    if errors:
        raise CatalogError(errors, str(path))
    if not products:
        raise CatalogError([f"{path}: no products"], str(path))
    return products


def parse_policy(text: str, source: str = "policy.md") -> tuple[PolicyDoc | None, list[str]]:
    """Parse one policy Markdown file (front matter + `##` sections); returns (doc, errors)."""
    meta, body, errors = check_policy_text(text)
    if errors:
        return None, [f"{source}:{line}: {reason}" for line, reason in errors]
    sections: list[tuple[str, str]] = []
    for line in body.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), ""))
        elif sections:
            head, acc = sections[-1]
            sections[-1] = (head, acc + line + "\n")
    doc = PolicyDoc(id=meta["id"], title=meta["title"], category=meta["category"], body=body.strip(),
                    sections=tuple((h, t.strip()) for h, t in sections))
    return doc, []


def load_policies(directory: str | Path = "data/policies") -> list[PolicyDoc]:
    """Load every `*.md` under `directory` (sorted by file name); raises CatalogError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogError([f"{directory}: not a directory"], str(directory))
    docs: list[PolicyDoc] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for file in sorted(directory.glob("*.md")):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{file.name}: cannot read ({exc})")
            continue
        doc, errs = parse_policy(text, file.name)
        errors.extend(errs)
        if doc is None:
            continue
        if doc.id in seen:
            errors.append(f"{file.name}:1: duplicate policy id {doc.id} (also in {seen[doc.id]})")
            continue
        seen[doc.id] = file.name
        docs.append(doc)
    if errors:
        raise CatalogError(errors, str(directory))
    if not docs:
        raise CatalogError([f"{directory}: no policy documents"], str(directory))
    return docs


def validate(data_dir: str | Path = "data", root: str | Path = ".") -> list[str]:
    """Check every store data file (catalog, policies, customers, orders, eval queries)
    against the schema and the cross-file rules; returns "file:line: reason" strings."""
    from store._datacheck import validate_all

    return validate_all(Path(data_dir), Path(root)).errors


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m store.catalog",
        description="Validate the store data (catalog, policies, customers, orders, eval queries).",
        epilog="example: python -m store.catalog validate --data data",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    val = sub.add_parser("validate", help="check every data file; exit 1 on any bad row",
                         epilog="example: python -m store.catalog validate --data data")
    val.add_argument("--data", default="data", help="data directory (default: data)")
    val.add_argument("--root", default=".", help="repo root that image paths are relative to")
    val.add_argument("--max-errors", type=int, default=50, help="print at most this many errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    from store._datacheck import validate_all

    report = validate_all(Path(args.data), Path(args.root))
    for line in report.errors[: args.max_errors]:
        print(line, file=sys.stderr)
    if len(report.errors) > args.max_errors:
        print(f"... and {len(report.errors) - args.max_errors} more", file=sys.stderr)
    for name, count in report.counts.items():
        print(f"{name}: {count}")
    print("OK" if not report.errors else f"FAILED: {len(report.errors)} error(s)")
    return 0 if not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
