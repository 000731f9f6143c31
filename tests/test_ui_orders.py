"""Orders on screen (ui.orders) without a browser: the checkout quote and its confirmation,
the profile panel's order list and actions (asked first, the dialogue's code path, the
signed-in customer's own orders only), a quality claim's photo upload, the wallet, and
the staff view's pending returns behind the staff PIN."""

from __future__ import annotations

import doctest

import pytest

import ui.handlers as h
import ui.orders as o
from store.delivery import kst
from ui.auth import Gate
from ui.testing import small_shop

NOW = "2026-11-26T20:00:00+09:00"


@pytest.fixture
def shop():
    shop = small_shop(gate=Gate.ephemeral(staff_pin="2580"),
                      staff_view=lambda: {"figure": "F", "reorder": "T", "alerts_markdown": ""})
    for cid in ("C001", "C002"):
        shop.profiles.update(cid, {"region": "서울 마포구"}, source="customer")
    at(shop, NOW)
    return shop


def at(shop, moment: str) -> None:
    """Move the shop's clock (the app's JANGBOGI_NOW / --now)."""
    shop.assistant.clock = lambda: kst(moment)


def _signed_in(shop, cid="C001", pin="1234"):
    view = h.sign_in(shop, None, cid, pin)
    assert view.session is not None and view.session.customer_id == cid, view.warning
    return view.session


def _order(shop, sess, items: dict[str, int], use_points: bool = False) -> str:
    for pid, qty in items.items():
        assert not h.add_to_cart(shop, sess, pid, qty).warning
    quote = o.checkout_quote(shop, sess, use_points)
    assert quote.checkout_confirm_visible, quote.warning
    done = o.checkout_confirm(shop, sess, True)
    assert "주문이 완료됐어요" in done.info, done.warning
    return sess.dialogue.last_order_id


def _status(shop, order_id: str) -> str:
    return shop.assistant.db.execute("SELECT status FROM orders WHERE id = ?", [order_id]).fetchone()[0]


def test_module_doctests():
    assert doctest.testmod(o).failed == 0


def test_checkout_shows_the_amount_first_and_orders_only_on_confirm(shop):
    sess = _signed_in(shop)
    h.add_to_cart(shop, sess, "P0004", 2)
    quote = o.checkout_quote(shop, sess, False)
    assert quote.checkout_confirm_visible and "결제 금액 29,300원" in quote.checkout_msg   # 25,800 + 새벽 3,500
    assert shop.assistant.db.execute("SELECT COUNT(*) FROM orders WHERE customer_id = 'C001'").fetchone()[0] == 1
    no = o.checkout_confirm(shop, sess, False)
    assert no.checkout_confirm_visible is False and "바꾸지 않았어요" in no.info
    assert "확인해 주세요" in o.checkout_confirm(shop, sess, True).warning       # no quote pending: nothing placed
    o.checkout_quote(shop, sess, False)
    done = o.checkout_confirm(shop, sess, True)
    assert "29,300원" in done.info and "비어 있어요" in done.cart
    assert _status(shop, sess.dialogue.last_order_id) == "paid"


def test_order_list_needs_a_signed_in_customer(shop):
    assert "로그인" in o.order_list(shop, None).warning
    quiet = o.order_list(shop, None, quiet=True)
    assert not quiet.warning and quiet.order_pick == [] and "로그인하면" in quiet.orders


def test_cancel_from_the_panel_asks_first_then_cancels(shop):
    sess = _signed_in(shop)
    order_id = _order(shop, sess, {"P0004": 1})
    listing = o.order_list(shop, sess)
    assert [v for _, v in listing.order_pick][:2] == [order_id, "O-A-1"] and "결제 완료" in listing.orders
    assert "새벽배송" in listing.orders and "07:00 전에 도착" in listing.orders and "16,400원" in listing.orders
    acts = o.order_actions(shop, sess, order_id)
    assert ("취소", "cancel") in acts.action_pick and ("배송지 변경", "change_address") in acts.action_pick
    assert ("반품 신청", "return") not in acts.action_pick          # not delivered yet
    ask = o.order_request(shop, sess, order_id, "cancel")
    assert ask.order_confirm_visible and "취소할까요" in ask.order_prompt and "[주문-01]" in ask.order_prompt
    assert _status(shop, order_id) == "paid"                         # nothing before "네"
    done = o.order_confirm(shop, sess, True)
    assert _status(shop, order_id) == "cancelled" and "취소했어요" in done.info
    assert "주문 취소" in done.orders and done.order_confirm_visible is False
    assert "확인할 요청이 없어요" in o.order_confirm(shop, sess, True).warning


