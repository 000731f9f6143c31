"""One turn of understanding: parse -> carry the dialogue state -> at most one clarifying question.

`understand(message, state, lexicon)` is what the service calls by default. It updates `state`
in place (callers hold it) and returns the turn's `Understanding`.
"""

from __future__ import annotations

from assistant.nlu import dialogue
from assistant.nlu.parser import parse
from assistant.types import DialogueState, Understanding


class InputError(ValueError):
    """A message the assistant cannot take (empty, too long, not text)."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def understand(message: str, state: DialogueState, lexicon=None) -> Understanding:
    """Rules' reading of `message` with the context of `state` carried in.

    >>> st = DialogueState()
    >>> understand("비건 간식 만원 이하", st).slots.budget_max
    10000
    >>> understand("땅콩 알레르기 있어요", st).slots.allergens, st.sticky.get("allergens")
    (('땅콩',), ['땅콩'])
    """
    und = parse(message, state, lexicon)
    # update_state carries constraints and sets at most one clarifying question itself.
    new_state, und = dialogue.update_state(state, und, message)
    if new_state is not state:  # callers hold `state`: keep their object current
        for name in DialogueState.__dataclass_fields__:
            setattr(state, name, getattr(new_state, name))
    return und
