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

- points last a year from the day they were earned and are used oldest first; what is left
  of a lot at its end is written off (`expire:<lot>`); points given back by a cancel keep
  their lots' end dates, or get 7 days from the day they came back when those have passed
  [적립금-02] (`point_lots`); a returned line gives back its share of the points paid
  (`return:<order id>:<request>`, written by `store.lifecycle.decide_return`) [환불-01];
- an order refunded after its points were earned gives back the same share of them
  (`clawback:<order id>:<n>`), so a return cannot keep points for money refunded.

Using them is `store.payment.price_order`'s job (one product + one delivery coupon [쿠폰-01],
points in 1원 units, also on the delivery fee [적립금-01]). Leaves out: review points, birthday
and sign-up coupons (no birthday or sign-up date in the data). The 30-day expiry notice
[적립금-02] is `wallet()["expiring"]`, shown in the profile panel; there is no app push or e-mail.

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


def _customer_orders(conn: sqlite3.Connection, customer_id: str, now: datetime, write: bool = True) -> list:
    """The customer's orders with the clock's due transitions applied (same transaction);
    `write=False` only looks: None when a transition is due (then `settle` must write)."""
    from store.lifecycle import _due_steps, transition
    from store.orders import customer_order_ids, load_order

    out = []
    for order_id in customer_order_ids(conn, customer_id):
        order = load_order(conn, order_id)
        for to, when, why in _due_steps(order, now):
            if not write:
                return None
            transition(conn, order, to, actor="system", reason=why, now=now, at=when)
            order = load_order(conn, order_id)
        out.append(order)
    return out


def _confirmed(conn: sqlite3.Connection, customer_id: str, orders: list, now: datetime) -> list:
    days = int(load_benefits()["auto_confirm_days"])
    waiting = {r[0] for r in conn.execute(
        "SELECT DISTINCT r.order_id FROM return_requests r JOIN orders o ON o.id = r.order_id "
        "WHERE o.customer_id = ? AND r.status = 'requested'", (customer_id,))}
    refunded = dict(conn.execute(
        "SELECT p.order_id, SUM(p.amount) FROM payments p JOIN orders o ON o.id = p.order_id "
        "WHERE o.customer_id = ? AND p.kind = 'refund' GROUP BY p.order_id", (customer_id,)).fetchall())
    out = []
    for order in orders:
        at = _received(order) + timedelta(days=days)
        if order.status == "delivered" and at <= now and order.id not in waiting:
            out.append((at, max(0, int(order.total) - int(refunded.get(order.id, 0))), order.id))
    return sorted(out)


def confirmed_purchases(conn: sqlite3.Connection, customer_id: str, now) -> list[tuple[datetime, int, str]]:
    """(confirmed at, amount paid less refunds, order id) of every confirmed purchase by `now`:
    delivered, 7 days past delivery, no return request waiting [적립금-01]."""
    now = kst(now)
    return _confirmed(conn, customer_id, _customer_orders(conn, customer_id, now), now)


@dataclass
class Lot:
    """Points earned (or given back) together: `left` of them usable until `expires`."""
    ref: str
    earned: datetime          # the day they were first earned: the order of use [적립금-02]
    expires: datetime
    left: int


def _plus_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:        # 29 Feb
        return at.replace(year=at.year + years, day=28)


