"""Checkout and order lookup: one transaction writes the order, its items, the sale events
and clears the customer's cart, or nothing at all.

`checkout()` takes the write lock first (`BEGIN IMMEDIATE`), checks every level, then
writes; two concurrent checkouts of the last units therefore never oversell.
Leaves out: carts themselves and customer records (`profiles/`).

Example:
    >>> from store.stock import connect, StockLedger
    >>> db = connect(":memory:")
    >>> _ = StockLedger(db).receive("P0001", 3)
    >>> class P:  # any object with id, name, effective_price
    ...     id, name, effective_price = "P0001", "우유", 2500
    >>> order = checkout(db, None, [("P0001", 2)], {"P0001": P()}, source="kiosk")
    >>> order.total, order_status(db, order.id).status
    (5000, '주문접수')
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Sequence

from store.stock import InsufficientStock, apply_event, ensure_stock_tables, immediate, level_in

if TYPE_CHECKING:
    import sqlite_utils

    from store.stock import ProductLike

STATUS_PLACED = "주문접수"


class CheckoutError(ValueError):
    """The order itself is invalid (empty, unknown product, bad quantity); nothing written."""

    def __init__(self, message: str, user_message: str) -> None:
        self.user_message = user_message
        super().__init__(message)


class OrderNotFound(LookupError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.user_message = f"주문번호 '{order_id}'에 해당하는 주문을 찾을 수 없습니다."
        super().__init__(f"order {order_id!r} not found")


@dataclass(frozen=True)
class OrderItem:
    product_id: str
    qty: int
    unit_price: int


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str | None
    created_at: str
    status: str
    total: int
    source: str
    items: tuple[OrderItem, ...]


def ensure_order_tables(db: "sqlite_utils.Database") -> None:
    """Create `orders`, `order_items`, `cart_items` if missing, with the columns the
    profiles migrations also use (so whichever runs first, the schema is the same)."""
    db["orders"].create({"id": str, "customer_id": str, "created_at": str, "status": str,
                         "total": int, "source": str}, pk="id", if_not_exists=True)
    db["order_items"].create({"order_id": str, "product_id": str, "qty": int, "unit_price": int},
                             if_not_exists=True)
    db["cart_items"].create({"customer_id": str, "product_id": str, "qty": int}, if_not_exists=True)
    ensure_stock_tables(db)


def _merge(items: Sequence[tuple[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for product_id, qty in items:
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise CheckoutError(f"quantity for {product_id} must be a positive int, got {qty!r}",
                                "수량은 1개 이상이어야 합니다.")
        merged[product_id] = merged.get(product_id, 0) + qty
    return merged


def checkout(db: "sqlite_utils.Database", customer_id: str | None,
             items: Sequence[tuple[str, int]], catalog: Mapping[str, "ProductLike"],
             source: str = "chat", now: datetime | None = None) -> Order:
    """Place an order atomically; raise `InsufficientStock` (nothing written) when any
    line asks for more than is on hand. `customer_id=None` is an anonymous kiosk order."""
    merged = _merge(items)
    if not merged:
        raise CheckoutError("empty order", "장바구니가 비어 있습니다.")
    for pid in merged:
        if pid not in catalog:
            raise CheckoutError(f"unknown product {pid}", f"'{pid}' 상품을 찾을 수 없습니다.")
    ensure_order_tables(db)
    ts = (now or datetime.now()).isoformat(timespec="seconds")
    order_id = f"O{ts[:10].replace('-', '')}-{uuid.uuid4().hex[:8]}"
    lines = tuple(OrderItem(pid, q, int(catalog[pid].effective_price)) for pid, q in merged.items())
    total = sum(li.qty * li.unit_price for li in lines)
    with immediate(db) as conn:
        # Check every line before writing any, so the error names the first short product.
        for li in lines:
            available = level_in(conn, li.product_id)
            if available < li.qty:
                raise InsufficientStock(li.product_id, li.qty, available,
                                        name=getattr(catalog[li.product_id], "name", ""))
        conn.execute("INSERT INTO orders (id, customer_id, created_at, status, total, source) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (order_id, customer_id, ts, STATUS_PLACED, total, source))
        for li in lines:
            conn.execute("INSERT INTO order_items (order_id, product_id, qty, unit_price) "
                         "VALUES (?, ?, ?, ?)", (order_id, li.product_id, li.qty, li.unit_price))
            apply_event(conn, li.product_id, "sale", -li.qty, order_id, ts,
                        name=getattr(catalog[li.product_id], "name", ""))
        if customer_id is not None:
            conn.execute("DELETE FROM cart_items WHERE customer_id = ?", (customer_id,))
    return Order(order_id, customer_id, ts, STATUS_PLACED, total, source, lines)


def order_status(db: "sqlite_utils.Database", order_id: str) -> Order:
    """The order with its items; raises `OrderNotFound`."""
    if not db["orders"].exists():
        raise OrderNotFound(order_id)
    row = db.execute("SELECT id, customer_id, created_at, status, total, source FROM orders "
                     "WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise OrderNotFound(order_id)
    items = tuple(OrderItem(*r) for r in db.execute(
        "SELECT product_id, qty, unit_price FROM order_items WHERE order_id = ? ORDER BY rowid",
        (order_id,)).fetchall())
    return Order(*row, items=items)
