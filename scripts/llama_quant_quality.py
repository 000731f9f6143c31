"""Teacher-forced agreement with a reference GGUF on the app's 8 bench prompts + recorded replies.
usage: python scripts/llama_quant_quality.py REF.gguf name=path[+lora] ...   -> per variant: mean KL(ref||v), top-1 agreement, NLL of the reply"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

data = json.load(open("var/llama_prompts.json"))

def load(spec):
    path, lora = (spec.split("+", 1) + [None])[:2]
    return Llama(model_path=path, lora_path=lora, n_ctx=1024, n_batch=1024, n_ubatch=512, logits_all=True,
                 n_threads=2, verbose=False)

def run(llm):
    fmt = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"], eos_token="<|im_end|>", bos_token="")
    outs = []
    for d in data:
        p = llm.tokenize(fmt(messages=d["messages"]).prompt.encode(), add_bos=False, special=True)
        r = llm.tokenize(d["ref"].encode(), add_bos=False, special=False)
        llm.reset(); llm.eval(p + r)
        lg = np.array(llm.scores[len(p) - 1: len(p) + len(r) - 1], dtype=np.float64)
        lg -= lg.max(axis=1, keepdims=True)
        lp = lg - np.log(np.exp(lg).sum(axis=1, keepdims=True))
        outs.append((lp.astype(np.float32), np.array(r)))
    return outs

ref_spec = sys.argv[1]
t = time.time(); ref = run(load(ref_spec)); print(f"ref done {time.time()-t:.0f}s", file=sys.stderr)
for spec in sys.argv[2:]:
    name, path = spec.split("=", 1)
    t = time.time(); llm = load(path); outs = run(llm); del llm
    kls, agree, nll, n = [], 0, 0.0, 0
    for (lr, toks), (lv, _) in zip(ref, outs):
        pr = np.exp(lr)
        kls += list((pr * (lr - lv)).sum(axis=1))
        agree += int((lr.argmax(1) == lv.argmax(1)).sum()); n += len(toks)
        nll += float(-lv[np.arange(len(toks)), toks].sum())
    ref_nll = sum(float(-lr[np.arange(len(t_)), t_].sum()) for lr, t_ in ref)
    print(json.dumps({"variant": name, "positions": n, "kl_mean": round(float(np.mean(kls)), 5),
                      "kl_p95": round(float(np.percentile(kls, 95)), 4), "top1_agree": round(agree / n, 4),
                      "reply_nll_per_tok": round(nll / n, 4), "ref_nll_per_tok": round(ref_nll / n, 4),
                      "secs": round(time.time() - t)}), flush=True)