def point_lots(conn: sqlite3.Connection, customer_id: str) -> tuple[list[Lot], int]:
    """Replay the customer's point events: (lots with what is left of each, points owed).

    Every spending event (use, expiry, clawback) takes from the oldest lots first; a cancel
    or a return gives back the very lots its order used, with their end dates, or 7 days from the day
    they came back when those have passed [적립금-02]. Points taken back beyond what is left
    are owed and come off the next points earned."""
    rules = load_benefits()
    years, grace = int(rules["points_valid_years"]), timedelta(days=int(rules["restored_points_days"]))
    lots: list[Lot] = []
    used_by: dict[str, list[tuple[Lot, int]]] = {}
    owed = 0
    rows = conn.execute("SELECT delta, ref, created_at FROM point_events WHERE customer_id = ? "
                        "ORDER BY created_at, id", (customer_id,)).fetchall()
    for delta, ref, created in rows:
        at = kst(created)
        if delta > 0:
            # a cancel or a return gives back the lots its order used, oldest first
            parts = used_by.get(ref.split(":")[1], []) if ref.startswith(("cancel:", "return:")) else []
            new = []
            rest = delta
            while parts and rest:
                lot, amount = parts[0]
                take = min(amount, rest)
                rest -= take
                parts[0] = (lot, amount - take)
                if not parts[0][1]:
                    parts.pop(0)
                new.append(Lot(ref, lot.earned, max(lot.expires, at + grace), take))
            if rest:
                new.append(Lot(ref, at, _plus_years(at, years), rest))
            for lot in new:
                paid = min(owed, lot.left)
                owed -= paid
                lot.left -= paid
            lots.extend(new)
        elif delta < 0:
            need, taken = -delta, []
            for lot in sorted((x for x in lots if x.left > 0), key=lambda x: x.earned):
                take = min(lot.left, need)
                lot.left -= take
                need -= take
                taken.append((lot, take))
                if not need:
                    break
            owed += need
            if ref.startswith("use:"):
                used_by[ref[4:]] = taken
    return lots, owed


def spendable_points(conn: sqlite3.Connection, customer_id: str, now: datetime) -> int:
    """The one points balance (quote, checkout and the profile panel all read it): what is
    left of the lots that have not ended by `now`. Points owed leave every lot empty."""
    return _left(point_lots(conn, customer_id)[0], now)


def _left(lots: list[Lot], now: datetime) -> int:
    return int(sum(lot.left for lot in lots if lot.expires > now))


def _expiries(conn: sqlite3.Connection, customer_id: str, now: datetime) -> list[tuple]:
    """Point rows writing off what is left of the lots that ended by `now` (dated at the end)."""
    lots, _ = point_lots(conn, customer_id)
    return [(customer_id, -lot.left, f"expire:{lot.ref}:{lot.expires.date().isoformat()}",
             lot.expires.isoformat(timespec="seconds"))
            for lot in sorted(lots, key=lambda x: x.expires) if lot.left > 0 and lot.expires <= now]


def _clawbacks(conn: sqlite3.Connection, customer_id: str, now: datetime) -> list[tuple]:
    """Point rows taking back the share of earned points whose money was refunded afterwards."""
    earned: dict[str, list] = {}
    for delta, ref, created in conn.execute(
            "SELECT delta, ref, created_at FROM point_events WHERE customer_id = ? AND "
            "(ref LIKE 'earn:%' OR ref LIKE 'clawback:%')", (customer_id,)):
        order_id = ref.split(":")[1]
        entry = earned.setdefault(order_id, [0, 0, None])
        if ref.startswith("earn:"):
            entry[0], entry[2] = delta, created
        else:
            entry[1] += delta
    if not earned:
        return []
    totals = dict(conn.execute("SELECT id, total FROM orders WHERE customer_id = ?", (customer_id,)).fetchall())
    refunds: dict[str, list] = {}
    for order_id, created, amount in conn.execute(
            "SELECT p.order_id, p.created_at, p.amount FROM payments p JOIN orders o ON o.id = p.order_id "
            "WHERE o.customer_id = ? AND p.kind = 'refund'", (customer_id,)):
        refunds.setdefault(order_id, []).append((created, amount))
    counts = {}
    for (ref,) in conn.execute("SELECT ref FROM point_events WHERE customer_id = ? AND ref LIKE 'clawback:%'",
                               (customer_id,)):
        counts[ref.split(":")[1]] = counts.get(ref.split(":")[1], 0) + 1
    out = []
    for order_id, (earn, taken, at) in earned.items():
        if earn <= 0 or at is None or order_id not in totals or order_id not in refunds:
            continue
        total, paid_back = int(totals[order_id]), refunds[order_id]
        base = max(0, total - sum(a for t, a in paid_back if kst(t) <= kst(at)))
        keep = earn * max(0, total - sum(a for _, a in paid_back)) // base if base else 0
        due = earn + taken - keep
        if due > 0:
            out.append((customer_id, -due, f"clawback:{order_id}:{counts.get(order_id, 0) + 1}",
                        now.isoformat(timespec="seconds")))
    return out


