"""Orders after checkout: the state machine, delivery slots, payment, cancel, change, return,
exchange and refund, each checked against the store's written policy.

States: `created -> paid -> preparing -> shipped -> delivered`, `cancelled`,
`return_requested -> returned -> refunded` and `exchange_requested`. Every change goes
through `transition()` (checked against `TRANSITIONS`) and writes an `order_events` row
(who, when, why). Time moves orders along their slot's schedule (`sync`), so a clock
(`now=`, the CLI's `--now`) is all a test needs to ship or deliver an order.

Stock follows the ledger: checkout sells; a cancel before shipping returns every unit at
once; a return after delivery returns units only when staff approve it after inspection,
and only for goods that can be sold again (not a fresh-food quality claim).

Service functions are `(db, customer_id, order_id, ...)`-shaped: `customer_id=None` reaches
only anonymous kiosk orders, a signed-in customer only their own. Refusals raise
`ActionRefused` with the rule id and a Korean message that cites it.

Example:
    >>> from database import open_database
    >>> from store.stock import StockLedger
    >>> db = open_database(":memory:")
    >>> _ = StockLedger(db).receive("P1", 5)
    >>> class P:
    ...     id, name, effective_price, category, storage = "P1", "세제", 12000, "세제·위생/세탁세제", "실온"
    >>> order = place_order(db, None, [("P1", 1)], {"P1": P()}, method="픽업",
    ...                     now="2026-11-26T10:00:00+09:00")
    >>> order.status, order.total, order.payment_method
    ('created', 12000, '현장 결제')
    >>> cancel_order(db, None, order.id, now="2026-11-26T10:10:00+09:00").order.status
    'cancelled'
    >>> StockLedger(db).level("P1")
    5
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Collection, Mapping, Sequence

from database.connection import run_read, run_write
from store.delivery import (
    KST,
    Region,
    SlotFull,
    clock_ko,
    closures_before,
    first_free,
    kst,
    load_rules,
    parse_region,
    release_slot,
    slot_by_id,
    slots_from,
    surcharge,
    take_slot,
)
from store.orders import CheckoutError, Order, OrderItem, OrderNotFound, _merge, insert_order, load_order, new_order_id
from store.payment import CARD, ONSITE, REFUND_TIMES, PaymentError, Quote, price_order
from store.rewards import due as rewards_due
from store.rewards import settle as settle_rewards
from store.rewards import spendable_points
from store.stock import apply_event, check_lines_in

if TYPE_CHECKING:
    import sqlite_utils

    from store.payment import PaymentProvider

STATES = ("created", "paid", "preparing", "shipped", "delivered", "cancelled",
          "return_requested", "returned", "refunded", "exchange_requested")
TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"paid", "cancelled", "preparing"}),   # -> preparing: 현장 결제 only
    "paid": frozenset({"preparing", "cancelled"}),
    "preparing": frozenset({"shipped"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"return_requested", "exchange_requested"}),
    "return_requested": frozenset({"returned", "delivered"}),     # -> delivered: claim rejected
    "returned": frozenset({"refunded"}),
    "exchange_requested": frozenset({"delivered"}),
    "cancelled": frozenset(), "refunded": frozenset(),
}
STATUS_KO = {"created": "주문 접수", "paid": "결제 완료", "preparing": "상품 준비 중",
             "shipped": "배송 중", "delivered": "배송 완료", "cancelled": "주문 취소",
             "return_requested": "반품 접수", "returned": "반품 회수 완료", "refunded": "환불 완료",
             "exchange_requested": "교환 접수"}
PICKUP_KO = {"shipped": "픽업 준비 완료", "delivered": "픽업 완료"}
ACTORS = ("customer", "staff", "system", "payment")
FRESH_TOPS = ("신선식품", "유제품", "냉동식품")


class TransitionError(ValueError):
    def __init__(self, order_id: str, current: str, to: str) -> None:
        super().__init__(f"order {order_id}: {current} -> {to} is not allowed")
        self.user_message = (f"'{STATUS_KO.get(current, current)}' 상태의 주문은 "
                             f"'{STATUS_KO.get(to, to)}'(으)로 바꿀 수 없어요.")


class ActionRefused(Exception):
    """An after-sales request the policy does not allow; `rule` is the policy id cited."""

    def __init__(self, rule: str, user_message: str) -> None:
        super().__init__(f"refused by {rule}: {user_message}")
        self.rule = rule
        self.user_message = user_message


def is_fresh(product) -> bool:
    """Fresh, chilled or frozen goods [반품-03]: 신선식품, 유제품, 냉동식품, or stored 냉장/냉동."""
    if product is None:
        return False
    top = (getattr(product, "category", "") or "").split("/")[0]
    return top in FRESH_TOPS or getattr(product, "storage", "") in ("냉장", "냉동")


def status_ko(order: Order) -> str:
    if order.delivery_method == "픽업" and order.status in PICKUP_KO:
        return PICKUP_KO[order.status]
    return STATUS_KO.get(order.status, order.status)


def _iso(moment: datetime) -> str:
    return kst(moment).isoformat(timespec="seconds")


def _when(order: Order, key: str) -> datetime | None:
    value = order.schedule.get(key)
    return kst(value) if value else None


# ---- transitions and events ----------------------------------------------------------------
def transition(conn: sqlite3.Connection, order: Order, to: str, *, actor: str, reason: str,
               now: datetime, at: datetime | None = None) -> str:
    """Move `order` to `to` inside the caller's transaction, with its event row."""
    if to not in TRANSITIONS.get(order.status, ()):
        raise TransitionError(order.id, order.status, to)
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor!r}")
    ts = _iso(at or now)
    conn.execute("UPDATE orders SET status = ?, updated_at = ?, delivered_at = CASE WHEN ? = "
                 "'delivered' AND delivered_at IS NULL THEN ? ELSE delivered_at END WHERE id = ?",
                 (to, ts, to, ts, order.id))
    conn.execute("INSERT INTO order_events (order_id, from_status, to_status, actor, reason, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (order.id, order.status, to, actor, reason, ts))
    return to


def note(conn: sqlite3.Connection, order: Order, *, actor: str, reason: str, now: datetime) -> None:
    """An event without a state change (e.g. a new delivery address)."""
    conn.execute("INSERT INTO order_events (order_id, from_status, to_status, actor, reason, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (order.id, order.status, order.status, actor, reason, _iso(now)))


def events(db: "sqlite_utils.Database", order_id: str) -> list[dict]:
    """The order's history, oldest first: from, to, actor, reason, at."""
    rows = db.conn.execute("SELECT from_status, to_status, actor, reason, created_at FROM order_events "
                           "WHERE order_id = ? ORDER BY id", (order_id,)).fetchall()
    return [dict(zip(("from", "to", "actor", "reason", "at"), r)) for r in rows]


def _due_steps(order: Order, now: datetime) -> list[tuple[str, datetime, str]]:
    """The schedule's transitions that are due at `now` (status, when, why)."""
    steps, status = [], order.status
    onsite = order.payment_method == ONSITE
    plan = [("preparing", "prepare_at", "출고 준비 시작"), ("shipped", "ship_at",
             "픽업 준비 완료" if order.delivery_method == "픽업" else "출고")]
    if order.delivery_method != "픽업":
        plan.append(("delivered", "deliver_at", "배송 완료"))
    flow = ("created", "paid", "preparing", "shipped", "delivered")
    for to, key, why in plan:
        if status not in flow or flow.index(to) <= flow.index(status):
            continue   # already there (or off the delivery path: cancelled, returns)
        when = _when(order, key)
        allowed = to in TRANSITIONS.get(status, ()) and (to != "preparing" or status == "paid" or onsite)
        if when is None or when > now or not allowed:
            break
        steps.append((to, when, why))
        status = to
    return steps


def sync(db: "sqlite_utils.Database", order: Order, now: datetime | str | None = None) -> Order:
    """Apply the transitions the clock has reached (actor "system"); returns the order."""
    now = kst(now)
    if not _due_steps(order, now):
        return order

    def write() -> Order:
        current = load_order(db.conn, order.id)
        for to, when, why in _due_steps(current, now):
            transition(db.conn, current, to, actor="system", reason=why, now=now, at=when)
            current = load_order(db.conn, order.id)
        return current
    return run_write(db, write)


def owned(db: "sqlite_utils.Database", customer_id: str | None, order_id: str,
          now: datetime | str | None = None) -> Order:
    """The order if `customer_id` may act on it (None: anonymous kiosk orders only), synced
    to `now`; else `OrderNotFound`."""
    order = run_read(db, lambda: load_order(db.conn, order_id))
    if order is None or order.customer_id != customer_id:
        raise OrderNotFound(order_id)
    return sync(db, order, now)


def customer_orders(db: "sqlite_utils.Database", customer_id: str, now=None,
                    limit: int = 20) -> list[Order]:
    """A signed-in customer's orders, newest first, synced to `now`."""
    from store.orders import customer_orders as _orders

    return [sync(db, o, now) for o in _orders(db, customer_id, limit=limit)]


# ---- checkout ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """A priced proposal for the shopper to confirm: method, slot, amount, why."""

    method: str
    slot_id: str
    slot_label: str
    quote: Quote
    region: str
    address: str
    reason: str = ""                      # why this method (or why not the one asked for)
    methods: tuple[str, ...] = ()         # what the region gets
    full: str = ""                        # the asked-for slot that was full, if any
    points_balance: int = 0               # the customer's points before this order [적립금-01]

    def card(self) -> dict:
        q = self.quote
        return {"method": self.method, "slot": self.slot_id, "slot_label": self.slot_label,
                "items_total": q.items_total, "discount": q.discount, "points_used": q.points_used,
                "coupon_discount": q.coupon_discount, "delivery_coupon": q.delivery_coupon,
                "points_balance": self.points_balance, "delivery_fee": q.delivery_fee, "total": q.total,
                "address": self.address}


def _wallet(conn: sqlite3.Connection, customer_id: str | None, now: datetime) -> tuple[list[dict], int]:
    if customer_id is None:
        return [], 0
    names = ("id", "kind", "amount", "min_order", "expires_at", "used_order_id")
    coupons = [dict(zip(names, r)) for r in conn.execute(
        "SELECT id, kind, amount, min_order, expires_at, used_order_id FROM coupons "
        "WHERE customer_id = ? AND used_order_id IS NULL", (customer_id,))]
    return coupons, spendable_points(conn, customer_id, now)   # points owed are not spendable


def plan_checkout(db: "sqlite_utils.Database", customer_id: str | None, items_total: int, *,
                  region_text: str | None, method: str | None = None, store: str | None = None,
                  slot_id: str | None = None, now=None, use_points: bool = True) -> Plan:
    """Choose the method and first free slot, price the order. `method=None`: the fastest the
    region gets (pickup when the region is unknown, e.g. a kiosk). Asking for a method the
    region or clock cannot do falls back with the reason in `Plan.reason`."""
    now = kst(now)
    region = parse_region(region_text)
    available = tuple(_methods(region))
    reason = ""
    if method is None:
        method = available[0] if available else "픽업"
    elif method != "픽업" and method not in available:
        label = load_rules()["methods"][method]["label"]
        where = region.text or "주소가 없는 주문"
        fallback = available[0] if available else "픽업"
        reason = (f"{where}은(는) {label} 지역이 아니라 "
                  f"{load_rules()['methods'][fallback]['label']}으로 안내해 드려요 [배송-01].")
        method = fallback
    upcoming = list(zip(range(60), slots_from(method, now, region=region, store=store)))
    closed = closures_before(method, now, upcoming[0][1])
    if closed:   # 설날/추석: the first slot is later than usual, and the shopper is told why
        reason = (reason + " " if reason else "") + f"{closed[0]} 가장 빠른 슬롯은 {upcoming[0][1].label}이에요."
    chosen = next((s for _, s in upcoming if s.id == slot_id), upcoming[0][1])
    later = (s for _, s in upcoming if s.start >= chosen.start)
    full = ""
    free = run_read(db, lambda: first_free(db.conn, later))
    if free is not None and free.id != chosen.id:
        full = chosen.id
        reason = (reason + " " if reason else "") + (f"{chosen.label} 슬롯은 마감됐어요. "
                                                      f"다음 가능한 슬롯은 {free.label}이에요.")
        chosen = free
    if customer_id is not None and run_read(db, lambda: rewards_due(db.conn, customer_id, now)):
        run_write(db, lambda: settle_rewards(db.conn, customer_id, now))   # points, grade coupons now due
    coupons, points = run_read(db, lambda: _wallet(db.conn, customer_id, now))
    quote = price_order(items_total, method, region, coupons=coupons,
                        points=points if use_points else 0, now=now)
    address = region.text if method != "픽업" else _store_name(chosen.store)
    return Plan(method, chosen.id, chosen.label, quote, region.text, address, reason, available, full,
                points)


def _methods(region: Region) -> list[str]:
    from store.delivery import methods_for

    return methods_for(region) if region.known else []


def _store_name(store_id: str) -> str:
    from store.delivery import store_info

    return store_info(store_id)["name"]


def place_order(db: "sqlite_utils.Database", customer_id: str | None,
                items: Sequence[tuple[str, int]], catalog: Mapping, *, method: str | None = None,
                region_text: str | None = None, slot_id: str | None = None,
                store: str | None = None, provider: "PaymentProvider | None" = None,
                payment_method: str | None = None, now=None, source: str = "chat",
                use_points: bool = True) -> Order:
    """Checkout with a slot and payment. One write transaction checks stock, takes the slot
    (never oversold; `SlotFull` names the next free one), writes the order with its amount,
    sells the stock, uses coupons/points and clears the cart. Then the provider authorizes
    and captures (idempotent keys) and the order becomes `paid`; a declined payment cancels
    the order (stock and slot back) and raises `PaymentError`. Pickup orders are paid at
    the store (현장 결제) and stay `created` until then."""
    now = kst(now)
    merged = _merge(items)
    if not merged:
        raise CheckoutError("empty order", "장바구니가 비어 있습니다.")
    for pid in merged:
        if pid not in catalog:
            raise CheckoutError(f"unknown product {pid}", f"'{pid}' 상품을 찾을 수 없습니다.")
    lines = tuple(OrderItem(pid, q, int(catalog[pid].effective_price)) for pid, q in merged.items())
    items_total = sum(li.qty * li.unit_price for li in lines)
    plan = plan_checkout(db, customer_id, items_total, region_text=region_text, method=method,
                         store=store, slot_id=slot_id, now=now, use_points=use_points)
    region = parse_region(plan.region)
    if slot_id and plan.full == slot_id:   # the slot the shopper confirmed filled up meanwhile
        raise SlotFull(slot_by_id(slot_id, now, region=region), slot_by_id(plan.slot_id, now, region=region))
    slot = slot_by_id(plan.slot_id, now, region=region)
    pay_method = payment_method or (ONSITE if plan.method == "픽업" else CARD)
    ts = _iso(now)
    order_id = new_order_id(ts)

    def write() -> Order:
        conn = db.conn
        check_lines_in(conn, lines, catalog)
        take_slot(conn, slot, slots_from(plan.method, now, region=region, store=store))
        settle_rewards(conn, customer_id, now)
        coupons, points = _wallet(conn, customer_id, now)   # priced again inside the lock
        quote = price_order(items_total, plan.method, region, coupons=coupons,
                            points=points if use_points else 0, now=now)
        schedule = {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in slot.schedule.items()}
        order = Order(order_id, customer_id, ts, "created", quote.total, source, lines,
                      plan.method, slot.id, plan.address, items_total, quote.delivery_fee,
                      quote.discount, quote.points_used, pay_method, schedule, None, ts)
        insert_order(conn, order)
        conn.execute("INSERT INTO order_events (order_id, from_status, to_status, actor, reason, "
                     "created_at) VALUES (?, NULL, 'created', 'customer', ?, ?)",
                     (order_id, f"주문 접수 ({slot.label}, {quote.total:,}원)", ts))
        for li in lines:
            apply_event(conn, li.product_id, "sale", -li.qty, order_id, ts,
                        name=getattr(catalog[li.product_id], "name", ""))
        for cid in quote.coupon_ids:
            conn.execute("UPDATE coupons SET used_order_id = ? WHERE id = ?", (order_id, cid))
        if quote.points_used:
            conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) "
                         "VALUES (?, ?, ?, ?)", (customer_id, -quote.points_used, f"use:{order_id}", ts))
        if customer_id is not None:
            conn.execute("DELETE FROM cart_items WHERE customer_id = ?", (customer_id,))
        return load_order(conn, order_id)

    order = run_write(db, write)
    if pay_method == ONSITE:
        return order
    try:
        return pay(db, order.id, provider or _sandbox(db), now=now)
    except PaymentError as exc:
        _cancel(db, order, now=now, actor="payment", reason=f"결제 실패: {exc}", provider=None)
        raise


