"""Understanding (JSON) rows for fine-tuning: labels, prompt shape, disjoint from the blind sets."""

import json
import random
import re

import pytest

from assistant.nlu.model import SCHEMA, TUNED_SYSTEM, build_messages, compact_json, read_model
from finetune.data import blind_texts, nlu_rows, nlu_target, utterance_rows
from finetune.templates import nlu_specs


@pytest.fixture(scope="module")
def rows():
    from assistant.settings import Settings
    from finetune.data import load_sources

    products, policies = load_sources(Settings.from_env().data_dir)
    specs = nlu_specs(products, policies, random.Random(7), 160)
    built, drops = nlu_rows(specs, "2026-01-01T00:00:00+00:00", blind_texts())
    assert len(built) > 120, drops
    return built


def _norm(text):
    return re.sub(r"[\s.,!?~ㅠㅜㅋㅎ]+", "", text).lower()


def _message(row):
    """The shopper's message of a row (the tuned prompt puts earlier ones on "이전:" lines)."""
    return row["messages"][-2]["content"].rsplit("\n", 1)[-1].removeprefix("지금: ")


def test_no_blind_message_is_a_training_message(rows):
    blind = blind_texts()
    assert len(blind) >= 300          # the frozen sets were read
    for r in rows:
        assert _norm(_message(r)) not in blind


def test_the_exclusion_is_applied():
    from finetune.templates import QuestionSpec

    text = "애가 견과류 알러지 있어서 그런데 과자 추천좀해주셈"   # a blind message, verbatim
    spec = QuestionSpec("p", "search", (text,), {"item": "과자"}, ("P1",), (), "")
    kept, drops = nlu_rows([spec], "t", blind_texts())
    assert kept == [] and drops["in_blind_set"] == 1


def test_rows_are_the_inference_prompt_plus_a_schema_valid_object(rows):
    for r in rows:
        prompt, answer = r["messages"][:-1], r["messages"][-1]
        assert answer["role"] == "assistant" and r["meta"]["task"] == "understanding"
        data = json.loads(answer["content"])
        assert set(data) <= set(SCHEMA["properties"]) and data["intent"] in SCHEMA["properties"]["intent"]["enum"]
        text = _message(r)
        assert read_model(data, text) is not None
        # the NLU adapter's prompt exactly as at inference: the fixed short instruction first
        assert prompt[0] == build_messages(text, [], "tuned")[0] == {"role": "system", "content": TUNED_SYSTEM}
        assert answer["content"] == compact_json(data) and " " not in answer["content"].replace(
            " ", "") and ", " not in answer["content"] and '": ' not in answer["content"]
        order = list(SCHEMA["properties"])
        assert [order.index(k) for k in data] == sorted(order.index(k) for k in data)   # the grammar's order


def test_allergy_rows_carry_every_stated_allergen_and_wanted_rows_none(rows):
    allergy = [r for r in rows if re.search(r"빼고|못 먹어요|다 안 돼요|알레르기 있어요|먹으면 큰일", r["messages"][-2]["content"])
               and r["meta"]["spec_intent"] == "search"]
    assert allergy
    assert all(json.loads(r["messages"][-1]["content"]).get("allergens") for r in allergy)
    wanted = [r for r in rows if re.search(r"들어간 \S+ |맛 ", r["messages"][-2]["content"].rsplit("\n", 1)[-1])
              and "빼" not in r["messages"][-2]["content"] and "안" not in r["messages"][-2]["content"]]
    assert all(not json.loads(r["messages"][-1]["content"]).get("allergens") for r in wanted)


def test_target_writes_a_family_as_said_and_the_item_once():
    from assistant.types import Slots, Understanding

    t = nlu_target(Understanding("search", Slots(keywords=("간식", "과자"), budget_max=10000)), "과자", ["견과류"])
    assert t == {"intent": "search", "item": "과자", "keywords": ["간식"], "allergens": ["견과류"], "budget_max": 10000}
    # reading it back gives the members (families expand in read_model) and the item first
    u = read_model(t, "견과류 빼고 간식 과자 만원 이하")
    assert u.slots.keywords == ("과자", "간식") and set(u.slots.allergens) == {"땅콩", "호두", "잣"}


def test_a_negated_allergen_word_is_not_a_product_keyword():
    from assistant.types import Slots, Understanding

    t = nlu_target(Understanding("search", Slots(keywords=("소스", "밀가루"), allergens=("밀",))), "소스", ["밀가루"])
    assert t == {"intent": "search", "item": "소스", "allergens": ["밀가루"]}   # as said; read_model expands it


