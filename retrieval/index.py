"""Index lifecycle on disk: build aside then swap, incremental re-embedding, single-doc edits.

Layout of `index_dir`:
    CURRENT                 name of the live generation (written atomically: the commit point)
    gen-<ns>/manifest.json  format, embedding model id, analyzer signature, epoch, per-doc hashes
    gen-<ns>/chunks-<epoch>.jsonl   passages with their tokens (BM25 is rebuilt from them)
    gen-<ns>/bm25-<epoch>/  saved bm25s index
    gen-<ns>/chroma/        chromadb PersistentClient, collection "chunks" (cosine, our vectors)
A build writes a new generation next to the live one and only then rewrites CURRENT, so an
interrupted build leaves the previous index usable. Passages whose text hash is unchanged
reuse their stored vectors when the embedding model id is the same; a new model id
re-embeds everything. `upsert`/`delete` edit the live generation in place, guarded by an
epoch stored both in the manifest and in the chroma collection: a mismatch on open (an
interrupted edit) raises `IndexCorrupt`, and `open_store_index` then rebuilds.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from retrieval.chunking import MAX_CHARS, Chunk, chunk_doc, doc_hash, text_hash
from retrieval.filters import chunk_metadata
from retrieval.types import Doc, RetrievalError

FORMAT_VERSION = 1
COLLECTION = "chunks"
EMBED_BATCH = 64
Progress = Callable[[str, int, int], None] | None  # (stage, done, total)


class IndexMissing(RetrievalError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "검색 색인이 아직 없어요. 색인을 먼저 만들어 주세요.")


class IndexCorrupt(RetrievalError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "검색 색인이 손상되었어요. 색인을 다시 만들어 주세요.")


@dataclass
class IndexData:
    """A loaded generation: what the retriever searches."""

    path: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    tokens: list[list[str]]
    hashes: list[str]
    engine: Any
    collection: Any
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reindex_positions()

    def reindex_positions(self) -> None:
        self.pos = {c.id: i for i, c in enumerate(self.chunks)}
        doc_ids = list(self.docs)
        self.doc_order = {d: i for i, d in enumerate(doc_ids)}
        self.chunk_doc = np.array([self.doc_order[c.doc_id] for c in self.chunks], dtype=np.int64)


def _client(path: Path):
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))


def _collection(client, create: bool):
    if create:
        return client.create_collection(COLLECTION, embedding_function=None, metadata={"epoch": 0},
                                        configuration={"hnsw": {"space": "cosine"}})
    return client.get_collection(COLLECTION, embedding_function=None)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_chunks(path: Path, chunks: list[Chunk], tokens: list[list[str]], hashes: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for c, t, h in zip(chunks, tokens, hashes):
            f.write(json.dumps({"id": c.id, "doc_id": c.doc_id, "text": c.text, "h": h, "tokens": t},
                               ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _add_batched(collection, ids, embeddings, metadatas, batch: int = 4000) -> None:
    for i in range(0, len(ids), batch):
        collection.upsert(ids=ids[i:i + batch], embeddings=embeddings[i:i + batch],
                          metadatas=metadatas[i:i + batch])


def _doc_record(doc: Doc, chunk_ids: list[str]) -> dict[str, Any]:
    return {"hash": doc_hash(doc), "kind": doc.kind, "title": doc.title,
            "meta": json.loads(json.dumps(dict(doc.meta), ensure_ascii=False, default=list)),
            "chunks": chunk_ids}


class IndexStore:
    """Builds, opens and edits the index under `index_dir` for one embedder and analyzer."""

    def __init__(self, index_dir: str | Path, embedder, analyzer, engine: str = "bm25s",
                 max_chars: int = MAX_CHARS) -> None:
        self.index_dir = Path(index_dir)
        self.embedder, self.analyzer = embedder, analyzer
        self.engine_name, self.max_chars = engine, max_chars

    # ----- reading -------------------------------------------------------------------
    def current_path(self) -> Path | None:
        pointer = self.index_dir / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):  # missing or garbage pointer: no live generation
            return None
        if not name.startswith("gen-") or not name[4:].isdigit():
            return None
        path = self.index_dir / name
        return path if path.is_dir() else None

    def read_manifest(self, path: Path | None = None) -> dict[str, Any] | None:
        path = path or self.current_path()
        if path is None or not (path / "manifest.json").exists():
            return None
        try:
            return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def is_compatible(self, manifest: dict[str, Any] | None) -> bool:
        return bool(manifest) and manifest.get("format") == FORMAT_VERSION \
            and manifest.get("model_id") == self.embedder.model_id \
            and manifest.get("analyzer") == self.analyzer.signature \
            and manifest.get("engine") == self.engine_name and manifest.get("max_chars") == self.max_chars

    def open(self, strict: bool = True) -> IndexData:
        """Load the live generation. `strict=False` (used to reuse vectors in a rebuild)
        only requires the same embedding model."""
        from retrieval.bm25 import Bm25sEngine, make_bm25_engine

        path = self.current_path()
        if path is None:
            raise IndexMissing(f"no index under {self.index_dir}")
        manifest = self.read_manifest(path)
        if manifest is None:
            raise IndexCorrupt(f"missing or unreadable manifest in {path}")
        if not (self.is_compatible(manifest) if strict else
                manifest.get("format") == FORMAT_VERSION and manifest.get("model_id") == self.embedder.model_id):
            raise IndexCorrupt(f"index {path} was built for model {manifest.get('model_id')!r} / "
                               f"analyzer {manifest.get('analyzer')!r}; rebuild needed")
        epoch = manifest["epoch"]
        try:
            chunks, tokens, hashes = [], [], []
            with (path / f"chunks-{epoch}.jsonl").open(encoding="utf-8") as f:
                for line in f:
                    row = json.loads(line)
                    chunks.append(Chunk(row["id"], row["doc_id"], row["text"]))
                    tokens.append(row["tokens"])
                    hashes.append(row["h"])
            if manifest["engine"] == "bm25s":
                engine = Bm25sEngine.load(path / f"bm25-{epoch}")
            else:
                engine = make_bm25_engine(manifest["engine"])
                engine.index(tokens)
            collection = _collection(_client(path / "chroma"), create=False)
            stored_epoch = (collection.metadata or {}).get("epoch")
            count = collection.count()
        except RetrievalError:
            raise
        except Exception as exc:  # unreadable files, chroma errors
            raise IndexCorrupt(f"cannot open index {path}: {exc}") from exc
        if stored_epoch != epoch or count != len(chunks) or len(engine) != len(chunks):
            raise IndexCorrupt(f"index {path} is inconsistent (epoch {stored_epoch} vs {epoch}, "
                               f"{count} vectors vs {len(chunks)} passages)")
        return IndexData(path, manifest, chunks, tokens, hashes, engine, collection, manifest["docs"])

    # ----- building ------------------------------------------------------------------
    def build(self, docs: Sequence[Doc], progress: Progress = None, reuse: bool = True) -> dict[str, Any]:
        """Build a new generation from `docs` and make it current. Returns build stats."""
        t0 = time.perf_counter()
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            raise RetrievalError(f"duplicate document ids: {dup}", "문서 ID가 중복되어 색인을 만들 수 없어요.")
        old = None
        if reuse:
            try:
                old = self.open(strict=False)
            except RetrievalError:
                old = None
        records: dict[str, dict[str, Any]] = {}
        chunks: list[Chunk] = []
        for doc in docs:
            cs = chunk_doc(doc, self.max_chars)
            records[doc.id] = _doc_record(doc, [c.id for c in cs])
            chunks.extend(cs)
        hashes = [text_hash(c.text) for c in chunks]
        tokens, vectors, stats = self._tokens_and_vectors(chunks, hashes, old, progress)

        gen = self.index_dir / f"gen-{time.time_ns()}"
        gen.mkdir(parents=True)
        collection = _collection(_client(gen / "chroma"), create=True)
        metas = [chunk_metadata(c.doc_id, records[c.doc_id]["kind"], records[c.doc_id]["meta"], h)
                 for c, h in zip(chunks, hashes)]
        if chunks:
            _add_batched(collection, [c.id for c in chunks], vectors, metas)
        self._write_generation(gen, 0, chunks, tokens, hashes, records)
        _write_atomic(self.index_dir / "CURRENT", gen.name)
        self._cleanup(keep={gen.name, old.path.name if old else ""})
        stats.update(docs=len(docs), chunks=len(chunks), seconds=round(time.perf_counter() - t0, 3),
                     path=str(gen))
        return stats

    def _tokens_and_vectors(self, chunks, hashes, old: IndexData | None, progress: Progress):
        old_tok: dict[str, list[str]] = {}
        old_vec_id: dict[str, str] = {}
        if old is not None:
            same_analyzer = old.manifest.get("analyzer") == self.analyzer.signature
            for c, t, h in zip(old.chunks, old.tokens, old.hashes):
                if same_analyzer:
                    old_tok.setdefault(h, t)
                old_vec_id.setdefault(h, c.id)
        todo_tok = [i for i, h in enumerate(hashes) if h not in old_tok]
        tokens: list[list[str]] = [old_tok.get(h, []) for h in hashes]
        for start in range(0, len(todo_tok), 256):
            batch = todo_tok[start:start + 256]
            for i, toks in zip(batch, self.analyzer.tokenize_many([chunks[i].text for i in batch])):
                tokens[i] = toks
            if progress:
                progress("analyse", min(start + 256, len(todo_tok)), len(todo_tok))
        reuse = [i for i, h in enumerate(hashes) if h in old_vec_id]
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        rows: dict[int, np.ndarray] = {}
        if reuse:
            got = old.collection.get(ids=list({old_vec_id[hashes[i]] for i in reuse}), include=["embeddings"])
            by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
            for i in reuse:
                rows[i] = by_id[old_vec_id[hashes[i]]]
        todo = [i for i in range(len(chunks)) if i not in rows]
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start:start + EMBED_BATCH]
            for i, v in zip(batch, self.embedder.encode_passages([chunks[i].text for i in batch])):
                rows[i] = v
            if progress:
                progress("embed", min(start + EMBED_BATCH, len(todo)), len(todo))
        if rows:
            vectors = np.stack([rows[i] for i in range(len(chunks))]).astype(np.float32)
        return tokens, vectors, {"embedded": len(todo), "reused": len(reuse), "analysed": len(todo_tok)}

    def _write_generation(self, gen: Path, epoch: int, chunks, tokens, hashes, records) -> None:
        from retrieval.bm25 import Bm25sEngine, make_bm25_engine

        engine = make_bm25_engine(self.engine_name)
        engine.index(tokens)
        if isinstance(engine, Bm25sEngine):
            engine.save(gen / f"bm25-{epoch}")
        _write_chunks(gen / f"chunks-{epoch}.jsonl", chunks, tokens, hashes)
        manifest = {"format": FORMAT_VERSION, "model_id": self.embedder.model_id,
                    "analyzer": self.analyzer.signature, "engine": self.engine_name,
                    "max_chars": self.max_chars, "epoch": epoch, "created": time.time(),
                    "docs": records}
        _write_atomic(gen / "manifest.json", json.dumps(manifest, ensure_ascii=False))

    def _cleanup(self, keep: set[str]) -> None:
        """Drop generations other than `keep` (the previous one stays for open readers)."""
        for p in self.index_dir.glob("gen-*"):
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)

    def edit(self, data: IndexData, upserts: Sequence[Doc] = (), deletes: Sequence[str] = (),
             progress: Progress = None) -> IndexData:
        """Apply adds/updates/deletes to the live generation in place (see `retrieval.edits`)."""
        from retrieval.edits import edit_index

        return edit_index(self, data, upserts, deletes, progress)