def _sandbox(db):
    from store.payment import SandboxProvider

    return SandboxProvider(db)


def payments(db: "sqlite_utils.Database", order_id: str) -> list[dict]:
    names = ("kind", "method", "amount", "status", "idempotency_key", "provider_ref", "created_at")
    return [dict(zip(names, r)) for r in db.conn.execute(
        f"SELECT {', '.join(names)} FROM payments WHERE order_id = ? ORDER BY id", (order_id,))]


def pay(db: "sqlite_utils.Database", order_id: str, provider: "PaymentProvider", *,
        now=None) -> Order:
    """Authorize and capture the order's amount, then mark it `paid`. Safe to repeat: the
    keys are `<order>:authorize` / `<order>:capture`, so a retried request returns the first
    result and the card is charged once [결제-04]; an already paid order is left as it is."""
    now = kst(now)
    order = run_read(db, lambda: load_order(db.conn, order_id))
    if order is None:
        raise OrderNotFound(order_id)
    if order.status != "created" or order.payment_method == ONSITE:
        return order
    auth = provider.authorize(order.total, key=f"{order.id}:authorize")
    cap = provider.capture(auth.ref, order.total, key=f"{order.id}:capture")

    def write() -> Order:
        conn, ts = db.conn, _iso(now)
        for kind, res in (("authorize", auth), ("capture", cap)):
            conn.execute("INSERT OR IGNORE INTO payments (order_id, kind, method, amount, status, "
                         "idempotency_key, provider, provider_ref, created_at) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (order.id, kind, order.payment_method, res.amount,
                          "authorized" if kind == "authorize" else "captured",
                          f"{order.id}:{kind}", provider.name, res.ref, ts))
        current = load_order(conn, order.id)
        if current.status == "created":
            transition(conn, current, "paid", actor="payment",
                       reason=f"결제 승인 {cap.amount:,}원 ({order.payment_method})", now=now)
        return load_order(conn, order.id)
    return run_write(db, write)


