"""Local Hugging Face chat model with token streaming, stop and timeout.

Device and dtype are chosen in one place (`load_plan`): nf4 through bitsandbytes when
`quantization == "nf4"` or `"auto"` on CUDA; bf16 on CPU (13 tok/s for the 0.5B model on 2
cores, against 6.5 in fp32). A LoRA adapter is attached with peft when given. The model loads
once, on the first `stream` call, under a lock; generation is serialized by a second lock
so sessions can share one instance safely.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from assistant.generators import GenerationError


@dataclass(frozen=True)
class LoadPlan:
    device: str          # "cpu" | "cuda"
    dtype: str           # "bfloat16" | "float16" | "float32"
    nf4: bool


def from_pretrained_kwargs(dtype: str, nf4: bool, device: str) -> dict:
    """`AutoModelForCausalLM.from_pretrained` keyword arguments for a placement; shared with
    `finetune.modeling` so inference and training quantize the same way."""
    import torch

    kwargs: dict = {"dtype": getattr(torch, dtype)}
    if nf4:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
    if device == "cuda":
        kwargs["device_map"] = "cuda"
    return kwargs


def load_plan(quantization: str, device: str, cuda_available: bool) -> LoadPlan:
    """Pure choice of device/dtype/quantization.

    >>> load_plan("auto", "auto", False)
    LoadPlan(device='cpu', dtype='bfloat16', nf4=False)
    >>> load_plan("auto", "auto", True)
    LoadPlan(device='cuda', dtype='bfloat16', nf4=True)
    """
    dev = ("cuda" if cuda_available else "cpu") if device == "auto" else device
    nf4 = quantization == "nf4" or (quantization == "auto" and dev == "cuda")
    return LoadPlan(device=dev, dtype="bfloat16", nf4=nf4)


def resolve_model(name_or_path: str, cache_dir: Path) -> str:
    """Alias -> prepared folder (via assistant.models when present), else hub id / path."""
    try:
        from assistant.models import resolve_chat_model
    except ImportError:
        candidate = Path(cache_dir) / "models" / name_or_path
        return str(candidate) if candidate.is_dir() else name_or_path
    return resolve_chat_model(name_or_path, cache_dir)


class TransformersGenerator:
    def __init__(self, model: str, cache_dir: Path | str = "~/.cache/jangbogi", adapter_path: Path | None = None,
                 quantization: str = "auto", device: str = "auto", timeout_s: float = 90.0,
                 status: Callable[[str], None] | None = None, temperature: float = 0.0,
                 merge_adapter: bool = True) -> None:
        self.model_name = model
        self.merge_adapter = merge_adapter
        self.cache_dir = Path(cache_dir).expanduser()
        self.adapter_path = adapter_path
        self.quantization = quantization
        self.device = device
        self.timeout_s = timeout_s
        self.status = status
        self.temperature = temperature
        self.name = f"transformers:{model}" + (f"+{Path(adapter_path).name}" if adapter_path else "")
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._model = None
        self._tokenizer = None
        self.load_seconds: float | None = None
        self._failed: tuple[float, GenerationError] | None = None  # (when, error) of the last failed load
        self._enforcer_data = None   # lm-format-enforcer's view of the vocabulary (built once)

    RETRY_AFTER_S = 300.0  # a failed load is not retried on every turn (each try costs seconds)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load tokenizer + model (+ adapter) once. Raises GenerationError with a Korean message."""
        with self._load_lock:
            if self._model is not None:
                return
            if self._failed and time.monotonic() - self._failed[0] < self.RETRY_AFTER_S:
                raise self._failed[1]
            t0 = time.perf_counter()
            if self.status:
                self.status(f"언어 모델({self.model_name})을 불러오는 중이에요. 처음 한 번만 기다려 주세요…")
            try:
                self._tokenizer, self._model = self._load_model()
            except GenerationError as exc:
                self._failed = (time.monotonic(), exc)
                raise
            except Exception as exc:  # missing folder, no network for a hub id, bad adapter...
                error = GenerationError(
                    f"could not load chat model {self.model_name!r}: {type(exc).__name__}: {exc}",
                    "언어 모델을 불러오지 못해 기본 답변으로 안내해 드려요. "
                    "`python -m assistant.models prepare`로 모델을 준비할 수 있어요.")
                self._failed = (time.monotonic(), error)
                raise error from exc
            self.load_seconds = time.perf_counter() - t0

    def _load_model(self):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = resolve_model(self.model_name, self.cache_dir)
        plan = load_plan(self.quantization, self.device, torch.cuda.is_available())
        kwargs = from_pretrained_kwargs(plan.dtype, plan.nf4, plan.device)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        if self.adapter_path:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(self.adapter_path))
            if self.merge_adapter and not plan.nf4:
                # Fold the LoRA weights into the bf16/fp32 base: the same function without the
                # per-layer adapter calls (speed: docs/benchmarks/finetune.md). 4-bit weights
                # stay unmerged: merging would re-quantize them.
                model = model.merge_and_unload()
        model.eval()
        return tokenizer, model

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        self.load()
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tok, model = self._tokenizer, self._model
        stop = stop or threading.Event()
        deadline = time.monotonic() + self.timeout_s

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return stop.is_set() or time.monotonic() > deadline

        inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True).to(model.device)
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout_s)
        gen_kwargs = dict(**inputs, max_new_tokens=max_new_tokens, streamer=streamer,
                          stopping_criteria=StoppingCriteriaList([_Stop()]),
                          pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
        if self.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=self.temperature)
        else:
            gen_kwargs.update(do_sample=False)
        errors: list[BaseException] = []

        def _run() -> None:
            try:
                model.generate(**gen_kwargs)
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                streamer.end()

        with self._gen_lock:
            worker = threading.Thread(target=_run, name="jangbogi-generate", daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
                    if stop.is_set():
                        break
            except Exception as exc:  # queue.Empty from the streamer timeout
                stop.set()
                raise GenerationError(f"generation timed out after {self.timeout_s}s: {exc!r}",
                                      "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요.") from exc
            finally:
                stop.set()
                worker.join(timeout=5)
        if errors:
            raise GenerationError(f"generation failed: {errors[0]!r}")
        if time.monotonic() > deadline:
            raise GenerationError(f"generation exceeded {self.timeout_s}s",
                                  "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요.")

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 256,
                      stop: threading.Event | None = None) -> dict:
        """Greedy decoding constrained to the JSON `schema` by lm-format-enforcer's core
        (`TokenEnforcer` + `JsonSchemaParser`). Its transformers integration module does not
        import under transformers 5 (it looks for `PreTrainedTokenizerBase` in a moved module),
        so the vocabulary table is built here the same way (once per instance: a few seconds
        for a 150k-token vocabulary)."""
        self.load()
        from lmformatenforcer import JsonSchemaParser, TokenEnforcer
        from transformers import StoppingCriteria, StoppingCriteriaList

        from assistant.generators.llamacpp import parse_json_object

        tok, model = self._tokenizer, self._model
        stop = stop if isinstance(stop, threading.Event) else threading.Event()
        deadline = time.monotonic() + self.timeout_s

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return stop.is_set() or time.monotonic() > deadline

        with self._gen_lock:
            if self._enforcer_data is None:
                self._enforcer_data = enforcer_tokenizer_data(tok)
            enforcer = TokenEnforcer(self._enforcer_data, JsonSchemaParser(schema))
            inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                             return_dict=True).to(model.device)
            try:
                out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                     prefix_allowed_tokens_fn=lambda _b, ids: enforcer.get_allowed_tokens(
                                         ids.tolist()).allowed_tokens,
                                     stopping_criteria=StoppingCriteriaList([_Stop()]),
                                     pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
            except Exception as exc:
                raise GenerationError(f"constrained generation failed: {exc!r}") from exc
        if time.monotonic() > deadline:
            raise GenerationError(f"generation exceeded {self.timeout_s}s",
                                  "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요.")
        text = tok.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return parse_json_object(text)


def enforcer_tokenizer_data(tok):
    """lm-format-enforcer's `TokenEnforcerTokenizerData` for a Hugging Face tokenizer: each
    regular token's text (decoded after a "0" so a leading space survives) and whether it
    starts a word; the same construction as the library's transformers integration."""
    from lmformatenforcer import TokenEnforcerTokenizerData

    zero = tok.encode("0", add_special_tokens=False)[-1]
    special = set(tok.all_special_ids)
    ids = [i for i in range(len(tok)) if i not in special]
    after_zero = tok.batch_decode([[zero, i] for i in ids])
    alone = tok.batch_decode([[i] for i in ids])
    regular = [(i, a[1:], len(a) - 1 > len(b)) for i, a, b in zip(ids, after_zero, alone)]

    def decode(tokens: list[int]) -> str:
        return tok.decode(tokens).rstrip("\ufffd")

    return TokenEnforcerTokenizerData(regular, decode, tok.eos_token_id, False, len(tok))
