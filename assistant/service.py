"""`Assistant`: one turn from a Korean message to a grounded, validated, streamed answer.

Pipeline: understand (nlu + dialogue state) -> act or ground (actions / grounding) -> facts ->
template draft -> optional LLM rephrasing streamed sentence by sentence through the validator
-> answer dict (the CLI JSON shape). Code picks products, prices and policy text; a model
only phrases, and what it writes is checked (`validator.py`). Per-session data lives in the
`DialogueState` the caller passes; the Assistant itself is shared by all sessions.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, replace
from typing import Callable, Iterator

from assistant import plans_intent, policy_rank, replies
from assistant.actions import ActionResult, Actions
from assistant.aftersales import OrderDesk
from assistant.facts import Facts, ProductFact
from assistant.generators import GenerationError, TemplateGenerator
from assistant.grounding import (
    Grounded,
    ProfileView,
    compare_targets,
    constraints_from,
    ground,
    ground_products,
    is_food,
    search_text,
    sort_from_message,
)
from assistant.nlu import InputError, resolve_reference
from assistant.nlu import understand as understand_turn
from assistant.nlu.aspects import asked_aspects
from assistant.policy_grounding import ground_policy
from assistant.prompting import build_messages
from assistant.rerank import alias, head_vocabulary, item_query, tier
from assistant.types import MAX_MESSAGE_CHARS, Answer, Event, Slots, Understanding
from assistant.validator import Context, check_sentence, is_truncated, strip_product_ids, validate
from store.domain import message_problem

LLM_INTENTS = ("search", "product_question", "policy")
_BOUNDARY = re.compile(r"(?<=[.!?。])\s+|\n")
HISTORY_LIMIT = 20


class Assistant:
    # Set by the factory from settings; the defaults serve tests and embedders of the class.
    data_dir = None          # data/ (occasions, layout, context rules); None = the repo's
    var_dir = None           # var/ (crosssell.json, floor-plan images)
    now = None               # fixed ISO moment for suggestions ("--now"); None = the clock
    weather = None           # the store's weather hint ("비", "더위")
    ui_mode = "browser"      # "kiosk" adds a floor-plan image to location answers

    def __init__(self, catalog, policies, retriever, profiles=None, generator=None, db=None, stock=None,
                 understand: Callable | None = None, lexicon=None, checkout_fn=None,
                 max_new_tokens: int = 160, nlu_mode: str = "auto", payment_provider=None, photo_dir=None,
                 clock: Callable | None = None, nlu_generator=None) -> None:
        self.catalog = {p.id: p for p in catalog} if not isinstance(catalog, dict) else catalog
        self.policies = list(policies)
        self.retriever = retriever
        self.profiles = profiles
        self.generator = generator or TemplateGenerator()
        self.db = db
        self.stock = stock
        self.lexicon = lexicon
        self._understand = understand or understand_turn
        self.nlu_mode = nlu_mode   # when the chat model reads messages too (assistant.nlu.understand)
        # the understanding call's own model (the NLU adapter's instance); None: the chat generator
        self.nlu_generator = nlu_generator
        self.max_new_tokens = max_new_tokens
        self.actions = Actions(self.catalog, profiles=profiles, db=db, stock=stock, checkout_fn=checkout_fn)
        self.desk = OrderDesk(self.catalog, db=db, profiles=profiles, provider=payment_provider,
                              photo_dir=photo_dir)
        self.clock = clock   # None: the real clock; `--now` / JANGBOGI_NOW fix it
        self.catalog_names = [p.name for p in self.catalog.values()]
        self.head_vocab = head_vocabulary(self.catalog.values())

    # ---- public API ---------------------------------------------------------------------
    def answer(self, message: str, state, customer_id: str | None = None, id: str | None = None,
               *, now=None, photo: str | None = None) -> Answer:
        """Run `respond` to completion and return the final answer dict."""
        final = None
        for event in self.respond(message, state, customer_id, id=id, now=now, photo=photo):
            if event["type"] == "done":
                final = event["answer"]
        return final

    def respond(self, message: str, state, customer_id: str | None = None, id: str | None = None,
                stop: threading.Event | None = None, *, now=None, photo: str | None = None) -> Iterator[Event]:
        """Yield status/token events, then `{"type": "done", "answer": {...}}`.

        Token events carry validated text; the `done` answer's `reply` is authoritative
        (it differs from the streamed text only when the validator fell back to the template).
        Errors a user can cause (empty or too long message, a bad query) end the turn with
        `{"type": "done", "answer": {"id", "error": "<Korean message>"}}`. `now` fixes the
        clock of this turn (orders, slots, deadlines); `photo` is an uploaded image path (a
        quality claim). A turn that touches an order has `answer["order"]`.
        """
        try:
            yield from self._respond(message, state, customer_id, id, stop, now, photo)
        except Exception as exc:
            msg = _busy_message(exc) or getattr(exc, "user_message", None)
            if msg is None:
                raise
            yield {"type": "done", "answer": {"id": id, "error": msg}}

    def _respond(self, message, state, customer_id, id, stop, now=None, photo=None) -> Iterator[Event]:
        check_message(message)
        t0 = time.perf_counter()
        trace: dict = {}
        now = now if now is not None else (self.clock() if self.clock else None)
        routed = self.desk.route(message, state, customer_id, now, photo,
                                 cart_lines=self.actions.lines(state, customer_id))
        if routed is not None:   # an order turn: the desk acted (or asked) by code
            und = Understanding(routed.kind, Slots())
            t_und = time.perf_counter()
            facts, results, extra = (Facts(intent=routed.kind, notes=(routed.message,), numbers=routed.numbers,
                                           draft=routed.message), [], {"actions": [routed.event()]})
        else:
            if self._understand is understand_turn:
                und = understand_turn(message, state, self.lexicon, generator=self.nlu_generator or self.generator,
                                      mode=self.nlu_mode,
                                      trace=trace)
            else:
                und = self._understand(message, state, self.lexicon)
            try:
                und = plans_intent.reinterpret(message, und, state, self)
            except (OSError, ValueError) as exc:   # store tables unreadable: plans/locations are off
                _warn_once(f"plans/locations unavailable: {exc}")
            und = policy_rank.reroute(message, und, state)   # a help-center question read as a search or cart turn
            t_und = time.perf_counter()
            facts, results, extra = self._facts_for(message, und, state, customer_id, now)
        t_ret = time.perf_counter()
        answer = {"id": id, "intent": und.intent, "slots": asdict(und.slots)}
        if trace:   # rules, model, merged and which side gave each slot
            answer["understanding"] = {k: trace.get(k) for k in ("rules", "model", "merged", "sources",
                                                                  "model_reason", "model_call")}
        reply, first_token, notice, outcome, llm = "", None, None, "template", {}
        use_llm = (und.intent in LLM_INTENTS and not getattr(self.generator, "is_template", False)
                   and not extra.get("clarify") and (facts.products or facts.policies))
        if use_llm:
            if not getattr(self.generator, "loaded", True):
                yield {"type": "status", "text": "언어 모델을 처음 불러오는 중이에요. 잠시만 기다려 주세요…"}
            streamed = ""
            try:
                for event in self._generate(message, facts, state, stop):
                    if event["type"] == "first_token":
                        first_token = event["t"]
                    elif event["type"] == "final":
                        reply, outcome = event["reply"], event["outcome"]
                        llm = {"llm_text": event["raw"], "violations": event["violations"]}
                    else:
                        streamed += event["text"]
                        yield event
            except GenerationError as exc:
                notice, reply, outcome = exc.user_message, strip_product_ids(facts.draft, facts), "fallback"
                yield {"type": "status", "text": notice}
            if outcome == "fallback":
                if notice is None:
                    yield {"type": "status", "text": "답변을 매장 자료로 다시 확인해 정리했어요."}
                if not streamed.strip():   # nothing shown yet: stream the template itself
                    yield {"type": "token", "text": reply}
        else:   # the template: product ids of this turn's facts leave the text (chips from `sources`)
            reply = strip_product_ids(facts.draft, facts, also=self.catalog)   # the desk's texts too
            for i, word in enumerate(reply.split(" ")):
                if first_token is None:
                    first_token = time.perf_counter()
                # "draft": the template answer, all here at once (no model to wait for); a
                # screen may show it whole with the final answer instead of word by word.
                yield {"type": "token", "text": word if i == 0 else " " + word, "draft": True}
        t_end = time.perf_counter()
        answer.update({
            "reply": reply, "products": [p.card() for p in results], "sources": facts.sources(),
            "timings": {"understanding_ms": _ms(t0, t_und), "retrieval_ms": _ms(t_und, t_ret),
                        "first_token_ms": _ms(t0, first_token or t_end), "total_ms": _ms(t0, t_end)},
            "passages": {p.doc_id: p.text for p in reversed(facts.policies)},   # quote per policy source
            "generator": getattr(self.generator, "name", "template") if use_llm else "template",
            "validation": outcome,
        })
        answer.update(llm)   # what the model wrote and what the validator objected to
        if notice:
            answer["notice"] = notice
        if extra.get("actions"):
            answer["actions"] = extra["actions"]
            order = next((a["order"] for a in extra["actions"] if a.get("order")), None)
            if order is not None:
                answer["order"] = order
        if extra.get("clarify"):
            answer["clarify"] = True
        if extra.get("relaxed"):
            answer["relaxed"] = extra["relaxed"]   # which condition each alternative relaxes
        for key in ("plan", "location", "suggestions"):
            if extra.get(key) is not None:
                answer[key] = extra[key]
        together = self._crosssell(und, results, extra, state, customer_id)
        if together is not None:
            answer["crosssell"] = together
        self._remember(state, message, reply, und, results, customer_id)
        yield {"type": "done", "answer": answer}

    def add_to_cart(self, state, customer_id: str | None, product_id: str, qty: int = 1) -> dict:
        try:
            res = self.actions.add(state, customer_id, product_id, qty)
        except Exception as exc:
            return _store_refusal(exc)
        return {"ok": res.ok, "message": res.message, **res.data, **({} if res.ok else {"error": res.message})}

    def cart(self, state, customer_id: str | None) -> dict:
        res = self.actions.view(state, customer_id)
        return {"message": res.message, **res.data}

    def checkout(self, state, customer_id: str | None, *, method: str | None = None, now=None) -> dict:
        """Place the cart as an order now (the UI's button is the confirmation)."""
        try:
            res = self.actions.checkout(state, customer_id, method=method, now=now)
        except Exception as exc:   # read-only or full disk, busy database: said in Korean, nothing lost
            return _store_refusal(exc)
        return {"ok": res.ok, "message": res.message, "products": [p.card() for p in res.products], **res.data,
                **({} if res.ok else {"error": res.message})}

    # ---- orders for the UI (profile panel, staff view) -------------------------------------
    def order_panel(self, customer_id: str | None, *, now=None) -> list[dict]:
        """The signed-in customer's orders with state, slot, amount and allowed actions."""
        if not customer_id or self.db is None:
            return []
        from store.lifecycle import order_panel

        return order_panel(self.db, customer_id, self.catalog, now if now is not None else
                           (self.clock() if self.clock else None))

    def pending_returns(self) -> list[dict]:
        """Staff view: return / quality-claim / exchange requests waiting for a decision."""
        if self.db is None:
            return []
        from store.lifecycle import pending_returns

        return pending_returns(self.db)

    def decide_return(self, request_id: int, approve: bool, *, now=None, reason: str = "") -> dict:
        """Staff decision after inspection; returns the order card (with the refund)."""
        from store.lifecycle import ActionRefused, decide_return, order_card

        try:
            out = decide_return(self.db, request_id, approve=approve, catalog=self.catalog,
                                provider=self.desk._provider(), now=now, reason=reason)
        except ActionRefused as exc:
            return {"ok": False, "error": exc.user_message}
        return {"ok": True, "order": order_card(self.db, out.order, out.refund)}

    def add_plan(self, state, customer_id: str | None) -> dict:
        """"전부 담기": the whole last plan into the cart in one transaction (UI button). A
        refused write (busy, read-only or full database) is said in Korean, nothing added."""
        try:
            res = plans_intent.add_plan(self, state, customer_id)
        except Exception as exc:
            return _store_refusal(exc)
        return {"ok": res.ok, "message": res.message, **res.data, **({} if res.ok else {"error": res.message})}

    def suggestions(self, state, customer_id: str | None = None, *, now=None) -> dict:
        """The moment's picks for the kiosk's first screen: {"text", "products", "shelves"}."""
        text, cards, shelves = self._moment(state, customer_id, now)
        return {"text": text, "products": [c.card() for c in cards], "shelves": shelves}

    def bought_together(self, product_id: str, state, customer_id: str | None = None, k: int = 5) -> list[str]:
        """"함께 많이 사는 상품" for a product card (in stock, allergens/diet respected)."""
        try:
            return plans_intent.crosssell_ids(self, state, customer_id, product_id, k)
        except (OSError, ValueError) as exc:
            _warn_once(f"bought-together unavailable: {exc}")
            return []

    # ---- facts per intent -------------------------------------------------------------------
    def profile_view(self, state, customer_id: str | None) -> ProfileView:
        base = ProfileView()
        if customer_id and self.profiles is not None and hasattr(self.profiles, "ranking_features"):
            base = ProfileView.from_features(self.profiles.ranking_features(customer_id))
        session = getattr(state, "sticky", None) or {}   # facts said in this session (dialogue/actions)
        if session.get("allergens") or session.get("dietary_tags"):
            base = ProfileView(exclude_allergens=base.exclude_allergens | set(session.get("allergens", ())),
                               required_tags=base.required_tags | set(session.get("dietary_tags", ())),
                               category_affinity=base.category_affinity, brand_affinity=base.brand_affinity,
                               disliked_brands=base.disliked_brands, price_band=base.price_band)
        return base

    def _facts_for(self, message: str, und, state, customer_id, now=None) -> tuple[Facts, list[ProductFact], dict]:
        intent, slots = und.intent, und.slots
        if und.clarify:
            question = replies.clarify_reply(und.clarify)
            if intent == "search" and _empty_search(slots):   # "추천해줘": ask, and show this hour's picks
                text, cards, shelves = self._moment(state, customer_id, now)
                if cards:
                    return (Facts(intent=intent, products=tuple(cards), draft=f"{question} {text}"), cards,
                            {"clarify": True, "suggestions": shelves})
            return Facts(intent=intent, draft=question), [], {"clarify": True}
        if intent in plans_intent.INTENTS:
            return plans_intent.facts(self, message, und, state, customer_id)
        if intent == "greeting":
            text, cards, shelves = self._moment(state, customer_id, now)
            draft = replies.GREETING + (" " + text if text else "")
            return Facts(intent=intent, products=tuple(cards), draft=draft), cards, {"suggestions": shelves}
        if intent == "out_of_scope":
            draft = (replies.DECLINE_HARMFUL if und.harmful else
                     replies.DECLINE_INJECTION if und.injection else replies.DECLINE_OFF_TOPIC)
            return Facts(intent=intent, draft=draft), [], {}
        if intent == "policy":
            passages = ground_policy(self.retriever, self.policies, message, slots.policy_topic)
            return Facts(intent=intent, policies=tuple(passages), draft=replies.policy_reply(passages, message)), [], {}
        if intent in ("search", "product_question"):
            return self._product_facts(message, und, state, customer_id, now)
        result = self._act(message, und, state, customer_id, now)
        return (Facts(intent=intent, products=result.products, notes=(result.message,), numbers=result.numbers,
                      draft=result.message), list(result.products), {"actions": [result.event()]})

    def _product_facts(self, message, und, state, customer_id, now=None):
        profile = self.profile_view(state, customer_id)
        slots = message_slots(und.slots, message, state)
        if und.intent == "search" and _empty_search(slots):
            text, cards, shelves = self._moment(state, customer_id, now)
            if cards:   # "추천해줘" with nothing to search for: what this hour and season call for
                return Facts(intent=und.intent, products=tuple(cards), draft=text), cards, {"suggestions": shelves}
        c = constraints_from(slots, profile)
        aspects = asked_aspects(message) if und.intent == "product_question" else ()
        pair = compare_targets(message, state.last_results, self.catalog)
        referenced = pair or resolve_reference(slots.reference, state.last_results, self.catalog)
        if referenced and (und.intent == "product_question" or pair):
            cards = [ProductFact.from_product(self.catalog[p]) for p in referenced]
            if len(cards) == 1:
                return (Facts(intent="product_question", products=tuple(cards),
                              draft=replies.product_detail_reply(cards[0], aspects)), cards, {})
            # "첫 번째랑 세 번째": name them by the places the shopper saw them in
            last = list(state.last_results or ())
            places = [last.index(p.id) for p in cards] if all(p.id in last for p in cards) else None
            verdict, numbers = replies.compare_verdict(cards, message, places)
            return (Facts(intent="product_question", products=tuple(cards),
                          notes=replies.compare_notes(cards, message, places), numbers=numbers,
                          draft=replies.compare_reply(cards, message, places)), cards, {})
        sort = sort_from_message(message, slots.sort)
        found = self._search_products(message, slots, c, profile, slots.count or 3, sort)
        cards, c = list(found.cards), found.constraints or c
        if cards and aspects:
            # "새벽농장 사과 원산지 어디야?": answer about the best match, not a list of three.
            return (Facts(intent=und.intent, products=(cards[0],), draft=replies.product_detail_reply(cards[0], aspects)),
                    cards[:1], {})
        if found.relaxed:
            alts = [r.card for r in found.relaxed]
            described = c.describe(food=any(is_food(self.catalog[p.id]) for p in alts))
            kept = [d for d in described if d not in found.unmet]
            item = _item_name(slots.keywords, found.asked) or "상품"
            notes = tuple(f"{r.card.name}: {r.label}" for r in found.relaxed)
            draft = replies.relaxed_reply(list(found.relaxed), list(found.unmet), item, kept)
            return (Facts(intent=und.intent, products=tuple(alts), notes=(f"맞출 수 없는 조건: {', '.join(found.unmet)}",) + notes,
                          draft=draft), alts, {"relaxed": [{"id": r.card.id, "relaxed": r.relaxed, "label": r.label}
                                                           for r in found.relaxed]})
        described = c.describe(food=any(is_food(self.catalog[p.id]) for p in cards) if cards else True)
        notes = (f"적용한 조건: {', '.join(described)}",) if described else ()
        if found.other_kind:   # a model reply must not present another kind as the asked item
            asked = _item_name(slots.keywords, found.asked) or "요청한 상품"
            notes += (f"조건에 맞는 {asked} 없음" + (": 보여주는 상품은 다른 종류예요" if cards else ""),)
        draft = replies.search_reply(cards, described, sort=sort, wanted_tags=c.required_tags + c.profile_tags,
                                     excluded=c.excluded_allergens,
                                     other_kind=_item_name(slots.keywords, found.asked) if found.other_kind else "",
                                     shelf=found.near)
        return Facts(intent=und.intent, products=tuple(cards), notes=notes, draft=draft), cards, {}

    def _search_products(self, message, slots, c, profile, k: int, sort: str | None = None,
                         only_item: bool = True) -> Grounded:
        """Products for a search turn (item-type reranked; relaxed and labeled when nothing meets
        every condition) and the constraints finally applied."""
        item = item_query(slots.keywords, message, self.head_vocab)
        query = search_text(slots, message)
        found = ground(self.retriever, self.catalog, query, c, profile, k=k, sort=sort, stock=self.stock, item=item,
                       only_item=only_item)
        # Only another kind of the item there: "토마토 소스 스파게티용" read as 소스·드레싱, where the
        # 소스 are not 토마토 (the 토마토 파스타 소스 are filed with the pasta).
        other_kind = bool(found.relaxed) and not found.cards and any(r.relaxed.startswith("kind:") for r in found.relaxed)
        if item.active and c.categories and (other_kind or not self._has_item(found, item)):
            # The category read from the message holds none of the asked item ("캠핑 고기" read
            # as 캠핑·레저, "아기 썬크림" as 버터·크림): the item the shopper named decides.
            wider = _without_categories(c, slots)
            retry = ground(self.retriever, self.catalog, search_text(replace(slots, categories=()), message), wider,
                           profile, k=k, sort=sort, stock=self.stock, item=item, only_item=only_item)
            if (retry.cards if other_kind else True) and self._has_item(retry, item):
                return replace(retry, constraints=wider)
        if not found.cards and not found.relaxed and c.categories and slots.keywords:
            # A category guessed from an ambiguous word ("간식") found nothing: keep the
            # shopper's own word as the constraint instead (name or category must contain it;
            # the catalog's spelling of it: "썬크림" -> 선크림).
            c = replace(_without_categories(c, slots), keywords=tuple(alias(k) for k in slots.keywords))
            query = search_text(replace(slots, categories=()), message)
            found = ground(self.retriever, self.catalog, query, c, profile, k=k, sort=sort, stock=self.stock, item=item,
                           only_item=only_item)
        return replace(found, constraints=c)

    def _has_item(self, found: Grounded, item) -> bool:
        shown = list(found.cards) + [r.card for r in found.relaxed]
        return any(p.id in self.catalog and tier(self.catalog[p.id], item) == 2 for p in shown)

    def ranked_products(self, message: str, state=None, customer_id: str | None = None, k: int = 10,
                        only_item: bool = False) -> list[str]:
        """The ids a search turn ranks for `message`, best first, up to `k` (for evaluation:
        nDCG over the same pipeline the reply uses, without phrasing a reply). Relaxed
        alternatives are not counted: they do not meet the stated conditions. By default the
        whole reranked list (`only_item=True`: cut to the item itself, as shown)."""
        from assistant.types import DialogueState

        state = state if state is not None else DialogueState()
        und = self._understand(message, state, self.lexicon)
        slots = message_slots(und.slots, message, state)
        profile = self.profile_view(state, customer_id)
        found = self._search_products(message, slots, constraints_from(slots, profile), profile, k,
                                      sort_from_message(message, slots.sort), only_item=only_item)
        return [p.id for p in found.cards]

    def _act(self, message, und, state, customer_id, now=None) -> ActionResult:
        intent, slots, a = und.intent, und.slots, self.actions
        if intent == "cart_view":
            return a.view(state, customer_id)
        if intent == "checkout":
            if self.db is None:
                return a.checkout(state, customer_id)
            return self.desk.quote(state, customer_id, message, now, a.lines(state, customer_id))   # waits for "네"
        if intent == "order_status":
            return a.order_status(customer_id, slots.order_id or getattr(state, "last_order_id", None)
                                  if not customer_id else slots.order_id, now)
        if intent == "reorder":
            return a.reorder(state, customer_id, slots.keywords, slots.quantity)
        if intent == "profile_update":
            return a.propose_profile(state, customer_id, slots)
        targets = resolve_reference(slots.reference, state.last_results, self.catalog)
        if intent == "cart_remove":
            lines = a.lines(state, customer_id)
            if (slots.allergens and not (slots.keywords or slots.categories)
                    and not (slots.reference and slots.reference.kind in ("it", "index"))):
                # "땅콩 들어간 건 장바구니에서 다 빼줘": every cart line that holds the allergen (no
                # product named, so these are the message's allergens, not the session's)
                bad = set(slots.allergens)
                hits = [pid for pid in lines if pid in self.catalog and bad & set(self.catalog[pid].allergens)]
                if not hits:
                    return ActionResult("cart_remove", False,
                                        f"장바구니에 {', '.join(slots.allergens)} 들어간 상품은 없어요.")
                results = [a.remove(state, customer_id, pid, None) for pid in hits]
                if len(results) == 1:
                    return results[0]
                return ActionResult("cart_remove", any(r.ok for r in results), " ".join(r.message for r in results),
                                    (), tuple(n for r in results for n in r.numbers),
                                    {"results": [r.event() for r in results]})
            if not targets and slots.keywords:
                targets = [pid for pid in lines if any(k in self.catalog[pid].name for k in slots.keywords)][:1]
            if not targets:
                return ActionResult("cart_remove", False, "어떤 상품을 뺄까요? 상품 이름을 알려주세요.")
            return a.remove(state, customer_id, targets[0], slots.quantity)
        if intent == "cart_add":
            if not targets and (slots.keywords or slots.categories):
                c = constraints_from(slots, self.profile_view(state, customer_id))
                found = ground_products(self.retriever, self.catalog, search_text(slots, message), c,
                                        k=1, sort=slots.sort, stock=self.stock,
                                        item=item_query(slots.keywords, message, self.head_vocab))
                targets = [f.id for f in found]
            if not targets:
                return ActionResult("cart_add", False, "어떤 상품을 담을까요? 상품 이름을 알려주세요.")
            results = [a.add(state, customer_id, pid, slots.quantity or 1) for pid in targets]
            if len(results) == 1:
                return results[0]
            return ActionResult("cart_add", any(r.ok for r in results), " ".join(r.message for r in results),
                                tuple(p for r in results for p in r.products),
                                tuple(n for r in results for n in r.numbers), {"results": [r.event() for r in results]})
        return ActionResult(intent, False, replies.DECLINE_OFF_TOPIC)

    def _moment(self, state, customer_id, now=None):
        try:
            return plans_intent.moment_suggestions(self, state, customer_id, now=now)
        except (OSError, ValueError, KeyError) as exc:   # no context rules: a plain greeting
            _warn_once(f"moment suggestions unavailable: {exc}")
            return "", [], []

    def _crosssell(self, und, results, extra, state, customer_id) -> list[str] | None:
        """"함께 많이 사는 상품" after a successful 담기 and on product answers; None elsewhere."""
        anchor = None
        if und.intent == "cart_add":
            events = (extra.get("actions") or [{}])[0]
            ok = [e for e in events.get("results", [events]) if e.get("ok") and e.get("product_id")]
            anchor = ok[0]["product_id"] if ok else None
        elif und.intent in ("search", "product_question") and results and not extra.get("suggestions"):
            anchor = results[0].id
        if anchor is None:
            return None
        try:
            return plans_intent.crosssell_ids(self, state, customer_id, anchor)
        except (OSError, ValueError) as exc:
            _warn_once(f"bought-together unavailable: {exc}")
            return []

    # ---- generation ---------------------------------------------------------------------
    def _generate(self, message: str, facts: Facts, state, stop) -> Iterator[dict]:
        """LLM deltas grouped into sentences; only sentences that pass the validator stream out."""
        ctx = Context(facts, message, self.catalog_names)
        messages = build_messages(message, facts, state.history)
        raw, buf, first = "", "", None
        for delta in _guarded(self.generator.stream(messages, self.max_new_tokens, stop)):
            if first is None:
                first = time.perf_counter()
                yield {"type": "first_token", "t": first}
            raw += delta
            buf += delta
            while (m := _BOUNDARY.search(buf)):
                sentence, buf = buf[: m.end()], buf[m.end():]
                if sentence.strip() and not check_sentence(sentence.strip(), ctx):
                    yield {"type": "token", "text": strip_product_ids(sentence, facts)}
        if buf.strip() and not is_truncated(buf.strip()) and not check_sentence(buf.strip(), ctx):
            yield {"type": "token", "text": strip_product_ids(buf, facts)}
        result = validate(raw, ctx)
        yield {"type": "final", "reply": result.reply, "outcome": result.outcome, "raw": raw,
               "violations": list(result.violations)}

    def _remember(self, state, message, reply, und, results, customer_id) -> None:
        state.history = (state.history + [{"role": "user", "content": message},
                                          {"role": "assistant", "content": reply}])[-HISTORY_LIMIT:]
        if und.intent in ("search", "product_question") and results:
            state.last_results = [p.id for p in results]
        state.last_intent = und.intent
        if customer_id:
            state.customer_id = customer_id


def check_message(message) -> None:
    """Raise `InputError` for a message no turn can take (not text, blank, too long); entry
    points call it before loading anything so a bad message fails fast."""
    problem = message_problem(message)
    if problem is not None:
        length = len(message) if isinstance(message, str) else 0
        raise InputError("empty message" if length <= MAX_MESSAGE_CHARS else
                         f"message longer than {MAX_MESSAGE_CHARS} chars", problem)


def message_slots(slots, message: str, state):
    """Dietary tags carried from earlier turns ("저 비건이에요") act like profile tags (food
    only), not like tags said in this message, so "세제 추천해줘" still finds detergent."""
    carried = set((getattr(state, "sticky", None) or {}).get("dietary_tags", ()))
    said = tuple(t for t in slots.dietary_tags if t not in carried or t in message)
    return slots if said == tuple(slots.dietary_tags) else replace(slots, dietary_tags=said)


def _busy_message(exc: BaseException) -> str | None:
    """A Korean message for a database still locked by another writer after the busy timeout."""
    import sqlite3

    from database.errors import DatabaseBusy

    text = str(exc).lower()
    if isinstance(exc, DatabaseBusy) or (
            isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)):
        return "지금 요청이 많아 처리하지 못했어요. 잠시 후 다시 시도해 주세요. 장바구니는 그대로 있어요."
    return None


