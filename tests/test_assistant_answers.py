"""Replies that answer the question: item type, honest relaxation, comparisons, sorting,
policy answer first, and no product ids in the text shoppers read (issue 14)."""

import pytest

from assistant import replies
from assistant.facts import Facts, PolicyFact, ProductFact, unit_measure, unit_price_text
from assistant.grounding import Constraints, compare_targets, ground, ground_products, sort_from_message, sort_products
from assistant.policy_grounding import decide, deciding_sentence, is_yes_no, polarity, policy_answer
from assistant.rerank import (
    core_of,
    features,
    head_of,
    head_vocabulary,
    is_item,
    item_heads,
    item_query,
    item_rows,
    message_heads,
    modifier_words,
    name_core,
    product_head,
    purpose_words,
    quantities,
    tier,
)
from assistant.testing import KeywordRetriever, make_product
from assistant.validator import Context, strip_product_ids, validate


def P(pid, name, brand, unit, category, price, **kw):
    return make_product(id=pid, name=f"{brand} {name} {unit}", brand=brand, unit=unit, category=category,
                        price=price, sale_price=kw.pop("sale_price", None), **kw)


@pytest.fixture
def shop():
    rows = [
        P("P0001", "에어프라이어 종이호일", "에이온", "100매", "가전/주방가전/에어프라이어", 3900),
        P("P0002", "미니 에어프라이어", "모아전자", "2L 1대", "가전/주방가전/에어프라이어", 59000),
        P("P0003", "오븐형 에어프라이어", "유니링크", "12L 1대", "가전/주방가전/에어프라이어", 89000),
        P("P0004", "모래 탈취제", "네츄럴펫", "500g", "반려동물/고양이/고양이모래", 6980, tags=("반려묘",)),
        P("P0005", "두부 모래", "펫플러스", "7L", "반려동물/고양이/고양이모래", 9900, tags=("반려묘", "친환경")),
        P("P0006", "벤토나이트 모래", "해피테일", "7kg", "반려동물/고양이/고양이모래", 13900, tags=("반려묘",)),
        P("P0007", "무선 마우스", "볼트랩", "1개", "가전/디지털/이어폰·스피커", 19000),
        P("P0008", "무선 이어폰", "테크온", "1개", "가전/디지털/이어폰·스피커", 39900),
        P("P0009", "유선 이어폰", "에이온", "1개", "가전/디지털/이어폰·스피커", 9900),
        P("P0010", "고산지 바나나", "바른농부", "1송이 1.1kg", "신선/과일/바나나", 5480, tags=("비건",)),
        P("P0011", "유기농 키위", "햇살마루", "1kg", "신선/과일/바나나", 8900, tags=("비건", "유기농")),
        P("P0012", "바나나", "초록들판", "2송이 2.4kg", "신선/과일/바나나", 8500, tags=("비건",)),
        P("P0013", "땅콩 쿠키", "달콤", "200g", "간식/과자/쿠키", 3000, tags=("유기농",), allergens=("땅콩", "밀")),
        P("P0014", "쌀 쿠키", "달콤", "200g", "간식/과자/쿠키", 3500, allergens=("밀",)),
    ]
    catalog = {p.id: p for p in rows}
    return catalog, KeywordRetriever(rows), head_vocabulary(rows)


def test_product_head_is_the_last_name_word_before_the_pack_size():
    assert product_head("네츄럴펫 모래 탈취제 500g", "네츄럴펫", "500g") == "탈취제"
    assert product_head("모아전자 미니 에어프라이어 2L 1대", "모아전자", "2L 1대") == "에어프라이어"
    assert name_core("당진 고구마 3kg", "장보기 산지직송", "3kg") == "당진 고구마"
    assert product_head("아이사랑 밴드형 기저귀 중형 58매 x 2팩", "아이사랑", "58매 x 2팩") == "기저귀"   # size grade


def test_item_head_of_a_compound_request(shop):
    _, _, vocab = shop
    assert item_heads(("무선이어폰",), vocab) == ("이어폰",)
    assert item_heads(("고양이", "모래"), vocab) == ("모래",)
    assert item_heads(("자취", "뭐시기"), vocab) == ()   # an unknown word: no rerank, no guess
    assert item_heads(("자취", "에프"), vocab) == ("에어프라이어",)   # a clipping the shoppers use


def test_item_scan_rows_agree_with_tier_and_follow_catalog_changes(shop):
    """The catalog scan of every search uses precomputed (head, core) rows: the same answer
    as `tier(...) == 2` for every product and request, and a changed catalog is re-read."""
    catalog, _, vocab = shop
    requests = [(("에어프라이어",), "에어프라이어"), (("에어프라이어", "종이호일"), "에어프라이어 종이호일"),
                (("고양이", "모래"), "고양이 모래"), (("모래", "탈취제"), "모래 탈취제 주세요"),
                (("무선이어폰",), "무선이어폰"), (("쿠키",), "쿠키")]
    for keywords, message in requests:
        q = item_query(keywords, message, vocab)
        for pid, product, head, core in item_rows(catalog):
            assert (head, core) == (head_of(product), core_of(product))
            assert is_item(head, core, q) == (tier(product, q) == 2), (message, pid)
    rows = item_rows(catalog)
    assert item_rows(catalog) is rows
    renamed = dict(catalog, P0001=P("P0001", "미니 에어프라이어", "에이온", "1대", "가전/주방가전/에어프라이어", 3900))
    catalog.update(renamed)
    assert [r for r in item_rows(catalog) if r[0] == "P0001"][0][2] == "에어프라이어"
    catalog.pop("P0002")
    assert "P0002" not in {r[0] for r in item_rows(catalog)}


