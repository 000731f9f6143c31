"""Points and coupons customers earn (store.rewards): numbers from the help center, earned
on confirmed purchases by grade, grade coupons once a month, used at checkout by the rules
of 쿠폰-01 / 적립금-01, given back on a cancel; a partial return keeps the order open."""

from __future__ import annotations

import re

import pytest

from database import open_database, run_write
from store import lifecycle as lc
from store.rewards import load_benefits, settle
from store.stock import StockLedger
from tests.test_store_lifecycle import CAT

BENEFITS = load_benefits()


@pytest.fixture
def db():
    from profiles import ProfileStore

    db = open_database(":memory:")
    store = ProfileStore(db, auto_migrate=False)
    store.add_customer("C1", "김하늘", region="서울 마포구")
    store.add_customer("C2", "박하나", region="서울 마포구")
    for month, day in (("08", 10), ("09", 10), ("10", 10)):   # 250,000원 a month, delivered (seed history)
        store.record_order("C1", [("S", 5, 50_000)], order_id=f"O-{month}", total=250_000, status="배송완료",
                           source="seed", created_at=f"2026-{month}-{day}T10:00:00+09:00")
    ledger = StockLedger(db)
    for pid in CAT:
        ledger.receive(pid, 10)
    return db


def _field(path: str):
    value = BENEFITS
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_every_benefit_number_is_in_the_policy_it_cites(repo_root):
    from store.catalog import load_policies

    policies = {p.id: re.sub(r"\s+", " ", p.body) for p in load_policies(repo_root / "data" / "policies")}
    for ev in BENEFITS["evidence"]:
        value = _field(ev["field"])
        shown = [f"{value / 10:g}%"] if ev["field"].endswith("rate_permille") else \
            [f"{value // 10_000}만 원", f"{value:,}원", f"{value}장", f"{value}일", f"{value}개월", f"{value}년"]
        assert ev["text"] in policies[ev["policy"]], ev
        assert any(s in ev["text"] for s in shown), ev
    assert {g["name"] for g in BENEFITS["grades"]} == {"일반", "실버", "골드", "VIP"}


def _points(db, cid="C1") -> int:
    return db.conn.execute("SELECT COALESCE(SUM(delta), 0) FROM point_events WHERE customer_id = ?",
                           (cid,)).fetchone()[0]


def test_points_are_earned_by_grade_when_the_purchase_is_confirmed(db):
    # Aug: no history -> 일반 0.5%; Sep: Aug's 250,000 -> 실버 1%; Oct: 500,000 -> 골드 2% [적립금-01, 멤버십-01]
    grade = run_write(db, lambda: settle(db.conn, "C1", "2026-10-16T10:00"))   # Oct order not confirmed yet
    assert _points(db) == 1_250 + 2_500 and grade.name == "골드"
    grade = run_write(db, lambda: settle(db.conn, "C1", "2026-11-26T10:00"))
    assert _points(db) == 1_250 + 2_500 + 5_000 and grade.name == "VIP" and grade.basis == 750_000
    run_write(db, lambda: settle(db.conn, "C1", "2026-11-27T10:00"))           # repeating adds nothing
    assert _points(db) == 8_750
    refs = [r[0] for r in db.conn.execute("SELECT ref FROM point_events ORDER BY id")]
    assert refs == ["earn:O-08", "earn:O-09", "earn:O-10"]
    # 골드 in October: 2 free-delivery coupons; VIP in November: 2 more and 2 of 5,000원, once each,
    # to the month's end
    coupons = db.conn.execute("SELECT kind, amount, expires_at FROM coupons WHERE customer_id = 'C1' "
                              "ORDER BY id").fetchall()
    assert sorted(coupons) == [("delivery", 3500, "2026-10-31T23:59:59+09:00")] * 2 + \
        [("delivery", 3500, "2026-11-30T23:59:59+09:00")] * 2 + [("product", 5000, "2026-11-30T23:59:59+09:00")] * 2
    assert run_write(db, lambda: settle(db.conn, "C2", "2026-11-26T10:00")).name == "일반"
    assert db.conn.execute("SELECT COUNT(*) FROM coupons WHERE customer_id = 'C2'").fetchone()[0] == 0


