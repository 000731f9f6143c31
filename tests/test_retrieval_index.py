"""Index lifecycle: manifest, incremental re-embedding, model change, single-doc edits,
interrupted builds and corrupt indexes."""

import json

import numpy as np
import pytest

from retrieval import Doc, HashingEmbedder, open_index
from retrieval.analyzer import Analyzer
from retrieval.index import IndexCorrupt, IndexMissing, IndexStore


class CountingEmbedder:
    """Wraps the hashing fake and counts passages embedded; can fail after N batches."""

    def __init__(self, inner, model_id=None, fail_after=None):
        self.inner, self.model_id = inner, model_id or inner.model_id
        self.passages, self.fail_after, self.calls = 0, fail_after, 0

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.passages += len(texts)
        return self.inner.encode_passages(texts)


def _docs(n=6, changed=()):
    return [Doc(f"D{i}", f"{i}번 상품 설명 우유 요거트" + (" 새 문구" if i in changed else ""), f"상품{i}",
                "product", {"price": 1000 * (i + 1), "stock": i}) for i in range(n)]


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer()


@pytest.fixture
def fake(analyzer):
    return HashingEmbedder(analyzer=analyzer)


def test_manifest_records_model_and_hashes(tmp_path, analyzer, fake):
    open_index(_docs(), tmp_path, fake, analyzer=analyzer)
    gen = (tmp_path / "CURRENT").read_text().strip()
    manifest = json.loads((tmp_path / gen / "manifest.json").read_text())
    assert manifest["model_id"] == fake.model_id and manifest["analyzer"] == analyzer.signature
    assert set(manifest["docs"]) == {f"D{i}" for i in range(6)}
    assert all(len(r["hash"]) == 24 for r in manifest["docs"].values())


def test_unchanged_docs_are_not_re_embedded(tmp_path, analyzer, fake):
    emb = CountingEmbedder(fake)
    open_index(_docs(), tmp_path, emb, analyzer=analyzer)
    assert emb.passages == 6
    open_index(_docs(), tmp_path, emb, analyzer=analyzer)  # identical: opened, nothing embedded
    assert emb.passages == 6
    r = open_index(_docs(7, changed={2}), tmp_path, emb, analyzer=analyzer)  # 1 changed + 1 new
    assert emb.passages == 8
    assert r.search("새 문구", k=1)[0].id == "D2" and len(r) == 7
    # metadata-only change (stock): no embedding, but the filter sees the new value
    docs = _docs(7, changed={2})
    docs[0] = Doc("D0", docs[0].text, docs[0].title, "product", {"price": 1000, "stock": 99})
    r = open_index(docs, tmp_path, emb, analyzer=analyzer)
    assert emb.passages == 8 and r.data.docs["D0"]["meta"]["stock"] == 99


def test_model_change_re_embeds_everything(tmp_path, analyzer, fake):
    open_index(_docs(), tmp_path, CountingEmbedder(fake), analyzer=analyzer)
    other = CountingEmbedder(fake, model_id="another-model")
    open_index(_docs(), tmp_path, other, analyzer=analyzer)
    assert other.passages == 6


def test_upsert_and_delete_single_docs(tmp_path, analyzer, fake):
    emb = CountingEmbedder(fake)
    r = open_index(_docs(), tmp_path, emb, analyzer=analyzer)
    r.upsert([Doc("N1", "바나나 우유 240ml", "바나나우유", "product", {"price": 1500, "stock": 5})])
    assert emb.passages == 7 and r.search("바나나 우유", k=1)[0].id == "N1"
    r.upsert(_docs())  # unchanged: nothing to do
    assert emb.passages == 7
    r.delete(["N1", "D0"])
    assert "N1" not in {h.id for h in r.search("바나나 우유", k=10)} and len(r) == 5
    # the edited index reopens consistently, from disk, without rebuilding
    reopened = IndexStore(tmp_path, emb, analyzer).open()
    assert set(reopened.docs) == {f"D{i}" for i in range(1, 6)}
    assert reopened.collection.count() == len(reopened.chunks) == 5


def test_interrupted_build_keeps_previous_index(tmp_path, analyzer, fake):
    r = open_index(_docs(3), tmp_path, fake, analyzer=analyzer)
    before = (tmp_path / "CURRENT").read_text()
    big = [Doc(f"B{i}", f"새 상품 {i} 설명", f"새{i}", "product") for i in range(200)]
    failing = CountingEmbedder(fake, fail_after=1)  # dies on the second batch of 64
    with pytest.raises(KeyboardInterrupt):
        open_index(big, tmp_path, failing, analyzer=analyzer)
    assert (tmp_path / "CURRENT").read_text() == before
    again = IndexStore(tmp_path, fake, analyzer).open()
    assert set(again.docs) == {"D0", "D1", "D2"}
    assert r.search("우유 요거트", k=3)


def test_missing_and_corrupt_index(tmp_path, analyzer, fake):
    store = IndexStore(tmp_path / "none", fake, analyzer)
    with pytest.raises(IndexMissing) as err:
        store.open()
    assert "색인" in err.value.user_message
    open_index(_docs(), tmp_path, fake, analyzer=analyzer)
    gen = tmp_path / (tmp_path / "CURRENT").read_text().strip()
    (gen / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt):
        IndexStore(tmp_path, fake, analyzer).open()
    # open_index notices and rebuilds
    r = open_index(_docs(), tmp_path, fake, analyzer=analyzer)
    assert r.search("우유", k=1)


def test_interrupted_edit_is_detected_and_rebuilt(tmp_path, analyzer, fake):
    r = open_index(_docs(), tmp_path, fake, analyzer=analyzer)
    r.data.collection.modify(metadata={"epoch": -1})  # as if an edit died midway
    with pytest.raises(IndexCorrupt):
        IndexStore(tmp_path, fake, analyzer).open()
    r2 = open_index(_docs(), tmp_path, fake, analyzer=analyzer)
    assert r2.data.collection.metadata["epoch"] == r2.data.manifest["epoch"]


def test_duplicate_ids_rejected(tmp_path, analyzer, fake):
    from retrieval import RetrievalError

    with pytest.raises(RetrievalError):
        open_index([Doc("X", "a"), Doc("X", "b")], tmp_path, fake, analyzer=analyzer)


def test_stored_vectors_match_the_embedder(tmp_path, analyzer, fake):
    r = open_index(_docs(2), tmp_path, fake, analyzer=analyzer)
    got = r.data.collection.get(ids=["D1#1"], include=["embeddings"])
    expected = fake.encode_passages([r.data.chunks[r.data.pos["D1#1"]].text])[0]
    assert np.allclose(np.asarray(got["embeddings"][0]), expected, atol=1e-6)
