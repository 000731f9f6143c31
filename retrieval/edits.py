"""Single-document edits of the live index generation, in place.

Changed documents' passages are re-embedded only when their text changed (vectors of
unchanged text are reused); the BM25 index is rebuilt from stored tokens (cheap). Crash
safety: the chroma collection's `epoch` is set negative first ("edit in progress"), then
chroma is edited, then a new manifest (the commit) and BM25/passage files are written, then
the epoch is set to the manifest's. `IndexStore.open` refuses a mismatch, and
`open_index` rebuilds in that case.
"""

from __future__ import annotations

import shutil
from typing import Sequence

from retrieval.chunking import Chunk, chunk_doc, doc_hash, text_hash
from retrieval.filters import chunk_metadata
from retrieval.index import IndexData, IndexStore, Progress, _add_batched, _doc_record
from retrieval.types import Doc


def edit_index(store: IndexStore, data: IndexData, upserts: Sequence[Doc] = (),
               deletes: Sequence[str] = (), progress: Progress = None) -> IndexData:
    """Apply adds/updates/deletes to `data`'s generation and return the reloaded data."""
    records = dict(data.docs)
    changed = [d for d in upserts if records.get(d.id, {}).get("hash") != doc_hash(d)]
    gone = {i for i in deletes if i in records} | {d.id for d in changed if d.id in records}
    keep = [(c, t, h) for c, t, h in zip(data.chunks, data.tokens, data.hashes) if c.doc_id not in gone]
    new_chunks: list[Chunk] = []
    for doc in changed:
        cs = chunk_doc(doc, store.max_chars)
        new_chunks.extend(cs)
    new_hashes = [text_hash(c.text) for c in new_chunks]
    new_tokens, new_vecs, _ = store._tokens_and_vectors(new_chunks, new_hashes, data, progress)
    removed_ids = [c.id for c in data.chunks if c.doc_id in gone]
    if not changed and not removed_ids:
        return data
    for doc_id in gone:
        records.pop(doc_id, None)
    for doc in changed:
        records[doc.id] = _doc_record(doc, [c.id for c in new_chunks if c.doc_id == doc.id])
    epoch = data.manifest["epoch"] + 1
    col = data.collection
    col.modify(metadata={"epoch": -epoch})  # "edit in progress": open() refuses until done
    if removed_ids:
        col.delete(ids=removed_ids)
    if new_chunks:
        metas = [chunk_metadata(c.doc_id, records[c.doc_id]["kind"], records[c.doc_id]["meta"], h)
                 for c, h in zip(new_chunks, new_hashes)]
        _add_batched(col, [c.id for c in new_chunks], new_vecs, metas)
    chunks = [c for c, _, _ in keep] + new_chunks
    tokens = [t for _, t, _ in keep] + new_tokens
    hashes = [h for _, _, h in keep] + new_hashes
    store._write_generation(data.path, epoch, chunks, tokens, hashes, records)
    col.modify(metadata={"epoch": epoch})
    for old in (f"chunks-{epoch - 1}.jsonl", f"bm25-{epoch - 1}"):
        p = data.path / old
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    return store.open()