def test_a_new_order_earns_seven_days_after_delivery(db):
    order = lc.place_order(db, "C2", [("T", 1)], CAT, region_text="서울 마포구", now="2026-11-26T20:00")
    assert order.total == 28_500                                   # 새벽 fee under 40,000원
    run_write(db, lambda: settle(db.conn, "C2", "2026-12-04T06:00"))   # delivered 11/27 06:30: not 7 days yet
    assert _points(db, "C2") == 0
    run_write(db, lambda: settle(db.conn, "C2", "2026-12-04T07:00"))
    assert _points(db, "C2") == 28_500 * 5 // 1000                # 일반 0.5%, rounded down to 1원


def test_checkout_uses_one_coupon_of_each_kind_and_points_only_when_asked(db):
    plan = lc.plan_checkout(db, "C1", 25_000, region_text="서울 마포구", method="새벽",
                            now="2026-11-26T20:00", use_points=False)
    q = plan.quote   # one product coupon (5,000) and one delivery coupon (the 3,500 fee) [쿠폰-01]
    assert (q.coupon_discount, q.delivery_coupon, q.delivery_fee, q.points_used, q.total) == (5000, 3500, 0, 0, 20_000)
    assert plan.points_balance == 8_750 and "상품 쿠폰 -5,000원" in q.lines_ko()
    order = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", method="새벽",
                           now="2026-11-26T20:00", use_points=True)
    # 25,000 - 5,000 coupon - 8,750 points (1원 units, no minimum) [적립금-01]; 11,250 < 40,000: fee, then coupon
    assert (order.discount, order.points_used, order.delivery_fee, order.total) == (8_500, 8_750, 0, 11_250)
    assert _points(db) == 0
    used = db.conn.execute("SELECT COUNT(*) FROM coupons WHERE used_order_id = ?", (order.id,)).fetchone()[0]
    assert used == 2
    again = lc.plan_checkout(db, "C1", 25_000, region_text="서울 마포구", method="새벽", now="2026-11-26T20:05")
    assert again.quote.coupon_discount == 5000 and again.quote.delivery_coupon == 3500   # the second pair
    lc.cancel_order(db, "C1", order.id, now="2026-11-26T20:10")
    assert _points(db) == 8_750                                    # given back on a cancel [적립금-02]
    wallet = lc.customer_wallet(db, "C1", "2026-11-26T20:10")
    assert wallet["grade"] == "VIP" and wallet["points"] == 8_750 and len(wallet["coupons"]) == 4


def test_a_partial_return_keeps_the_order_and_refunds_only_that_line(db):
    order = lc.place_order(db, "C2", [("T", 1), ("S", 1)], CAT, region_text="서울 마포구", now="2026-11-26T20:00")
    assert order.total == 71_000 and order.delivery_fee == 0
    ret = lc.request_return(db, "C2", order.id, "change_of_mind", CAT, product_ids=["T"], now="2026-11-28T10:00")
    assert ret.order.status == "delivered" and ret.extra["refund_amount"] == 25_000 - 6_000
    with pytest.raises(lc.ActionRefused) as twice:                 # the same line cannot be returned twice
        lc.request_return(db, "C2", order.id, "change_of_mind", CAT, product_ids=["T"], now="2026-11-28T10:05")
    assert "이미" in twice.value.user_message
    out = lc.decide_return(db, ret.request_id, approve=True, catalog=CAT, now="2026-11-29T10:00")
    assert out.order.status == "delivered" and out.refund["amount"] == 19_000
    assert StockLedger(db).level("T") == 10 and StockLedger(db).level("S") == 9
    card = lc.order_card(db, out.order)
    assert card["payment"]["refunded"] == 19_000 and card["returns"][0]["status"] == "refunded"
    (panel,) = lc.order_panel(db, "C2", CAT, "2026-11-29T10:00")
    assert {a["action"]: a["ok"] for a in panel["actions"]}["return"] is True     # the detergent is still open
    rest = lc.request_return(db, "C2", order.id, "change_of_mind", CAT, now="2026-11-29T11:00")
    assert rest.order.status == "return_requested" and rest.extra["product_ids"] == ["S"]
    done = lc.decide_return(db, rest.request_id, approve=True, catalog=CAT, now="2026-11-30T10:00")
    assert done.order.status == "refunded"                         # every line back: the whole order
    assert lc.payment_status(db, done.order)["refunded"] == 19_000 + 40_000
    # a rejected partial claim leaves the order delivered
    other = lc.place_order(db, "C2", [("T", 1), ("S", 1)], CAT, region_text="서울 마포구", now="2026-11-26T20:00")
    claim = lc.request_return(db, "C2", other.id, "change_of_mind", CAT, product_ids=["S"], now="2026-11-28T10:00")
    no = lc.decide_return(db, claim.request_id, approve=False, catalog=CAT, now="2026-11-28T12:00")
    assert no.order.status == "delivered" and lc.claimed_lines(db, other.id) == frozenset()


