"""Load the demo customers and their order histories (`data/customers/*.jsonl`).

Idempotent: an existing customer is updated (change log source "system"), an order id
already present is skipped, a PIN is hashed only for customers without one. When
`data/catalog/products.jsonl` exists, its category/brand turn seeded orders into
purchase signals (for customers with the personalization consent).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from profiles.errors import ProfileError
from store.orders import load_order

if TYPE_CHECKING:
    from profiles.store import ProfileStore

_PROFILE_KEYS = ("age_band", "region", "household_size", "pets", "persona", "dietary",
                 "allergies", "preferred_categories", "preferred_brands", "disliked_brands",
                 "price_sensitivity", "monthly_budget")


class SeedError(ProfileError):
    def __init__(self, path: Path, line: int, detail: str, user: str = "") -> None:
        super().__init__(f"{path}:{line}: {detail}",
                         f"데모 데이터를 불러오지 못했어요 ({path.name} {line}번째 줄). {user}".strip())


@dataclass(frozen=True)
class SeedReport:
    customers_created: int
    customers_updated: int
    orders_added: int
    orders_skipped: int


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SeedError(path, number, f"invalid JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise SeedError(path, number, "expected a JSON object")
            yield number, row


def product_info(catalog_path: Path) -> dict[str, tuple[str, str]]:
    """product id -> (category, brand), or {} when the catalog file is missing."""
    if not catalog_path.exists():
        return {}
    return {row["id"]: (row.get("category", ""), row.get("brand", ""))
            for _, row in read_jsonl(catalog_path) if "id" in row}


def seed(store: "ProfileStore", data_dir: Path,
         progress: Callable[[Iterator[Any], int], Iterator[Any]] | None = None) -> SeedReport:
    """Load `data_dir/customers/customers.jsonl` and `orders.jsonl` into `store`."""
    wrap = progress or (lambda it, total: it)
    customers_path = data_dir / "customers" / "customers.jsonl"
    orders_path = data_dir / "customers" / "orders.jsonl"
    if not customers_path.exists():
        raise SeedError(customers_path, 0, "file not found", "파일이 없어요.")
    customer_rows = list(read_jsonl(customers_path))
    created = updated = 0
    for number, row in wrap(iter(customer_rows), len(customer_rows)):
        try:
            fields = {k: row[k] for k in _PROFILE_KEYS if k in row}
            if store.exists(row.get("id")):
                store.update(row["id"], {"display_name": row.get("name"), **fields},
                             source="system")
                updated += 1
            else:
                store.add_customer(row.get("id"), row.get("name"), source="system", **fields)
                created += 1
            if row.get("pin") and not store.get(row["id"]).has_pin:
                store.set_pin(row["id"], str(row["pin"]))
            consent = row.get("consent") or {}
            store.set_consent(row["id"], source="system", **{
                k: bool(consent[k]) for k in ("personalization", "history", "marketing")
                if k in consent})
        except ProfileError as exc:
            raise SeedError(customers_path, number, str(exc), exc.user_message) from exc
    added = skipped = 0
    if orders_path.exists():
        info = product_info(data_dir / "catalog" / "products.jsonl")
        order_rows = list(read_jsonl(orders_path))
        for number, row in wrap(iter(order_rows), len(order_rows)):
            try:
                order_id = row["order_id"]
                if load_order(store.db.conn, order_id) is not None:
                    skipped += 1
                    continue
                items = [(i["product_id"], int(i["qty"]), int(i["unit_price"]))
                         for i in row["items"]]
                store.record_order(row.get("customer_id"), items, order_id=order_id,
                                   total=row.get("total"), status=row.get("status", "배송완료"),
                                   source="seed", created_at=row.get("created_at"),
                                   product_info=info)
                added += 1
            except (KeyError, TypeError, ValueError) as exc:
                raise SeedError(orders_path, number, f"bad order: {exc!r}") from exc
            except ProfileError as exc:
                raise SeedError(orders_path, number, str(exc), exc.user_message) from exc
    return SeedReport(created, updated, added, skipped)