def payment_status(db: "sqlite_utils.Database", order: Order) -> dict:
    rows = payments(db, order.id)
    kinds = {r["kind"] for r in rows}
    if "refund" in kinds:
        status = "refunded"
    elif "capture" in kinds or "onsite" in kinds:
        status = "paid"
    elif order.payment_method == ONSITE:
        status = "pay_at_pickup" if order.status != "cancelled" else "none"
    else:
        status = "pending" if order.status == "created" else "none"
    return {"status": status, "method": order.payment_method or CARD,
            "charged": sum(r["amount"] for r in rows if r["kind"] in ("capture", "onsite")),
            "refunded": sum(r["amount"] for r in rows if r["kind"] == "refund")}


# ---- cancel and change -------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    order: Order
    refund: dict | None = None
    message: str = ""
    request_id: int | None = None
    extra: dict = field(default_factory=dict)


def can_cancel(order: Order, now) -> None:
    """Raise `ActionRefused` unless the order can still be cancelled [주문-01]."""
    now = kst(now)
    if order.status in ("cancelled", "refunded"):
        raise ActionRefused("주문-01", "이미 취소되었거나 환불이 끝난 주문이에요.")
    if order.status not in ("created", "paid"):
        until = _when(order, "cancel_until")
        why = "이미 출고된 주문이라"
        if order.status == "preparing":
            why = (f"취소 가능 시간({clock_ko(until)}까지)이 지나 출고 준비가 시작되어" if until
                   else "출고 준비가 시작되어")
        after = ("받으신 뒤 반품으로 진행할 수 있어요" if order.status in ("preparing", "shipped")
                 else "반품이나 교환으로 도와드릴게요")
        raise ActionRefused("주문-01", f"{why}('{status_ko(order)}') 주문을 취소할 수 없어요. "
                            f"{after} [주문-01].")
    until = _when(order, "cancel_until")
    if until is not None and now > until and order.payment_method != ONSITE:
        raise ActionRefused("주문-01", f"취소 가능 시간({clock_ko(until)}까지)이 지나 취소할 수 없어요. "
                            "받으신 뒤 반품으로 진행할 수 있어요 [주문-01].")


