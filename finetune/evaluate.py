"""Before/after evaluation of a chat model (and LoRA adapter) on the held-out split.

Each test row's prompt is rebuilt with the app's own `assistant.prompting.build_messages`
from the facts stored with the row, and answered by the app's own generator (`--backend
transformers`: `TransformersGenerator`, peft adapter on the bf16 model; `--backend llamacpp`:
`LlamaCppGenerator`, the adapter merged and re-quantized as the app runs it by default).
Scores per answer (`finetune.metrics`): grounded (no number or product name outside the
prompt's facts), what the app would show after its validator (`shown_grounded`, and the
share of `fallback`s to the template), whether the answer differs from the template draft
(`differs_from_template`, `template_similarity`), answer-first rate (the first sentence
answers: `assistant.evaluate_answers.answers_first`), policy fact accuracy (required facts kept),
citation format ([ID] naming a context id; required when the reference cites), Hangul
share and drift (Chinese/Japanese or mostly Latin), length, latency, similarity to the
reference draft, and an optional LLM judge score through an OpenAI-compatible endpoint.
Means come with a 95% bootstrap interval over the rows.

    python -m finetune.evaluate --data var/ft-data --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --limit 30 --seed 1 --json --out var/ft-eval-s1
    python -m finetune.evaluate --data var/ft-data --model qwen0.5b --backend llamacpp \
        --adapter assets/adapters/qwen0.5b-shop-lora --limit 36 --seed 2 --temperature 0.7 --out var/ft-eval-l2

Writes OUT/eval.json, OUT/eval.md and OUT/answers.jsonl; `--json` also prints the JSON.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from finetune import run_cli
from finetune.metrics import (
    citation_ok,
    citations,
    drifted,
    fact_recall,
    grounding_errors,
    hangul_share,
    policy_facts_hit,
    policy_required_facts,
)

METRICS = ("grounded", "shown_grounded", "fallback", "differs_from_template", "template_similarity", "answer_first",
           "policy_fact_accuracy", "fact_recall", "citation_ok", "hangul_share", "drift", "ref_similarity",
           "length_chars", "latency_s", "judge")


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="dataset folder (uses SPLIT.jsonl)")
    p.add_argument("--model", required=True, help="alias qwen0.5b|smollm2, hub id or folder")
    p.add_argument("--adapter", default=None, help="LoRA adapter folder for the 'after' run")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, default=30, help="rows (picked round-robin over intents)")
    p.add_argument("--seed", type=int, default=1, help="picks the row sample (and sampling, with --temperature > 0)")
    p.add_argument("--intents", default=LLM_INTENTS, help="meta intents to evaluate ('' = all)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy, as in the app")
    p.add_argument("--backend", choices=("transformers", "llamacpp"), default="transformers",
                   help="transformers: the peft adapter on the bf16 model; llamacpp: the app's default CPU "
                        "backend (the GGUF, the adapter merged and re-quantized to --llama-quant)")
    p.add_argument("--llama-quant", default="iq4_nl_all",
                   help="llamacpp: weight type of the merged GGUF, used for the base model too ('' = the "
                        "shipped Q4_K_M file, the adapter applied at run time)")
    p.add_argument("--max-new-tokens", type=int, default=160, help="the app's default (Settings.max_new_tokens)")
    p.add_argument("--out", type=Path, default=Path("var/ft-eval"), help="report folder")
    p.add_argument("--json", action="store_true", help="print the JSON summary to stdout")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi")
    p.add_argument("--data-dir", type=Path, default=None, help="catalog for product-name checks")
    p.add_argument("--prompt-layout", choices=("facts", "draft"), default="facts",
                   help="facts: rules and facts only (what finetune.data trains on); draft: the old layout with "
                        "the template draft in the prompt (`assistant.prompting`)")
    p.add_argument("--before-from", type=Path, default=None,
                   help="reuse the 'before' run of an earlier report folder with the same rows and settings "
                        "(its eval.json and answers.jsonl) instead of running the base model again")
    p.add_argument("--endpoint", default="", help="OpenAI-compatible base URL for the optional judge")
    p.add_argument("--endpoint-model", default="")
    return p


LLM_INTENTS = "search,product_question,policy"   # the intents the app sends to a model


def pick_rows(rows: list[dict], limit: int, seed: int = 0, intents: str = LLM_INTENTS) -> list[dict]:
    """A seeded sample, round-robin over intents so small limits still cover each kind."""
    keep = {i.strip() for i in intents.split(",") if i.strip()}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if not keep or r["meta"]["intent"] in keep:
            groups[r["meta"]["intent"]].append(r)
    rng = random.Random(seed)
    for g in groups.values():
        rng.shuffle(g)
    rows = [r for g in groups.values() for r in g]
    out, keys = [], sorted(groups)
    while len(out) < min(limit, len(rows)):
        for k in keys:
            if groups[k] and len(out) < limit:
                out.append(groups[k].pop(0))
    return out


def app_messages(row: dict, layout: str = "facts") -> list[dict]:
    """The prompt as the app builds it in `layout` (falls back to the stored one without facts)."""
    meta = row["meta"]
    if meta.get("facts"):
        from assistant.prompting import build_messages
        from finetune.teacher import facts_from_dict

        return build_messages(row["messages"][-2]["content"], facts_from_dict(meta["facts"]), meta.get("history", []),
                              layout=layout)
    return row["messages"][:-1]


def question_kind(row: dict) -> str:
    """A finer label than the intent, for per-kind results: search, policy, compare,
    product_detail, product_aspect (origin/storage: stated in the card) and
    product_unstated (calories, shelf life, ingredients: the answer is "not in our data")."""
    intent = row["meta"]["intent"]
    if intent != "product_question":
        return intent
    from assistant.nlu.aspects import NOT_STATED_ASPECTS, asked_aspects

    aspects = set(asked_aspects(row["messages"][-2]["content"]))
    if aspects & NOT_STATED_ASPECTS:
        return "product_unstated"
    if aspects:
        return "product_aspect"
    return "compare" if len(row["meta"]["context_ids"]) > 1 else "product_detail"


def _squash(text: str) -> str:
    return " ".join((text or "").split())


def app_outcome(answer: str, row: dict, names: tuple[str, ...]) -> tuple[str, str]:
    """(what the app would show, validator outcome ok/repaired/fallback) for a model answer."""
    from assistant.validator import Context, validate
    from finetune.teacher import facts_from_dict

    facts = facts_from_dict(row["meta"]["facts"])
    result = validate(answer, Context(facts, row["messages"][-2]["content"], names))
    return result.reply, result.outcome


def score(answer: str, row: dict, messages: list[dict], names: tuple[str, ...]) -> dict:
    from assistant.evaluate_answers import answers_first
    from assistant.validator import strip_product_ids
    from finetune.gates import prompt_context

    ref = row["messages"][-1]["content"]
    n_items = len(row["meta"]["context_ids"])
    errors = grounding_errors(answer, prompt_context(messages), names, n_items)
    s = {"grounded": float(not errors), "errors": errors, "answer_first": float(answers_first(answer)),
         "citation_ok": float(citation_ok(answer, row["meta"]["context_ids"], required=bool(citations(ref)))),
         "hangul_share": hangul_share(answer), "drift": float(drifted(answer)), "length_chars": float(len(answer)),
         "ref_similarity": difflib.SequenceMatcher(None, answer, ref).ratio(),
         "fact_recall": fact_recall(answer, ref)}
    if (row["meta"].get("facts") or {}).get("draft"):
        from finetune.teacher import facts_from_dict

        facts = facts_from_dict(row["meta"]["facts"])
        draft = strip_product_ids(facts.draft, facts)
        s["differs_from_template"] = float(_squash(answer) != _squash(draft)
                                           and _squash(answer) != _squash(facts.draft))
        s["template_similarity"] = difflib.SequenceMatcher(None, _squash(answer), _squash(draft)).ratio()
        shown, outcome = app_outcome(answer, row, names)
        s["fallback"], s["outcome"] = float(outcome == "fallback"), outcome
        from assistant.prompting import facts_block

        s["shown_grounded"] = float(not grounding_errors(shown, facts_block(facts) + "\n" + facts.draft + "\n"
                                                         + row["messages"][-2]["content"], names, n_items))
    if row["meta"]["intent"] == "policy":
        required = required_policy_facts(row)
        if required:
            s["policy_fact_accuracy"] = policy_facts_hit(answer, required)
            s["required_facts"] = list(required)
    return s


def required_policy_facts(row: dict) -> tuple[str, ...]:
    """Numbers and key words of the policy passages in the prompt (stored ones as fallback)."""
    passages = (row["meta"].get("facts") or {}).get("policies") or []
    if passages:
        return tuple(dict.fromkeys(f for p in passages for f in policy_required_facts(p["text"])))
    return tuple(row["meta"].get("required_facts") or ())


def summarize(scores: list[dict], seed: int) -> dict:
    rng = random.Random(seed)
    out: dict = {"n": len(scores)}
    for m in METRICS:
        vals = [s[m] for s in scores if m in s and s[m] is not None]
        if not vals:
            continue
        means = sorted(sum(rng.choice(vals) for _ in vals) / len(vals) for _ in range(1000))
        out[m] = round(sum(vals) / len(vals), 4)
        out[m + "_ci95"] = [round(means[25], 4), round(means[974], 4)]
        out[m + "_n"] = len(vals)
    return out


KIND_METRICS = ("grounded", "shown_grounded", "fallback", "differs_from_template", "answer_first", "policy_fact_accuracy",
                "fact_recall", "citation_ok", "hangul_share")


def by_kind(scores: list[dict], seed: int) -> dict:
    """`summarize` per question kind (only the headline metrics, with their intervals)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in scores:
        groups[s.get("kind", "-")].append(s)
    out = {}
    for kind, group in sorted(groups.items()):
        full = summarize(group, seed)
        out[kind] = {"n": full["n"]} | {k: v for k, v in full.items()
                                        if k.removesuffix("_ci95") in KIND_METRICS and not k.endswith("_n")}
    return out


