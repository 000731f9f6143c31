"""Build the persona-grounded instruction dataset (`python -m finetune.data`).

Steps: load catalog and policies (`store`), draw template questions for every persona and
intent (`templates`), optionally reword them through an OpenAI-compatible endpoint
(`--endpoint`), answer each with the teacher (facts picked by the spec's slots, prompts built
by `assistant.prompting`, replies composed from those facts by `finetune.compose`), run the
gates (length, grounding, citations, the app's validator on model turns, exact and near
duplicates, intent/category balance), split by item
so val/test products and policy documents are unseen in training, and write
`train.jsonl`, `val.jsonl`, `test.jsonl` plus a dataset card (`card.json`, `README.md`).

Each line: {"messages": [system, (history...), user, assistant],
            "meta": {"id", "persona", "intent", "spec_intent", "category", "context_ids",
                     "required_facts", "generator", "created_at", "split_keys"}}

With `--task nlu` it writes the understanding rows instead (`nlu_rows`): the model's
prompt for a message and its last turns (`assistant.nlu.model.build_messages`) -> the JSON
object, labeled by the rules and the template's construction, never equal to a blind-set
message.

Example:
    python -m finetune.data --out var/ft-data --limit 1500 --seed 13
    python -m finetune.data --task nlu --out var/ft-nlu --limit 1500 --seed 13
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

from finetune import FinetuneError, run_cli


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
    p.add_argument("--task", choices=("reply", "nlu"), default="reply",
                   help="reply: grounded answers (train/val/test.jsonl); nlu: message (+ last turns) -> "
                        "understanding JSON (nlu_train/val/test.jsonl), disjoint from the blind sets")
    p.add_argument("--nlu-plain-names", action="store_true",
                   help="with --task nlu, also write train/val/test.jsonl (what finetune.train reads)")
    p.add_argument("--nlu-seen-batches", default="",
                   help="with --task nlu, also train on these SEEN blind batches' gold labels, comma-separated "
                        "set names as in `assistant.nlu.evaluate --set` (blind, holdout, holdout_d, ...); "
                        "they can no longer be used to score the model")
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
        if not reasons and last.facts and last.facts.get("intent") in REPLY_INTENTS:
            reasons = validator_problems(last, names)
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


REPLY_INTENTS = ("search", "product_question", "policy")   # the turns the app sends to a model


def validator_problems(turn, names: tuple[str, ...]) -> list[str]:
    """The app's own validator on a composed target: anything but "ok" (a sentence dropped, a
    citation appended, a fall-back) drops the row, so every target is what the app would show."""
    from assistant.validator import Context, validate
    from finetune.teacher import facts_from_dict

    facts = facts_from_dict(turn.facts)
    result = validate(turn.reply, Context(facts, turn.messages[-1]["content"], names))
    return [] if result.outcome == "ok" else [f"validator:{result.outcome}"]


# ---------------------------------------------------------------- understanding (JSON) rows
def nlu_target(und, item: str | None = None, allergens=()) -> dict:
    """The JSON object the model should write for an understood message (the schema of
    `assistant.nlu.model.SCHEMA`, empty fields left out)."""
    from store.domain import expand_allergens

    s = und.slots
    out: dict = {"intent": und.intent}
    limits = {"keywords": 4, "dietary_tags": 4, "brands": 3, "avoid_brands": 3}
    keywords = list(s.keywords)
    if item:
        out["item"] = item
        keywords = [k for k in keywords if k != item]   # read_model puts the item first itself
    if keywords:
        out["keywords"] = keywords[:4]
    names = list(expand_allergens(tuple(s.allergens) + tuple(allergens)))
    if allergens:   # a negated allergen word is a constraint, not a product word
        said = set(allergens) | set(names)
        keywords = [k for k in keywords if k not in said and not set(expand_allergens((k,))) & set(names)]
        if "keywords" in out or keywords != list(s.keywords):
            out["keywords"] = keywords[:4]
    from store.domain import ALLERGEN_FAMILIES

    for word in allergens:   # a family the shopper named is written as said (shorter; read_model expands)
        members = ALLERGEN_FAMILIES.get(word)
        if members and all(m in names for m in members):
            names = [n for n in names if n not in members] + [word]
    if names:
        out["allergens"] = list(dict.fromkeys(names))
    for key in ("dietary_tags", "brands", "avoid_brands"):
        if getattr(s, key):
            out[key] = list(getattr(s, key))[:limits[key]]
    for key in ("budget_max", "budget_min", "quantity", "count", "sort", "urgency", "policy_topic", "order_id"):
        if getattr(s, key) is not None:
            out[key] = getattr(s, key)
    if s.reference is not None:
        out["reference"] = s.reference.kind
        if s.reference.kind == "index" and s.reference.index is not None and s.reference.index >= 0:
            out["reference_index"] = s.reference.index + 1
    from assistant.nlu.model import ordered_target

    if not out.get("keywords"):
        out.pop("keywords", None)
    return ordered_target(out)


def _norm(text: str) -> str:
    import re

    return re.sub(r"[\s.,!?~ㅠㅜㅋㅎ]+", "", text).lower()


def blind_texts(directory: Path | None = None, skip: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Normalized texts of every frozen blind file (`tests/data/blind/**/*.jsonl`, message,
    conversation, product and policy sets alike): rows equal to one of them are never
    written, so training never sees an evaluation message. `skip` names sets left out (the
    seen batches trained on: "blind" for the top folder's files, else the folder name)."""
    from assistant.nlu.blind import BLIND_DIR

    root = Path(directory or BLIND_DIR)
    out: set[str] = set()
    for path in sorted(root.rglob("*.jsonl")):
        if ("blind" if path.parent == root else path.parent.name) in skip:
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                for turn in row.get("turns") or [row]:
                    for key in ("text", "query", "question", "message"):
                        if isinstance(turn.get(key), str):
                            out.add(_norm(turn[key]))
    return out


