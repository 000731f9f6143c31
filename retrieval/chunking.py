"""Cut documents into passages that fit the embedder, and fingerprint them.

multilingual-e5 truncates at 512 tokens; Korean runs about 1.8 characters per token with
its tokenizer (measured on KorQuAD paragraphs), so `MAX_CHARS = 800` keeps a passage plus
its title and prompt under the limit. Cuts fall on sentence ends; one sentence overlaps
between neighbours so an answer on the boundary stays whole in one passage.

Example:
    >>> [c.id for c in chunk_doc(Doc("P1", "짧은 설명"))]
    ['P1#1']
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from retrieval.types import Doc

MAX_CHARS = 800
_SENTENCE_RE = re.compile(r"(?<=[.!?。])\s+|\n+")


@dataclass(frozen=True)
class Chunk:
    id: str          # "<doc id>#<n>", n from 1
    doc_id: str
    text: str        # what BM25 and the embedder see (title included)


def split_sentences(text: str) -> list[str]:
    """Sentences cut at end punctuation and newlines.

    >>> split_sentences("첫 문장이다. 둘째! 셋째\\n넷째")
    ['첫 문장이다.', '둘째!', '셋째', '넷째']
    """
    return [s.strip() for s in _SENTENCE_RE.split(text) if s and s.strip()]


def chunk_text(text: str, max_chars: int = MAX_CHARS, overlap: int = 1) -> list[str]:
    """Greedy sentence packing up to `max_chars`; a single longer sentence is hard-cut."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    for sent in split_sentences(text):
        while len(sent) > max_chars:
            pieces.append(sent[:max_chars])
            sent = sent[max_chars:]
        pieces.append(sent)
    chunks: list[str] = []
    current: list[str] = []
    for sent in pieces:
        if current and len(" ".join(current + [sent])) > max_chars:
            chunks.append(" ".join(current))
            keep = current[-overlap:] if overlap else []
            current = keep if len(" ".join(keep + [sent])) <= max_chars else []
        current.append(sent)
    if current:
        chunks.append(" ".join(current))
    return chunks


def chunk_doc(doc: Doc, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Passages of one document; the title is prefixed to each so every passage names its subject."""
    bodies = [c for c in doc.chunks if c.strip()] if doc.chunks else chunk_text(doc.text, max_chars)
    if not bodies:
        bodies = [doc.title or doc.id]
    prefix = f"{doc.title}\n" if doc.title else ""
    return [Chunk(f"{doc.id}#{i}", doc.id, prefix + body) for i, body in enumerate(bodies, start=1)]


def doc_hash(doc: Doc) -> str:
    """Content hash over everything that affects the index (text, title, kind, meta, chunks)."""
    payload = json.dumps([doc.text, doc.title, doc.kind, dict(doc.meta), list(doc.chunks)],
                         ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]