@pytest.mark.parametrize("message,keywords,want,not_want", [
    ("에어프라이어 10만원 안쪽", ("에어프라이어",), {"P0002", "P0003"}, {"P0001"}),
    ("고양이 모래 제일 싼 걸로", ("고양이", "모래"), {"P0005"}, {"P0004"}),
    ("무선이어폰 4만원이하로 잇나요", ("무선이어폰",), {"P0008"}, {"P0007", "P0009"}),   # not the mouse, not wired
])
def test_the_item_itself_comes_before_accessories_and_other_things(shop, message, keywords, want, not_want):
    catalog, retriever, vocab = shop
    item = item_query(keywords, message, vocab)
    sort = "price_asc" if "싼" in message else None
    budget = 100000 if "10만원" in message else 40000 if "4만원" in message else None
    cards = ground_products(retriever, catalog, " ".join(keywords), Constraints(budget_max=budget), k=2,
                            sort=sort, item=item)
    shown = {c.id for c in cards}
    assert cards[0].id in want and not shown & not_want, [c.name for c in cards]


def test_item_words_that_end_a_name_shelves_pack_sizes_and_uses():
    rows = [P("P0201", "흙감자", "해남", "3kg", "신선/채소/뿌리채소", 9900),
            P("P0202", "흙감자", "당진", "1kg", "신선/채소/뿌리채소", 3900),
            P("P0203", "감자칩 오리지널", "오후세시", "60g", "간식/과자/스낵", 1500),
            P("P0204", "특란", "하늘농가", "30구", "신선/정육·계란/계란", 8900),
            P("P0205", "구운란", "김제", "10구", "신선/정육·계란/계란", 4500),
            P("P0206", "삼겹살 구이용", "참숯정육", "500g", "신선/정육/돼지고기", 15900),
            P("P0207", "아기 선크림", "클린랩", "50ml", "뷰티/선케어/선케어", 12000),
            P("P0208", "생크림", "하얀들", "500ml", "유제품/치즈·버터/버터·크림", 5000)]
    catalog, vocab = {p.id: p for p in rows}, head_vocabulary(rows)
    potato = item_query(("감자",), "감자 3키로", vocab)
    assert potato.heads == ("감자",) and tier(catalog["P0201"], potato) == 2 and tier(catalog["P0203"], potato) != 2
    assert features(catalog["P0201"], potato)["size"] == 1.0 and features(catalog["P0202"], potato)["size"] == 0.0
    eggs = item_query(("계란",), "계란 30구", vocab)             # no product is named 계란: its shelf is
    assert tier(catalog["P0204"], eggs) == tier(catalog["P0205"], eggs) == 2
    assert features(catalog["P0204"], eggs)["size"] == 1.0
    assert product_head(catalog["P0206"].name, "참숯정육", "500g") == "삼겹살"
    assert item_heads(("크림",), vocab, "아기 선크림") == ("선크림",)    # the longer name the shopper wrote
    assert quantities("키위 20개짜리") == quantities("20입") and quantities("3키로") == quantities("3000g")
    assert quantities("계란 한판 만원 이하") == quantities("30구") and not quantities("한판승")
    cards = ground_products(KeywordRetriever(rows), catalog, "감자", Constraints(), k=3, item=potato)
    assert [c.id for c in cards] == ["P0201"]          # the 3kg pack only, when the store has it


def test_shopper_spellings_purposes_and_the_message_name_the_item():
    rows = [P("P0301", "약산성 샴푸", "클린랩", "1L", "뷰티/헤어·바디/샴푸·린스", 9900),
            P("P0302", "어린이 샴푸", "클린랩", "300ml", "뷰티/헤어·바디/샴푸·린스", 6900),
            P("P0303", "탈모 샴푸", "장보기", "400ml", "뷰티/헤어·바디/샴푸·린스", 12900),
            P("P0304", "울샴푸", "보송", "1L", "세제·위생/세탁세제/세탁세제", 5900),
            P("P0305", "주방세제", "맑음", "1L", "세제·위생/주방·청소세제/주방세제", 3900),
            P("P0306", "세제", "맑음", "1kg", "세제·위생/주방·청소세제/주방세제", 4900),
            P("P0307", "세탁세제", "보송", "3L", "세제·위생/세탁세제/세탁세제", 9900),
            P("P0317", "캡슐세제", "보송", "30개입", "세제·위생/세탁세제/세탁세제", 12900),
            P("P0308", "한우 국거리 양지", "도담정육", "300g", "신선/정육·계란/소고기", 15900),
            P("P0309", "다짐육 소고기", "하늘농가", "300g", "신선/정육·계란/소고기", 8900),
            *[P(f"P033{i}", name, "바른목장", "300g", "신선/정육·계란/소고기", 19900)
              for i, name in enumerate(("한우 등심", "한우 채끝", "찜갈비", "우둔 불고기용", "사태"))],
            P("P0310", "미역국", "정담", "500g x 2입", "가공/즉석식품/즉석국·찌개", 5900),
            P("P0311", "프로틴바", "닥터뉴트리", "40g x 12입", "건강/단백질/프로틴", 15900, allergens=("땅콩",)),
            P("P0312", "땅콩", "오후세시", "300g", "간식/견과/견과류", 6900),
            P("P0313", "에그팬", "살림공방", "1개", "주방/조리도구/프라이팬·냄비", 12900),
            P("P0314", "프라이팬 28cm", "셰프라인", "1개", "주방/조리도구/프라이팬·냄비", 25900),
            P("P0315", "특란", "하늘농가", "30구", "신선/정육·계란/계란", 8900),
            P("P0316", "에어프라이어 5L", "모아전자", "1대", "가전/주방가전/에어프라이어", 59000)]
    catalog, vocab = {p.id: p for p in rows}, head_vocabulary(rows)
    # a misspelling / clipping / everyday word becomes the catalog's noun
    assert item_query(("샴프",), "샴프 만원 이하", vocab).heads == ("샴푸",)
    assert item_query(("자취", "에프"), "자취생인데 에프 하나", vocab).heads == ("에어프라이어",)
    # a longer head filed elsewhere is another thing: 울샴푸 is laundry soap, not a 샴푸
    shampoo = item_query(("샴푸",), "샴푸", vocab)
    assert tier(catalog["P0301"], shampoo) == 2 and tier(catalog["P0304"], shampoo) != 2
    # ... but a kind of the thing filed on another shelf that holds many of them still is one
    soap = item_query(("빨래", "세제"), "빨래 세제", vocab)
    assert tier(catalog["P0307"], soap) == 2 and tier(catalog["P0305"], soap) == 2
    # a purpose is not the item: "미역국 끓일 소고기" asks for beef (a shelf mostly named otherwise); "요거트에 올릴 블루베리" for berries
    assert purpose_words("미역국 끓일 소고기 국거리", ("미역국", "소고기", "국거리")) == {"미역국"}
    assert purpose_words("생 블루베리 요거트에 올릴거", ("블루베리", "요거트")) == {"요거트"}
    beef = item_query(("미역국", "소고기", "국거리"), "미역국 끓일 소고기 국거리", vocab)
    assert tier(catalog["P0308"], beef) == 2 and tier(catalog["P0310"], beef) != 2
    # understanding kept no keyword: the message names the item; a negated word is a condition
    assert message_heads("땅콩 없는 프로틴바", vocab) == ("프로틴바",)
    assert item_query((), "땅콩 빠진 프로틴바", vocab).heads == ("프로틴바",)
    assert item_query(("계란말이",), "계란말이 할 작은 팬", vocab).heads == ("팬",)
    pan = item_query(("계란말이",), "계란말이 할 작은 팬", vocab)
    assert tier(catalog["P0313"], pan) == 2 and tier(catalog["P0315"], pan) != 2
    # "5개월" is an age, not a pack of 5
    assert not quantities("5개월 아기 이유식") and quantities("5개") == quantities("5입")