def _refund_payment(db, order: Order, amount: int, key_suffix: str, provider, now) -> dict:
    """Refund `amount` of the captured payment (idempotent key), recorded in `payments`."""
    paid = [r for r in payments(db, order.id) if r["kind"] == "capture"]
    method = order.payment_method or CARD
    refund = {"amount": amount, "method": method,
              "eta": f"{REFUND_TIMES.get(method, REFUND_TIMES[CARD])} [환불-01]"}
    if not paid or amount <= 0:
        return refund | {"amount": amount if paid else 0}
    key = f"{order.id}:refund:{key_suffix}"
    res = (provider or _sandbox(db)).refund(paid[0]["provider_ref"], amount, key=key)
    run_write(db, lambda: db.conn.execute(
        "INSERT OR IGNORE INTO payments (order_id, kind, method, amount, status, idempotency_key, "
        "provider, provider_ref, created_at) VALUES (?, 'refund', ?, ?, 'refunded', ?, ?, ?, ?)",
        (order.id, method, res.amount, key, getattr(provider, "name", "sandbox"), res.ref, _iso(now))))
    return refund


def _cancel(db, order: Order, *, now, actor: str, reason: str, provider) -> Outcome:
    def write() -> Order:
        conn, ts = db.conn, _iso(now)
        current = load_order(conn, order.id)
        transition(conn, current, "cancelled", actor=actor, reason=reason, now=now)
        for li in current.items:   # not shipped: every unit goes back on the shelf at once
            apply_event(conn, li.product_id, "return", li.qty, f"cancel:{current.id}", ts)
        release_slot(conn, current.slot_id)
        conn.execute("UPDATE coupons SET used_order_id = NULL WHERE used_order_id = ? AND expires_at >= ?",
                     (current.id, ts))
        if current.points_used and current.customer_id:
            conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) VALUES (?, ?, ?, ?)",
                         (current.customer_id, current.points_used, f"cancel:{current.id}", ts))
        return load_order(conn, current.id)
    cancelled = run_write(db, write)
    refund = _refund_payment(db, cancelled, cancelled.total, "cancel", provider, now)
    if cancelled.points_used:
        refund["points_restored"] = cancelled.points_used
    return Outcome(cancelled, refund)


