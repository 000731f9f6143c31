"""Orders after checkout, as scripted CLI conversations (`python -m assistant ask` with
--customer, --session, --now, --json): checkout with a quote and "네", cancel, returns,
quality claims with a photo, exchange, the return fee, status, duplicate payment, full slots.
The states and amounts asserted here come from the JSON `order` object of each turn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.testing import KeywordRetriever, make_product, tiny_policies

STRAWBERRY = make_product(id="P0101", name="설향 딸기 500g", brand="산지직송", category="신선식품/과일/딸기·베리",
                          price=9000, sale_price=None, storage="냉장", stock=30)
TSHIRT = make_product(id="P0102", name="면 반팔 티셔츠 M", brand="데일리", category="생활용품/의류/티셔츠",
                      price=25000, sale_price=None, stock=30)
DETERGENT = make_product(id="P0103", name="액체 세탁세제 3L", brand="깨끗", category="세제·위생/세탁세제",
                         price=46000, sale_price=None, stock=30)
CATALOG = [STRAWBERRY, TSHIRT, DETERGENT]


@pytest.fixture
def world(tmp_path):
    from assistant.factory import Services
    from assistant.service import Assistant
    from database import open_database
    from profiles import ProfileStore
    from store.stock import StockLedger

    db_path = tmp_path / "var" / "jangbogi.db"
    db = open_database(db_path)
    profiles = ProfileStore(db, auto_migrate=False)
    profiles.add_customer("C001", "김하늘", region="서울 마포구")
    profiles.add_customer("C002", "박부산", region="부산 해운대구")
    ledger = StockLedger(db)
    ledger.seed_from_catalog(CATALOG)
    policies = tiny_policies()
    assistant = Assistant(CATALOG, policies, KeywordRetriever(CATALOG, policies), profiles=profiles, db=db,
                          stock=ledger, photo_dir=tmp_path / "var" / "claims")
    services = Services(None, assistant, CATALOG, policies, assistant.retriever, db, profiles, ledger)
    return services, db_path, profiles, ledger, db


class Chat:
    """One shopper's scripted conversation through the CLI."""

    def __init__(self, world, capsys, customer: str | None = "C001", session: str = "s1") -> None:
        self.services, self.db_path, self.profiles, self.ledger, self.db = world
        self.capsys, self.customer, self.session = capsys, customer, session

    def say(self, message: str, now: str, *extra: str) -> dict:
        args = ["ask", message, "--json", "--session", self.session, "--db-path", str(self.db_path), "--now", now]
        if self.customer:
            args += ["--customer", self.customer]
        rc = main([*args, *extra], services=self.services)
        out = json.loads(self.capsys.readouterr().out)
        assert "error" not in out, out
        assert rc == 0
        # shoppers read product names, never ids (the ids stay in `actions` / `sources`)
        assert not re.search(r"P\d{4}", out.get("reply", "")), out["reply"]
        return out

    def buy(self, items: dict[str, int], now: str, *, message: str = "주문할게요") -> dict:
        for pid, qty in items.items():
            self.profiles.cart_add(self.customer, pid, qty)
        quote = self.say(message, now)
        assert quote["intent"] == "checkout" and quote["actions"][0].get("pending"), quote
        done = self.say("네", now)
        assert done["intent"] == "checkout" and done["actions"][0]["ok"], done
        return done


def test_checkout_shows_the_amount_first_and_orders_on_yes(world, capsys):
    chat = Chat(world, capsys)
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    quote = chat.say("주문할게요", "2026-11-26T20:00")
    q = quote["actions"][0]["quote"]
    assert q["method"] == "새벽" and q["delivery_fee"] == 3500 and q["total"] == 28_500
    assert "28,500원" in quote["reply"] and "네" in quote["reply"]
    assert chat.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0   # nothing before "네"
    done = chat.say("네", "2026-11-26T20:01")
    order = done["order"]
    assert order["status"] == "paid" and order["total"] == 28_500 and order["delivery_fee"] == 3500
    assert order["payment"] == {"status": "paid", "method": "카드", "charged": 28_500, "refunded": 0}
    assert order["slot"]["id"] == "2026-11-27/새벽"
    assert chat.profiles.cart("C001") == []


