"""Learn the item-type rerank weights (`assistant.rerank.WEIGHTS`) on the dev split.

    python -m assistant.rerank_fit --json            # fit on data/eval/queries_dev.jsonl, print weights
    python -m assistant.rerank_fit --check test      # score hand vs fitted weights on another split (no fit)

For every dev product query the search turn's candidates (fused retrieval plus the catalog scan
for the asked item, every stated condition met: `grounding.rank_products(trace=...)`) become rows
of (retrieval score, head, phrase, mention, foreign, size); a candidate is positive when the
generator lists it as relevant. A logistic regression (scikit-learn) over those rows gives one
coefficient per feature; divided by the retrieval score's coefficient they are the weights the
rerank adds to that score (the score keeps weight 1, so the rerank stays one dot product per
candidate: no model is loaded at search time). Only the dev split is used to fit; test and the
blind sets are for reporting (`--check` refits nothing).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from assistant.rerank import WEIGHTS

FEATURES = ("head", "phrase", "mention", "foreign", "size", "words", "desc")


def candidate_rows(assistant, rows: list[dict]) -> list[tuple[str, list[tuple[str, float, dict]], set[str]]]:
    """(query, [(id, retrieval score, features)], relevant ids) per product query with an item."""
    from assistant.grounding import constraints_from, rank_products, search_text
    from assistant.rerank import item_query
    from assistant.service import message_slots
    from assistant.types import DialogueState

    out = []
    for r in rows:
        state = DialogueState()
        und = assistant._understand(r["query"], state, assistant.lexicon)
        slots = message_slots(und.slots, r["query"], state)
        item = item_query(slots.keywords, r["query"], assistant.head_vocab)
        if not item.active:
            continue
        profile = assistant.profile_view(state, None)
        trace: dict = {}
        rank_products(assistant.retriever, assistant.catalog, search_text(slots, r["query"]),
                      constraints_from(slots, profile), profile, k=60, stock=assistant.stock, item=item,
                      only_item=False, trace=trace)
        if trace:
            out.append((r["query"], [(pid, base, f) for pid, (base, f) in trace.items()], set(r["relevant"])))
    return out


def fit(groups) -> dict[str, float]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.array([[base] + [f.get(k, 0.0) for k in FEATURES] for _, cands, _ in groups for _, base, f in cands])
    y = np.array([pid in rel for _, cands, rel in groups for pid, _, _ in cands], dtype=int)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(X, y)
    coef = model.coef_[0]
    if coef[0] <= 0:
        raise SystemExit("the retrieval score got a non-positive weight: nothing to scale the features by")
    return {k: round(float(c / coef[0]), 3) for k, c in zip(FEATURES, coef[1:])}


def ndcg_at_10(groups, weights: dict[str, float]) -> float:
    total = 0.0
    for _, cands, rel in groups:
        ranked = sorted(cands, key=lambda c: (-(c[1] + sum(weights[k] * c[2].get(k, 0.0) for k in FEATURES)), c[0]))
        dcg = sum(1 / math.log2(i + 2) for i, c in enumerate(ranked[:10]) if c[0] in rel)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        total += dcg / ideal if ideal else 0.0
    return round(total / max(len(groups), 1), 4)


def main(argv: list[str] | None = None) -> int:
    from assistant.evaluate_answers import build_assistant, product_rows
    from assistant.settings import Settings, add_cli_args

    p = argparse.ArgumentParser(prog="python -m assistant.rerank_fit", description=__doc__.split("\n")[0])
    p.add_argument("--check", choices=("dev", "test"), help="score hand and fitted weights on this split (fits on dev)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--query-cache", default="", help="npz file keeping query vectors between runs (speed only)")
    add_cli_args(p, only=("embedding_model", "fusion_alpha", "data_dir", "cache_dir", "index_dir"))
    args = p.parse_args(argv)
    assistant = build_assistant(Settings.from_args(args), args.query_cache or None)
    dev = candidate_rows(assistant, product_rows("dev"))
    learned = fit(dev)
    out = {"fitted_on": "dev", "n_queries": len(dev), "n_candidates": sum(len(c) for _, c, _ in dev),
           "weights_fitted": learned, "weights_in_use": {k: WEIGHTS[k] for k in FEATURES},
           "candidate_ndcg@10": {"dev": {"in_use": ndcg_at_10(dev, WEIGHTS), "fitted": ndcg_at_10(dev, learned)}}}
    if args.check and args.check != "dev":
        other = candidate_rows(assistant, product_rows(args.check))
        out["candidate_ndcg@10"][args.check] = {"in_use": ndcg_at_10(other, WEIGHTS), "fitted": ndcg_at_10(other, learned)}
    assistant.eval_embedder.save()
    print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
