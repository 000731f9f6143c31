"""Convert KorQuAD 1.0 (SQuAD JSON) into the eval command's corpus/query JSONL.

Each paragraph becomes a corpus line `{"id": "kq0001", "title", "text"}`, each question
a query line `{"id", "query", "relevant": [paragraph id], "type": "korquad"}`. The data
stays outside the repository (CC BY-ND): write it to a temporary folder.

    python -m retrieval.korquad --src ../shared/eval/korquad_v1_dev/KorQuAD_v1.0_dev.json --out /tmp/kq
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def convert(src: str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """Write `corpus.jsonl` and `queries.jsonl` under `out_dir`; returns both paths."""
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    corpus, queries = [], []
    n = 0
    for article in data["data"]:
        for para in article["paragraphs"]:
            n += 1
            pid = f"kq{n:04d}"
            corpus.append({"id": pid, "title": article.get("title", ""), "text": para["context"]})
            for qa in para["qas"]:
                queries.append({"id": qa["id"], "query": qa["question"], "relevant": [pid], "type": "korquad"})
    paths = []
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        path = out / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths[0], paths[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="KorQuAD 1.0 JSON -> corpus.jsonl + queries.jsonl for `python -m retrieval.eval`.",
        epilog="example: python -m retrieval.korquad --src ../shared/eval/korquad_v1_dev/KorQuAD_v1.0_dev.json --out /tmp/kq")
    parser.add_argument("--src", required=True, help="KorQuAD_v1.0_dev.json")
    parser.add_argument("--out", required=True, help="output folder (keep it outside the repository)")
    args = parser.parse_args(argv)
    corpus, queries = convert(args.src, args.out)
    print(f"wrote {corpus} and {queries}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
