"""Orders: the one code path that writes `orders`/`order_items`, checkout and order lookup.

`checkout()` is one write transaction (`database.run_write`: `BEGIN IMMEDIATE`, retried while
another writer holds the lock): it checks every stock level, then writes the order, its
items, the sale events and clears the customer's cart, or nothing at all. Two concurrent
checkouts of the last units therefore never oversell. `insert_order()` is the single
INSERT of an order (used by checkout and by `ProfileStore.record_order` for imported
history); `load_order()`, `get_order()`, `customer_orders()` and `last_order()` read them.
Leaves out: carts themselves and customer records (`profiles/`), the schema (`database/`).

Example:
    >>> from database import open_database
    >>> from store.stock import StockLedger
    >>> db = open_database(":memory:")
    >>> _ = StockLedger(db).receive("P0001", 3)
    >>> class P:  # any object with id, name, effective_price
    ...     id, name, effective_price = "P0001", "우유", 2500
    >>> order = checkout(db, None, [("P0001", 2)], {"P0001": P()}, source="kiosk")
    >>> order.total, order_status(db, order.id).status
    (5000, 'created')
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Sequence

from database.connection import run_read, run_write
from store.stock import apply_event, check_lines_in

if TYPE_CHECKING:
    import sqlite_utils

    from store.stock import ProductLike

STATUS_PLACED = "created"
# Statuses written before the order state machine (seed files, old databases) -> states.
STATUS_ALIASES = {"주문접수": "created", "결제완료": "paid", "배송완료": "delivered",
                  "주문취소": "cancelled", "반품완료": "refunded"}
_COLUMNS = ("id, customer_id, created_at, status, total, source, delivery_method, slot_id, "
            "address, items_total, delivery_fee, discount, points_used, payment_method, "
            "schedule, delivered_at, updated_at")


class CheckoutError(ValueError):
    """The order itself is invalid (empty, unknown product, bad quantity); nothing written."""

    def __init__(self, message: str, user_message: str) -> None:
        self.user_message = user_message
        super().__init__(message)


class OrderNotFound(LookupError):
    """No such order (or not the asking customer's): the one error for every order lookup."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.user_message = f"주문번호 '{order_id}'에 해당하는 주문을 찾을 수 없어요."
        super().__init__(f"order not found: {order_id}")


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
    items: tuple[OrderItem, ...] = ()
    # After checkout (store.lifecycle); None/0 on orders from before the state machine.
    delivery_method: str | None = None     # 새벽 / 당일 / 일반 / 픽업
    slot_id: str | None = None
    address: str | None = None
    items_total: int | None = None
    delivery_fee: int = 0
    discount: int = 0                      # coupons
    points_used: int = 0
    payment_method: str | None = None
    schedule: dict = field(default_factory=dict, compare=False)   # ISO times (store.delivery)
    delivered_at: str | None = None
    updated_at: str | None = None


def new_order_id(ts: str) -> str:
    """"O20261126-1a2b3c4d": the date of `ts` and a random suffix."""
    return f"O{ts[:10].replace('-', '')}-{uuid.uuid4().hex[:8]}"


def insert_order(conn: sqlite3.Connection, order: Order) -> Order:
    """Write `order` and its items inside the caller's open transaction (no checks)."""
    items_total = order.items_total if order.items_total is not None else sum(
        li.qty * li.unit_price for li in order.items)
    conn.execute(f"INSERT INTO orders ({_COLUMNS}) VALUES ({', '.join('?' * 17)})",
                 (order.id, order.customer_id, order.created_at,
                  STATUS_ALIASES.get(order.status, order.status), order.total, order.source,
                  order.delivery_method, order.slot_id, order.address, items_total,
                  order.delivery_fee, order.discount, order.points_used, order.payment_method,
                  json.dumps(order.schedule, ensure_ascii=False), order.delivered_at,
                  order.updated_at or order.created_at))
    conn.executemany("INSERT INTO order_items (order_id, product_id, qty, unit_price) "
                     "VALUES (?, ?, ?, ?)",
                     [(order.id, li.product_id, li.qty, li.unit_price) for li in order.items])
    return order


def load_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    """The order with its items, or None (inside the caller's transaction or not)."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    items = tuple(OrderItem(*r) for r in conn.execute(
        "SELECT product_id, qty, unit_price FROM order_items WHERE order_id = ? ORDER BY rowid",
        (order_id,)))
    (id_, customer_id, created_at, status, total, source, method, slot_id, address, items_total,
     fee, discount, points, payment_method, schedule, delivered_at, updated_at) = row
    return Order(id_, customer_id, created_at, status, total, source, items, method, slot_id,
                 address, items_total, fee or 0, discount or 0, points or 0, payment_method,
                 json.loads(schedule or "{}"), delivered_at, updated_at)


def get_order(db: "sqlite_utils.Database", order_id: str, *,
              customer_id: str | None = None) -> Order:
    """One order; with `customer_id`, only if it is that customer's. Raises `OrderNotFound`."""
    found = run_read(db, lambda: load_order(db.conn, order_id))
    if found is None or (customer_id is not None and found.customer_id != customer_id):
        raise OrderNotFound(order_id)
    return found


def order_status(db: "sqlite_utils.Database", order_id: str) -> Order:
    """The order with its items; raises `OrderNotFound`."""
    return get_order(db, order_id)


def customer_order_ids(conn: sqlite3.Connection, customer_id: str,
                       limit: int | None = None) -> list[str]:
    sql = "SELECT id FROM orders WHERE customer_id = ? ORDER BY created_at DESC, id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [r[0] for r in conn.execute(sql, (customer_id,))]


def customer_orders(db: "sqlite_utils.Database", customer_id: str | None, *,
                    limit: int | None = None) -> list[Order]:
    """The customer's orders, newest first ([] for anonymous)."""
    if customer_id is None:
        return []

    def read() -> list[Order]:
        found = (load_order(db.conn, i) for i in customer_order_ids(db.conn, customer_id, limit))
        return [o for o in found if o is not None]
    return run_read(db, read)


def last_order(db: "sqlite_utils.Database", customer_id: str | None) -> Order | None:
    """The customer's newest order, or None."""
    found = customer_orders(db, customer_id, limit=1)
    return found[0] if found else None


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
    ts = (now or datetime.now()).isoformat(timespec="seconds")
    lines = tuple(OrderItem(pid, q, int(catalog[pid].effective_price)) for pid, q in merged.items())
    order = Order(new_order_id(ts), customer_id, ts, STATUS_PLACED,
                  sum(li.qty * li.unit_price for li in lines), source, lines)

    def write() -> Order:
        conn = db.conn
        check_lines_in(conn, lines, catalog)
        insert_order(conn, order)
        for li in lines:
            apply_event(conn, li.product_id, "sale", -li.qty, order.id, ts,
                        name=getattr(catalog[li.product_id], "name", ""))
        if customer_id is not None:
            conn.execute("DELETE FROM cart_items WHERE customer_id = ?", (customer_id,))
        return order
    return run_write(db, write)
