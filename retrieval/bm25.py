"""BM25 engines behind one small interface, over ready-made token lists.

`Bm25sEngine` (bm25s, sparse matrix scoring, the default: ~1 ms/query at 10k chunks) and
`RankBm25Engine` (rank-bm25, pure-Python loop, kept as the reference in tests and the
benchmark). Both score the whole corpus and take an optional boolean mask, so filters
apply before ranking. Persistence is `save(dir)` / `load(dir)` for the default engine;
the reference engine is rebuilt from tokens. Leaves out: tokenization (see `analyzer`).

Example:
    >>> eng = make_bm25_engine("bm25s"); eng.index([["우유", "1l"], ["요거트"], ["우유", "요거트"]])
    >>> [round(float(s), 3) for s in eng.scores(["요거트"])]
    [0.0, 0.229, 0.172]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

K1 = 1.5
B = 0.75


class BM25Engine(Protocol):
    name: str

    def index(self, corpus_tokens: Sequence[Sequence[str]]) -> None: ...

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every indexed document, in index order (float32)."""
        ...

    def __len__(self) -> int: ...


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the `k` best positive scores, best first; `mask` False = excluded.

    >>> top_k(np.array([0.1, 0.0, 2.0, 1.0]), 2)
    (array([2, 3]), array([2., 1.]))
    """
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0 or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=scores.dtype)
    if positive.size > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return order, scores[order]


class Bm25sEngine:
    """bm25s with Lucene scoring. Unknown query tokens are ignored (score 0 everywhere)."""

    name = "bm25s"

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self._model = None
        self._vocab: dict[str, int] = {}
        self._n = 0

    def index(self, corpus_tokens: Sequence[Sequence[str]]) -> None:
        import bm25s

        # bm25s needs at least one token per document; "" is its reserved empty token.
        self._model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        self._n = len(corpus_tokens)
        if self._n == 0:
            return
        self._model.index([list(t) for t in corpus_tokens], show_progress=False)
        self._vocab = dict(self._model.vocab_dict)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in query_tokens if t and t in self._vocab]
        if self._n == 0 or not known:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def __len__(self) -> int:
        return self._n

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "engine.json").write_text(json.dumps({"name": self.name, "n": self._n,
                                                           "k1": self.k1, "b": self.b}))
        if self._n:
            self._model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> "Bm25sEngine":
        import bm25s

        info = json.loads((directory / "engine.json").read_text())
        eng = cls(k1=info["k1"], b=info["b"])
        eng._n = int(info["n"])
        if eng._n:
            eng._model = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
            eng._vocab = dict(eng._model.vocab_dict)
        return eng


class RankBm25Engine:
    """rank-bm25's BM25Okapi: the reference implementation (slow: a Python loop per doc).

    rank-bm25 lets IDF go negative for terms in more than half the documents; the
    `epsilon` floor keeps them slightly positive, which differs from Lucene's IDF on
    such terms, so rankings agree on selective terms and may differ on very common ones.
    """

    name = "rank-bm25"

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self._model = None
        self._n = 0

    def index(self, corpus_tokens: Sequence[Sequence[str]]) -> None:
        from rank_bm25 import BM25Okapi

        self._n = len(corpus_tokens)
        # rank-bm25 divides by the corpus size and average length: guard empty input.
        docs = [list(t) or [""] for t in corpus_tokens]
        self._model = BM25Okapi(docs, k1=self.k1, b=self.b) if docs else None

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        if self._model is None or not query_tokens:
            return np.zeros(self._n, dtype=np.float32)
        known = [t for t in query_tokens if t in self._model.idf]
        if not known:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def __len__(self) -> int:
        return self._n


ENGINES = {"bm25s": Bm25sEngine, "rank-bm25": RankBm25Engine}


def make_bm25_engine(name: str = "bm25s") -> BM25Engine:
    """The one factory for BM25 backends."""
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown BM25 engine {name!r}; choose one of {sorted(ENGINES)}") from None
