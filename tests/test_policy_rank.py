"""Policy section rerank (assistant.policy_rank) and the answer-first guards of policy_grounding."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant import policy_rank as pr
from assistant.facts import PolicyFact
from assistant.policy_grounding import exception_sentence, in_scope, policy_answer
from assistant.testing import tiny_policies

POLICY_DIR = Path(__file__).resolve().parents[1] / "data" / "policies"


def _hit(pid: str, score: float, bm25: float | None = None, dense: float | None = None):
    scores = {"fused": score}
    if bm25 is not None:
        scores["bm25"] = bm25
    if dense is not None:
        scores["dense"] = dense
    return SimpleNamespace(id=pid.split("#")[0], passage_id=pid, score=score, scores=scores, kind="policy", passage="")


@pytest.mark.parametrize("question, term", [
    ("우유 박스째 샀는데 마음 바뀌었어요 반품 가능한가요?", "단순변심"),
    ("계란 깨져서 왔어요", "파손"),
    ("주문한거랑 다른게 왔어요 어떡해요", "오배송"),
    ("포인트 몇프로 적립", "적립금"),
    ("새벽배송 늦게 왔어요 보상 있나요", "지연"),
    ("제주도 사는데 새벽배송 되나여", "제주·도서산간"),
    ("키오스크 핀번호 까먹었어요", "키오스크 PIN 만들고 바꿀 수"),
    ("매장 키오스크에서 PIN을 여러 번 틀려서 로그인이 안 돼요", "잠금"),
    ("돈은 빠져나갔는데 주문내역에 없어요", "돈은 빠졌는데 주문이 없을 때"),
])
def test_expand_adds_the_help_centers_words(question, term):
    out = pr.expand(question)
    assert out.startswith(question) and term in out[len(question):]


def test_expand_leaves_a_plain_question_alone():
    assert pr.expand("배송비 얼마예요") == "배송비 얼마예요"


def test_every_expansion_word_is_in_the_policy_texts():
    text = " ".join(p.read_text(encoding="utf-8") for p in POLICY_DIR.glob("*.md"))
    missing = [w for _, words in pr.EXPANSIONS for w in words.split() if w not in text]
    assert not missing, missing


def test_every_topic_names_existing_documents():
    ids = {line.split(":", 1)[1].strip() for p in POLICY_DIR.glob("*.md")
           for line in p.read_text(encoding="utf-8").splitlines() if line.startswith("id:")}
    for topic, prefixes in pr.TOPIC_DOCS.items():
        for prefix in prefixes:
            assert any(i.startswith(prefix) for i in ids), (topic, prefix)


def test_topic_match_old_and_store_vocabulary():
    assert pr.topic_match("교환반품", "반품-03") == 1.0
    assert pr.topic_match("환불", "환불-01") == 1.0       # store vocabulary
    assert pr.topic_match("계정", "회원-02") == 1.0
    assert pr.topic_match("쿠폰", "배송-04") == 0.0
    assert pr.topic_match(None, "배송-04") is None


def test_features_read_heading_cue_and_document():
    policies = {d.id: d for d in tiny_policies()}
    hits = [_hit("배송-01#1", 0.9, 3.0, 0.85), _hit("배송-01#2", 0.8, None, 0.80)]
    f = pr.features("제주 도서산간 추가 배송비 얼마예요", hits, policies, "배송")
    assert f[1]["heading"] > f[0]["heading"]          # "도서산간" is the second section's heading
    assert f[0]["cue"] == 1.0 and f[1]["cue"] == 1.0   # both state an amount for "얼마"
    assert f[0]["fused"] == 1.0 and f[1]["fused"] == 0.0 and f[1]["bm25"] == 0.0
    assert f[0]["topic"] == 1.0 and f[0]["off_topic"] == 0.0 and f[0]["first"] == 1.0
    assert f[1]["doc"] == 1.0                          # its document's best section is first


def test_section_bm25_scores_policy_sections_only():
    sb = pr.SectionBM25(tiny_policies())
    scores = sb.scores("도서산간 추가 배송비")
    assert max(scores, key=scores.get) == "배송-01#2"
    assert sb.scores("") == {}


def test_fit_learns_the_feature_that_separates_the_labeled_section():
    groups = [([{"fused": 1.0, "heading": 0.0}, {"fused": 0.5, "heading": 1.0}], [0, 1]),
              ([{"fused": 1.0, "heading": 1.0}, {"fused": 0.2, "heading": 0.0}], [1, 0]),
              ([{"fused": 0.9, "heading": 0.1}, {"fused": 1.0, "heading": 0.8}], [0, 1])]
    m = pr.fit(groups, l2=0.1, names=("fused", "heading"))
    assert m["weights"]["heading"] > m["weights"]["fused"]
    hits = [_hit("배송-01#1", 1.0), _hit("배송-01#2", 0.5)]
    by_id = {d.id: d for d in tiny_policies()}
    ranked = pr.rank("도서산간 배송비", hits, by_id, m=m)
    assert ranked[0][1].passage_id == "배송-01#2"


def test_shipped_weights_name_labeled_splits_and_the_memory_weighs_in():
    m = json.loads(pr.WEIGHTS_FILE.read_text(encoding="utf-8"))
    known = set(pr.all_splits())
    assert set(m["fit"]["splits"]) <= known and set(m["fit"]["memory"]) <= known
    assert set(m["weights"]) == set(pr.MODEL_FEATURES)
    assert m["weights"]["near"] > 0                     # a labeled neighbour's section is a reason, not noise
    assert len(pr.memory(m["fit"]["memory"])) == m["fit"]["memory_questions"]


def test_training_refuses_an_unknown_split():
    with pytest.raises(SystemExit):
        pr.main(["--splits", "holdout_zz", "--dry-run"])


def test_the_blind_labels_are_a_faithful_copy_of_the_frozen_batches():
    from assistant.evaluate_answers import BLIND_SETS, read_jsonl

    copied = {(r["split"], r["id"]): r for r in pr.label_rows() if r["split"].startswith("blind_")}
    n = 0
    for name, split in pr.BLIND_SPLITS.items():
        for r in read_jsonl(BLIND_SETS[name][1]):
            c = copied[(split, r["id"])]
            assert (c["query"], c["passage"], c["also_ok"]) == (r["query"], r["passage"], list(r.get("also_ok", ())))
            n += 1
    assert n == len(copied)


MEMORY = pr.QuestionMemory([
    {"query": "새벽배송 늦게 왔어요 보상 있나요", "passage": "배송-06#2"},
    {"query": "새벽배송 몇 시까지 주문해야 돼요", "passage": "배송-02#1"},
    {"query": "딸기 맛없어서 교환되나요", "passage": "교환-01#3", "also_ok": ["반품-03#1"]},
])


def test_the_memory_votes_for_the_sections_of_the_nearest_labeled_questions():
    votes = MEMORY.scores("새벽배송이 아침 8시 넘어서 늦게 왔어요")
    assert max(votes, key=votes.get) == "배송-06#2"
    assert abs(sum(votes.values()) - 1.0) < 1e-9
    also = MEMORY.scores("사과 맛없어서 교환되나요")
    assert also["교환-01#3"] == also["반품-03#1"] > also.get("배송-06#2", 0.0)   # also_ok shares the vote
    assert MEMORY.scores("") == {}


def test_fitting_leaves_a_question_out_of_its_own_memory():
    q = "새벽배송 늦게 왔어요 보상 있나요"
    assert MEMORY.scores(q)["배송-06#2"] > MEMORY.scores(q, leave_out=True).get("배송-06#2", 0.0)


def test_the_memory_vote_moves_the_rank():
    hits = [_hit("배송-01#1", 1.0), _hit("배송-01#2", 0.5)]
    by_id = {d.id: d for d in tiny_policies()}
    m = {"bias": 0.0, "weights": {"fused": 1.0, "near": 3.0}}
    assert pr.rank("배송비", hits, by_id, m=m)[0][1].passage_id == "배송-01#1"
    ranked = pr.rank("배송비", hits, by_id, m=m, near={"배송-01#2": 0.9, "배송-01#1": 0.1})
    assert ranked[0][1].passage_id == "배송-01#2"


AS = PolicyFact("반품-07", "소형가전 초기 불량과 A/S", "무상 A/S",
                "구매일부터 1년 동안 제조사 무상 수리를 받을 수 있습니다. 제조사 고객센터 번호는 상품 상세 페이지와 "
                "보증서에 있습니다. 사용자 과실로 고장 난 경우는 유상 수리입니다.", "반품-07#2")
DAWN = PolicyFact("배송-02", "새벽배송 이용 안내", "주문 마감과 도착 시간",
                  "밤 11시(23:00)까지 주문하면 다음 날 아침 7시 전에 문 앞에 도착합니다.", "배송-02#1")
PICKUP = PolicyFact("픽업-01", "매장 픽업 이용 안내", "비용", "매장 픽업은 배송비가 없으며 최소 주문 금액도 없습니다.", "픽업-01#4")


def test_an_exception_in_the_section_makes_the_answer_conditional():
    first = policy_answer("전기포트 8개월 썼는데 고장났어요. 돈 내고 고쳐야 돼요?", AS)
    assert first.startswith("조건이 있어요: ") and "1년" in first and "과실" in first
    assert exception_sentence(AS.text, "구매일부터 1년 동안 제조사 무상 수리를 받을 수 있습니다.").startswith("사용자 과실")


def test_no_verdict_from_a_section_about_another_action():
    assert not in_scope("내일 새벽배송 오는 거 밤 11시에 취소해도 돼요?", f"{DAWN.title} {DAWN.heading} {DAWN.text}")
    first = policy_answer("내일 새벽배송 오는 거 밤 11시에 취소해도 돼요?", DAWN)
    assert not first.startswith(("네", "아니요"))
    assert policy_answer("밤 11시 반에 새벽배송 주문하면 내일 아침에 받을 수 있어요?", DAWN).startswith("아니요, ")


def test_a_fee_the_section_says_does_not_exist_is_answered_no():
    assert policy_answer("매장 픽업도 배송비 있어요?", PICKUP).startswith("아니요, 매장 픽업은 배송비가 없으며")
    assert not policy_answer("리뷰쓰면 적립금 줘요?", PICKUP).startswith(("네", "아니요"))


FRESH_QUALITY = ("상했거나, 무르거나, 표시된 중량보다 적다면 받은 날을 포함해 2일 안에 사진과 함께 1:1 문의로 알려 주세요. "
                 "확인 뒤 전액 환불하거나 다시 보내드리며, 상품을 돌려보내실 필요는 없습니다.")


def test_the_asked_clause_picks_the_deciding_sentence_after_a_story():
    from assistant.policy_grounding import asked_clause, deciding_sentence

    q = "어제 온 딸기에 곰팡이가 폈어요. 이거 다시 포장해서 돌려보내야 하나요?"
    assert asked_clause(q) == "이거 다시 포장해서 돌려보내야 하나요"
    assert "돌려보내실 필요는 없습니다" in deciding_sentence(q, FRESH_QUALITY)
    assert deciding_sentence("환불 기간", FRESH_QUALITY).startswith("상했거나")   # one clause: no double weight


def test_section_bm25_is_built_once_per_analyzer():
    class Analyzer:
        def tokenize(self, text):
            return (text or "").split()

    a = Analyzer()
    first = pr.section_bm25(tiny_policies(), a.tokenize)
    assert pr.section_bm25(tiny_policies(), a.tokenize) is first   # a fresh bound method each access


def test_an_expansion_with_a_ruled_out_word_does_not_fire():
    assert "무료배송 기준" in pr.expand("3만8천원어치 일반배송 시키면 배송비 붙어요?")
    out = pr.expand("생수 정기배송하면 배송비 따로 내요? 만원어치밖에 안되는데")
    assert "무료배송 기준" not in out and "정기배송 혜택" in out
    assert "부분 취소" in pr.expand("42,000원 주문했는데 5천원짜리 하나만 취소하면 배송비 생겨요?")
    assert "부분 환불" not in pr.expand("42,000원 주문했는데 5천원짜리 하나만 취소하면 배송비 생겨요?")


# ---- wrong 네/아니요 found by the first scores of blind batches E and F (sentences rewritten) ----
_FEE = "새벽배송은 결제 금액 40,000원 이상이면 무료이고, 미만이면 배송비 3,500원이 붙습니다."


@pytest.mark.parametrize("question, expected", [
    ("새벽배송 3만2천원 주문인데 배송비 내야 돼요?", "yes"),     # under the limit: the fee applies
    ("새벽배송 4만2천원이면 무료예요?", "yes"),
    ("새벽배송 2만원어치면 공짜로 와요?", "no"),
    ("새벽배송 6만원 시키면 배송비 붙어요?", "no"),
])
def test_the_outcome_read_is_the_one_of_the_condition_that_holds(question, expected):
    from assistant.policy_grounding import decide_piece

    assert decide_piece(question, _FEE)[0] == expected


def test_a_rule_about_another_means_or_service_decides_nothing():
    from assistant.policy_grounding import decide_piece

    rule = "신용카드로 5만 원 이상 결제하면 2~12개월 할부를 고를 수 있습니다."
    assert decide_piece("체크카드로 7만원 사는데 할부 되나요?", rule)[0] is None
    assert decide_piece("신용카드로 7만원 사는데 할부 되나요?", rule)[0] == "yes"


def test_a_points_amount_is_not_the_order_amount():
    from assistant.policy_grounding import _question_value

    assert _question_value("적립금 300원만 배송비에 써도 돼요?", "amount") is None
    assert _question_value("쿠폰 2천원 쓰고 3만5천원이면 배송비 붙어요?", "amount") == 35_000


# ---- a wrong 네 found by the first score of blind batch H (sentences rewritten) ----
_SAME_DAY = "낮 12시(12:00)까지 결제를 마치면 같은 날 밤 10시까지 배송합니다."


@pytest.mark.parametrize("question, expected", [
    ("오후 2시에 결제하면 오늘 당일배송으로 받나요?", "no"),
    ("점심 2시 넘어서 주문했는데 당일배송 되나요?", "no"),        # 점심/낮 + 1..6시 is the afternoon
    ("오전 10시에 결제하면 당일배송 되나요?", "yes"),
    ("2시쯤 결제했는데 당일배송 받을 수 있나요?", None),           # 02:00 or 14:00: the reply must not guess
    ("11시에 주문하면 오늘 당일배송 되나요?", None),
])
def test_a_bare_clock_hour_that_could_be_either_half_of_the_day_decides_nothing(question, expected):
    from assistant.policy_grounding import decide_piece

    assert decide_piece(question, _SAME_DAY)[0] == expected


# ---- situations of blind batches G and H that reached another section (sentences rewritten) ----
@pytest.mark.parametrize("question, term", [
    ("저녁 9시에 시키면 다음 날 출근 전에 도착해요?", "새벽배송"),
    ("지금 결제하면 언제쯤 받아요?", "주문 마감과 도착 시간"),
    ("새벽배송 건 주소를 저녁에 수정해서 바꿀 수 있나요", "배송지 변경"),
    ("바디워시 250ml 샀는데 큰 용량으로 교환돼요?", "다른 옵션"),
    ("티셔츠 사이즈로 바꿀 수 있어요?", "다른 옵션"),
    ("매장 키오스크 앞에서 한참 가만히 있으면 로그인 풀려요?", "자동으로 로그아웃"),
    ("포인트 80원 남았는데 그것도 쓸 수 있나요", "최소 사용 금액"),
    ("무료배송으로 받은 냄비 반품하면 얼마 떼고 줘요?", "반품 배송비"),
    ("장보기 패스 있으면 2만원어치도 배송비 무료예요?", "모든 배송이 무료"),
    ("믹서기가 이틀 만에 안 돌아가요", "초기 불량"),
    ("구독으로 받는 기저귀에도 쿠폰 먹여져요?", "쿠폰을 쓸 수 없으며"),
    ("제 알러지 정보로 마케팅 연락 오는 건 아니죠?", "마케팅에는 쓰지 않습니다"),
])
def test_expand_reads_the_situation_that_names_the_deciding_section(question, term):
    assert term in pr.expand(question)[len(question):]


@pytest.mark.parametrize("question, term", [
    ("토요일 오후에 주문하면 일요일에 받나요?", "주문 마감과 도착 시간"),   # 휴무 rules decide, not the cut-off
    ("주문한 거 아직 안 왔는데 언제 와요?", "주문 마감과 도착 시간"),          # a late order, not the cut-off
    ("리뷰 쓰면 적립금 줘요?", "최소 사용 금액"),                              # earning points, not spending them
    ("탈퇴하면 남은 적립금 돌려받나요?", "최소 사용 금액"),
    ("3만원어치만 반품하면 배송비 다시 내요?", "반품 배송비"),                 # a partial return: 부분 환불
    ("패스 첫 달 무료예요?", "모든 배송이 무료"),
])
def test_expand_rules_stay_off_their_neighbours(question, term):
    assert term not in pr.expand(question)[len(question):]


def test_a_fee_amount_is_not_the_order_amount():
    from assistant.policy_grounding import _question_value, decide_piece

    assert _question_value("교환 택배비 6천원 맞나요?", "amount") is None
    assert _question_value("반품비는 3,000원이죠?", "amount") is None
    assert decide_piece("교환 택배비 6천원 맞나요?", "결제 금액이 40,000원 이상이면 배송비가 무료입니다.")[0] is None
    assert _question_value("3만5천원 샀는데 배송비 붙어요?", "amount") == 35_000


def test_the_deciding_sentence_is_read_with_the_help_centers_words_for_the_situation():
    from assistant.policy_grounding import deciding_sentence

    text = ("고객 번호와 4자리 PIN으로 로그인하면 적립금 적립, 맞춤 추천, 주문 내역 확인을 할 수 있습니다. "
            "로그인하지 않아도 바로 구매할 수 있습니다.")
    # the shopper's "로그인 없이 그냥 사도" is the text's "로그인하지 않아도 바로 구매" (the expansion's words)
    assert deciding_sentence("매장 키오스크에서 로그인 없이 그냥 사도 되나요?", text).startswith("로그인하지 않아도")


# ---- the gate: a help-center question read as another request --------------------------------
GATE = pr.PolicyGate(
    ["리뷰 쓰면 적립금 얼마 줘요?", "사진 리뷰 쓰면 적립금 얼마 쌓여요?", "리뷰 적립금 언제 들어와요?",
     "포토 리뷰 적립금 얼마예요", "리뷰 쓰면 포인트 줘요?", "텍스트 리뷰도 적립금 줘요?", "리뷰 적립금 얼마나 줘요"],
    ["땅콩 안 들어간 과자 보여줘", "우유 2개 장바구니에 담아줘", "사과 3kg 얼마에요", "리뷰 많은 과자 추천해줘"],
)


def test_the_gate_reads_a_help_center_question_by_its_labeled_neighbours():
    assert GATE.asks_policy("리뷰에 사진 올리면 적립금 얼마 쌓여요")
    assert not GATE.asks_policy("땅콩 안 들어간 과자 보여줘요")     # a product request's own neighbour
    assert not GATE.asks_policy("")


def test_the_gate_wants_most_neighbours_to_be_policy_questions():
    few = pr.PolicyGate(["리뷰 쓰면 적립금 얼마 줘요?"], ["리뷰 많은 과자 추천해줘", "과자 보여줘"])
    assert not few.asks_policy("리뷰 쓰면 적립금 얼마 줘요")      # 1 of its 3 neighbours: not enough


def test_reroute_turns_only_mistaken_requests_into_policy_questions(monkeypatch):
    from assistant.types import Reference, Slots, Understanding

    monkeypatch.setattr(pr, "policy_gate", lambda splits=None: GATE)
    q = "리뷰에 사진 올리면 적립금 얼마 쌓여요"
    out = pr.reroute(q, Understanding("search", Slots(keywords=("사진",)), clarify="어떤 상품을 찾으세요?"))
    assert out.intent == "policy" and out.slots == Slots() and out.clarify is None
    assert pr.reroute(q, Understanding("out_of_scope", Slots(), harmful=True)).intent == "out_of_scope"
    assert pr.reroute(q, Understanding("out_of_scope", Slots(), injection=True)).intent == "out_of_scope"
    assert pr.reroute(q, Understanding("checkout", Slots())).intent == "checkout"
    pointed = Understanding("product_question", Slots(reference=Reference(kind="it")))
    assert pr.reroute(q, pointed).intent == "product_question"      # "그거 …": about a shown product
    from assistant.types import DialogueState

    shown = DialogueState(last_results=["P0001"])
    assert pr.reroute(q, pointed, shown).intent == "product_question"
    assert pr.reroute(q, pointed, DialogueState()).intent == "policy"   # nothing shown: "이거" is not a product
    assert pr.reroute("땅콩 안 들어간 과자 보여줘요", Understanding("search", Slots())).intent == "search"
    told = "산 지 3주 된 블루투스 스피커가 갑자기 소리가 안 나요"   # a problem after buying, as a story
    assert pr.reroute(told, Understanding("search", Slots(keywords=("스피커",)))).intent == "policy"
    assert pr.reroute("블루투스 스피커 소리 좋은 거 있어요?", Understanding("search", Slots())).intent == "search"


def test_a_price_question_about_a_product_stays_a_product_question():
    for name in ("꿀사과", "무선이어폰", "고양이 모래", "냉동만두"):
        assert not pr.policy_gate().asks_policy(f"{name} 얼마예요?")


def test_the_intent_examples_come_from_the_seen_batches_and_eval_sets():
    rows = pr.intent_rows()
    assert rows and {r["split"] for r in rows} <= set(pr.BLIND_SPLITS.values()) | {"dev", "test"}
    assert {"product", "search", "cart_add", "policy"} <= {r["intent"] for r in rows}


LIMITS = PolicyFact("반품-02", "반품이 제한되는 경우", "법에서 정한 제한 사유",
                    "다음 경우에는 단순변심 반품이 제한됩니다. - 고객님 책임으로 상품이 훼손된 경우 "
                    "- 사용하거나 일부 소비해 상품 가치가 떨어진 경우 - 복제할 수 있는 상품의 포장을 훼손한 경우",
                    "반품-02#1")


def test_a_list_item_answer_opens_with_the_sentence_that_opens_its_list():
    from assistant.evaluate_answers import answers_first
    from assistant.policy_grounding import list_item

    first = policy_answer("먹다 남은 거 반품 가능?", LIMITS)
    assert first.startswith("다음 경우에는 단순변심 반품이 제한됩니다. 사용하거나 일부 소비해")
    assert answers_first(first)
    assert list_item("반품 돼요?", LIMITS.text, "다음 경우에는 단순변심 반품이 제한됩니다.") == ("", "")   # a sentence
    areas = "- 새벽배송: 서울 전 지역 - 당일배송: 서울, 경기 성남"
    assert list_item("당일배송 돼요?", areas, "새벽배송: 서울 전 지역 - 당일배송: 서울, 경기 성남") == ("", "")   # no lead


def test_a_charge_asked_to_be_waived_is_answered_no():
    from assistant.policy_grounding import decide_piece

    section = ("제주는 3,000원, 그 밖의 도서산간 지역은 5,000원이 추가됩니다. "
               "추가 배송비는 무료배송 기준을 넘어도 부과됩니다.")
    assert decide_piece("제주도 사는데 추가 배송비도 면제돼요?", section)[0] == "no"
    assert decide_piece("제주는 추가 배송비 얼마예요?", section)[0] is None     # not a yes/no question
    # a charge in an exception ("과실로 … 경우는 유상") does not answer whether the rest is free
    repair = "구입 후 1년 안에 고장 나면 무상으로 수리해 드립니다. 사용자 과실로 고장 난 경우는 유상 수리입니다."
    assert decide_piece("열 달 썼는데 고장났어요 공짜로 고쳐주나요", repair)[0] != "no"