def cancel_order(db: "sqlite_utils.Database", customer_id: str | None, order_id: str, *, now=None,
                 provider: "PaymentProvider | None" = None, reason: str = "고객 요청") -> Outcome:
    """Cancel before shipping [주문-01]: stock back through the ledger, the slot freed,
    coupons and points restored, the whole amount refunded."""
    now = kst(now)
    order = owned(db, customer_id, order_id, now)
    can_cancel(order, now)
    return _cancel(db, order, now=now, actor="customer", reason=reason, provider=provider)


def can_change_address(order: Order, now) -> datetime | None:
    """Raise `ActionRefused` unless the address can still change [배송-07, 주문-02]; returns the deadline."""
    now = kst(now)
    if order.delivery_method == "픽업":
        raise ActionRefused("픽업-01", "매장 픽업 주문은 배송지가 없어요. 픽업 매장은 바꿀 수 없어 취소 후 다시 "
                            "주문해 주세요 [주문-02].")
    if order.status not in ("created", "paid"):
        raise ActionRefused("배송-07", f"상품이 이미 출고 준비 중이거나 출고되어('{status_ko(order)}') 배송지를 "
                            "바꿀 수 없어요 [배송-07].")
    until = _when(order, "change_until")
    if until is not None and now > until:
        raise ActionRefused("배송-07", f"배송지 변경 가능 시간({clock_ko(until)}까지)이 지났어요 [배송-07].")
    return until


def change_address(db: "sqlite_utils.Database", customer_id: str | None, order_id: str,
                   address: str, *, now=None) -> Outcome:
    """New address before shipping, if the order's method reaches it [배송-01, 배송-07]."""
    from store.delivery import serves

    now = kst(now)
    order = owned(db, customer_id, order_id, now)
    can_change_address(order, now)
    address = " ".join((address or "").split())[:200]
    region = parse_region(address)
    if not region.known:
        raise ActionRefused("배송-07", "새 배송지를 '시/구'부터 알려 주세요. 예: 서울 마포구 ○○로 12")
    if not serves(order.delivery_method, region):
        label = load_rules()["methods"][order.delivery_method]["label"]
        raise ActionRefused("배송-01", f"{region.sido} {region.city}은(는) {label} 지역이 아니라 이 주문의 "
                            "배송지로 바꿀 수 없어요 [배송-01].")
    if surcharge(region)[1] != surcharge(parse_region(order.address))[1]:
        raise ActionRefused("배송-05", "제주·도서산간으로 바꾸면 배송비가 달라져요. 주문을 취소하고 다시 "
                                      "주문해 주세요 [배송-05].")

    def write() -> Order:
        current = load_order(db.conn, order.id)
        db.conn.execute("UPDATE orders SET address = ?, updated_at = ? WHERE id = ?",
                        (address, _iso(now), order.id))
        note(db.conn, current, actor="customer", reason=f"배송지 변경: {address}", now=now)
        return load_order(db.conn, order.id)
    return Outcome(run_write(db, write))


# ---- returns, claims, exchanges ---------------------------------------------------------------
KINDS = ("change_of_mind", "quality", "exchange")


def _days_since_delivery(order: Order, now: datetime) -> int:
    """Calendar days since the order was received (the day itself is 0). Orders from before
    the state machine have no delivery time: their order date stands in (never later)."""
    when = order.delivered_at or order.schedule.get("deliver_at") or order.created_at
    return (now.date() - kst(when).date()).days


def _lines(order: Order, product_ids: Sequence[str] | None, claimed: Collection[str] = ()) -> list[OrderItem]:
    """The lines asked about (all when None), less those already in a return or exchange."""
    asked = [li for li in order.items if not product_ids or li.product_id in product_ids]
    if not asked:
        raise ActionRefused("반품-01", "이 주문에는 말씀하신 상품이 없어요. 상품 이름을 다시 알려 주세요.")
    chosen = [li for li in asked if li.product_id not in claimed]
    if not chosen:
        raise ActionRefused("반품-01", "이미 반품이나 교환을 신청한 상품이에요. 진행 상황은 주문 내역에서 볼 수 있어요.")
    return chosen


def claimed_lines(db: "sqlite_utils.Database", order_id: str) -> frozenset[str]:
    """Products of the order already in a return, claim or exchange that was not rejected
    (a line is returned once; the other lines of the order stay open)."""
    return frozenset(run_read(db, lambda: _claimed(db.conn, order_id)))


def _claimed(conn: sqlite3.Connection, order_id: str, statuses=("requested", "approved", "refunded")) -> set[str]:
    marks = ", ".join("?" * len(statuses))
    rows = conn.execute(f"SELECT product_ids FROM return_requests WHERE order_id = ? AND status IN ({marks})",
                        (order_id, *statuses)).fetchall()
    return {pid for (ids,) in rows for pid in json.loads(ids)}


def _paid_share(order: Order, lines: list[OrderItem]) -> int:
    """What the customer paid for `lines`: their amount less the order's item discounts,
    split by amount [환불-02]."""
    amount = sum(li.qty * li.unit_price for li in lines)
    items_total = order.items_total or sum(li.qty * li.unit_price for li in order.items) or 1
    paid_items = order.total - order.delivery_fee
    return amount if paid_items >= items_total else round(amount * paid_items / items_total)


