"""OpenAI-compatible chat endpoint with SSE streaming (vLLM, TGI, llama.cpp server).

POST `{base_url}/chat/completions` with `stream: true`; the server answers `data: {json}`
lines whose `choices[0].delta.content` are the text deltas, ending with `data: [DONE]`.

`generate_json` asks for `response_format: {"type": "json_schema", ...}` (OpenAI, vLLM); a
server that rejects it (llama-cpp-python's server answers HTTP 500 naming `response_format`)
is asked again with its own
form `{"type": "json_object", "schema": ...}`, and that choice is remembered.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Iterator

from assistant.generators import GenerationError


class OpenAICompatGenerator:
    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout_s: float = 90.0,
                 temperature: float = 0.3) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.name = f"openai:{model or base_url}"
        self._json_form: str | None = None   # "json_schema" | "json_object" once known

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 256,
                      stop: threading.Event | None = None) -> dict:
        """One JSON object conforming to `schema`, decoded by the server under that schema."""
        import httpx

        from assistant.generators.llamacpp import parse_json_object

        forms = [self._json_form] if self._json_form else ["json_schema", "json_object"]
        last = None
        for form in forms:
            fmt = ({"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True}}
                   if form == "json_schema" else {"type": "json_object", "schema": schema})
            body = {"model": self.model, "messages": [{"role": m["role"], "content": m["content"]} for m in messages], "max_tokens": max_new_tokens,
                    "temperature": 0.0, "stream": False, "response_format": fmt}
            try:
                resp = httpx.post(f"{self.base_url}/chat/completions", json=body, headers=self._headers(),
                                  timeout=httpx.Timeout(self.timeout_s, connect=10.0))
            except httpx.HTTPError as exc:
                raise GenerationError(f"endpoint {self.base_url} failed: {exc}") from exc
            rejected = resp.status_code in (400, 422) or (resp.status_code >= 500 and "response_format" in resp.text)
            if rejected and form == "json_schema" and len(forms) > 1:
                last = resp
                continue
            if resp.status_code != 200:
                raise GenerationError(f"endpoint answered HTTP {resp.status_code}: {resp.text[:200]}")
            self._json_form = form
            try:
                text = resp.json()["choices"][0]["message"]["content"] or ""
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise GenerationError(f"endpoint sent no message: {resp.text[:200]}") from exc
            value = parse_json_object(text)
            missing = [k for k in schema.get("required", []) if k not in value]
            if missing:
                raise GenerationError(f"endpoint ignored the schema: missing {missing} in {text[:200]!r}")
            return value
        raise GenerationError(f"endpoint rejected structured output: HTTP {last.status_code}: {last.text[:200]}")

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        import httpx

        headers = {**self._headers(), "Accept": "text/event-stream"}
        body = {"model": self.model, "messages": [{"role": m["role"], "content": m["content"]} for m in messages], "max_tokens": max_new_tokens,
                "temperature": self.temperature, "stream": True}
        deadline = time.monotonic() + self.timeout_s
        try:
            with httpx.stream("POST", f"{self.base_url}/chat/completions", json=body, headers=headers,
                              timeout=httpx.Timeout(self.timeout_s, connect=10.0)) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise GenerationError(f"endpoint answered HTTP {resp.status_code}: {resp.text[:200]}")
                finished = False
                for line in resp.iter_lines():
                    if stop is not None and stop.is_set():
                        return
                    if time.monotonic() > deadline:
                        raise GenerationError(f"endpoint generation exceeded {self.timeout_s}s",
                                              "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요.")
                    finished = finished or _finish_reason(line)
                    delta = _parse_sse_line(line)
                    if delta is None:
                        continue
                    if delta is _DONE:
                        return
                    if delta:
                        yield delta
                if not finished:   # the server went away mid-answer (killed, connection closed)
                    raise GenerationError(f"endpoint {self.base_url} closed the stream before [DONE] or a finish_reason")
        except httpx.TimeoutException as exc:   # no byte within timeout_s (prefill or a stalled server)
            raise GenerationError(f"endpoint {self.base_url} timed out after {self.timeout_s}s: {exc!r}",
                                  "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요.") from exc
        except httpx.HTTPError as exc:
            raise GenerationError(f"endpoint {self.base_url} failed: {exc}") from exc


_DONE = object()


def _finish_reason(line: str) -> bool:
    """True for an SSE event whose first choice carries a finish_reason (the answer is whole).

    >>> _finish_reason('data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}')
    True
    >>> _finish_reason('data: {"choices": [{"delta": {"content": "네"}, "finish_reason": null}]}')
    False
    """
    line = line.strip()
    if not line.startswith("data:") or "finish_reason" not in line:
        return False
    try:
        choices = json.loads(line[5:].strip()).get("choices") or [{}]
    except (json.JSONDecodeError, AttributeError):
        return False
    return bool(choices[0].get("finish_reason"))


def _parse_sse_line(line: str):
    """`data: {...}` -> content delta ('' when none); `data: [DONE]` -> _DONE; other lines -> None."""
    line = line.strip()
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if payload == "[DONE]":
        return _DONE
    try:
        event = json.loads(payload)
    except json.JSONDecodeError:
        return None
    if "error" in event:
        raise GenerationError(f"endpoint error: {event['error']}")
    choices = event.get("choices") or [{}]
    delta = choices[0].get("delta") or {}
    return delta.get("content") or choices[0].get("text") or ""