def test_an_accessory_asked_for_by_name_is_the_item(shop):
    catalog, retriever, vocab = shop
    item = item_query(("에어프라이어", "종이호일"), "에어프라이어 종이호일", vocab)
    assert tier(catalog["P0001"], item) == 2
    cards = ground_products(retriever, catalog, "에어프라이어 종이호일", Constraints(), k=1, item=item)
    assert cards[0].id == "P0001"


def test_relaxation_keeps_the_item_and_labels_what_it_relaxes(shop):
    catalog, retriever, vocab = shop
    item = item_query(("바나나",), "유기농 바나나 있어요?", vocab)
    found = ground(retriever, catalog, "바나나 유기농", Constraints(required_tags=("유기농",)), k=3, item=item)
    # The organic kiwi meets every condition but is not a banana: bananas without the tag are offered instead.
    assert not found.cards and found.unmet == ("유기농",)
    assert {r.card.id for r in found.relaxed} == {"P0010", "P0012"}
    assert all(r.label == "유기농은 아니지만" for r in found.relaxed)
    text = replies.relaxed_reply(list(found.relaxed), list(found.unmet), "바나나", [])
    assert "찾지 못했어요" not in text and "유기농은 아니지만" in text and "유기농 조건까지 모두 맞는 바나나는" in text


def test_budget_relaxes_by_at_most_twenty_percent(shop):
    catalog, retriever, vocab = shop
    item = item_query(("모래",), "모래 9천원 이하", vocab)
    found = ground(retriever, catalog, "모래", Constraints(budget_max=9000), k=3, item=item)
    assert [r.card.id for r in found.relaxed] == ["P0005"]          # 9,900원 <= 10,800원; 13,900원 is too far
    assert found.relaxed[0].label == "예산보다 900원 비싸지만"


def test_a_price_floor_relaxes_by_at_most_twenty_percent(shop):
    catalog, retriever, vocab = shop
    item = item_query(("에어프라이어",), "에어프라이어 10만원 이상", vocab)
    found = ground(retriever, catalog, "에어프라이어", Constraints(budget_min=100000), k=3, item=item)
    assert [r.card.id for r in found.relaxed] == ["P0003"] and found.unmet == ("100,000원 이상",)   # 89,000 >= 80,000
    assert found.relaxed[0].label == "100,000원보다 11,000원 싸지만"


def test_allergens_and_needed_diets_are_never_relaxed(shop):
    catalog, retriever, vocab = shop
    item = item_query(("쿠키",), "땅콩 없는 유기농 쿠키", vocab)
    c = Constraints(required_tags=("유기농",), excluded_allergens=("땅콩",))
    found = ground(retriever, catalog, "쿠키", c, k=3, item=item)
    assert [r.card.id for r in found.relaxed] == ["P0014"]         # the organic cookie has peanuts: never offered
    found = ground(retriever, catalog, "바나나", Constraints(required_tags=("할랄",)), k=3,
                   item=item_query(("바나나",), "할랄 바나나", vocab))
    assert not found.relaxed and not found.cards


