"""One turn of understanding: rules -> (model when unsure) -> safety-first merge -> dialogue state.

`understand(message, state, lexicon, generator=None, mode="auto", trace=None)` is what the
service calls. It updates `state` in place (callers hold it) and returns the turn's
`Understanding`. The chat model (`assistant.nlu.model`) is asked only when a generator is
given and `mode` allows it:
- "off": rules only (also whenever the generator is the template, i.e. `--no-llm`);
- "auto": when the rules are unsure (`model_reason`: low confidence, negation or allergy
  cues, an allergen or budget word the rules left unused, a product request without a product);
- "always": on every turn (for a strong backend, e.g. an OpenAI-compatible GPU server).
The two readings are merged by `assistant.nlu.merge` (every allergen either side found is
excluded; numbers from the rules; no stated constraint dropped). When the merged reading is
still a guess, the dialogue asks its one clarifying question instead of guessing.
`trace` (a dict, optional) receives `{"rules", "model", "merged", "sources", "reason", ...}`
for the CLI's `--json` output.
"""

from __future__ import annotations

import re

from assistant.nlu import dialogue
from assistant.nlu.parser import parse
from assistant.types import DialogueState, Understanding

MODES = ("off", "auto", "always")
_NEGATION = re.compile(r"안\s?(?:돼|되|맞)|못\s?(?:먹|마시|마셔|드시)|빼|말고|없는|없이|알레르기|알러지|allerg|free|제외|큰일")
_MONEY = re.compile(r"\d\s?(?:원|만|천)|[일이삼사오육칠팔구십백천]\s?만|만\s?원|천\s?원|원\s?(?:이하|이상|대|안)")
_PRODUCT = ("search", "product_question", "cart_add", "cart_remove")
SURE_ENOUGH = 0.85


class InputError(ValueError):
    """A message the assistant cannot take (empty, too long, not text)."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def model_reason(text: str, rules: Understanding) -> str | None:
    """Why the model should read this message too, or None when the rules suffice.

    >>> from assistant.nlu import parse
    >>> model_reason("우유 2개 담아줘", parse("우유 2개 담아줘")) is None
    True
    >>> model_reason("견과류 다 안 돼요 과자 추천해줘", parse("견과류 다 안 돼요 과자 추천해줘"))
    'negation'
    """
    if rules.harmful or rules.injection:
        return None   # safety verdicts are the rules' alone
    from assistant.nlu.slots import _allergen_hits, normalize

    t = normalize(text)
    s = rules.slots
    if rules.confidence < SURE_ENOUGH:
        return "low_confidence"
    if _NEGATION.search(t):
        return "negation"
    unused = [term for term, _, _ in _allergen_hits(t)
              if not any(term in k or k in term for k in s.keywords)]   # "우유 2개 담아줘" uses it
    if unused and not s.allergens:
        return "allergen_word_unused"
    if _MONEY.search(t) and s.budget_min is None and s.budget_max is None and rules.intent in _PRODUCT:
        return "budget_word_unused"
    if rules.intent in _PRODUCT and not (s.keywords or s.categories or s.reference or s.brands or s.dietary_tags):
        return "no_product_word"
    return None


def _is_template(generator) -> bool:
    return generator is None or bool(getattr(generator, "is_template", False))


def read_turn(message: str, state: DialogueState | None, lexicon=None, generator=None, mode: str = "auto",
              trace: dict | None = None) -> Understanding:
    """The merged reading of one message before the dialogue carries context in (a blind-set reader)."""
    from assistant.nlu.merge import merge
    from assistant.nlu.model import understanding_dict

    rules = parse(message, state, lexicon)
    reason = None
    if mode != "off" and not _is_template(generator) and not (rules.harmful or rules.injection):
        reason = "always" if mode == "always" else model_reason(message, rules)
    model = None
    model_trace: dict = {}
    if reason:
        from assistant.nlu.lexicon import USE_TAGS
        from assistant.nlu.model import model_understanding
        from assistant.nlu.parser import _DEFAULT_LEXICON

        tags = (frozenset(lexicon.tags) | USE_TAGS) if lexicon is not None else None
        brands = frozenset((lexicon or _DEFAULT_LEXICON).brands)
        model, model_trace = model_understanding(message, state, generator, tags=tags, brands=brands)
    merged, sources = merge(rules, model, message, model_first=bool(getattr(generator, "nlu_tuned", False)))
    if trace is not None:
        trace.update({"rules": understanding_dict(rules), "model": understanding_dict(model),
                      "merged": understanding_dict(merged), "sources": sources, "model_reason": reason,
                      "model_call": model_trace or None})
    return merged


def understand(message: str, state: DialogueState, lexicon=None, generator=None, mode: str = "auto",
               trace: dict | None = None) -> Understanding:
    """Reading of `message` with the context of `state` carried in.

    >>> st = DialogueState()
    >>> understand("비건 간식 만원 이하", st).slots.budget_max
    10000
    >>> understand("땅콩 알레르기 있어요", st).slots.allergens, st.sticky.get("allergens")
    (('땅콩',), ['땅콩'])
    """
    from assistant.nlu.merge import unsure

    local_trace: dict = {} if trace is None else trace
    und = read_turn(message, state, lexicon, generator, mode, local_trace)
    # update_state carries constraints and sets at most one clarifying question itself.
    new_state, und = dialogue.update_state(state, und, message)
    if und.clarify is None and unsure(und, local_trace.get("sources") or {}) and not new_state.asked_last_turn:
        und = dialogue.ask_intent(new_state, und, local_trace["rules"]["intent"])
    if new_state is not state:  # callers hold `state`: keep their object current
        for name in DialogueState.__dataclass_fields__:
            setattr(state, name, getattr(new_state, name))
    return und