def return_terms(order: Order, kind: str, catalog: Mapping, *, product_ids: Sequence[str] | None = None,
                 now=None, claimed: Collection[str] = ()) -> dict:
    """Check a return / quality claim / exchange and compute its money; raise `ActionRefused`
    citing the rule. Returns {kind, product_ids, refund_amount, deduction, rule, needs_photo,
    send_back, fee}. `claimed`: products already in a request (`claimed_lines`), left out."""
    now = kst(now)
    rules = load_rules()["returns"]
    if kind not in KINDS:
        raise ValueError(f"unknown return kind {kind!r}")
    if order.status in ("created", "paid", "preparing", "shipped"):
        hint = " 아직 출고 전이면 주문 취소를 할 수 있어요." if order.status in ("created", "paid") else ""
        raise ActionRefused("반품-01", f"아직 받지 않은 주문이에요('{status_ko(order)}'). 반품과 교환은 "
                            f"받으신 뒤에 신청할 수 있어요.{hint}")
    if order.status != "delivered":
        raise ActionRefused("반품-01", f"'{status_ko(order)}' 상태의 주문이라 새로 신청할 수 없어요.")
    lines = _lines(order, product_ids, claimed)
    fresh = [li for li in lines if li.product_id in catalog and is_fresh(catalog[li.product_id])]
    days = _days_since_delivery(order, now)
    names = ", ".join(getattr(catalog.get(li.product_id), "name", li.product_id) for li in fresh)
    region_extra = surcharge(parse_region(order.address))[1]
    terms = {"kind": kind, "product_ids": [li.product_id for li in lines], "days": days,
             "needs_photo": False, "send_back": True, "fee": 0, "deduction": 0}
    if kind == "change_of_mind":
        if fresh:
            raise ActionRefused("반품-03", f"신선식품은 단순변심 반품이 안 돼요 [반품-03]. ({names}) "
                                "상품에 문제가 있었다면 받은 날을 포함해 2일 안에 사진과 함께 알려 주세요.")
        if days > rules["change_of_mind_days"]:
            raise ActionRefused("반품-01", f"받은 날부터 {rules['change_of_mind_days']}일이 지나 단순변심 반품 "
                                f"기간이 끝났어요 (받은 지 {days}일) [반품-01].")
        free = order.delivery_fee - region_extra <= 0 and order.delivery_method != "픽업"
        deduction = (rules["shipping_free_order"] if free else rules["shipping_paid_order"]) + region_extra
        if order.delivery_method == "픽업":
            deduction = 0   # returned at the store counter: no courier
        share = _paid_share(order, lines)
        terms |= {"deduction": deduction, "refund_amount": max(share - deduction, 0), "rule": "반품-05",
                  "free_delivery": free, "gross": share}
    elif kind == "quality":
        limit = rules["fresh_claim_days"] if fresh else rules["defect_days"]
        if days >= limit if fresh else days > limit:
            rule = "반품-03" if fresh else "반품-06"
            raise ActionRefused(rule, f"{'신선식품 품질 문제는 받은 날을 포함해 2일 안에' if fresh else '불량은 받은 날부터 3개월 안에'} "
                                f"알려 주셔야 해요. 받으신 지 {days}일이 지나 접수할 수 없어요 [{rule}].")
        terms |= {"needs_photo": True, "send_back": not fresh, "refund_amount": _paid_share(order, lines),
                  "rule": "반품-03" if fresh else "반품-06", "gross": _paid_share(order, lines)}
    else:
        if fresh or any(li.product_id in catalog and is_food(catalog[li.product_id]) for li in lines):
            raise ActionRefused("교환-01", "신선식품, 냉장·냉동 식품, 개봉한 식품은 교환할 수 없어요 [교환-01].")
        if days > rules["change_of_mind_days"]:
            raise ActionRefused("교환-01", f"교환은 받은 날부터 {rules['change_of_mind_days']}일 안에 신청할 수 "
                                f"있어요 (받은 지 {days}일) [교환-01].")
        terms |= {"fee": rules["exchange_shipping"] + region_extra, "refund_amount": 0, "rule": "교환-01"}
    return terms


def _food(product) -> bool:
    return product is not None and is_food(product)


def is_food(product) -> bool:
    top = (getattr(product, "category", "") or "").split("/")[0]
    return is_fresh(product) or top in ("가공식품", "간식·과자", "음료·커피·차", "건강식품")


def request_return(db: "sqlite_utils.Database", customer_id: str | None, order_id: str, kind: str,
                   catalog: Mapping, *, product_ids: Sequence[str] | None = None, reason: str = "",
                   photo: str | None = None, now=None) -> Outcome:
    """File a return (단순변심 or quality claim) or an exchange: `return_requested` /
    `exchange_requested` and a `return_requests` row for staff. A quality claim needs a photo."""
    now = kst(now)
    order = owned(db, customer_id, order_id, now)
    terms = return_terms(order, kind, catalog, product_ids=product_ids, now=now,
                         claimed=claimed_lines(db, order.id))
    if terms["needs_photo"] and not photo:
        raise ActionRefused("반품-03", "상품 전체와 문제가 있는 부분, 송장이 함께 보이는 사진을 올려 주세요 [반품-03].")

    def write() -> int:
        conn, ts = db.conn, _iso(now)
        current = load_order(conn, order.id)
        to = "exchange_requested" if kind == "exchange" else "return_requested"
        why = {"change_of_mind": "단순변심 반품 신청", "quality": "품질 문제 신고",
               "exchange": "교환 신청"}[kind] + (f": {reason}" if reason else "")
        rest = {li.product_id for li in current.items} - _claimed(conn, order.id)
        if set(terms["product_ids"]) >= rest:   # the whole (rest of the) order goes back
            transition(conn, current, to, actor="customer", reason=why, now=now)
        else:   # one line of several: the order stays as it is, the request is the record
            note(conn, current, actor="customer", now=now,
                 reason=f"일부 상품 {why} ({', '.join(terms['product_ids'])})")
        cur = conn.execute("INSERT INTO return_requests (order_id, kind, product_ids, reason, photo, "
                           "refund_amount, deduction, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (order.id, kind, json.dumps(terms["product_ids"]), reason, photo,
                            terms.get("refund_amount", 0), terms.get("deduction", 0) + terms.get("fee", 0), ts))
        return int(cur.lastrowid)
    request_id = run_write(db, write)
    return Outcome(run_read(db, lambda: load_order(db.conn, order.id)), request_id=request_id, extra=terms)