def test_another_customers_order_cannot_be_touched(shop):
    mine = _signed_in(shop)
    order_id = _order(shop, mine, {"P0004": 1})
    other = _signed_in(shop, "C002", "5678")
    assert order_id not in [v for _, v in o.order_list(shop, other).order_pick]
    assert o.order_actions(shop, other, order_id).action_pick == []
    tried = o.order_request(shop, other, order_id, "cancel")
    assert "찾을 수 없어요" in tried.warning and not tried.order_confirm_visible
    assert other.dialogue.pending_action is None and _status(shop, order_id) == "paid"
    forged = h.UISession(customer_id="C001", token="v1.forged.token")
    assert "로그인 시간이 지났어요" in o.order_request(shop, forged, order_id, "cancel").warning


def test_address_change_needs_an_address_then_confirmation(shop):
    sess = _signed_in(shop)
    order_id = _order(shop, sess, {"P0004": 1})
    assert "시/구" in o.order_request(shop, sess, order_id, "change_address", None, "  ").warning
    ask = o.order_request(shop, sess, order_id, "change_address", None, "서울 마포구 월드컵로 1")
    assert ask.order_confirm_visible and "서울 마포구 월드컵로 1" in ask.order_prompt
    done = o.order_confirm(shop, sess, True)
    assert "바꿨어요" in done.info
    assert shop.assistant.db.execute("SELECT address FROM orders WHERE id = ?", [order_id]).fetchone()[0] == \
        "서울 마포구 월드컵로 1"


def test_quality_claim_takes_the_uploaded_photo_and_staff_decide(shop, tmp_path):
    sess = _signed_in(shop)
    order_id = _order(shop, sess, {"P0008": 2, "P0009": 1})          # milk (chilled) + dish soap
    at(shop, "2026-11-28T09:00:00+09:00")                            # delivered 11/27: day 2
    acts = dict((v, k) for k, v in o.order_actions(shop, sess, order_id).action_pick)
    assert {"quality", "return", "exchange"} <= set(acts)
    no_photo = o.order_request(shop, sess, order_id, "quality", "P0008")
    assert "사진" in no_photo.order_prompt and not no_photo.order_confirm_visible
    photo = tmp_path / "milk.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    ask = o.order_request(shop, sess, order_id, "quality", "P0008", "", str(photo))
    assert ask.order_confirm_visible and "사진을 받았어요" in ask.order_prompt and "5,960원" in ask.order_prompt
    done = o.order_confirm(shop, sess, True)
    assert "접수했어요" in done.info and "품질 문제 P0008: 검수 대기" in done.orders
    assert _status(shop, order_id) == "delivered"                   # one line of two: the order stays open
    # staff: the list needs the staff PIN session
    assert o.staff_returns(shop, sess).warning == o.NEED_STAFF
    assert o.staff_decide(shop, sess, "1", True).warning == o.NEED_STAFF
    staff = h.staff_open(shop, sess, "2580").session
    listing = o.staff_returns(shop, staff)
    assert [v for _, v in listing.return_pick] == ["1"] and "있음" in listing.returns   # the photo is on file
    decided = o.staff_decide(shop, staff, "1", True)
    assert "승인" in decided.info and "5,960원" in decided.info and decided.return_pick == []
    assert shop.assistant.pending_returns() == []
    assert "환불 완료" in o.order_list(shop, sess).orders


def test_wallet_coupons_and_points_before_confirmation(shop):
    for month in ("08", "09", "10"):   # confirmed history of 750,000원 in Aug~Oct: VIP in November
        shop.profiles.record_order("C001", [("P0004", 10, 25_000)], order_id=f"O-H-{month}", total=250_000,
                                   status="배송완료", source="seed", created_at=f"2026-{month}-10T10:00:00+09:00")
    sess = _signed_in(shop)
    wallet = o.order_list(shop, sess).wallet
    assert "VIP" in wallet and "적립금 **8,750원**" in wallet and "쿠폰 4장" in wallet
    h.add_to_cart(shop, sess, "P0004", 2)
    plain = o.checkout_quote(shop, sess, False).checkout_msg
    assert "상품 쿠폰 -5,000원" in plain and "보유 적립금 8,750원" in plain and "결제 금액 20,800원" in plain
    used = o.checkout_quote(shop, sess, True).checkout_msg
    assert "적립금 -8,750원" in used and "결제 금액 12,050원" in used
    done = o.checkout_confirm(shop, sess, True)
    assert "12,050원" in done.info
