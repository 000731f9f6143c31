"""A real OpenAI-compatible server: `python -m llama_cpp.server` on the SmolLM2 GGUF, on a free
local port, driven through the app's own client (`JANGBOGI_LLM_ENDPOINT` -> `make_generator` ->
`OpenAICompatGenerator`): a streamed answer, stop, timeout, structured output, and a server
killed in the middle of a stream. vLLM serves the same API at GPU scale.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from assistant.generators import GenerationError, make_generator
from assistant.generators.openai_compat import OpenAICompatGenerator
from assistant.settings import Settings

pytestmark = [
    pytest.mark.slow, pytest.mark.model,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                       or importlib.util.find_spec("sse_starlette") is None
                       or importlib.util.find_spec("starlette_context") is None,
                       reason="llama_cpp with its [server] extra not installed (scripts/setup.sh)"),
]

PROMPT = [{"role": "user", "content": "Name three fruits."}]
LONG = [{"role": "user", "content": "Write a very long story about a cat who travels the world."}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(gguf, port: int, log_dir) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "1024", "--n_threads", "2", "--model_alias", "smollm2"]
    log = open(log_dir / f"llama_server_{port}.log", "w")   # a file, not a pipe: its logs never block it
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {(log_dir / f'llama_server_{port}.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not answer within 120 s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def gguf(cache_dir):
    from assistant.generators.gguf_files import model_gguf

    try:
        return model_gguf("smollm2", cache_dir)
    except GenerationError as exc:
        pytest.skip(f"SmolLM2 GGUF unavailable: {exc}")


@pytest.fixture(scope="module")
def server(gguf, tmp_path_factory):
    port = _free_port()
    proc = _start(gguf, port, tmp_path_factory.mktemp("server"))
    yield f"http://127.0.0.1:{port}/v1"
    _stop(proc)


def _client(endpoint: str, **env) -> OpenAICompatGenerator:
    environ = {"JANGBOGI_LLM_ENDPOINT": endpoint, "JANGBOGI_LLM_ENDPOINT_MODEL": "smollm2", **env}
    gen = make_generator(Settings.from_env(environ))
    assert isinstance(gen, OpenAICompatGenerator)
    return gen


def test_streamed_answer_through_the_app_client(server):
    gen = _client(server)
    deltas = list(gen.stream(PROMPT, max_new_tokens=24))
    assert len(deltas) >= 3 and "".join(deltas).strip()


def test_stop_ends_the_stream(server):
    gen = _client(server)
    stop, got = threading.Event(), []
    for delta in gen.stream(LONG, max_new_tokens=200, stop=stop):
        got.append(delta)
        stop.set()
    assert len(got) == 1
    assert "".join(gen.stream(PROMPT, max_new_tokens=8)).strip()   # the server serves the next request


def test_timeout_becomes_a_generation_error(server):
    gen = _client(server, JANGBOGI_GENERATION_TIMEOUT="0.5")
    t0 = time.monotonic()
    with pytest.raises(GenerationError) as err:
        list(gen.stream(LONG, max_new_tokens=1000))
    assert time.monotonic() - t0 < 30 and "오래" in err.value.user_message


def test_structured_output_on_the_server(server):
    gen = _client(server)
    schema = {"type": "object", "properties": {"fruit": {"type": "string", "enum": ["apple", "pear", "plum"]},
                                               "count": {"type": "integer"}},
              "required": ["fruit", "count"]}
    out = gen.generate_json([{"role": "user", "content": "Pick a fruit and a count as JSON."}], schema,
                            max_new_tokens=48)
    assert out["fruit"] in ("apple", "pear", "plum") and isinstance(out["count"], int)
    assert gen._json_form == "json_object"     # llama-cpp-python's own response_format form


def test_server_killed_mid_stream(gguf, tmp_path):
    port = _free_port()
    proc = _start(gguf, port, tmp_path)
    gen = _client(f"http://127.0.0.1:{port}/v1")
    got = []
    try:
        with pytest.raises(GenerationError):
            for delta in gen.stream(LONG, max_new_tokens=400):
                got.append(delta)
                if len(got) == 2:
                    os.killpg(proc.pid, signal.SIGKILL)
    finally:
        _stop(proc)
    assert len(got) >= 2
    with pytest.raises(GenerationError):       # and a dead endpoint is an error, not a hang
        list(gen.stream(PROMPT, max_new_tokens=8))