def pending_returns(db: "sqlite_utils.Database") -> list[dict]:
    """Return / claim / exchange requests waiting for staff, oldest first."""
    names = ("id", "order_id", "kind", "product_ids", "reason", "photo", "refund_amount",
             "deduction", "created_at")
    rows = db.conn.execute(f"SELECT {', '.join(names)} FROM return_requests WHERE status = 'requested' "
                           "ORDER BY id").fetchall()
    return [dict(zip(names, r)) | {"product_ids": json.loads(r[3])} for r in rows]


def decide_return(db: "sqlite_utils.Database", request_id: int, *, approve: bool, catalog: Mapping,
                  provider: "PaymentProvider | None" = None, now=None, reason: str = "") -> Outcome:
    """Staff decision after inspection. Approve: stock back only for goods that can be sold
    again, then the refund of the request's lines; an exchange ships the new item. The order
    moves only when no other request of it is waiting: `returned -> refunded` when every line
    has been returned, else back to `delivered` (a partial return keeps the order open and
    leaves its refund in the request row and the payments)."""
    now = kst(now)
    row = db.conn.execute("SELECT order_id, kind, product_ids, refund_amount, status FROM return_requests "
                          "WHERE id = ?", (request_id,)).fetchone()
    if row is None or row[4] != "requested":
        raise ActionRefused("반품-01", "처리할 반품 요청을 찾지 못했어요.")
    order_id, kind, product_ids, amount, _ = row
    product_ids = json.loads(product_ids)
    refunds = approve and kind != "exchange"

    def write() -> tuple[Order, bool]:
        conn, ts = db.conn, _iso(now)
        order = load_order(conn, order_id)
        conn.execute("UPDATE return_requests SET status = ?, decided_at = ? WHERE id = ?",
                     ("approved" if approve else "rejected", ts, request_id))
        lines = [li for li in order.items if li.product_id in product_ids]
        for li in lines if approve else ():
            product = catalog.get(li.product_id)
            if kind == "exchange":   # the returned unit back on the shelf, a new one out
                apply_event(conn, li.product_id, "return", li.qty, f"exchange-in:{order_id}", ts)
                apply_event(conn, li.product_id, "sale", -li.qty, f"exchange-out:{order_id}", ts)
            elif kind == "change_of_mind" and not (product is not None and is_fresh(product)):
                apply_event(conn, li.product_id, "return", li.qty, f"return:{order_id}", ts)
        waiting = conn.execute("SELECT COUNT(*) FROM return_requests WHERE order_id = ? AND status = "
                               "'requested'", (order_id,)).fetchone()[0]
        returned = _claimed(conn, order_id, ("approved", "refunded")) - _exchanged(conn, order_id)
        every_line = {li.product_id for li in order.items} <= returned
        why = ("반품 요청 반려" + (f": {reason}" if reason else "") if not approve else
               "교환 상품 발송 완료" if kind == "exchange" else
               "검수 완료" + ("" if kind == "change_of_mind" else " (품질 문제, 재판매 안 함)"))
        if waiting or order.status not in ("return_requested", "exchange_requested"):
            note(conn, order, actor="staff", reason=f"일부 상품 {why} ({', '.join(product_ids)})", now=now)
            return load_order(conn, order_id), False
        if every_line and refunds:
            transition(conn, order, "returned", actor="staff", reason=why, now=now)
            return load_order(conn, order_id), True
        transition(conn, order, "delivered", actor="staff", reason=why, now=now)
        return load_order(conn, order_id), False
    order, whole = run_write(db, write)
    if not refunds:
        return Outcome(order, request_id=request_id)
    refund = _refund_payment(db, order, int(amount), f"return:{request_id}", provider, now)

    def finish() -> Order:
        current = load_order(db.conn, order_id)
        if whole:
            transition(db.conn, current, "refunded", actor="staff", reason=f"환불 {int(amount):,}원", now=now)
        else:
            note(db.conn, current, actor="staff", reason=f"일부 상품 환불 {int(amount):,}원", now=now)
        db.conn.execute("UPDATE return_requests SET status = 'refunded' WHERE id = ?", (request_id,))
        back = _points_share(db.conn, current, product_ids)
        if back:   # the points part of what was paid comes back as points [환불-01, 적립금-02]
            db.conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) VALUES (?, ?, ?, ?)",
                            (current.customer_id, back, f"return:{order_id}:{request_id}", _iso(now)))
            refund["points_restored"] = back
        return load_order(db.conn, order_id)
    return Outcome(run_write(db, finish), refund, request_id=request_id)


def _points_share(conn: sqlite3.Connection, order: Order, product_ids: list[str]) -> int:
    """The points the customer paid for these lines (split by amount like the discounts
    [환불-02]); never more than the order used less what earlier returns gave back."""
    if not order.points_used or not order.customer_id:
        return 0
    amount = sum(li.qty * li.unit_price for li in order.items if li.product_id in product_ids)
    items_total = order.items_total or sum(li.qty * li.unit_price for li in order.items) or 1
    given = conn.execute("SELECT COALESCE(SUM(delta), 0) FROM point_events WHERE customer_id = ? AND ref LIKE ?",
                         (order.customer_id, f"return:{order.id}:%")).fetchone()[0]
    return max(0, min(round(order.points_used * amount / items_total), order.points_used - int(given)))


def _exchanged(conn: sqlite3.Connection, order_id: str) -> set[str]:
    rows = conn.execute("SELECT product_ids FROM return_requests WHERE order_id = ? AND kind = 'exchange'",
                        (order_id,)).fetchall()
    return {pid for (ids,) in rows for pid in json.loads(ids)}


