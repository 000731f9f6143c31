"""Completion markers for prepared model folders, and the checks that trust them.

A finished folder holds `.jangbogi-ok.json`: format version, model name, source sha256,
library versions, and for every file its size, a quick fingerprint (sha256 of size + first
and last 64 KiB) and its full sha256. `check_folder` compares sizes and fingerprints
(milliseconds even for a 1.3 GB file, and it catches truncation or a rewritten head/tail);
`deep=True` re-hashes every byte.

Example:
    >>> state = check_folder(Path("/nonexistent"))
    >>> state.status
    'missing'
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from .registry import FORMAT_VERSION, MARKER_NAME

EDGE = 64 * 1024
CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class FolderState:
    status: Literal["ok", "missing", "corrupt"]
    reason: str = ""                 # English, for logs
    marker: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def sha256_file(path: Path, update: Callable[[int], object] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if update:
                update(len(chunk))
    return h.hexdigest()


def quick_fingerprint(path: Path, size: int | None = None) -> str:
    size = path.stat().st_size if size is None else size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(EDGE))
        if size > EDGE:
            f.seek(max(EDGE, size - EDGE))
            h.update(f.read(EDGE))
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER_NAME)


def write_marker(folder: Path, info: dict, update: Callable[[int], object] | None = None) -> dict:
    """Hash every file of `folder` and write the marker atomically. Returns the marker."""
    files = {}
    for p in _files(folder):
        size = p.stat().st_size
        files[p.relative_to(folder).as_posix()] = {
            "size": size, "quick": quick_fingerprint(p, size), "sha256": sha256_file(p, update),
        }
    marker = {"format": FORMAT_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              **info, "files": files}
    tmp = folder / (MARKER_NAME + ".tmp")
    tmp.write_text(json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MARKER_NAME)
    return marker


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check_folder(folder: Path, expected_source: str | None = None, deep: bool = False) -> FolderState:
    """Is `folder` a complete, undamaged prepared model? Never raises for bad content."""
    if not folder.is_dir():
        return FolderState("missing", "folder does not exist")
    marker = read_marker(folder)
    if marker is None:
        return FolderState("corrupt", f"no readable marker {MARKER_NAME}")
    if marker.get("format") != FORMAT_VERSION:
        return FolderState("corrupt", f"marker format {marker.get('format')} != {FORMAT_VERSION}", marker)
    if expected_source and marker.get("source_sha256") != expected_source:
        return FolderState("corrupt", "prepared from a different source file", marker)
    files = marker.get("files") or {}
    if not files:
        return FolderState("corrupt", "marker lists no files", marker)
    for rel, rec in files.items():
        p = folder / rel
        try:
            size = p.stat().st_size
        except OSError:
            return FolderState("corrupt", f"{rel} is missing", marker)
        if size != rec["size"]:
            return FolderState("corrupt", f"{rel} has {size} bytes, expected {rec['size']} (truncated?)", marker)
        try:
            if quick_fingerprint(p, size) != rec["quick"]:
                return FolderState("corrupt", f"{rel} content changed (fingerprint)", marker)
            if deep and sha256_file(p) != rec["sha256"]:
                return FolderState("corrupt", f"{rel} content changed (sha256)", marker)
        except OSError as e:
            return FolderState("corrupt", f"{rel} unreadable: {e}", marker)
    return FolderState("ok", "", marker)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
