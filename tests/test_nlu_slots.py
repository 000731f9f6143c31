"""Slot extraction: allergens, tags, brands, quantities, references, urgency, order ids, topics."""

import pytest

from assistant.nlu import Lexicon, parse
from assistant.types import Reference


@pytest.mark.parametrize("text, allergens", [
    ("땅콩 알레르기 있어요", {"땅콩"}),
    ("우유 못 먹어요", {"우유"}),
    ("계란 빼고 빵 추천", {"알류"}),
    ("달걀 없는 케이크", {"알류"}),
    ("유제품 안 들어간 과자", {"우유"}),
    ("견과류 알레르기", {"땅콩", "호두", "잣"}),
    ("갑각류 알러지 있어요", {"게", "새우"}),
    ("콩 알레르기라서", {"대두"}),
    ("밀가루 안 들어간 빵", {"밀"}),
    ("굴 못 먹어요", {"조개류"}),
    ("전복이랑 홍합 알레르기", {"조개류"}),
    ("땅콩이랑 새우 알레르기 있어요", {"땅콩", "새우"}),
    ("땅콩 들어간 과자 추천", set()),          # wanted, not avoided
    ("땅콩버터 말고 잼 추천", set()),          # a product name, not an allergy
    ("게임 추천해줘", set()),
])
def test_allergens(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text, tags", [
    ("비건 간식", ("비건",)), ("무설탕 초콜릿", ("무가당",)), ("설탕 적은 요거트", ("저당",)),
    ("글루텐 프리 빵", ("글루텐프리",)), ("오가닉 바나나", ("유기농",)), ("단백질 많은 간식", ("고단백",)),
    ("저염 김치", ("저염",)), ("할랄 라면", ("할랄",)), ("락토프리 우유", ("락토프리",)),
])
def test_dietary_tags(text, tags):
    assert parse(text).slots.dietary_tags == tags


def test_catalog_lexicon_brands_and_categories():
    class P:
        def __init__(self, brand, category, tags=()):
            self.brand, self.category, self.tags = brand, category, tags

    lex = Lexicon.from_products([P("해맑은농장", "식품/과일/사과", ("국내산",)), P("바다식탁", "식품/수산/고등어")])
    u = parse("해맑은농장 사과 국내산으로 찾아줘", lexicon=lex)
    assert u.slots.brands == ("해맑은농장",)
    assert u.slots.categories == ("식품/과일/사과",)
    assert "국내산" in u.slots.dietary_tags
    assert parse("바다식탁 말고 다른 고등어", lexicon=lex).slots.avoid_brands == ("바다식탁",)


@pytest.mark.parametrize("text, qty", [
    ("우유 2개 담아줘", 2), ("과자 세 봉지 담아줘", 3), ("라면 한 박스 넣어줘", 1), ("두어 개 담아줘", 2),
    ("생수 6병 넣어주세요", 6), ("콜라 두 캔 주세요", 2),
])
def test_cart_quantity(text, qty):
    u = parse(text)
    assert (u.intent, u.slots.quantity) == ("cart_add", qty)


@pytest.mark.parametrize("text", ["닭가슴살 30개입 담아줘", "쌀 10kg 담아줘", "우유 900ml 담아줘"])
def test_pack_sizes_are_not_quantities(text):
    assert parse(text).slots.quantity is None


@pytest.mark.parametrize("text, ref", [
    ("그거 담아줘", Reference("it")),
    ("두 번째 거 빼줘", Reference("index", index=1)),
    ("두번째꺼 담아줘", Reference("index", index=1)),
    ("마지막 거 담아", Reference("index", index=-1)),
    ("제일 싼 거 담아줘", Reference("cheapest")),
    ("그중에 제일 싼 거 2개 담아줘", Reference("cheapest")),   # 2 is the quantity of it
    ("평점 제일 높은 거 담아줘", Reference("best_rated")),
    ("제일 비싼 거 하나 넣어줘", Reference("most_expensive")),
    ("다 담아줘", Reference("all")),
])
def test_references(text, ref):
    assert parse(text).slots.reference == ref


def test_superlative_with_product_noun_is_a_sort_not_a_reference():
    u = parse("제일 싼 우유 추천해줘")
    assert (u.slots.reference, u.slots.sort, u.slots.keywords) == (None, "price_asc", ("우유",))


@pytest.mark.parametrize("text, urgency", [
    ("내일 아침까지 받을 수 있는 우유", "새벽"), ("새벽배송 되는 계란 찾아줘", "새벽"),
    ("오늘 안에 오는 과일 있어?", "당일"), ("급해요 오늘 받을 수 있는 생수 있어요?", "당일"),
])
def test_urgency(text, urgency):
    assert parse(text).slots.urgency == urgency


@pytest.mark.parametrize("text, topic", [
    ("개봉한 것도 반품돼요?", "교환반품"), ("배송비 얼마예요?", "배송"), ("쿠폰 어디서 받아요", "쿠폰"),
    ("주문 취소하고 싶어요", "주문"), ("결제 수단 뭐 있어요?", "결제"), ("내 개인정보 삭제해줘", "개인정보"),
    ("매장 픽업 가능해요?", "픽업"), ("정기배송 해지 어떻게 해요", "구독"), ("선물하기 어떻게 해요", "선물"),
    ("고객센터 전화번호 알려주세요", "고객센터"), ("알레르기 표시 어디서 봐요?", "알레르기"),
    ("키오스크 사용법 알려주세요", "키오스크"),
])
def test_policy_topics(text, topic):
    u = parse(text)
    assert (u.intent, u.slots.policy_topic) == ("policy", topic)


@pytest.mark.parametrize("text, order_id", [
    ("주문번호 O-20261121-0012 어디쯤 왔어요?", "O-20261121-0012"),
    ("ORD-1234 배송 어디까지 왔어?", "ORD-1234"),
    ("주문번호 20261103-0042 상태 알려줘", "20261103-0042"),
])
def test_order_ids(text, order_id):
    u = parse(text)
    assert (u.intent, u.slots.order_id) == ("order_status", order_id)


def test_product_id_is_not_an_order_id():
    assert parse("P0012 주문 상태").slots.order_id is None


def test_message_cut_uses_the_shared_limit():
    from assistant.nlu.slots import normalize
    from assistant.types import MAX_MESSAGE_CHARS

    assert MAX_MESSAGE_CHARS == 1000
    assert len(normalize("가" * (MAX_MESSAGE_CHARS + 500))) == MAX_MESSAGE_CHARS
