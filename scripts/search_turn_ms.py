"""ms per search turn (template replies, no LLM) over the test split's product queries.

    PYTHONPATH=. .venv/bin/python scripts/search_turn_ms.py [QUERY_CACHE.npz]

Builds the assistant as `assistant.evaluate_answers` does (live index, anonymous), warms up on
20 queries, then times `Assistant.answer` twice over all 240; prints median and mean ms. Compare
two checkouts by running both alternately in the same minutes (the VM's load moves a lot).
"""
import json
import statistics
import sys
import time

from assistant.evaluate_answers import build_assistant, product_rows
from assistant.settings import Settings
from assistant.types import DialogueState

a = build_assistant(Settings.from_env(), sys.argv[1] if len(sys.argv) > 1 else None)
qs = [r["query"] for r in product_rows("test")]
for q in qs[:20]:
    a.answer(q, DialogueState())
ts = []
for _ in range(2):
    for q in qs:
        t = time.perf_counter()
        a.answer(q, DialogueState())
        ts.append((time.perf_counter() - t) * 1000)
print(json.dumps({"n": len(ts), "median_ms": round(statistics.median(ts), 2), "mean_ms": round(statistics.mean(ts), 2)}))