def _guarded(stream: Iterator[str]) -> Iterator[str]:
    """A generator's deltas; any error it raises mid-stream (a backend killed, a broken
    connection, a bug in a new backend) becomes `GenerationError`, so the turn falls back to
    the template answer instead of failing."""
    while True:
        try:
            delta = next(stream)
        except StopIteration:
            return
        except GenerationError:
            raise
        except Exception as exc:
            raise GenerationError(f"generator failed mid-stream: {exc!r}") from exc
        yield delta


def _store_refusal(exc: BaseException) -> dict:
    """The answer of a cart or checkout button when the database refused the write (busy,
    read-only, disk full): its Korean message, nothing written. Other errors propagate."""
    from database.errors import DatabaseUnavailable

    msg = _busy_message(exc) or (exc.user_message if isinstance(exc, DatabaseUnavailable) else None)
    if msg is None:
        raise exc
    return {"ok": False, "message": msg, "error": msg, "products": []}


def _without_categories(c, slots):
    """Constraints `c` without the category filter, the tags the named kind carried
    (`Slots.kind_tags`: "강아지 사료" -> 반려견) required instead: nothing the shopper said is
    dropped with the category."""
    tags = tuple(t for t in getattr(slots, "kind_tags", ()) if t not in c.required_tags)
    return replace(c, categories=(), required_tags=c.required_tags + tags)


def _item_name(keywords, head: str = "") -> str:
    """The asked item in the shopper's words ("냉동 피자"), or the head noun the rerank read when
    those words do not carry it (keywords "하루 버전" of "하루견과 … 버전": 하루견과)."""
    words = " ".join(keywords)
    return words if words and (not head or head in words.replace(" ", "")) else head


def _empty_search(slots) -> bool:
    """Nothing to search for: no words, category, brand, diet tag, budget or reference."""
    return not (slots.keywords or slots.categories or slots.brands or slots.dietary_tags or slots.allergens
                or slots.budget_min or slots.budget_max or slots.reference or slots.order_id)


_WARNED: set[str] = set()


def _warn_once(text: str) -> None:
    import sys

    if text not in _WARNED:
        _WARNED.add(text)
        print(f"경고: {text}", file=sys.stderr)


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 1)
