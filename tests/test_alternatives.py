"""Alternatives when the exact thing is not there (issue 14): the same kind with one soft
condition relaxed first; when a hard condition rules out every item of the kind, only items of a
near kind (the same noun family, or for food the item's own shelf), labeled as another kind, or
none; never an unrelated product, never an excluded allergen."""

import pytest

from assistant import replies
from assistant.grounding import Constraints, ground
from assistant.rerank import head_vocabulary, item_query, item_rows, item_shelves, noun_family
from assistant.testing import KeywordRetriever
from tests.test_assistant_answers import P


@pytest.fixture
def store():
    rows = [
        # frozen meals: every 그라탕 has milk; the 덮밥 next to them on the shelf has none
        P("A01", "치즈 그라탕", "온기", "300g", "냉동/간편식/덮밥·그라탕", 6900, allergens=("우유", "밀")),
        P("A02", "감자 그라탕", "온기", "300g", "냉동/간편식/덮밥·그라탕", 6500, allergens=("우유",)),
        P("A03", "소불고기 덮밥", "한솥가", "320g", "냉동/간편식/덮밥·그라탕", 5900, allergens=("대두",)),
        P("A04", "카레 덮밥", "한솥가", "320g", "냉동/간편식/덮밥·그라탕", 5500, allergens=("우유", "밀")),
        # another shelf: meets the allergen condition but is another thing entirely
        P("A05", "생수", "맑은물", "2L", "음료/물/생수", 900),
        P("A06", "우유 없는 두부", "콩마을", "300g", "신선/두부/두부", 1900, allergens=("대두",)),
        # snacks: the noun family (과자) spans two shelves
        P("B01", "치즈맛 옥수수과자", "바삭", "80g", "간식/과자/스낵", 1500, allergens=("우유",)),
        P("B02", "현미 쌀과자", "바삭", "60g", "유아/아기간식/과자", 3200),
        P("B03", "치즈 스틱", "바삭", "60g", "간식/과자/스낵", 2500, allergens=("우유",)),
        P("B04", "치즈과자", "바삭", "70g", "간식/과자/스낵", 1800, allergens=("우유",)),
        # kitchen machines: a kettle shares the shelf with the espresso machines, it is not one
        P("C01", "에스프레소머신", "모카", "1대", "가전/주방가전/포트·커피머신", 89000),
        P("C02", "전기 포트", "모카", "1대", "가전/주방가전/포트·커피머신", 19000),
        # headphones: 블루투스 and 유선 kinds
        P("D01", "블루투스 헤드폰", "소리", "1개", "가전/디지털/헤드폰", 59000),
        P("D02", "유선 헤드폰", "소리", "1개", "가전/디지털/헤드폰", 12000),
        # supplements with a number in the name
        P("E01", "식물성 비타D3", "튼튼", "60정", "건강/영양제/비타민", 15000),
        P("E02", "비타D3", "튼튼", "60정", "건강/영양제/비타민", 12000, allergens=("고등어",)),
        P("E03", "고등어 통조림", "바다", "400g", "가공/통조림/생선", 3500, allergens=("고등어",)),
    ]
    return {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)


def _allergens(catalog, found):
    return {a for p in list(found.cards) + [r.card for r in found.relaxed] for a in catalog[p.id].allergens}


def test_a_hard_condition_gives_the_items_own_shelf_never_another_thing(store):
    catalog, retriever, vocab = store
    item = item_query(("그라탕",), "우유 안 들어간 그라탕 있어요", vocab)
    found = ground(retriever, catalog, "그라탕 우유 두부 생수", Constraints(excluded_allergens=("우유",)), k=3, item=item)
    # no 그라탕 without milk; the milk-free 덮밥 on its shelf is offered as another kind,
    # the water and the tofu (milk-free too, other shelves) are not
    assert [p.id for p in found.cards] == ["A03"] and found.other_kind and found.near == "덮밥·그라탕"
    assert not found.relaxed and "우유" not in _allergens(catalog, found)
    text = replies.search_reply(list(found.cards), ["우유 제외"], other_kind="그라탕", shelf=found.near)
    assert text.startswith("우유 제외 조건에 맞는 그라탕은 지금 없어요. 같은 덮밥·그라탕 코너에서")
    assert "그라탕은 아니지만" in text.split("\n")[1] and "찾지 못했어요" not in text


