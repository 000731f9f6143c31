"""Combine `finetune.evaluate` runs made with different seeds into one Markdown table.

    python -m finetune.report var/ft-eval-s1 var/ft-eval-s2 > /tmp/table.md

For each metric: before and after per seed, the mean change, and the run-to-run noise
(the largest before-vs-before or after-vs-after difference between seeds). Adds one
metric computed from the saved answers: `grounded_complete`, the share of answers that are
grounded AND state every number and id of the reference (a vacuous answer, such as an echo
of the question, is grounded but not complete).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from finetune.evaluate import DELTA_ROWS


def grounded_complete(folder: Path, run: str) -> float:
    rows = [json.loads(line) for line in (folder / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["run"] == run]
    return round(sum(r["grounded"] == 1.0 and r["fact_recall"] >= 0.999 for r in rows) / max(1, len(rows)), 4)


def table(folders: list[Path]) -> str:
    runs = [json.loads((f / "eval.json").read_text(encoding="utf-8")) for f in folders]
    for f, r in zip(folders, runs):
        r["before"]["grounded_complete"] = grounded_complete(f, "before")
        r["after"]["grounded_complete"] = grounded_complete(f, "after")
    seeds = [r["config"]["seed"] for r in runs]
    head = ("| metric | " + " | ".join(f"before s{s}" for s in seeds) + " | " + " | ".join(f"after s{s}" for s in seeds)
            + " | mean change | noise (max seed diff) |")
    lines = [head, "|" + "---|" * (3 + 2 * len(seeds))]
    for key, label in (("grounded_complete", "grounded & complete"),) + DELTA_ROWS:
        b = [r["before"].get(key) for r in runs]
        a = [r["after"].get(key) for r in runs]
        if any(v is None for v in b + a):
            continue
        change = sum(a) / len(a) - sum(b) / len(b)
        noise = max(max(b) - min(b), max(a) - min(a))
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in b + a) + f" | {change:+.3f} | {noise:.3f} |")
    n = ", ".join(f"s{s}: {r['before']['n']} rows" for s, r in zip(seeds, runs))
    return "\n".join(lines) + f"\n\nRows per run: {n}.\n"


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    print(table([Path(a) for a in args]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