def test_a_profile_diet_is_relaxed_last_and_labeled_but_a_diet_said_this_turn_is_not():
    rows = [P("P0101", "비건 오트쿠키", "달콤", "150g", "간식/과자/쿠키", 4500, tags=("비건",), allergens=("밀",)),
            P("P0102", "쌀쿠키", "고소", "120g", "간식/과자/쿠키", 5500, tags=("글루텐프리",), allergens=("우유",)),
            P("P0103", "유기농 쌀쿠키", "고소", "120g", "간식/과자/쿠키", 7500, tags=("유기농",), allergens=("우유",))]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    item = item_query(("쿠키",), "밀 알레르기가 있어요. 쿠키 추천해줘", vocab)
    # profile 비건 + 밀 this turn: no vegan cookie without wheat; the wheat-free ones, labeled
    c = Constraints(profile_tags=("비건",), excluded_allergens=("밀",))
    found = ground(retriever, catalog, "쿠키", c, k=3, item=item)
    assert {r.card.id for r in found.relaxed} == {"P0102", "P0103"} and found.unmet == ("비건",)
    assert all(r.label == "프로필의 비건 식단에는 맞지 않지만" for r in found.relaxed)
    # 비건 said this turn: a need, never relaxed (and 밀 never either)
    found = ground(retriever, catalog, "쿠키", Constraints(required_tags=("비건",), excluded_allergens=("밀",)), k=3, item=item)
    assert not found.relaxed and not found.cards
    # a profile wish (유기농) is relaxed like any wish, before a profile diet would be
    c = Constraints(profile_tags=("비건", "유기농"), excluded_allergens=("우유",))
    found = ground(retriever, catalog, "쿠키", c, k=3, item=item)
    assert [r.card.id for r in found.relaxed] == ["P0101"] and found.relaxed[0].label == "유기농은 아니지만"
    found = ground(retriever, catalog, "쿠키", Constraints(profile_tags=("유기농",), excluded_allergens=("밀",)), k=3, item=item)
    assert [p.id for p in found.cards] == ["P0103"] and not found.relaxed     # met: nothing relaxed


def test_sort_words_and_value_sort():
    assert sort_from_message("리뷰 많은 라면", "rating") == "reviews"
    assert sort_from_message("평점 높은 순으로 샴푸", None) == "rating"
    assert sort_from_message("가성비 좋은 세제", "price_asc") == "value"
    assert sort_from_message("라면 추천", None) is None
    a = make_product(id="A", name="a 1L", brand="", category="x", price=3000, sale_price=None, unit="1L", review_count=5)
    b = make_product(id="B", name="b 2L", brand="", category="x", price=4000, sale_price=None, unit="2L", review_count=50)
    assert [p.id for p in sort_products([a, b], "value")] == ["B", "A"]
    assert [p.id for p in sort_products([a, b], "reviews")] == ["B", "A"]
    assert [p.id for p in sort_products([a, b], "price_asc")] == ["A", "B"]


def test_unit_measure_and_unit_price():
    assert unit_measure("355ml x 24캔") == (8520.0, "ml")
    assert unit_measure("12L 1대") == (1.0, "개")       # an appliance's capacity is not its content
    assert unit_measure("") is None
    card = ProductFact("P1", "우유 1L", "", "x", 2980, None, unit="1L")
    assert unit_price_text(card) == "100ml당 298원"


def test_comparison_names_both_and_the_deciding_number():
    a = ProductFact("P1", "가나 두유", "가나", "x", 5480, 4980, unit="1L", tags=("비건",))
    b = ProductFact("P2", "다라 두유", "다라", "x", 5480, None, unit="1L", allergens=("대두",))
    text = replies.compare_reply([a, b], "첫 번째랑 두 번째 중에 뭐가 더 싸요?")
    first = text.splitlines()[0]
    assert first == "첫 번째 상품(가나 두유)이 두 번째 상품(다라 두유)보다 500원 더 싸요."
    assert "다라 두유" in text and "100ml당" in text and "대두" in text and "[P" not in text
    same = ProductFact("P3", "마바 두유", "마바", "x", 4980, None, unit="1L")
    assert replies.compare_reply([a, same], "뭐가 더 싸요").startswith("둘 다 4,980원으로 가격이 같아요.")


def test_comparison_names_the_places_the_shopper_saw():
    """"첫 번째랑 세 번째": the third product is called the third, not the second (a bug the
    hand-written dialogue caught)."""
    a = ProductFact("P1", "가나 두유", "가나", "x", 38900, None, unit="190ml x 48팩")
    c = ProductFact("P3", "마바 두유", "마바", "x", 35900, None, unit="190ml x 48팩")
    text = replies.compare_reply([a, c], "첫번째랑 세번째 차이가 뭐예요?", positions=[0, 2])
    assert text.splitlines()[0] == "세 번째 상품(마바 두유)이 첫 번째 상품(가나 두유)보다 3,000원 더 싸요."
    assert text.splitlines()[2].startswith("3. 마바 두유")
    dear = replies.compare_verdict([a, c], "어느 게 더 비싸요?", positions=[0, 2])[0]
    assert dear == "첫 번째 상품(가나 두유)이 세 번째 상품(마바 두유)보다 3,000원 더 비싸요."


def test_review_sort_shows_review_counts():
    p = make_product(id="P7", name="가나 샴푸 1L", brand="가나", unit="1L", category="x", price=9900,
                     sale_price=None, review_count=1234)
    card = ProductFact.from_product(p)
    assert card.review_count == 1234
    assert "리뷰 1,234개" in replies.search_reply([card], [], sort="reviews")


def test_compare_targets_from_ordinals_and_names():
    a = make_product(id="A", name="가나 두유 1L", brand="가나", unit="1L", category="x", price=1, sale_price=None)
    b = make_product(id="B", name="다라 두유 1L", brand="다라", unit="1L", category="x", price=1, sale_price=None)
    c = make_product(id="C", name="마바 우유 1L", brand="마바", unit="1L", category="x", price=1, sale_price=None)
    cat = {p.id: p for p in (a, b, c)}
    assert compare_targets("첫 번째랑 두 번째 중에 뭐가 더 싸요?", ["A", "B", "C"], cat) == ["A", "B"]
    assert compare_targets("1번하고 3번 비교해줘", ["A", "B", "C"], cat) == ["A", "C"]
    assert compare_targets("가나 두유랑 마바 우유 차이가 뭐예요?", ["A", "B", "C"], cat) == ["A", "C"]
    assert compare_targets("두 번째 거 담아줘", ["A", "B", "C"], cat) == []


