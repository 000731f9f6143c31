"""Export a LoRA adapter: merged into a full Hugging Face folder, or as a GGUF LoRA for llama.cpp.

    python -m finetune.export --model qwen0.5b --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop
    python -m finetune.export --format gguf-lora --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop-lora.gguf

`--format hf` (default): the folder loads like any Hugging Face model (point
`JANGBOGI_CHAT_MODEL` at it and set `JANGBOGI_ADAPTER=none`). Merging happens in the base
dtype (bf16) on CPU; the tokenizer and generation config are copied. Written to a temporary
folder first, then renamed.

`--format gguf-lora`: llama.cpp's GGUF LoRA format, checked against the base model's GGUF
(`--model` alias, `.gguf` file or folder); `JANGBOGI_ADAPTER` may point at the file. The app
converts the shipped adapter itself on first use (`assistant.generators.gguf_files`), so
this is for other adapters and for inspection. A merged, re-quantized GGUF is not offered:
measured, the runtime adapter costs little decode speed (docs/benchmarks/llamacpp.md) and
re-quantizing the merged weights would add a second quantization error.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from finetune import FinetuneError, run_cli


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="base model: alias, hub id or folder")
    p.add_argument("--adapter", required=True, type=Path, help="LoRA adapter folder")
    p.add_argument("--out", required=True, type=Path, help="merged model folder (hf) or .gguf file (gguf-lora)")
    p.add_argument("--format", choices=("hf", "gguf-lora"), default="hf",
                   help="hf: merged Hugging Face folder; gguf-lora: llama.cpp GGUF LoRA adapter")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder")
    return p


def export_gguf_lora(args: argparse.Namespace) -> int:
    from assistant.generators import GenerationError
    from assistant.generators.gguf_files import convert_lora, model_gguf

    try:
        base = model_gguf(args.model, Path(args.cache_dir).expanduser())
    except GenerationError as exc:
        raise FinetuneError(str(exc), "기반 모델의 GGUF 파일을 찾지 못했습니다.") from exc
    try:
        info = convert_lora(args.adapter, base, args.out)
    except (ValueError, KeyError) as exc:
        raise FinetuneError(str(exc), "어댑터를 GGUF LoRA로 변환하지 못했습니다.") from exc
    print(f"GGUF LoRA written to {args.out} ({info['tensors']} tensors, rank {info['rank']}, "
          f"alpha {info['alpha']:g}, arch {info['arch']}, base {base.name})")
    return 0


def main(args: argparse.Namespace) -> int:
    if not (args.adapter / "adapter_config.json").exists():
        raise FinetuneError(f"no adapter_config.json in {args.adapter}", "어댑터 폴더가 올바르지 않습니다.")
    if args.out.exists() and not args.force:
        raise FinetuneError(f"{args.out} exists (use --force)", "출력 폴더가 이미 있습니다.")
    if args.format == "gguf-lora":
        return export_gguf_lora(args)
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune.modeling import resolve_model_path

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
    run_cli(main, make_parser)
