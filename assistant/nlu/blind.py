"""Scores on the blind sets (`tests/data/blind/nlu_blind_*.jsonl`): messages written by people
who never saw the rules, labeled with intent, slots and the constraints a correct answer meets.

    python -m assistant.nlu eval --set blind --mode rules --json [--no-products]

A line is one message `{"id", "text", "intent", "slots", "constraints"}` or a conversation
`{"id", "turns": [{"text", "intent", "slots", "constraints"}, ...]}` whose turns run in order
through one dialogue state. Scores, over every message (conversation turns included):
- `intent_acc`: the turn's final intent equals the label;
- `slot_f1`: micro F1 over (slot, value) pairs of the structured slots the turn itself states
  (budget_min/max, quantity, count, brands, avoid_brands, dietary_tags, allergens, urgency,
  reference kind/index, sort, order_id, policy_topic). Free keywords are not in it: they are
  scored as `item_acc`, the share of messages labeled with a head noun ("item") whose
  keywords contain it (or contain a word that contains it, e.g. "무선이어폰" for "이어폰");
- `allergen_recall`: of the allergens a message's constraints exclude (cumulative over the
  conversation), the share the assistant would exclude (turn slots + the session's sticky ones);
- `allergen_leaks`: products returned by the whole assistant (`--no-llm` answers, real
  retrieval) that contain an allergen the constraints exclude; `leak_messages` counts messages.
Each mode is a reader `(text, state) -> Understanding before carry`; `rules` is
`assistant.nlu.parse`. Other modes plug in through `READERS`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Iterator

BLIND_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "blind"
SCORED_SLOTS = ("budget_min", "budget_max", "quantity", "count", "brands", "avoid_brands",
                "dietary_tags", "allergens", "urgency", "reference", "sort", "order_id", "policy_topic")
_LIST_SLOTS = ("brands", "avoid_brands", "dietary_tags", "allergens")


def load_blind(directory: Path = BLIND_DIR, pattern: str = "nlu_blind_*.jsonl") -> list[dict]:
    """Every line of the blind files, in file order (each a message or a conversation)."""
    rows = []
    for path in sorted(Path(directory).glob(pattern)):
        with open(path, encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    if not rows:
        raise FileNotFoundError(f"no blind set matching {pattern} in {directory}")
    return rows


def conversations(rows: Iterable[dict]) -> Iterator[tuple[str, list[dict]]]:
    """(id, turns) for every line; a single message is a one-turn conversation."""
    for row in rows:
        yield row["id"], (row["turns"] if "turns" in row else [row])


def slot_pairs(slots: dict) -> set[tuple]:
    """(slot, value) pairs of the scored slots of a slots dict (labels or `asdict(Slots)`).

    >>> sorted(slot_pairs({"allergens": ["땅콩", "호두"], "budget_max": 10000, "keywords": ["과자"]}))
    [('allergens', '땅콩'), ('allergens', '호두'), ('budget_max', 10000)]
    >>> slot_pairs({"reference": {"kind": "index", "index": 1, "count": 1}})
    {('reference', ('index', 1))}
    """
    out = set()
    for name in SCORED_SLOTS:
        value = slots.get(name)
        if value in (None, "", [], ()):
            continue
        if name in _LIST_SLOTS:
            out.update((name, v) for v in value)
        elif name == "reference":
            out.add((name, (value.get("kind"), value.get("index") if value.get("kind") == "index" else None)))
        else:
            out.add((name, value))
    return out


def item_hit(item: str, keywords: Iterable[str]) -> bool:
    """The head noun is among the keywords (or inside one: "무선이어폰" holds "이어폰").

    >>> item_hit("이어폰", ["무선이어폰"]), item_hit("잼", ["땅콩버터"])
    (True, False)
    """
    item = item.replace(" ", "")
    return any(item in k.replace(" ", "") or k.replace(" ", "") == item for k in keywords)


def rules_reader(lexicon=None) -> Callable:
    from assistant.nlu.parser import parse

    return lambda text, state: parse(text, state, lexicon)


READERS: dict[str, Callable[..., Callable]] = {"rules": rules_reader}


def evaluate_blind(rows: list[dict], reader: Callable, assistant=None, catalog=None) -> dict:
    """Scores of `reader` over `rows`; with `assistant` (an `Assistant`) and `catalog`
    ({id: Product}) the turns also run through the whole assistant to count leaks."""
    from assistant.nlu import dialogue
    from assistant.types import DialogueState

    n = intent_ok = tp = fp = fn = 0
    item_n = item_ok = gold_allergens = found_allergens = 0
    leaks, leak_msgs, latencies, errors = 0, 0, [], []
    for conv_id, turns in conversations(rows):
        state = DialogueState(session_id=f"blind-{conv_id}")
        live = DialogueState(session_id=f"blind-live-{conv_id}")
        for i, turn in enumerate(turns):
            mid = conv_id if len(turns) == 1 else f"{conv_id}#{i + 1}"
            t0 = time.perf_counter()
            raw = reader(turn["text"], state)
            state, und = dialogue.update_state(state, raw, turn["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
            n += 1
            intent_ok += und.intent == turn["intent"]
            if und.intent != turn["intent"]:
                errors.append({"id": mid, "kind": "intent", "gold": turn["intent"], "pred": und.intent,
                               "text": turn["text"]})
            gold, pred = slot_pairs(turn.get("slots", {})), slot_pairs(asdict(raw.slots))
            tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
            if gold != pred:
                errors.append({"id": mid, "kind": "slots", "missing": sorted(map(str, gold - pred)),
                               "extra": sorted(map(str, pred - gold)), "text": turn["text"]})
            item = (turn.get("slots") or {}).get("item")
            if item:
                item_n += 1
                item_ok += item_hit(item, raw.slots.keywords)
            excluded = set((turn.get("constraints") or {}).get("excluded_allergens") or [])
            seen = set(und.slots.allergens) | set((state.sticky or {}).get("allergens") or [])
            gold_allergens += len(excluded)
            found_allergens += len(excluded & seen)
            if excluded - seen:
                errors.append({"id": mid, "kind": "allergen_missed", "missing": sorted(excluded - seen),
                               "text": turn["text"]})
            if assistant is not None:
                answer = assistant.answer(turn["text"], live, None, id=mid) or {}
                bad = [p["id"] for p in answer.get("products") or []
                       if p.get("id") in catalog and excluded & set(catalog[p["id"]].allergens)]
                if bad:
                    leaks += len(bad)
                    leak_msgs += 1
                    errors.append({"id": mid, "kind": "leak", "products": bad, "text": turn["text"]})
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    latencies.sort()
    pct = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None
    return {
        "messages": n, "intent_acc": round(intent_ok / n, 4) if n else None,
        "slot_f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
        "slot_precision": round(prec, 4), "slot_recall": round(rec, 4),
        "item_acc": round(item_ok / item_n, 4) if item_n else None, "item_n": item_n,
        "allergen_recall": round(found_allergens / gold_allergens, 4) if gold_allergens else None,
        "allergens_labeled": gold_allergens,
        "allergen_leaks": leaks if assistant is not None else None,
        "leak_messages": leak_msgs if assistant is not None else None,
        "latency_ms": {"p50": pct(0.5), "p95": pct(0.95)},
        "errors": errors,
    }


def services_for_leaks(settings=None):
    """(assistant, catalog) answering without a model, for the leak count."""
    from assistant.factory import build_services
    from assistant.settings import Settings

    settings = settings or Settings.from_env(no_llm=True)
    services = build_services(settings)
    return services.assistant, services.assistant.catalog
