"""HybridRetriever: BM25 + dense search over one loaded index, fused, filtered, explained.

Search runs at passage level: BM25 scores every passage (filters as a mask before
ranking), chromadb returns the nearest passages under the same filters as a `where`
clause; the union of both candidate pools gets both component scores (dense scores of
BM25-only candidates come from their stored vectors), is fused, and collapses to one hit
per document carrying its best passage. Leaves out: personal re-ranking (assistant).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from retrieval.bm25 import top_k
from retrieval.filters import to_where
from retrieval.fusion import DEFAULT_ALPHA, minmax_fuse
from retrieval.types import Doc, Filters, Hit, RetrievalError

MODES = ("hybrid", "bm25", "dense")
MAX_QUERY_CHARS = 1000  # e5 reads ~512 tokens; longer input only slows analysis down
MAX_K = 200
QUERY_VECTOR_CACHE = 512   # query texts whose e5 vectors are kept (a vector is 1.5 KB)
_CONTENT_RE = re.compile(r"[0-9A-Za-z\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3\u4e00-\u9fff]")


def clean_query(query: str) -> str:
    """Validate and trim a user query; raises `RetrievalError` when nothing is searchable."""
    if not isinstance(query, str):
        raise RetrievalError(f"query must be str, got {type(query).__name__}", "검색어를 글자로 입력해 주세요.")
    text = unicodedata.normalize("NFKC", query).strip()
    if not text:
        raise RetrievalError("empty query", "검색어를 입력해 주세요.")
    if not _CONTENT_RE.search(text):
        raise RetrievalError(f"query has no letters or digits: {text[:40]!r}",
                             "검색할 단어를 찾지 못했어요. 상품 이름이나 궁금한 점을 글자로 입력해 주세요.")
    return text[:MAX_QUERY_CHARS]


class HybridRetriever:
    """Search one index. `alpha` is the dense weight of min-max fusion; `fuser` overrides it
    (e.g. `rrf_fuse(60)`). `pool` is the per-component candidate count before fusion."""

    def __init__(self, store, data, embedder, analyzer, alpha: float = DEFAULT_ALPHA, fuser=None,
                 pool: int = 50) -> None:
        self.store, self.data = store, data
        self.embedder, self.analyzer = embedder, analyzer
        self.alpha = alpha
        self.fuser = fuser or minmax_fuse(alpha)
        self.pool = pool
        self._masks: OrderedDict[Filters, np.ndarray] = OrderedDict()
        self._allowed: OrderedDict[Filters, list[str]] = OrderedDict()
        self._qvecs: OrderedDict[str, np.ndarray] = OrderedDict()
        self.query_cache = QUERY_VECTOR_CACHE   # 0: embed every query (latency benchmarks)
        self._lock = threading.RLock()

    # ----- components ----------------------------------------------------------------
    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty:
            return None
        with self._lock:
            if filters not in self._masks:
                docs = self.data.docs
                doc_ok = np.array([filters.matches(r["kind"], r["meta"]) for r in docs.values()], dtype=bool)
                self._masks[filters] = doc_ok[self.data.chunk_doc] if len(self.data.chunks) else doc_ok
                while len(self._masks) > 64:
                    self._masks.popitem(last=False)
            return self._masks[filters]

    def query_vector(self, text: str) -> np.ndarray:
        """The embedder's vector for a cleaned query, memoized by text (LRU): shoppers ask the
        same short things ("우유", "라면") over and over, and the vector is a pure function of
        the text and the embedder. Read-only, so a caller cannot change a shared copy."""
        if self.query_cache <= 0:
            return np.asarray(self.embedder.encode_queries([text])[0], dtype=np.float32)
        with self._lock:
            vec = self._qvecs.get(text)
            if vec is not None:
                self._qvecs.move_to_end(text)
                return vec
        vec = np.asarray(self.embedder.encode_queries([text])[0], dtype=np.float32).copy()
        vec.setflags(write=False)
        with self._lock:
            self._qvecs[text] = vec
            while len(self._qvecs) > self.query_cache:
                self._qvecs.popitem(last=False)
        return vec

    def bm25_scores(self, tokens: Sequence[str], filters: Filters | None) -> tuple[np.ndarray, np.ndarray | None]:
        return self.data.engine.scores(tokens), self._mask(filters)

    def _allowed_ids(self, filters: Filters | None) -> list[str] | None:
        """The passage ids `filters` lets through (None: no filter), from the same mask as BM25.

        chromadb evaluates a `where` clause against its metadata store on every query (about
        10 ms here); handing it the ids instead gives the same neighbours and distances for
        a quarter of that (`tests/test_retrieval_search.py` checks both agree)."""
        if filters is None or filters.is_empty:
            return None
        with self._lock:   # mask and passages from the same index data (upsert swaps both under it)
            ids = self._allowed.get(filters)
            if ids is None:
                mask = self._mask(filters)
                ids = [c.id for c, ok in zip(self.data.chunks, mask) if ok]
                self._allowed[filters] = ids
                while len(self._allowed) > 64:
                    self._allowed.popitem(last=False)
            return ids

    def _dense(self, qvec: np.ndarray, filters: Filters | None, n: int) -> dict[str, float]:
        count = len(self.data.chunks)
        if count == 0 or n <= 0:
            return {}
        allowed = self._allowed_ids(filters)
        if allowed is not None and not allowed:
            return {}
        query = dict(query_embeddings=qvec[None, :], n_results=min(n, count), include=["distances"])
        try:
            res = self.data.collection.query(ids=allowed, **query)
        except Exception:  # noqa: BLE001 - an id gone by an edit between mask and query: same filter as a where
            res = self.data.collection.query(where=to_where(filters), **query)
        return {cid: 1.0 - float(d) for cid, d in zip(res["ids"][0], res["distances"][0])}

    def _dense_for(self, qvec: np.ndarray, ids: list[str]) -> dict[str, float]:
        if not ids:
            return {}
        got = self.data.collection.get(ids=ids, include=["embeddings"])
        vecs = np.asarray(got["embeddings"], dtype=np.float32)
        return {cid: float(s) for cid, s in zip(got["ids"], vecs @ qvec)}

    # ----- search --------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Top `k` documents for `query`. Empty list when no document passes `filters`."""
        return self._search(query, k, filters, mode)[0]

    def search_passages(self, query: str, k: int = 10, filters: Filters | None = None,
                        mode: str = "hybrid") -> list[Hit]:
        """Top `k` passages, not collapsed per document (a policy question is answered by one
        `##` section, and two sections of one document may both be candidates)."""
        _, parts = self._search(query, max(1, min(int(k), MAX_K)), filters, mode)
        hits: list[Hit] = []
        for cid, score in parts["fused"].items():   # best first
            chunk = self.data.chunks[self.data.pos[cid]]
            rec = self.data.docs[chunk.doc_id]
            scores = {"fused": float(score)}
            for name in ("bm25", "dense"):
                if cid in parts[name]:
                    scores[name] = parts[name][cid]
            hits.append(Hit(chunk.doc_id, rec["kind"], rec["title"], float(score), chunk.text, scores, cid, rec["meta"]))
            if len(hits) >= k:
                break
        return hits

    def _search(self, query: str, k: int, filters: Filters | None, mode: str):
        if mode not in MODES:
            raise RetrievalError(f"unknown mode {mode!r}", "알 수 없는 검색 방식이에요.")
        text = clean_query(query)
        k = max(1, min(int(k), MAX_K))
        pool = max(self.pool, 3 * k)
        data = self.data
        tokens: list[str] = []
        bm25: dict[str, float] = {}
        dense: dict[str, float] = {}
        raw = None
        mask = self._mask(filters)
        if mask is not None and not mask.any():
            return [], {"tokens": tokens, "bm25": bm25, "dense": dense, "fused": {}}
        if mode in ("hybrid", "bm25"):
            tokens = self.analyzer.tokenize(text)
            raw, mask = self.bm25_scores(tokens, filters)
            idx, sc = top_k(raw, pool, mask)
            bm25 = {data.chunks[i].id: float(s) for i, s in zip(idx, sc)}
        if mode in ("hybrid", "dense"):
            qvec = self.query_vector(text)
            dense = self._dense(qvec, filters, pool)
            if mode == "hybrid":
                dense.update(self._dense_for(qvec, [c for c in bm25 if c not in dense]))
                for cid in dense:
                    if cid not in bm25 and raw is not None:
                        bm25[cid] = float(raw[data.pos[cid]])
        if mode == "hybrid":
            fused = self.fuser(bm25, dense)
        else:
            fused = dict(sorted((bm25 or dense).items(), key=lambda kv: (-kv[1], kv[0])))
            fused = {c: s for c, s in fused.items() if mode == "dense" or s > 0}
        return self._collapse(fused, bm25, dense, k), {"tokens": tokens, "bm25": bm25, "dense": dense,
                                                       "fused": fused}

    def _collapse(self, fused: dict[str, float], bm25, dense, k: int) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[str] = set()
        for cid, score in fused.items():  # already best first
            chunk = self.data.chunks[self.data.pos[cid]]
            if chunk.doc_id in seen:
                continue
            seen.add(chunk.doc_id)
            rec = self.data.docs[chunk.doc_id]
            scores = {"fused": float(score)}
            if cid in bm25:
                scores["bm25"] = bm25[cid]
            if cid in dense:
                scores["dense"] = dense[cid]
            hits.append(Hit(chunk.doc_id, rec["kind"], rec["title"], float(score), chunk.text,
                            scores, cid, rec["meta"]))
            if len(hits) >= k:
                break
        return hits

    def explain(self, query: str, k: int = 10, filters: Filters | None = None) -> dict[str, Any]:
        """Each component's view of the hybrid result: tokens, raw and rank per component."""
        t0 = time.perf_counter()
        hits, parts = self._search(query, k, filters, "hybrid")
        rank = {name: {c: r for r, c in enumerate(sorted(parts[name], key=lambda c: -parts[name][c]), 1)}
                for name in ("bm25", "dense")}
        rows = [{"id": h.id, "passage_id": h.passage_id, "title": h.title, "fused": h.score,
                 "bm25": parts["bm25"].get(h.passage_id), "bm25_rank": rank["bm25"].get(h.passage_id),
                 "dense": parts["dense"].get(h.passage_id), "dense_rank": rank["dense"].get(h.passage_id)}
                for h in hits]
        return {"query": query, "tokens": parts["tokens"], "alpha": self.alpha,
                "fuser": getattr(self.fuser, "__name__", "custom"), "model_id": self.embedder.model_id,
                "ms": round((time.perf_counter() - t0) * 1000, 2), "hits": rows}

    # ----- lifecycle -----------------------------------------------------------------
    def upsert(self, docs: Sequence[Doc]) -> None:
        """Add or update documents in place (only changed passages are re-embedded)."""
        with self._lock:
            self.data = self.store.edit(self.data, upserts=docs)
            self._masks.clear()
            self._allowed.clear()

    def delete(self, doc_ids: Sequence[str]) -> None:
        with self._lock:
            self.data = self.store.edit(self.data, deletes=doc_ids)
            self._masks.clear()
            self._allowed.clear()

    def __len__(self) -> int:
        return len(self.data.docs)