def _event(db, delta: int, ref: str, at: str, cid: str = "C1") -> None:
    with db.conn:
        db.conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) VALUES (?, ?, ?, ?)",
                        (cid, delta, ref, at))


def test_points_expire_a_year_after_they_were_earned_oldest_used_first(db):
    from store.rewards import wallet

    _event(db, 1_000, "earn:A", "2025-03-01T10:00:00+09:00", "C2")
    _event(db, 500, "earn:B", "2025-06-01T10:00:00+09:00", "C2")
    _event(db, -800, "use:X", "2025-07-01T10:00:00+09:00", "C2")     # takes 800 of A (oldest first) [적립금-02]
    # 2026-02-10: A's 200 end within 30 days -> the panel says so; nothing written yet
    w = run_write(db, lambda: wallet(db.conn, "C2", "2026-02-10T10:00"))
    assert w["points"] == 700 and w["expiring"] == [{"date": "2026-03-01", "points": 200}]
    assert _points(db, "C2") == 700
    # 2026-03-02: A's 200 are written off at their end; B's 500 still usable until 2026-06-01
    w = run_write(db, lambda: wallet(db.conn, "C2", "2026-03-02T10:00"))
    assert w["points"] == 500 and _points(db, "C2") == 500
    rows = db.conn.execute("SELECT delta, ref, created_at FROM point_events WHERE ref LIKE 'expire:%'").fetchall()
    assert rows == [(-200, "expire:earn:A:2026-03-01", "2026-03-01T10:00:00+09:00")]
    run_write(db, lambda: settle(db.conn, "C2", "2026-03-03T10:00"))     # repeating writes nothing
    assert _points(db, "C2") == 500
    run_write(db, lambda: settle(db.conn, "C2", "2026-06-02T10:00"))
    assert _points(db, "C2") == 0


def test_the_quote_and_the_panel_read_one_balance_even_before_an_expiry_is_written(db):
    from store.lifecycle import _wallet
    from store.rewards import wallet

    _event(db, 1_000, "earn:A", "2025-03-01T10:00:00+09:00", "C2")
    _event(db, 500, "earn:B", "2025-06-01T10:00:00+09:00", "C2")
    # A ended on 2026-03-01; nothing has settled it yet, so the event sum still counts it
    at = lc.kst("2026-03-02T10:00")
    assert _points(db, "C2") == 1_500
    assert _wallet(db.conn, "C2", at)[1] == 500
    assert run_write(db, lambda: wallet(db.conn, "C2", at))["points"] == 500


def test_points_given_back_by_a_cancel_keep_their_dates_or_get_seven_days(db):
    from store.rewards import point_lots, wallet

    _event(db, 1_000, "earn:A", "2025-01-10T10:00:00+09:00", "C2")
    _event(db, -1_000, "use:O1", "2025-12-20T10:00:00+09:00", "C2")
    _event(db, 1_000, "cancel:O1", "2026-01-20T10:00:00+09:00", "C2")   # A had ended on 2026-01-10
    lots, owed = point_lots(db.conn, "C2")
    back = [lot for lot in lots if lot.ref == "cancel:O1"]
    assert owed == 0 and [(lot.left, lot.expires.date().isoformat()) for lot in back] == [(1_000, "2026-01-27")]
    assert run_write(db, lambda: wallet(db.conn, "C2", "2026-01-25T10:00"))["points"] == 1_000
    assert run_write(db, lambda: wallet(db.conn, "C2", "2026-01-28T10:00"))["points"] == 0