def make_eval_generator(args, adapter: str | None):
    """The app's own generator for `--backend`: `TransformersGenerator` (peft adapter on the bf16
    model) or `LlamaCppGenerator` (the GGUF; with `--llama-quant` the adapter merged and
    re-quantized, as the app runs it, and the base model re-quantized the same way)."""
    cache_dir = Path(args.cache_dir).expanduser()
    adapter_path = Path(adapter) if adapter else None
    if getattr(args, "backend", "transformers") == "llamacpp":
        from assistant.generators.llamacpp import LlamaCppGenerator
        from assistant.prompting import rules_for

        return LlamaCppGenerator(args.model, cache_dir=cache_dir, adapter_path=adapter_path, timeout_s=600,
                                 temperature=args.temperature, warm_system_prompt=rules_for(args.prompt_layout),
                                 quant=args.llama_quant)
    from assistant.generators.local import TransformersGenerator

    return TransformersGenerator(args.model, cache_dir=cache_dir, adapter_path=adapter_path, quantization="auto",
                                 timeout_s=600, temperature=args.temperature)


def seed_generator(gen, seed: int) -> None:
    """Seed the sampler of either backend (per row, so a run is repeatable)."""
    llm = getattr(gen, "_llm", None)
    if llm is not None and hasattr(llm, "set_seed"):
        llm.set_seed(seed)
        return
    import torch

    torch.manual_seed(seed)


