"""Per-turn latency of the assistant: understanding, retrieval, time to first token, total,
and generation speed (tokens/s) with the configured chat model.

    python -m assistant.bench                      # default model (qwen0.5b + adapter if shipped)
    python -m assistant.bench --no-llm --repeat 3  # template only: the code path's own cost
    python -m assistant.bench --json --out var/bench_assistant.json
    python -m assistant.bench --backends transformers,llamacpp --json   # backends side by side

The model is loaded (and timed) before the first measured turn; every request runs in a
fresh session. Numbers are medians and p95 over all turns that used the model.

`--backends a,b` runs the same requests once per backend, each in its own child process
(so `load_s` and `rss_mb` are the backend's own), one after the other, and prints one JSON
object: per backend `load_s`, `prompt_tokens` (mean; `prompt_tokens_by_intent`),
`cached_tokens` (mean, llama.cpp's re-used prefix), `ttft_ms` {p50, p95} (turn start to the
first generated text, as the shopper sees it), `decode_tok_s` (median), `turn_ms`
{p50, p95}, `rss_mb` (resident memory after the turns), plus the load average before and
after and `decode_ratio` (each backend's decode speed over the first one's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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

    def generate_json(self, *args, **kwargs):
        return self.inner.generate_json(*args, **kwargs)

    def stream(self, messages, max_new_tokens=160, stop=None):
        t0, first, text = time.perf_counter(), None, ""
        for delta in self.inner.stream(messages, max_new_tokens, stop):
            if first is None:
                first = time.perf_counter()
            text += delta
            yield delta
        end = time.perf_counter()
        counts = count_tokens(self.inner, messages, text)
        n = counts["generated"]
        decode_s = end - (first or end)
        tok_per_s = (n - 1) / decode_s if decode_s > 0 and n > 1 else None
        last = getattr(self.inner, "last", None) or {}
        if last.get("decode_steps") and last.get("total_s", 0) > last.get("prefill_s", 0):
            # prompt-lookup decoding: the first delta already carries a whole step's tokens, so
            # time every token from the end of the prefill instead
            tok_per_s = n / (last["total_s"] - last["prefill_s"])
        self.runs.append({"tokens": n, "prompt_tokens": counts["prompt"], "cached_tokens": counts["cached"],
                          "gen_s": end - t0, "ttft_s": (first or end) - t0, "tok_per_s": tok_per_s,
                          "decode_steps": last.get("decode_steps")})


def count_tokens(gen, messages, text: str) -> dict:
    """Prompt / cached / generated token counts with the generator's own tokenizer."""
    last = getattr(gen, "last", None)
    if last and "prompt_tokens" in last:      # llama.cpp: counted while generating
        return {"prompt": last["prompt_tokens"], "cached": last.get("cached_tokens", 0),
                "generated": last.get("generated_tokens", 0)}
    tok = getattr(gen, "_tokenizer", None)
    if tok is None:
        return {"prompt": None, "cached": None, "generated": len(text.split())}
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    return {"prompt": len(ids), "cached": 0, "generated": len(tok(text, add_special_tokens=False)["input_ids"])}


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


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
    p.add_argument("--backends", help="comma-separated backends to compare (each in a child process), "
                                      "e.g. transformers,llamacpp")
    add_cli_args(p, only=("chat_model", "adapter", "backend", "n_threads", "llama_decode_threads", "llama_quant",
                          "llama_lookup", "quantization", "device", "no_llm",
                          "max_new_tokens",
                          "generation_timeout_s", "embedding_model",
                          "llm_endpoint", "llm_endpoint_model", "data_dir", "index_dir", "db_path", "cache_dir"))
    return p


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def compare_backends(args, argv: list[str]) -> dict:
    """Run this benchmark once per backend in a child process; gather the summaries."""
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    passthrough, skip = [], False
    for a in argv:          # the child gets every option except --backends/--out/--json
        if skip:
            skip = False
            continue
        if a in ("--backends", "--out", "--backend"):
            skip = True
            continue
        if a.startswith(("--backends=", "--out=", "--backend=")) or a == "--json":
            continue
        passthrough.append(a)
    result = {"command": "python -m assistant.bench " + " ".join(argv), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
              "machine": f"{os.cpu_count()} CPU cores", "load_avg_before": load_average(), "backends": {}}
    for name in names:
        print(f"[bench] backend {name} …", file=sys.stderr)
        proc = subprocess.run([sys.executable, "-m", "assistant.bench", "--json", "--backend", name, *passthrough],
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            result["backends"][name] = {"error": f"exit {proc.returncode}"}
            continue
        child = json.loads(proc.stdout.strip().splitlines()[-1])
        keys = ("generator", "load_s", "prompt_tokens", "prompt_tokens_by_intent", "cached_tokens", "ttft_ms",
                "decode_tok_s", "turn_ms", "rss_mb", "turns", "validation", "load_avg")
        result["backends"][name] = {k: child.get(k) for k in keys}
        result["backends"][name]["per_turn"] = [
            {k: t.get(k) for k in ("message", "intent", "prompt_tokens", "cached_tokens", "first_token_ms",
                                   "total_ms", "tokens", "tok_per_s", "decode_steps", "validation", "llm_text")}
            for t in child.get("per_turn", [])]
    result["load_avg_after"] = load_average()
    speeds = {n: (b.get("decode_tok_s") or 0) for n, b in result["backends"].items()}
    if names and speeds.get(names[0]):
        result["decode_ratio"] = {n: round(v / speeds[names[0]], 2) for n, v in speeds.items()}
    return result


def write_out(path: Path | None, text: str) -> None:
    if not path:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = make_parser().parse_args(argv)
    if args.backends:
        result = compare_backends(args, argv)
        text = json.dumps(result, ensure_ascii=False, indent=None if args.json else 2)
        print(text)
        write_out(args.out, text)
        return 0 if all("error" not in b for b in result["backends"].values()) else 1
    settings = Settings.from_args(args)
    from tqdm import tqdm

    from assistant.factory import build_services, tqdm_progress
    from assistant.generators import make_generator
    from assistant.types import DialogueState

    gen = MeteredGenerator(make_generator(settings))
    t0 = time.perf_counter()
    services = build_services(settings, progress=tqdm_progress(), generator=gen)
    setup_s = time.perf_counter() - t0
    # Every turn pays its own query embedding (--repeat would otherwise hit the retriever's
    # query-vector cache and time a repeated question, not the code path).
    services.retriever.query_cache = 0
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
                      "decode_steps": run and run.get("decode_steps"),
                      "prompt_tokens": run and run["prompt_tokens"], "cached_tokens": run and run["cached_tokens"],
                      "llm_text": ans.get("llm_text"), "violations": ans.get("violations")})
    summary = {"generator": gen.name, "setup_s": round(setup_s, 2), "model_load_s": load_s and round(load_s, 2),
               "load_s": load_s and round(load_s, 2), "turns": len(turns), "machine": f"{os.cpu_count()} CPU cores",
               "load_avg": load_average()}
    for key in ("understanding_ms", "retrieval_ms", "first_token_ms", "total_ms"):
        vals = [t[key] for t in turns]
        summary[key] = {"median": round(statistics.median(vals), 1), "p95": round(pct(vals, 0.95), 1)}
    speeds = [t["tok_per_s"] for t in turns if t["tok_per_s"]]
    summary["tokens_per_s"] = round(statistics.median(speeds), 2) if speeds else None
    llm_turns = [t for t in turns if t["tokens"] is not None]
    summary["ttft_ms"] = _p50_p95([t["first_token_ms"] for t in llm_turns])
    summary["turn_ms"] = _p50_p95([t["total_ms"] for t in llm_turns])
    summary["decode_tok_s"] = summary["tokens_per_s"]
    prompts = [t["prompt_tokens"] for t in llm_turns if t["prompt_tokens"] is not None]
    summary["prompt_tokens"] = round(statistics.mean(prompts), 1) if prompts else None
    by_intent: dict[str, list[int]] = {}
    for t in llm_turns:
        if t["prompt_tokens"] is not None:
            by_intent.setdefault(t["intent"], []).append(t["prompt_tokens"])
    summary["prompt_tokens_by_intent"] = {k: round(statistics.mean(v), 1) for k, v in by_intent.items()}
    cached = [t["cached_tokens"] for t in llm_turns if t["cached_tokens"] is not None]
    summary["cached_tokens"] = round(statistics.mean(cached), 1) if cached else None
    summary["rss_mb"] = rss_mb()
    summary["validation"] = {k: sum(t["validation"] == k for t in turns) for k in ("ok", "repaired", "fallback",
                                                                                  "template")}
    summary["per_turn"] = turns
    text = json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2)
    print(text)
    write_out(args.out, text)
    return 0


def _p50_p95(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"p50": round(statistics.median(values), 1), "p95": round(pct(values, 0.95), 1)}


if __name__ == "__main__":
    raise SystemExit(main())
