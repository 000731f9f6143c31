"""Answer metrics: Korean number forms, grounding, citations, policy facts, Korean-ness."""

from __future__ import annotations

import pytest

from finetune.metrics import citation_ok, drifted, extract_numbers, grounding_errors, hangul_share, policy_facts_hit


@pytest.mark.parametrize("text,expected", [
    ("", set()),
    ("3,000원", {3000.0}),
    ("1만 5천원", {15000.0}),
    ("1만5천", {15000.0}),
    ("2만원 이상", {20000.0}),
    ("12,900원 (정가 15,000원)", {12900.0, 15000.0}),
    ("평점 4.5점", {4.5}),
    ("3천원", {3000.0}),
    ("[P0012] 두부 [배송-01#2]", set()),
    ("1. 두부\n2. 우유", set()),
])
def test_extract_numbers(text, expected):
    assert extract_numbers(text) == expected


def test_grounding_flags_invented_numbers_and_products():
    ctx = "- [P0001] 맑은 두부 300g | 가격 2,500원"
    assert grounding_errors("맑은 두부 300g은 2500원이에요 [P0001]", ctx, ("맑은 두부 300g",)) == []
    assert grounding_errors("맑은 두부 300g은 2,000원이에요", ctx, ()) == ["number:2000"]
    assert grounding_errors("든든 우유 1L도 좋아요", ctx, ("맑은 두부 300g", "든든 우유 1L")) == ["number:1", "product:든든 우유 1L"]


def test_citations_must_name_context_ids():
    assert citation_ok("두부예요 [P0001]", ["P0001"], required=True)
    assert not citation_ok("두부예요 [P0002]", ["P0001"], required=False)
    assert not citation_ok("두부예요", ["P0001"], required=True)
    assert citation_ok("안녕하세요", [], required=False)


def test_policy_facts_match_any_number_form():
    assert policy_facts_hit("3만 원 이상이면 무료예요", ["30000"]) == 1.0
    assert policy_facts_hit("7일 안에 신청하세요, 배송비 3,000원", ["7", "3000", "6000"]) == pytest.approx(2 / 3)
    assert policy_facts_hit("아무 말", []) == 1.0


def test_korean_ness():
    assert hangul_share("") == 0.0
    assert hangul_share("두부 3,000원입니다") == 1.0
    assert not drifted("두부는 2,500원이에요 [P0001].")
    assert drifted("豆腐的价格是2500韩元")
    assert drifted("The tofu costs 2500 won.")
    assert not drifted("CJ 햇반은 즉석밥이에요")


def test_policy_required_facts_keep_numbers_and_key_words():
    from finetune.metrics import policy_required_facts

    facts = policy_required_facts("마이페이지에 비건, 저당, 글루텐프리 같은 식단을 저장하면 먼저 보여드립니다.")
    assert facts == ("마이페이지", "글루텐프리")
    assert policy_required_facts("") == ()
    assert policy_facts_hit("식단 필터 어케 돼?", facts) == 0.0      # an echo of the question keeps no fact


def test_fact_recall_sees_what_groundedness_cannot():
    from finetune.metrics import fact_recall

    ref = "1. 두부 300g — 2,500원 [P0001]\n2. 순두부 — 1,480원 [P0002]"
    assert fact_recall(ref, ref) == 1.0
    assert fact_recall("두부 추천해 주세요", ref) == 0.0             # vacuous: grounded but empty
    assert fact_recall("두부는 2,500원이에요 [P0001]", ref) == pytest.approx(2 / 5)   # 2,500 and P0001 of {300, 2500, 1480, P0001, P0002}
    assert fact_recall("안녕하세요", "반가워요") == 1.0
