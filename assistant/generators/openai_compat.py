"""OpenAI-compatible chat endpoint with SSE streaming (vLLM, TGI, llama.cpp server).

POST `{base_url}/chat/completions` with `stream: true`; the server answers `data: {json}`
lines whose `choices[0].delta.content` are the text deltas, ending with `data: [DONE]`.
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

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        import httpx

        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"model": self.model, "messages": messages, "max_tokens": max_new_tokens,
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
                    raise GenerationError("endpoint stream ended before [DONE] or a finish_reason")
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
