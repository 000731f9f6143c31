"""Jangbogi's assistant: from a Korean message and a customer to a correct, grounded,
streamed answer and the actions it implies.

Owns: understanding and dialogue state (`nlu*`, `dialogue`), grounding (retrieve -> hard
filters -> profile re-rank; policy passages), the facts a reply may state (`facts`), prompts
(`prompting.build_messages`, shared with `finetune/`), template replies, the validator,
actions (cart, checkout, order status, reorder, profile proposals), generators (template,
local transformers, OpenAI-compatible endpoint), the `Assistant` service, its factory and
the headless CLI (`python -m assistant ask`), settings and model preparation (`models/`).
Leaves to others: search internals (`retrieval/`), the database schema and profile storage
(`profiles/`), stock, checkout transactions and forecasts (`store/`), the UI (`app.py`).

Imports are lazy: importing `assistant` loads no model, opens no database, creates no folder.

    from assistant import Settings, build_services
    services = build_services(Settings.from_env())
    answer = services.assistant.answer("비건 간식 만원 이하", DialogueState(), None)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Settings": "assistant.settings", "add_cli_args": "assistant.settings",
    "DialogueState": "assistant.types", "Slots": "assistant.types", "Understanding": "assistant.types",
    "Reference": "assistant.types", "INTENTS": "assistant.types",
    "Assistant": "assistant.service", "build_services": "assistant.factory", "Services": "assistant.factory",
    "Generator": "assistant.generators", "GenerationError": "assistant.generators",
    "TemplateGenerator": "assistant.generators", "TransformersGenerator": "assistant.generators",
    "OpenAICompatGenerator": "assistant.generators", "make_generator": "assistant.generators",
    "build_messages": "assistant.prompting", "Facts": "assistant.facts", "ProductFact": "assistant.facts",
    "PolicyFact": "assistant.facts", "InputError": "assistant.nlu",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
