"""Merge a LoRA adapter into its base model and save a full model folder.

    python -m finetune.export --model qwen0.5b --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop

The folder loads like any Hugging Face model (point `JANGBOGI_CHAT_MODEL` at it and set
`JANGBOGI_ADAPTER=none`). Merging happens in the base dtype (bf16) on CPU; the tokenizer
and generation config are copied. Written to a temporary folder first, then renamed.
Leaves out: quantization (the app quantizes at load time) and GGUF conversion.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from finetune import FinetuneError


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="base model: alias, hub id or folder")
    p.add_argument("--adapter", required=True, type=Path, help="LoRA adapter folder")
    p.add_argument("--out", required=True, type=Path, help="merged model folder to write")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder")
    return p


def main(args: argparse.Namespace) -> int:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune.modeling import resolve_model_path

    if not (args.adapter / "adapter_config.json").exists():
        raise FinetuneError(f"no adapter_config.json in {args.adapter}", "어댑터 폴더가 올바르지 않습니다.")
    if args.out.exists() and not args.force:
        raise FinetuneError(f"{args.out} exists (use --force)", "출력 폴더가 이미 있습니다.")
    path = resolve_model_path(args.model, args.cache_dir)
    tok = AutoTokenizer.from_pretrained(path)
    base = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16)
    merged = PeftModel.from_pretrained(base, str(args.adapter)).merge_and_unload()
    tmp = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    if args.out.exists():
        shutil.rmtree(args.out)
    tmp.rename(args.out)
    print(f"merged model written to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(make_parser().parse_args()))
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
