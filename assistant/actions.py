"""What the assistant does, not just says: cart, checkout, order status, reorder, profile proposals.

Anonymous sessions keep their cart in `DialogueState.cart` and write nothing to the database
except the order at checkout. Signed-in customers use the profiles package's cart. Checkout is
`store.lifecycle.place_order` (slot, order rows, stock events, cart clear in one transaction,
then payment); insufficient stock is refused with substitutes offered. Orders are read through
`store` functions: this module runs no SQL. After-sales dialogue: `assistant.aftersales`.
Profile facts are never written from dialogue: they become proposals the customer confirms.

Every method returns an `ActionResult` whose `message` is a correct Korean reply built by code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.facts import ProductFact, effective_price, won
from assistant.grounding import substitutes_for

SESSION_KEYS = {"dietary": "dietary_tags", "allergies": "allergens"}   # profile field -> sticky key


@dataclass(frozen=True)
class ActionResult:
    kind: str                                   # cart_add, cart_remove, cart_view, checkout, ...
    ok: bool
    message: str
    products: tuple[ProductFact, ...] = ()
    numbers: tuple[int, ...] = ()
    data: dict = field(default_factory=dict, hash=False)

    def event(self) -> dict:
        return {"type": self.kind, "ok": self.ok, **self.data}


class Actions:
    def __init__(self, catalog: dict, profiles=None, db=None, stock=None, checkout_fn=None,
                 substitutes_fn=None) -> None:
        self.catalog = catalog
        self.profiles = profiles
        self.db = db
        self.stock = stock
        self._checkout_fn = checkout_fn
        self._substitutes_fn = substitutes_fn

    # ---- cart storage -------------------------------------------------------------------
    def lines(self, state, customer_id: str | None) -> dict[str, int]:
        if customer_id and self.profiles is not None:
            return _as_lines(_call(self.profiles, ("cart_list", "cart", "list_cart"), customer_id))
        return dict(state.cart)

    def _set(self, state, customer_id: str | None, pid: str, qty: int) -> None:
        if customer_id and self.profiles is not None:
            _call(self.profiles, ("cart_set", "set_cart_item"), customer_id, pid, qty)
        elif qty <= 0:
            state.cart.pop(pid, None)
        else:
            state.cart[pid] = qty

    def region(self, customer_id: str | None) -> str | None:
        """The customer's 시/구 from the profile (None: anonymous, unknown or not stored)."""
        if not customer_id or self.profiles is None or not hasattr(self.profiles, "get"):
            return None
        try:
            return getattr(self.profiles.get(customer_id), "region", None)
        except Exception:   # unknown customer: no region
            return None

    def level(self, pid: str) -> int:
        if self.stock is not None and hasattr(self.stock, "level"):
            try:
                return int(self.stock.level(pid))
            except Exception:  # unknown to the ledger: the catalog figure stands
                pass
        return int(self.catalog[pid].stock)

    def substitutes(self, pid: str, k: int = 3) -> tuple[ProductFact, ...]:
        product = self.catalog[pid]
        if self._substitutes_fn is not None:
            subs = self._substitutes_fn(product, self.catalog)
        else:
            subs = substitutes_for(product, self.catalog, stock=self.stock, k=k)
        return tuple(ProductFact.from_product(s, stock=self.level(s.id)) for s in subs[:k])

    # ---- cart actions -------------------------------------------------------------------
    def add(self, state, customer_id: str | None, pid: str, qty: int = 1) -> ActionResult:
        product = self.catalog.get(pid)
        if product is None or qty <= 0:
            return ActionResult("cart_add", False, "담을 상품을 찾지 못했어요. 상품을 다시 골라 주시겠어요?")
        have = self.lines(state, customer_id).get(pid, 0)
        available = self.level(pid)
        fact = ProductFact.from_product(product, stock=available)
        if have + qty > available:
            subs = self.substitutes(pid)
            msg = (f"{product.name}은(는) 재고가 {available}개뿐이라 {qty}개를 담을 수 없어요 [{pid}]."
                   if available > 0 else f"{product.name}은(는) 지금 품절이에요 [{pid}].")
            if subs:
                msg += " 대신 이 상품은 어떠세요? " + ", ".join(f"{s.name} {won(s.effective_price)} [{s.id}]" for s in subs)
            return ActionResult("cart_add", False, msg, (fact,) + subs, (available, qty),
                                {"product_id": pid, "requested": qty, "available": available})
        self._set(state, customer_id, pid, have + qty)
        view = self.view(state, customer_id)
        msg = (f"{product.name} {qty}개를 장바구니에 담았어요 [{pid}]. "
               f"장바구니 합계는 {won(view.data['total'])}이에요.")
        return ActionResult("cart_add", True, msg, (fact,), (qty, have + qty, view.data["total"]),
                            {"product_id": pid, "qty": qty})

    def remove(self, state, customer_id: str | None, pid: str, qty: int | None = None) -> ActionResult:
        have = self.lines(state, customer_id).get(pid, 0)
        if have == 0:
            return ActionResult("cart_remove", False, "그 상품은 장바구니에 없어요.")
        left = 0 if qty is None else max(have - qty, 0)
        self._set(state, customer_id, pid, left)
        name = self.catalog[pid].name if pid in self.catalog else pid
        view = self.view(state, customer_id)
        # the name, not the id: the removed product is no card of this turn, so nothing would
        # take a bare "[P0123]" out of the text (the id stays in the action's data)
        msg = (f"{name}을(를) 장바구니에서 뺐어요." if left == 0
               else f"{name}을(를) {left}개로 줄였어요.") + f" 합계는 {won(view.data['total'])}이에요."
        return ActionResult("cart_remove", True, msg, (), (left, view.data["total"]), {"product_id": pid, "qty": left})

    def view(self, state, customer_id: str | None) -> ActionResult:
        rows, total = [], 0
        facts = []
        for pid, qty in self.lines(state, customer_id).items():
            product = self.catalog.get(pid)
            if product is None or qty <= 0:
                continue
            unit = effective_price(product)
            rows.append({"id": pid, "name": product.name, "qty": qty, "unit_price": unit, "subtotal": unit * qty})
            total += unit * qty
            facts.append(ProductFact.from_product(product, stock=self.level(pid)))
        if not rows:
            return ActionResult("cart_view", True, "장바구니가 비어 있어요.", (), (0,), {"lines": [], "total": 0, "count": 0})
        text = "\n".join([f"장바구니에 {len(rows)}가지 상품이 있어요."]
                         + [f"- {r['name']} {r['qty']}개 — {won(r['subtotal'])} [{r['id']}]" for r in rows]
                         + [f"합계 {won(total)}"])
        numbers = tuple(n for r in rows for n in (r["qty"], r["subtotal"], r["unit_price"])) + (total, len(rows))
        return ActionResult("cart_view", True, text, tuple(facts), numbers,
                            {"lines": rows, "total": total, "count": sum(r["qty"] for r in rows)})

    # ---- orders -------------------------------------------------------------------------
    def checkout(self, state, customer_id: str | None, *, method: str | None = None,
                 slot_id: str | None = None, region: str | None = None, now=None) -> ActionResult:
        """Place the order now (the UI's button, or the dialogue after "네"): the slot, the
        amount and the payment are `store.lifecycle.place_order`'s; short stock is refused
        with substitutes, a full slot with the next free one."""
        cart = self.view(state, customer_id)
        if not cart.data["lines"]:
            return ActionResult("checkout", False, "장바구니가 비어 있어 주문할 상품이 없어요.")
        if self.db is None:
            return ActionResult("checkout", False, "지금은 주문을 처리할 수 없어요. 잠시 후 다시 시도해 주세요.")
        items = [(r["id"], r["qty"]) for r in cart.data["lines"]]
        from store.delivery import SlotFull
        from store.lifecycle import order_card, place_order
        from store.payment import PaymentError
        from store.stock import InsufficientStock

        try:
            if self._checkout_fn is not None:
                order = self._checkout_fn(self.db, customer_id, items, self.catalog, source="assistant")
            else:
                order = place_order(self.db, customer_id, items, self.catalog, method=method, slot_id=slot_id,
                                    region_text=region or self.region(customer_id), now=now,
                                    source="assistant", use_points=False)   # points only when asked [적립금-01]
        except InsufficientStock as exc:
            pid = exc.product_id
            subs = self.substitutes(pid) if pid in self.catalog else ()
            msg = exc.user_message
            if subs:
                msg += " 대신 이 상품은 어떠세요? " + ", ".join(f"{s.name} {won(s.effective_price)} [{s.id}]" for s in subs)
            return ActionResult("checkout", False, msg, subs, (exc.requested, exc.available), {"product_id": pid})
        except (SlotFull, PaymentError) as exc:
            return ActionResult("checkout", False, exc.user_message)
        if not customer_id:
            state.cart.clear()
        state.last_order_id = order.id
        card = order_card(self.db, order) if self._checkout_fn is None else None
        paid = "현장 결제 (픽업할 때)" if getattr(order, "payment_method", None) == "현장 결제" else "결제 완료"
        msg = f"주문이 완료됐어요. 주문번호 {order.id}, 결제 금액 {won(order.total)}이에요 ({paid})."
        if card and card["slot"]:
            msg += f" {card['slot']['label']}."
        data = {"order_id": order.id, "total": order.total}
        if card:
            data["order"] = card
        return ActionResult("checkout", True, msg, (), (order.total,), data)

    def order_status(self, customer_id: str | None, order_id: str | None, now=None) -> ActionResult:
        if self.db is None:
            return ActionResult("order_status", False, "지금은 주문 정보를 조회할 수 없어요.")
        from store.lifecycle import order_card, status_text, sync
        from store.orders import OrderNotFound, get_order, last_order

        if order_id:
            try:
                order = get_order(self.db, order_id)
            except OrderNotFound:
                order = None
        elif customer_id:
            order = last_order(self.db, customer_id)
        else:
            return ActionResult("order_status", False, "주문번호를 알려주시면 주문 상태를 확인해 드릴게요.")
        # An order placed by a signed-in customer is shown only to that customer.
        if order is None or (order.customer_id and order.customer_id != customer_id):
            return ActionResult("order_status", False, "해당 주문을 찾지 못했어요. 주문번호를 확인해 주세요.")
        order = sync(self.db, order, now)
        return ActionResult("order_status", True, status_text(order, now), (), (order.total,),
                            {"order_id": order.id, "status": order.status, "order": order_card(self.db, order)})

    def reorder(self, state, customer_id: str | None, keywords=(), quantity: int | None = None) -> ActionResult:
        """"지난번이랑 똑같이": put the items of the customer's last order back in the cart.
        Named items ("전에 샀던 고양이 모래 한번 더") narrow it to those lines; a quantity said
        ("두 포대", "두 개씩") replaces each line's quantity. Nothing said is dropped: a named item
        the last order does not hold adds nothing and says so."""
        if not customer_id:
            return ActionResult("reorder", False, "지난 주문을 불러오려면 로그인이 필요해요.")
        if self.db is None:
            return ActionResult("reorder", False, "지금은 지난 주문을 불러올 수 없어요.")
        from store.orders import last_order

        last = last_order(self.db, customer_id)
        if last is None:
            return ActionResult("reorder", False, "아직 주문 내역이 없어요. 찾으시는 상품을 말씀해 주세요.")
        items = list(last.items)
        words = [re.sub(r"\s+", "", k) for k in keywords if k and k.strip()]
        if words:
            named = [it for it in items if it.product_id in self.catalog
                     and any(w in re.sub(r"\s+", "", self.catalog[it.product_id].name) for w in words)]
            if not named:
                return ActionResult("reorder", False,
                                    f"지난 주문({last.id})에는 '{' '.join(keywords)}'이(가) 없어요. "
                                    "찾으시는 상품을 말씀해 주시면 찾아 드릴게요.", data={"order_id": last.id})
            items = named
        added, skipped, facts = [], [], []
        for it in items:
            res = self.add(state, customer_id, it.product_id, quantity or it.qty)
            (added if res.ok else skipped).append(it.product_id)
            facts += list(res.products)
        names = lambda ids: ", ".join(f"{self.catalog[p].name} [{p}]" for p in ids if p in self.catalog)
        msg = (f"지난 주문({last.id})에서 {len(added)}가지 상품을 {quantity}개씩 장바구니에 담았어요." if quantity
               else f"지난 주문({last.id})과 똑같이 {len(added)}가지 상품을 장바구니에 담았어요.")
        if added:
            msg += " " + names(added) + "."
        if skipped:
            msg += f" 품절이거나 재고가 부족한 상품은 빼 두었어요: {names(skipped)}."
        view = self.view(state, customer_id)
        msg += f" 합계 {won(view.data['total'])}."
        return ActionResult("reorder", bool(added), msg, tuple(facts), (len(added), len(skipped), view.data["total"]),
                            {"order_id": last.id, "added": added, "skipped": skipped})

    def propose_profile(self, state, customer_id: str | None, slots) -> ActionResult:
        """Dietary tags and allergies said in dialogue become proposals the customer confirms.
        Taking one off (`slots.remove_allergens` / `remove_dietary_tags`, read by the parser from
        "우유 알레르기 다 나았어요, 목록에서 지워주세요") is not done from a chat line: the shopper is
        pointed to the profile panel, the exclusion stays meanwhile, and nothing is added for it."""
        removed = [("dietary", t) for t in getattr(slots, "remove_dietary_tags", ())] + \
                  [("allergies", a) for a in getattr(slots, "remove_allergens", ())]
        changes = [c for c in [("dietary", t) for t in slots.dietary_tags] + [("allergies", a) for a in slots.allergens]
                   if c not in removed]
        if not changes and not removed:
            return ActionResult("profile_proposal", False, "어떤 식습관이나 알레르기를 저장할지 말씀해 주시겠어요?")
        off_note = ""
        if removed:
            off = ", ".join(v for _, v in removed)
            place = "'알레르기'" if any(f == "allergies" for f, _ in removed) else "'식습관'"
            off_note = (f"{off} 정보를 지우는 건 안전을 위해 대화로는 하지 않아요. 왼쪽 프로필의 "
                        f"{place} 항목에서 직접 해제해 주세요. 그 전까지는 지금처럼 반영해서 골라 드릴게요.")
            if not changes:
                return ActionResult("profile_proposal", False, off_note,
                                    data={"remove_requested": [v for _, v in removed]})
        said = ", ".join(v for _, v in changes)
        # Applied to this conversation at once; stored in the profile only after confirmation.
        # Same place and keys as dialogue.update_state's session facts (`DialogueState.sticky`).
        for fld, value in changes:
            key = SESSION_KEYS[fld]
            values = state.sticky.setdefault(key, [])
            if value not in values:
                values.append(value)
        proposals = []
        if customer_id and self.profiles is not None:
            for fld, value in changes:
                pid = self.profiles.propose(customer_id, fld, value, source="dialogue")
                if pid is not None:
                    proposals.append({"proposal_id": _get(pid, "id") or pid, "field": fld, "value": value})
        extra = {"remove_requested": [v for _, v in removed]} if removed else {}
        note = f" {off_note}" if off_note else ""
        if proposals:
            return ActionResult("profile_proposal", True,
                                f"프로필에 {said}을(를) 추가할까요? 확인을 누르시면 저장하고, 그 전까지는 이번 대화에만 반영할게요."
                                + note, (), (), {"proposals": proposals, **extra})
        why = ("로그인하시면 프로필에 저장할 수 있어요." if not customer_id
               else "개인화 동의가 없어 프로필에는 저장하지 않았어요.")
        return ActionResult("profile_proposal", True,
                            f"알겠어요. 이번 대화에서는 {said} 조건을 반영해서 골라 드릴게요. {why}" + note,
                            (), (), {"session_only": True, **extra})


def _call(obj, names: tuple[str, ...], *args):
    for name in names:
        fn = getattr(obj, name, None)
        if callable(fn):
            return fn(*args)
    raise AttributeError(f"{type(obj).__name__} has none of {names}")


def _as_lines(value) -> dict[str, int]:
    """Cart rows from the profiles package (dict, list of dicts, or list of pairs) -> {pid: qty}."""
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    out: dict[str, int] = {}
    for row in value or []:
        pid, qty = (row["product_id"], row["qty"]) if isinstance(row, dict) else \
            ((row.product_id, row.qty) if hasattr(row, "product_id") else (row[0], row[1]))
        out[str(pid)] = int(qty)
    return out


def _get(obj, name: str):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