def test_a_refund_after_the_points_were_earned_takes_back_their_share(db):
    from store.rewards import wallet

    run_write(db, lambda: settle(db.conn, "C1", "2026-11-26T10:00"))
    assert _points(db) == 8_750                       # O-10 earned 5,000 (골드 2% of 250,000)

    def refund(amount: int, key: str, at: str) -> None:
        with db.conn:
            db.conn.execute("INSERT INTO payments (order_id, kind, method, amount, status, idempotency_key, "
                            "provider, created_at) VALUES ('O-10', 'refund', 'card', ?, 'refunded', ?, 'test', ?)",
                            (amount, key, at))

    refund(50_000, "r1", "2026-11-26T11:00:00+09:00")   # a fifth of the order comes back
    w = run_write(db, lambda: wallet(db.conn, "C1", "2026-11-26T12:00"))
    assert w["points"] == 8_750 - 1_000 and w["points_owed"] == 0
    run_write(db, lambda: settle(db.conn, "C1", "2026-11-26T13:00"))   # nothing more is due
    assert _points(db) == 7_750
    refund(200_000, "r2", "2026-11-27T11:00:00+09:00")  # then the rest: all of O-10's points go back
    run_write(db, lambda: settle(db.conn, "C1", "2026-11-27T12:00"))
    refs = [r[0] for r in db.conn.execute("SELECT ref FROM point_events WHERE ref LIKE 'clawback:%' ORDER BY id")]
    assert _points(db) == 3_750 and refs == ["clawback:O-10:1", "clawback:O-10:2"]


def test_points_taken_back_beyond_the_balance_are_owed_and_never_spent(db):
    from store.lifecycle import _wallet
    from store.rewards import point_lots, wallet
    from ui.orders import wallet_markdown

    _event(db, 300, "earn:A", "2026-10-01T10:00:00+09:00", "C2")
    _event(db, -300, "use:O1", "2026-10-02T10:00:00+09:00", "C2")
    _event(db, -200, "clawback:A:1", "2026-10-03T10:00:00+09:00", "C2")
    assert point_lots(db.conn, "C2")[1] == 200
    assert _wallet(db.conn, "C2", lc.kst("2026-10-04T10:00"))[1] == 0
    w = run_write(db, lambda: wallet(db.conn, "C2", "2026-10-04T10:00"))
    assert w["points"] == 0 and w["points_owed"] == 200
    assert "다음 적립금에서 차감" in wallet_markdown(w)
    _event(db, 500, "earn:B", "2026-10-05T10:00:00+09:00", "C2")   # the debt comes off the next points
    w = run_write(db, lambda: wallet(db.conn, "C2", "2026-10-06T10:00"))
    assert w["points"] == 300 and w["points_owed"] == 0


def test_a_returned_line_gives_back_its_share_of_the_points_paid(db):
    from store.rewards import point_lots

    order = lc.place_order(db, "C1", [("T", 1), ("S", 1)], CAT, region_text="서울 마포구",
                           now="2026-11-26T20:00", use_points=True)
    assert order.points_used == 8_750 and _points(db) == 0
    share = round(8_750 * 25_000 / order.items_total)             # split by amount like the discounts [환불-02]
    ret = lc.request_return(db, "C1", order.id, "change_of_mind", CAT, product_ids=["T"], now="2026-11-28T10:00")
    out = lc.decide_return(db, ret.request_id, approve=True, catalog=CAT, now="2026-11-29T10:00")
    assert out.refund["points_restored"] == share and _points(db) == share   # 적립금: 다시 적립 [환불-01]
    rest = lc.request_return(db, "C1", order.id, "change_of_mind", CAT, now="2026-11-29T11:00")
    done = lc.decide_return(db, rest.request_id, approve=True, catalog=CAT, now="2026-11-30T10:00")
    assert done.order.status == "refunded" and _points(db) == 8_750      # all of it, never more
    lots = [lot for lot in point_lots(db.conn, "C1")[0] if lot.ref.startswith("return:")]
    assert sum(lot.left for lot in lots) == 8_750 and all(lot.earned.year == 2026 for lot in lots)
