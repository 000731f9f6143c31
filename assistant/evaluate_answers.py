"""Does the reply answer what was asked? Item-type precision, ranking, policy section, answer first.

    python -m assistant.evaluate_answers --set test --json     # data/eval/queries_test.jsonl
    python -m assistant.evaluate_answers --set blind --json    # tests/data/blind/*.jsonl
    python -m assistant.evaluate_answers --set dev             # tuning split

Every turn runs the real assistant (`Assistant.answer`, template replies, no LLM, anonymous,
fresh session) over the live index in `--index-dir`, and is scored on what the shopper sees:

- type precision@3: share of the (up to) three products shown whose name contains one of the
  asked item's terms and none of its exclude terms; a query where the store has the item but
  nothing is shown scores 0; a spec naming no item (only tags: "고단백 저지방") is not scored.
  Item terms: blind rows carry them (`item_terms`,
  `exclude_terms`); test/dev product rows get them from the generator's own spec line
  (`store.datagen.query_specs`, the `kw` words that define the relevant ids), or, for a spec
  that names only a category (`cat`/`in`), the item is "a product under that category path".
- nDCG@10 (test/dev): the ranking the search turn builds (`Assistant.ranked_products`, k=10)
  against the generator's relevant ids.
- allergen leaks: shown products containing an allergen the row excludes (must be 0).
- policy passage accuracy@1: the first cited policy passage (`sources[].passage_id`) is the
  labeled section (blind: `passage` or `also_ok`; test/dev: `data/labels/policy_sections.jsonl` (hand labels, not generated)).
- answer-first rate: the reply's first sentence answers (네/아니요/조건… or a deciding number
  or fact) instead of opening with a quote or a document title. Blind rows also score whether
  that sentence holds a labeled key fact, and whether its 네/아니요 matches the label.
- yes/no accuracy: among questions labeled yes/no, the share whose reply opens with the labeled
  네/아니요 (a conditional or fact opening does not count); `yes_no_claimed` / `yes_no_wrong`:
  replies opening with 네/아니요 at all, and how many of them the label contradicts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from assistant.nlu.blind import batch_letter, batch_names
from assistant.settings import REPO_ROOT

SECTION_LABELS = REPO_ROOT / "data" / "labels" / "policy_sections.jsonl"
_BLIND = REPO_ROOT / "tests" / "data" / "blind"
# name -> (product file, policy file). `holdout` (batch C) and `holdout_d`, `holdout_e`, ... (one
# folder per batch, found on disk) were written blind while the code changed and scored first when
# they were new (see test_blind_frozen.py).
BLIND_SETS = {"blind": (_BLIND / "product_blind.jsonl", _BLIND / "policy_blind.jsonl")}
BLIND_SETS.update({name: (_BLIND / name / f"product_blind_{batch_letter(name)}.jsonl",
                          _BLIND / name / f"policy_blind_{batch_letter(name)}.jsonl")
                   for name in batch_names(_BLIND)})
SETS = ("dev", "test", *BLIND_SETS)

# A first sentence that answers: polarity word, a condition, or a concrete fact.
_YES = re.compile(r"^(네|예)[,.! ]")
_NO = re.compile(r"^아니요[,.! ]")
_COND = re.compile(r"^(조건|조건부로|경우에 따라)")
_QUOTE_OPEN = re.compile(r"^[^「\n]{0,40}[:：]\s*「|^「")


def read_jsonl(path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


# ---- item labels ------------------------------------------------------------------------
def spec_items() -> dict[str, dict]:
    """query text -> {"item_terms", "exclude_terms", "category"} from the generator's specs."""
    from store.datagen.queries import constraints_of, parse_variants
    from store.datagen.query_specs import SPECS
    from store.datagen.spec import _split

    out: dict[str, dict] = {}
    for line in (x for x in SPECS.strip().splitlines() if x.strip()):
        for text, fields in parse_variants(line):
            cons = constraints_of(fields)
            scopes = [c for c in (cons.get("category"), fields.get("in")) if c]
            out[text] = {"item_terms": list(_split(fields.get("kw", ""))), "exclude_terms": [],
                         "category": scopes}
    return out


def is_item(product: dict, label: dict) -> bool:
    """Whether a shown product (card dict) is the asked kind of thing."""
    name = _norm(product.get("name", ""))
    if any(_norm(t) and _norm(t) in name for t in label.get("exclude_terms", ())):
        return False
    terms = label.get("item_terms") or []
    if terms:
        return any(_norm(t) in name for t in terms)
    scopes = label.get("category") or []
    return any((product.get("category", "") + "/").startswith(s.rstrip("/") + "/") for s in scopes)


