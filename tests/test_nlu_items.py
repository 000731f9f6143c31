"""The kind of product asked for (the head noun) survives spacing, analyzer misreadings and
allergy clauses; sentences made up for these tests."""

import pytest

from assistant.nlu import parse


@pytest.mark.parametrize("text, item", [
    ("고양이 모래 냄새 적은 거", "고양이모래"),          # a catalog kind typed with a space
    ("말린 과일 선물용으로", "말린과일"),
    ("땅콩 알레르기인데 그래놀라 추천 좀", "그래놀라"),   # the analyzer alone reads 그래+놀라
    ("호두 못 먹어요 그래놀라 호두 없는 걸로", "그래놀라"),
])
def test_item_is_a_keyword(text, item):
    u = parse(text)
    assert u.intent == "search" and item in u.slots.keywords


def test_pieces_inside_a_longer_word_stay_apart():
    assert "두부" not in parse("두부모래로 추천해줘").slots.keywords


@pytest.mark.parametrize("text, had, wanted", [
    ("버너는 있고 가스만 사려고요", "버너", "가스"),
    ("샴푸는 집에 있어요 린스 추천해 주세요", "샴푸", "린스"),
])
def test_what_the_shopper_has_is_not_searched(text, had, wanted):
    kws = parse(text).slots.keywords
    assert wanted in kws and had not in kws


def test_a_lone_owned_word_is_kept():
    assert "우유" in parse("우유는 있어요?").slots.keywords
