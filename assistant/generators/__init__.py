"""Text generators behind one Protocol, chosen in one factory from `Settings`.

- `TemplateGenerator`: no language model; returns the correct-by-construction draft that
  `assistant.prompting.build_messages` embeds in the system prompt (`--no-llm`, tests, and
  the degraded mode when a model is missing or fails).
- `TransformersGenerator` (`local.py`): a local Hugging Face model (alias, hub id or folder),
  nf4 through bitsandbytes when asked or on CUDA, bf16 on CPU, optional LoRA adapter
  through peft, token streaming, stop event and timeout. Loads once, lazily, thread-safe.
- `LlamaCppGenerator` (`llamacpp.py`): the embedded 4-bit GGUF run as it ships through
  llama-cpp-python on CPU, the shipped LoRA as a GGUF LoRA adapter, prompt-prefix KV reuse.
- `OpenAICompatGenerator` (`openai_compat.py`): any `/chat/completions` server with SSE
  streaming (vLLM, TGI, `python -m llama_cpp.server`).

Every backend also offers `generate_json(messages, schema, max_new_tokens, stop) -> dict`:
decoding constrained to a JSON schema (llama.cpp GBNF grammar, lm-format-enforcer on
transformers, `response_format: json_schema` on an endpoint).

Leaves out: what the reply may say (prompting/validator) and retries (the service falls back).
Importing this package loads no model and opens no connection.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterator, Protocol, runtime_checkable

from assistant.prompting import draft_from_messages


class GenerationError(RuntimeError):
    """A generator could not produce text (missing model, server error, timeout)."""

    def __init__(self, message: str, user_message: str = "언어 모델을 사용할 수 없어 기본 답변으로 안내해 드려요."):
        super().__init__(message)
        self.user_message = user_message


@runtime_checkable
class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        """Yield text deltas of the assistant reply to `messages`."""
        ...

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 256,
                      stop: threading.Event | None = None) -> dict:
        """A JSON object conforming to `schema` (constrained decoding; GenerationError if cut short)."""
        ...


class TemplateGenerator:
    """No model: streams the template draft from the system prompt, word by word."""

    name = "template"
    is_template = True

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        draft = draft_from_messages(messages)
        for i, word in enumerate(draft.split(" ")):
            if stop is not None and stop.is_set():
                return
            yield word if i == 0 else " " + word

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 256,
                      stop: threading.Event | None = None) -> dict:
        raise GenerationError("the template generator has no model for structured output")


def cuda_present() -> bool:
    """A CUDA GPU is usable. Checks the driver first, so CPU machines never import torch here."""
    import os

    if not (os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidiactl")):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_backend(settings, *, cuda: Callable[[], bool] = cuda_present,
                    llamacpp_ready: Callable[[str, object], bool] | None = None) -> str:
    """`settings.backend` made concrete: 'openai', 'llamacpp' or 'transformers'.

    auto: an endpoint when one is set; transformers (nf4 + peft) on CUDA or when nf4 is
    asked for; llama.cpp on CPU when the library is installed and a GGUF exists for the
    chat model; else transformers.
    """
    if settings.backend != "auto":
        return settings.backend
    if settings.llm_endpoint:
        return "openai"
    if settings.quantization == "nf4" or settings.device == "cuda" or (settings.device == "auto" and cuda()):
        return "transformers"
    if llamacpp_ready is None:
        from assistant.generators.gguf_files import alias_gguf_available
        from assistant.generators.llamacpp import library_available

        def llamacpp_ready(model, cache_dir):
            return library_available() and alias_gguf_available(model, cache_dir)
    return "llamacpp" if llamacpp_ready(settings.chat_model, settings.cache_dir) else "transformers"


def make_generator(settings, status: Callable[[str], None] | None = None) -> Generator:
    """Pick the backend from settings (`resolve_backend`); --no-llm gives the template.

    Nothing is loaded here; a local model loads on its first call. The entry points call
    this once per process, so every session shares one instance.
    """
    if settings.no_llm:
        return TemplateGenerator()
    backend = resolve_backend(settings)
    if backend == "openai":
        from assistant.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(settings.llm_endpoint, model=settings.llm_endpoint_model or settings.chat_model,
                                     api_key=settings.llm_api_key, timeout_s=settings.generation_timeout_s)
    if backend == "llamacpp":
        from assistant.generators.llamacpp import LlamaCppGenerator
        from assistant.prompting import RULES

        return LlamaCppGenerator(settings.chat_model, cache_dir=settings.cache_dir,
                                 adapter_path=settings.adapter_path, n_threads=settings.n_threads,
                                 timeout_s=settings.generation_timeout_s, status=status,
                                 warm_system_prompt=RULES, quant=settings.llama_merged_quant,
                                 lookup_tokens=settings.llama_lookup,
                                 decode_threads=settings.llama_decode_threads)
    from assistant.generators.local import TransformersGenerator

    return TransformersGenerator(settings.chat_model, cache_dir=settings.cache_dir,
                                 adapter_path=settings.adapter_path, quantization=settings.quantization,
                                 device=settings.device, timeout_s=settings.generation_timeout_s, status=status)


def make_nlu_generator(settings, chat_generator: Generator | None = None,
                       status: Callable[[str], None] | None = None) -> Generator | None:
    """The generator of the understanding call (`assistant.nlu.model`).

    With an NLU adapter (`settings.nlu_adapter_path`) and a local backend it is its own model
    instance: the base model with that adapter (merged and re-quantized on llama.cpp, like the
    chat adapter), marked `nlu_tuned` so the call sends the adapter's short prompt, and warmed
    with that prompt's fixed instruction. Otherwise the chat generator reads messages itself
    (None when that is None). Nothing is loaded here.
    """
    adapter = settings.nlu_adapter_path
    if settings.no_llm or adapter is None:
        return chat_generator
    backend = resolve_backend(settings)
    if backend == "openai":
        return chat_generator
    if backend == "llamacpp":
        from assistant.generators.llamacpp import LlamaCppGenerator
        from assistant.nlu.model import TUNED_SYSTEM

        gen = LlamaCppGenerator(settings.chat_model, cache_dir=settings.cache_dir, adapter_path=adapter,
                                n_threads=settings.n_threads, timeout_s=settings.generation_timeout_s,
                                status=status, warm_system_prompt=TUNED_SYSTEM,
                                quant=settings.llama_merged_quant, lookup_tokens=0, n_ctx=1024,
                                decode_threads=settings.llama_decode_threads)
    else:
        from assistant.generators.local import TransformersGenerator

        gen = TransformersGenerator(settings.chat_model, cache_dir=settings.cache_dir, adapter_path=adapter,
                                    quantization=settings.quantization, device=settings.device,
                                    timeout_s=settings.generation_timeout_s, status=status)
    gen.nlu_tuned = True
    return gen


def __getattr__(name: str):
    if name == "TransformersGenerator":
        from assistant.generators.local import TransformersGenerator

        return TransformersGenerator
    if name == "LlamaCppGenerator":
        from assistant.generators.llamacpp import LlamaCppGenerator

        return LlamaCppGenerator
    if name == "OpenAICompatGenerator":
        from assistant.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator
    raise AttributeError(f"module 'assistant.generators' has no attribute {name!r}")


__all__ = ["Generator", "GenerationError", "TemplateGenerator", "TransformersGenerator", "LlamaCppGenerator",
           "OpenAICompatGenerator", "make_generator", "make_nlu_generator", "resolve_backend"]
