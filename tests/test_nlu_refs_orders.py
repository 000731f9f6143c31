"""Pointers to the first product and orders said as a pointer plus an amount; sentences made
up for these tests."""

import pytest

from assistant.nlu import parse
from assistant.types import DialogueState

SHOWN = DialogueState(last_intent="search", last_results=["p1", "p2", "p3"])


@pytest.mark.parametrize("text", ["맨 처음 거 장바구니에 넣어줘", "제일 위에 있는 거 담아", "처음 거 빼 주세요"])
def test_first_shown_product(text):
    ref = parse(text, SHOWN).slots.reference
    assert ref is not None and (ref.kind, ref.index) == ("index", 0)


def test_first_in_other_senses_is_no_pointer():
    assert parse("처음 보는 과자 추천", SHOWN).slots.reference is None


@pytest.mark.parametrize("text, qty", [("그거 두 개요", 2), ("세 번째 거 다섯 봉지만", 5), ("저거 4개 주세요", 4)])
def test_pointer_and_amount_is_an_order(text, qty):
    u = parse(text, SHOWN)
    assert (u.intent, u.slots.quantity) == ("cart_add", qty) and u.slots.reference is not None


def test_pointer_amount_and_a_question_stays_a_question():
    assert parse("그거 두 개 얼마예요?", SHOWN).intent == "product_question"


@pytest.mark.parametrize("text", ["김에 들깨 들어갔어요?", "이 라면에 새우 들었나요? 남편이 새우 알레르기예요"])
def test_asking_what_a_product_holds(text):
    assert parse(text, SHOWN).intent == "product_question"


@pytest.mark.parametrize("text, allergen", [("호두 든 건 빼고 쿠키 보여줘", "호두"), ("우유 든 거 빼 주세요 과자로", "우유")])
def test_den_geon_ppaego_excludes(text, allergen):
    assert allergen in parse(text).slots.allergens


def test_from_now_on_is_a_profile_fact():
    assert parse("앞으로 복숭아 든 건 빼 주세요 딸이 알레르기 있어요").intent == "profile_update"


def test_a_product_made_a_way_is_a_search():
    assert parse("생수 유리병으로 된 거").intent == "search"


@pytest.mark.parametrize("text, qty", [("제일 싼 거 세 개 담아줘", 3), ("평점 제일 좋은 걸로 네 개 넣어줘", 4)])
def test_amount_after_a_sorted_pointer_is_the_quantity_in_the_cart(text, qty):
    u = parse(text)
    assert u.intent == "cart_add" and u.slots.quantity == qty and u.slots.reference.kind in ("cheapest", "best_rated")


@pytest.mark.parametrize("text", ["세 봉지 담아주세요", "한 팩만 넣어줘"])
def test_cart_add_without_a_product_points_at_the_one_talked_about(text):
    u = parse(text)
    assert u.intent == "cart_add" and u.slots.reference is not None and u.slots.reference.kind == "it"


def test_pointer_and_amount_answer_no_pending_product_question():
    from assistant.nlu.dialogue import update_state

    state = DialogueState(pending_clarification={"intent": "product_question", "slots": {}, "missing": "product"})
    _, u = update_state(state, parse("그걸로 세 봉지", state), "그걸로 세 봉지")
    assert u.intent == "cart_add" and u.slots.quantity == 3


@pytest.mark.parametrize("text", ["주문 넣어 주세요", "이대로 주문 넣어줘", "결제까지 해 주세요"])
def test_placing_the_order_is_checkout(text):
    assert parse(text).intent == "checkout"


def test_putting_in_the_cart_is_still_cart_add():
    assert parse("두부 두 모 넣어줘").intent == "cart_add"


@pytest.mark.parametrize("text", ["이 로션 아기한테 발라도 되나요?", "이 간식 강아지한테 줘도 돼요?"])
def test_may_i_use_it_on_someone_is_a_product_question(text):
    assert parse(text).intent == "product_question"


@pytest.mark.parametrize("text, qty", [("평점 제일 좋은걸로 3개", 3), ("그거 말고 두번째 거 2개", 2)])
def test_a_pointer_and_an_amount_alone_is_an_order(text, qty):
    u = parse(text, SHOWN)
    assert u.intent == "cart_add" and u.slots.quantity == qty


def test_showing_the_cheapest_two_is_still_a_search():
    u = parse("제일 싼 거 2개 보여줘", SHOWN)
    assert u.intent == "search"
