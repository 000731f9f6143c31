"""Ranking metrics over ranked id lists (binary relevance), pure functions.

A ranked entry may name a document and its passage (`("배송-01", "배송-01#2")`): it is
relevant when either id is in the query's relevant set.

Example:
    >>> q = score_query([("a",), ("b",), ("c",)], {"b"}, k=10)
    >>> q["mrr@10"], q["recall@1"], q["recall@5"]
    (0.5, 0.0, 1.0)
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

CUTOFFS = (1, 5, 10)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: `percentile([1, 2, 3, 4], 50)` -> 2."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def score_query(ranked: Sequence[Iterable[str]], relevant: set[str], k: int = 10) -> dict[str, float]:
    flags = [bool(relevant.intersection(ids)) for ids in ranked]
    found: list[int] = []  # distinct relevant items by rank
    seen: set[str] = set()
    for rank, ids in enumerate(ranked, start=1):
        hit = relevant.intersection(ids) - seen
        if hit:
            seen |= hit
            found.append(rank)
    n_rel = max(1, len(relevant))
    out = {f"recall@{c}": min(1.0, sum(1 for r in found if r <= c) / n_rel) for c in CUTOFFS}
    first = next((i for i, f in enumerate(flags[:k], start=1) if f), None)
    out[f"mrr@{k}"] = 1.0 / first if first else 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in found if r <= k)
    idcg = sum(1.0 / math.log2(r + 1) for r in range(1, min(n_rel, k) + 1))
    out[f"ndcg@{k}"] = dcg / idcg if idcg else 0.0
    return out


def aggregate(rows: Sequence[dict[str, float]], latencies_ms: Sequence[float]) -> dict:
    keys = list(rows[0]) if rows else []
    out: dict = {key: round(sum(r[key] for r in rows) / len(rows), 4) for key in keys}
    out["latency_ms"] = {"p50": round(percentile(latencies_ms, 50), 2),
                         "p95": round(percentile(latencies_ms, 95), 2)}
    out["n"] = len(rows)
    return out