def test_no_near_kind_left_means_none_rather_than_unrelated_items(store):
    catalog, retriever, vocab = store
    item = item_query(("그라탕",), "우유 밀 대두 다 빠진 그라탕", vocab)
    c = Constraints(excluded_allergens=("우유", "밀", "대두"))
    found = ground(retriever, catalog, "그라탕 생수", c, k=3, item=item)
    assert not found.cards and not found.relaxed and found.other_kind and found.asked == "그라탕"
    text = replies.search_reply([], c.describe(), other_kind="그라탕")
    assert text.startswith("우유 제외, 밀 제외, 대두 제외 조건에 맞는 그라탕은 지금 없어요")


def test_the_noun_family_reaches_across_shelves_and_keeps_the_allergen(store):
    catalog, retriever, vocab = store
    item = item_query(("치즈과자",), "우유 알레르기 아이 치즈과자", vocab)
    rows = item_rows(catalog)
    assert noun_family(item, rows) == ("과자",) and item_shelves(item, rows) == {"간식/과자/스낵"}
    found = ground(retriever, catalog, "치즈과자 과자", Constraints(excluded_allergens=("우유",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["B02"] and found.other_kind   # the rice cracker, not the cheese stick
    assert "우유" not in _allergens(catalog, found)


def test_a_machine_on_the_same_shelf_is_not_a_near_kind(store):
    catalog, retriever, vocab = store
    item = item_query(("에스프레소머신",), "에스프레소머신 3만원 이하", vocab)
    found = ground(retriever, catalog, "에스프레소머신 포트", Constraints(budget_max=30000), k=3, item=item)
    # 89,000원 is far past a 20% budget relaxation; the 19,000원 kettle is another machine
    assert not found.cards and not found.relaxed and found.other_kind


def test_the_asked_kind_is_relaxed_last_and_labeled(store):
    catalog, retriever, vocab = store
    item = item_query(("블루투스", "헤드폰"), "블루투스 헤드폰 2만원 이하", vocab)
    found = ground(retriever, catalog, "블루투스 헤드폰", Constraints(budget_max=20000), k=3, item=item)
    # no 블루투스 one within 24,000원: the 유선 one meets the budget, labeled with what it is not
    assert not found.cards and [r.card.id for r in found.relaxed] == ["D02"]
    assert found.relaxed[0].label == "블루투스는 아니지만" and found.unmet == ("블루투스",)
    # within 20% of the budget the asked kind comes first
    found = ground(retriever, catalog, "블루투스 헤드폰", Constraints(budget_max=50000), k=3, item=item)
    assert [r.card.id for r in found.relaxed] == ["D01"] and found.relaxed[0].relaxed == "budget_max"


def test_an_ingredient_ruled_out_is_not_the_item_and_a_lost_number_is_found(store):
    catalog, retriever, vocab = store
    # understanding kept "비타D" (no number) and the message rules 고등어 out ("고등어 성분 없는")
    item = item_query(("비타D",), "비타D3 근데 고등어 성분 없는 거요", vocab)
    assert item.heads == ("비타D3",) and "고등어" not in item.words
    found = ground(retriever, catalog, "비타D3", Constraints(excluded_allergens=("고등어",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["E01"] and not found.other_kind


def test_only_a_hard_condition_opens_other_kinds():
    rows = [P("G01", "감자 그라탕", "온기", "300g", "냉동/간편식/덮밥·그라탕", 6500, allergens=("우유",)),
            P("G02", "김치 덮밥", "한솥가", "320g", "냉동/간편식/덮밥·그라탕", 2900)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("그라탕",), "그라탕 3천원 이하", vocab)
    # the 그라탕 is far over 3,000원 (a wish, relaxed by 20% at most): the 2,900원 덮밥 on its
    # shelf is not offered for it; the reply says the 그라탕 is not there
    found = ground(retriever, catalog, "그라탕 덮밥", Constraints(budget_max=3000), k=3, item=item)
    assert not found.cards and not found.relaxed and found.other_kind
    # with the milk allergy (a hard condition) ruling the 그라탕 out, the 덮밥 is offered as another kind
    found = ground(retriever, catalog, "그라탕 덮밥", Constraints(excluded_allergens=("우유",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["G02"] and found.other_kind


def test_a_shelf_name_read_as_the_item_is_the_noun_its_products_are_named_by():
    rows = [P("H01", "참나무 장작", "불꽃", "10kg", "캠핑/연료/캠핑장작", 15000),
            P("H02", "장작 받침대", "불꽃", "1개", "캠핑/연료/캠핑장작", 9000),
            P("H03", "자작나무 장작", "숲속", "8kg", "캠핑/연료/캠핑장작", 17000)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    # understanding kept the shelf's name ("캠핑장작"): the item is a 장작, the stand is its accessory
    item = item_query(("캠핑장작",), "캠핑 장작 (받침대 말고)", vocab)
    assert item.heads == ("장작",) and not item.leaves
    found = ground(retriever, catalog, "캠핑장작 장작 받침대", Constraints(), k=3, item=item)
    assert {p.id for p in found.cards} == {"H01", "H03"}


def test_the_kind_word_and_one_wish_are_both_named_when_both_are_relaxed():
    rows = [P("K01", "무설탕 캔디", "달콤", "100g", "간식/사탕/캔디", 3000, tags=("무가당",), allergens=("우유",)),
            P("K02", "과일 캔디", "달콤", "100g", "간식/사탕/캔디", 2500),
            P("K03", "우유 캔디", "달콤", "100g", "간식/사탕/캔디", 2500, allergens=("우유",))]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("캔디",), "무설탕 캔디 우유 없는 걸로", vocab)
    c = Constraints(required_tags=("무가당",), excluded_allergens=("우유",))
    found = ground(retriever, catalog, "캔디", c, k=3, item=item)
    # the only 무설탕 candy has milk (never relaxed): the milk-free one, both relaxations said
    assert not found.cards and [r.card.id for r in found.relaxed] == ["K02"]
    assert found.relaxed[0].label == "무설탕은 아니고, 무가당은 아니지만" and found.unmet == ("무설탕", "무가당")


def test_a_food_without_milk_meets_lactose_free_but_milk_never_does():
    from assistant.grounding import satisfies

    rows = [P("L01", "우유 식빵", "빵집", "400g", "베이커리/빵/식빵", 3500, allergens=("우유", "밀")),
            P("L02", "통밀 식빵", "빵집", "400g", "베이커리/빵/식빵", 3900, allergens=("밀",)),
            P("L03", "락토프리 우유", "목장", "900ml", "유제품/우유/우유", 2900, tags=("락토프리",)),
            P("L04", "우유 세제", "깨끗", "1L", "생활/세제/세제", 2900)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    c = Constraints(required_tags=("락토프리",))
    assert [p.id for p in rows if satisfies(p, c)] == ["L02", "L03"]   # not a non-food, not the milk bread
    found = ground(retriever, catalog, "식빵", c, k=3, item=item_query(("식빵",), "유당불내증이라 식빵", vocab))
    assert [p.id for p in found.cards] == ["L02"] and not found.relaxed


def test_under_a_budget_another_kind_is_offered_only_when_it_carries_the_requests_words():
    rows = [P("M01", "현미 쌀과자", "바삭", "60g", "간식/과자/스낵", 3200),
            P("M02", "치즈과자", "바삭", "70g", "간식/과자/스낵", 3500),
            P("M03", "옥수수맛 스낵", "바삭", "90g", "간식/과자/스낵", 1500),
            P("M04", "감자 스낵", "바삭", "90g", "간식/과자/스낵", 1400)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("옥수수맛", "과자"), "옥수수맛 과자 2천원 이하", vocab)
    found = ground(retriever, catalog, "옥수수맛 과자 스낵", Constraints(budget_max=2000), k=3, item=item)
    # every 과자 is over 2,400원; the 옥수수맛 스낵 is what the words describe, the 감자 스낵 is not
    assert [p.id for p in found.cards] == ["M03"] and found.other_kind


def test_an_aisle_word_names_the_whole_aisle_not_only_the_shelves_ending_with_it():
    rows = [P("N01", "망고", "농장", "2입", "신선/과일/열대과일", 9500),
            P("N02", "한라봉", "농장", "3kg", "신선/과일/감귤", 32000, tags=("선물용",)),
            P("N03", "건망고", "농장", "200g", "간식/건과/말린과일", 6000),
            P("N04", "과일 칼", "주방", "1개", "주방/조리도구/칼", 8000)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("과일",), "선물용 과일 3만원대", vocab)
    assert item.heads == ("과일",)
    found = ground(retriever, catalog, "과일 선물용", Constraints(budget_min=30000, budget_max=39999,
                                                              required_tags=("선물용",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["N02"] and not found.other_kind


def test_kind_words_no_item_carries_together_are_not_one_kind():
    from assistant.rerank import kind_words

    rows = [P("Q01", "드럼용 액체세제", "보송", "2.5L", "생활/세탁/세제", 11900),
            P("Q02", "일반 액체세제", "보송", "2.5L", "생활/세탁/세제", 9900),
            P("Q03", "세탁기 전용 세제", "보송", "1L", "생활/세탁/세제", 5900)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("드럼", "세탁기", "세제"), "드럼 세탁기 세제", vocab)
    assert kind_words(item, item_rows(catalog)) == ("드럼",)
    found = ground(retriever, catalog, "드럼 세탁기 세제", Constraints(), k=3, item=item)
    assert [p.id for p in found.cards] == ["Q01"] and not found.relaxed


def test_a_shelf_named_by_the_asked_word_holds_that_thing_under_other_names():
    rows = [P("S01", "바닐라 젤라또", "눈꽃", "500ml", "냉동/디저트/젤라또", 8900, allergens=("우유",)),
            P("S02", "비건 젤라또", "눈꽃", "500ml", "냉동/디저트/젤라또", 9900, allergens=("대두",)),
            P("S03", "레몬 소르베", "눈꽃", "90ml", "냉동/디저트/젤라또", 1200),
            P("S04", "얼음 컵", "눈꽃", "1개", "냉동/디저트/얼음", 900)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("젤라또",), "우유 없는 젤라또 삼천원 이하", vocab)
    c = Constraints(excluded_allergens=("우유",), budget_max=3000)
    found = ground(retriever, catalog, "젤라또 소르베 얼음", c, k=3, item=item)
    # the milk-free 젤라또 is far over budget (a wish); the 소르베 filed on the 젤라또 shelf is
    # offered, labeled as another kind; the ice cup from the next shelf is not
    assert [p.id for p in found.cards] == ["S03"] and found.other_kind
    assert "우유" not in _allergens(catalog, found)


def test_who_it_is_for_is_never_relaxed_and_a_shelf_spelled_apart_is_the_item():
    rows = [P("T01", "소고기 육포", "멍멍", "100g", "반려동물/강아지/강아지간식", 6000, tags=("반려견",),
              allergens=("쇠고기",)),
            P("T02", "황태 트릿", "멍멍", "100g", "반려동물/강아지/강아지간식", 5000, tags=("반려견",)),
            P("T03", "하루견과", "꼬마간식", "20g", "간식/과자/견과", 9000, allergens=("땅콩",)),
            P("T04", "쌀과자", "꼬마간식", "60g", "간식/과자/스낵", 3000)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("강아지", "간식"), "우리 강아지 소고기 알러지라 소고기 안 든 간식", vocab)
    c = Constraints(excluded_allergens=("쇠고기",), required_tags=("반려견",))
    found = ground(retriever, catalog, "강아지 간식 트릿 견과 과자", c, k=3, item=item)
    # the dog's shelf is what "강아지 … 간식" asks for, though its treats are not named 간식
    assert [p.id for p in found.cards] == ["T02"] and not found.other_kind
    # with no dog treat left, a person's snack is never offered by dropping 반려견
    c = Constraints(excluded_allergens=("쇠고기", "명태"), required_tags=("반려견",))
    rows2 = [r for r in rows if r.id != "T02"]
    catalog2, retriever2 = {p.id: p for p in rows2}, KeywordRetriever(rows2)
    found = ground(retriever2, catalog2, "강아지 간식 견과 과자", c, k=3, item=item)
    assert not found.cards and not found.relaxed


def test_a_compound_of_the_asked_word_on_its_own_shelf_is_the_item_not_an_accessory():
    rows = [P("R01", "6년근 홍삼정", "인삼골", "240g", "건강/전통/홍삼", 90000, tags=("선물용",)),
            P("R02", "어린이 홍삼", "인삼골", "30포", "건강/전통/홍삼", 40000),
            P("R03", "에어프라이어 종이호일", "호일", "100매", "가전/주방/에어프라이어", 3900),
            P("R04", "에어프라이어", "바삭", "5L", "가전/주방/에어프라이어", 59000)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("선물용", "홍삼"), "오만원 넘는 선물용 홍삼", vocab)
    found = ground(retriever, catalog, "홍삼", Constraints(budget_min=50001, required_tags=("선물용",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["R01"] and not found.other_kind
    item = item_query(("에어프라이어",), "에어프라이어 10만원 안쪽", vocab)
    found = ground(retriever, catalog, "에어프라이어", Constraints(budget_max=100000), k=3, item=item)
    assert [p.id for p in found.cards] == ["R04"]   # the paper liner stays an accessory
