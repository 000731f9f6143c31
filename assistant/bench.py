"""Per-turn latency of the assistant: understanding, retrieval, time to first token, total,
and generation speed (tokens/s) with the configured chat model.

    python -m assistant.bench                      # default model (qwen0.5b + adapter if shipped)
    python -m assistant.bench --no-llm --repeat 3  # template only: the code path's own cost
    python -m assistant.bench --json --out var/bench_assistant.json

The model is loaded (and timed) before the first measured turn; every request runs in a
fresh session. Numbers are medians and p95 over all turns that used the model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.settings import Settings, add_cli_args

REQUESTS = [
    "비건 간식 만원 이하로 추천해줘",
    "땅콩 알레르기 있는데 5천원 이하 과자 있어요?",
    "우유 못 먹어요. 락토프리 음료 2만원대로 보여줘",
    "저당 요거트 중에 제일 싼 거",
    "반품은 며칠 안에 해야 돼요?",
    "배송비 무료 기준이 얼마예요?",
    "캠핑 갈 때 먹을 간편조리 식품 3개 추천",
    "반려견 간식 무첨가로 찾아줘",
]


class MeteredGenerator:
    """Wraps a generator to time the first delta and count generated tokens."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "generator")
        self.is_template = getattr(inner, "is_template", False)
        self.runs: list[dict] = []

    @property
    def loaded(self) -> bool:
        return getattr(self.inner, "loaded", True)

    def stream(self, messages, max_new_tokens=160, stop=None):
        t0, first, text = time.perf_counter(), None, ""
        for delta in self.inner.stream(messages, max_new_tokens, stop):
            if first is None:
                first = time.perf_counter()
            text += delta
            yield delta
        end = time.perf_counter()
        tok = getattr(self.inner, "_tokenizer", None)
        n = len(tok(text, add_special_tokens=False)["input_ids"]) if tok is not None else len(text.split())
        decode_s = end - (first or end)
        self.runs.append({"tokens": n, "gen_s": end - t0, "ttft_s": (first or end) - t0,
                          "tok_per_s": (n - 1) / decode_s if decode_s > 0 and n > 1 else None})


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=1, help="passes over the request list")
    p.add_argument("--limit", type=int, default=len(REQUESTS), help="use the first N requests")
    p.add_argument("--json", action="store_true", help="print one JSON summary")
    p.add_argument("--out", type=Path, help="also write the JSON summary here (atomically)")
    add_cli_args(p, only=("chat_model", "adapter", "quantization", "device", "no_llm", "max_new_tokens",
                          "generation_timeout_s", "embedding_model",
                          "llm_endpoint", "llm_endpoint_model", "data_dir", "index_dir", "db_path", "cache_dir"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    settings = Settings.from_args(args)
    from tqdm import tqdm

    from assistant.factory import build_services, tqdm_progress
    from assistant.generators import make_generator
    from assistant.types import DialogueState

    gen = MeteredGenerator(make_generator(settings))
    t0 = time.perf_counter()
    services = build_services(settings, progress=tqdm_progress(), generator=gen)
    setup_s = time.perf_counter() - t0
    load_s = None
    if hasattr(gen.inner, "load"):
        t0 = time.perf_counter()
        gen.inner.load()
        load_s = time.perf_counter() - t0
    turns = []
    requests = REQUESTS[: args.limit] * args.repeat
    for message in tqdm(requests, desc="turns", file=sys.stderr):
        before = len(gen.runs)
        ans = services.assistant.answer(message, DialogueState(), None)
        run = gen.runs[-1] if len(gen.runs) > before else None
        turns.append({"message": message, "intent": ans["intent"], **ans["timings"],
                      "validation": ans.get("validation"), "products": len(ans["products"]),
                      "tokens": run and run["tokens"], "tok_per_s": run and run["tok_per_s"],
                      "llm_text": ans.get("llm_text"), "violations": ans.get("violations")})
    summary = {"generator": gen.name, "setup_s": round(setup_s, 2), "model_load_s": load_s and round(load_s, 2),
               "turns": len(turns), "machine": f"{os.cpu_count()} CPU cores"}
    for key in ("understanding_ms", "retrieval_ms", "first_token_ms", "total_ms"):
        vals = [t[key] for t in turns]
        summary[key] = {"median": round(statistics.median(vals), 1), "p95": round(pct(vals, 0.95), 1)}
    speeds = [t["tok_per_s"] for t in turns if t["tok_per_s"]]
    summary["tokens_per_s"] = round(statistics.median(speeds), 2) if speeds else None
    summary["validation"] = {k: sum(t["validation"] == k for t in turns) for k in ("ok", "repaired", "fallback",
                                                                                  "template")}
    summary["per_turn"] = turns
    text = json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