def product_rows(name: str) -> list[dict]:
    if name in BLIND_SETS:
        return read_jsonl(BLIND_SETS[name][0])
    items = spec_items()
    rows = []
    for q in read_jsonl(REPO_ROOT / "data" / "eval" / f"queries_{name}.jsonl"):
        if q.get("type") != "product":
            continue
        label = items.get(q["query"])
        if label is None:
            raise SystemExit(f"no generator spec for query {q['query']!r}: regenerate the eval set")
        rows.append({**q, **label, "exists": True})
    return rows


def policy_rows(name: str) -> list[dict]:
    if name in BLIND_SETS:
        return read_jsonl(BLIND_SETS[name][1])
    labels = {r["id"]: r for r in read_jsonl(SECTION_LABELS)} if SECTION_LABELS.exists() else {}
    rows = []
    for q in read_jsonl(REPO_ROOT / "data" / "eval" / f"queries_{name}.jsonl"):
        if q.get("type") != "policy":
            continue
        lab = labels.get(q["id"])
        if lab is None or lab.get("query") != q["query"]:
            raise SystemExit(f"no section label for {q['id']} ({q['query']!r}) in {SECTION_LABELS}")
        rows.append({**q, "passage": lab["passage"], "also_ok": lab.get("also_ok", []),
                     "answer": lab.get("answer"), "key_facts": lab.get("key_facts", [])})
    return rows


# ---- scoring ----------------------------------------------------------------------------
def first_sentence(reply: str) -> str:
    text = (reply or "").strip()
    line = text.split("\n", 1)[0]
    m = re.search(r"(?<=[.!?])\s", line)
    return line[: m.start()] if m else line


def polarity(sentence: str) -> str | None:
    if _YES.match(sentence):
        return "yes"
    if _NO.match(sentence):
        return "no"
    if _COND.match(sentence):
        return "conditional"
    return None


def answers_first(reply: str) -> bool:
    """The first sentence is an answer: not a quote or a 'title(heading):' line, and it opens with
    네/아니요/조건 or states a number or a fact sentence of its own."""
    s = first_sentence(reply)
    if not s or _QUOTE_OPEN.search(s) or s.startswith(("관련된 정책 안내를 찾지 못했어요",)):
        return False
    tail = re.sub(r"\s*\([^()]*\)\s*(?=[.!]?$)", "", s.rstrip())   # "…무료입니다(… 별도)." ends a fact sentence
    return polarity(s) is not None or bool(re.search(r"\d", s)) or tail.endswith(("요.", "다.", "요", "다"))


def score_products(assistant, rows: list[dict], with_ndcg: bool) -> dict:
    from assistant.types import DialogueState
    from retrieval.metrics import score_query

    per, prec, ndcg, ndcg_shown, leaks, shown_none, not_found_text = [], [], [], [], 0, 0, 0
    for r in rows:
        ans = assistant.answer(r["query"], DialogueState()) or {}
        shown = (ans.get("products") or [])[:3]
        hits = [is_item(p, r) for p in shown]
        excluded = set((r.get("constraints") or {}).get("excluded_allergens", ()))
        leaks += sum(1 for p in shown if excluded & set(p.get("allergens", ())))
        if not shown:
            shown_none += 1
        if "찾지 못했어요" in (ans.get("reply") or ""):
            not_found_text += 1
        p3 = (sum(hits) / len(hits)) if hits else 0.0
        labeled = bool(r.get("item_terms") or r.get("category"))   # a spec naming only tags names no item
        if r.get("exists", True) and labeled:
            prec.append(p3)
        row = {"id": r["id"], "query": r["query"], "intent": ans.get("intent"), "p@3": round(p3, 3),
               "shown": [p.get("name") for p in shown], "exists": r.get("exists", True)}
        if with_ndcg:
            ranked = assistant.ranked_products(r["query"], DialogueState(), k=10)
            row["ndcg@10"] = round(score_query([(i,) for i in ranked], set(r["relevant"]), 10)["ndcg@10"], 4)
            ndcg.append(row["ndcg@10"])
            try:   # the list cut to the asked item (a baseline without the rerank has no such cut)
                shown10 = assistant.ranked_products(r["query"], DialogueState(), k=10, only_item=True)
            except TypeError:
                shown10 = None
            if shown10 is not None:
                row["ndcg@10_shown"] = round(score_query([(i,) for i in shown10], set(r["relevant"]), 10)["ndcg@10"], 4)
                ndcg_shown.append(row["ndcg@10_shown"])
        per.append(row)
    out = {"n": len(rows), "type_precision@3": round(sum(prec) / max(len(prec), 1), 4),
           "n_scored": len(prec), "allergen_leaks": leaks, "nothing_shown": shown_none,
           "not_found_replies": not_found_text}
    missing = [r for r in rows if not r.get("exists", True)]
    if missing:
        relaxed = [p for p in per if not p["exists"] and p["shown"]]
        out["no_exact_match"] = {"n": len(missing), "offered_alternatives": len(relaxed),
                                 "alt_type_precision@3": round(sum(p["p@3"] for p in relaxed) / max(len(relaxed), 1), 4)}
    if with_ndcg:
        out["ndcg@10"] = round(sum(ndcg) / max(len(ndcg), 1), 4)
        if ndcg_shown:   # the list cut to the asked item, as a shopper would page through it
            out["ndcg@10_item_only"] = round(sum(ndcg_shown) / len(ndcg_shown), 4)
    return out | {"rows": per}


