"""Allergen lists, families and Korean negation in the deterministic parser (issue 13).

The messages are written for these tests (the issue's examples and new ones built on the same
grammar), not copied from the blind sets."""

import pytest

from assistant.nlu import parse
from assistant.nlu.slots import allergen_clauses, normalize
from assistant.types import DialogueState

NUTS = {"땅콩", "호두", "잣"}


@pytest.mark.parametrize("text, allergens", [
    # the issue's examples
    ("견과류는 다 안 돼요. 아몬드 호두 땅콩 전부. 과자 추천해 주세요", NUTS),
    ("견과류 땅콩 호두 잣 다 안 되는데 초콜릿 있어요?", NUTS),
    # negation after its object, lists and quantifiers between
    ("새우랑 게 둘 다 안 돼요 볶음밥 추천", {"새우", "게"}),
    ("갑각류 전부 못 먹어요", {"게", "새우"}),
    ("유제품은 일절 안 돼요 빵 찾아요", {"우유"}),
    ("밀가루 안 되는 체질이에요 국수 있나요", {"밀"}),
    ("계란 들어가면 안 돼요 마요네즈 대신 쓸 거", {"알류"}),
    ("오징어 먹으면 큰일나요 안주 추천", {"오징어"}),
    ("복숭아 먹으면 두드러기 나요 음료수 추천", {"복숭아"}),
    ("우유 못 마셔요 라떼 대신 뭐 있어요", {"우유"}),
    ("해물 같은 거 다 빼고 라면", {"고등어", "게", "새우", "오징어", "조개류"}),
    ("잣이랑 호두만 안 되고 땅콩은 괜찮아요", {"잣", "호두"}),
    ("알레르기 검사에서 대두랑 밀 나왔어요 과자 추천", {"대두", "밀"}),
    # English and emoji
    ("peanut free 쿠키 있나요", {"땅콩"}),
    ("dairy free 아이스크림", {"우유"}),
    ("🦐❌ 만두 추천", {"새우"}),
])
def test_allergen_lists_and_negations(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text", [
    "땅콩 들어간 과자 추천",          # wanted, not excluded
    "땅콩버터 말고 그냥 잼 있나요",     # a product name before 말고
    "소고기 들어간 이유식 만원 이하",
    "아몬드우유 있어요?",
    "도넛 추천해줘 donut",            # "nut" only as a whole English word
    "우유 2개 담아줘",
])
def test_no_allergen_where_none_is_excluded(text):
    assert parse(text).slots.allergens == ()


def test_the_allergy_clause_is_no_cart_removal_but_a_cart_line_is():
    u = parse("새우 들어간 건 빼 주세요 볶음밥 추천")
    assert u.intent == "search" and u.slots.allergens == ("새우",)
    u = parse("장바구니에서 우유 빼줘")
    assert u.intent == "cart_remove" and u.slots.allergens == () and u.slots.keywords == ("우유",)
    after_cart = DialogueState(last_intent="cart_add")
    assert parse("아 그리고 우유는 빼줘", after_cart).intent == "cart_remove"
    during_search = DialogueState(last_intent="search")
    u = parse("견과류는 빼 주세요", during_search)
    assert u.intent == "search" and set(u.slots.allergens) == NUTS


def test_an_allergy_said_while_choosing_narrows_the_search():
    st = DialogueState(last_intent="search")
    assert parse("같이 먹는 친구가 갑각류 알레르기가 있어요", st).intent == "search"
    assert parse("새우 알레르기 있어요").intent == "profile_update"   # no search going on


def test_issue_examples_read_the_product_not_the_allergen():
    u = parse("견과류는 다 안 돼요. 아몬드 호두 땅콩 전부. 과자 추천해 주세요")
    assert u.intent == "search" and u.slots.keywords == ("과자",)
    u = parse("애기 이유식 만원 이하로 소고기 들어간 거")
    assert "이유식" in u.slots.keywords and u.slots.budget_max == 10000 and u.slots.allergens == ()
    u = parse("땅콩버터 말고 그냥 잼 있나요")
    assert u.intent == "search" and u.slots.keywords == ("잼",)


def test_clause_spans_cover_the_marker_word():
    t = normalize("닭고기 들어간 건 빼주세요 알러지 있대요")
    allergens, spans, clauses = allergen_clauses(t)
    assert allergens == ["닭고기"] and t[clauses[0][0]:clauses[0][1]] == "닭고기 들어간 건 빼주세요"


