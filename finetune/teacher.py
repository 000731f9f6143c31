"""The teacher: turns a `QuestionSpec` into the exact prompt the app builds plus a correct reply.

Two interchangeable teachers behind one Protocol, chosen by `make_teacher`:
- `AssistantTeacher` (`finetune.teacher_app`): runs the real `assistant` service with its
  `TemplateGenerator` and records the messages handed to the generator, so the prompt is
  byte-for-byte what the app sends a model and the reply is the app's own template draft.
- `BuiltinTeacher` (here, the default): fast and needs no index. It selects facts by the
  spec's structured slots (filters over the catalog, the policy section asked about) instead
  of the app's NLU and retrieval, writes the draft with the app's own `assistant.replies`
  (search, detail, compare and policy replies; action replies for cart turns) and builds the
  prompt with `assistant.prompting.build_messages`, so wording and fact placement are the app's.
  The reply target of a model turn is composed from those facts by `finetune.compose` (varied
  shapes, answer first); the draft stays in the facts as what the app falls back to.

Leaves out: question wording (`templates`), quality gates and splits (`data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from finetune.templates import QuestionSpec


@dataclass(frozen=True)
class TeacherTurn:
    messages: tuple[dict, ...]       # prompt exactly as the app builds it (system, history, user)
    reply: str                       # correct-by-construction assistant reply
    intent: str                      # what the teacher understood
    context_ids: tuple[str, ...]     # product / policy ids placed in the prompt
    required_facts: tuple[str, ...] = ()   # policy facts a good answer must keep
    facts: dict | None = None        # `assistant.facts.Facts` as a dict, to rebuild the prompt later
    history: tuple[dict, ...] = ()   # earlier turns passed to build_messages


def facts_to_dict(facts) -> dict:
    """`Facts` -> JSON-able dict (drops `extra`)."""
    import dataclasses

    d = dataclasses.asdict(facts)
    d.pop("extra", None)
    return d


def facts_from_dict(d: dict):
    """Inverse of `facts_to_dict`."""
    from assistant.facts import Facts, PolicyFact, ProductFact

    def tup(x):
        return tuple(x) if isinstance(x, list) else x

    products = tuple(ProductFact(**{k: tup(v) for k, v in p.items()}) for p in d.get("products", ()))
    policies = tuple(PolicyFact(**p) for p in d.get("policies", ()))
    return Facts(intent=d["intent"], products=products, policies=policies, notes=tuple(d.get("notes", ())),
                 numbers=tuple(d.get("numbers", ())), draft=d.get("draft", ""))


class Teacher(Protocol):
    name: str

    def run(self, spec: QuestionSpec) -> list[TeacherTurn]:
        """One `TeacherTurn` per user turn of `spec`, history carried between turns."""
        ...


def _has_final(word: str) -> bool | None:
    """Whether the word's last syllable as read aloud ends in a consonant (None = unknown)."""
    last = word[-1] if word else ""
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit():
        return last in "013678"            # 영 일 삼 육 칠 팔
    low = word.lower()
    if low.endswith(("ml", "l")):
        return False                        # 밀리리터, 리터
    if low.endswith(("g", "m")):
        return True                         # 그램, 미터
    return None


def josa(word: str, pair: str) -> str:
    """Attach the right particle: josa('두부', '은는') -> '두부는', josa('우유 1L', '이가') -> '우유 1L가'."""
    final = _has_final(word)
    if final is None:
        return word + f"{pair[0]}({pair[1]})"
    return word + (pair[0] if final else pair[1])


_VAGUE_DRAFT = "어떤 상품을 찾으시는지 조금 더 알려 주시겠어요? 종류(예: 간식, 우유)나 예산을 말씀해 주시면 골라 드릴게요."
_REFUSAL = "죄송하지만 그 질문은 도와드리기 어려워요. 장보기 도우미는 상품 찾기, 장바구니, 주문, 배송·반품 안내를 도와드려요."
_HARMFUL = "죄송하지만 그 요청은 도와드릴 수 없어요. 안전한 장보기와 관련된 것이라면 기꺼이 도와드릴게요."