def gold_target(intent: str, slots: dict) -> dict | None:
    """The model's JSON target for a hand-labeled message (`tests/data/nlu_utterances.jsonl`
    or a seen blind batch), in `SCHEMA` order; None when a label has no place in the schema
    ("the last one", index -1) so the row is left out rather than taught wrong. Values the
    grammar could never produce (an enum outside the schema, a list longer than its cap) are
    cut to what it allows; the head noun leaves the keywords (`read_model` puts it first)."""
    from assistant.nlu.model import SCHEMA, ordered_target

    props = SCHEMA["properties"]
    target: dict = {"intent": intent}
    for key, value in (slots or {}).items():
        if key == "reference" and isinstance(value, dict):
            if value.get("kind") not in props["reference"]["enum"]:
                continue
            target["reference"] = value["kind"]
            if value["kind"] == "index":
                if not isinstance(value.get("index"), int) or value["index"] < 0:
                    return None
                target["reference_index"] = value["index"] + 1
            continue
        if key not in props or value in (None, [], ""):
            continue
        spec = props[key]
        if spec.get("type") == "array":
            items = spec["items"]
            value = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
                     and ("enum" not in items or v in items["enum"]) and len(v) <= items.get("maxLength", 99)]
            value = list(dict.fromkeys(value))[:spec.get("maxItems", 99)]
            if not value:
                continue
        elif "enum" in spec and value not in spec["enum"]:
            continue
        elif spec.get("type") == "string" and (not isinstance(value, str) or len(value) > spec.get("maxLength", 99)):
            continue
        elif spec.get("type") == "integer" and (isinstance(value, bool) or not isinstance(value, int)
                                                or not spec.get("minimum", 0) <= value <= spec.get("maximum", 10**9)):
            continue
        target[key] = value
    if "item" in target and "keywords" in target:
        target["keywords"] = [k for k in target["keywords"] if k != target["item"]]
        if not target["keywords"]:
            del target["keywords"]
    return ordered_target(target)


def utterance_rows(path: Path, created_at: str, exclude: set[str] = frozenset(),
                   variant: str = "tuned") -> list[dict]:
    """Rows from the hand-labeled utterances (`tests/data/nlu_utterances.jsonl`, the rules'
    development set; gold labels, not the rules' reading). Rows with a dialogue state are
    left out (the prompt does not show the state), and so are harmful/injection ones (those
    verdicts are the rules' alone)."""
    from assistant.nlu.model import build_messages, compact_json

    rows = []
    if not path.exists():
        return rows
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("state") or r.get("harmful") or r.get("injection") or _norm(r["text"]) in exclude:
            continue
        target = gold_target(r["intent"], r.get("slots") or {})
        if target is None:
            continue
        messages = build_messages(r["text"], [], variant) + [
            {"role": "assistant", "content": compact_json(target)}]
        rows.append({"messages": messages, "meta": {
            "id": f"utt-{r['id']}", "persona": "-", "task": "understanding", "intent": r["intent"],
            "spec_intent": r["intent"], "category": None, "created_at": created_at,
            "split_keys": [f"utt:{r['id']}"]}})
    return rows


def seen_blind_rows(sets: list[str], created_at: str, exclude: set[str] = frozenset(),
                    variant: str = "tuned") -> list[dict]:
    """Rows from blind batches that are already SEEN (first score reported, rules tuned on
    them): messages written and labeled by people, in the label convention the evaluation
    uses. Opt-in (`--nlu-seen-batches`): a batch named here is no longer blind for the model
    either, so it must never be the set a model trained on these rows is scored on. A
    conversation's turns keep their order; the prompt shows the shopper's earlier messages
    as at inference (`model.build_messages`). A message whose text also occurs in a batch not
    named (`exclude`, e.g. "장바구니 보여줘" in a fresh batch too) is left out."""
    from assistant.nlu import blind
    from assistant.nlu.model import build_messages, compact_json

    rows = []
    for name in sets:
        folder = blind.BLIND_DIR if name == "blind" else blind.BLIND_DIR / name
        batch = blind.load_blind(folder, "nlu_blind_*.jsonl")
        if name in blind.ONE_BASED_ORDINALS:
            batch = blind.zero_based_references(batch)
        for conv_id, turns in blind.conversations(batch):
            history: list[dict] = []
            for t, turn in enumerate(turns):
                target = gold_target(turn["intent"], turn.get("slots") or {})
                if target is not None and _norm(turn["text"]) not in exclude:   # also in a batch not seen
                    messages = build_messages(turn["text"], history, variant) + [
                        {"role": "assistant", "content": compact_json(target)}]
                    rows.append({"messages": messages, "meta": {
                        "id": f"seen-{name}-{conv_id}-{t}", "persona": "-", "task": "understanding",
                        "intent": turn["intent"], "spec_intent": turn["intent"], "category": None,
                        "created_at": created_at, "split_keys": [f"seen:{name}:{conv_id}"]}})
                history += [{"role": "user", "content": turn["text"]}, {"role": "assistant", "content": "(답변)"}]
    return rows