FRESH = PolicyFact("반품-03", "신선식품 교환·반품", "품질에 문제가 있을 때",
                   "상했거나, 무르거나, 표시된 중량보다 적다면 받은 날을 포함해 2일 안에 사진과 함께 1:1 문의로 알려 주세요. "
                   "확인 뒤 전액 환불하거나 다시 보내드리며, 상품을 돌려보내실 필요는 없습니다.", "반품-03#2")


def test_policy_reply_answers_first_then_quotes_and_cites():
    text = replies.policy_reply([FRESH], "과일 받았는데 멍들어 있으면 환불 되나요?")
    first, rest = text.split("\n", 1)
    assert first.startswith("조건이 있어요: ") and "2일" in first
    assert "「" in rest and "[반품-03]" in rest
    assert not first.startswith("「")


def test_policy_polarity_and_fact_questions():
    assert is_yes_no("냉동식품 단순변심 반품 되나요") and not is_yes_no("환불 며칠 걸려요")
    assert polarity("반품 되나요", "단순변심 반품이 되지 않습니다.") == "no"
    assert polarity("카카오페이 돼요?", "간편결제: 카카오페이, 네이버페이를 쓸 수 있습니다.") == "yes"
    assert polarity("며칠 걸려요", "3영업일 안에 환불합니다.") is None
    s = deciding_sentence("새벽배송 몇시까지 주문해야돼요?", "밤 11시(23:00)까지 주문하면 다음 날 아침 7시 전에 도착합니다. "
                          "공동현관 비밀번호를 적어 주세요.")
    assert "23:00" in s
    assert policy_answer("환불 기간", FRESH).startswith("상했거나")


INSTALLMENT = "신용카드로 5만 원 이상 결제하면 2~12개월 할부를 고를 수 있습니다. 체크카드와 간편결제 일부는 할부가 되지 않습니다."
FREE_SHIPPING = "쿠폰과 적립금을 뺀 실제 결제 금액이 40,000원 이상이면 배송비가 무료입니다."
DAWN = "밤 11시(23:00)까지 주문하면 다음 날 아침 7시 전에 문 앞에 도착합니다."
CHANGE = "새벽배송 주문은 밤 10시 30분까지, 당일배송 주문은 낮 12시까지 변경할 수 있습니다."
BROKEN = "받은 날부터 7일 안에 작동하지 않거나 제 기능을 못 하면 새 상품으로 교환하거나 환불해 드립니다."
STORES = ("- 장보기 마포점: 서울 마포구, 매일 10:00~22:00 - 장보기 분당점: 경기 성남시 분당구, 매일 10:00~21:00.")
LAW = ("받은 상품이 불량이거나 표시·광고 내용과 다르면 받은 날부터 3개월 안에, 그 사실을 안 날부터 30일 안에 "
       "교환이나 환불을 신청할 수 있습니다.")


@pytest.mark.parametrize("question, text, want", [
    ("3만원 결제하는데 신용카드 3개월 할부 돼요?", INSTALLMENT, "no"),            # 30,000 < 50,000
    ("6만원 결제하는데 3개월 할부 돼요?", INSTALLMENT, "yes"),
    ("체크카드 할부 돼?", INSTALLMENT, "no"),                                   # a plain negative rule
    ("3만원 어치만 사면 배송비 따로 내야 돼요?", FREE_SHIPPING, "yes"),          # asks a cost: free only from 40,000
    ("4만5천원 샀는데 배송비 무료죠?", FREE_SHIPPING, "yes"),
    ("밤 11시 반에 새벽배송 주문하면 내일 아침에 받을 수 있어요?", DAWN, "no"),   # 23:30 > 23:00, not 7시
    ("지금 밤 9시인데 새벽배송 주소 바꿀 수 있어요?", CHANGE, "yes"),            # the 새벽배송 limit, not 12시
    ("에어프라이어 받은 지 5일 됐는데 안 켜져요ㅠ 교환 돼요?", BROKEN, "yes"),     # the ban is in the condition
    ("분당점 밤 9시 반에 가도 픽업 돼요?", STORES, "no"),                        # 21:30 after 분당점's 21:00
    ("받은 지 두 달 됐는데 지금도 환불 되나요?", LAW, None),                     # two limits disagree
    ("42,000원 주문했는데 5천원짜리 하나만 취소하면 배송비 생겨요?", FREE_SHIPPING, None),   # two amounts
    ("할부 몇개월까지 돼요?", INSTALLMENT, None),                                # not a yes/no question
    ("제주에서 아이스크림 주문 안돼요?", "아이스크림은 제주로 주문할 수 없습니다.", None),   # a negated question
    ("적립금으로 배송비도 낼 수 있어요?", "적립금은 1원 단위로 바로 쓸 수 있고, 최소 사용 금액은 없습니다.", None),
    ("밤 열한시 반에 주문 넣으면 내일 아침에 받을 수 있어요?", DAWN, "no"),        # worded hour: 23:30
    ("장 본 게 사만 오천원어치인데 배송비 무료죠?", FREE_SHIPPING, "yes"),          # worded amount: 45,000
    ("핸드블렌더 받은 지 두 달 됐는데 갑자기 안 돌아가요", BROKEN, None),          # a statement, not a question
])
def test_decide_claims_yes_no_only_when_the_rule_decides(question, text, want):
    assert decide(question, text) == want


SUPPORT = "전화 상담은 평일 오전 9시부터 오후 6시까지, 채팅 상담은 매일 오전 7시부터 밤 10시까지 운영합니다."
SKIP = "수량, 주기, 배송일은 배송 예정일 3일 전까지 바꿀 수 있습니다. 이번 회차만 쉬려면 '건너뛰기'를 누르세요."
AREAS = ("새벽배송: 서울 전 지역, 경기(수원, 성남, 김포, 과천), 인천(강화군·옹진군 제외) - "
         "당일배송: 서울 전 지역, 경기 성남·고양·부천")
