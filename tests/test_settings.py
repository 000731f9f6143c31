import argparse
import dataclasses
from pathlib import Path

import pytest

from assistant.settings import DEFAULT_ADAPTER, Settings, add_cli_args


def test_defaults_are_embedded_models():
    s = Settings.from_env({})
    assert s.chat_model == "qwen0.5b"
    assert s.embedding_model == "e5-small"
    assert s.quantization == "auto"
    assert s.port == 7860


def test_env_is_read_and_coerced():
    s = Settings.from_env({"JANGBOGI_PORT": "8080", "JANGBOGI_NO_LLM": "1",
                           "JANGBOGI_FUSION_ALPHA": "0.3", "JANGBOGI_DB": "/tmp/x.db"})
    assert s.port == 8080 and s.no_llm is True
    assert s.fusion_alpha == pytest.approx(0.3)
    assert s.db_path == Path("/tmp/x.db")


def test_cli_overrides_env():
    parser = argparse.ArgumentParser()
    add_cli_args(parser)
    args = parser.parse_args(["--port", "9000", "--ui-mode", "kiosk", "--no-llm"])
    s = Settings.from_args(args, environ={"JANGBOGI_PORT": "8080"})
    assert s.port == 9000 and s.ui_mode == "kiosk" and s.no_llm is True


@pytest.mark.parametrize("env", [
    {"JANGBOGI_QUANTIZATION": "int3"},
    {"JANGBOGI_BACKEND": "vllm"},
    {"JANGBOGI_BACKEND": "openai"},          # openai needs an endpoint
    {"JANGBOGI_THREADS": "-1"},
    {"JANGBOGI_MODE": "tv"},
    {"JANGBOGI_FUSION_ALPHA": "1.5"},
    {"JANGBOGI_PORT": "0"},
])
def test_invalid_values_are_rejected(env):
    with pytest.raises(ValueError):
        Settings.from_env(env)


def test_settings_are_frozen():
    s = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = 1  # type: ignore[misc]


def test_adapter_resolution():
    assert Settings.from_env({"JANGBOGI_ADAPTER": "none"}).adapter_path is None
    assert Settings.from_env({"JANGBOGI_ADAPTER": "/x/y"}).adapter_path == Path("/x/y")
    other_model = Settings.from_env({"JANGBOGI_CHAT_MODEL": "Qwen/Qwen2.5-7B-Instruct"})
    assert other_model.adapter_path is None  # the shipped adapter only fits the embedded model
    default = Settings.from_env({})
    expected = DEFAULT_ADAPTER if (DEFAULT_ADAPTER / "adapter_config.json").exists() else None
    assert default.adapter_path == expected