def test_cancel_before_shipping_returns_stock_and_refunds_in_full(world, capsys):
    chat = Chat(world, capsys)
    before = chat.ledger.level(DETERGENT.id)
    done = chat.buy({DETERGENT.id: 1}, "2026-11-26T20:00")
    order_id = done["order"]["id"]
    assert done["order"]["delivery_fee"] == 0 and done["order"]["total"] == 46_000   # over 40,000원
    assert chat.ledger.level(DETERGENT.id) == before - 1
    ask = chat.say("방금 주문 취소해 주세요", "2026-11-26T21:00")
    assert ask["intent"] == "order_cancel" and ask["order"]["status"] == "paid"
    assert chat.ledger.level(DETERGENT.id) == before - 1          # not before "네"
    done = chat.say("네", "2026-11-26T21:01")
    assert done["order"]["id"] == order_id and done["order"]["status"] == "cancelled"
    assert done["order"]["refund"]["amount"] == 46_000 and "[환불-01]" in done["order"]["refund"]["eta"]
    assert done["order"]["payment"]["refunded"] == 46_000
    assert chat.ledger.level(DETERGENT.id) == before and chat.ledger.reconcile().ok
    from store.lifecycle import events

    assert [(e["from"], e["to"], e["actor"]) for e in events(chat.db, order_id)] == [
        (None, "created", "customer"), ("created", "paid", "payment"), ("paid", "cancelled", "customer")]


def test_cancel_refused_after_shipping(world, capsys):
    chat = Chat(world, capsys)
    order_id = chat.buy({TSHIRT.id: 1}, "2026-11-26T20:00")["order"]["id"]
    refused = chat.say("주문 취소해 주세요", "2026-11-27T02:00")          # shipped at 01:00
    assert refused["intent"] == "order_cancel" and not refused["actions"][0]["ok"]
    assert refused["order"]["status"] == "shipped" and "[주문-01]" in refused["reply"]
    assert "반품" in refused["reply"]
    status = chat.say("주문 어디쯤 왔어요?", "2026-11-27T02:00")
    assert status["order"]["id"] == order_id and "배송 중" in status["reply"] and "07:00" in status["reply"]


def test_change_of_mind_return_within_7_days_deducts_6000_when_delivery_was_free(world, capsys):
    chat = Chat(world, capsys)
    done = chat.buy({DETERGENT.id: 1}, "2026-11-26T20:00")
    assert done["order"]["delivery_fee"] == 0
    fee = chat.say("반품하면 택배비 얼마예요?", "2026-11-29T10:00")
    assert fee["intent"] == "return_fee" and "6,000원" in fee["reply"] and "[반품-05]" in fee["reply"]
    assert fee["order"]["refund"]["amount"] == 40_000
    ask = chat.say("세제 반품할게요", "2026-11-29T10:00")
    assert ask["intent"] == "order_return" and ask["order"]["status"] == "delivered"
    done = chat.say("네", "2026-11-29T10:01")
    assert done["order"]["status"] == "return_requested"
    assert done["order"]["refund"] == {"amount": 40_000, "deduction": 6_000, "status": "검수 후 환불",
                                       "rule": "반품-05"}
    stock = chat.ledger.level(DETERGENT.id)
    from store.lifecycle import decide_return, pending_returns

    (request,) = pending_returns(chat.db)
    out = decide_return(chat.db, request["id"], approve=True, catalog={p.id: p for p in CATALOG},
                        now="2026-11-30T10:00")
    assert out.order.status == "refunded" and out.refund["amount"] == 40_000
    assert chat.ledger.level(DETERGENT.id) == stock + 1           # back on the shelf once inspected


def test_return_after_7_days_refused(world, capsys):
    chat = Chat(world, capsys)
    chat.buy({TSHIRT.id: 1}, "2026-11-26T20:00")                 # delivered 11/27
    late = chat.say("반품하고 싶어요", "2026-12-05T10:00")
    assert not late["actions"][0]["ok"] and "[반품-01]" in late["reply"]


def test_fresh_food_change_of_mind_refused_with_the_citation(world, capsys):
    chat = Chat(world, capsys)
    chat.buy({STRAWBERRY.id: 2}, "2026-11-26T20:00")
    refused = chat.say("딸기 반품할게요", "2026-11-27T10:00")
    assert not refused["actions"][0]["ok"] and refused["order"]["status"] == "delivered"
    assert "신선식품은 단순변심 반품이 안 돼요 [반품-03]" in refused["reply"]


