"""Korean analyzer: tag filter, lemmas, irregular verbs, units, mixed terms, user words."""

import pytest

from retrieval.analyzer import Analyzer, WhitespaceAnalyzer, normalize_query, normalize_unit, user_words_from_catalog


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer()


def test_keeps_content_morphemes_and_drops_particles(analyzer):
    assert analyzer.tokenize("서울에 있는 삼성전자 본사는?") == ["서울", "있다", "삼성", "전자", "본사"]


def test_irregular_verbs_survive_as_lemmas(analyzer):
    # Kiwi tags 걷 as VV-I: without stripping the suffix it would vanish.
    assert analyzer.tokenize("걸어서 갔다") == ["걷다", "가다"]
    assert "맛있다" in analyzer.tokenize("맛있는 요거트")


@pytest.mark.parametrize("number,unit,expected", [
    ("1", "kg", "1kg"), ("500", "ml", "500ml"), ("2", "L", "2l"), ("6", "입", "6입"),
    ("1.5", "L", "1.5l"), ("1,000", "g", "1kg"), ("1500", "ml", "1.5l"), ("2", "개입", "2입"),
])
def test_normalize_unit(number, unit, expected):
    assert normalize_unit(number, unit) == expected


def test_units_become_single_tokens(analyzer):
    assert analyzer.tokenize("우유 1L 6입 1.5 L 500ml") == ["우유", "1l", "6입", "1.5l", "500ml"]
    assert analyzer.tokenize("흰우유1000ml") == ["희다", "우유", "1l"]
    # "2개월" is a duration, not "2개" + 월
    assert "2개" not in analyzer.tokenize("2개월 사용")


def test_mixed_korean_english_terms_meet(analyzer):
    assert analyzer.tokenize("protein bar") == analyzer.tokenize("프로틴바") == ["프로틴바"]
    assert analyzer.tokenize("Greek Yogurt") == analyzer.tokenize("그릭 요거트")
    assert normalize_query("ＹＯＧＵＲＴ") == "요거트"  # NFKC full-width, then lowercase


def test_user_words_keep_brand_whole():
    words = user_words_from_catalog(["맛나당", "A", "맛나당", "그릭 요거트", "서울우유"])
    assert words == ["맛나당", "그릭요거트", "서울우유"]
    assert "맛나당" in Analyzer(user_words=words).tokenize("맛나당 과자")


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "!!!??", "…—"])
def test_contentless_text_gives_no_tokens(analyzer, text):
    assert isinstance(analyzer.tokenize(text), list)
    assert analyzer.tokenize(text) == []


def test_sql_looking_text_is_just_words(analyzer):
    assert analyzer.tokenize("'; DROP TABLE products;--") == ["drop", "table", "products"]


def test_batch_equals_single(analyzer):
    texts = ["프로틴바 6입", "새벽배송 언제 와요?", "", "걸어서 갔다"]
    assert analyzer.tokenize_many(texts) == [analyzer.tokenize(t) for t in texts]
    assert Analyzer(num_workers=2).tokenize_many(texts) == [analyzer.tokenize(t) for t in texts]


def test_signature_changes_with_user_words():
    assert Analyzer().signature != Analyzer(user_words=["맛나당"]).signature
    assert Analyzer().signature == Analyzer().signature


def test_whitespace_baseline():
    assert WhitespaceAnalyzer().tokenize("우유는, 맛있다!") == ["우유는", "맛있다"]