class BuiltinTeacher:
    """Grounded template answers from structured slots; prompts via `assistant.prompting`."""

    name = "builtin-template"

    def __init__(self, products: list, policies: list) -> None:
        self.products = {p.id: p for p in products}
        self.policies = {d.id: d for d in policies}

    # -- fact selection -------------------------------------------------------------
    def _search(self, slots: dict) -> tuple[list, list[str]]:
        """Products matching the structured slots (best rated first) and the constraint
        phrases the app shows (`Constraints.describe` wording)."""
        described = []
        found = [p for p in self.products.values() if p.category == slots.get("category") and p.stock > 0]
        if slots.get("budget_max"):
            found = [p for p in found if p.effective_price <= slots["budget_max"]]
            described.append(f"{slots['budget_max']:,}원 이하")
        if slots.get("tags"):
            found = [p for p in found if set(slots["tags"]) <= set(p.tags)]
            described += list(slots["tags"])
        if slots.get("allergens"):
            found = [p for p in found if not set(slots["allergens"]) & set(p.allergens)]
            described += [f"{a} 제외" for a in slots["allergens"]]
        found.sort(key=lambda p: (-p.rating, p.effective_price, p.id))
        return found[:3], described

    def _facts(self, intent: str, products=(), policies=(), notes=(), draft: str = ""):
        from assistant.facts import Facts, PolicyFact, ProductFact

        return Facts(intent=intent, products=tuple(ProductFact.from_product(p) for p in products),
                     policies=tuple(policies), notes=tuple(notes), draft=draft), PolicyFact

    @staticmethod
    def _cards(products) -> list:
        from assistant.facts import ProductFact

        return [ProductFact.from_product(p) for p in products]

    def _draft_search(self, found: list, described: list[str]) -> tuple[list[str], str]:
        from assistant import replies

        notes = [f"적용한 조건: {', '.join(described)}"] if described else []
        return notes, replies.search_reply(self._cards(found), described)

    # -- one turn -------------------------------------------------------------------
    def _turn(self, spec: QuestionSpec, k: int, state: dict) -> tuple[str, list, list, list[str], str, tuple]:
        """(intent, products, policies, notes, draft, required_facts) for user turn k."""
        s = spec.slots
        intent = spec.intent
        if intent in ("search", "multi_turn") and k == 0:
            found, described = self._search(s)
            state["results"] = [p.id for p in found]
            notes, draft = self._draft_search(found, described)
            return "search", found, [], notes, draft, ()
        if intent == "multi_turn":
            return self._follow_up(spec.turns[k], state)
        if intent == "product_question":
            if "compare" in s:
                from assistant import replies

                pair = [self.products[i] for i in s["compare"]]
                cards = self._cards(pair)
                return (intent, pair, [], list(replies.compare_notes(cards, spec.turns[k])),
                        replies.compare_reply(cards, spec.turns[k]), ())
            return self._aspect(self.products[s["product"]], spec.turns[k])
        if intent == "policy":
            from assistant.facts import PolicyFact

            doc = self.policies[s["policy"]]
            heading, text = doc.sections[s["section"] - 1]
            fact = PolicyFact(doc.id, doc.title, heading, text, f"{doc.id}#{s['section']}")
            from assistant import replies
            from finetune.metrics import extract_numbers

            required = tuple(f"{v:g}" for v in sorted(extract_numbers(text)))
            return intent, [], [fact], [], replies.policy_reply([fact], spec.turns[k]), required
        if intent.startswith("cart_"):
            return self._cart(spec, k, state)
        if intent == "clarify":
            return "search", [], [], [], _VAGUE_DRAFT, ()
        if intent == "out_of_scope":
            harmful = any(w in spec.turns[k] for w in ("카드로 결제", "프롬프트", "지시는 무시", "해킹", "관리자 모드", "0원으로"))
            return intent, [], [], [], _HARMFUL if harmful else _REFUSAL, ()
        raise ValueError(f"unknown intent {intent!r}")

    def _aspect(self, p, question: str):
        """A one-product question gets the app's detail card, led by what the question asks
        about as the app reads it (`assistant.nlu.aspects`: origin, storage, or "not stated")."""
        from assistant import replies
        from assistant.nlu.aspects import asked_aspects

        card = self._cards([p])[0]
        return "product_question", [p], [], [], replies.product_detail_reply(card, asked_aspects(question)), ()

    def _cart(self, spec, k, state):
        p = self.products[spec.slots["product"]]
        cart = state.setdefault("cart", {})
        if k == 0:
            qty = spec.slots["qty"]
            cart[p.id] = cart.get(p.id, 0) + qty
            total = sum(self.products[i].effective_price * n for i, n in cart.items())
            notes = [f"장바구니에 {p.name} {qty}개 담음", f"장바구니 합계 {total:,}원"]
            return ("cart_add", [p], [], notes,
                    f"{p.name} {qty}개를 장바구니에 담았어요 [{p.id}]. 지금 장바구니 합계는 {total:,}원이에요.", ())
        if spec.intent == "cart_remove":
            cart.pop(p.id, None)
            return ("cart_remove", [p], [], [f"장바구니에서 {p.name} 뺌", "장바구니 비어 있음"],
                    f"장바구니에서 {josa(p.name, '을를')} 뺐어요 [{p.id}]. 이제 장바구니가 비어 있어요.", ())
        total = sum(self.products[i].effective_price * n for i, n in cart.items())
        lines = ", ".join(f"{self.products[i].name} {n}개 [{i}]" for i, n in cart.items())
        return ("cart_view", [self.products[i] for i in cart], [], [f"장바구니 합계 {total:,}원"],
                f"장바구니에 {lines}이 담겨 있고, 합계는 {total:,}원이에요.", ())

    def _follow_up(self, text: str, state: dict):
        results = [self.products[i] for i in state.get("results", [])]
        if not results:
            return "search", [], [], [], "앞에서 보여 드린 상품이 없어요. 어떤 상품을 찾으시는지 알려 주시겠어요?", ()
        if "두 번째" in text or "두번째" in text:
            if len(results) < 2:
                return ("search", results, [], [], f"앞에서 찾은 상품은 {josa(results[0].name, '이가')} 하나뿐이에요 "
                        f"[{results[0].id}]. 이 상품으로 담아 드릴까요?", ())
            target = results[1]
        elif "싼" in text:
            target = min(results, key=lambda p: (p.effective_price, p.id))
        else:
            target = results[0]
        qty = next((int(c) for c in text if c.isdigit()), 1)
        if "담아" in text or "넣어" in text:
            cart = state.setdefault("cart", {})
            cart[target.id] = cart.get(target.id, 0) + qty
            total = sum(self.products[i].effective_price * n for i, n in cart.items())
            return ("cart_add", [target], [], [f"장바구니에 {target.name} {qty}개 담음", f"장바구니 합계 {total:,}원"],
                    f"{target.name} {qty}개를 장바구니에 담았어요 [{target.id}]. 합계는 {total:,}원이에요.", ())
        return self._aspect(target, text)

    def run(self, spec: QuestionSpec) -> list[TeacherTurn]:
        import random
        import zlib

        from assistant.prompting import build_messages
        from finetune.compose import compose_reply

        state: dict = {}
        history: list[dict] = []
        turns = []
        for k, message in enumerate(spec.turns):
            intent, prods, pols, notes, draft, required = self._turn(spec, k, state)
            facts, _ = self._facts(intent, prods, pols, notes, draft)
            messages = build_messages(message, facts, history, layout="facts")
            ids = tuple(p.id for p in prods) + tuple(x.doc_id for x in pols)
            # the target is written from the facts (varied shapes), not the template draft
            reply = compose_reply(message, facts, random.Random(zlib.crc32(f"{spec.persona}|{message}|{k}".encode())))
            turns.append(TeacherTurn(tuple(messages), reply, intent, ids, required, facts_to_dict(facts),
                                     tuple(history)))
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        return turns


def make_teacher(products: list, policies: list, kind: str = "builtin", data_dir=None) -> Teacher:
    """`builtin` (slot-based facts, the app's replies and prompting) or `assistant` (the full app)."""
    if kind == "assistant":
        from finetune.teacher_app import AssistantTeacher

        return AssistantTeacher(products, policies, data_dir=data_dir)
    return BuiltinTeacher(products, policies)