def test_fresh_quality_claim_within_2_days_accepted_with_a_photo(world, capsys, tmp_path):
    chat = Chat(world, capsys)
    order_id = chat.buy({STRAWBERRY.id: 2, TSHIRT.id: 1}, "2026-11-26T20:00")["order"]["id"]
    claim = chat.say("딸기가 물러서 왔어요", "2026-11-28T09:00")          # delivered 11/27: day 2
    assert claim["intent"] == "order_quality" and claim["actions"][0]["needs_photo"]
    assert STRAWBERRY.name in claim["reply"]
    photo = tmp_path / "strawberry.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    sent = chat.say("사진 보냈어요", "2026-11-28T09:05", "--photo", str(photo))
    assert "18,000원" in sent["reply"] and "네" in sent["reply"]
    done = chat.say("네", "2026-11-28T09:06")
    # the strawberries are one line of two: the claim is filed on that line, the order stays open
    assert done["order"]["id"] == order_id and done["order"]["status"] == "delivered"
    assert done["order"]["returns"] == [{"id": 1, "kind": "quality", "product_ids": [STRAWBERRY.id],
                                         "status": "requested", "refund_amount": 18_000}]
    assert done["order"]["refund"]["amount"] == 18_000 and done["order"]["refund"]["deduction"] == 0
    from store.lifecycle import pending_returns

    (request,) = pending_returns(chat.db)
    assert request["kind"] == "quality" and request["product_ids"] == [STRAWBERRY.id]
    assert Path(request["photo"]).is_file() and "claims" in request["photo"]


def test_fresh_quality_claim_after_3_days_refused(world, capsys):
    chat = Chat(world, capsys)
    chat.buy({STRAWBERRY.id: 1}, "2026-11-26T20:00")
    late = chat.say("딸기가 물러서 왔어요", "2026-11-30T09:00")            # 3 days after 11/27
    assert not late["actions"][0]["ok"] and "[반품-03]" in late["reply"] and "2일" in late["reply"]
    assert late["order"]["status"] == "delivered"


def test_exchange_for_size_needs_yes_and_costs_the_round_trip(world, capsys):
    chat = Chat(world, capsys)
    chat.buy({TSHIRT.id: 1}, "2026-11-26T20:00")
    ask = chat.say("사이즈가 안 맞아서 교환하고 싶어요", "2026-11-28T10:00")
    assert ask["intent"] == "order_exchange" and "6,000원" in ask["reply"] and "[교환-01]" in ask["reply"]
    assert TSHIRT.name in ask["reply"]
    no = chat.say("아니요", "2026-11-28T10:01")
    assert not no["actions"][0]["ok"]
    from store.lifecycle import pending_returns

    assert pending_returns(chat.db) == []                          # nothing without "네"
    chat.say("사이즈가 안 맞아서 교환하고 싶어요", "2026-11-28T10:02")
    done = chat.say("네", "2026-11-28T10:03")
    assert done["order"]["status"] == "exchange_requested"


def test_address_change_before_shipping(world, capsys):
    chat = Chat(world, capsys)
    chat.buy({TSHIRT.id: 1}, "2026-11-26T20:00")
    ask = chat.say("배송지 바꿀 수 있어요?", "2026-11-26T21:00")
    assert ask["actions"][0]["ok"] and "[배송-07]" in ask["reply"] and "22:30" in ask["reply"]
    chat.say("서울 용산구 한강대로 1로 해 주세요", "2026-11-26T21:01")
    done = chat.say("네", "2026-11-26T21:02")
    assert done["actions"][0]["ok"] and "용산구" in done["reply"]
    late = chat.say("배송지 바꿀 수 있어요?", "2026-11-26T22:45")
    assert not late["actions"][0]["ok"] and "[배송-07]" in late["reply"]


def test_duplicate_payment_request_is_charged_once(world, capsys):
    chat = Chat(world, capsys)
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    chat.say("주문할게요", "2026-11-26T20:00")
    first = chat.say("네", "2026-11-26T20:01")
    again = chat.say("네", "2026-11-26T20:01")                     # the "네" sent twice
    assert again["intent"] != "checkout" or not again["actions"][0]["ok"]
    asked = chat.say("결제가 두 번 된 것 같아요", "2026-11-26T20:05")
    assert asked["intent"] == "order_payment" and asked["actions"][0]["charges"] == 1
    assert "[결제-04]" in asked["reply"]
    assert chat.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 1
    sandbox = chat.db.execute("SELECT COUNT(*), SUM(amount) FROM pg_sandbox WHERE op = 'capture'").fetchone()
    assert sandbox == (1, first["order"]["total"])


def test_slot_at_capacity_refused_with_the_next_free_slot(world, capsys):
    from database import run_write
    from store.delivery import next_slot, set_capacity

    chat = Chat(world, capsys)
    slot = next_slot("새벽", "2026-11-26T20:00")
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    quote = chat.say("주문할게요", "2026-11-26T20:00")
    assert quote["actions"][0]["quote"]["slot"] == slot.id
    run_write(chat.db, lambda: set_capacity(chat.db.conn, slot, 0))   # filled up meanwhile
    refused = chat.say("네", "2026-11-26T20:01")
    assert not refused["actions"][0]["ok"] and "마감" in refused["reply"]
    assert refused["actions"][0]["next_slot"]["id"] == "2026-11-28/새벽" and "11/28" in refused["reply"]
    done = chat.say("네", "2026-11-26T20:02")
    assert done["order"]["slot"]["id"] == "2026-11-28/새벽" and done["order"]["status"] == "paid"


