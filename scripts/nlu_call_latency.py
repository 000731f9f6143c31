"""Per-call cost of the understanding call on llama.cpp with an NLU adapter (short tuned prompt,
JSON-schema grammar): `PYTHONPATH=. python scripts/nlu_call_latency.py ADAPTER|none QUANT [ROUNDS]`.

Two generators on the same GGUF answer the same messages in turn: llama-cpp-python's own
grammar+greedy sampler chain (`grammar_loop=False`, the baseline) and the app's greedy loop
(`grammar_loop=True`: the argmax is checked by the grammar, the whole vocabulary masked only when
it is refused). Prints each call's ms and object, then p50, p95 and max per generator, the
ratio, and whether the objects were the same. The messages are fixed here (written for this
check, not from any evaluation set).
"""

import json
import statistics
import sys
import time
from pathlib import Path

from assistant.generators.llamacpp import LlamaCppGenerator
from assistant.nlu.model import SCHEMA, TUNED_SYSTEM, build_messages

MESSAGES = ["견과류는 다 안 돼요 과자 추천해 주세요", "우유 2개 담아줘", "애기 이유식 만원 이하로 소고기 들어간 거",
            "땅콩버터 말고 그냥 잼 있나요", "배송 언제 와요?", "갑각류 못 먹어요 만두 2만원 이하", "그거 두 개 담아줘",
            "비건 간식 3개만 보여줘", "유제품 빼고 빵", "안녕하세요"]


def _summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50": round(statistics.median(ms)), "p95": round(ms[round(0.95 * (len(ms) - 1))]), "max": round(ms[-1])}


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print("usage: nlu_call_latency.py ADAPTER|none QUANT (iq4_nl_all, iq4_nl, q8_0, none) [ROUNDS]", file=sys.stderr)
        return 2
    adapter = None if sys.argv[1] == "none" else Path(sys.argv[1])
    quant = "" if sys.argv[2] == "none" else sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    gens = {name: LlamaCppGenerator("qwen0.5b", adapter_path=adapter, quant=quant, warm_system_prompt=TUNED_SYSTEM,
                                    lookup_tokens=0, n_ctx=1024, grammar_loop=loop)
            for name, loop in (("chain", False), ("loop", True))}
    for name, gen in gens.items():
        t0 = time.perf_counter()
        gen.load()
        print(name, "load", round(time.perf_counter() - t0, 2), gen.run_gguf)
    ms: dict[str, list[float]] = {name: [] for name in gens}
    same = 0
    for _ in range(rounds):
        for m in MESSAGES:
            outs = []
            for name, gen in gens.items():
                t = time.perf_counter()
                outs.append(gen.generate_json(build_messages(m, [], "tuned"), SCHEMA, 96))
                ms[name].append((time.perf_counter() - t) * 1000)
                print(name, round(ms[name][-1]), gen.last.get("generated_tokens"), json.dumps(outs[-1], ensure_ascii=False))
            same += outs[0] == outs[1]
    sums = {name: _summary(v) for name, v in ms.items()}
    print(json.dumps({**sums, "p50_ratio": round(sums["chain"]["p50"] / sums["loop"]["p50"], 2),
                      "same_objects": f"{same}/{rounds * len(MESSAGES)}"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
