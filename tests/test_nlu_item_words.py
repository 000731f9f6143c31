"""The asked item survives what follows it and what the message is for (sentences written
for this test; batch G lost "그래놀라인데", which the analyzer reads as 그래+놀라, and read
"<allergy> 아이가 마실 주스" as a profile update)."""

import pytest

from assistant.nlu.parser import parse


@pytest.mark.parametrize("text, keyword", [
    ("그래놀라인데 견과 없는 걸로", "그래놀라"),
    ("고양이 모래인데 먼지 적은 거", "고양이모래"),
    ("말린 과일인지 뭔지 그런 거", "말린과일"),
])
def test_an_item_word_before_a_copula_is_kept(text, keyword):
    assert keyword in parse(text).slots.keywords


@pytest.mark.parametrize("text, keyword", [
    ("우유 알레르기 있는 애가 먹을 과자", "과자"),
    ("땅콩 알레르기 남편이 마실 음료", "음료"),
])
def test_a_message_ending_on_what_it_is_for_is_a_search(text, keyword):
    u = parse(text)
    assert u.intent == "search" and keyword in u.slots.keywords and u.slots.allergens


def test_an_allergy_said_alone_is_still_a_profile_update():
    assert parse("우리 애 땅콩 알레르기 있어요").intent == "profile_update"
