"""Record the answer-call messages of the 8 bench requests (rules-only understanding, template
generator) and the replies of a bench run, for scripts/llama_quant_quality.py:

    python -m assistant.bench --backends llamacpp --json --out var/bench.json
    python scripts/llama_record_prompts.py var/bench.json     # writes var/llama_prompts.json
"""
import json
import sys

from assistant.bench import REQUESTS
from assistant.factory import build_services
from assistant.generators import make_generator
from assistant.settings import Settings
from assistant.types import DialogueState

s = Settings.from_env(no_llm=True, db_path=__import__("pathlib").Path("var/llama_record.db"))
inner = make_generator(s)
class Rec:
    def __init__(s2, g): s2.g, s2.msgs = g, []; s2.name = "rec"; s2.is_template = False
    loaded = True
    def stream(s2, messages, max_new_tokens=160, stop=None):
        s2.msgs.append(messages); yield from s2.g.stream(messages, max_new_tokens, stop)
    def generate_json(s2, *a, **k): return s2.g.generate_json(*a, **k)
rec = Rec(inner)
svc = build_services(s, generator=rec)
ref = {t["message"]: t["llm_text"] for t in json.load(open(sys.argv[1]))["backends"]["llamacpp"]["per_turn"]}
out = []
for m in REQUESTS:
    n = len(rec.msgs)
    svc.assistant.answer(m, DialogueState(), None)
    if len(rec.msgs) > n:
        out.append({"message": m, "messages": rec.msgs[-1], "ref": ref.get(m)})
json.dump(out, open("var/llama_prompts.json", "w"), ensure_ascii=False, indent=1)
print(len(out), "recorded")
