"""Use and pack tags of the catalog (캠핑, 반려견, 유아, 대용량, ...) said by the shopper are
required tags where the catalog carries them, and only there; sentences made up for these tests."""

import json

import pytest

from assistant.nlu import parse
from assistant.nlu.lexicon import DEFAULT_USE_TAG_LEAVES, DEFAULT_WHOLE_TAG_LEAVES, USE_TAGS, Lexicon
from assistant.settings import REPO_ROOT


@pytest.mark.parametrize("text, tag", [
    ("캠핑용 의자 옆에 둘 랜턴 보여줘", "캠핑"),
    ("강아지 사료 유기농으로", "반려견"),
    ("댕댕이 배변패드 추천", "반려견"),
    ("냥이 모래 먼지 안 나는 거", "반려묘"),
    ("신생아 기저귀 추천해 주세요", "유아"),
    ("휴지 대용량으로 싼 거", "대용량"),
    ("주방세제 리필 있어요?", "리필"),
    ("전자레인지에 데우기만 하면 되는 국 있어요?", "간편조리"),
])
def test_use_tag_required_where_the_catalog_has_it(text, tag):
    u = parse(text)
    assert u.intent == "search"
    # required as a tag, or by the category filter where every product of the kind carries it
    assert tag in u.slots.dietary_tags or (
        tag in u.slots.kind_tags and u.slots.categories and tag in Lexicon.default().implied_tags(u.slots.categories))


@pytest.mark.parametrize("text, tag", [
    ("강아지 사료 유기농으로", "반려견"),        # every 강아지사료 carries 반려견
    ("고양이 모래 추천좀", "반려묘"),
    ("캠핑 랜턴 싼 거", "캠핑"),
    ("식물성 음료 있나요", "비건"),              # the word is the kind's own name (두유·식물성음료)
    ("프로틴 초코맛", "고단백"),
])
def test_tag_the_kind_already_carries_is_no_extra_condition(text, tag):
    u = parse(text)
    assert tag not in u.slots.dietary_tags and tag in u.slots.kind_tags and u.slots.categories


@pytest.mark.parametrize("text, tag", [
    ("아기 물티슈 대용량으로", "유아"),          # half the 물티슈 carry 유아: a real condition
    ("비건 두유 있어요", "비건"),                # a diet said as such is the shopper's
    ("유당불내증이라 두유 찾아요", "락토프리"),
])
def test_tag_that_narrows_the_kind_stays(text, tag):
    assert tag in parse(text).slots.dietary_tags


@pytest.mark.parametrize("text, tag", [
    ("아기 이유식 소고기 들어간 거", "유아"),        # the leaf is baby food; no product carries 유아
    ("캠핑 가서 구워 먹을 돼지고기 추천", "캠핑"),   # no food carries 캠핑
    ("라면 가성비 좋은 걸로", "가성비"),             # only eggs carry 가성비
])
def test_use_tag_left_off_where_it_would_exclude_everything(text, tag):
    u = parse(text)
    assert u.intent == "search" and tag not in u.slots.dietary_tags


@pytest.mark.parametrize("text", ["우리 애기 우유 알레르기 있어요", "강아지 키우고 있어요"])
def test_use_words_about_a_person_are_no_tag(text):
    u = parse(text)
    assert not set(u.slots.dietary_tags) & USE_TAGS


def test_keyword_kept_for_the_one_it_is_for():
    assert "신생아" in parse("신생아 기저귀 추천해줘").slots.keywords
    assert "강아지간식" in parse("강아지 간식 추천해줘").slots.keywords    # the catalog kind, whole


@pytest.mark.parametrize("text", ["무가당 두유 있어요", "세탁세제 대용량 있어요"])
def test_kind_of_product_then_issoyo_asks_the_store(text):
    assert parse(text).intent == "search"


def test_builtin_use_tag_leaves_mirror_the_catalog():
    path = REPO_ROOT / "data" / "catalog" / "products.jsonl"
    if not path.exists():
        pytest.skip("no generated catalog")

    class P:
        def __init__(self, row):
            self.brand, self.category, self.tags = row.get("brand", ""), row["category"], tuple(row.get("tags", ()))

    rows = [P(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    built = Lexicon.from_products(rows)
    assert dict(built.tag_leaves) == dict(DEFAULT_USE_TAG_LEAVES)
    assert dict(built.tag_whole_leaves) == dict(DEFAULT_WHOLE_TAG_LEAVES)


@pytest.mark.parametrize("text, leaf", [
    ("애기 이유식 오천원 이하로 닭고기 들어간 거", "이유식"),     # the ingredient is no second product
    ("만두 김치 들어간 걸로", "만두"),
])
def test_what_is_inside_is_no_category(text, leaf):
    u = parse(text)
    assert u.intent == "search" and [c.rsplit("/", 1)[-1] for c in u.slots.categories] == [leaf]


@pytest.mark.parametrize("text", ["먼지 안 나는 거 모래", "소리 안 나는 걸로 믹서기"])
def test_verb_nada_is_no_pronoun(text):
    assert parse(text).intent == "search"
