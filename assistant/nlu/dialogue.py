"""Dialogue state across turns: carry constraints, resolve references, ask at most one question.

`update_state(state, understanding) -> (new_state, resolved)` is the one entry point per turn:
- a search that only adds constraints ("만원 이하로만", "비건으로만", "더 싼 거") or says
  "그중에" refines the previous search instead of starting over;
- allergens said at any point in the session, and dietary tags / avoided brands said about
  oneself ("저 비건이에요"), stick to every later food search and cart action (diet and
  allergens are left off searches that are clearly not food: "세제 추천해줘");
- an answer to the previous clarifying question ("2개요", "세 번째 거요", "우유요") is merged
  into the question's intent;
- when a needed slot is missing or ambiguous, `resolved.clarify` holds ONE Korean question
  and the state remembers it; if the previous reply already asked, it proceeds with a best
  effort instead of asking again.
`resolve_reference` turns "두 번째 거" / "제일 싼 거 2개" into product ids from the last results.

Pure functions: inputs are never mutated, nothing is read or written. The caller (the
assistant service) stores `last_results` after it shows products (`remember_results`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, fields, replace
from typing import Any, Mapping

from assistant.nlu.categories import food_scope
from assistant.nlu.refs import SORT_OF
from assistant.types import DialogueState, Reference, Slots, Understanding

_LIST_FIELDS = ("keywords", "categories", "brands", "avoid_brands", "dietary_tags", "allergens",
                "remove_allergens", "remove_dietary_tags", "kind_tags")
_CONSTRAINT_FIELDS = ("budget_min", "budget_max", "dietary_tags", "allergens", "brands",
                      "avoid_brands", "urgency", "sort", "count")
_STICKY_FROM_PROFILE = ("allergens", "dietary_tags", "avoid_brands")
_PRODUCT_ACTIONS = ("cart_add", "cart_remove", "product_question")


def slots_from_dict(data: Mapping[str, Any] | None) -> Slots:
    """Rebuild `Slots` from its `asdict` form (as kept in `DialogueState.constraints`)."""
    if not data:
        return Slots()
    known = {f.name for f in fields(Slots)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        if key in _LIST_FIELDS:
            value = tuple(value or ())
        elif key == "reference" and value:
            value = Reference(kind=value["kind"], index=value.get("index"), count=value.get("count", 1))
        values[key] = value
    return Slots(**values)


def _union(*groups) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        for item in group or ():
            if item not in out:
                out.append(item)
    return tuple(out)


def _is_refinement(slots: Slots, prev: Slots, cue: bool) -> bool:
    """A search turn with constraints only (or an explicit "그중에") narrows the previous one."""
    if not (prev.keywords or prev.categories or prev.dietary_tags or prev.brands):
        return False
    return cue or not (slots.keywords or slots.categories)


def _merge(prev: Slots, new: Slots) -> Slots:
    """New values win for scalars; lists of constraints accumulate."""
    merged = {}
    for f in fields(Slots):
        old, cur = getattr(prev, f.name), getattr(new, f.name)
        if f.name in ("dietary_tags", "allergens", "avoid_brands"):
            merged[f.name] = _union(old, cur)
        elif f.name in ("keywords", "categories", "brands", "kind_tags"):
            merged[f.name] = _union(old, cur) if cur else old
        elif f.name in ("reference", "quantity", "order_id", "policy_topic"):
            merged[f.name] = cur
        else:
            merged[f.name] = cur if cur is not None else old
    return Slots(**merged)


def _apply_sticky(slots: Slots, sticky: Mapping[str, Any]) -> Slots:
    """Add the session's remembered allergens, diet and avoided brands. Diet and allergens
    are about food: for a search that is clearly not food ("세제 추천해줘" after "저 비건이에요")
    they are left out, so they never become constraints on detergent. Unknown scope counts
    as food (the safe side for allergens)."""
    if food_scope(slots.categories, slots.keywords) is False:
        return replace(slots, avoid_brands=_union(slots.avoid_brands, sticky.get("avoid_brands")))
    return replace(
        slots,
        allergens=_union(slots.allergens, sticky.get("allergens")),
        dietary_tags=_union(slots.dietary_tags, sticky.get("dietary_tags")),
        avoid_brands=_union(slots.avoid_brands, sticky.get("avoid_brands")),
    )


_REFINE_CUE = re.compile(r"그\s?중|이\s?중|거기서|(?:으로|로)만|만\s?보여|다른\s?(?:거|걸|것)|더\s?(?:싼|저렴|비싼|작은|큰)")


def update_state(state: DialogueState | None, u: Understanding, text: str = "") -> tuple[DialogueState, Understanding]:
    """Fold one understood message into the session; return the new state and the resolved
    understanding (constraints carried, answer-to-question merged, `clarify` set if needed).

    `text` (the raw message) is optional; it only sharpens refinement cues such as "그중에".

    >>> s, r = update_state(DialogueState(), Understanding("search", Slots(keywords=("간식",), dietary_tags=("비건",))))
    >>> s2, r2 = update_state(s, Understanding("search", Slots(budget_max=10000)))
    >>> r2.slots.keywords, r2.slots.dietary_tags, r2.slots.budget_max
    (('간식',), ('비건',), 10000)
    """
    old = state or DialogueState()
    new = copy.deepcopy(old)
    new.asked_last_turn = old.pending_clarification is not None
    new.pending_clarification = None
    slots = u.slots
    intent = u.intent

    pending = old.pending_clarification
    if pending and intent not in ("out_of_scope",) and _answers(pending, u):
        intent = pending.get("intent", intent)
        slots = _merge(slots_from_dict(pending.get("slots")), slots)

    # session-level constraints: every allergen said, and dietary/brand facts about oneself
    sticky = {k: list(v) for k, v in (old.sticky or {}).items()}
    sticky["allergens"] = list(_union(sticky.get("allergens"), slots.allergens))
    if intent == "profile_update":
        for key in ("dietary_tags", "avoid_brands"):
            sticky[key] = list(_union(sticky.get(key), getattr(slots, key)))
    new.sticky = {k: v for k, v in sticky.items() if v}

    prev = slots_from_dict(old.constraints)
    if intent == "search":
        cue = bool(_REFINE_CUE.search(text)) or (slots.reference is not None and bool(old.last_results))
        if _is_refinement(slots, prev, cue):
            slots = _merge(prev, slots)
        if slots.reference is not None and (not old.last_results or slots.reference.kind in SORT_OF):
            # "제일 싼 거 추천해줘": a sorted search (of the refined results when some were shown)
            sort = SORT_OF.get(slots.reference.kind)
            slots = replace(slots, reference=None, sort=sort or slots.sort,
                            count=slots.count or (slots.reference.count if slots.reference.count > 1 else None))
        slots = _apply_sticky(slots, new.sticky)
        new.constraints = {k: v for k, v in asdict(replace(slots, reference=None, quantity=None)).items()}
    elif intent in ("cart_add", "cart_remove") and (slots.keywords or slots.categories):
        slots = _apply_sticky(slots, new.sticky)

    resolved = replace(u, intent=intent, slots=slots)
    new.last_intent = intent
    question, missing = _clarification(resolved, new, old)
    if question and not new.asked_last_turn:
        resolved = replace(resolved, clarify=question)
        new.pending_clarification = {"intent": intent, "slots": asdict(slots), "missing": missing}
    return new, resolved


def _answers(pending: Mapping[str, Any], u: Understanding) -> bool:
    """Does this message fill what the pending question asked for?"""
    missing = pending.get("missing")
    s = u.slots
    if u.intent == pending.get("intent"):
        return True
    if u.confidence >= 0.9 and u.intent not in ("search",):
        return False  # a clear new request ("장바구니 보여줘") moves on
    if u.intent in ("cart_add", "cart_remove") and u.confidence >= 0.8 and u.slots.quantity and u.slots.reference:
        return False  # "그걸로 두 박스": a pointer and an amount is an order, whatever was asked
    if u.intent == "search" and u.confidence >= 0.9 and pending.get("intent") in ("cart_add", "cart_remove"):
        return False  # "고춧가루도 국산으로 보여줘요" after "어떤 상품을 담을까요?" is a new search
    if missing == "product":
        return bool(s.keywords or s.categories or s.reference)
    if missing == "reference":
        return s.reference is not None
    return bool(s.quantity or s.count or s.keywords or s.reference)


def needs_clarification(u: Understanding, state: DialogueState | None) -> str | None:
    """One Korean question when a needed slot is missing or ambiguous, else None.

    Never a chain: after a turn that already asked (`state.asked_last_turn`), returns None
    and the caller proceeds with its best guess.
    """
    st = state or DialogueState()
    if st.asked_last_turn:
        return None
    return _clarification(u, st, st)[0]


def _clarification(u: Understanding, st: DialogueState, before: DialogueState) -> tuple[str | None, str | None]:
    s = u.slots
    results = before.last_results
    if u.intent == "search":
        if not any((s.keywords, s.categories, s.dietary_tags, s.allergens, s.brands, s.avoid_brands,
                    s.budget_min, s.budget_max, s.reference, s.sort, s.urgency)):
            return ("어떤 상품을 찾으세요? 예를 들어 '만원 이하 비건 간식'처럼 말씀해 주세요.", "product")
        return _reference_problem(s.reference, results)
    if u.intent in _PRODUCT_ACTIONS:
        if s.reference is not None:
            return _reference_problem(s.reference, results)
        if s.keywords or s.categories or s.brands:
            return None, None
        if u.intent == "product_question" and s.dietary_tags:
            return None, None   # "우유 알레르기면 락토프리도 안 되는 거죠?": a kind of product, asked in general
        if u.intent == "cart_remove" and st.cart and len(st.cart) == 1:
            return None, None
        if len(results) == 1:
            return None, None  # the only product shown is clearly meant
        verb = {"cart_add": "담을까요", "cart_remove": "뺄까요", "product_question": "알려 드릴까요"}[u.intent]
        if results:
            return (f"어떤 상품을 {verb}? 1~{len(results)}번 중에서 골라 주세요.", "reference")
        return (f"어떤 상품을 {verb}? 상품 이름을 알려 주세요.", "product")
    return None, None


def _reference_problem(ref: Reference | None, results: list[str]) -> tuple[str | None, str | None]:
    if ref is None:
        return None, None
    if not results:
        return ("아직 보여 드린 상품이 없어요. 어떤 상품을 찾으시나요?", "product")
    if ref.kind == "index":
        n = len(results)
        if ref.index is not None and not (-n <= ref.index < n):
            return (f"{ref.index + 1}번째 상품은 없어요. 1~{n}번 중에서 골라 주세요.", "reference")
    if ref.kind == "it" and len(results) > 1:
        return (f"어떤 상품을 말씀하시는 건가요? 1~{len(results)}번 중에서 알려 주세요.", "reference")
    return None, None


def remember_results(state: DialogueState, product_ids: list[str]) -> DialogueState:
    """New state with the products just shown, in display order (for "두 번째 거")."""
    new = copy.deepcopy(state)
    new.last_results = list(product_ids)
    return new


_INTENT_QUESTION = {
    "search": "상품을 찾아 드릴까요",
    "product_question": "보여 드린 상품에 대해 알려 드릴까요",
    "cart_add": "장바구니에 담아 드릴까요",
    "cart_remove": "장바구니에서 빼 드릴까요",
    "cart_view": "장바구니를 보여 드릴까요",
    "checkout": "주문을 진행할까요",
    "order_status": "주문 상태를 확인해 드릴까요",
    "reorder": "지난 주문을 다시 담아 드릴까요",
    "policy": "매장 이용 안내를 찾아 드릴까요",
    "profile_update": "알려 주신 내용을 기억해 둘까요",
}


def ask_intent(state: DialogueState, u: Understanding, other: str) -> Understanding:
    """The merged reading is a guess between two intents: ask which one (the turn's one
    question), remembering it in `state` (mutated) like any other pending question.

    >>> st = DialogueState()
    >>> r = ask_intent(st, Understanding("product_question", Slots()), "search")
    >>> r.clarify, st.pending_clarification["missing"]
    ('보여 드린 상품에 대해 알려 드릴까요, 아니면 상품을 찾아 드릴까요?', 'intent')
    """
    first, second = _INTENT_QUESTION.get(u.intent), _INTENT_QUESTION.get(other)
    if not first or not second or u.intent == other:
        return u
    state.pending_clarification = {"intent": u.intent, "slots": asdict(u.slots), "missing": "intent"}
    return replace(u, clarify=f"{first}, 아니면 {second}?")
