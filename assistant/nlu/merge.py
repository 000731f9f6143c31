"""Safety-first merge of the rules' and the model's readings of one message.

`merge(rules, model, text)` -> (merged `Understanding`, `sources`), where `sources` maps each
non-empty slot (and "intent") to "rules", "model" or "both". The rules guard what must never
be lost; the model fills what the rules missed:
- every allergen either side found is excluded, families expanded (store.domain); the model's
  only where the message grounds it (`grounded_allergens`: named, or an allergy spoken of);
- required diets and avoided brands are the union: a stated constraint is never dropped;
- numbers (budgets, quantities, counts) come from the rules whenever the rules found one (a
  budget floor or ceiling the rules found leaves the model no budget field);
- policy topics and uses the product kind implies: the rules' (the model's topics were wrong
  where the rules had none, on batches L and M);
- order ids, references, sort and urgency: the rules' value when they have one
  (a model reference only when the message points at something: "그거", "두 번째", "제일 싼");
- brands: the rules' plus the model's that occur in the message (checked in
  `model.read_model`); product words (keywords): the rules', the model's (head noun first) only
  where the rules found none (a model head noun put first sent "두유 대용량 박스로" to storage boxes);
- the intent: the rules' when the model would turn a product request into "out_of_scope" (or,
  when the rules are sure and found product words, into a profile update),
  when the rules are sure of a policy question or of a cart action on a shown product (the
  model does not see the results), or when they are sure (confidence >= `SURE`)
  and the model is not the understanding adapter (`model_first`); the model's otherwise.
  Safety verdicts (harmful, injection) are the rules' alone and are never overridden.
The merged confidence is high when both sides agree on the intent and low when they differ
and neither is sure: the dialogue then asks its one clarifying question (`unsure`).
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

from assistant.nlu.lexicon import ALLERGEN_SYNONYMS, USE_TAGS
from assistant.types import Slots, Understanding
from store.domain import expand_allergens

SURE = 0.7            # rules at or above this keep their intent (a 0.5B model misreads often)
AGREE = 0.9           # merged confidence when both sides read the same intent
UNSURE = 0.55         # merged confidence when they differ and the rules were unsure
_PRODUCT = ("search", "product_question", "cart_add", "cart_remove")
_CART = ("cart_add", "cart_remove")
_UNION = ("allergens", "dietary_tags", "avoid_brands")
_NUMBERS = ("budget_min", "budget_max", "quantity", "count")
_FIRST_FOUND = ("reference", "sort", "urgency", "order_id", "policy_topic")
# slots each intent keeps (the others are dropped after the intent is chosen)
_KEEP = {
    "search": {f.name for f in fields(Slots)} - {"quantity", "order_id", "policy_topic"},
    "product_question": {f.name for f in fields(Slots)} - {"quantity", "count", "order_id", "policy_topic"},
    "cart_add": {f.name for f in fields(Slots)} - {"count", "order_id", "policy_topic"},
    "cart_remove": {f.name for f in fields(Slots)} - {"count", "order_id", "policy_topic"},
    "profile_update": {"dietary_tags", "allergens", "brands", "avoid_brands", "remove_allergens", "remove_dietary_tags"},
    "reorder": {"keywords", "order_id", "quantity"},   # "두 팩 다시 주문할게요"
    "policy": {"order_id", "policy_topic"},
    "order_status": {"order_id"},
}
# constraints never dropped by the intent choice, whatever the intent
_ALWAYS = {"allergens", "dietary_tags", "avoid_brands"}
_POINTS = re.compile(r"그거|이거|저거|그걸|이걸|번째|그중|이중|방금|아까|마지막|제일|가장")


# the shopper speaks of an allergy or an intolerance at all
_ALLERGY_TALK = re.compile(r"알레르기|알러지|알러르기|알레르|allerg|아토피|두드러기|셀리악|celiac|불내증|과민|체질")


def grounded_allergens(model_allergens, text: str, rules_allergens=()) -> tuple:
    """The model's allergens the message grounds: each named in it (any word of the allergen
    lexicon, a family included), or all of them when the message speaks of an allergy at all
    and the rules read no allergen in it ("셀리악이라 빵은 …" keeps 밀). An allergen the message
    neither names nor hints at is the model's association ("냉동 피자" -> 밀, "글씨가 작아요" ->
    밀), and so is one it adds to the allergy the rules already read ("셀리악병 … 쿠키" -> 밀 from
    the rules, 땅콩/호두/잣 from the model on batch Q), not the shopper's constraint.

    >>> grounded_allergens(("밀",), "냉동 피자 맘이 바뀌었는데 돌려보낼 수 있죠?")
    ()
    >>> grounded_allergens(("땅콩", "호두", "잣"), "견과 없는 걸로요")
    ('땅콩', '호두', '잣')
    >>> grounded_allergens(("밀",), "셀리악이라 빵 고르기가 어려워요")
    ('밀',)
    >>> grounded_allergens(("밀", "땅콩"), "셀리악병 때문에 글루텐프리만 먹어야 돼요. 쿠키 있나요", ("밀",))
    ('밀',)
    """
    if not model_allergens or not text or (_ALLERGY_TALK.search(text.lower()) and not rules_allergens):
        return tuple(model_allergens or ())
    from assistant.nlu.slots import _allergen_hits, normalize

    named: set[str] = set()
    for term, _, _ in _allergen_hits(normalize(text)):
        named.update(expand_allergens(ALLERGEN_SYNONYMS.get(term, (term,))))
    return tuple(a for a in model_allergens if a in named)


def _empty(v) -> bool:
    return v in (None, (), [], "")


def _union(a, b) -> tuple:
    return tuple(dict.fromkeys(tuple(a or ()) + tuple(b or ())))


def choose_intent(rules: Understanding, model: Understanding, model_first: bool = False) -> tuple[str, float, str]:
    """(intent, confidence, source). `model_first`: the reader is the understanding adapter,
    measured to read intents better than the rules on fresh batches (docs/benchmarks/nlu.md),
    so its intent is taken even against sure rules, and taken as read (no clarifying question:
    asking cost batch N five policy answers the adapter had read right); a chat model that was
    not trained for the task only decides where the rules are unsure, and then asks."""
    if rules.harmful or rules.injection:
        return rules.intent, rules.confidence, "rules"
    if model.intent == rules.intent:
        return rules.intent, max(AGREE, rules.confidence), "both"
    if model.intent == "out_of_scope" and rules.intent != "out_of_scope":
        return rules.intent, rules.confidence, "rules"   # the model may not refuse a shopping request
    if (model.intent == "profile_update" and rules.intent in _PRODUCT and rules.slots.keywords
            and rules.confidence >= SURE):
        # an allergy said beside a product is a constraint on this request, not only a profile
        # change: "복숭아 알레르기 있는 애 주스" (batch P) was read as a profile update
        return rules.intent, rules.confidence, "rules"
    if rules.intent == "policy" and rules.confidence >= SURE:
        # the rules read help-center situations from the policies' own words (helpcenter.py);
        # the adapter took "계란 세 개 깨져있네요" for a reorder, "돈은 나갔는데 주문내역에 없어요"
        # for an order status (batch O)
        return rules.intent, rules.confidence, "rules"
    if (rules.intent in _CART and not _empty(rules.slots.reference) and rules.confidence >= SURE
            and model.intent in ("search", "product_question")):
        # a cart action on something shown: the adapter sees only the shopper's messages, not the
        # results a pointer refers to, and took "맨 위에 있는 거 5개" for a new search (batch P);
        # a checkout it reads ("두 번째 거 선물로 결제할게요") stands
        return rules.intent, rules.confidence, "rules"
    if model_first:   # the better reader of the two: its intent stands, no clarifying question
        return model.intent, SURE, "model"
    if rules.confidence >= SURE:
        return rules.intent, rules.confidence, "rules"
    return model.intent, UNSURE, "model"


def merge(rules: Understanding, model: Understanding | None, text: str = "",
          model_first: bool = False) -> tuple[Understanding, dict[str, str]]:
    """Merged understanding and which side gave each slot (`model_first`: see `choose_intent`).

    >>> from assistant.types import Slots, Understanding
    >>> r = Understanding("search", Slots(keywords=("초콜릿",), budget_max=10000), confidence=0.9)
    >>> m = Understanding("search", Slots(keywords=("초콜릿",), allergens=("땅콩", "호두", "잣"), budget_max=5000))
    >>> u, src = merge(r, m)
    >>> u.slots.allergens, u.slots.budget_max, src["allergens"], src["budget_max"]
    (('땅콩', '호두', '잣'), 10000, 'model', 'rules')
    """
    sources: dict[str, str] = {}
    if model is None:
        for f in fields(Slots):
            if not _empty(getattr(rules.slots, f.name)):
                sources[f.name] = "rules"
        return rules, {"intent": "rules", **sources}
    intent, confidence, sources["intent"] = choose_intent(rules, model, model_first)
    r, m = rules.slots, model.slots
    values = {}
    for f in fields(Slots):
        name = f.name
        rv, mv = getattr(r, name), getattr(m, name)
        if name == "allergens":
            value = expand_allergens(_union(rv, grounded_allergens(mv, text, rv)))
        elif name == "dietary_tags":   # a use the kind implies is the rules' (Slots.kind_tags)
            value = _union(rv, tuple(t for t in mv if t not in USE_TAGS))
        elif name in _UNION:
            value = _union(rv, mv)
        elif name == "keywords":   # the product words are the rules'; the model's where they found none
            value = rv if rv else mv
        elif name == "brands":
            value = _union(mv[:1], rv) + tuple(w for w in mv[1:] if w not in rv) if mv else rv
            value = tuple(dict.fromkeys(value))
        elif name == "reference":   # the model's pointer only where the message points at something
            value = rv if not _empty(rv) or not (text and _POINTS.search(text)) else mv
        elif name in ("budget_min", "budget_max"):   # one money reading: "오만원 이상" is not also a ceiling
            value = rv if not (_empty(r.budget_min) and _empty(r.budget_max)) else mv
        elif name == "policy_topic":   # the model's topic where the rules found none was wrong on L and M
            value = rv
        elif name in _NUMBERS or name in _FIRST_FOUND:
            value = rv if not _empty(rv) else mv
        else:   # categories: the rules' (resolved against the catalog tree)
            value = rv
        values[name] = value
        if _empty(value):
            continue
        items = value if isinstance(value, tuple) else (value,)
        from_rules = not _empty(rv) and any(v in (rv if isinstance(rv, tuple) else (rv,)) for v in items)
        from_model = not _empty(mv) and any(v in (mv if isinstance(mv, tuple) else (mv,)) for v in items)
        sources[name] = "both" if from_rules and from_model else "rules" if from_rules else "model"
    if intent == "profile_update":   # as the parser does: a diet the kind carried is the shopper's
        values["dietary_tags"] = _union(values["dietary_tags"], [t for t in r.kind_tags if t not in USE_TAGS])
    keep = _KEEP.get(intent)
    if keep is not None:
        for name in list(values):
            if name not in keep and name not in _ALWAYS:
                values[name] = None if not isinstance(values[name], tuple) else ()
                sources.pop(name, None)
    elif intent not in _PRODUCT:   # greeting, cart_view, checkout, out_of_scope: only the guarded constraints
        values = {k: (v if k in _ALWAYS else (() if isinstance(v, tuple) else None)) for k, v in values.items()}
        sources = {k: v for k, v in sources.items() if k in _ALWAYS or k == "intent"}
    merged = replace(rules, intent=intent, slots=Slots(**values), confidence=confidence)
    return merged, sources


def unsure(u: Understanding, sources: dict[str, str]) -> bool:
    """The merged reading is still a guess: the sides disagreed on the intent and the
    rules were not sure. The dialogue then asks its one clarifying question."""
    return sources.get("intent") == "model" and u.confidence <= UNSURE
