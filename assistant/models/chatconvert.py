"""GGUF chat model -> plain Hugging Face folder (bf16 safetensors + tokenizer).

transformers dequantizes a GGUF on load (`gguf_file=`) but refuses to save the result
("quantized with gguf and is not serializable"); clearing `hf_quantizer` and
`quantization_config` first makes it an ordinary model. The saved folder is then reloaded
and its logits compared with the in-memory model on a short prompt, so a broken save
fails here rather than in the app. What it leaves out: any re-quantization (nf4 happens at
load time from this folder, see the generator factory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .errors import VerificationFailed

CHECK_PROMPT = [{"role": "user", "content": "안녕하세요! 우유 있어요?"}]
MAX_LOGIT_DIFF = 1e-2  # same bf16 weights both sides: only kernel-order noise allowed


def convert_gguf(gguf_path: Path, out_dir: Path, name: str, dtype: str = "bfloat16",
                 log: Callable[[str], object] = print) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype)
    folder, fname = str(gguf_path.parent), gguf_path.name
    log(f"  {name}: GGUF 토크나이저 읽는 중 / loading tokenizer from GGUF")
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=fname)
    log(f"  {name}: GGUF 가중치 복원 중 / dequantizing weights")
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=fname, dtype=torch_dtype)
    model.eval()
    model.hf_quantizer = None
    model.config.quantization_config = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir, safe_serialization=True)
    tok.save_pretrained(out_dir)

    log(f"  {name}: 저장본 다시 읽어 비교 중 / reloading the saved folder to compare logits")
    ids = _prompt_ids(tok)
    with torch.no_grad():
        ref = model(ids).logits.float()
    del model
    reloaded = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype=torch_dtype).eval()
    with torch.no_grad():
        got = reloaded(ids).logits.float()
    diff = float((ref - got).abs().max())
    if diff > MAX_LOGIT_DIFF or not torch.isfinite(got).all():
        raise VerificationFailed(name, f"reloaded logits differ by {diff:.4g} (> {MAX_LOGIT_DIFF})")
    return {"dtype": dtype, "max_logit_diff": diff, "check_tokens": int(ids.shape[1]),
            "architecture": type(reloaded).__name__}


def _prompt_ids(tok):
    import torch

    if getattr(tok, "chat_template", None):
        text = tok.apply_chat_template(CHECK_PROMPT, tokenize=False, add_generation_prompt=True)
    else:
        text = CHECK_PROMPT[0]["content"]
    return torch.tensor([tok(text)["input_ids"]], dtype=torch.long)
