"""Plans, 전부 담기, kiosk floor plan, bought-together and the first screen in the UI handlers
(issue 16): the real catalog and store tables, rule-based understanding, no model, no Gradio."""

from __future__ import annotations

import dataclasses
import doctest
import io

import pytest

import ui.handlers as h
import ui.plans as plans
from ui.testing import store_shop

PARTY = "4인 가족 삼겹살 파티 하려는데 5만원으로 장볼 거 골라줘"


@pytest.fixture(scope="module")
def shop():
    return store_shop()


def _turn(shop, message, session=None):
    return list(h.send(shop, session, message, []))[-1]


def _signed_in(shop, cid="C001", pin="1234"):
    view = h.sign_in(shop, None, cid, pin)
    assert view.session is not None and view.session.customer_id == cid, view.warning
    return view.session


def test_plans_doctests():
    assert doctest.testmod(plans).failed == 0


def test_a_plan_answer_shows_the_plan_card_and_its_button(shop):
    view = _turn(shop, PARTY)
    plan = view.session.dialogue.last_plan
    assert view.plan_visible is True and len({it["role"] for it in plan["items"]}) >= 3
    card = view.plan
    for it in plan["items"]:
        p = shop.assistant.catalog[it["id"]]
        assert p.name in card and it["role"] in card
        assert f"{(p.sale_price if p.sale_price is not None else p.price) * it['qty']:,}원" in card
    assert f"합계</td><td class=\"jb-num\"><b>{plan['total']:,}원" in card and "50,000원" in card
    assert f"{50_000 - plan['total']:,}원" in card           # what is left of the budget
    # the plan's products are the cards, badged with their role
    assert {p["id"]: p["badge"] for p in view.products} == {it["id"]: it["role"] for it in plan["items"]}


def test_plan_card_names_what_was_left_out_and_escapes_text():
    html = plans.plan_card_html({"name": "<b>파티</b>", "scale": 4, "scale_word": "명", "budget": 10000,
                                 "total": 9000, "excluded_allergens": ["땅콩"],
                                 "items": [{"id": "P1", "qty": 1, "role": "메인", "name": "<img src=x>",
                                            "line_total": 9000}],
                                 "left_out": [{"role": "음료", "why": "budget"}, {"role": "쌈장", "why": "none"}]})
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html and "<b>파티</b>" not in html
    assert "예산 안에 맞추려고 뺀 것: 음료" in html and "조건에 맞는 상품이 없어 못 넣은 것: 쌈장" in html
    assert "제외한 알레르기 성분: 땅콩" in html and "4인" in html


def test_add_all_puts_the_whole_plan_in_the_anonymous_session_cart(shop):
    first = _turn(shop, PARTY)
    sess, items = first.session, first.session.dialogue.last_plan["items"]
    view = plans.add_plan(shop, sess, first.history)
    assert not view.warning and "한 번에 담았어요" in view.info and view.plan_visible is False
    assert sess.dialogue.cart == {it["id"]: it["qty"] for it in items}
    assert view.history[-1] == {"role": "assistant", "content": view.info} and len(view.history) == 3
    for it in items:
        assert shop.assistant.catalog[it["id"]].name in view.cart


def test_add_all_for_a_signed_in_customer_goes_to_their_stored_cart(shop):
    sess = _signed_in(shop)
    shop.profiles.cart_clear("C001")
    items = _turn(shop, PARTY, sess).session.dialogue.last_plan["items"]
    view = plans.add_plan(shop, sess)
    assert not view.warning
    assert {c.product_id: c.qty for c in shop.profiles.cart("C001")} == {it["id"]: it["qty"] for it in items}
    shop.profiles.cart_clear("C001")


def test_add_all_refused_for_stock_adds_nothing_and_says_why(shop):
    sess = _turn(shop, PARTY).session
    line = max(sess.dialogue.last_plan["items"], key=lambda it: it["qty"])
    ledger, before = shop.assistant.stock, shop.assistant.stock.level(line["id"])
    ledger.adjust(line["id"], -(before - line["qty"] + 1))     # one unit short of the plan
    try:
        view = plans.add_plan(shop, sess)
    finally:
        ledger.adjust(line["id"], before - ledger.level(line["id"]))
    assert "재고가" in view.warning and "아무것도 담지 않았어요" in view.warning
    assert sess.dialogue.cart == {} and "비어 있어요" in view.cart and view.plan_visible is None


def test_add_all_without_a_plan_or_with_a_lapsed_sign_in(shop):
    assert "먼저 장보기 계획을" in plans.add_plan(shop, None).warning
    sess = _signed_in(shop)
    sess.token = "forged"
    view = plans.add_plan(shop, sess)
    assert view.warning == h.EXPIRED and view.session.customer_id is None


def test_add_all_when_the_database_is_busy_keeps_the_cart(shop, monkeypatch):
    import sqlite3

    sess = _signed_in(shop)
    shop.profiles.cart_clear("C001")
    _turn(shop, PARTY, sess)

    def locked(*a, **kw):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(shop.profiles, "cart_add", locked)
    view = plans.add_plan(shop, sess)
    assert "잠시 후 다시 시도해 주세요" in view.warning and list(shop.profiles.cart("C001")) == []


