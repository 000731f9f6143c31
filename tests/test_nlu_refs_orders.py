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
