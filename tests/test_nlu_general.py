"""General readings found wanting on the tuned blind batches a/b/c (issue 13), tested with
sentences made up for these tests: amounts that are no count, pointers inside an allergy
list, policy questions phrased as stories, cart and checkout cues."""

import pytest

from assistant.nlu import parse
from assistant.types import DialogueState


@pytest.mark.parametrize("text", [
    "복숭아랑 토마토 둘 다 안 돼요 주스 추천",      # "둘 다" = both
    "새우 게 셋 다 못 먹어요 라면 추천",
    "10개월 아기 간식 추천",                       # an age, not a count
    "친구 중에 땅콩 알레르기 있는 애가 하나 있어서 과자 추천",
    "귤 한 박스 사려는데 제주산 있어요?",           # how much to buy, not how many to show
])
def test_no_count_where_none_is_asked(text):
    u = parse(text)
    assert u.intent == "search" and u.slots.count is None


@pytest.mark.parametrize("text, count", [
    ("라면 네 개만 추천해 줘", 4),
    ("간식 하나만 골라줘", 1),
    ("과일 주스 세 가지 보여줘", 3),
])
def test_counts_that_are_asked(text, count):
    assert parse(text).slots.count == count


def test_all_inside_an_allergy_list_is_no_pointer():
    u = parse("메밀, 땅콩, 복숭아 다 빼고 먹을 수 있는 간식")
    assert u.intent == "search" and u.slots.reference is None
    assert set(u.slots.allergens) == {"메밀", "땅콩", "복숭아"}
    after = DialogueState(last_intent="cart_add")
    assert parse("장바구니에 있는 거 다 빼줘", after).slots.reference.kind == "all"
