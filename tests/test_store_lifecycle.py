"""The order state machine in store.lifecycle: checked transitions with events, stock through
the ledger, idempotent payment, coupons/points, refunds, staff decisions, privacy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from database import open_database, run_write
from store import lifecycle as lc
from store.orders import OrderNotFound, load_order
from store.payment import PaymentError, PaymentResult, SandboxProvider
from store.stock import StockLedger


@dataclass(frozen=True)
class P:
    id: str
    name: str
    effective_price: int
    category: str
    storage: str = "실온"


CAT = {"F": P("F", "딸기", 9000, "신선식품/과일/딸기·베리", "냉장"),
       "T": P("T", "티셔츠", 25000, "생활용품/의류/티셔츠"),
       "S": P("S", "세제", 46000, "세제·위생/세탁세제")}
EVENING = "2026-11-26T20:00:00+09:00"


@pytest.fixture
def db():
    from profiles import ProfileStore

    db = open_database(":memory:")
    store = ProfileStore(db, auto_migrate=False)
    store.add_customer("C1", "김하늘", region="서울 마포구")
    store.add_customer("C2", "박하나", region="서울 마포구")
    ledger = StockLedger(db)
    for pid in CAT:
        ledger.receive(pid, 10)
    return db


class LostResponse:
    """A network between us and the PG that drops the first capture response after the PG
    charged: the caller sees an error and retries with the same key."""

    name = "sandbox"

    def __init__(self, inner) -> None:
        self.inner, self.dropped = inner, False

    def authorize(self, amount, *, key):
        return self.inner.authorize(amount, key=key)

    def capture(self, auth_ref, amount, *, key):
        result = self.inner.capture(auth_ref, amount, key=key)
        if not self.dropped:
            self.dropped = True
            raise TimeoutError("response lost")
        return result

    def refund(self, ref, amount, *, key):
        return self.inner.refund(ref, amount, key=key)


def test_retried_payment_charges_once(db):
    sandbox = SandboxProvider(db)
    flaky = LostResponse(sandbox)
    with pytest.raises(TimeoutError):
        lc.place_order(db, "C1", [("S", 1)], CAT, region_text="서울 마포구", provider=flaky, now=EVENING)
    (order_id,) = [r[0] for r in db.execute("SELECT id FROM orders")]
    assert load_order(db.conn, order_id).status == "created"   # charged at the PG, not yet recorded
    paid = lc.pay(db, order_id, flaky, now=EVENING)                # the retry: same keys
    again = lc.pay(db, order_id, flaky, now=EVENING)               # and a duplicate request
    assert paid.status == again.status == "paid"
    assert sandbox.charges() == [(sandbox.charges()[0][0], 46_000)]
    assert [p["kind"] for p in lc.payments(db, order_id)] == ["authorize", "capture"]
    with pytest.raises(PaymentError):                               # same key, other amount: refused
        sandbox.capture("x", 1, key=f"{order_id}:capture")
    replay = sandbox.capture("x", 46_000, key=f"{order_id}:capture")
    assert isinstance(replay, PaymentResult) and replay.replayed and len(sandbox.charges()) == 1


def test_declined_payment_cancels_and_puts_everything_back(db):
    with pytest.raises(PaymentError) as err:
        lc.place_order(db, "C1", [("S", 2)], CAT, region_text="서울 마포구",
                       provider=SandboxProvider(db, decline_over=50_000), now=EVENING)
    assert "[결제-04]" in err.value.user_message
    (order_id,) = [r[0] for r in db.execute("SELECT id FROM orders")]
    assert load_order(db.conn, order_id).status == "cancelled"
    assert StockLedger(db).level("S") == 10 and StockLedger(db).reconcile().ok
    assert db.execute("SELECT taken FROM delivery_slots").fetchone() == (0,)
    assert lc.events(db, order_id)[-1]["actor"] == "payment"


def test_transitions_are_checked_and_logged(db):
    order = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    with pytest.raises(lc.TransitionError) as err:
        run_write(db, lambda: lc.transition(db.conn, load_order(db.conn, order.id), "refunded",
                                           actor="staff", reason="x", now=lc.kst(EVENING)))
    assert "바꿀 수 없어요" in err.value.user_message
    assert set(lc.TRANSITIONS) == set(lc.STATES)
    assert all(to in lc.STATES for targets in lc.TRANSITIONS.values() for to in targets)
    delivered = lc.sync(db, order, "2026-11-28T09:00")
    assert delivered.status == "delivered" and delivered.delivered_at == "2026-11-27T06:30:00+09:00"
    steps = [(e["to"], e["actor"], e["at"][11:16]) for e in lc.events(db, order.id)]
    assert steps == [("created", "customer", "20:00"), ("paid", "payment", "20:00"), ("preparing", "system", "22:30"),
                     ("shipped", "system", "01:00"), ("delivered", "system", "06:30")]


def test_orders_are_scoped_to_their_customer(db):
    order = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    with pytest.raises(OrderNotFound):
        lc.cancel_order(db, "C2", order.id, now=EVENING)
    with pytest.raises(OrderNotFound):
        lc.cancel_order(db, None, order.id, now=EVENING)           # anonymous reaches kiosk orders only
    assert load_order(db.conn, order.id).status == "paid"


def test_cancel_deadline_and_points_coupons_restored(db):
    run_write(db, lambda: (
        db.conn.execute("INSERT INTO coupons (id, customer_id, kind, amount, min_order, expires_at) "
                        "VALUES ('CP1', 'C1', 'product', 5000, 30000, '2099-01-01')"),
        db.conn.execute("INSERT INTO point_events (customer_id, delta, ref, created_at) "
                        "VALUES ('C1', 2000, 'review', '2026-11-01')")))
    order = lc.place_order(db, "C1", [("S", 1)], CAT, region_text="서울 마포구", now=EVENING)
    # 46,000 - 5,000 coupon - 2,000 points = 39,000 < 40,000: the 새벽 fee applies [배송-04]
    assert (order.discount, order.points_used, order.delivery_fee, order.total) == (5000, 2000, 3500, 42_500)
    out = lc.cancel_order(db, "C1", order.id, now="2026-11-26T22:00")
    assert out.refund["amount"] == 42_500 and out.refund["points_restored"] == 2000
    assert db.execute("SELECT used_order_id FROM coupons").fetchone() == (None,)
    assert db.execute("SELECT SUM(delta) FROM point_events").fetchone() == (2000,)
    later = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", now="2026-11-26T22:10")
    with pytest.raises(lc.ActionRefused) as late:
        lc.cancel_order(db, "C1", later.id, now="2026-11-26T22:31")
    assert late.value.rule == "주문-01" and "22:30" in late.value.user_message


def test_quality_claim_refund_without_restock_and_rejection(db):
    order = lc.place_order(db, "C1", [("F", 2), ("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    with pytest.raises(lc.ActionRefused):                                   # a claim needs a photo
        lc.request_return(db, "C1", order.id, "quality", CAT, product_ids=["F"], now="2026-11-27T10:00")
    claim = lc.request_return(db, "C1", order.id, "quality", CAT, product_ids=["F"], photo="p.jpg",
                              now="2026-11-27T10:00")
    # one line of two: the order stays open, the request row records the line [partial return]
    assert claim.order.status == "delivered" and claim.extra["refund_amount"] == 18_000
    out = lc.decide_return(db, claim.request_id, approve=True, catalog=CAT, now="2026-11-27T15:00")
    assert out.order.status == "delivered" and out.refund["amount"] == 18_000
    assert lc.payment_status(db, out.order)["refunded"] == 18_000
    assert StockLedger(db).level("F") == 8                       # soft strawberries are not resold
    other = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    ret = lc.request_return(db, "C1", other.id, "change_of_mind", CAT, now="2026-11-28T10:00")
    assert ret.extra["deduction"] == 3000 and ret.extra["refund_amount"] == 22_000   # paid delivery: one way
    no = lc.decide_return(db, ret.request_id, approve=False, catalog=CAT, now="2026-11-29T10:00", reason="사용 흔적")
    assert no.order.status == "delivered" and lc.pending_returns(db) == []


def test_jeju_return_adds_the_island_cost_and_address_rules(db):
    order = lc.place_order(db, "C1", [("S", 1)], CAT, region_text="제주 제주시", now=EVENING)
    assert order.delivery_method == "일반" and order.delivery_fee == 3000     # free base, island extra
    with pytest.raises(lc.ActionRefused) as err:
        lc.change_address(db, "C1", order.id, "서울 마포구 월드컵로 1", now="2026-11-26T20:10")
    assert err.value.rule == "배송-05"
    delivered = lc.sync(db, order, "2026-12-02T10:00")
    terms = lc.return_terms(delivered, "change_of_mind", CAT, now="2026-12-02T10:00")
    assert terms["deduction"] == 6000 + 3000 and terms["refund_amount"] == 46_000 - 9000


def test_panel_lists_actions_with_reasons(db):
    order = lc.place_order(db, "C1", [("F", 1), ("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    before = {a["action"]: a["ok"] for a in lc.order_panel(db, "C1", CAT, EVENING)[0]["actions"]}
    assert before == {"cancel": True, "change_address": True, "return": False, "quality": False, "exchange": False}
    (card,) = lc.order_panel(db, "C1", CAT, "2026-11-28T10:00")
    after = {a["action"]: a for a in card["actions"]}
    assert card["status"] == "delivered" and card["id"] == order.id
    assert not after["cancel"]["ok"] and "[주문-01]" in after["cancel"]["why"]
    assert after["return"]["ok"] and after["quality"]["ok"] and after["exchange"]["ok"]


def test_deleting_a_customer_removes_their_orders_history(db):
    from profiles import ProfileStore

    order = lc.place_order(db, "C1", [("T", 1)], CAT, region_text="서울 마포구", now=EVENING)
    lc.cancel_order(db, "C1", order.id, now=EVENING)
    ProfileStore(db, auto_migrate=False).delete("C1")
    for table in ("orders", "order_events", "payments"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


def test_orders_from_before_the_state_machine_use_their_order_date(db):
    from profiles import ProfileStore

    ProfileStore(db, auto_migrate=False).record_order("C1", [("T", 1, 25000)], order_id="O-old",
                                                      status="배송완료", created_at="2026-05-01T10:00:00+09:00")
    old = load_order(db.conn, "O-old")
    assert old.status == "delivered"
    with pytest.raises(lc.ActionRefused) as err:
        lc.return_terms(old, "change_of_mind", CAT, now="2026-11-26T10:00")
    assert err.value.rule == "반품-01"
