"""Intent and slot accuracy of `assistant.nlu.parse` over the labeled Korean utterances.

Usage:
    python -m assistant.nlu eval                 # table
    python -m assistant.nlu eval --json          # one JSON object
    python -m assistant.nlu eval --errors        # also list every mismatch
    python -m assistant.nlu eval --queries data/eval/queries_test.jsonl --catalog data/catalog/products.jsonl
        # cross-check against the retrieval eval queries written by the data generator

Each line of the data file is `{"id", "text", "intent", "slots": {...}, "state"?: {...},
"harmful"?: bool, "injection"?: bool}`; slots left out are expected empty. A slot counts as
right when the predicted value equals the label exactly (lists compared as sets; budget as
the (min, max) pair; reference as (kind, index, count)). "all" accuracy is over every line,
"active" only over lines where the label or the prediction is non-empty (the stricter one).
Categories are scored only on lines that label them (`slots.categories`, written against the
store catalog's tree, which the built-in lexicon mirrors). A line may also carry `resolved`
(slot fields after `dialogue.update_state` with its `state`, e.g. sticky diets left off a
detergent search); those fields are scored as "dialogue". Lines carry a
`split`: "dev" (written first, parser tuned on them) or "heldout"/"heldout2" (written blind,
scored once, then used for fixes: see docs/benchmarks/nlu.md for their first-run numbers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "nlu_utterances.jsonl"
SLOT_TYPES = ("keywords", "budget", "quantity", "count", "brands", "avoid_brands", "dietary_tags",
              "allergens", "urgency", "reference", "sort", "order_id", "policy_topic", "safety")


def _gold(row: dict, slot: str):
    s = row.get("slots", {})
    if slot == "budget":
        return (s.get("budget_min"), s.get("budget_max"))
    if slot == "reference":
        r = s.get("reference")
        return None if not r else (r["kind"], r.get("index"), r.get("count", 1))
    if slot == "safety":
        return (bool(row.get("harmful")), bool(row.get("injection")))
    if slot in ("keywords", "brands", "avoid_brands", "dietary_tags", "allergens"):
        return frozenset(s.get(slot, []))
    return s.get(slot)


def _pred(u, slot: str):
    s = u.slots
    if slot == "budget":
        return (s.budget_min, s.budget_max)
    if slot == "reference":
        r = s.reference
        return None if r is None else (r.kind, r.index, r.count)
    if slot == "safety":
        return (u.harmful, u.injection)
    if slot in ("keywords", "brands", "avoid_brands", "dietary_tags", "allergens"):
        return frozenset(getattr(s, slot))
    return getattr(s, slot)


def _empty(value) -> bool:
    return value in (None, (None, None), (False, False)) or value == frozenset()


def evaluate(rows: list[dict], lexicon=None) -> dict:
    """Scores for `rows`; `errors` lists every mismatch for inspection."""
    from assistant.nlu import parse
    from assistant.types import DialogueState

    intent_ok = 0
    by_split: dict[str, list[int]] = {}
    slot_all = {k: 0 for k in SLOT_TYPES}
    slot_active = {k: [0, 0] for k in SLOT_TYPES}
    errors: list[dict] = []
    extra = {"categories": [0, 0], "dialogue": [0, 0]}  # only lines that label them
    load_started = time.perf_counter()
    parse("워밍업", None, lexicon)  # loads the morpheme analyzer once, timed apart
    load_s = time.perf_counter() - load_started
    started = time.perf_counter()
    for row in rows:
        state = DialogueState.from_dict(row["state"]) if row.get("state") else None
        u = parse(row["text"], state, lexicon)
        split = by_split.setdefault(row.get("split", "dev"), [0, 0])
        split[1] += 1
        if u.intent == row["intent"]:
            intent_ok += 1
            split[0] += 1
        else:
            errors.append({"id": row["id"], "text": row["text"], "slot": "intent",
                           "gold": row["intent"], "pred": u.intent})
        _score_extra(row, u, state, extra, errors)
        for slot in SLOT_TYPES:
            gold, pred = _gold(row, slot), _pred(u, slot)
            ok = gold == pred
            slot_all[slot] += ok
            if not (_empty(gold) and _empty(pred)):
                slot_active[slot][0] += ok
                slot_active[slot][1] += 1
            if not ok:
                errors.append({"id": row["id"], "text": row["text"], "slot": slot,
                               "gold": _show(gold), "pred": _show(pred)})
    elapsed = time.perf_counter() - started
    n = len(rows)
    return {
        "n": n,
        "intent_accuracy": round(intent_ok / n, 4) if n else 0.0,
        "intent_accuracy_by_split": {k: {"accuracy": round(a / t, 4), "n": t} for k, (a, t) in by_split.items()},
        "slot_accuracy": {k: round(v / n, 4) for k, v in slot_all.items()} if n else {},
        "slot_accuracy_active": {k: {"accuracy": round(a / t, 4) if t else 1.0, "n": t}
                                 for k, (a, t) in slot_active.items()},
        "all_slots_exact": round(sum(1 for r in rows if not any(
            e["id"] == r["id"] and e["slot"] != "intent" for e in errors)) / n, 4) if n else 0.0,
        "labeled_only": {k: {"accuracy": round(a / t, 4) if t else 1.0, "n": t} for k, (a, t) in extra.items()},
        "ms_per_utterance": round(1000 * elapsed / n, 2) if n else 0.0,
        "analyzer_load_s": round(load_s, 2),
        "errors": errors,
    }


def _as_set(value):
    return frozenset(value) if isinstance(value, (list, tuple)) else value


def _score_extra(row: dict, u, state, extra: dict, errors: list[dict]) -> None:
    """Categories (when labeled) and resolved dialogue fields (when the line has `resolved`)."""
    if "categories" in row.get("slots", {}):
        gold, pred = frozenset(row["slots"]["categories"]), frozenset(u.slots.categories)
        extra["categories"][0] += gold == pred
        extra["categories"][1] += 1
        if gold != pred:
            errors.append({"id": row["id"], "text": row["text"], "slot": "categories",
                           "gold": sorted(gold), "pred": sorted(pred)})
    if "resolved" in row:
        from assistant.nlu.dialogue import update_state

        _, r = update_state(state, u, row["text"])
        for field, want in row["resolved"].items():
            got = getattr(r.slots, field) if field != "intent" else r.intent
            ok = _as_set(want) == _as_set(got)
            extra["dialogue"][0] += ok
            extra["dialogue"][1] += 1
            if not ok:
                errors.append({"id": row["id"], "text": row["text"], "slot": f"resolved.{field}",
                               "gold": want, "pred": _show(_as_set(got))})


def _show(value):
    if isinstance(value, frozenset):
        return sorted(value)
    return value


PRODUCT_INTENTS = ("search", "product_question", "cart_add")


def evaluate_queries(rows: list[dict], lexicon=None) -> dict:
    """Agreement with `data/eval/queries_*.jsonl`, labeled independently (by the data
    generator): product queries should get a product intent and the same budget,
    excluded allergens and required tags; policy queries the policy intent.
    Required tags count as right when every labeled tag was found (the labels list only
    the tags used to compute the relevant set, so extra tags are not errors there)."""
    from assistant.nlu import parse

    totals = {"intent": [0, 0], "budget": [0, 0], "allergens": [0, 0], "tags": [0, 0]}
    errors = []
    for r in rows:
        u = parse(r["query"], None, lexicon)
        c = r.get("constraints", {})
        checks = {}
        if r["type"] == "policy":
            checks["intent"] = u.intent == "policy"
        else:
            checks["intent"] = u.intent in PRODUCT_INTENTS
            checks["budget"] = (c.get("min_price"), c.get("max_price")) == (u.slots.budget_min, u.slots.budget_max)
            checks["allergens"] = set(c.get("excluded_allergens", [])) == set(u.slots.allergens)
            checks["tags"] = set(c.get("required_tags", [])) <= set(u.slots.dietary_tags)
        for key, ok in checks.items():
            totals[key][0] += ok
            totals[key][1] += 1
            if not ok:
                errors.append({"id": r["id"], "text": r["query"], "slot": key,
                               "gold": r["type"] if key == "intent" else c, "pred": u.intent if key == "intent" else
                               {"budget": (u.slots.budget_min, u.slots.budget_max), "allergens": u.slots.allergens,
                                "tags": u.slots.dietary_tags}[key]})
    return {"n": len(rows), "agreement": {k: {"accuracy": round(a / t, 4) if t else 1.0, "n": t}
                                          for k, (a, t) in totals.items()}, "errors": errors}


def load_rows(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{line_no}: bad JSON ({exc})") from None
    return rows


def make_parser() -> argparse.ArgumentParser:
    from assistant.nlu.blind import batch_names

    p = argparse.ArgumentParser(
        prog="python -m assistant.nlu eval",
        description="Intent and per-slot accuracy of the Korean parser on labeled utterances.",
        epilog="example: python -m assistant.nlu eval --json > nlu_scores.json",
    )
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labeled JSONL (default: %(default)s)")
    p.add_argument("--catalog", type=Path, default=None,
                   help="products.jsonl to build the lexicon from (default: built-in lexicon)")
    p.add_argument("--queries", type=Path, default=None,
                   help="instead: cross-check against a data/eval/queries_*.jsonl file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--errors", action="store_true", help="list every mismatch")
    p.add_argument("--set", choices=("labeled", "blind", *batch_names()),
                   default="labeled",
                   help="labeled: the tuned set (--data); blind: tests/data/blind (assistant.nlu.blind); "
                        "holdout, holdout_d, holdout_e, ...: batches C, D, E, ... in tests/data/blind/holdout*/")
    p.add_argument("--mode", default="rules", help="blind set: comma-separated readers (rules, ...)")
    p.add_argument("--model", default="qwen0.5b",
                   help="blind set, model modes: chat model alias, hub id or folder (default: %(default)s)")
    p.add_argument("--adapter", default="default",
                   help="blind set, model modes: LoRA adapter folder, default (the app's) or none")
    p.add_argument("--limit", type=int, default=0, help="blind set: N lines evenly spaced over the set (0 = all): the model modes are slow on a CPU")
    p.add_argument("--model-cache", default="",
                   help="blind set, model modes: JSON file keeping the model's answers (one file per model and "
                        "adapter: the key is the message only), so a merge change is re-scored without the model")
    p.add_argument("--no-products", action="store_true",
                   help="blind set: skip the whole-assistant run that counts allergen leaks")
    return p


def main_blind(args) -> int:
    from assistant.nlu import blind

    rows = (blind.load_blind() if args.set == "blind"
            else blind.load_blind(blind.BLIND_DIR / args.set, "nlu_blind_*.jsonl"))
    if args.set in blind.ONE_BASED_ORDINALS:
        rows = blind.zero_based_references(rows)
    if args.limit and args.limit < len(rows):   # evenly spaced, so both files and conversations are in
        step = len(rows) / args.limit
        rows = [rows[int(i * step)] for i in range(args.limit)]
    modes = args.mode.split(",")
    for mode in modes:
        if mode not in blind.READERS:
            print(f"알 수 없는 모드예요 / unknown mode {mode!r}; known: {', '.join(blind.READERS)}", file=sys.stderr)
            return 2
    assistant = catalog = None
    if not args.no_products:
        assistant, catalog = blind.services_for_leaks()
    generator = None
    if set(modes) & set(blind.MODEL_MODES):   # one cache for every model reader of the run
        generator = blind.CachedJson(blind.make_generator(args.model, args.adapter), args.model_cache or None)
    out = {}
    for mode in modes:
        reader = blind.READERS[mode](generator) if mode in blind.MODEL_MODES else blind.READERS[mode]()
        result = blind.evaluate_blind(rows, reader, assistant, catalog)
        if mode in blind.MODEL_MODES:
            result["model"] = getattr(generator, "name", args.model)
        if not args.errors:
            result.pop("errors")
        out[mode] = result
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for mode, r in out.items():
            print(f"[{mode}] messages {r['messages']}  intent {r['intent_acc']}  slot F1 {r['slot_f1']}  "
                  f"item {r['item_acc']}  allergen recall {r['allergen_recall']}  leaks {r['allergen_leaks']}  "
                  f"p50/p95 {r['latency_ms']['p50']}/{r['latency_ms']['p95']} ms"
                  + (f"  model share {r['model_share']} call p95 {r['model_call_ms']['p95']} ms" if "model_share" in r else ""))
            for e in r.get("errors", []):
                print("  ", json.dumps(e, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.set != "labeled":
        return main_blind(args)
    from assistant.nlu.lexicon import Lexicon

    lexicon = None
    if args.catalog:
        from store import load_catalog
        lexicon = Lexicon.from_products(load_catalog(args.catalog))
    if args.queries:
        result = evaluate_queries(load_rows(args.queries), lexicon)
        if not args.errors:
            result.pop("errors")
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=1))
            return 0
        print(f"queries: {result['n']}")
        for key, v in result["agreement"].items():
            print(f"{key:10} {v['accuracy']:7.1%}  (n={v['n']})")
        for e in result.get("errors", []):
            print(f"  {e['id']:22} {e['slot']:9} gold={e['gold']!r} pred={e['pred']!r} | {e['text'][:40]}")
        return 0
    result = evaluate(load_rows(args.data), lexicon)
    if args.json:
        out = dict(result)
        if not args.errors:
            out.pop("errors")
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"utterances: {result['n']}   {result['ms_per_utterance']} ms/utterance "
          f"(analyzer load {result['analyzer_load_s']} s)")
    print(f"intent accuracy: {result['intent_accuracy']:.1%}   by split: " + ", ".join(
        f"{k} {v['accuracy']:.1%} (n={v['n']})" for k, v in result["intent_accuracy_by_split"].items()))
    print(f"all slots exact: {result['all_slots_exact']:.1%}")
    print("labeled lines only: " + ", ".join(
        f"{k} {v['accuracy']:.1%} (n={v['n']})" for k, v in result["labeled_only"].items()))
    print(f"{'slot':14} {'all':>7} {'active':>7} {'n_active':>8}")
    for slot in SLOT_TYPES:
        act = result["slot_accuracy_active"][slot]
        print(f"{slot:14} {result['slot_accuracy'][slot]:7.1%} {act['accuracy']:7.1%} {act['n']:8d}")
    if args.errors:
        for e in result["errors"]:
            print(f"  {e['id']:5} {e['slot']:12} gold={e['gold']!r} pred={e['pred']!r}  | {e['text'][:50]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