def _month_end(day: date) -> str:
    end = datetime.combine(_add_months(day.replace(day=1), 1), datetime.min.time(), tzinfo=KST)
    return (end - timedelta(seconds=1)).isoformat(timespec="seconds")


def _todo(conn: sqlite3.Connection, customer_id: str, confirmed: list, now: datetime) -> tuple[list, list, Grade]:
    """(point rows, coupon rows) not written yet, and this month's grade."""
    pairs = [(at, amount) for at, amount, _ in confirmed]
    earned = {r[0] for r in conn.execute("SELECT ref FROM point_events WHERE customer_id = ? AND ref LIKE "
                                         "'earn:%'", (customer_id,))}
    points = [(customer_id, amount * grade_for(pairs, at.date()).rate_permille // 1000, f"earn:{order_id}",
               at.isoformat(timespec="seconds")) for at, amount, order_id in confirmed
              if f"earn:{order_id}" not in earned]
    grade = grade_for(pairs, now.date())
    held = {r[0] for r in conn.execute("SELECT id FROM coupons WHERE customer_id = ?", (customer_id,))}
    coupons = [(f"{customer_id}-{now:%Y%m}-{spec['kind']}-{n}", customer_id, spec["kind"], int(spec["amount"]),
                _month_end(now.date()))
               for spec in load_benefits()["monthly_coupons"].get(grade.name, [])
               for n in range(1, int(spec["count"]) + 1)]
    return [p for p in points if p[1] > 0], [c for c in coupons if c[0] not in held], grade


def due(conn: sqlite3.Connection, customer_id: str | None, now=None) -> bool:
    """True when `settle` would write something (read only: lets a quote skip the write)."""
    if not customer_id or conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        return False
    now = kst(now)
    orders = _customer_orders(conn, customer_id, now, write=False)
    if orders is None:
        return True
    points, coupons, _ = _todo(conn, customer_id, _confirmed(conn, customer_id, orders, now), now)
    return bool(points or coupons or _clawbacks(conn, customer_id, now) or _expiries(conn, customer_id, now))


def settle(conn: sqlite3.Connection, customer_id: str | None, now=None) -> Grade | None:
    """Write the points and grade coupons due at `now` (inside the caller's write
    transaction; repeating it adds nothing). Returns the customer's grade this month."""
    if not customer_id or conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        return None
    now = kst(now)
    points, coupons, grade = _todo(conn, customer_id, confirmed_purchases(conn, customer_id, now), now)
    insert = "INSERT INTO point_events (customer_id, delta, ref, created_at) VALUES (?, ?, ?, ?)"
    conn.executemany(insert, points)
    conn.executemany(insert, _clawbacks(conn, customer_id, now))
    conn.executemany(insert, _expiries(conn, customer_id, now))   # after the clawbacks: they take first
    conn.executemany("INSERT OR IGNORE INTO coupons (id, customer_id, kind, amount, min_order, expires_at) "
                     "VALUES (?, ?, ?, ?, 0, ?)", coupons)
    return grade


def wallet(conn: sqlite3.Connection, customer_id: str, now=None) -> dict:
    """What the profile panel shows: grade, points balance and the usable coupons, after
    `settle` (so: inside a write transaction, e.g. `database.run_write`)."""
    now = kst(now)
    grade = settle(conn, customer_id, now) or grade_for([], now.date())
    lots, owed = point_lots(conn, customer_id)
    points = _left(lots, now)
    notice = now + timedelta(days=int(load_benefits()["expiry_notice_days"]))
    ending: dict[date, int] = {}
    for lot in lots:
        if lot.left > 0 and now < lot.expires <= notice:   # 소멸 30일 전 안내 [적립금-02]
            ending[lot.expires.date()] = ending.get(lot.expires.date(), 0) + lot.left
    names = ("id", "kind", "amount", "min_order", "expires_at")
    coupons = [dict(zip(names, r)) for r in conn.execute(
        "SELECT id, kind, amount, min_order, expires_at FROM coupons WHERE customer_id = ? "
        "AND used_order_id IS NULL ORDER BY expires_at, id", (customer_id,))]
    coupons = [c for c in coupons if kst(c["expires_at"]) >= now]
    return {"grade": grade.name, "rate": grade.rate_ko, "points": int(points), "points_owed": int(owed),
            "expiring": [{"date": d.isoformat(), "points": n} for d, n in sorted(ending.items())],
            "coupons": coupons}


