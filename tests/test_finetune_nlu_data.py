"""Understanding (JSON) rows for fine-tuning: labels, prompt shape, disjoint from the blind sets."""

import json
import random
import re

import pytest

from assistant.nlu.model import SCHEMA, build_messages, read_model
from finetune.data import blind_texts, nlu_rows, nlu_target
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


def test_no_blind_message_is_a_training_message(rows):
    blind = blind_texts()
    assert len(blind) >= 300          # the frozen sets were read
    for r in rows:
        asked = r["messages"][-2]["content"].rsplit("\n", 1)[-1]
        assert _norm(asked) not in blind


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
        text = prompt[-1]["content"].rsplit("\n", 1)[-1]
        assert read_model(data, text) is not None
        assert prompt[0] == build_messages(text)[0]      # the same system prompt as at inference


def test_allergy_rows_carry_every_stated_allergen_and_wanted_rows_none(rows):
    allergy = [r for r in rows if re.search(r"빼고|못 먹어요|다 안 돼요|알레르기 있어요|먹으면 큰일", r["messages"][-2]["content"])
               and r["meta"]["spec_intent"] == "search"]
    assert allergy
    assert all(json.loads(r["messages"][-1]["content"]).get("allergens") for r in allergy)
    wanted = [r for r in rows if re.search(r"들어간 \S+ |맛 ", r["messages"][-2]["content"].rsplit("\n", 1)[-1])
              and "빼" not in r["messages"][-2]["content"] and "안" not in r["messages"][-2]["content"]]
    assert all(not json.loads(r["messages"][-1]["content"]).get("allergens") for r in wanted)


def test_target_expands_family_words_and_puts_the_item_first():
    from assistant.types import Slots, Understanding

    t = nlu_target(Understanding("search", Slots(keywords=("간식", "과자"), budget_max=10000)), "과자", ["견과류"])
    assert t == {"intent": "search", "item": "과자", "keywords": ["과자", "간식"], "allergens": ["땅콩", "호두", "잣"],
                 "budget_max": 10000}
