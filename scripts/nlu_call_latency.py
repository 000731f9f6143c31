"""Per-call cost of the understanding call on llama.cpp with an NLU adapter (short tuned prompt,
JSON-schema grammar): `PYTHONPATH=. python scripts/nlu_call_latency.py ADAPTER|none QUANT`.

Prints the load time, each call's ms, token counters and object, then p50 and max. The
messages are fixed here (written for this check, not from any evaluation set).
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


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: nlu_call_latency.py ADAPTER|none QUANT (iq4_nl, q8_0, none)", file=sys.stderr)
        return 2
    adapter = None if sys.argv[1] == "none" else Path(sys.argv[1])
    quant = "" if sys.argv[2] == "none" else sys.argv[2]
    gen = LlamaCppGenerator("qwen0.5b", adapter_path=adapter, quant=quant, warm_system_prompt=TUNED_SYSTEM,
                            lookup_tokens=0, n_ctx=1024)
    t0 = time.perf_counter()
    gen.load()
    print("load", round(time.perf_counter() - t0, 2), gen.run_gguf)
    ms = []
    for m in MESSAGES:
        t = time.perf_counter()
        out = gen.generate_json(build_messages(m, [], "tuned"), SCHEMA, 96)
        ms.append((time.perf_counter() - t) * 1000)
        print(round(ms[-1]), gen.last, json.dumps(out, ensure_ascii=False))
    print("p50", round(statistics.median(ms)), "max", round(max(ms)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
