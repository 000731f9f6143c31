"""Generators: template, OpenAI-compatible SSE client against a local fake server, factory, local plan."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.generators import GenerationError, TemplateGenerator, make_generator
from assistant.generators.local import TransformersGenerator, load_plan
from assistant.generators.openai_compat import OpenAICompatGenerator
from assistant.settings import Settings


class _Handler(BaseHTTPRequestHandler):
    chunks = ["비건 ", "현미 누룽지칩을 ", "추천해요 [P0001]."]
    seen: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"boom")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if body["model"] == "truncated":     # a server that dies after one delta: no [DONE]
            event = {"choices": [{"delta": {"content": self.chunks[0]}}]}
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
            self.close_connection = True
            return
        for text in self.chunks:
            event = {"choices": [{"delta": {"content": text}}]}
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b": keep-alive comment\n\ndata: [DONE]\n\n")


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_openai_compat_streams_deltas(server):
    gen = OpenAICompatGenerator(server, model="qwen-7b", api_key="k", timeout_s=10)
    out = list(gen.stream([{"role": "user", "content": "안녕"}], max_new_tokens=32))
    assert out == _Handler.chunks
    req = _Handler.seen[0]
    assert req["path"] == "/v1/chat/completions" and req["body"]["stream"] is True
    assert req["body"]["max_tokens"] == 32 and req["auth"] == "Bearer k"


def test_openai_compat_stop_event(server):
    stop = threading.Event()
    gen = OpenAICompatGenerator(server, model="m", timeout_s=10)
    got = []
    for delta in gen.stream([{"role": "user", "content": "x"}], stop=stop):
        got.append(delta)
        stop.set()
    assert got == _Handler.chunks[:1]


def test_openai_compat_errors_become_generation_error(server):
    with pytest.raises(GenerationError) as err:
        list(OpenAICompatGenerator(server, model="broken").stream([{"role": "user", "content": "x"}]))
    assert "500" in str(err.value) and err.value.user_message
    with pytest.raises(GenerationError):
        list(OpenAICompatGenerator("http://127.0.0.1:9/v1", timeout_s=2).stream([{"role": "user", "content": "x"}]))


def test_openai_compat_stream_cut_before_done_is_an_error(server):
    got = []
    with pytest.raises(GenerationError):
        for delta in OpenAICompatGenerator(server, model="truncated", timeout_s=10).stream([{"role": "user",
                                                                                          "content": "x"}]):
            got.append(delta)
    assert got == _Handler.chunks[:1]


def test_factory_picks_backend_without_loading():
    assert isinstance(make_generator(Settings(no_llm=True)), TemplateGenerator)
    assert isinstance(make_generator(Settings(llm_endpoint="http://gpu:8000/v1")), OpenAICompatGenerator)
    local = make_generator(Settings(chat_model="qwen0.5b", adapter="none", backend="transformers"))
    assert isinstance(local, TransformersGenerator) and not local.loaded


@pytest.mark.parametrize("quant,device,cuda,expected", [
    ("auto", "auto", False, ("cpu", False)), ("auto", "auto", True, ("cuda", True)),
    ("nf4", "cpu", False, ("cpu", True)), ("none", "auto", True, ("cuda", False)),
])
def test_load_plan(quant, device, cuda, expected):
    plan = load_plan(quant, device, cuda)
    assert (plan.device, plan.nf4) == expected and plan.dtype == "bfloat16"


def test_missing_local_model_is_a_generation_error(tmp_path):
    gen = TransformersGenerator(str(tmp_path / "no-such-model"), cache_dir=tmp_path, timeout_s=5)
    with pytest.raises(GenerationError) as err:
        list(gen.stream([{"role": "user", "content": "안녕"}]))
    assert "모델" in err.value.user_message


@pytest.mark.model
def test_smollm2_streams_and_stops():

    folder = Settings.from_env().cache_dir / "models" / "smollm2"
    if not (folder / "config.json").exists():
        pytest.skip(f"smollm2 not prepared at {folder} (python -m assistant.models prepare --only smollm2)")
    gen = TransformersGenerator("smollm2", cache_dir=Settings.from_env().cache_dir, timeout_s=60)
    text = "".join(gen.stream([{"role": "user", "content": "Say hello."}], max_new_tokens=12))
    assert text.strip()
    stop, got = threading.Event(), []
    for delta in gen.stream([{"role": "user", "content": "Count to fifty."}], max_new_tokens=64, stop=stop):
        got.append(delta)
        stop.set()
    assert 1 <= len(got) <= 3
