"""Generation speed of a LoRA adapter merged into the base weights vs attached unmerged
(peft's per-layer adapter calls), in the same process, on the app's own prompts.

    python -m finetune.bench --data var/ft-data --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --rows 6 --json

Both variants answer the same held-out prompts (greedy, the app's decoding) in alternating
order, so machine load hits both alike; reports generated tokens per second for each and the
ratio merged/unmerged, and whether the two produced the same text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from finetune import run_cli


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="dataset folder (prompts from SPLIT.jsonl)")
    p.add_argument("--model", required=True, help="alias qwen0.5b|smollm2, hub id or folder")
    p.add_argument("--adapter", required=True, help="LoRA adapter folder")
    p.add_argument("--split", default="test")
    p.add_argument("--rows", type=int, default=6, help="prompts timed per variant")
    p.add_argument("--max-new-tokens", type=int, default=160)
    p.add_argument("--cache-dir", default="~/.cache/jangbogi")
    p.add_argument("--json", action="store_true", help="print the JSON summary")
    return p


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.generators.local import TransformersGenerator
    from finetune.evaluate import app_messages, pick_rows
    from finetune.modeling import read_jsonl

    rows = pick_rows(read_jsonl(args.data / f"{args.split}.jsonl"), args.rows, seed=1)
    gens = {label: TransformersGenerator(args.model, cache_dir=Path(args.cache_dir).expanduser(),
                                         adapter_path=Path(args.adapter), timeout_s=600, merge_adapter=merge)
            for label, merge in (("unmerged", False), ("merged", True))}
    for g in gens.values():
        g.load()
    stats = {label: {"tokens": 0, "seconds": 0.0} for label in gens}
    same = 0
    for i, row in enumerate(tqdm(rows, desc="bench", file=sys.stderr)):
        messages = app_messages(row)
        texts = {}
        order = list(gens) if i % 2 == 0 else list(reversed(gens))
        for label in order:
            g = gens[label]
            t = time.perf_counter()
            texts[label] = "".join(g.stream(messages, max_new_tokens=args.max_new_tokens))
            stats[label]["seconds"] += time.perf_counter() - t
            stats[label]["tokens"] += len(g._tokenizer(texts[label], add_special_tokens=False)["input_ids"])
        same += texts["merged"].strip() == texts["unmerged"].strip()
    for s in stats.values():
        s["tokens_per_s"] = round(s["tokens"] / s["seconds"], 2) if s["seconds"] else None
        s["seconds"] = round(s["seconds"], 1)
    result = {"model": args.model, "adapter": str(args.adapter), "rows": len(rows), **stats,
              "speedup_merged": round(stats["merged"]["tokens_per_s"] / stats["unmerged"]["tokens_per_s"], 2),
              "identical_answers": same}
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else
          f"merged {stats['merged']['tokens_per_s']} tok/s vs unmerged {stats['unmerged']['tokens_per_s']} tok/s "
          f"(x{result['speedup_merged']}); identical answers {same}/{len(rows)}")
    return 0


if __name__ == "__main__":
    run_cli(main, make_parser)