def test_tomorrow_morning_picks_dawn_or_says_why_not(world, capsys):
    chat = Chat(world, capsys)
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    ok = chat.say("내일 아침까지 받을 수 있게 주문해 주세요", "2026-11-26T21:00")
    assert ok["actions"][0]["quote"]["method"] == "새벽" and "[배송-02]" in ok["reply"]
    late = chat.say("내일 아침까지 받을 수 있게 주문해 주세요", "2026-11-26T23:30")
    assert late["actions"][0]["quote"]["slot"] == "2026-11-28/새벽" and "밤 11시가 지나" in late["reply"]
    busan = Chat(world, capsys, customer="C002", session="s2")
    busan.profiles.cart_add("C002", TSHIRT.id, 1)
    far = busan.say("내일 아침까지 받을 수 있게 주문해 주세요", "2026-11-26T21:00")
    assert far["actions"][0]["quote"]["method"] == "일반" and "새벽배송 지역이 아니" in far["reply"]


def test_kiosk_pickup_with_a_time_and_onsite_payment(world, capsys):
    chat = Chat(world, capsys, customer=None, session="kiosk")
    chat.say("세제 찾아줘", "2026-11-26T10:10")
    chat.say("첫 번째 거 담아줘", "2026-11-26T10:10")
    quote = chat.say("주문할게요", "2026-11-26T10:11")
    q = quote["actions"][0]["quote"]
    assert q["method"] == "픽업" and q["delivery_fee"] == 0 and "13:00" in q["slot_label"]
    done = chat.say("네", "2026-11-26T10:12")
    assert done["order"]["payment"] == {"status": "pay_at_pickup", "method": "현장 결제", "charged": 0, "refunded": 0}
    assert "픽업" in done["reply"] and "13:00" in done["reply"]


def test_a_changed_cart_is_quoted_again_before_any_charge(world, capsys):
    chat = Chat(world, capsys)
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    chat.say("주문할게요", "2026-11-26T20:00")
    chat.profiles.cart_add("C001", TSHIRT.id, 1)                 # another tab added one more
    again = chat.say("네", "2026-11-26T20:01")
    assert not again["actions"][0]["ok"] and again["actions"][0]["quote"]["total"] == 50_000
    assert chat.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0
    done = chat.say("네", "2026-11-26T20:02")
    assert done["order"]["total"] == 50_000 and done["order"]["delivery_fee"] == 0


def test_seollal_dawn_slot_is_skipped_with_the_reason(world, capsys):
    chat = Chat(world, capsys)
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    quote = chat.say("내일 아침까지 받게 주문할게요", "2026-02-15T10:00")      # 2026 설날 2/17
    assert quote["actions"][0]["quote"]["slot"] == "2026-02-19/새벽"
    assert "설날 전후라 새벽배송을 쉬어요 [배송-02]" in quote["reply"] and "2/19(목)" in quote["reply"]


def test_coupons_apply_and_points_are_used_when_asked(world, capsys):
    chat = Chat(world, capsys)
    for month in ("08", "09", "10"):   # delivered history: 750,000원 in Aug~Oct -> VIP in November
        chat.profiles.record_order("C001", [(DETERGENT.id, 5, 50_000)], order_id=f"O-H-{month}", total=250_000,
                                   status="배송완료", source="seed", created_at=f"2026-{month}-10T10:00:00+09:00")
    chat.profiles.cart_add("C001", TSHIRT.id, 1)
    quote = chat.say("주문할게요", "2026-11-26T20:00")
    q = quote["actions"][0]["quote"]
    assert (q["coupon_discount"], q["delivery_coupon"], q["points_used"], q["total"]) == (5000, 3500, 0, 20_000)
    assert "보유 적립금 8,750원" in quote["reply"] and "[적립금-01]" in quote["reply"]
    again = chat.say("적립금 써서 주문할게요", "2026-11-26T20:01")
    assert again["actions"][0]["quote"]["points_used"] == 8_750 and again["actions"][0]["quote"]["total"] == 11_250
    done = chat.say("네", "2026-11-26T20:02")
    assert done["order"]["total"] == 11_250 and done["order"]["payment"]["charged"] == 11_250
