"""Validator: prices, numbers, citations, product names and health claims against the facts."""

import pytest

from assistant.facts import Facts, PolicyFact, ProductFact
from assistant.validator import Context, check_sentence, extract_amounts, validate

P1 = ProductFact("P0001", "비건 현미 누룽지칩", "바른간식", "간식/과자/스낵", 4500, 3900, unit="120g", tags=("비건",))
P2 = ProductFact("P0003", "비건 다크초콜릿", "초코랩", "간식/초콜릿/다크", 8900, None, unit="100g")
POL = PolicyFact("반품-01", "교환 및 반품", "단순변심", "단순변심 반품은 수령 후 7일 이내, 반품 배송비는 고객 부담입니다.")
DRAFT = "비건 조건으로 고른 상품 2개예요.\n1. 비건 현미 누룽지칩 — 3,900원 (정가 4,500원) [P0001]\n2. 비건 다크초콜릿 — 8,900원 [P0003]"
FACTS = Facts(intent="search", products=(P1, P2), draft=DRAFT)
ctx = Context(FACTS, "비건 간식 만원 이하", catalog_names=["비건 현미 누룽지칩", "비건 다크초콜릿", "땅콩 버터 쿠키"])


@pytest.mark.parametrize("text,expected", [
    ("12,900원", [12900]), ("1만 2천원", [12000]), ("3천 5백원", [3500]), ("만원", [10000]), ("2만원", [20000]),
    ("1.5만원", [15000]), ("", []), ("가격은 삼천원", []), ("1,000원과 2,000원", [1000, 2000]),
])
def test_extract_amounts(text, expected):
    assert extract_amounts(text) == expected


def test_correct_reply_passes():
    reply = "비건 현미 누룽지칩은 3,900원이고 비건 다크초콜릿은 8,900원이에요 [P0001][P0003]."
    assert validate(reply, ctx).outcome == "ok"


def test_budget_from_user_message_is_allowed():
    assert check_sentence("만원 이하로 골랐어요 [P0001].", ctx) == []


def test_invented_price_sentence_dropped():
    reply = "비건 현미 누룽지칩 3,900원이에요 [P0001]. 비건 다크초콜릿은 지금 0원이에요 [P0003]."
    v = validate(reply, ctx)
    assert v.outcome == "repaired" and "지금 0원" not in v.reply and "3,900원" in v.reply
    assert "price:0" in v.violations


def test_every_sentence_wrong_falls_back_to_template():
    v = validate("누룽지칩은 1,000원이에요. 초콜릿은 2,000원이에요.", ctx)
    assert v.outcome == "fallback" and v.reply == DRAFT


def test_unknown_citation_and_foreign_product():
    assert "citation:P9999" in check_sentence("좋은 상품이에요 [P9999].", ctx)
    assert "product:땅콩 버터 쿠키" in check_sentence("땅콩 버터 쿠키도 좋아요.", ctx)


def test_numbers_must_come_from_facts():
    pctx = Context(Facts(intent="policy", policies=(POL,), draft="…"), "반품 기한")
    assert check_sentence("단순변심 반품은 7일 이내에 가능해요 [반품-01].", pctx) == []
    assert "number:30" in check_sentence("반품은 30일 이내에 가능해요 [반품-01].", pctx)


def test_units_inside_product_names_are_not_numbers():
    assert check_sentence("비건 다크초콜릿 100g을 추천해요 [P0003].", ctx) == []


def test_health_claims_rejected():
    assert any(p.startswith("health") for p in check_sentence("누룽지칩은 면역력을 높여요 [P0001].", ctx))


def test_missing_policy_citation_appended_product_ids_kept_out_of_text():
    v = validate("비건 현미 누룽지칩과 비건 다크초콜릿을 추천해요.", ctx)
    assert v.outcome == "ok" and "[P" not in v.reply           # product ids travel in `sources`
    cited = validate("비건 현미 누룽지칩 3,900원이에요 [P0001].", ctx)
    assert "P0001" not in cited.reply and "3,900원" in cited.reply
    pctx = Context(Facts(intent="policy", policies=(POL,), draft="…"), "반품 기한")
    p = validate("단순변심 반품은 7일 이내에 가능해요.", pctx)
    assert p.outcome == "repaired" and p.reply.endswith("[반품-01]")


def test_non_korean_drift_falls_back():
    assert validate("I recommend the vegan chips for you today.", ctx).outcome == "fallback"
    assert validate("我推荐这个产品给你。", ctx).outcome == "fallback"


def test_reply_without_any_product_falls_back():
    assert validate("좋은 하루 보내세요! 감사합니다.", ctx).outcome == "fallback"


def test_bare_ids_are_checked_not_counted_as_numbers():
    assert check_sentence("P0001 상품을 추천해요.", ctx) == []
    assert "citation:P0999" in check_sentence("P0999 상품을 추천해요.", ctx)


def test_fragment_cut_by_the_token_limit_is_dropped_not_blamed():
    v = validate("비건 현미 누룽지칩 3,900원이에요 [P0001].\n2. 비건 다크초콜릿 — 8,9", ctx)
    assert v.outcome in ("ok", "repaired") and v.violations == () and "8,9" not in v.reply


def test_a_quote_must_be_the_policy_text_word_for_word():
    facts = Facts(intent="policy", policies=(POL,), draft="7일 이내예요 [반품-01]")
    pctx = Context(facts, "반품 며칠 안에 돼요?")
    exact = "7일 이내예요. 근거: 「단순변심 반품은 수령 후 7일 이내, 반품 배송비는 고객 부담입니다.」 [반품-01]"
    assert validate(exact, pctx).outcome == "ok"
    # one altered word inside the quote (a real 0.5B slip: "나uddle어" for "나뉘어") -> template
    altered = "7일 이내예요. 근거: 「단순변심 반품은 수령 후 7일 이내, 반품 배송비는 판매자 부담입니다.」 [반품-01]"
    v = validate(altered, pctx)
    assert v.outcome == "fallback" and v.reply == facts.draft and v.violations == ("quote",)