def test_tuned_prompt_shows_the_shoppers_last_two_messages_only():
    history = [{"role": "user", "content": "첫 질문"}, {"role": "assistant", "content": "긴 답변 " * 50},
               {"role": "user", "content": "두번째 " * 40}, {"role": "assistant", "content": "답"}]
    msgs = build_messages("그거 담아줘", history, "tuned")
    assert [m["role"] for m in msgs] == ["system", "user"]
    lines = msgs[1]["content"].split("\n")
    assert lines[0] == "이전: 첫 질문" and lines[1].startswith("이전: 두번째") and len(lines[1]) <= 84
    assert lines[-1] == "지금: 그거 담아줘" and "답변" not in msgs[1]["content"]
    assert build_messages("우유", [], "tuned")[1]["content"] == "우유"


def test_utterance_rows_use_the_gold_labels_and_skip_stateful_and_unsafe_ones(tmp_path):
    path = tmp_path / "u.jsonl"
    lines = [{"id": "a1", "text": "두 번째 거 3개 담아줘", "intent": "cart_add",
              "slots": {"reference": {"kind": "index", "index": 1}, "quantity": 3}},
             {"id": "a2", "text": "2개요", "intent": "cart_add", "slots": {"quantity": 2}, "state": {"x": 1}},
             {"id": "a3", "text": "폭탄 만드는 법", "intent": "out_of_scope", "slots": {}, "harmful": True},
             {"id": "a4", "text": "블라인드 문장", "intent": "greeting", "slots": {}}]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    rows = utterance_rows(path, "t", exclude={"블라인드문장"})
    assert [r["meta"]["id"] for r in rows] == ["utt-a1"]
    assert rows[0]["messages"][-1]["content"] == '{"intent":"cart_add","quantity":3,"reference":"index","reference_index":2}'


def test_shipped_utterance_rows_are_schema_valid():
    from pathlib import Path

    import jsonschema

    rows = utterance_rows(Path(__file__).parent / "data" / "nlu_utterances.jsonl", "t", blind_texts())
    assert len(rows) > 300
    for r in rows:
        jsonschema.validate(json.loads(r["messages"][-1]["content"]), SCHEMA)


def test_gold_target_keeps_the_schema_and_moves_the_head_noun_out_of_the_keywords():
    from finetune.data import gold_target

    t = gold_target("search", {"keywords": ["간식", "과자"], "item": "과자", "allergens": ["땅콩", "모름"],
                               "budget_max": 5000, "sort": "cheapest_of_all", "category": "과자"})
    assert t == {"intent": "search", "item": "과자", "keywords": ["간식"], "allergens": ["땅콩"], "budget_max": 5000}
    assert list(t) == ["intent", "item", "keywords", "allergens", "budget_max"]   # SCHEMA order
    assert gold_target("cart_add", {"reference": {"kind": "index", "index": -1}}) is None   # "the last one"
    assert gold_target("cart_add", {"reference": {"kind": "index", "index": 0}}) == {
        "intent": "cart_add", "reference": "index", "reference_index": 1}


def test_seen_blind_rows_are_opt_in_schema_valid_and_never_a_fresh_batch_message():
    import jsonschema

    from assistant.nlu.blind import BLIND_DIR
    from finetune.data import seen_blind_rows

    assert seen_blind_rows([], "t") == []
    fresh = blind_texts(skip={"blind", "holdout_k"})   # every batch but the two trained on here
    rows = seen_blind_rows(["blind", "holdout_k"], "t", fresh)
    assert len(rows) > 300
    assert {r["meta"]["id"].split("-")[1] for r in rows} == {"blind", "holdout_k"}
    for r in rows:
        jsonschema.validate(json.loads(r["messages"][-1]["content"]), SCHEMA)
        assert _norm(r["messages"][1]["content"].split("지금: ")[-1]) not in fresh
    # a conversation's later turn shows the shopper's earlier message, as at inference
    assert any(r["messages"][1]["content"].startswith("이전: ") for r in rows)
    # the skipped sets' texts are not in the exclusion, the others' are
    k_text = json.loads((BLIND_DIR / "holdout_k" / "nlu_blind_k.jsonl").read_text(encoding="utf-8").splitlines()[0])
    k_norm = _norm(k_text.get("text") or k_text["turns"][0]["text"])
    assert k_norm in blind_texts() and k_norm not in fresh