def run_model(label: str, args, rows: list[dict], adapter: str | None, names, endpoint) -> tuple[dict, list[dict]]:
    from tqdm import tqdm

    gen = make_eval_generator(args, adapter)
    t0 = time.perf_counter()
    gen.load()
    load_s = time.perf_counter() - t0
    scores, answers = [], []
    for i, row in enumerate(tqdm(rows, desc=label, file=sys.stderr)):
        messages = app_messages(row, args.prompt_layout)
        seed_generator(gen, args.seed * 100003 + i)
        t = time.perf_counter()
        answer = "".join(gen.stream(messages, max_new_tokens=args.max_new_tokens)).strip()
        s = score(answer, row, messages, names)
        s["latency_s"] = time.perf_counter() - t
        if endpoint is not None:
            from finetune.gates import prompt_context
            from finetune.llm import judge

            s["judge"] = judge(endpoint, prompt_context(messages), messages[-1]["content"], answer)
        s["kind"] = question_kind(row)
        scores.append(s)
        answers.append({"id": row["meta"]["id"], "intent": row["meta"]["intent"], "question": messages[-1]["content"],
                        "reference": row["messages"][-1]["content"], "answer": answer, **{k: v for k, v in s.items()}})
    summary = summarize(scores, args.seed) | {"load_s": round(load_s, 1), "adapter": adapter,
                                              "by_kind": by_kind(scores, args.seed)}
    del gen
    gc.collect()
    return summary, answers


