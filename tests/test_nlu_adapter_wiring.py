"""The understanding call's own adapter (JANGBOGI_NLU_ADAPTER): settings, the generator
factory, the service wiring, the short prompt it was trained on and the grammar of its JSON.
No model is loaded (generators are built, never called, or are fakes)."""

import json

import pytest

from assistant import settings as settings_mod
from assistant.generators import TemplateGenerator, make_nlu_generator
from assistant.nlu.model import SCHEMA, model_understanding
from assistant.settings import Settings
from assistant.types import DialogueState


def _adapter(folder):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    return folder


# ---------------------------------------------------------------- settings
def test_nlu_adapter_setting_resolves_default_none_and_a_folder(tmp_path, monkeypatch):
    shipped = _adapter(tmp_path / "shipped")
    monkeypatch.setattr(settings_mod, "DEFAULT_NLU_ADAPTER", shipped)
    assert Settings.from_env({}).nlu_adapter_path == shipped
    assert Settings.from_env({"JANGBOGI_NLU_ADAPTER": "none"}).nlu_adapter_path is None
    assert Settings.from_env({"JANGBOGI_NLU_ADAPTER": str(tmp_path / "mine")}).nlu_adapter_path == tmp_path / "mine"
    # the shipped adapter belongs to the embedded model only
    assert Settings.from_env({"JANGBOGI_CHAT_MODEL": "smollm2"}).nlu_adapter_path is None


def test_default_is_none_while_no_adapter_is_shipped(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_mod, "DEFAULT_NLU_ADAPTER", tmp_path / "absent")
    assert Settings.from_env({}).nlu_adapter_path is None


# ---------------------------------------------------------------- the generator factory
def test_without_an_nlu_adapter_the_chat_generator_reads_the_messages(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_mod, "DEFAULT_NLU_ADAPTER", tmp_path / "absent")
    chat = object()
    assert make_nlu_generator(Settings.from_env({}), chat) is chat
    assert make_nlu_generator(Settings.from_env({}), None) is None
    template = TemplateGenerator()
    no_llm = Settings.from_env({"JANGBOGI_NO_LLM": "1", "JANGBOGI_NLU_ADAPTER": str(_adapter(tmp_path / "a"))})
    assert make_nlu_generator(no_llm, template) is template


def test_llamacpp_nlu_generator_is_its_own_merged_instance_marked_tuned(tmp_path):
    from assistant.generators.llamacpp import LlamaCppGenerator
    from assistant.nlu.model import TUNED_SYSTEM

    adapter = _adapter(tmp_path / "nlu")
    s = Settings.from_env({"JANGBOGI_BACKEND": "llamacpp", "JANGBOGI_NLU_ADAPTER": str(adapter)})
    chat = object()
    gen = make_nlu_generator(s, chat)
    assert isinstance(gen, LlamaCppGenerator) and gen is not chat
    assert gen.nlu_tuned is True and gen.adapter_path == adapter
    assert gen.quant == s.llama_merged_quant == "iq4_nl_all"     # merged + re-quantized, as the chat adapter
    assert gen.warm_system_prompt == TUNED_SYSTEM and not gen.loaded   # nothing loaded yet


def test_an_endpoint_backend_keeps_one_generator(tmp_path):
    s = Settings.from_env({"JANGBOGI_LLM_ENDPOINT": "http://gpu:8000/v1",
                           "JANGBOGI_NLU_ADAPTER": str(_adapter(tmp_path / "nlu"))})
    chat = object()
    assert make_nlu_generator(s, chat) is chat


# ---------------------------------------------------------------- the call and the service
class TunedFake:
    """A fake NLU instance: records the prompt and answers a fixed object."""

    name = "tuned-fake"
    nlu_tuned = True

    def __init__(self, answer):
        self.answer, self.prompts = answer, []

    def generate_json(self, messages, schema, max_new_tokens):
        assert schema is SCHEMA
        self.prompts.append(messages)
        return self.answer

    def stream(self, messages, max_new_tokens=160, stop=None):
        raise AssertionError("the NLU instance never phrases answers")


def test_a_tuned_generator_gets_the_short_prompt():
    from assistant.nlu.model import TUNED_SYSTEM

    llm = TunedFake({"intent": "search", "item": "과자", "allergens": ["견과류"]})
    st = DialogueState(history=[{"role": "user", "content": "간식 찾아요"},
                                {"role": "assistant", "content": "어떤 간식이요?"}])
    und, trace = model_understanding("견과류 빼고 과자", st, llm)
    messages = llm.prompts[0]
    assert messages[0] == {"role": "system", "content": TUNED_SYSTEM}
    assert len(messages) == 2 and messages[1]["content"].endswith("견과류 빼고 과자")
    assert "간식 찾아요" in messages[1]["content"]          # the last turn travels along
    assert len(json.dumps(messages, ensure_ascii=False)) < 300   # no long instructions, no examples
    assert und.slots.allergens == ("땅콩", "호두", "잣") and trace["constrained"] is True


def test_the_service_sends_understanding_to_the_nlu_generator_and_phrasing_to_the_chat_one():
    from assistant.service import Assistant
    from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies

    class ChatOnly:
        name = "chat-only"

        def generate_json(self, *a, **k):
            raise AssertionError("the chat model must not read messages when an NLU instance exists")

        def stream(self, messages, max_new_tokens=160, stop=None):
            yield "네"

    text = "땅콩 들어가면 큰일나요 과자 추천해줘"
    nlu = TunedFake({"intent": "search", "item": "과자", "allergens": ["땅콩"]})
    cat, pol = tiny_catalog(), tiny_policies()
    ans = Assistant(cat, pol, KeywordRetriever(cat, pol), generator=ChatOnly(),
                    nlu_generator=nlu).answer(text, DialogueState())
    assert nlu.prompts, "the NLU instance was not asked"
    assert ans["understanding"]["sources"]["allergens"] in ("both", "model")
    assert not any("땅콩" in p.get("allergens", ()) for p in ans["products"])


# ---------------------------------------------------------------- grammar: output always parses
def test_llamacpp_builds_a_grammar_from_the_schema():
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(SCHEMA), verbose=False)
    assert grammar is not None


@pytest.mark.parametrize("target", [
    {"intent": "search", "item": "과자", "keywords": ["과자"], "allergens": ["견과류"], "budget_max": 10000},
    {"intent": "cart_add", "reference": "it", "quantity": 2},
    {"intent": "policy", "policy_topic": "교환반품"},
])
def test_compact_targets_follow_the_schema_and_its_key_order(target):
    """llama.cpp's schema grammar writes optional keys in the schema's order, so a target in
    another order could not be produced under the grammar; every target must validate too."""
    jsonschema = pytest.importorskip("jsonschema")
    from assistant.nlu.model import compact_json, ordered_target

    shuffled = dict(reversed(list(target.items())))
    ordered = ordered_target(shuffled)
    jsonschema.validate(ordered, SCHEMA)
    order = list(SCHEMA["properties"])
    keys = [order.index(k) for k in ordered]
    assert keys == sorted(keys)
    text = compact_json(ordered)
    assert " " not in text and json.loads(text) == target
