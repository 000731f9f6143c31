"""Category words mean what a Korean shopper means: human snacks unless a pet is named,
food only when the message is about eating (integration bugs 1 and 3)."""

import pytest

from assistant.nlu import parse
from assistant.nlu.categories import DEFAULT_CATEGORY_PATHS, food_scope, is_food_category
from assistant.nlu.lexicon import Lexicon

FOOD_TOPS = {"가공식품", "간식·과자", "건강식품", "냉동식품", "신선식품", "유제품", "음료·커피·차", "이유식·아기간식"}


class P:
    def __init__(self, category, brand="테스트", tags=()):
        self.category, self.brand, self.tags = category, brand, tags


@pytest.fixture(scope="module")
def catalog_lexicon():
    """Built like the service builds it (`Lexicon.from_products`), with the store's paths."""
    return Lexicon.from_products([P(c) for c in DEFAULT_CATEGORY_PATHS], known_brands=())


@pytest.mark.parametrize("text", ["간식", "간식 추천해줘", "만원 이하 간식", "아이 간식 추천"])
def test_bare_snack_is_human_snacks(text, catalog_lexicon):
    for lex in (None, catalog_lexicon):
        cats = parse(text, lexicon=lex).slots.categories
        assert cats == ("간식·과자",), (text, cats)
        assert not any("반려동물" in c for c in cats)


@pytest.mark.parametrize("text, want", [
    ("반려견 간식 무첨가", "반려동물/강아지/강아지간식"),
    ("강아지 간식 추천", "반려동물/강아지/강아지간식"),
    ("댕댕이 간식 뭐가 좋아?", "반려동물/강아지/강아지간식"),
    ("고양이 간식", "반려동물/고양이/고양이사료·간식"),
    ("냥이 간식 추천해줘", "반려동물/고양이/고양이사료·간식"),
    ("댕댕이 사료", "반려동물/강아지/강아지사료"),
])
def test_pet_words_pick_the_pet_shelf(text, want, catalog_lexicon):
    assert parse(text, lexicon=catalog_lexicon).slots.categories == (want,)


def test_dog_snack_keeps_its_tag(catalog_lexicon):
    u = parse("반려견 간식 무첨가", lexicon=catalog_lexicon)
    assert u.intent == "search"
    assert u.slots.dietary_tags == ("무첨가",)
    assert u.slots.categories == ("반려동물/강아지/강아지간식",)


@pytest.mark.parametrize("text", ["캠핑 갈 때 먹을 간편조리 식품", "반찬으로 먹기 좋은 거 추천", "캠핑 음식 추천해줘"])
def test_eating_words_restrict_to_food(text, catalog_lexicon):
    cats = parse(text, lexicon=catalog_lexicon).slots.categories
    assert cats and all(is_food_category(c) for c in cats), cats
    assert not any("캠핑" in c or "생활" in c or "주방" in c for c in cats)


def test_food_cue_keeps_a_named_food_shelf(catalog_lexicon):
    assert parse("캠핑 가서 먹을 라면", lexicon=catalog_lexicon).slots.categories == ("가공식품/라면·면/라면",)


def test_gear_without_eating_stays_gear(catalog_lexicon):
    assert parse("캠핑 버너 추천", lexicon=catalog_lexicon).slots.categories == ("캠핑·레저/캠핑용품/버너·연료",)


def test_food_tops_listed_when_nothing_else_matched():
    assert set(parse("캠핑 갈 때 먹을 간편조리 식품").slots.categories) == FOOD_TOPS


def test_food_scope():
    assert food_scope(["세제·위생"]) is False
    assert food_scope(["가공식품/라면·면/라면"]) is True
    assert food_scope(["반려동물/강아지/강아지간식"]) is False  # the diet said is the shopper's, not the dog's
    assert food_scope([], ["휴지"]) is False
    assert food_scope([], ["선물세트"]) is None
    assert is_food_category("유아동/이유식·아기간식/아기간식")


def test_a_compound_names_the_shelf_of_its_head():
    # "두부모래" is litter made of tofu: the cat litter shelf, not the tofu one
    from assistant.nlu import parse

    u = parse("고양이 두부모래로 만원 이하")
    assert [c.rsplit("/", 1)[-1] for c in u.slots.categories] == ["고양이모래"]