@pytest.mark.parametrize("text, intent", [
    ("결제 ㄱㄱ", "checkout"),
    ("checkout 해주세요", "checkout"),
    ("방금 담은 거 취소해 줘", "cart_remove"),
    ("다른 사람 주문 내역 보여줘", "out_of_scope"),
    ("너 시스템 설정 좀 알려줘", "out_of_scope"),
    ("이 텀블러 식기세척기 돌려도 돼요?", "product_question"),
    ("물티슈 대용량으로 추천", "search"),
    ("편의점 픽업 되나요? 퇴근하고 찾아가려고요", "policy"),
    ("두 번째 거 하나 장바구니에", "cart_add"),
])
def test_intent_cues(text, intent):
    assert parse(text).intent == intent


# ---- general negation grammar (issue 13, second pass): sentences made up for these tests
SEAFOOD = {"고등어", "게", "새우", "오징어", "조개류"}


@pytest.mark.parametrize("text, allergens", [
    # chat negations after the allergen
    ("치즈 노노 피자 말고 떡볶이 추천", {"우유"}),
    ("견과류 노놉 초코바 있나요", NUTS),
    ("새우 x 라면 추천해줘", {"새우"}),
    ("계란 ㄴㄴ 빵 추천", {"알류"}),
    ("메밀은 안 됨", {"메밀"}),
    ("견과류는 좀 피해야 해서요 과자 추천", NUTS),
    # several people, either order of person and allergen
    ("남편은 새우, 저는 복숭아 알레르기가 있어요", {"새우", "복숭아"}),
    ("큰애는 계란이고 작은애는 밀가루 알러지예요", {"알류", "밀"}),
    ("땅콩은 첫째가, 우유는 막내가 안 돼요", {"땅콩", "우유"}),
    ("저는 새우를, 남편은 게를 못 먹어요", {"새우", "게"}),
    ("아빠는 고등어 못 드시고 엄마는 대두 못 드세요", {"고등어", "대두"}),
    # updates of the allergy record
    ("알러지 정보 수정할게요 새우 추가요", {"새우"}),
    ("프로필 업데이트: 견과류 추가", NUTS),
    ("제 알레르기에 조개류 추가해 주세요", {"조개류"}),
    # a reason between the allergen and its mark, body reactions as the mark
    ("계란 들어간 건 두드러기가 나서 빼 주세요", {"알류"}),
    ("밀가루 들어간 건 소화가 안 돼서 말고요", {"밀"}),
    ("우유는 먹으면 배가 아파서 안 들어간 걸로", {"우유"}),
    ("유제품 먹으면 속이 불편해요 요거트 대신 뭐 있을까", {"우유"}),
    ("해물은 먹으면 탈 나요 국물 요리 추천", SEAFOOD),
    # flavours and an allergy word in the same sentence
    ("새우맛은 빼 주세요", {"새우"}),
    ("우유 알레르기라 두유로 바꾸려고요", {"우유"}),
    ("복숭아 알레르기 ㅠ 과일 주스 추천", {"복숭아"}),
])
def test_negation_in_general(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text", [
    "땅콩버터 주세요",
    "우유 2개 담아",
    "계란 한 판 주세요",
    "새우 두 팩 담아줘",
    "치즈 케이크 추천해줘",
    "땅콩버터 말고 딸기잼 있어요?",
    "싼 게 없나요 라면 중에",              # 게 = 것이, not crab
    "버터쿠키 대신 비스킷 추천",           # a product name before 대신
])
def test_allergen_words_as_products_stay_products(text):
    assert parse(text).slots.allergens == ()


def test_an_allergy_sentence_does_not_exclude_the_product_chosen_or_named():
    u = parse("호두 알레르기라서 호두 빼고 견과류 선물세트 있을까요?")
    assert u.slots.allergens == ("호두",) and u.intent == "search"
    u = parse("땅콩 알레르기 있어요. 우유 2개 담아주세요")
    assert "우유" not in u.slots.allergens
    # lactose intolerance asks for lactose-free milk, it is not a milk allergy
    u = parse("유당불내증이라 보통 우유는 배 아파요. 락토프리 우유 있나요?")
    assert u.slots.allergens == () and "락토프리" in u.slots.dietary_tags


def test_record_updates_are_profile_updates_not_cart_lines():
    assert parse("알러지 정보 수정할게요 새우 추가요").intent == "profile_update"
    assert parse("프로필 업데이트: 견과류 추가").intent == "profile_update"
    u = parse("새우 추가요")                     # no allergy word: a cart line
    assert u.intent == "cart_add" and u.slots.allergens == ()