COUPONS = "한 주문에 상품 쿠폰 1장과 배송비 쿠폰 1장을 함께 쓸 수 있습니다."
RETURN_FEE = "상품 불량, 파손, 오배송처럼 장보기 책임인 경우에는 반품 배송비를 모두 장보기가 부담합니다."


@pytest.mark.parametrize("question, text, want", [
    ("김포 사는데 새벽배송 돼요?", AREAS, "yes"),                     # a member of the list the question names
    ("강화군인데 새벽배송 돼요?", AREAS, "no"),                       # one its parentheses exclude
    ("우리집 당일배송 되나요 경기 수원인데", AREAS, None),              # 경기 names a group, 수원 is not listed
    ("상품 쿠폰 두 장 같이 쓸 수 있어요?", COUPONS, "no"),              # 2 of a thing the rule allows 1 of
    ("쿠폰 두장 같이 써도 돼요?", COUPONS, None),                      # which coupon: not the same thing
    ("깨져서 왔는데 돌려보내는 택배비 제가 내야 돼요?", "반품 배송비는 모두 장보기가 부담합니다.", "no"),
    ("키오스크 영수증 문자로 받을수있나", "영수증은 종이로 출력하거나 문자로 받을 수 있습니다.", "yes"),
    ("제주에 아이스크림 보내고 싶은데 되나요?", "아이스크림 같은 일부 상품은 제주·도서산간으로 주문할 수 없습니다.", "no"),
    ("적립금 작년 거 아직 쓸 수 있어요?", "적립금은 쌓인 날부터 1년 동안 쓸 수 있습니다.", None),   # a limit: it depends
    ("패스 환불 되나요", "마이페이지 > 장보기 패스에서 언제든 해지할 수 있습니다.", None),      # 해지 is not 환불
    ("곰팡이 핀 귤 환불 되나요", "사진과 함께 1:1 문의로 알려 주세요.", None),                 # an instruction
    ("매장 키오스크에서 현금 내도 돼요?", "매장 키오스크에서는 신용·체크카드, 삼성페이 같은 모바일 카드, "
     "장보기페이 바코드로 결제할 수 있습니다.", None),                                  # not one of the listed means
    ("매장 픽업 만원어치만 시켜도 돼요? 배송비는?", "매장 픽업은 배송비가 없으며 최소 주문 금액도 없습니다.", None),
    ("육만원 넘게 샀는데 체크카드로 3개월 나눠서 낼 수 있나?", INSTALLMENT, "no"),      # the rule about 체크카드
    ("저녁 8시에 새벽배송 시킨 거 지금 밤 10시 15분인데 아직 바꿀 수 있어요?", CHANGE, "yes"),   # the time now
    ("키오스크에서 로그인 안 하고 그냥 사도 돼요?", "로그인하지 않아도 바로 구매할 수 있습니다.", "yes"),
    ("추천 안 받으면 쇼핑 못 해요?", "추천을 끄더라도 쇼핑할 수 있습니다.", None),         # a negated question
    ("새벽배송이 아침 8시 넘어서 왔어요. 뭐 보상 같은 거 없나요?",
     "새벽배송이 아침 7시를 넘겨 도착하면 적립금 1,000원을 다음 날 자동 지급합니다.", "yes"),
    ("픽업 준비됐다고 문자 왔는데 나흘 뒤에 가도 돼요?", "준비 완료 문자를 받은 날부터 3일 동안 보관합니다.", "no"),
    ("제주도도 새벽배송 되나요?", "제주와 도서산간 지역은 일반배송으로만 받으실 수 있습니다.", "no"),   # only another
    ("작은 용량 샀는데 큰 용량으로 바꿀 수 있어요?", "같은 상품의 다른 옵션(크기, 색상, 용량)으로만 교환할 수 있습니다.", "yes"),
    ("아예 다른 상품으로 교환 돼요?", "같은 상품의 다른 옵션(크기, 색상, 용량)으로만 교환할 수 있습니다.", "no"),
    ("세탁세제 한 번 써봤는데 향이 별로예요. 반품 되나요?", "식품의 속포장을 뜯었거나, 화장품·세제를 쓰기 시작한 "
     "경우에는 단순변심 반품이 되지 않습니다.", "no"),                                # one of the listed cases
    ("불량품 반품하는데 왕복 배송비 제가 내요?", RETURN_FEE, "no"),
    ("새벽배송 두 번 주문하면 배송비 두 번 내요?", "배송비는 첫 주문 기준으로 한 번만 받습니다.", "no"),
    ("패스 회원인데 제주 추가 배송비도 공짜에요?", "장보기 패스 회원은 배송이 모두 무료입니다(제주·도서산간 추가 "
     "배송비는 별도).", "no"),
    ("정기배송으로 만원짜리 하나만 받아도 배송비 무료예요?", "정기배송 주문은 금액과 관계없이 배송비가 무료입니다.", "yes"),
    ("주문한 거에 두부 하나 더 추가할 수 있어요?", "상품 추가, 수량 변경, 옵션 변경은 주문을 취소한 뒤 다시 주문해 "
     "주세요.", "no"),                                                              # done another way
    ("주문한 게 품절 나면 비슷한 걸로 대신 보내줘요?", "재고가 맞지 않아 보내드릴 수 없게 되면 문자로 알려드립니다. "
     "대체 상품을 임의로 보내지 않습니다.", "no"),                                     # the other sentence denies it
    ("이번 달이 제 생일이거든요~ 혹시 뭐 주는 거 있어요?", "생일이 있는 달 1일에 2만 원 이상 주문에 쓸 수 있는 "
     "5,000원 쿠폰을 드립니다.", "yes"),                                               # given; the limit is for its use
    ("제 알레르기 정보로 광고 문자 보내는 거 아니죠?", "알레르기 정보는 상품 필터에만 쓰며, 마케팅에는 쓰지 않습니다.", "no"),
    ("기간 지난 쿠폰 다시 받을 수 있나요", "유효기간이 지난 쿠폰은 다시 발급되지 않습니다.", "no"),   # 기간 is not asked
    ("적립금 500원만 쓰고 싶은데 최소 금액 같은 거 있나요?", "최소 사용 금액은 없습니다.", None),      # the wish is asked
    ("적립금 300원만 써도 되나요? 최소금액 있나", "최소 사용 금액은 없습니다.", None),              # two questions
    ("원래 42,000원인데 쿠폰 써서 38,000원 결제했어요. 배송비 무료 맞죠?", FREE_SHIPPING, "no"),  # paid, not 원래
    ("신규가입 쿠폰 2만5천원 주문에 쓸 수 있어요?", "처음 가입하면 3만 원 이상 주문에 쓸 수 있는 1만 원 할인 쿠폰을 "
     "드립니다.", "no"),                                                           # an order's amount
    ("주소 잘못 넣었어요 밤 10시인데 새벽배송 주소 바꿀 수 있어요?", CHANGE, "yes"),     # 잘못 is not a negation
    ("산 지 8개월 된 전기포트가 고장났어요 무료로 고쳐주나요?", "구매일부터 1년 동안 무상 수리를 받을 수 있습니다.", "yes"),
    ("배송지 바꿀수있나요", "상품이 출고되기 전까지는 배송지를 바꿀 수 있습니다.", None),     # until an event: it depends
    ("귤 박스 받았는데 반이 곰팡이예요 귤을 다시 보내야 하나요?", "확인 뒤 전액 환불하며, 상품을 돌려보내실 필요는 "
     "없습니다.", "no"),                                                             # a duty not needed
    ("어제 온 딸기에 곰팡이가 폈어요. 다시 포장해서 돌려보내야 하나요?", "받은 날을 포함해 2일 안에 알려 주세요.", None),
    ("단순 변심 환불 기간 7일 맞나요", "단순변심은 상품을 받은 날부터 7일 안에 반품을 신청할 수 있습니다.", "yes"),
    ("토요일 오전에 고객센터로 전화하면 상담원 연결되나요?", SUPPORT, "no"),           # 전화 상담 is 평일 only
    ("주말에도 상담돼요?", SUPPORT, None),                                           # 채팅 is 매일: which one?
    ("매장 픽업 주문하고 바로 가지러 가도 돼요?", "결제 후 2시간이 지나면 픽업할 수 있으며, 준비가 끝나면 문자로 "
     "알려드립니다.", "no"),                                                         # only after a wait
    ("회사 탕비실용 생수 50박스 그냥 주문해도 돼요?", "한 상품을 30개 넘게 사시려면 고객센터 기업구매 창구로 먼저 "
     "문의해 주세요.", "no"),                                                         # a step to take first
    ("정기배송 이번 주만 쉬고 싶은데 가능해요?", SKIP, "yes"),                         # the section says how
    ("정기배송 내일 오는데 이번만 건너뛸 수 있어요?", SKIP, None),                      # a time a limit may rule out
    ("14살인데 가입 가능해요?", "만 14세 이상이면 휴대폰 본인인증으로 가입할 수 있습니다.", "yes"),   # an age
    ("12살인데 가입할 수 있어요?", "만 14세 이상이면 휴대폰 본인인증으로 가입할 수 있습니다.", "no"),
])
def test_a_rule_sentence_decides_only_what_it_names(question, text, want):
    assert decide(question, text) == want


