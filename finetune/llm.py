"""Optional OpenAI-compatible endpoint (vLLM, TGI, llama.cpp server) for two jobs:
persona-style rephrasing of template questions (`rephrase`) and an LLM judge (`judge`,
LogicKor-style 1-10 rubric). Used only when an endpoint URL is configured; never in tests.

Leaves out: streaming and retries (a failed call returns None and the caller keeps the
template question or skips the judge score).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    url: str                 # base URL ending in /v1
    model: str
    api_key: str = ""
    timeout_s: float = 60.0

    def chat(self, messages: list[dict], max_tokens: int = 200, temperature: float = 0.7) -> str | None:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            r = httpx.post(self.url.rstrip("/") + "/chat/completions", headers=headers, timeout=self.timeout_s,
                           json={"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                 "temperature": temperature})
            r.raise_for_status()
            return r.json()["choices"][0]["message"]["content"].strip()
        except (httpx.HTTPError, KeyError, IndexError, ValueError):
            return None


def rephrase(endpoint: Endpoint, question: str, persona_line: str, keep: tuple[str, ...]) -> str | None:
    """The question reworded in the persona's voice, or None if the endpoint fails or drops a name."""
    system = ("당신은 온라인 마트 고객입니다. 주어진 질문을 아래 인물의 말투로 한 문장으로 바꿔 쓰세요. "
              "상품명, 숫자, 조건은 그대로 두고 바꾼 질문만 출력하세요.\n인물: " + persona_line)
    out = endpoint.chat([{"role": "system", "content": system}, {"role": "user", "content": question}], 80)
    if not out or len(out) > 200 or any(k in question and k not in out for k in keep):
        return None
    return out.splitlines()[0].strip().strip('"')


JUDGE_RUBRIC = """다음은 쇼핑 도우미의 답변입니다. [자료]에 근거했는지, 질문에 답했는지, 자연스러운 한국어인지를
보고 1~10점으로 평가하세요. 자료에 없는 가격·상품·정책을 말하면 3점 이하입니다.
JSON 한 줄로만 답하세요: {"score": 정수, "reason": "한 문장"}"""


def judge(endpoint: Endpoint, context: str, question: str, answer: str) -> float | None:
    prompt = f"[자료]\n{context}\n\n[질문]\n{question}\n\n[답변]\n{answer}"
    out = endpoint.chat([{"role": "system", "content": JUDGE_RUBRIC}, {"role": "user", "content": prompt}],
                        120, temperature=0.0)
    if not out:
        return None
    m = re.search(r"\{.*\}", out, re.S)
    try:
        score = float(json.loads(m.group(0))["score"]) if m else None
    except (ValueError, KeyError, TypeError):
        return None
    return score if score is not None and 1 <= score <= 10 else None
