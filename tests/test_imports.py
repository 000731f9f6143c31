"""Importing the packages must be cheap and side-effect free (Foundation issue, item 1)."""

import json
import subprocess
import sys
import time

PACKAGES = ["app", "ui", "assistant", "retrieval", "profiles", "finetune", "store", "database"]


def _snapshot(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if ".venv" not in p.parts and ".git" not in p.parts and "__pycache__" not in p.parts
            and ".pytest_cache" not in p.parts}


def test_import_is_fast_and_side_effect_free(repo_root, tmp_path):
    before = _snapshot(repo_root)
    code = (
        "import sys, time, json; t=time.time();"
        f"import {', '.join(PACKAGES)};"
        "heavy=[m for m in ('torch','transformers','chromadb','sentence_transformers','gradio','kiwipiepy')"
        " if m in sys.modules];"
        "print(json.dumps({'s': time.time()-t, 'heavy': heavy}))"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
           "JANGBOGI_CACHE": str(tmp_path / "cache")}
    t0 = time.time()
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=repo_root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["s"] < 15, result
    assert time.time() - t0 < 60
    # no model library, no database, no directory: package imports stay lazy
    assert result["heavy"] == [], f"heavy modules imported at package import: {result['heavy']}"
    assert not (tmp_path / "cache").exists()
    assert list(tmp_path.iterdir()) == [], "import created files under HOME"
    assert _snapshot(repo_root) - before == set(), "import created files in the repo"
