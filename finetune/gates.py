"""Quality gates and the leak-free split for synthetic examples. Pure functions.

- `prompt_context`: the part of a prompt an answer may draw facts from (facts, history, the
  user's words) without the embedded draft, which would make every check trivially pass.
- `check_example`: length bounds, grounding (no number or product name outside the
  context) and citation format; returns the reasons an example fails.
- `dedupe`: exact duplicates, then near duplicates (same reply, question char-3-gram
  Jaccard >= 0.8).
- `balance`: caps the share of any one intent and any one category.
- `assign_splits`: items (products, policy documents) go to train/val/test by a seeded hash;
  an example lands in the most restrictive split of any item in it, so no val/test item is
  ever seen in training.

Example:
    >>> jaccard("비건 간식 추천해줘", "비건 간식 추천해 줘")
    1.0
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict

from finetune.metrics import citation_ok, grounding_errors

RULES_END = "\n[자료]\n"   # the facts block opens on its own line (rules mention [자료] inline)
QUOTE = re.compile(r"「([^」]*)」")



def prompt_context(messages: list[dict]) -> str:
    """Facts block + earlier turns + user messages: what a reply may rely on."""
    parts = []
    for m in messages:
        text = m["content"]
        if m["role"] == "system":
            start = text.rfind("<초안>\n")   # the rules mention <초안> inline; the draft block is last
            # policy passages the draft quotes are listed by heading only in the facts (to keep the
            # prompt short): their 「quoted」 text is data, so it counts as context; the rest of
            # the draft does not
            quotes = QUOTE.findall(text[start:]) if start != -1 else []
            text = text[:start] if start != -1 else text
            text = text[text.find(RULES_END):] if RULES_END in text else text
            text = "\n".join([text, *quotes])
        parts.append(text)
    return "\n".join(parts)


def check_example(messages: list[dict], reply: str, context_ids: tuple[str, ...], names: tuple[str, ...],
                  *, min_reply: int = 8, max_reply: int = 400, max_prompt_chars: int = 2400) -> list[str]:
    """Reasons the example fails the gates (empty list = keep)."""
    reasons = []
    user = messages[-1]["content"]
    if not 2 <= len(user) <= 200:
        reasons.append("length:user")
    if not min_reply <= len(reply) <= max_reply:
        reasons.append("length:reply")
    if sum(len(m["content"]) for m in messages) > max_prompt_chars:
        reasons.append("length:prompt")
    if grounding_errors(reply, prompt_context(messages), names, len(context_ids)):
        reasons.append("grounding")
    if not citation_ok(reply, context_ids, required=False):
        reasons.append("citation")
    return reasons


def _norm(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


def _grams(text: str) -> set[str]:
    t = _norm(text)
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def jaccard(a: str, b: str) -> float:
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


def dedupe(rows: list[dict], threshold: float = 0.8) -> tuple[list[dict], int, int]:
    """Drop exact then near duplicates; returns (kept, n_exact, n_near)."""
    seen: set[str] = set()
    exact: list[dict] = []
    for r in rows:
        key = _norm(" ".join(m["content"] for m in r["messages"] if m["role"] != "system"))
        if key not in seen:
            seen.add(key)
            exact.append(r)
    by_reply: dict[str, list[dict]] = defaultdict(list)
    kept = []
    for r in exact:
        reply = r["messages"][-1]["content"]
        question = r["messages"][-2]["content"]
        group = by_reply[_norm(reply)]
        if any(jaccard(question, g["messages"][-2]["content"]) >= threshold for g in group):
            continue
        group.append(r)
        kept.append(r)
    return kept, len(rows) - len(exact), len(exact) - len(kept)


def balance(rows: list[dict], max_intent_share: float = 0.3, max_category_share: float = 0.35) -> list[dict]:
    """Keep rows in order while no intent / category exceeds its share of the final size."""
    n = len(rows)
    cap_i, cap_c = math.ceil(max_intent_share * n), math.ceil(max_category_share * n)
    ci: Counter = Counter()
    cc: Counter = Counter()
    out = []
    for r in rows:
        i, c = r["meta"]["intent"], r["meta"].get("category") or "-"
        if ci[i] >= cap_i or (c != "-" and cc[c] >= cap_c):
            continue
        ci[i] += 1
        cc[c] += 1
        out.append(r)
    return out


def _bucket(key: str, seed: int) -> float:
    h = hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()
    return int(h[:8], 16) / 0xFFFFFFFF


def item_split(key: str, seed: int, val: float, test: float) -> str:
    u = _bucket(key, seed)
    return "test" if u < test else "val" if u < test + val else "train"


_ORDER = {"train": 0, "val": 1, "test": 2}


def assign_splits(rows: list[dict], seed: int, product_frac: tuple[float, float] = (0.05, 0.06),
                  policy_frac: tuple[float, float] = (0.12, 0.15)) -> dict[str, list[dict]]:
    """Split rows so val/test items never occur in train (fractions are (val, test) per item)."""
    out: dict[str, list[dict]] = {"train": [], "val": [], "test": []}
    for r in rows:
        keys = r["meta"]["split_keys"]
        if not keys:
            split = item_split("q:" + r["messages"][-2]["content"], seed, 0.08, 0.1)  # the question
        else:
            splits = [item_split(k, seed, *(policy_frac if k.startswith("policy:") else product_frac)) for k in keys]
            split = max(splits, key=_ORDER.__getitem__)
        out[split].append(r)
    return out
