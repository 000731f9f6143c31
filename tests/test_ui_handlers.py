"""UI handlers without a browser: a real small shop (ui.testing), no Gradio, no model."""

from __future__ import annotations

import doctest
import json

import pytest

import ui.handlers as h
from assistant.generators import TemplateGenerator
from ui.auth import Gate
from ui.testing import small_shop


@pytest.fixture
def shop():
    return small_shop(staff_view=lambda: {"figure": "FIG", "reorder": "TABLE", "alerts_markdown": "품절 임박 2개"})


def _signed_in(shop, cid="C001", pin="1234"):
    view = h.sign_in(shop, None, cid, pin)
    assert view.session is not None and view.session.customer_id == cid, view.warning
    return view.session


def test_handler_doctests():
    assert doctest.testmod(h).failed == 0


class DraftReader:
    """A fake chat model that writes the template draft from its prompt, one word at a time."""

    name, loaded, is_template = "draft-reader", True, False

    def stream(self, messages, max_new_tokens=160, stop=None):
        yield from TemplateGenerator().stream(messages, max_new_tokens, stop)


def test_send_streams_the_user_line_then_tokens_then_cards(monkeypatch):
    monkeypatch.setattr(h, "STREAM_INTERVAL_S", 0.0)      # every model token may be shown
    shop = small_shop(generator=DraftReader())
    views = list(h.send(shop, None, "간식 추천해줘", []))
    first, last = views[0], views[-1]
    assert first.history[-2] == {"role": "user", "content": "간식 추천해줘"} and first.box == ""
    assert any(v.history is not None and v.history[-1]["content"] for v in views[1:-1])   # streamed tokens
    assert last.products and all(p["id"].startswith("P") for p in last.products)
    # product ids stay out of the text shoppers read (they are cards and source chips)
    assert last.products[0]["name"] in last.history[-1]["content"] and "[P" not in last.history[-1]["content"]
    assert last.session.products == last.products and "장바구니" in last.cart


def test_a_template_answer_goes_out_whole_with_the_cards(monkeypatch):
    """No model: the answer's words all arrive at once, so the screen gets the user's line and
    then the whole answer with the cards, not an update per word (docs/benchmarks/load.md)."""
    monkeypatch.setattr(h, "STREAM_INTERVAL_S", 0.0)
    views = list(h.send(small_shop(), None, "간식 추천해줘", []))
    assert len(views) == 2 and views[0].status and views[0].products is None
    assert views[1].products and views[1].history[-1]["content"]


@pytest.mark.parametrize("message", ["", "   ", "가" * 5000])
def test_send_refuses_empty_and_huge_messages_keeping_the_text(message):
    views = list(h.send(small_shop(), None, message, [{"role": "user", "content": "이전"}]))
    assert len(views) == 1 and views[0].warning and views[0].box == message and views[0].history is None


def test_add_to_cart_and_checkout_anonymous(shop):
    view = h.add_to_cart(shop, None, "P0001", 2)
    sess = view.session
    assert not view.warning and "담았어요" in view.info and "비건 현미 누룽지칩" in view.cart
    assert sess.dialogue.cart == {"P0001": 2}
    view = h.checkout(shop, sess)
    assert "주문이 완료됐어요" in view.checkout_msg and view.info == view.checkout_msg
    assert "비어 있어요" in view.cart and sess.dialogue.cart == {}


def test_add_unknown_product_warns(shop):
    view = h.add_to_cart(shop, None, "P9999", 1)
    assert view.warning and "찾지 못했어요" in view.warning


def test_checkout_of_empty_cart_warns(shop):
    view = h.checkout(shop, None)
    assert view.warning and "비어" in view.checkout_msg


def test_signed_in_cart_is_the_customers(shop):
    sess = _signed_in(shop)
    h.add_to_cart(shop, sess, "P0003", 1)
    assert [(i.product_id, i.qty) for i in shop.profiles.cart("C001")] == [("P0003", 1)]
    assert sess.dialogue.cart == {}          # signed-in carts live in the database


def test_profile_consent_is_saved(shop):
    sess = _signed_in(shop)
    labels = h.CONSENT_LABELS
    view = h.save_profile(shop, sess, ["땅콩"], [labels["marketing"]])
    assert view.info == "저장했어요." and "땅콩" in view.profile
    consent = shop.profiles.consent("C001")
    assert consent.marketing and not consent.personalization and not consent.history
    assert shop.profiles.get("C001").allergies == ("땅콩",)


def test_profile_save_needs_sign_in(shop):
    assert h.save_profile(shop, None, ["땅콩"], []).warning


def test_proposals_confirm_and_reject(shop):
    sess = _signed_in(shop)
    pid = shop.profiles.propose("C001", "allergies", ["새우"])
    view = h.pending_list(shop, sess)
    assert view.pending == [("알레르기: 새우", str(pid))]
    view = h.decide(shop, sess, str(pid), True)
    assert view.pending == [] and "새우" in view.profile and view.info == "반영했어요."


def test_export_and_delete(shop):
    sess = _signed_in(shop)
    view = h.export_profile(shop, sess, "1234")
    data = json.loads(open(view.export_file, encoding="utf-8").read())
    assert json.dumps(data, ensure_ascii=False).count("C001") >= 1 and "pin_hash" not in json.dumps(data)
    assert h.delete_profile(shop, sess, False, "1234").warning       # unchecked confirmation box
    view = h.delete_profile(shop, sess, True, "1234")
    assert view.session.customer_id is None and "삭제" in view.info
    assert "C001" not in [c.id for c in shop.profiles.list_customers()]


def test_kiosk_idle_reset():
    now = [1000.0]
    shop = small_shop(kiosk=True, kiosk_idle_s=60, clock=lambda: now[0])
    sess = h.add_to_cart(shop, h.UISession(last_active=now[0]), "P0001", 1).session
    now[0] += 30
    assert h.idle_check(shop, sess).session is None           # still in use: nothing changes
    now[0] += 31
    view = h.idle_check(shop, sess)
    assert view.session.dialogue.cart == {} and view.history == [] and "비어" in view.cart


def test_staff_pin(shop):
    shop = small_shop(gate=Gate.ephemeral(staff_pin="2580"), staff_view=shop.staff_view)
    view = h.staff_open(shop, None, "1111")
    assert view.staff_visible is False and "PIN" in view.warning and view.staff_plot is None
    view = h.staff_open(shop, None, "2580")
    assert view.staff_visible and view.staff_plot == "FIG" and view.staff_alerts == "품절 임박 2개"


def test_sign_out_clears_the_screen(shop):
    view = h.sign_out(shop, _signed_in(shop))
    assert view.session.customer_id is None and view.history == [] and view.products == []


def test_demo_mode_picks_a_demo_customer_without_pin():
    shop = small_shop(demo=True)
    view = h.sign_in(shop, None, "C002", "")
    assert view.session.customer_id == "C002" and view.session.token and "박지영" in view.profile
    assert h.sign_in(shop, None, "C999", "").warning      # unknown id: Korean error, no session
    assert "PIN" in h.sign_in(shop, None, "C002", "0000").warning   # a PIN given is still checked


def test_sign_in_needs_the_pin_outside_demo_mode(shop):
    view = h.sign_in(shop, None, "C002", "")
    assert view.session is None and "PIN" in view.warning
    view = h.sign_in(shop, None, "C002", "5678")
    assert view.session.customer_id == "C002" and view.history == [] and view.products == []
