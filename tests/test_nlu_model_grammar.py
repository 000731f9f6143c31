"""The understanding call through llama.cpp's grammar: SCHEMA compiles to GBNF, and a real
GGUF (the SmolLM2 smoke model) decodes an object that parses and stays inside the schema,
with the NLU adapter's short prompt (`nlu_tuned`)."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from assistant.nlu.model import (
    SCHEMA,
    TUNED_SYSTEM,
    build_messages,
    compact_json,
    model_understanding,
    ordered_target,
    read_model,
)
from assistant.types import DialogueState

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama_cpp not installed (scripts/setup.sh builds it)")


@needs_llama
def test_schema_compiles_to_a_llamacpp_grammar():
    from llama_cpp import LlamaGrammar

    from assistant.generators.llamacpp import schema_gbnf

    grammar = LlamaGrammar.from_string(schema_gbnf(SCHEMA), verbose=False)   # what generate_json builds
    assert grammar is not None


@needs_llama
def test_the_grammar_takes_properties_in_the_order_the_adapter_writes_them():
    """The adapter learned targets in SCHEMA order (`ordered_target`); the grammar must allow
    exactly that order. Built from a key-sorted schema, it put "allergens" before "item", and
    a model that wrote intent, item, ... could then no longer write its allergens."""
    from assistant.generators.llamacpp import schema_gbnf

    root = next(line for line in schema_gbnf(SCHEMA).splitlines() if line.startswith("root ::="))
    written = list(dict.fromkeys(re.findall(r"([a-z-]+)-kv", root)))
    assert written == [k.replace("_", "-") for k in SCHEMA["properties"]]
    target = ordered_target({"allergens": ["땅콩"], "budget_max": 10000, "item": "과자", "intent": "search"})
    assert list(target) == ["intent", "item", "allergens", "budget_max"]
    assert [k.replace("_", "-") for k in target] == [k for k in written if k.replace("-", "_") in target]


def test_compact_target_reads_back_to_the_same_understanding():
    obj = {"intent": "search", "item": "초콜릿", "allergens": ["견과류"], "budget_max": 10000}
    text = "견과류는 다 안 돼요 초콜릿 만원 이하"
    assert compact_json(obj) == '{"intent":"search","item":"초콜릿","allergens":["견과류"],"budget_max":10000}'
    u = read_model(json.loads(compact_json(obj)), text)
    assert u.slots.keywords == ("초콜릿",) and set(u.slots.allergens) == {"땅콩", "호두", "잣"}
    assert u.slots.budget_max == 10000


def test_tuned_prompt_starts_with_the_same_fixed_prefix_every_call():
    a = build_messages("우유 주세요", [], "tuned")
    b = build_messages("견과류 빼고 과자", [{"role": "user", "content": "안녕"}], "tuned")
    assert a[0] == b[0] == {"role": "system", "content": TUNED_SYSTEM}


@needs_llama
@pytest.mark.slow
@pytest.mark.model
def test_smollm2_gguf_answers_inside_the_schema_through_the_grammar(cache_dir):
    import jsonschema

    from assistant.generators import GenerationError
    from assistant.generators.gguf_files import model_gguf
    from assistant.generators.llamacpp import LlamaCppGenerator

    try:
        model_gguf("smollm2", cache_dir)
    except GenerationError as exc:
        pytest.skip(f"SmolLM2 GGUF unavailable: {exc}")
    gen = LlamaCppGenerator("smollm2", cache_dir=cache_dir, n_ctx=1024, timeout_s=120, lookup_tokens=0)
    gen.nlu_tuned = True
    try:
        state = DialogueState(history=[{"role": "user", "content": "과자 추천해줘"},
                                       {"role": "assistant", "content": "이런 과자가 있어요"}])
        for text in ("견과류는 다 안 돼요 초콜릿 있어요?", "반품은 며칠 안에 돼요?"):
            und, trace = model_understanding(text, state, gen)
            assert trace["constrained"] is True and trace["error"] is None, trace
            jsonschema.validate(trace["raw"], SCHEMA)
            assert und is not None and und.intent == trace["raw"]["intent"]
    finally:
        gen.close()
