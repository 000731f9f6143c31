"""Korean numbers and budget expressions (assistant.nlu.numbers, assistant.nlu.budget)."""

import pytest

from assistant.nlu import parse
from assistant.nlu.budget import extract_budget
from assistant.nlu.numbers import native_count, parse_amount, round_step
from assistant.nlu.slots import normalize
from assistant.types import DialogueState


@pytest.mark.parametrize("text, value", [
    ("만", 10000), ("삼만", 30000), ("2만5천", 25000), ("10,000", 10000), ("오천", 5000),
    ("1.5만", 15000), ("만오천", 15000), ("만 오천", 15000), ("천오백", 1500), ("십만", 100000),
    ("12,900", 12900), ("일만", 10000), ("삼천오백", 3500),
])
def test_parse_amount(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["", "만두", "원", "abc"])
def test_parse_amount_rejects_non_numbers(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("word, n", [("한", 1), ("두", 2), ("세", 3), ("네", 4), ("다섯", 5),
                                     ("열두", 12), ("두어", 2), ("서너", 3), ("7", 7), ("사과", None)])
def test_native_count(word, n):
    assert native_count(word) == n


@pytest.mark.parametrize("amount, step", [(20000, 10000), (100000, 100000), (150000, 10000), (5000, 1000)])
def test_round_step(amount, step):
    assert round_step(amount) == step


@pytest.mark.parametrize("text, lo, hi", [
    ("만원 이하", None, 10000),
    ("2만원대", 20000, 29999),
    ("10만원대 한우", 100000, 199999),
    ("5천원~1만원", 5000, 10000),
    ("3만 원 안쪽", None, 30000),
    ("10,000원 미만", None, 9999),
    ("오천원짜리", 4000, 6000),          # "짜리" = around: +-20 %
    ("만오천원", None, 15000),           # a bare amount is a ceiling
    ("1.5만원 이하", None, 15000),
    ("삼만원", None, 30000),
    ("2만원 이상 3만원 이하", 20000, 30000),
    ("3만원 초과", 30001, None),
    ("5만원 넘는", 50001, None),
    ("2만원 넘지 않는", None, 20000),
    ("1~2만원", 10000, 20000),
    ("1~2만원대", 10000, 29999),
    ("만원부터 2만원까지", 10000, 20000),
    ("2만 이하", None, 20000),
    ("만원이하로만", None, 10000),
])
def test_budget(text, lo, hi):
    got = extract_budget(normalize(text))
    assert (got[0], got[1]) == (lo, hi)


@pytest.mark.parametrize("text", ["만두 추천", "천연 비누", "2개 담아줘", "500ml 우유", "두 번째 거", "백설 밀가루"])
def test_no_budget_in_non_money_text(text):
    assert extract_budget(normalize(text))[:2] == (None, None)


def test_budget_reaches_parse_slots():
    u = parse("비건 간식 만원 이하로 3개 추천해줘")
    assert (u.intent, u.slots.budget_max, u.slots.count, u.slots.dietary_tags) == ("search", 10000, 3, ("비건",))


@pytest.mark.parametrize("text, hi", [("2만원 넘는 건 빼줘", 20000), ("3만원 이상은 말고", 30000)])
def test_refusing_what_costs_more_is_the_cap(text, hi):
    u = parse(text, DialogueState(last_intent="search", last_results=["a"]))
    assert u.intent == "search" and u.slots.budget_max == hi and u.slots.budget_min is None


def test_more_than_still_is_the_floor():
    assert parse("5만원 넘는 거 보여줘").slots.budget_min == 50001