def score_policy(assistant, rows: list[dict]) -> dict:
    from assistant.types import DialogueState

    per, acc, first, key, pol, pol_n, claims, wrong = [], 0, 0, 0, 0, 0, 0, 0
    for r in rows:
        ans = assistant.answer(r["query"], DialogueState()) or {}
        cited = [s.get("passage_id") for s in ans.get("sources", []) if s.get("kind") == "policy"]
        top = cited[0] if cited else None
        ok = top is not None and (top == r["passage"] or top in r.get("also_ok", ()))
        reply = ans.get("reply") or ""
        af = top is not None and answers_first(reply)   # a product list is not an answer to a policy question
        s1 = first_sentence(reply)
        kf = af and bool(r.get("key_facts")) and any(_norm(k) in _norm(s1) for k in r["key_facts"])
        got = polarity(s1)
        acc += ok
        first += af
        key += kf
        if r.get("answer") in ("yes", "no"):
            pol_n += 1
            pol += got == r["answer"]
        if got in ("yes", "no"):   # every 네/아니요 the reply claims, right or wrong
            claims += 1
            wrong += got != r.get("answer")
        per.append({"id": r["id"], "query": r["query"], "intent": ans.get("intent"), "top": top,
                    "want": r["passage"], "ok": ok, "answer_first": af, "key_fact_first": kf,
                    "polarity": got, "label": r.get("answer"), "first": s1[:120]})
    n = max(len(rows), 1)
    out = {"n": len(rows), "passage_acc@1": round(acc / n, 4), "answer_first": round(first / n, 4)}
    if any(r.get("key_facts") for r in rows):
        out["key_fact_first"] = round(key / n, 4)
    if pol_n:
        out["yes_no_accuracy"] = round(pol / pol_n, 4)
        out["n_yes_no"] = pol_n
    out["yes_no_claimed"] = claims   # replies opening with 네/아니요
    out["yes_no_wrong"] = wrong      # of those, the label says otherwise (yes/no/conditional/info)
    return out | {"rows": per}


class CachedEmbedder:
    """Query vectors memoised in memory and, with `path`, on disk between runs (the
    evaluation repeats the same queries; the vectors of a model do not change)."""

    def __init__(self, inner, path: str | None = None) -> None:
        self.inner, self.path, self.cache = inner, path, {}
        self.model_id = getattr(inner, "model_id", "")
        if path and Path(path).exists():
            import numpy as np

            z = np.load(path, allow_pickle=False)
            if str(z["model_id"]) == self.model_id:
                self.cache.update(zip(z["texts"].tolist(), z["vectors"]))

    def encode_queries(self, texts):
        import numpy as np

        todo = [t for t in texts if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.inner.encode_queries(todo)))
        return np.stack([self.cache[t] for t in texts])

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def save(self) -> None:
        import numpy as np

        if self.path and self.cache:
            tmp = Path(self.path).with_suffix(".tmp.npz")
            np.savez(tmp, model_id=self.model_id, texts=np.array(list(self.cache)),
                     vectors=np.stack(list(self.cache.values())))
            tmp.replace(self.path)


