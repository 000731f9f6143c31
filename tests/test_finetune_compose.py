"""Reply targets composed from the facts (no model): grounded, validator-clean, answer first,
varied, and not the template draft."""

import random

from assistant.evaluate_answers import answers_first
from assistant.facts import Facts, PolicyFact, ProductFact
from assistant.replies import compare_notes, compare_reply, policy_reply, product_detail_reply, search_reply
from assistant.testing import tiny_catalog
from assistant.validator import Context, validate
from finetune.compose import compose_reply, conditions, josa
from finetune.gates import prompt_context
from finetune.metrics import grounding_errors

NAMES = tuple(p.name for p in tiny_catalog())


def _cards(n=3):
    return tuple(ProductFact.from_product(p) for p in tiny_catalog()[:n])


def _search_facts():
    cards = _cards()
    return Facts(intent="search", products=cards, notes=("적용한 조건: 10,000원 이하, 비건",),
                 draft=search_reply(list(cards), ["10,000원 이하", "비건"]))


def _policy_facts():
    pol = PolicyFact("배송-01", "배송비 안내", "배송비", "기본 배송비는 3,000원입니다. 40,000원 이상 주문하면 무료배송입니다.")
    return Facts(intent="policy", policies=(pol,), draft=policy_reply([pol], "45,000원 사면 배송비 무료예요?"))


def _check(message, facts, reply):
    from assistant.prompting import build_messages

    messages = build_messages(message, facts, [], layout="facts")
    assert grounding_errors(reply, prompt_context(messages), NAMES, len(facts.products) + len(facts.policies)) == []
    result = validate(reply, Context(facts, message, NAMES))
    assert result.outcome == "ok", (reply, result.violations)
    assert " ".join(reply.split()) != " ".join(facts.draft.split())
    assert answers_first(reply), reply


def test_search_targets_are_grounded_validator_clean_and_varied():
    facts = _search_facts()
    replies = {compose_reply("만원 이하 비건 간식 추천", facts, random.Random(s)) for s in range(40)}
    assert len(replies) >= 4                     # several composition patterns, not one template
    for reply in replies:
        _check("만원 이하 비건 간식 추천", facts, reply)
    assert conditions(facts)[0] == ["10,000원 이하", "비건"]    # a comma inside an amount is not a separator


def test_policy_target_answers_first_with_the_rule_and_cites_it():
    facts = _policy_facts()
    for s in range(10):
        reply = compose_reply("45,000원 사면 배송비 무료예요?", facts, random.Random(s))
        _check("45,000원 사면 배송비 무료예요?", facts, reply)
        assert reply.startswith("네, ") and "40,000원" in reply and "[배송-01]" in reply and "「" not in reply


def test_detail_compare_and_unstated_targets():
    card = _cards(1)[0]
    detail = Facts(intent="product_question", products=(card,), draft=product_detail_reply(card))
    for s in range(6):
        _check("이거 알레르기 있어요?", detail, compose_reply("이거 알레르기 있어요?", detail, random.Random(s)))
    unstated = compose_reply("칼로리 얼마예요?", detail, random.Random(0))
    assert unstated.startswith("칼로리(열량) 정보는 저희 상품 정보에 없어요") and card.name in unstated
    pair = list(_cards(2))
    comp = Facts(intent="product_question", products=tuple(pair), notes=compare_notes(pair, "뭐가 더 싸요?"),
                 draft=compare_reply(pair, "뭐가 더 싸요?"))
    for s in range(6):
        reply = compose_reply("뭐가 더 싸요?", comp, random.Random(s))
        _check("뭐가 더 싸요?", comp, reply)
        assert reply.startswith(compare_notes(pair, "뭐가 더 싸요?")[0].split(":", 1)[1].strip())


def test_turns_without_facts_keep_the_draft_and_josa():
    facts = Facts(intent="clarify", draft="어떤 상품을 찾으세요?")
    assert compose_reply("음", facts, random.Random(0)) == "어떤 상품을 찾으세요?"
    assert josa("두부", "은는") == "두부는" and josa("우유 1L", "이가") == "우유 1L가" and josa("ABC", "을를") == "ABC을(를)"


def test_data_rows_carry_composed_targets_that_pass_the_validator(tmp_path):
    """The reply rows `finetune.data` writes: targets differ from the drafts and pass the app's
    validator (rows that would not are dropped and counted)."""
    from assistant.testing import tiny_policies
    from finetune.data import build_rows, validator_problems
    from finetune.teacher import BuiltinTeacher
    from finetune.templates import make_specs

    catalog, policies = tiny_catalog(), tiny_policies()
    teacher = BuiltinTeacher(catalog, policies)
    specs = make_specs(catalog, policies, random.Random(3), 80)
    rows, drops = build_rows(specs, teacher, NAMES, {p.id for p in catalog}, "2026-11-26T00:00:00+00:00")
    llm_rows = [r for r in rows if r["meta"]["intent"] in ("search", "product_question", "policy")
                and (r["meta"]["facts"]["products"] or r["meta"]["facts"]["policies"])]   # what the app sends a model
    assert len(llm_rows) >= 30
    assert all(r["messages"][-1]["content"] != r["meta"]["facts"]["draft"] for r in llm_rows)
    for r in llm_rows:
        assert r["meta"]["facts"]["draft"] not in r["messages"][0]["content"]
    spec = next(s for s in specs if s.intent == "policy")
    turn = teacher.run(spec)[-1]
    bad = turn.__class__(turn.messages, turn.reply + " 99,999원이에요.", turn.intent, turn.context_ids,
                         turn.required_facts, turn.facts, turn.history)
    assert validator_problems(turn, NAMES) == [] and validator_problems(bad, NAMES) != []
