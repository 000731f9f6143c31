"""Points and coupons customers earn, by the written rules [적립금-01, 멤버십-01].

The numbers are data (`data/store/benefits.json`, checked against the policy text by
`tests/test_store_rewards.py`); what a customer holds is rows of the migrations' tables:
`point_events` (ref `earn:<order id>`) and `coupons` (id `<customer>-<YYYYMM>-<kind>-<n>`).
`settle(conn, customer_id, now)` writes what the clock has made due, inside the caller's
write transaction and idempotently, so every quote, checkout and profile panel is current:

- a delivered order is confirmed 7 days after delivery (구매확정, automatic [적립금-01]) and
  earns its grade's rate of what was actually paid less refunds, rounded down to 1원;
- the grade of a month comes from the confirmed purchases of the three months before its
  1st day [멤버십-01]; 골드 and VIP get that month's coupons once (free delivery ×2, VIP also
  5,000원 ×2), expiring at the month's end.

Using them is `store.payment.price_order`'s job (one product + one delivery coupon [쿠폰-01],
points in 1원 units, also on the delivery fee [적립금-01]). Leaves out: review points, birthday
and sign-up coupons (no birthday or sign-up date in the data), the 1-year points expiry
[적립금-02] and taking back points of an order refunded after it was confirmed.

Example:
    >>> from datetime import date
    >>> month_window(date(2026, 11, 26))
    (datetime.date(2026, 8, 1), datetime.date(2026, 11, 1))
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from store.delivery import KST, kst

BENEFITS_PATH = Path(__file__).resolve().parent.parent / "data" / "store" / "benefits.json"


@lru_cache(maxsize=4)
def load_benefits(path: str | Path = BENEFITS_PATH) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Grade:
    name: str
    rate_permille: int
    basis: int            # confirmed purchases of the three months that set it

    @property
    def rate_ko(self) -> str:
        return f"{self.rate_permille / 10:g}%"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_window(day: date, months: int | None = None) -> tuple[date, date]:
    """[first day, end) of the months whose confirmed purchases set `day`'s grade."""
    months = months or int(load_benefits()["grade_months"])
    start = day.replace(day=1)
    return _add_months(start, -months), start


def grade_for(confirmed: list[tuple[datetime, int]], day: date) -> Grade:
    """The grade on `day` from (confirmed at, amount) pairs [멤버십-01]."""
    lo, hi = month_window(day)
    basis = sum(amount for at, amount in confirmed if lo <= at.date() < hi)
    spec = next(g for g in load_benefits()["grades"] if basis >= g["min"])
    return Grade(spec["name"], int(spec["rate_permille"]), basis)


def _received(order) -> datetime:
    return kst(order.delivered_at or order.schedule.get("deliver_at") or order.created_at)


def _customer_orders(conn: sqlite3.Connection, customer_id: str, now: datetime) -> list:
    """The customer's orders with the clock's due transitions applied (same transaction)."""
    from store.lifecycle import _due_steps, transition
    from store.orders import customer_order_ids, load_order

    out = []
    for order_id in customer_order_ids(conn, customer_id):
        order = load_order(conn, order_id)
        for to, when, why in _due_steps(order, now):
            transition(conn, order, to, actor="system", reason=why, now=now, at=when)
            order = load_order(conn, order_id)
        out.append(order)
    return out


def confirmed_purchases(conn: sqlite3.Connection, customer_id: str, now) -> list[tuple[datetime, int, str]]:
    """(confirmed at, amount paid less refunds, order id) of every confirmed purchase by `now`:
    delivered, 7 days past delivery, no return request waiting [적립금-01]."""
    now = kst(now)
    days = int(load_benefits()["auto_confirm_days"])
    waiting = {r[0] for r in conn.execute(
        "SELECT DISTINCT r.order_id FROM return_requests r JOIN orders o ON o.id = r.order_id "
        "WHERE o.customer_id = ? AND r.status = 'requested'", (customer_id,))}
    refunded = dict(conn.execute(
        "SELECT p.order_id, SUM(p.amount) FROM payments p JOIN orders o ON o.id = p.order_id "
        "WHERE o.customer_id = ? AND p.kind = 'refund' GROUP BY p.order_id", (customer_id,)).fetchall())
    out = []
    for order in _customer_orders(conn, customer_id, now):
        at = _received(order) + timedelta(days=days)
        if order.status == "delivered" and at <= now and order.id not in waiting:
            out.append((at, max(0, int(order.total) - int(refunded.get(order.id, 0))), order.id))
    return sorted(out)


