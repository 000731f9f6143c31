"""Policy topics are the help center's own families (data/policies front matter ids), named as
shoppers and the store's labels name them; sentences made up for these tests."""

import pytest

from assistant.nlu import parse
from assistant.nlu.lexicon import (
    LEGACY_POLICY_TOPICS,
    POLICY_TOPIC_DOC_PREFIXES,
    POLICY_TOPICS,
    policy_topic_of,
    policy_topics,
    topic_covers,
)
from assistant.settings import REPO_ROOT
from store.catalog import load_policies


def test_every_document_family_is_a_topic_and_back():
    docs = load_policies(REPO_ROOT / "data" / "policies")
    from_docs = {policy_topic_of(d.id) for d in docs}
    assert set(policy_topics()) == from_docs
    assert set(POLICY_TOPICS) == from_docs          # a trigger table for every family, no other
    for topic, prefixes in POLICY_TOPIC_DOC_PREFIXES.items():
        assert any(d.id.rsplit("-", 1)[0] in prefixes for d in docs), topic
    for name, topics in LEGACY_POLICY_TOPICS.items():
        assert set(topics) <= from_docs, name


def test_documents_cover_their_topic_only():
    assert topic_covers("교환반품", "반품-04") and topic_covers("교환반품", "교환-01#2")
    assert not topic_covers("환불", "반품-04") and not topic_covers("교환반품", "환불-01")
    assert topic_covers("구독", "정기배송-02") and topic_covers("계정", "회원-01")
    assert topic_covers("혜택", "멤버십-01") and not topic_covers("혜택", "배송-01")   # an older coarse name
    assert not topic_covers(None, "배송-01")


@pytest.mark.parametrize("text, topic", [
    ("택배 상자가 찢어져서 왔는데 환불 가능한가요", "환불"),            # the refund asked about the damage
    ("환불받으면 카드로 며칠 만에 들어와요?", "환불"),
    ("교환 신청하면 헌 물건은 언제 가져가요?", "교환반품"),              # a return to be made
    ("다 먹은 것도 반품하면 돈 돌려주나요", "교환반품"),
    ("교환 신청했는데 환불로 바꿀 수 있나요", "환불"),                 # the exchange is done: refund asked
    ("포인트 다음 달에 사라져요?", "적립금"),
    ("생일 쿠폰 언제 들어와요", "쿠폰"),
    ("멤버십 등급 올리려면 얼마 사야 돼요", "멤버십"),
    ("정기배송 이번 달 쉬고 싶어요", "구독"),
    ("구독 해지하면 남은 회차 돈 돌려받아요?", "구독"),                 # the service, not the refund
    ("픽업 주문하면 몇 시부터 찾으러 가요?", "픽업"),
    ("키오스크 결제 카드만 돼요?", "키오스크"),
    ("비밀번호 까먹었는데 어떻게 찾아요", "계정"),
    ("주문 취소 오늘 몇 시까지 돼요", "주문"),
])
def test_topic_is_the_family_asked_about(text, topic):
    u = parse(text)
    assert (u.intent, u.slots.policy_topic) == ("policy", topic)


def test_a_follow_up_policy_question_keeps_the_topic():
    from assistant.nlu.dialogue import update_state
    from assistant.types import DialogueState

    state = DialogueState()
    first = "받은 상품이 파손돼서 반품하고 싶어요"
    state, u = update_state(state, parse(first, state), first)
    state.history = [{"role": "user", "content": first}, {"role": "assistant", "content": ""}]
    follow = "사진도 같이 보내야 돼요?"
    u2 = parse(follow, state)
    assert u.intent == "policy" and u2.intent == "policy" and u2.slots.policy_topic == u.slots.policy_topic


@pytest.mark.parametrize("text", ["배송이 늦으면 보상 해주나요?", "주문 정보가 광고에 쓰이나요?"])
def test_late_delivery_amends_and_ads_use_are_policy(text):
    u = parse(text)
    assert u.intent == "policy" and u.slots.policy_topic in ("배송", "개인정보")


def test_an_ad_seen_is_no_privacy_question():
    assert parse("이 과자 광고에 나온 거예요?").slots.policy_topic != "개인정보"


# branch slots3: words of the help center's own section headings (생일 쿠폰, 부재 시 수령, 친환경
# 포장, 중복 주문, 리뷰 게시, 연락처), said the way shoppers say them; a verb any object takes
# ("바꾸고 싶어요") names the topic of its object. Messages written for this test.
@pytest.mark.parametrize("text, topic", [
    ("생일이면 뭐 할인 같은 거 있어요?", "쿠폰"),
    ("첫 주문이면 쿠폰 같은 거 주나요", "쿠폰"),
    ("택배 받을 때 아무도 없으면 어떡해요?", "배송"),
    ("스티로폼 박스가 너무 많이 와서 곤란해요", "배송"),
    ("같은 거 두 번 주문해버렸어요 어떡하죠", "주문"),
    ("제가 쓴 리뷰 삭제하고 싶어요", "상품"),
    ("상담 채팅은 어디서 하나요", "고객센터"),
    ("휴대폰 번호가 바뀌었는데 어떻게 해요", "계정"),
    ("비밀번호를 바꾸고 싶어요", "계정"),
    ("색깔을 바꾸고 싶어요", "교환반품"),
])
def test_heading_words_name_their_topic(text, topic):
    u = parse(text)
    assert (u.intent, u.slots.policy_topic) == ("policy", topic), text