def return_requests(db: "sqlite_utils.Database", order_id: str) -> list[dict]:
    """Every return / claim / exchange request of the order, oldest first (per-line states)."""
    names = ("id", "kind", "product_ids", "status", "refund_amount", "deduction", "created_at")
    rows = run_read(db, lambda: db.conn.execute(
        f"SELECT {', '.join(names)} FROM return_requests WHERE order_id = ? ORDER BY id", (order_id,)).fetchall())
    return [dict(zip(names, r)) | {"product_ids": json.loads(r[2])} for r in rows]


# ---- panels (profile and staff views) ---------------------------------------------------------
ACTION_LABELS = {"cancel": "주문 취소", "change_address": "배송지 변경", "return": "반품 신청",
                 "quality": "품질 문제 신고", "exchange": "교환 신청"}


def available_actions(order: Order, catalog: Mapping, now=None, claimed: Collection[str] = ()) -> list[dict]:
    """What the customer may do with `order` now: [{action, label, ok, why}] (why = the
    refusal with its rule when not ok), checked by the same code as the actions."""
    now = kst(now)
    left = [li for li in order.items if li.product_id not in claimed]
    checks = {"cancel": lambda: can_cancel(order, now),
              "change_address": lambda: can_change_address(order, now),
              "return": lambda: return_terms(order, "change_of_mind", catalog, now=now, claimed=claimed,
                                             product_ids=[li.product_id for li in left
                                                          if not is_fresh(catalog.get(li.product_id))] or None),
              "quality": lambda: return_terms(order, "quality", catalog, now=now, claimed=claimed),
              "exchange": lambda: return_terms(order, "exchange", catalog, now=now, claimed=claimed,
                                               product_ids=[li.product_id for li in left
                                                            if not _food(catalog.get(li.product_id))] or None)}
    out = []
    for action, check in checks.items():
        try:
            check()
            out.append({"action": action, "label": ACTION_LABELS[action], "ok": True, "why": ""})
        except ActionRefused as exc:
            out.append({"action": action, "label": ACTION_LABELS[action], "ok": False, "why": exc.user_message})
    return out


def order_panel(db: "sqlite_utils.Database", customer_id: str, catalog: Mapping, now=None,
                limit: int = 10) -> list[dict]:
    """The profile panel: the customer's orders (newest first) as `order_card`s with
    `status_text` and `actions` (`available_actions`)."""
    out = []
    for o in customer_orders(db, customer_id, now, limit=limit):
        lines = [{"product_id": li.product_id, "name": getattr(catalog.get(li.product_id), "name", li.product_id),
                  "qty": li.qty, "amount": li.qty * li.unit_price} for li in o.items]
        out.append(order_card(db, o) | {"text": status_text(o, now), "created_at": o.created_at, "lines": lines,
                                        "actions": available_actions(o, catalog, now, claimed_lines(db, o.id))})
    return out


def customer_wallet(db: "sqlite_utils.Database", customer_id: str, now=None) -> dict:
    """Grade, points and usable coupons, brought up to date with the clock
    (`store.rewards.settle`): what the profile panel shows before a checkout."""
    from store.rewards import wallet

    return run_write(db, lambda: wallet(db.conn, customer_id, now))


# ---- plain-Korean views -------------------------------------------------------------------------
def order_card(db: "sqlite_utils.Database", order: Order, refund: dict | None = None) -> dict:
    """The CLI JSON `order` object: id, status, slot, total, delivery_fee, payment, refund?."""
    slot = slot_by_id(order.slot_id, order.created_at, region=parse_region(order.address)) \
        if order.slot_id else None
    card = {"id": order.id, "status": order.status, "status_ko": status_ko(order),
            "slot": ({"id": slot.id, "label": slot.label, "method": order.delivery_method}
                     if slot else None),
            "total": order.total, "delivery_fee": order.delivery_fee,
            "payment": payment_status(db, order)}
    if refund is not None:
        card["refund"] = refund
    requests = return_requests(db, order.id)
    if requests:   # per-line returns, claims and exchanges (a partial return keeps the order open)
        card["returns"] = [{k: r[k] for k in ("id", "kind", "product_ids", "status", "refund_amount")}
                           for r in requests]
    return card


def status_text(order: Order, now=None) -> str:
    """"주문 어디쯤 왔어요?" in plain Korean: state, slot and ETA."""
    now = kst(now)
    state = status_ko(order)
    slot = slot_by_id(order.slot_id, order.created_at, region=parse_region(order.address)) \
        if order.slot_id else None
    text = f"주문 {order.id}은(는) 지금 '{state}' 상태예요."
    if slot is None:
        return text + f" 주문일 {order.created_at[:10]}, 결제 금액 {order.total:,}원."
    eta = _when(order, "eta")
    if order.status in ("created", "paid", "preparing", "shipped") and eta is not None:
        if order.delivery_method == "픽업":
            text += f" {slot.label}로 준비돼요."
        elif order.delivery_method == "새벽":
            text += f" {slot.label} 슬롯이고, {clock_ko(eta)} 전에 도착할 예정이에요."
        else:
            text += f" {slot.label} 슬롯이고, {clock_ko(eta)}까지 도착할 예정이에요."
    elif order.status == "delivered" and order.delivered_at:
        text += f" {clock_ko(kst(order.delivered_at))}에 배송이 끝났어요."
    return text + f" 결제 금액 {order.total:,}원."


__all__ = ["STATES", "TRANSITIONS", "STATUS_KO", "ActionRefused", "TransitionError", "Plan", "Outcome",
           "place_order", "plan_checkout", "pay", "cancel_order", "change_address", "request_return",
           "return_terms", "decide_return", "pending_returns", "order_card", "status_text", "sync",
           "owned", "events", "payments", "customer_orders", "is_fresh", "KST", "available_actions",
           "order_panel", "claimed_lines", "return_requests", "customer_wallet"]
