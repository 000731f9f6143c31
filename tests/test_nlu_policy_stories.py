"""A policy question told as a situation, with a product word in it, is a policy question:
an order already placed or a gift sent, a time of ordering and of arrival, a region, a
product that arrived spoiled or broken, a counsellor's hours, a bulk order. The same product
words without the situation stay a search or a cart line. Sentences written for this test
(batch G's misrouted policy questions were of these kinds)."""

import pytest

from assistant.nlu.parser import parse


@pytest.mark.parametrize("text, topic", [
    ("오후 9시에 결제하면 다음날 새벽에 도착해요?", "배송"),
    ("울릉도에 사는 언니한테 김치 시켜줄 수 있나요?", "배송"),
    ("딸기 받았는데 절반이 곰팡이가 피었어요 어떻게 해요?", "교환반품"),
    ("전기밥솥 받은 지 나흘 됐는데 작동이 안 돼요 교환돼요?", "교환반품"),
    ("어머니께 선물 보냈는데 아직 주소를 안 적으셨대요", "선물"),
    ("주문한 거에 우유 한 팩 더 넣을 수 있어요?", "주문"),
    ("채팅 상담은 주말에도 해요?", "고객센터"),
    ("사무실 행사용으로 음료 30박스 주문해도 되나요?", "주문"),
])
def test_a_situation_asks_the_store_rule(text, topic):
    u = parse(text)
    assert (u.intent, u.slots.policy_topic) == ("policy", topic)


@pytest.mark.parametrize("text, intent", [
    ("우유 한 팩 더 넣어줘", "cart_add"),
    ("곰팡이 제거제 추천해줘", "search"),
    ("울릉도 오징어 있어요?", "search"),
    ("내일 아침에 먹을 식빵 추천", "search"),
])
def test_the_same_words_without_the_situation_shop(text, intent):
    assert parse(text).intent == intent
