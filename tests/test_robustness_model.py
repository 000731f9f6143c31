"""A missing chat model degrades to the template answer with a Korean notice (the design in
`assistant/generators` and `Assistant._respond`), never an error or a traceback."""

from __future__ import annotations

import json

import pytest
from test_robustness_support import is_korean, run_cli, shared_root, shared_services, tiny_env

from assistant.cli import main


@pytest.fixture(scope="module")
def no_model_services(tmp_path_factory):
    from test_robustness_support import tiny_settings

    from assistant.factory import Services
    from assistant.generators import make_generator
    from assistant.service import Assistant

    base = shared_services(tmp_path_factory)
    empty = tmp_path_factory.mktemp("empty-cache")
    # the transformers path (the CUDA default) with no prepared model folder; the llama.cpp
    # backend reads the GGUF from the installed wheels, so it is not "missing" here
    settings = tiny_settings(shared_root(tmp_path_factory), no_llm=False, chat_model="qwen0.5b", cache_dir=empty,
                             backend="transformers")
    gen = make_generator(settings)
    assert gen.name.startswith("transformers:qwen0.5b") and not gen.loaded
    a = Assistant(base.catalog, base.policies, base.retriever, generator=gen, lexicon=base.assistant.lexicon)
    return Services(settings, a, base.catalog, base.policies, base.retriever)


def test_missing_chat_model_falls_back_to_the_template_with_a_notice(no_model_services, tmp_path, capsys):
    rc = main(["ask", "사과 추천해줘", "--json", "--db-path", str(tmp_path / "j.db")], services=no_model_services)
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert rc == 0 and "Traceback" not in captured.err
    assert answer["validation"] == "fallback" and is_korean(answer["notice"])
    assert "언어 모델" in answer["notice"]
    assert answer["products"] and "원" in answer["reply"] and answer["sources"]
    assert not no_model_services.assistant.generator.loaded


def test_missing_gguf_on_llamacpp_falls_back_to_the_template(no_model_services, tmp_path):
    from assistant.generators.llamacpp import LlamaCppGenerator
    from assistant.service import Assistant
    from assistant.types import DialogueState

    base = no_model_services
    gen = LlamaCppGenerator(str(tmp_path / "missing.gguf"), cache_dir=tmp_path)
    a = Assistant(base.catalog, base.policies, base.retriever, generator=gen, lexicon=base.assistant.lexicon)
    answer = a.answer("사과 추천해줘", DialogueState(), None)
    assert answer["validation"] == "fallback" and is_korean(answer["notice"]) and "GGUF" in answer["notice"]
    assert answer["products"] and "원" in answer["reply"] and not gen.loaded


def test_missing_model_streams_status_then_the_template(no_model_services):
    from assistant.types import DialogueState

    events = list(no_model_services.assistant.respond("배송 지역 알려줘", DialogueState()))
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done" and "token" in kinds
    statuses = [e["text"] for e in events if e["type"] == "status"]
    assert any("언어 모델" in s for s in statuses) and all(is_korean(s) for s in statuses)
    final = events[-1]["answer"]
    assert "error" not in final and final["sources"] and final["validation"] == "fallback"
    streamed = "".join(e["text"] for e in events if e["type"] == "token")
    assert streamed.strip() == final["reply"].strip()


@pytest.mark.slow
def test_missing_chat_model_subprocess(tmp_path_factory):
    root = shared_root(tmp_path_factory)
    env = tiny_env(root, JANGBOGI_CHAT_MODEL="qwen0.5b", JANGBOGI_BACKEND="transformers",
                   JANGBOGI_CACHE=str(tmp_path_factory.mktemp("no-models")))
    proc = run_cli(["ask", "사과 추천해줘", "--json"], env, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0
    answer = json.loads(proc.stdout)
    assert answer["validation"] == "fallback" and is_korean(answer["notice"]) and answer["products"]


def test_failed_model_load_is_not_retried_every_turn(tmp_path, monkeypatch):
    """After a failed load the generator answers from memory instead of retrying for seconds."""
    from assistant.generators.local import GenerationError, TransformersGenerator

    gen = TransformersGenerator("qwen0.5b", cache_dir=tmp_path)
    calls = []

    def failing_load():
        calls.append(1)
        raise FileNotFoundError("no model folder")

    monkeypatch.setattr(gen, "_load_model", failing_load)
    for _ in range(3):
        try:
            gen.load()
        except GenerationError as exc:
            assert "언어 모델" in exc.user_message
        else:
            raise AssertionError("load() must raise GenerationError")
    assert calls == [1]
    gen._failed = (gen._failed[0] - gen.RETRY_AFTER_S - 1, gen._failed[1])  # time has passed
    try:
        gen.load()
    except GenerationError:
        pass
    assert calls == [1, 1]
