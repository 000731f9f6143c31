"""Rank fusion of BM25 and dense results: pure functions over `{id: score}` maps.

`minmax_fuse(alpha)` rescales each component to [0, 1] over the candidate pool and mixes
`(1 - alpha) * bm25 + alpha * dense` (the default: measured on KorQuAD dev, min-max at
alpha 0.4-0.6 beats both single modes while RRF(k=60) fell below BM25 alone). `rrf_fuse(k)`
is Reciprocal Rank Fusion, kept for comparison. A candidate missing from a component gets
that component's pool minimum (0 after rescaling). Leaves out: learning the weights.

Example:
    >>> fuse = minmax_fuse(0.5)
    >>> fuse({"a": 10.0, "b": 5.0}, {"a": 0.80, "c": 0.90})
    {'a': 0.5, 'c': 0.5, 'b': 0.0}
"""

from __future__ import annotations

from typing import Callable, Mapping

# Tuned on data/eval/queries_dev.jsonl (nDCG@10 best at 0.6-0.8; 0.6 keeps KorQuAD dev at
# MRR@10 0.949 / recall@5 0.992): see docs/benchmarks/retrieval.md.
DEFAULT_ALPHA = 0.6

Scores = Mapping[str, float]
Fuser = Callable[[Scores, Scores], dict[str, float]]


def minmax(scores: Scores) -> dict[str, float]:
    """Rescale to [0, 1]; all-equal scores map to 1.0 (they are all equally the best).

    >>> minmax({"a": 2.0, "b": 4.0, "c": 3.0})
    {'a': 0.0, 'b': 1.0, 'c': 0.5}
    """
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo <= 1e-12:
        return {k: 1.0 for k in scores}
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def _sorted(fused: dict[str, float]) -> dict[str, float]:
    return dict(sorted(fused.items(), key=lambda kv: (-kv[1], kv[0])))


def minmax_fuse(alpha: float = DEFAULT_ALPHA) -> Fuser:
    """Weighted fusion of min-max normalized scores; `alpha` is the dense weight."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")

    def fuse(bm25: Scores, dense: Scores) -> dict[str, float]:
        nb, nd = minmax(bm25), minmax(dense)
        ids = set(nb) | set(nd)
        return _sorted({i: (1 - alpha) * nb.get(i, 0.0) + alpha * nd.get(i, 0.0) for i in ids})

    fuse.__name__ = f"minmax_fuse({alpha:g})"
    return fuse


def rrf_fuse(k: int = 60) -> Fuser:
    """Reciprocal Rank Fusion: sum of 1 / (k + rank), ranks from 1.

    >>> rrf_fuse(60)({"a": 3.0, "b": 1.0}, {"b": 0.9})
    {'b': 0.03252247488101534, 'a': 0.01639344262295082}
    """
    if k <= 0:
        raise ValueError(f"RRF k must be positive, got {k}")

    def fuse(bm25: Scores, dense: Scores) -> dict[str, float]:
        out: dict[str, float] = {}
        for scores in (bm25, dense):
            ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            for rank, (doc_id, _) in enumerate(ranked, start=1):
                out[doc_id] = out.get(doc_id, 0.0) + 1.0 / (k + rank)
        return _sorted(out)

    fuse.__name__ = f"rrf_fuse({k})"
    return fuse
