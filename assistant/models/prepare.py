"""Prepare the embedded models in the cache: skip what is done, rebuild what is damaged.

Each model is built in `models/.tmp-<name>-XXXX/` beside its target and renamed into place
only after conversion, verification and the marker succeed, so an interrupted run leaves
no half folder; the next run (holding the lock) deletes such leftovers. A file lock
(`models/.prepare.lock`) serializes concurrent runs; a run that finds everything valid
returns without taking it and without creating anything.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator, Literal

from .errors import DiskFull
from .marker import FolderState, check_folder, folder_size, write_marker
from .registry import ORDER, get_spec, model_dir, models_root

Log = Callable[[str], object]


@dataclass(frozen=True)
class PrepareResult:
    name: str
    path: Path
    action: Literal["skipped", "built", "rebuilt"]
    seconds: float
    reason: str = ""   # why it was rebuilt (English)


@dataclass(frozen=True)
class ModelStatus:
    name: str
    path: Path
    state: FolderState
    size: int


def status(names: list[str] | None, cache_dir: Path, deep: bool = False) -> list[ModelStatus]:
    out = []
    for name in names or ORDER:
        spec, path = get_spec(name), model_dir(name, cache_dir)
        state = check_folder(path, spec.source_sha256, deep=deep)
        out.append(ModelStatus(name, path, state, folder_size(path)))
    return out


def corruption_message(name: str, reason: str) -> str:
    return (f"캐시 손상 감지: {name} ({reason}) — 다시 만듭니다 / "
            f"cache corruption detected: {name} ({reason}); rebuilding")


def prepare(names: list[str] | None, cache_dir: Path, *, force: bool = False, keep_gguf: bool = False,
            deep: bool = False, progress: bool = True, log: Log = print) -> list[PrepareResult]:
    """Make every model in `names` ready under `cache_dir`; return what was done."""
    names = [n for n in ORDER if n in (names or ORDER)]
    for n in names:
        get_spec(n)
    t0 = time.perf_counter()
    states = {n: check_folder(model_dir(n, cache_dir), get_spec(n).source_sha256, deep=deep) for n in names}
    if not force and all(s.ok for s in states.values()):
        dt = time.perf_counter() - t0
        return [PrepareResult(n, model_dir(n, cache_dir), "skipped", dt) for n in names]

    root = models_root(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    results = []
    with _locked(root, log):
        _clean_leftovers(root, log)
        for i, name in enumerate(names, 1):
            spec, target = get_spec(name), model_dir(name, cache_dir)
            state = check_folder(target, spec.source_sha256, deep=deep)  # another run may have built it
            if state.ok and not force:
                results.append(PrepareResult(name, target, "skipped", 0.0))
                continue
            if state.status == "corrupt":
                log(corruption_message(name, state.reason))
            log(f"[{i}/{len(names)}] {name}: {spec.title}")
            t1 = time.perf_counter()
            _build(name, cache_dir, keep_gguf=keep_gguf, progress=progress, log=log)
            dt = time.perf_counter() - t1
            action = "built" if state.status == "missing" and not force else "rebuilt"
            log(f"  {name}: 완료 / done in {dt:.1f}s -> {target}")
            results.append(PrepareResult(name, target, action, dt, state.reason))
    return results


@contextmanager
def _locked(root: Path, log: Log) -> Iterator[None]:
    with open(root / ".prepare.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("다른 준비 작업이 끝나기를 기다립니다 / waiting for another prepare run to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_leftovers(root: Path, log: Log) -> None:
    for p in sorted(root.glob(".tmp-*")) + sorted(root.glob(".old-*")):
        log(f"중단된 작업의 임시 폴더 삭제 / removing leftover from an interrupted run: {p.name}")
        shutil.rmtree(p, ignore_errors=True)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("torch", "transformers", "tokenizers", "sentence-transformers", "gguf", "safetensors"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _build(name: str, cache_dir: Path, *, keep_gguf: bool, progress: bool, log: Log) -> None:
    from .gguf_assemble import source_file

    spec, target = get_spec(name), model_dir(name, cache_dir)
    root = target.parent
    free = shutil.disk_usage(root).free
    if free < spec.disk_needed:
        raise DiskFull(root, spec.disk_needed, free)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))
    out, work = tmp / "out", tmp / "work"
    work.mkdir()
    t0 = time.perf_counter()
    try:
        src = source_file(spec, work, cache_dir, keep=keep_gguf, progress=progress)
        if spec.kind == "embedding":
            from .e5convert import convert_e5

            facts = convert_e5(src, out, work, log=log)
        else:
            from .chatconvert import convert_gguf

            facts = convert_gguf(src, out, name, log=log)
        shutil.rmtree(work)  # frees the assembled GGUF before hashing the result
        _make_readable(out)
        write_marker(out, {"name": name, "title": spec.title, "source_sha256": spec.source_sha256,
                           "versions": _versions(), "seconds": round(time.perf_counter() - t0, 1),
                           "facts": facts})
        _swap_into_place(out, target)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise DiskFull(root, spec.disk_needed, shutil.disk_usage(root).free) from e
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _make_readable(folder: Path) -> None:
    """safetensors writes 0600 files; the cache is meant to be shared like any other."""
    for p in folder.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)


def _swap_into_place(new: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.rename(target, old)
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)