def build_assistant(settings, query_cache: str | None = None, nlu_mode: str = "off", nlu_cache: str = ""):
    """The assistant over the live index, with no database: anonymous turns, catalog stock.
    Replies are the template's; with `nlu_mode` auto/always the understanding adapter reads the
    messages as in the app (`assistant.nlu.blind.make_generator`; `nlu_cache` keeps its answers)."""
    from assistant.factory import make_embedder
    from assistant.generators import TemplateGenerator
    from assistant.nlu import Lexicon
    from assistant.service import Assistant
    from retrieval import open_store_index
    from store import load_catalog, load_policies

    data = Path(settings.data_dir)
    catalog = load_catalog(data / "catalog" / "products.jsonl")
    policies = load_policies(data / "policies")
    embedder = CachedEmbedder(make_embedder(settings), query_cache)
    retriever = open_store_index(catalog, policies, settings.index_dir, embedder, alpha=settings.fusion_alpha)
    nlu_generator = None
    if nlu_mode != "off":
        from assistant.nlu import blind

        nlu_generator = blind.CachedJson(blind.make_generator(settings.chat_model, "none"), nlu_cache or None)
    assistant = Assistant(catalog, policies, retriever, generator=TemplateGenerator(),
                          lexicon=Lexicon.from_products(catalog), nlu_mode=nlu_mode, nlu_generator=nlu_generator)
    assistant.eval_embedder = embedder
    return assistant


def with_profile(assistant, tags: str, allergens: str = ""):
    """Every turn as a signed-in shopper whose profile holds these diet tags / allergens
    (comma lists): how often a standing profile condition leaves the shopper with nothing."""
    from assistant.grounding import ProfileView

    view = ProfileView(exclude_allergens=frozenset(a for a in allergens.split(",") if a),
                       required_tags=frozenset(t for t in tags.split(",") if t))
    assistant.profile_view = lambda state, customer_id=None: view
    return assistant


def run(name: str, settings, limit: int = 0, parts: str = "product,policy", query_cache: str | None = None,
        profile_tags: str = "", profile_allergens: str = "", nlu_mode: str = "off", nlu_cache: str = "") -> dict:
    t0 = time.perf_counter()
    assistant = build_assistant(settings, query_cache, nlu_mode, nlu_cache)
    if profile_tags or profile_allergens:
        with_profile(assistant, profile_tags, profile_allergens)
    result: dict = {"set": name}
    if "product" in parts:
        rows = product_rows(name)[: limit or None]
        result["product"] = score_products(assistant, rows, with_ndcg=name not in BLIND_SETS)
    if "policy" in parts:
        rows = policy_rows(name)[: limit or None]
        result["policy"] = score_policy(assistant, rows)
    assistant.eval_embedder.save()
    result["_meta"] = {"seconds": round(time.perf_counter() - t0, 1),
                       "loadavg": [round(x, 2) for x in os.getloadavg()], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    return result


def summary(result: dict) -> dict:
    return {k: ({kk: vv for kk, vv in v.items() if kk != "rows"} if isinstance(v, dict) else v)
            for k, v in result.items()}


def main(argv: list[str] | None = None) -> int:
    from assistant.settings import Settings, add_cli_args

    p = argparse.ArgumentParser(prog="python -m assistant.evaluate_answers", description=__doc__.split("\n")[0])
    p.add_argument("--set", choices=SETS, default="test")
    p.add_argument("--parts", default="product,policy", help="product, policy or both (comma list)")
    p.add_argument("--limit", type=int, default=0, help="only the first N rows of each part")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--rows", type=Path, help="also write every row's result to this JSON file")
    p.add_argument("--query-cache", default="", help="npz file keeping query vectors between runs (speed only)")
    p.add_argument("--profile-tags", default="", help="run every turn with these profile diet tags (e.g. 비건)")
    p.add_argument("--profile-allergens", default="", help="run every turn with these profile allergens")
    p.add_argument("--nlu-model", choices=("off", "auto", "always"), default="off",
                   help="the understanding adapter reads messages too (JANGBOGI_NLU_ADAPTER; default off: rules only)")
    p.add_argument("--nlu-cache", default="", help="JSON file keeping the understanding model's answers (one per adapter)")
    add_cli_args(p, only=("embedding_model", "fusion_alpha", "data_dir", "cache_dir", "index_dir"))
    args = p.parse_args(argv)
    settings = Settings.from_args(args)
    result = run(args.set, settings, args.limit, args.parts, args.query_cache or None,
                 args.profile_tags, args.profile_allergens, args.nlu_model, args.nlu_cache)
    if args.rows:
        args.rows.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    out = summary(result)
    print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
