"""Export a LoRA adapter: merged into a full Hugging Face folder, or as a GGUF LoRA for llama.cpp.

    python -m finetune.export --model qwen0.5b --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop
    python -m finetune.export --format gguf-lora --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop-lora.gguf
    python -m finetune.export --format gguf --quant iq4_nl_all --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --out var/qwen0.5b-shop-iq4_nl_all.gguf

`--format hf` (default): the folder loads like any Hugging Face model (point
`JANGBOGI_CHAT_MODEL` at it and set `JANGBOGI_ADAPTER=none`). Merging happens in the base
dtype (bf16) on CPU; the tokenizer and generation config are copied. Written to a temporary
folder first, then renamed.

`--format gguf-lora`: llama.cpp's GGUF LoRA format, checked against the base model's GGUF
(`--model` alias, `.gguf` file or folder); `JANGBOGI_ADAPTER` may point at the file. The app
converts the shipped adapter itself on first use (`assistant.generators.gguf_files`), so
this is for other adapters and for inspection.

`--format gguf`: the base GGUF dequantized, the adapter merged in, re-quantized by llama.cpp
to `--quant` (iq4_nl_all default: every matrix IQ4_NL, repacked AVX2 kernels, 1.5-2x the decode
speed of the shipped Q4_K_M mix on CPU; docs/benchmarks/llamacpp.md). This is the file the app itself makes once
and runs by default (`JANGBOGI_LLAMA_QUANT`); point `JANGBOGI_CHAT_MODEL` at an exported
file with `JANGBOGI_ADAPTER=none JANGBOGI_LLAMA_QUANT=none` to run it as it is.
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
    p.add_argument("--out", required=True, type=Path, help="merged model folder (hf) or .gguf file (gguf, gguf-lora)")
    p.add_argument("--format", choices=("hf", "gguf", "gguf-lora"), default="hf",
                   help="hf: merged Hugging Face folder; gguf: merged, re-quantized GGUF for llama.cpp; "
                        "gguf-lora: llama.cpp GGUF LoRA adapter")
    p.add_argument("--quant", choices=("iq4_nl_all", "iq4_nl", "q4_0", "q8_0"), default="iq4_nl_all",
                   help="weight type of --format gguf (default iq4_nl_all: every matrix IQ4_NL, as the app runs it)")
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


def export_gguf(args: argparse.Namespace) -> int:
    import time

    from assistant.generators import GenerationError
    from assistant.generators.gguf_files import model_gguf, quantize_gguf, write_merged_f16

    try:
        base = model_gguf(args.model, Path(args.cache_dir).expanduser())
    except GenerationError as exc:
        raise FinetuneError(str(exc), "기반 모델의 GGUF 파일을 찾지 못했습니다.") from exc
    t0 = time.perf_counter()
    f16 = args.out.with_name(args.out.name + ".f16.partial")
    partial = args.out.with_name(args.out.name + ".partial")
    try:
        merged = write_merged_f16(base, args.adapter, f16)
        quantize_gguf(f16, partial, args.quant)
        partial.replace(args.out)
    except ImportError as exc:
        raise FinetuneError(f"llama-cpp-python is needed to quantize: {exc}",
                            "llama.cpp 라이브러리가 없어 GGUF로 양자화하지 못했습니다.") from exc
    except (ValueError, KeyError, OSError) as exc:
        raise FinetuneError(str(exc), "어댑터를 합친 GGUF를 만들지 못했습니다.") from exc
    finally:
        f16.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    print(f"merged GGUF written to {args.out} ({merged} LoRA weights merged into {base.name}, {args.quant}, "
          f"{args.out.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - t0:.0f}s)")
    return 0


def main(args: argparse.Namespace) -> int:
    if not (args.adapter / "adapter_config.json").exists():
        raise FinetuneError(f"no adapter_config.json in {args.adapter}", "어댑터 폴더가 올바르지 않습니다.")
    if args.out.exists() and not args.force:
        raise FinetuneError(f"{args.out} exists (use --force)", "출력 폴더가 이미 있습니다.")
    if args.format == "gguf-lora":
        return export_gguf_lora(args)
    if args.format == "gguf":
        return export_gguf(args)
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
