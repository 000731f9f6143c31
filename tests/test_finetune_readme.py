"""The README's fine-tuning commands run as a user types them (issue: `--max-len 512` was shorter
than the app's own prompts, so `finetune.train` stopped with "no training rows fit").

The commands are read from README.md; only the scale changes (smollm2 instead of qwen0.5b,
fewer rows and steps). Nothing about lengths is added.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCALE = {
    "finetune.data": ["--limit", "24"],
    "finetune.train": ["--max-steps", "1", "--val-limit", "1", "--eval-every", "1", "--qlora", "off"],
    "finetune.evaluate": ["--limit", "2", "--max-new-tokens", "4"],
}


def readme_commands() -> list[list[str]]:
    """`python -m finetune.X ...` commands of the README, split at && and comments removed."""
    out = []
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if "-m finetune." not in line:
            continue
        for part in line.split("#")[0].split("&&"):
            words = shlex.split(part)
            if "-m" in words and words[words.index("-m") + 1].startswith("finetune."):
                out.append(words[words.index("-m") + 1:])
    return out


def test_readme_lists_the_fine_tuning_commands_without_a_length_flag():
    cmds = readme_commands()
    assert [c[0] for c in cmds][:3] == ["finetune.data", "finetune.train", "finetune.evaluate"]
    assert not any("--max-len" in c for c in cmds)


@pytest.mark.model
@pytest.mark.slow
def test_readme_fine_tuning_commands_run_as_typed_at_smoke_scale(tmp_path: Path, cache_dir: Path):
    if not (cache_dir / "models" / "smollm2" / ".jangbogi-ok.json").exists():
        pytest.skip("smollm2 is not prepared")
    for words in readme_commands():
        module, args = words[0], words[1:]
        args = ["smollm2" if a == "qwen0.5b" else a for a in args]
        args = [str(tmp_path / a) if re.fullmatch(r"runs/[\w/]+", a) else a for a in args]
        args += SCALE.get(module, []) + ["--cache-dir", str(cache_dir)] * (module != "finetune.data")
        res = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                             timeout=1500)
        assert res.returncode == 0, f"{module}: {res.stderr[-2000:]}"
        assert "no training rows fit" not in res.stdout + res.stderr
    assert (tmp_path / "runs" / "lora" / "adapter" / "adapter_config.json").exists()
