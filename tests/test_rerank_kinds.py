"""The asked item read from words the catalog itself explains (issue 14): a variety written only
before one item noun ("부사" 사과), and the letter of a compound the keyword lost ("비타민C",
"비타민 씨")."""

from assistant.grounding import Constraints, ground_products
from assistant.rerank import ItemQuery, head_vocabulary, item_heads, item_query, words_match
from assistant.testing import KeywordRetriever
from tests.test_assistant_answers import P

ROWS = [
    P("A1", "부사 사과", "햇살", "3kg", "신선/과일/사과·배", 29000),
    P("A2", "부사 사과", "초록", "1.5kg", "신선/과일/사과·배", 15000),
    P("A3", "홍로 사과", "햇살", "3kg", "신선/과일/사과·배", 27000),
    P("A4", "홍로 사과", "초록", "1.5kg", "신선/과일/사과·배", 14000),
    P("A5", "사과 주스", "과즙", "1L", "음료/주스/주스", 3900),
    P("B1", "유기농 당근", "햇살", "1kg", "신선/채소/뿌리채소", 3900),
    P("B2", "유기농 감자", "초록", "1kg", "신선/채소/뿌리채소", 4900),
    P("V1", "비타민C 1000", "웰니스", "120정", "건강/영양제/비타민", 15000),
    P("V2", "비타민C 1000", "데일리", "120정", "건강/영양제/비타민", 14000),
    P("V3", "종합비타민", "웰니스", "60정", "건강/영양제/비타민", 19000),
    P("V4", "비타민D 2000IU", "웰니스", "90캡슐", "건강/영양제/비타민", 12000),
]


def test_a_word_written_before_one_item_noun_only_names_a_kind_of_it():
    vocab = head_vocabulary(ROWS)
    assert vocab.kind_of["부사"] == "사과" and vocab.kind_of["홍로"] == "사과"
    assert "유기농" not in vocab.kind_of           # written before 당근 and 감자: says no item
    assert "주스" not in vocab.kind_of            # a head noun itself
    assert item_heads(("부사",), vocab, "부사 3키로 3만원 안 넘는거") == ("사과",)
    item = item_query(("부사",), "부사 3키로 3만원 안 넘는거", vocab)
    catalog, retriever = {p.id: p for p in ROWS}, KeywordRetriever(ROWS)
    cards = ground_products(retriever, catalog, "부사", Constraints(budget_max=30000), k=3, item=item)
    # the 부사 of the asked size; not the 홍로 of that size, not the 사과 주스
    assert [c.id for c in cards] == ["A1"]


def test_the_letter_of_a_compound_the_keyword_lost_names_the_item():
    vocab = head_vocabulary(ROWS)
    assert item_heads(("비타민",), vocab, "비타민C") == ("비타민C",)
    assert item_heads(("비타민",), vocab, "비타민 씨 1000") == ("비타민C",)
    assert item_heads(("비타민",), vocab, "비타민D 추천") == ("비타민D",)
    assert item_heads(("비타민",), vocab, "비타민 이거 좋아요") != ("비타민E",)
    # only a Hangul syllable comes off a word: "비타민C" is not matched by 종합비타민
    assert words_match("종합비타민", ItemQuery(heads=("비타민",), words=("비타민C",))) == 0
    assert words_match("대형배변패드", ItemQuery(heads=("배변패드",), words=("대형견",))) == 1
    q = item_query(("비타민",), "비타민C 추천", vocab)
    catalog, retriever = {p.id: p for p in ROWS}, KeywordRetriever(ROWS)
    cards = ground_products(retriever, catalog, "비타민", Constraints(), k=3, item=q)
    assert {c.id for c in cards} == {"V1", "V2"}


def test_a_shape_or_flavor_written_after_the_noun_is_not_the_head():
    from assistant.rerank import product_head

    assert product_head("맘스케어 아기 물티슈 캡형 70매 x 20팩", "맘스케어", "70매 x 20팩") == "물티슈"
    assert product_head("고소한날 팝콘 버터맛 80g", "고소한날", "80g") == "팝콘"
    assert product_head("베베숲 팬티형 기저귀 대형 44매", "베베숲", "44매") == "기저귀"
    assert product_head("모아전자 미니 에어프라이어 2L 1대", "모아전자", "2L 1대") == "에어프라이어"


def test_the_analyzers_hangul_spellings_name_the_catalogs_item():
    from assistant.rerank import alias

    rows = [P("C1", "무설탕 초콜릿", "달콤", "80g", "간식/초콜릿/초콜릿", 3000),
            P("C2", "초콜릿 쿠키", "달콤", "200g", "간식/과자/쿠키", 4000)]
    vocab = head_vocabulary(rows)
    assert alias("초콜렛") == "초콜릿" and alias("protein") == "protein"   # English is left to retrieval
    assert item_heads(("초콜렛",), vocab, "당 없는 초콜렛") == ("초콜릿",)


def test_a_shelf_word_in_the_message_names_the_item_when_no_keyword_does():
    from assistant.rerank import message_heads

    rows = [P("N1", "구운 아몬드", "고소", "400g", "간식/견과·건과/견과류", 9900),
            P("N2", "캐슈넛", "고소", "350g", "간식/견과·건과/견과류", 8900),
            P("N3", "절임배추", "새벽", "10kg", "신선/채소/잎채소", 29000)]
    vocab = head_vocabulary(rows)
    assert message_heads("견과류 땅콩 빼고", vocab) == ("견과류",)
    assert message_heads("땅콩 빼고 견과류 말고", vocab) == ()      # a ruled-out shelf names nothing
    item = item_query((), "견과류 땅콩 빼고", vocab)
    catalog, retriever = {p.id: p for p in rows}, KeywordRetriever(rows)
    cards = ground_products(retriever, catalog, "견과류 땅콩 빼고 배추", Constraints(excluded_allergens=("땅콩",)),
                            k=3, item=item)
    assert {c.id for c in cards} == {"N1", "N2"}