def coupon_label(coupon: dict) -> str:
    """"무료배송 쿠폰 (11/30까지)", "5,000원 할인 쿠폰 (최소 30,000원, 11/30까지)"."""
    until = kst(coupon["expires_at"])
    what = "무료배송 쿠폰" if coupon["kind"] == "delivery" else f"{int(coupon['amount']):,}원 할인 쿠폰"
    minimum = f"최소 {int(coupon['min_order']):,}원, " if coupon.get("min_order") else ""
    return f"{what} ({minimum}{until.month}/{until.day}까지)"


def bench(db_path: str, customer_id: str, now: str, calls: int = 20) -> dict:
    """Median ms of a quote (with the read-only `due` check; nothing due) and of the same quote
    without the rewards (same run), `settle` alone, the panel; and one quote whose settlement
    is due (it writes). Works on `db_path` (one earn row is deleted and written back)."""
    import statistics
    import time

    from database import open_database, run_write
    from store import lifecycle as lc

    db = open_database(db_path)

    def median_ms(fn) -> float:
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(times), 2)

    region = db.conn.execute("SELECT region FROM customers WHERE id = ?", (customer_id,)).fetchone()[0]
    quote = lambda: lc.plan_checkout(db, customer_id, 25_000, region_text=region, now=now)  # noqa: E731
    out = {"orders": db.conn.execute("SELECT COUNT(*) FROM orders WHERE customer_id = ?",
                                     (customer_id,)).fetchone()[0],
           "quote_ms": median_ms(quote),
           "settle_ms": median_ms(lambda: run_write(db, lambda: settle(db.conn, customer_id, now))),
           "panel_ms": median_ms(lambda: lc.order_panel(db, customer_id, {}, now))}
    kept = lc.rewards_due
    lc.rewards_due = lambda conn, cid, moment: False   # the quote as before rewards: no check, no write
    try:
        out["quote_without_rewards_ms"] = median_ms(quote)
    finally:
        lc.rewards_due = kept
    with db.conn:   # a due settlement (the worst case of a quote): one earn row is written again
        db.conn.execute("DELETE FROM point_events WHERE id = (SELECT MAX(id) FROM point_events "
                        "WHERE customer_id = ? AND ref LIKE 'earn:%')", (customer_id,))
    start = time.perf_counter()
    quote()
    out["quote_with_a_due_settlement_ms"] = round((time.perf_counter() - start) * 1000, 2)
    out["wallet"] = lc.customer_wallet(db, customer_id, now)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m store.rewards --db var/jangbogi.db --customer C002 --now 2026-11-26T20:00`:
    the customer's grade, points and coupons (written if due), with `--bench` the timings."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m store.rewards", description="등급·적립금·쿠폰 확인")
    parser.add_argument("--db", required=True)
    parser.add_argument("--customer", required=True)
    parser.add_argument("--now", default=None, help="ISO time (KST when no zone); default: the clock")
    parser.add_argument("--bench", action="store_true", help="median ms of quote/settle/panel (20 calls)")
    args = parser.parse_args(argv)
    if args.bench:
        print(json.dumps(bench(args.db, args.customer, args.now), ensure_ascii=False, indent=2))
        return 0
    from database import open_database
    from store.lifecycle import customer_wallet

    print(json.dumps(customer_wallet(open_database(args.db), args.customer, args.now), ensure_ascii=False, indent=2),
          file=sys.stdout)
    return 0


__all__ = ["Grade", "Lot", "point_lots", "load_benefits", "grade_for", "month_window", "confirmed_purchases", "settle", "due", "wallet",
           "coupon_label"]


if __name__ == "__main__":
    raise SystemExit(main())