def nlu_rows(specs, created_at: str, exclude: set[str] = frozenset(),
             variant: str = "tuned") -> tuple[list[dict], Counter]:
    """(message, last turns) -> JSON rows. Labels: the rules' reading (`assistant.nlu`,
    context carried through the spec's earlier turns) corrected by what the spec was built
    from (the catalog leaf as the head noun, the allergens and budget of the template).
    Each row's messages are exactly what the model sees at inference (`model.build_messages`)."""
    from assistant.nlu import dialogue, parse
    from assistant.nlu.model import build_messages, compact_json
    from assistant.types import DialogueState

    rows, drops = [], Counter()
    for n, spec in enumerate(specs):
        state, history = DialogueState(), []
        for t, text in enumerate(spec.turns):
            und = parse(text, state)
            last = t == len(spec.turns) - 1
            item = spec.slots.get("item") if last and spec.slots.get("item") else None
            allergens = spec.slots.get("allergen_words", ()) if last else ()
            if last and "allergen_words" in spec.slots and und.intent not in ("search", "profile_update"):
                drops["rules_disagree_with_template"] += 1
                break
            target = nlu_target(und, item, allergens)
            if last and spec.slots.get("budget_max") and target.get("budget_max") != spec.slots["budget_max"]:
                drops["budget_mismatch"] += 1
                break
            if _norm(text) in exclude:
                drops["in_blind_set"] += 1
                break
            messages = build_messages(text, history, variant) + [
                {"role": "assistant", "content": compact_json(target)}]
            rows.append({"messages": messages, "meta": {
                "id": f"nlu{n:05d}-{t}", "persona": spec.persona, "task": "understanding",
                "intent": target["intent"], "spec_intent": spec.intent, "category": spec.category,
                "created_at": created_at, "split_keys": sorted(set(spec.product_ids) | set(spec.policy_ids))}})
            state, _ = dialogue.update_state(state, und, text)
            history += [{"role": "user", "content": text}, {"role": "assistant", "content": "(답변)"}]
    return rows, drops


def main_nlu(args: argparse.Namespace) -> int:
    from finetune.gates import assign_splits, dedupe
    from finetune.templates import nlu_specs

    if args.data_dir is None:
        from assistant.settings import Settings

        args.data_dir = Settings.from_env().data_dir
    products, policies = load_sources(args.data_dir)
    specs = nlu_specs(products, policies, random.Random(args.seed), args.limit)
    created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    exclude = blind_texts()
    rows, drops = nlu_rows(specs, created_at, exclude)
    rows += utterance_rows(Path(__file__).resolve().parent.parent / "tests" / "data" / "nlu_utterances.jsonl",
                           created_at, exclude)
    seen = [n.strip() for n in getattr(args, "nlu_seen_batches", "").split(",") if n.strip()]
    rows += seen_blind_rows(seen, created_at, blind_texts(skip=set(seen)) if seen else set())
    rows, n_exact, n_near = dedupe(rows)
    drops.update({"duplicate:exact": n_exact, "duplicate:near": n_near})
    splits = assign_splits(rows, args.seed)
    for name, split_rows in splits.items():
        # nlu_*.jsonl, and train/val/test.jsonl when --out is a folder of its own (finetune.train reads those)
        if args.nlu_plain_names:
            write_atomic(args.out / f"{name}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in split_rows))
        write_atomic(args.out / f"nlu_{name}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in split_rows))
    summary = {k: len(v) for k, v in splits.items()} | {"seen_batches": seen, "dropped": dict(drops.most_common()),
                                                         "intent": dict(Counter(r["meta"]["intent"] for r in rows))}
    write_atomic(args.out / "nlu_card.json", json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False))
    return 0


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
             "Model turns (search, product questions, policy) answer with replies composed from the prompt's facts",
             "in varied shapes (`finetune.compose`: answer first, why, next step), each checked by the app's validator;",
             "other turns keep the template reply (`assistant.replies`). The template draft is not in the prompt",
             "(`assistant.prompting.build_messages`, exactly as at inference). Val/test products and policy",
             "documents never occur in train.", "", f"Dropped by gates: {c['dropped']}", ""]
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
    if getattr(args, "task", "reply") == "nlu":
        return main_nlu(args)
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
    run_cli(main, make_parser)