def _month_end(day: date) -> str:
    end = datetime.combine(_add_months(day.replace(day=1), 1), datetime.min.time(), tzinfo=KST)
    return (end - timedelta(seconds=1)).isoformat(timespec="seconds")


def settle(conn: sqlite3.Connection, customer_id: str | None, now=None) -> Grade | None:
    """Write the points and grade coupons due at `now` (inside the caller's write
    transaction; repeating it adds nothing). Returns the customer's grade this month."""
    if not customer_id or conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        return None
    now = kst(now)
    confirmed = confirmed_purchases(conn, customer_id, now)
    pairs = [(at, amount) for at, amount, _ in confirmed]
    earned = {r[0] for r in conn.execute("SELECT ref FROM point_events WHERE customer_id = ? AND ref LIKE "
                                         "'earn:%'", (customer_id,))}
    for at, amount, order_id in confirmed:
        points = amount * grade_for(pairs, at.date()).rate_permille // 1000
        if points > 0 and f"earn:{order_id}" not in earned:
            conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) VALUES (?, ?, ?, ?)",
                         (customer_id, points, f"earn:{order_id}", at.isoformat(timespec="seconds")))
    grade = grade_for(pairs, now.date())
    for spec in load_benefits()["monthly_coupons"].get(grade.name, []):
        for n in range(1, int(spec["count"]) + 1):
            conn.execute("INSERT OR IGNORE INTO coupons (id, customer_id, kind, amount, min_order, expires_at) "
                         "VALUES (?, ?, ?, ?, 0, ?)",
                         (f"{customer_id}-{now:%Y%m}-{spec['kind']}-{n}", customer_id, spec["kind"],
                          int(spec["amount"]), _month_end(now.date())))
    return grade


def wallet(conn: sqlite3.Connection, customer_id: str, now=None) -> dict:
    """What the profile panel shows: grade, points balance and the usable coupons, after
    `settle` (so: inside a write transaction, e.g. `database.run_write`)."""
    now = kst(now)
    grade = settle(conn, customer_id, now) or grade_for([], now.date())
    points = conn.execute("SELECT COALESCE(SUM(delta), 0) FROM point_events WHERE customer_id = ?",
                          (customer_id,)).fetchone()[0]
    names = ("id", "kind", "amount", "min_order", "expires_at")
    coupons = [dict(zip(names, r)) for r in conn.execute(
        "SELECT id, kind, amount, min_order, expires_at FROM coupons WHERE customer_id = ? "
        "AND used_order_id IS NULL ORDER BY expires_at, id", (customer_id,))]
    coupons = [c for c in coupons if kst(c["expires_at"]) >= now]
    return {"grade": grade.name, "rate": grade.rate_ko, "points": int(points), "coupons": coupons}


def coupon_label(coupon: dict) -> str:
    """"무료배송 쿠폰 (11/30까지)", "5,000원 할인 쿠폰 (최소 30,000원, 11/30까지)"."""
    until = kst(coupon["expires_at"])
    what = "무료배송 쿠폰" if coupon["kind"] == "delivery" else f"{int(coupon['amount']):,}원 할인 쿠폰"
    minimum = f"최소 {int(coupon['min_order']):,}원, " if coupon.get("min_order") else ""
    return f"{what} ({minimum}{until.month}/{until.day}까지)"


__all__ = ["Grade", "load_benefits", "grade_for", "month_window", "confirmed_purchases", "settle", "wallet",
           "coupon_label"]
