"""Spaces mode helpers: README header, spaces.GPU fallback, model preparation fallback."""

import re

import app
from assistant.settings import Settings
from ui.layout import gpu_decorator


def test_readme_has_a_valid_spaces_header(repo_root):
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    header = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert header, "README must open with a YAML front matter block"
    fields = dict(line.split(":", 1) for line in header.group(1).splitlines() if ":" in line)
    assert fields["sdk"].strip() == "gradio"
    assert fields["app_file"].strip() == "app.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["sdk_version"].strip())


def test_gpu_decorator_is_a_no_op_without_spaces_package():
    def handler(x):
        return x + 1

    wrapped = gpu_decorator(handler)
    assert wrapped(1) == 2
    import importlib.util

    if importlib.util.find_spec("spaces") is None:
        assert wrapped is handler


def test_spaces_preparation_failure_falls_back_to_template_answers(monkeypatch, tmp_path):
    import assistant.models as models

    def boom(names, cache_dir, progress=True):
        raise OSError("disk full")

    monkeypatch.setattr(models, "ensure_prepared", boom)
    settings = Settings.from_env({"JANGBOGI_CACHE": str(tmp_path)})
    out = app.prepare_for_spaces(settings)
    assert out.no_llm is True and settings.no_llm is False


def test_spaces_preparation_asks_for_the_configured_models(monkeypatch, tmp_path):
    import assistant.models as models

    seen = []
    monkeypatch.setattr(models, "ensure_prepared", lambda names, cache_dir, progress=True: seen.append(list(names)))
    out = app.prepare_for_spaces(Settings.from_env({"JANGBOGI_CACHE": str(tmp_path)}))
    assert seen == [["e5-small", "qwen0.5b"]] and out.no_llm is False
    app.prepare_for_spaces(Settings.from_env({"JANGBOGI_CACHE": str(tmp_path), "JANGBOGI_NO_LLM": "1"}))
    assert seen[-1] == ["e5-small"]