DELTA_ROWS = (("grounded", "groundedness"), ("shown_grounded", "groundedness of the shown reply (after the validator)"),
              ("fallback", "validator fall-backs to the template"),
              ("differs_from_template", "differs from the template"), ("template_similarity", "similarity to the template"),
              ("answer_first", "answer-first rate"), ("policy_fact_accuracy", "policy fact accuracy"),
              ("fact_recall", "fact recall vs reference"),
              ("citation_ok", "citation format"), ("hangul_share", "Hangul share"), ("drift", "drift rate"),
              ("ref_similarity", "similarity to reference"), ("length_chars", "mean length (chars)"),
              ("latency_s", "latency (s)"), ("judge", "LLM judge (1-10)"))


def markdown(result: dict) -> str:
    b, a = result["before"], result.get("after") or {}
    c = result["config"]
    lines = [f"# Fine-tuning evaluation: {c['model']} on {c['split']} ({b['n']} rows)", "",
             f"adapter `{c['adapter']}`, seed {c['seed']}, temperature {c['temperature']}, "
             f"max_new_tokens {c['max_new_tokens']}", "",
             "| metric | before | after | before 95% CI | after 95% CI |", "|---|---|---|---|---|"]
    for key, label in DELTA_ROWS:
        if key in b or key in a:
            lines.append(f"| {label} | {b.get(key, '-')} | {a.get(key, '-')} | {b.get(key + '_ci95', '-')} | "
                         f"{a.get(key + '_ci95', '-')} |")
    kinds = sorted(set(b.get("by_kind", {})) | set(a.get("by_kind", {})))
    if kinds:
        lines += ["", "Per question kind (groundedness / policy fact accuracy, before -> after):", "",
                  "| kind | rows | groundedness before | after | policy facts before | after |", "|---|---|---|---|---|---|"]
        for k in kinds:
            kb, ka = b.get("by_kind", {}).get(k, {}), a.get("by_kind", {}).get(k, {})
            lines.append(f"| {k} | {kb.get('n', ka.get('n', '-'))} | {kb.get('grounded', '-')} {kb.get('grounded_ci95', '')} | "
                         f"{ka.get('grounded', '-')} {ka.get('grounded_ci95', '')} | {kb.get('policy_fact_accuracy', '-')} | "
                         f"{ka.get('policy_fact_accuracy', '-')} |")
    return "\n".join(lines) + "\n"


def reuse_before(folder: Path, rows: list[dict]) -> tuple[dict, list[dict]]:
    """The 'before' summary and answers of an earlier report; refuses when its rows differ."""
    from finetune import FinetuneError

    prev = json.loads((folder / "eval.json").read_text(encoding="utf-8"))
    answers = [json.loads(line) for line in (folder / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    answers = [{k: v for k, v in a.items() if k != "run"} for a in answers if a.get("run") == "before"]
    if [a["id"] for a in answers] != [r["meta"]["id"] for r in rows]:
        raise FinetuneError(f"{folder} was run on other rows", "이전 평가의 행이 이번 평가와 다릅니다.")
    return prev["before"], answers


def main(args: argparse.Namespace) -> int:
    from finetune.data import write_atomic
    from finetune.modeling import read_jsonl

    rows = pick_rows(read_jsonl(args.data / f"{args.split}.jsonl"), args.limit, args.seed, args.intents)
    names: tuple[str, ...] = ()
    try:
        from finetune.data import load_sources

        if args.data_dir is None:
            from assistant.settings import Settings

            args.data_dir = Settings.from_env().data_dir
        names = tuple(p.name for p in load_sources(args.data_dir)[0])
    except Exception as exc:  # names only sharpen the grounding check; numbers still count
        print(f"warning: no catalog names ({exc})", file=sys.stderr)
    endpoint = None
    if args.endpoint:
        from finetune.llm import Endpoint

        endpoint = Endpoint(args.endpoint, args.endpoint_model)
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    if args.before_from:
        before, answers_b = reuse_before(args.before_from, rows)
    else:
        before, answers_b = run_model("before", args, rows, None, names, endpoint)
    result: dict = {"config": config, "before": before, "after": None}
    answers = [dict(a, run="before") for a in answers_b]
    if args.adapter:
        after, answers_a = run_model("after", args, rows, args.adapter, names, endpoint)
        result["after"] = after
        answers += [dict(a, run="after") for a in answers_a]
    write_atomic(args.out / "eval.json", json.dumps(result, ensure_ascii=False, indent=2))
    write_atomic(args.out / "eval.md", markdown(result))
    write_atomic(args.out / "answers.jsonl", "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main, make_parser)