def test_kiosk_location_shows_the_floor_plan_with_the_zone_highlighted(shop):
    from PIL import Image, ImageChops

    from assistant import plans_intent
    from store.layout import render_floor_plan

    kiosk = dataclasses.replace(shop, kiosk=True)
    view = _turn(kiosk, "우유 어디 있어요?")
    assert "5번 통로 5-A 구역" in view.history[-1]["content"]
    assert "5-A" in view.floor["label"] and "5번 통로" in view.floor["label"]
    layout = plans_intent.services(shop.assistant).layout
    want = Image.open(io.BytesIO(render_floor_plan(layout, "5-A")))
    plain = Image.open(io.BytesIO(render_floor_plan(layout, None)))
    shown = view.floor["image"]
    assert ImageChops.difference(shown.convert("RGB"), want.convert("RGB")).getbbox() is None
    assert ImageChops.difference(shown.convert("RGB"), plain.convert("RGB")).getbbox() is not None
    # browser mode: the zone in words only; the next kiosk turn hides the map
    assert _turn(shop, "우유 어디 있어요?").floor == {}
    assert _turn(kiosk, "우유 추천해줘").floor == {}


def test_product_cards_and_a_cart_add_show_bought_together(shop):
    view = _turn(shop, "우유 추천해줘")
    assert view.products and all(p["together"] for p in view.products)
    for p in view.products:
        assert p["id"] not in {t["id"] for t in p["together"]} and len(p["together"]) <= plans.CARD_TOGETHER
        assert all(shop.assistant.stock.level(t["id"]) > 0 for t in p["together"])
    assert view.together == ""
    added = _turn(shop, "그중에 제일 싼 거 담아줘", view.session)
    assert plans.TOGETHER in added.together and "방금 담은" in added.together
    card = plans.add_with_together(shop, h.UISession(), view.products[0]["id"])
    assert view.products[0]["name"] in card.together and card.session.dialogue.cart == {view.products[0]["id"]: 1}
    assert plans.add_with_together(shop, None, "P9999").together is None     # refused add: no panel


def test_bought_together_respects_the_customers_allergies(shop):
    sess = _signed_in(shop, "C002", "5678")
    shop.profiles.update("C002", {"allergies": ["우유", "밀"]}, source="customer")
    try:
        view = _turn(shop, "삼겹살 추천해줘", sess)
        together = [t["id"] for p in view.products for t in p["together"]]
        assert together
        assert not any({"우유", "밀"} & set(shop.assistant.catalog[pid].allergens) for pid in together)
    finally:
        shop.profiles.update("C002", {"allergies": []}, source="customer")


@pytest.mark.parametrize("now,title", [("2026-07-20T08:00", "아침 식사"), ("2026-11-26T19:00", "저녁 간편식")])
def test_kiosk_first_screen_greets_with_the_moments_picks(shop, now, title):
    shop.assistant.now = now
    try:
        view = plans.first_screen(dataclasses.replace(shop, kiosk=True), None)
    finally:
        shop.assistant.now = None
    greeting = view.history[0]["content"]
    assert view.history[0]["role"] == "assistant" and greeting.startswith("안녕하세요")
    assert title in greeting and view.products
    assert title in {p["badge"] for p in view.products}
    for p in view.products:
        assert p["name"] in greeting and p["stock"] > 0


def test_kiosk_idle_reset_returns_to_the_first_screen(shop):
    now = [1000.0]
    kiosk = dataclasses.replace(shop, kiosk=True, kiosk_idle_s=60, clock=lambda: now[0])
    sess = _turn(kiosk, PARTY, h.UISession(last_active=now[0])).session
    now[0] += 30
    assert plans.idle_reset(kiosk, sess).session is None
    now[0] += 31
    view = plans.idle_reset(kiosk, sess)
    assert view.session.dialogue.last_plan is None and view.plan_visible is False and view.floor == {}
    assert len(view.history) == 1 and view.history[0]["content"].startswith("안녕하세요") and view.products


def test_sign_in_and_sign_out_clear_the_last_persons_plan_and_map(shop):
    sess = _turn(shop, PARTY).session
    signed = h.sign_in(shop, sess, "C001", "1234")
    assert signed.plan_visible is False and signed.plan == "" and signed.floor == {} and signed.together == ""
    assert signed.session.dialogue.last_plan is None
    out = h.sign_out(shop, signed.session)
    assert out.plan_visible is False and out.floor == {} and out.together == ""


def test_kiosk_start_over_is_a_new_session_on_the_first_screen(shop):
    kiosk = dataclasses.replace(shop, kiosk=True)
    sess = _turn(kiosk, PARTY).session
    sess = plans.add_plan(kiosk, sess).session
    assert sess.dialogue.cart
    view = plans.start_over(kiosk, sess)
    assert view.session is not sess and view.session.dialogue.cart == {} and "비어 있어요" in view.cart
    assert view.history[0]["content"].startswith("안녕하세요") and view.products
    assert view.plan_visible is False and view.floor == {} and view.together == ""


def test_kiosk_app_reads_the_floor_plan_file_the_assistant_wrote(shop, tmp_path):
    """In the app (`--mode kiosk`) the assistant writes the image under var/floorplans and the
    answer names its path; the UI shows that file."""
    kiosk = dataclasses.replace(shop, kiosk=True)
    saved = shop.assistant.ui_mode, shop.assistant.var_dir
    shop.assistant.ui_mode, shop.assistant.var_dir = "kiosk", tmp_path
    try:
        view = _turn(kiosk, "라면은 몇 번 통로예요?")
    finally:
        shop.assistant.ui_mode, shop.assistant.var_dir = saved
    written = list((tmp_path / "floorplans").glob("floor-*.png"))
    assert len(written) == 1 and written[0].stem.removeprefix("floor-") in view.floor["label"]
    from PIL import Image, ImageChops

    on_disk = Image.open(written[0]).convert("RGB")
    assert ImageChops.difference(view.floor["image"].convert("RGB"), on_disk).getbbox() is None
    assert "번 통로" in view.history[-1]["content"]