def test_worded_numbers_become_digits():
    from assistant.policy_grounding import in_digits

    assert in_digits("밤 열한시 반에") == "밤 11시 반에"
    assert in_digits("삼만 오천원어치") == "35000원어치"
    assert in_digits("가입하고 사흘 됐는데") == "가입하고 3일 됐는데"
    assert in_digits("한시간 걸려요") == "한시간 걸려요"          # a duration, not a clock time


def test_policy_answer_leads_with_the_verdict_and_keeps_the_numbers():
    fact = PolicyFact("결제-02", "결제 수단", "할부", INSTALLMENT, "결제-02#2")
    first = policy_answer("3만원 결제하는데 3개월 할부 돼요?", fact)
    assert first.startswith("아니요, ") and "5만 원 이상" in first
    assert policy_answer("할부 몇개월까지 돼요?", fact).startswith("신용카드로")
    stores = PolicyFact("픽업-02", "매장 픽업", "매장", STORES, "픽업-02#1")
    assert "분당점" in policy_answer("분당점 밤 8시에 가도 픽업 돼요?", stores)   # every store is open: quote the asked one
    assert policy_answer("분당점 밤 9시 반에 가도 픽업 돼요?", stores) == "아니요, 장보기 분당점: 경기 성남시 분당구, 매일 10:00~21:00."


def test_product_ids_leave_the_text_but_stay_in_sources():
    p = ProductFact("P0123", "국산콩 두유", "정식품", "식품/음료/두유", 12900, None)
    facts = Facts(intent="search", products=(p,), draft=replies.search_reply([p], []))
    assert "[P0123]" not in facts.draft and facts.sources()[0]["id"] == "P0123"
    out = validate("국산콩 두유는 12,900원이에요 [P0123].", Context(facts, "두유"))
    assert "P0123" not in out.reply and "국산콩 두유" in out.reply
    bad = validate("국산콩 두유는 12,900원이에요. [P9999] 추천해요.", Context(facts, "두유"))
    assert "P9999" not in bad.reply and bad.violations     # an unknown citation is still caught
    assert strip_product_ids("두유 [P0123].", facts) == "두유."


