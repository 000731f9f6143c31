"""Glue between the understanding layer (`nlu`, `dialogue`) and the service.

`understand_default` runs parse -> update_state -> needs_clarification. When the NLU
modules are not importable it degrades to a plain keyword search understanding, so the
service keeps working (and stays testable) on its own.
"""

from __future__ import annotations

from assistant.types import MAX_MESSAGE_CHARS, DialogueState, Reference, Slots, Understanding




class InputError(ValueError):
    """A message the assistant cannot take (empty, too long, not text)."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def understand_default(message: str, state: DialogueState, lexicon=None) -> Understanding:
    try:
        from assistant import nlu
    except ImportError:
        return Understanding(intent="search", slots=Slots(keywords=(message.strip(),)), confidence=0.3)
    und = nlu.parse(message, state, lexicon)
    try:
        from assistant import dialogue
    except ImportError:  # parse alone: no carried context, no clarifying question
        return und
    # update_state carries constraints and sets at most one clarifying question itself.
    new_state, und = dialogue.update_state(state, und, message)
    if new_state is not state:  # callers hold `state`: keep their object current
        for name in DialogueState.__dataclass_fields__:
            setattr(state, name, getattr(new_state, name))
    return und


def resolve_reference(ref: Reference | None, last_results: list[str], catalog: dict) -> list[str]:
    """Product ids an earlier-results reference points at ("그거", "두 번째 거", "제일 싼 거 2개").

    >>> cat = {"A": type("P", (), {"price": 3000, "sale_price": None, "rating": 4.0})(),
    ...        "B": type("P", (), {"price": 1000, "sale_price": None, "rating": 4.5})()}
    >>> resolve_reference(Reference("cheapest"), ["A", "B"], cat)
    ['B']
    >>> resolve_reference(Reference("index", index=1), ["A", "B"], cat)
    ['B']
    """
    if ref is None or not last_results:
        return []
    ids = [pid for pid in last_results if pid in catalog]
    if not ids:
        return []
    price = lambda pid: catalog[pid].sale_price if catalog[pid].sale_price is not None else catalog[pid].price
    n = max(ref.count, 1)
    if ref.kind == "it":
        return ids[:1]
    if ref.kind == "index":
        return [ids[ref.index]] if ref.index is not None and -len(ids) <= ref.index < len(ids) else []
    if ref.kind == "cheapest":
        return sorted(ids, key=price)[:n]
    if ref.kind == "most_expensive":
        return sorted(ids, key=price, reverse=True)[:n]
    if ref.kind == "best_rated":
        return sorted(ids, key=lambda pid: -float(getattr(catalog[pid], "rating", 0.0)))[:n]
    if ref.kind == "all":
        return ids
    return []
