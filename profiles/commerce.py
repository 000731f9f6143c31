"""Carts of signed-in customers, and their orders as seen from the profile.

Cart writes are single statements or `BEGIN IMMEDIATE` read-modify-writes, so concurrent
"+1" from several tabs never lose an update. Orders belong to `store.orders`:
`record_order` (imported history, the seed) validates, writes the order through
`store.orders.insert_order` and, with the personalization consent, purchase signals;
called inside the caller's open transaction it joins it through a savepoint and the
caller commits. `orders()` / `order()` read through `store.orders` too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from profiles._base import StoreBase, iso
from profiles.errors import AnonymousSession, ValidationError
from profiles.models import CartItem, OrderLine, OrderRecord
from store.orders import STATUS_ALIASES, OrderNotFound, customer_order_ids, insert_order, load_order

MAX_QTY = 999
# Orders in these states are not purchases: no signals, not in the price band.
NOT_PURCHASED = ("주문취소", "반품완료", "cancelled", "returned", "refunded")


def _qty(qty: object, *, allow_zero: bool = False) -> int:
    lo = 0 if allow_zero else 1
    if isinstance(qty, bool) or not isinstance(qty, int) or not lo <= qty <= MAX_QTY:
        raise ValidationError("qty", f"must be an int within {lo}..{MAX_QTY}, got {qty!r}",
                              f"수량은 {lo}~{MAX_QTY}개 사이로 입력해 주세요.")
    return qty


def _product_id(product_id: object) -> str:
    if not isinstance(product_id, str) or not product_id.strip() or len(product_id) > 40:
        raise ValidationError("product_id", f"bad product id {product_id!r}",
                              "상품 번호가 올바르지 않아요.")
    return product_id.strip()


class CommerceMixin(StoreBase):
    # -- cart --------------------------------------------------------------------------
    def _cart_qty(self, customer_id: str, product_id: str) -> int:
        return int(self._one("SELECT qty FROM cart_items WHERE customer_id = ? AND product_id = ?",
                             (customer_id, product_id)) or 0)

    def _cart_put(self, customer_id: str, product_id: str, qty: int, ts: str) -> None:
        if qty <= 0:
            self.db.conn.execute("DELETE FROM cart_items WHERE customer_id = ? AND product_id = ?",
                                 (customer_id, product_id))
        else:
            self.db.conn.execute(
                "INSERT INTO cart_items (customer_id, product_id, qty, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (customer_id, product_id) DO UPDATE SET qty = excluded.qty",
                (customer_id, product_id, qty, ts))

    def cart_add(self, customer_id: str | None, product_id: str, qty: int = 1, *,
                 now: datetime | None = None) -> int:
        """Add `qty` units; returns the new quantity in the cart (capped at MAX_QTY)."""
        if customer_id is None:
            raise AnonymousSession("cart_add")
        product_id, qty, ts = _product_id(product_id), _qty(qty), iso(now)

        def run() -> int:
            self._require(customer_id, "cart_add")
            new = min(MAX_QTY, self._cart_qty(customer_id, product_id) + qty)
            self._cart_put(customer_id, product_id, new, ts)
            return new
        return self._write(run)

    def cart_set(self, customer_id: str | None, product_id: str, qty: int, *,
                 now: datetime | None = None) -> int:
        """Set the quantity (0 removes the line); returns it."""
        if customer_id is None:
            raise AnonymousSession("cart_set")
        product_id, qty, ts = _product_id(product_id), _qty(qty, allow_zero=True), iso(now)

        def run() -> int:
            self._require(customer_id, "cart_set")
            self._cart_put(customer_id, product_id, qty, ts)
            return qty
        return self._write(run)

    def cart_remove(self, customer_id: str | None, product_id: str, qty: int | None = None, *,
                    now: datetime | None = None) -> int:
        """Remove `qty` units (None: the whole line); returns what is left."""
        if customer_id is None:
            raise AnonymousSession("cart_remove")
        product_id, ts = _product_id(product_id), iso(now)
        qty = None if qty is None else _qty(qty)

        def run() -> int:
            self._require(customer_id, "cart_remove")
            left = 0 if qty is None else max(0, self._cart_qty(customer_id, product_id) - qty)
            self._cart_put(customer_id, product_id, left, ts)
            return left
        return self._write(run)

    def cart_clear(self, customer_id: str | None) -> int:
        """Empty the cart; returns how many lines were removed (0 for anonymous)."""
        if customer_id is None:
            return 0
        return self._write(lambda: self.db.conn.execute(
            "DELETE FROM cart_items WHERE customer_id = ?", (customer_id,)).rowcount)

    def cart(self, customer_id: str | None) -> list[CartItem]:
        if customer_id is None:
            return []
        return self._read(lambda: [CartItem(*r) for r in self.db.conn.execute(
            "SELECT product_id, qty, added_at FROM cart_items WHERE customer_id = ? "
            "ORDER BY added_at, product_id", (customer_id,))])

    # -- orders ------------------------------------------------------------------------
    def record_order(self, customer_id: str | None, items: Sequence[tuple[str, int, int]], *,
                     order_id: str | None = None, total: int | None = None,
                     status: str = "주문접수", source: str = "app",
                     created_at: datetime | str | None = None,
                     product_info: Mapping[str, tuple[str, str]] | None = None) -> OrderRecord:
        """Write one order with its (product_id, qty, unit_price) lines. `customer_id=None`
        is an anonymous kiosk order (no signals). `product_info` maps product_id ->
        (category, brand) for purchase signals. Idempotent on `order_id`."""
        lines = tuple(OrderLine(_product_id(p), _qty(q), int(u)) for p, q, u in items)
        if not lines or any(li.unit_price < 0 for li in lines):
            raise ValidationError("items", "an order needs lines with unit_price >= 0",
                                  "주문 상품 정보가 올바르지 않아요.")
        total = sum(li.qty * li.unit_price for li in lines) if total is None else int(total)
        order_id = order_id or f"O{uuid.uuid4().hex[:12]}"
        ts = iso(created_at)
        status = STATUS_ALIASES.get(status, status)
        record = OrderRecord(order_id, customer_id, ts, status, total, source, lines)

        def run() -> OrderRecord:
            if customer_id is not None:
                self._require(customer_id, "record_order")
            existing = load_order(self.db.conn, order_id)
            if existing is not None:
                return existing
            insert_order(self.db.conn, record)
            if customer_id is not None and product_info and status not in NOT_PURCHASED \
                    and self._consented(
                    customer_id, "personalization"):
                known = [product_info[li.product_id] for li in lines if li.product_id in product_info]
                if known and self._add_signals(customer_id, known, 1.0, "purchase", ts):
                    self._log(customer_id, "purchase_signals", None,
                              sorted({c for c, _ in known}), "purchase", ts)
            return load_order(self.db.conn, order_id)
        return self._write(run)

    def orders(self, customer_id: str | None, *, limit: int | None = None) -> list[OrderRecord]:
        """The customer's orders, newest first ([] for anonymous)."""
        if customer_id is None:
            return []

        def run() -> list[OrderRecord]:
            found = (load_order(self.db.conn, i)
                     for i in customer_order_ids(self.db.conn, customer_id, limit))
            return [o for o in found if o is not None]
        return self._read(run)

    def order(self, order_id: str, *, customer_id: str | None = None) -> OrderRecord:
        """One order; with `customer_id`, only if it belongs to that customer."""
        found = self._read(lambda: load_order(self.db.conn, order_id))
        if found is None or (customer_id is not None and found.customer_id != customer_id):
            raise OrderNotFound(order_id)
        return found
