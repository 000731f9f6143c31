"""Text generators behind one Protocol, chosen in one factory from `Settings`.

- `TemplateGenerator`: no language model; returns the correct-by-construction draft that
  `assistant.prompting.build_messages` embeds in the system prompt (`--no-llm`, tests, and
  the degraded mode when a model is missing or fails).
- `TransformersGenerator` (`local.py`): a local Hugging Face model (alias, hub id or folder),
  nf4 through bitsandbytes when asked or on CUDA, bf16 on CPU, optional LoRA adapter
  through peft, token streaming, stop event and timeout. Loads once, lazily, thread-safe.
- `OpenAICompatGenerator` (`openai_compat.py`): any `/chat/completions` server with SSE
  streaming (vLLM, TGI, llama.cpp server).

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


def make_generator(settings, status: Callable[[str], None] | None = None) -> Generator:
    """Pick the backend from settings: --no-llm > endpoint > local transformers model.

    Nothing is loaded here; a local model loads on its first `stream` call.
    """
    if settings.no_llm:
        return TemplateGenerator()
    if settings.llm_endpoint:
        from assistant.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(settings.llm_endpoint, model=settings.llm_endpoint_model or settings.chat_model,
                                     api_key=settings.llm_api_key, timeout_s=settings.generation_timeout_s)
    from assistant.generators.local import TransformersGenerator

    return TransformersGenerator(settings.chat_model, cache_dir=settings.cache_dir,
                                 adapter_path=settings.adapter_path, quantization=settings.quantization,
                                 device=settings.device, timeout_s=settings.generation_timeout_s, status=status)


def __getattr__(name: str):
    if name == "TransformersGenerator":
        from assistant.generators.local import TransformersGenerator

        return TransformersGenerator
    if name == "OpenAICompatGenerator":
        from assistant.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator
    raise AttributeError(f"module 'assistant.generators' has no attribute {name!r}")


__all__ = ["Generator", "GenerationError", "TemplateGenerator", "TransformersGenerator",
           "OpenAICompatGenerator", "make_generator"]
