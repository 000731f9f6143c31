"""Model plumbing shared by train, evaluate and export: resolve a model name, load it with the
device/dtype/quantization chosen in one place, and turn chat rows into training tensors
with the loss on assistant tokens only.

Leaves out: the training loop (`train`) and generation (the app's own generator is used
by `evaluate`).

Example (masking, no model needed):
    >>> mask_labels([5, 6, 7, 8], prompt_len=3)
    [-100, -100, -100, 8]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from finetune import FinetuneError

IGNORE = -100


def resolve_model_path(name: str, cache_dir: str | Path | None = None) -> str:
    """Alias (`qwen0.5b`, `smollm2`) -> prepared folder; a hub id or a path passes through."""
    cache = Path(cache_dir or "~/.cache/jangbogi").expanduser()
    try:
        from assistant.models import resolve_chat_model

        return str(resolve_chat_model(name, cache))
    except ImportError:
        pass
    candidate = cache / "models" / name
    if candidate.is_dir():
        return str(candidate)
    if name in ("qwen0.5b", "smollm2"):
        raise FinetuneError(f"model {name!r} is not prepared in {cache}/models",
                            "모델이 준비되지 않았습니다. `python -m assistant.models prepare`를 먼저 실행하세요.")
    return name


@dataclass(frozen=True)
class Placement:
    device: str      # cpu | cuda
    dtype: str       # bfloat16 | float32
    nf4: bool


def choose_placement(qlora: str, cuda: bool) -> Placement:
    """One place for device and dtype: bf16 everywhere (CPU has bf16 kernels here), nf4 for
    QLoRA when asked or on CUDA with `auto`.

    >>> choose_placement("auto", False)
    Placement(device='cpu', dtype='bfloat16', nf4=False)
    >>> choose_placement("auto", True).nf4, choose_placement("on", False).nf4
    (True, True)
    """
    nf4 = qlora == "on" or (qlora == "auto" and cuda)
    return Placement("cuda" if cuda else "cpu", "bfloat16", nf4)


def load_model(path: str, placement: Placement):
    """(tokenizer, model) for training or evaluation."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from assistant.generators.local import from_pretrained_kwargs

    kwargs = from_pretrained_kwargs(placement.dtype, placement.nf4, placement.device)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if placement.device == "cuda":
        # eager attention masks with the dtype's minimum, not -inf: CUDA SDPA gave NaN gradients
        # on right-padded batches here (a 0.5B model at step 13), eager trains on
        kwargs["attn_implementation"] = "eager"
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    return tok, model


def mask_labels(ids: list[int], prompt_len: int) -> list[int]:
    return [IGNORE] * prompt_len + list(ids[prompt_len:])


def encode_row(tok, messages: list[dict], max_len: int) -> dict | None:
    """input_ids/labels for one chat row (loss on the final assistant reply); None if too long
    or if the chat template does not tokenize the prompt as a prefix of the full chat."""
    prompt_text = tok.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full_text = tok.apply_chat_template(messages, tokenize=False)
    if not full_text.startswith(prompt_text):
        return None
    prompt_ids = tok(prompt_text, add_special_tokens=False)["input_ids"]
    full_ids = tok(full_text, add_special_tokens=False)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids or len(full_ids) > max_len or len(full_ids) <= len(prompt_ids):
        return None
    return {"input_ids": full_ids, "labels": mask_labels(full_ids, len(prompt_ids))}


def row_tokens(tok, messages: list[dict]) -> int:
    """Length in tokens of a whole chat row (to report rows that do not fit)."""
    return len(tok(tok.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"])


def collate(batch: list[dict], pad_id: int):
    """Right-pad a list of encoded rows into tensors."""
    import torch

    width = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, b in enumerate(batch):
        n = len(b["input_ids"])
        ids[i, :n] = torch.tensor(b["input_ids"])
        labels[i, :n] = torch.tensor(b["labels"])
        mask[i, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    import json

    if not path.exists():
        raise FinetuneError(f"missing data file {path}", "학습 데이터 파일이 없습니다. `python -m finetune.data`를 먼저 실행하세요.")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def reply_loss(model, batch: dict):
    """Mean cross-entropy over labelled (reply) tokens. The LM head runs on those positions
    only: the vocabulary projection is about a quarter of a 0.5B model's compute and prompt
    tokens are most of every row, so this cuts a CPU step by roughly that much."""
    import torch.nn.functional as F

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = inner.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    labels = batch["labels"][:, 1:]
    keep = labels != IGNORE
    logits = inner.get_output_embeddings()(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), labels[keep])