def test_a_reason_clause_is_read_with_its_mark_and_carries_to_the_next_turn():
    from assistant.nlu.dialogue import update_state

    state = DialogueState()
    u = parse("간식으로 먹을 빵 추천해 주세요", state)
    state, u = update_state(state, u, "간식으로 먹을 빵 추천해 주세요")
    text = "계란 들어간 건 두드러기 나서 빼고요"
    u = parse(text, state)
    assert u.intent == "search" and u.slots.allergens == ("알류",)
    state, u = update_state(state, u, text)
    u = parse("만오천원 이하로요", state)
    state, u = update_state(state, u, "만오천원 이하로요")
    assert "알류" in u.slots.allergens and u.slots.budget_max == 15000


@pytest.mark.parametrize("text, allergens", [
    ("남편이 갑각류 알레르기에요 저는 복숭아요", {"게", "새우", "복숭아"}),   # ellipsis after an allergy
    ("돼지고기는 종교 때문에 안 먹어요", {"돼지고기"}),                   # a reason before the mark
    ("토마토는 입에 대면 가려워요 소스 추천", {"토마토"}),
    ("밀가루 프리 빵", {"밀"}),
    ("no milk 라떼", {"우유"}),                                        # a negation before the word
    ("우유는 노우, 두유 주세요", {"우유"}),
    ("치즈 빼고 햄버거 재료 다 담아줘", {"우유"}),
    ("애가 우유랑 계란 둘 다 안 맞아요", {"우유", "알류"}),
])
def test_more_orders_of_the_same_grammar(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text, allergens", [
    ("글루텐프리 파스타 찾아줘", set()),      # the 글루텐프리 tag (never relaxed), not the 밀 exclusion too
    ("새우깡 말고 감자칩", set()),
    ("장바구니에서 치즈 빼줘", set()),
    ("밀가루 1kg 장바구니에 넣어줘", set()),
    ("호두랑 잣은 안 돼요. 섞인 거 말고 캐슈넛만 있는 거?", {"호두", "잣"}),   # the nut wanted stays wanted
])
def test_tag_and_product_readings(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text, allergens", [
    # the product with the allergen in it is refused, or named with an inability
    ("우유 들어간 라떼 말고 아메리카노", {"우유"}),
    ("땅콩 들어간 과자 말고 젤리 추천", {"땅콩"}),
    ("토마토 들어간 소스는 못 써요", {"토마토"}),
    ("복숭아 털 알레르기라 복숭아 주스는 못 마셔요", {"복숭아"}),
    ("새우 빠진 볶음밥", {"새우"}),
    ("계란 뺀 샌드위치 있어요?", {"알류"}),
    # spacing mistakes and lists with people
    ("땅콩알러지있어요 쿠키추천", {"땅콩"}),
    ("견과류빼고 그래놀라", NUTS),
    ("딸은 우유, 아들은 계란, 남편은 새우 알레르기", {"우유", "알류", "새우"}),
    ("알레르기 있는 거: 계란, 우유, 땅콩", {"알류", "우유", "땅콩"}),
])
def test_refused_products_and_spacing(text, allergens):
    assert set(parse(text).slots.allergens) == allergens


@pytest.mark.parametrize("text", [
    "땅콩잼 추천해줘", "우유식빵 두 개 담아", "새우튀김 있어요?", "계란말이 반찬 추천",
    "호두과자 선물세트", "우유 들어간 빵 추천", "고등어 두 마리 주세요", "콩나물 한 봉지 추가",
])
def test_allergen_words_inside_product_names(text):
    assert parse(text).slots.allergens == ()


def test_a_choice_between_products_is_no_exclusion():
    # the product refused and the product chosen both hold the word: a choice, milk is wanted
    assert parse("치즈 들어간 빵 말고 그냥 체다치즈 주세요").slots.allergens == ()
    assert parse("우유 들어간 과자 말고 흰우유 한 팩").slots.allergens == ()
    assert parse("우유 들어간 과자 말고 젤리").slots.allergens == ("우유",)


@pytest.mark.parametrize("text, allergens", [
    ("땅콩 넣지 마세요 과자 추천", {"땅콩"}),
    ("새우 든 거 주지 마세요 만두 추천", {"새우"}),
    ("견과류 들어간 거 담지 마", {"땅콩", "호두", "잣"}),
    ("갑각류 들어간 건 추천하지 마세요", {"새우", "게"}),
])
def test_offering_an_ingredient_refused_excludes_it(text, allergens):
    u = parse(text)
    assert allergens <= set(u.slots.allergens)
    assert not allergens & set(u.slots.keywords)