def test_rerank_fit_learns_weights_that_rank_the_labelled_item_first():
    from assistant.rerank_fit import FEATURES, fit, ndcg_at_10

    def f(**on):
        return {k: float(on.get(k, 0)) for k in FEATURES}

    # retrieval puts an accessory first; the relevant product is the one named by the asked item
    groups = [(f"q{i}", [("acc", 0.9, f(mention=1)), ("item", 0.5, f(head=1)), ("other", 0.7, f(foreign=1)),
                         ("item2", 0.3, f(head=1, size=1))], {"item", "item2"}) for i in range(20)]
    groups += [(f"r{i}", [("a", 0.9, f(head=1)), ("b", 0.2, f(head=1)), ("c", 0.8, f(foreign=1))], {"a"})
               for i in range(20)]
    learned = fit(groups)
    assert learned["head"] > learned["mention"] and learned["head"] > learned["foreign"]
    flat = {k: 0.0 for k in FEATURES}
    assert ndcg_at_10(groups, learned) > ndcg_at_10(groups, flat)


def test_the_described_item_comes_first_among_the_items():
    rows = [P("P0401", "실내묘 사료", "멍냥키친", "2kg", "반려동물/고양이/고양이사료·간식", 15900),
            P("P0402", "키튼 사료", "반려공감", "1.5kg", "반려동물/고양이/고양이사료·간식", 16900),
            P("P0403", "배변패드", "펫플러스", "100매", "반려동물/강아지/배변용품", 12900),
            P("P0404", "대형 배변패드", "반려공감", "50매", "반려동물/강아지/배변용품", 13900),
            P("P0405", "캡슐 커피머신", "볼트랩", "1대", "가전/주방가전/커피머신", 99000),
            P("P0406", "커피머신", "테크온", "1대", "가전/주방가전/커피머신", 89000)]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    assert modifier_words("아기고양이 키튼 사료 2만원 이하", ("사료",)) == ("아기고양이", "키튼")
    assert modifier_words("구운계란", ("계란",)) == ("구운",)
    assert modifier_words("커피머신 캡슐 말고", ("커피머신",)) == ()     # a negated word is no wish
    assert modifier_words("미역국 끓일 소고기 국거리", ("소고기",)) == ("국거리",)   # nor a purpose
    for message, keywords, want in (("아기고양이 키튼 사료 2만원 이하", ("키튼", "사료"), "P0402"),
                                    ("대형견 배변패드 만오천원 이하로", ("대형견", "배변패드"), "P0404")):
        item = item_query(keywords, message, vocab)
        cards = ground_products(retriever, catalog, " ".join(keywords), Constraints(), k=2, item=item)
        assert cards[0].id == want, (message, [c.name for c in cards])
    other = item_query(("키튼",), "키튼 배변패드", vocab)     # only the item itself is ordered by the words
    assert features(catalog["P0402"], other)["words"] == 0.0


def test_a_department_word_names_its_department_unless_a_longer_shelf_is_spelled_out():
    rows = [P("P0501", "쌀과자", "오후세시", "40g", "간식·과자/과자/스낵", 2500),
            P("P0502", "버터쿠키", "달콤", "200g", "간식·과자/과자/쿠키·비스킷", 4500),
            P("P0503", "참치 츄르", "멍냥", "14g x 4개", "반려동물/고양이/고양이사료·간식", 3900),
            P("P0504", "황태 트릿", "반려공감", "100g", "반려동물/강아지/강아지간식", 6900),
            P("P0505", "덴탈껌", "반려공감", "20개입", "반려동물/강아지/강아지간식", 8900)]
    catalog, vocab = {p.id: p for p in rows}, head_vocabulary(rows)
    snack = item_query(("간식",), "비건 간식 만원 이하로 추천해줘", vocab)
    assert tier(catalog["P0502"], snack) == 2 and tier(catalog["P0503"], snack) != 2   # not the cat treats
    dog = item_query(("강아지", "간식"), "강아지 간식 만원 이하", vocab)
    assert tier(catalog["P0504"], dog) == 2 and tier(catalog["P0502"], dog) != 2


# ---- the asked kind is kept when nothing meets every condition (blind batch H, reworded) ----
def test_words_the_store_names_split_an_item_into_kinds(shop):
    from assistant.rerank import kind_words, unnegated

    catalog, _, vocab = shop
    rows = item_rows(catalog)
    assert kind_words(item_query(("무선이어폰",), "무선이어폰 3만원대로", vocab), rows) == ("무선",)
    assert kind_words(item_query(("모래",), "벤토나이트 모래 있나요", vocab), rows) == ("벤토나이트",)
    # a use or who it is for does not split the item; nor does a word no name carries
    assert kind_words(item_query(("모래",), "고양이 모래 선물용", vocab), rows) == ()
    assert "종이호일" not in unnegated("에어프라이어 본체요, 종이호일 말구요")


def test_a_budget_relaxation_keeps_the_asked_kind(shop):
    catalog, retriever, vocab = shop
    item = item_query(("무선이어폰",), "무선이어폰 3만5천원 이하", vocab)
    found = ground(retriever, catalog, "무선이어폰 이어폰", Constraints(budget_max=35000), k=3, item=item)
    # the 유선 이어폰 (9,900원) meets the budget but is another kind: the 무선 one, 4,900원 over, is offered
    assert not found.cards and [r.card.id for r in found.relaxed] == ["P0008"]
    assert found.relaxed[0].label == "예산보다 4,900원 비싸지만"


def test_an_accessory_is_never_an_alternative_to_its_item(shop):
    catalog, retriever, vocab = shop
    item = item_query(("에어프라이어", "본체"), "에어프라이어 본체 3만원 이하요, 종이호일 말구요", vocab)
    found = ground(retriever, catalog, "에어프라이어", Constraints(budget_max=30000), k=3, item=item)
    assert not found.relaxed and found.other_kind and "P0001" not in {p.id for p in found.cards}
    # with nothing else either, the reply names the item instead of "찾지 못했어요"
    text = replies.search_reply([], ["30,000원 이하"], other_kind="에어프라이어")
    assert text.startswith("30,000원 이하 조건에 맞는 에어프라이어는 지금 없어요") and "찾지 못했어요" not in text
