"""Build the persona-grounded instruction dataset (`python -m finetune.data`).

Steps: load catalog and policies (`store`), draw template questions for every persona and
intent (`templates`), optionally reword them through an OpenAI-compatible endpoint
(`--endpoint`), answer each with the teacher (the assistant's grounded pipeline with its
template generator; prompts built by `assistant.prompting`), run the gates (length,
grounding, citations, exact and near duplicates, intent/category balance), split by item
so val/test products and policy documents are unseen in training, and write
`train.jsonl`, `val.jsonl`, `test.jsonl` plus a dataset card (`card.json`, `README.md`).

Each line: {"messages": [system, (history...), user, assistant],
            "meta": {"id", "persona", "intent", "spec_intent", "category", "context_ids",
                     "required_facts", "generator", "created_at", "split_keys"}}

Example:
    python -m finetune.data --out var/ft-data --limit 1500 --seed 13
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from finetune import FinetuneError


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.data", description=__doc__.split("\n\n")[0],
                                epilog="example: python -m finetune.data --out var/ft-data --limit 1500 --seed 13",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--limit", type=int, default=1500, help="questions to draw before the gates")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--data-dir", type=Path, default=None, help="repo data/ folder (default: settings)")
    p.add_argument("--teacher", choices=("builtin", "assistant"), default="builtin",
                   help="builtin: slot-based fact selection + the app's replies/prompting (fast); "
                        "assistant: the full app pipeline with retrieval (loads the embedder and index)")
    p.add_argument("--endpoint", default="", help="OpenAI-compatible base URL for question rewording")
    p.add_argument("--endpoint-model", default="")
    p.add_argument("--api-key", default=os.environ.get("JANGBOGI_LLM_API_KEY", ""))
    return p


def load_sources(data_dir: Path) -> tuple[list, list]:
    from store import load_catalog, load_policies

    products_path = data_dir / "catalog" / "products.jsonl"
    if not products_path.exists():
        raise FinetuneError(f"catalog not found: {products_path}", "상품 데이터(data/catalog)가 없습니다.")
    return load_catalog(products_path), load_policies(data_dir / "policies")


def build_rows(specs, teacher, names: tuple[str, ...], product_ids: set[str], created_at: str,
               progress=None) -> tuple[list[dict], Counter]:
    """Teacher answers for every spec, gated; returns (rows, drop reasons)."""
    from finetune.gates import check_example

    rows, drops = [], Counter()
    for n, spec in enumerate(progress(specs) if progress else specs):
        try:
            turns = teacher.run(spec)
        except Exception as exc:  # a teacher failure drops one example, never the whole build
            drops[f"teacher:{type(exc).__name__}"] += 1
            continue
        last = turns[-1]
        messages = list(last.messages) + [{"role": "assistant", "content": last.reply}]
        reasons = check_example(list(last.messages), last.reply, last.context_ids, names)
        if reasons:
            drops.update(reasons)
            continue
        keys = sorted(set(spec.product_ids) | {i for t in turns for i in t.context_ids if i in product_ids}
                      | ({f"policy:{spec.slots['policy']}"} if spec.intent == "policy" else set()))
        rows.append({"messages": messages, "meta": {
            "id": f"ex{n:05d}", "persona": spec.persona, "intent": last.intent, "spec_intent": spec.intent,
            "category": spec.category, "context_ids": list(last.context_ids),
            "required_facts": list(last.required_facts), "generator": teacher.name,
            "created_at": created_at, "split_keys": keys, "facts": last.facts, "history": list(last.history)}})
    return rows, drops


def card(splits: dict[str, list[dict]], drops: Counter, args, n_specs: int) -> dict:
    from finetune.evaluate import question_kind

    def stats(rows):
        lens = sorted(len(r["messages"][-1]["content"]) for r in rows) or [0]
        return {"examples": len(rows),
                "intent": dict(Counter(r["meta"]["intent"] for r in rows).most_common()),
                "spec_intent": dict(Counter(r["meta"]["spec_intent"] for r in rows).most_common()),
                "question_kind": dict(Counter(question_kind(r) for r in rows).most_common()),
                "persona": dict(Counter(r["meta"]["persona"] for r in rows).most_common()),
                "category": dict(Counter(r["meta"]["category"] or "-" for r in rows).most_common()),
                "turns": dict(Counter(sum(m["role"] == "user" for m in r["messages"]) for r in rows)),
                "reply_chars": {"min": lens[0], "median": lens[len(lens) // 2], "max": lens[-1]}}

    return {"seed": args.seed, "questions_drawn": n_specs, "dropped": dict(drops.most_common()),
            "generator": sorted({r["meta"]["generator"] for rows in splits.values() for r in rows}),
            "splits": {k: stats(v) for k, v in splits.items()}}


def card_markdown(c: dict) -> str:
    lines = ["# Jangbogi fine-tuning data card", "",
             f"Seed {c['seed']}, {c['questions_drawn']} template questions drawn; teacher: {', '.join(c['generator'])}.",
             "Answers are correct-by-construction template drafts written by `assistant.replies` (the text the",
             "app's TemplateGenerator returns); prompts are built by `assistant.prompting.build_messages`",
             "exactly as at inference. Val/test products and policy documents never occur in train.", "", f"Dropped by gates: {c['dropped']}", ""]
    for split, s in c["splits"].items():
        lines += [f"## {split}: {s['examples']} examples", ""]
        for key in ("intent", "spec_intent", "question_kind", "persona", "category", "turns", "reply_chars"):
            lines.append(f"- {key}: " + ", ".join(f"{k} {v}" for k, v in s[key].items()))
        lines.append("")
    return "\n".join(lines)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from finetune.gates import assign_splits, balance, dedupe
    from finetune.personas import PERSONAS
    from finetune.teacher import make_teacher
    from finetune.templates import make_specs

    if args.data_dir is None:
        from assistant.settings import Settings

        args.data_dir = Settings.from_env().data_dir
    products, policies = load_sources(args.data_dir)
    rng = random.Random(args.seed)
    specs = make_specs(products, policies, rng, args.limit)
    if args.endpoint:
        from dataclasses import replace

        from finetune.llm import Endpoint, rephrase

        ep = Endpoint(args.endpoint, args.endpoint_model, args.api_key)
        names = tuple(p.name for p in products)
        by_key = {p.key: p for p in PERSONAS}
        for i, s in enumerate(tqdm(specs, desc="rephrase")):
            new = rephrase(ep, s.turns[-1], by_key[s.persona].describe(), names)
            if new:
                specs[i] = replace(s, turns=s.turns[:-1] + (new,))
    teacher = make_teacher(products, policies, args.teacher, args.data_dir)
    created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows, drops = build_rows(specs, teacher, tuple(p.name for p in products), {p.id for p in products}, created_at,
                             progress=lambda it: tqdm(it, desc="teacher", file=sys.stderr))
    rows, n_exact, n_near = dedupe(rows)
    drops.update({"duplicate:exact": n_exact, "duplicate:near": n_near})
    before = len(rows)
    rows = balance(rows)
    drops["balance"] = before - len(rows)
    splits = assign_splits(rows, args.seed)
    for name, split_rows in splits.items():
        write_atomic(args.out / f"{name}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in split_rows))
    c = card(splits, drops, args, len(specs))
    write_atomic(args.out / "card.json", json.dumps(c, ensure_ascii=False, indent=2))
    write_atomic(args.out / "README.md", card_markdown(c))
    print(json.dumps({k: v["examples"] for k, v in c["splits"].items()} | {"dropped": c["dropped"]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(make_parser().parse_args()))
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
