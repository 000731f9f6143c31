"""Orders in the dialogue: checkout with a priced quote, and after-sales that act.

"주문할게요" shows the amount, method and slot and waits for "네"; "방금 주문 취소해 주세요",
"배송지 바꿀 수 있어요?", "딸기가 물러서 왔어요", "사이즈가 안 맞아서 교환하고 싶어요",
"반품하면 택배비 얼마예요?", "주문 어디쯤 왔어요?" find the order (named, the one this
session talked about, or the newest that fits; asks which when that is not clear), check
it by code (`store.lifecycle`: state, dates, category) and either refuse citing the rule
or say what will happen and wait for "네" before changing anything.

`OrderDesk.route(message, state, customer_id, now, photo)` returns an `ActionResult` for a
turn it owns, or None to let the usual understanding run. Intent cues live here (small
regexes), not in `assistant/nlu`. Every reply is built by code; a result that touches an
order carries `data["order"]` (the CLI JSON `order` object). No SQL here: store functions.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

from assistant.actions import ActionResult
from assistant.facts import won

YES = re.compile(r"^\s*(네|넵|예|응|어|좋아요|좋아|그래요|그래|맞아요|확인|진행해|해\s?주세요|부탁해요|ok|okay|yes)"
                 r"[\s.!~요]*(주문|취소|신청|진행|결제|바꿔|변경|해)?.{0,12}$", re.IGNORECASE)
NO = re.compile(r"^\s*(아니요|아뇨|아니|괜찮아요|됐어요|그만|no)\b", re.IGNORECASE)
ORDER_ID = re.compile(r"\bO\d{8}-[0-9a-f]{8}\b|\bO-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b")   # ours, and seeded "O-A-1"
ADDRESS = re.compile(r"(서울|경기|인천|부산|대구|대전|광주|울산|세종|강원|충북|충남|전북|전남|경북|경남|제주)"
                     r"\S*\s+\S+(시|구|군)(\s+\S+)*")
CUES = (   # (kind, pattern): first match wins
    ("return_fee", re.compile(r"(반품|교환|환불).{0,15}(택배비|배송비|비용|얼마|돈|수수료)")),
    ("payment", re.compile(r"(결제|승인).{0,10}(두\s?번|중복|이중|또\s?됐|두\s?건)|중복\s?결제|이중\s?결제"
                           r"|결제(를)?\s?(다시|진행)\s?해|결제해\s?주세요")),
    ("address", re.compile(r"배송지|받는\s?주소|주소.{0,6}(바꾸|바꿀|변경|수정)")),
    ("cancel", re.compile(r"(주문|결제)?.{0,10}취소\s?(해|하고|할래|할게|부탁|가능|돼|되나|할\s?수)")),
    ("quality", re.compile(r"물러|무른|물렀|상했|상해|썩|곰팡|시들|깨져|깨진|파손|터져|터진|녹아|불량|고장"
                           r"|작동.{0,3}안|중량.{0,6}(적|모자)|신선하지|벌레")),
    ("exchange", re.compile(r"교환")),
    ("return", re.compile(r"반품|돌려\s?보내|환불\s?(해|받|요청|신청)")),
    ("status", re.compile(r"어디쯤|언제\s?(와|도착|오|받)|배송\s?(조회|상태)|주문.{0,8}(상태|어디|조회|확인)"
                          r"|도착\s?(예정|했|해요|하나)|출발했")),
)
METHOD_CUES = (("새벽", re.compile(r"새벽|내일\s?아침|아침\s?(일찍|7시)|출근\s?전")),
               ("당일", re.compile(r"당일|오늘\s?(저녁|밤|안에|중)")),
               ("픽업", re.compile(r"픽업|매장에서\s?(찾|받)|찾으러")),
               ("일반", re.compile(r"일반\s?배송|택배")))
ACTION_STATES = {"cancel": ("created", "paid", "preparing", "shipped"),
                 "address": ("created", "paid", "preparing", "shipped"),
                 "quality": ("delivered",), "exchange": ("delivered",), "return": ("delivered",),
                 "return_fee": ("delivered", "shipped"), "payment": None, "status": None}
POINTS = re.compile(r"적립금.{0,8}(써|쓸|사용|넣|차감|까지)")
NO_POINTS = re.compile(r"적립금.{0,8}(안\s?(써|쓸|쓰)|빼고|말고|사용\s?안|없이)")
RECENT = re.compile(r"방금|마지막|최근|지난|아까|이번")
_STOP = {"주문", "취소", "반품", "교환", "환불", "상품", "배송", "사이즈", "크기", "하고", "싶어요", "해주세요",
         "왔어요", "물러서", "너무", "그리고", "이거", "저거"}


def wants_method(message: str) -> str | None:
    """"내일 아침까지" -> 새벽, "매장에서 찾을게요" -> 픽업, ... (None: no preference said)."""
    return next((m for m, cue in METHOD_CUES if cue.search(message or "")), None)


def wants_points(message: str) -> bool | None:
    """True: "적립금 써서 주문할게요"; False: "적립금은 빼고"; None: not said [적립금-01]."""
    if NO_POINTS.search(message or ""):
        return False
    return True if POINTS.search(message or "") else None


def after_sales_kind(message: str) -> str | None:
    """The after-sales request a message makes, by cue (None: not one; the cart is not an order).

        >>> after_sales_kind("딸기가 물러서 왔어요"), after_sales_kind("반품하면 택배비 얼마예요?")
        ('quality', 'return_fee')
        >>> after_sales_kind("장바구니에서 우유 취소해 주세요") is None
        True
    """
    if "장바구니" in (message or ""):
        return None
    return next((k for k, cue in CUES if cue.search(message or "")), None)


def _result(kind: str, ok: bool, message: str, card: dict | None = None, **data) -> ActionResult:
    if card is not None:
        data["order"] = card
        data.setdefault("order_id", card["id"])
    numbers = tuple(int(n) for n in re.findall(r"\d[\d,]*(?=원)", message.replace(",", "")) if n.isdigit())
    return ActionResult(kind, ok, message, (), numbers, data)


class OrderDesk:
    """The dialogue side of orders. `db`: the shared database; `catalog`: {id: Product}."""

    def __init__(self, catalog: dict, db=None, profiles=None, provider=None,
                 photo_dir: str | Path | None = None) -> None:
        self.catalog = catalog
        self.db = db
        self.profiles = profiles
        self.provider = provider
        self.photo_dir = Path(photo_dir) if photo_dir else None

    # ---- helpers ------------------------------------------------------------------------
    def _provider(self):
        if self.provider is None and self.db is not None:
            from store.payment import SandboxProvider

            self.provider = SandboxProvider(self.db)
        return self.provider

    def region(self, customer_id: str | None) -> str | None:
        from assistant.actions import Actions

        return Actions.region(self, customer_id)   # same lookup (needs only .profiles)

    def card(self, order, refund: dict | None = None) -> dict:
        from store.lifecycle import order_card

        return order_card(self.db, order, refund)

    def _orders(self, state, customer_id, now) -> list:
        from store.lifecycle import customer_orders, owned
        from store.orders import OrderNotFound

        if customer_id:
            return customer_orders(self.db, customer_id, now)
        last = getattr(state, "last_order_id", None)   # anonymous kiosk: this session's order only
        if not last:
            return []
        try:
            return [owned(self.db, None, last, now)]
        except OrderNotFound:
            return []

    def find_order(self, message: str, state, customer_id, now, action: str):
        """(order, None) or (None, ActionResult asking / saying there is none)."""
        from store.lifecycle import owned, status_ko
        from store.orders import OrderNotFound

        named = ORDER_ID.search(message or "")
        if named:
            try:
                return owned(self.db, customer_id, named.group(0), now), None
            except OrderNotFound:
                return None, _result(action, False, "그 주문번호의 주문을 찾지 못했어요. 주문번호를 확인해 주세요.")
        orders = self._orders(state, customer_id, now)
        if not orders:
            if not customer_id:
                return None, _result(action, False, "주문을 찾으려면 로그인하거나 주문번호를 알려 주세요.")
            return None, _result(action, False, "아직 주문 내역이 없어요.")
        fits = [o for o in orders if ACTION_STATES.get(action) is None or o.status in ACTION_STATES[action]]
        words = self._words(message)
        named_product = [o for o in fits if any(self._matches(li.product_id, words) for li in o.items)]
        if named_product:
            return named_product[0], None
        last = getattr(state, "last_order_id", None)
        remembered = [o for o in fits if o.id == last]
        if remembered:
            return remembered[0], None
        if len(fits) == 1 or (fits and RECENT.search(message or "")):
            return fits[0], None
        if not fits:
            newest = orders[0]
            return newest, None   # the newest order: its state explains why the action cannot run
        listing = " / ".join(f"{o.id} ({o.created_at[:10]}, {won(o.total)}, {status_ko(o)})" for o in fits[:3])
        state.pending_action = {"kind": "choose", "action": action, "message": message}
        return None, _result(action, False, f"어느 주문인가요? 주문번호를 알려 주세요: {listing}",
                             choices=[o.id for o in fits[:3]])

    @staticmethod
    def _words(message: str) -> list[str]:
        return [w for w in re.findall(r"[가-힣A-Za-z]{2,}", message or "")
                if w not in _STOP and not w.endswith(("해요", "어요", "아요", "세요", "니다"))]

    def _matches(self, product_id: str, words: list[str]) -> bool:
        product = self.catalog.get(product_id)
        if product is None:
            return False
        name = product.name
        return any(w in name or (len(w) > 2 and w[:-1] in name) for w in words)

    def _pick_lines(self, order, message: str) -> list[str]:
        exact = [li.product_id for li in order.items if f"[{li.product_id}]" in (message or "")]
        if exact:   # "설향 딸기 500g [P0101]": the id the cards and the profile panel show
            return exact
        words = self._words(message)
        return [li.product_id for li in order.items if self._matches(li.product_id, words)]

    def _name(self, pid: str) -> str:
        product = self.catalog.get(pid)
        return product.name if product is not None else "주문한 상품"   # shoppers read names, not ids

    # ---- the turn -----------------------------------------------------------------------
    def route(self, message: str, state, customer_id, now, photo: str | None = None,
              cart_lines: dict | None = None) -> ActionResult | None:
        if self.db is None:
            return None
        pending = getattr(state, "pending_action", None)
        if pending:
            done = self._answer_pending(message, state, customer_id, now, photo, pending, cart_lines)
            if done is not None:
                return done
        kind = after_sales_kind(message)
        if kind is None:
            return None
        if not customer_id and not getattr(state, "last_order_id", None) and not ORDER_ID.search(message):
            return None   # nothing to act on: a policy question for the usual path
        if customer_id and not self._orders(state, customer_id, now) and not ORDER_ID.search(message):
            return None
        return self.start(kind, message, state, customer_id, now, photo)

    def start(self, kind, message, state, customer_id, now, photo=None) -> ActionResult:
        order, asked = self.find_order(message, state, customer_id, now, kind)
        if asked is not None:
            return asked
        state.last_order_id = order.id
        return getattr(self, f"_{kind}")(order, message, state, now, photo)

    def start_on(self, order_id: str, kind: str, message: str, state, customer_id, now,
                 photo: str | None = None) -> ActionResult:
        """`start` for an order picked on screen (the profile panel): the same checks and the
        same question, for `customer_id`'s own order only (else "not found")."""
        from store.lifecycle import owned
        from store.orders import OrderNotFound

        if self.db is None or kind not in ACTION_STATES:
            return _result(kind, False, "지금은 주문을 처리할 수 없어요.")
        try:
            order = owned(self.db, customer_id, order_id, now)
        except OrderNotFound as exc:
            return _result(f"order_{kind}", False, exc.user_message)
        state.pending_action = None
        state.last_order_id = order.id
        return getattr(self, f"_{kind}")(order, message, state, now, photo)

    def _answer_pending(self, message, state, customer_id, now, photo, pending, cart_lines):
        kind = pending.get("kind")
        if kind == "choose":
            named = ORDER_ID.search(message or "")
            state.pending_action = None
            if named:
                return self.start(pending["action"], pending["message"] + " " + named.group(0), state,
                                  customer_id, now, photo)
            return None
        if kind == "photo":
            if photo:
                state.pending_action = None
                return self._quality_confirm(pending, state, now, photo)
            if NO.search(message or ""):
                state.pending_action = None
                return _result("quality_claim", False, "알겠어요. 접수하지 않았어요.")
            if not (YES.search(message or "") or "사진" in (message or "")
                    or after_sales_kind(message) == "quality"):
                state.pending_action = None   # the shopper moved on: route this message afresh
                return None
            return _result("quality_claim", False, "사진이 아직 없어요. 상품 전체와 문제가 있는 부분, 송장이 함께 "
                           "보이도록 찍어 올려 주세요 [반품-03]. (명령줄에서는 --photo 경로)")
        if kind == "address_wait":
            found = ADDRESS.search(message or "")
            if found:
                pending = {"kind": "address", "order_id": pending["order_id"], "address": found.group(0)}
                state.pending_action = pending
                return _result("order_change", True, f"배송지를 '{found.group(0)}'(으)로 바꿀까요? '네'라고 답해 "
                               "주시면 바꿀게요.", None, pending=True)
            state.pending_action = None
            return None
        if NO.search(message or "") and not YES.search(message or ""):
            state.pending_action = None
            return _result(kind, False, "알겠어요. 아무것도 바꾸지 않았어요.")
        if not YES.search(message or ""):
            if kind == "checkout" and (wants_method(message) or wants_points(message) is not None):
                state.pending_action = None
                said = wants_points(message)
                return self.quote(state, customer_id, message, now, cart_lines,
                                  method=wants_method(message) or pending.get("method"),
                                  use_points=pending.get("use_points", False) if said is None else said)
            state.pending_action = None
            return None
        state.pending_action = None
        return self.carry_out(pending, state, customer_id, now, cart_lines)

    # ---- order-changing actions, only after "네" ------------------------------------------
    def carry_out(self, pending, state, customer_id, now, cart_lines=None) -> ActionResult:
        from store import lifecycle as lc
        from store.orders import OrderNotFound

        kind = pending["kind"]
        try:
            if kind == "checkout":
                return self.place(state, customer_id, now, pending, cart_lines)
            if kind == "cancel":
                out = lc.cancel_order(self.db, customer_id, pending["order_id"], now=now,
                                      provider=self._provider())
                refund = out.refund
                msg = (f"주문 {out.order.id}을(를) 취소했어요. 상품 재고는 바로 돌려놓았고, {won(refund['amount'])}을 "
                       f"{refund['method']}로 환불해 드려요 ({refund['eta']}).")
                if refund.get("points_restored"):
                    msg += f" 사용하신 적립금 {won(refund['points_restored'])}도 다시 적립했어요."
                return _result("order_cancel", True, msg, self.card(out.order, refund))
            if kind == "address":
                out = lc.change_address(self.db, customer_id, pending["order_id"], pending["address"], now=now)
                return _result("order_change", True, f"배송지를 '{out.order.address}'(으)로 바꿨어요.",
                               self.card(out.order))
            if kind in ("return", "quality", "exchange"):
                lc_kind = {"return": "change_of_mind", "quality": "quality", "exchange": "exchange"}[kind]
                out = lc.request_return(self.db, customer_id, pending["order_id"], lc_kind, self.catalog,
                                        product_ids=pending.get("product_ids"), reason=pending.get("reason", ""),
                                        photo=pending.get("photo"), now=now)
                terms = out.extra
                if kind == "exchange":
                    msg = (f"교환 신청을 접수했어요 (접수번호 {out.request_id}). 왕복 배송비 {won(terms['fee'])}은 "
                           "고객님 부담이에요 [교환-01]. 기사님이 1~3일 안에 회수하러 가요.")
                    refund = None
                elif kind == "quality":
                    msg = (f"품질 문제로 접수했어요 (접수번호 {out.request_id}). 사진을 확인한 뒤 {won(terms['refund_amount'])}을 "
                           f"환불해 드려요 [반품-03]" + (". 상품은 돌려보내지 않으셔도 돼요." if not terms["send_back"]
                                                      else ". 기사님이 상품을 회수해요."))
                    refund = {"amount": terms["refund_amount"], "deduction": 0, "status": "검수 후 환불",
                              "rule": terms["rule"]}
                else:
                    msg = (f"반품 신청을 접수했어요 (접수번호 {out.request_id}). 상품이 물류센터에 도착해 확인이 끝나면 "
                           f"{won(terms['refund_amount'])}을 환불해 드려요 [환불-01].")
                    refund = {"amount": terms["refund_amount"], "deduction": terms["deduction"],
                              "status": "검수 후 환불", "rule": terms["rule"]}
                return _result(f"order_{kind}", True, msg, self.card(out.order, refund),
                               request_id=out.request_id)
            if kind == "pay":
                order = lc.pay(self.db, pending["order_id"], self._provider(), now=now)
                return self._payment_said(order, "결제를 마쳤어요.")
        except lc.ActionRefused as exc:
            return _result(f"order_{kind}", False, exc.user_message, None, rule=exc.rule)
        except OrderNotFound as exc:
            return _result(f"order_{kind}", False, exc.user_message)
        return _result(kind, False, "확인할 요청이 없어요.")

    # ---- starting each action (checks, then a question) -------------------------------------
    def _refused(self, kind, order, exc) -> ActionResult:
        return _result(f"order_{kind}", False, exc.user_message, self.card(order), rule=exc.rule)

    def _cancel(self, order, message, state, now, photo):
        from store import lifecycle as lc

        try:
            lc.can_cancel(order, now)
        except lc.ActionRefused as exc:
            return self._refused("cancel", order, exc)
        state.pending_action = {"kind": "cancel", "order_id": order.id}
        paid = lc.payment_status(self.db, order)
        refund = (f"결제하신 {won(order.total)}은 {paid['method']}로 전액 환불돼요 [환불-01]."
                  if paid["status"] == "paid" else "아직 결제 전이라 청구되는 금액은 없어요.")
        return _result("order_cancel", True, f"주문 {order.id} ({won(order.total)}, '{lc.status_ko(order)}')을 "
                       f"취소할까요? 출고 전이라 바로 취소할 수 있어요 [주문-01]. {refund} 취소하려면 '네'라고 답해 주세요.",
                       self.card(order), pending=True)

    def _address(self, order, message, state, now, photo):
        from store import lifecycle as lc
        from store.delivery import clock_ko

        try:
            until = lc.can_change_address(order, now)
        except lc.ActionRefused as exc:
            return self._refused("change", order, exc)
        deadline = f" ({clock_ko(until)}까지 가능 [배송-07])" if until else " [배송-07]"
        found = ADDRESS.search(message or "")
        if found:
            state.pending_action = {"kind": "address", "order_id": order.id, "address": found.group(0)}
            return _result("order_change", True, f"출고 전이라 배송지를 바꿀 수 있어요{deadline}. '{found.group(0)}'(으)로 "
                           "바꿀까요? '네'라고 답해 주세요.", self.card(order), pending=True)
        state.pending_action = {"kind": "address_wait", "order_id": order.id}
        return _result("order_change", True, f"네, 출고 전이라 배송지를 바꿀 수 있어요{deadline}. 새 주소를 "
                       f"알려 주세요. 지금 주소: {order.address or '-'}", self.card(order), pending=True)

    def _terms(self, kind, order, message, now):
        from store import lifecycle as lc

        picked = self._pick_lines(order, message)
        lc_kind = {"return": "change_of_mind", "quality": "quality", "exchange": "exchange",
                   "return_fee": "change_of_mind"}[kind]
        if kind in ("quality", "exchange") and not picked:
            # a quality claim is about fresh goods unless named; an exchange about non-food
            fits = [li.product_id for li in order.items if li.product_id in self.catalog
                    and (lc.is_fresh(self.catalog[li.product_id]) if kind == "quality"
                         else not lc.is_food(self.catalog[li.product_id]))]
            picked = fits[:1] if len(fits) == 1 else picked
        if kind in ("return", "return_fee") and not picked:
            # unnamed: the goods a change of mind can send back; all fresh -> the refusal says why
            picked = [li.product_id for li in order.items if li.product_id in self.catalog
                      and not lc.is_fresh(self.catalog[li.product_id])]
        if kind in ("quality", "exchange") and not picked and len(order.items) > 1:
            names = ", ".join(self._name(li.product_id) for li in order.items)
            return None, picked, f"어떤 상품인가요? 이 주문에는 {names}이(가) 있어요."
        return lc.return_terms(order, lc_kind, self.catalog, product_ids=picked or None, now=now,
                               claimed=lc.claimed_lines(self.db, order.id)), picked, None

    def _return(self, order, message, state, now, photo, kind="return"):
        from store import lifecycle as lc

        try:
            terms, picked, ask = self._terms(kind, order, message, now)
        except lc.ActionRefused as exc:
            return self._refused(kind, order, exc)
        if ask:
            return _result(f"order_{kind}", False, ask, self.card(order))
        names = ", ".join(self._name(p) for p in terms["product_ids"])
        pending = {"kind": kind, "order_id": order.id, "product_ids": terms["product_ids"], "reason": message[:200]}
        if kind == "exchange":
            state.pending_action = pending
            return _result("order_exchange", True, f"{names}을(를) 같은 상품의 다른 옵션으로 교환할 수 있어요. 단순변심 교환이라 "
                           f"왕복 배송비 {won(terms['fee'])}은 고객님 부담이에요 [교환-01]. 교환 신청할까요? '네'라고 답해 주세요.",
                           self.card(order), pending=True)
        state.pending_action = pending
        why = "무료배송으로 받으셔서 왕복" if terms["free_delivery"] else "배송비를 내고 받으셔서 편도"
        msg = (f"{names} 단순변심 반품은 받은 날부터 7일 안이라 가능해요. 반품 배송비는 고객님 부담이라 {why} "
               f"{won(terms['deduction'])}을 빼고 {won(terms['refund_amount'])}을 환불해 드려요 [반품-05]. "
               "반품 신청할까요? '네'라고 답해 주세요.")
        if order.delivery_method == "픽업":
            msg = (f"{names}은(는) 매장에 가져오시면 반품할 수 있어요. {won(terms['refund_amount'])}을 환불해 드려요 "
                   "[반품-01]. 반품 신청할까요? '네'라고 답해 주세요.")
        return _result("order_return", True, msg, self.card(order, {"amount": terms["refund_amount"],
                                                                   "deduction": terms["deduction"],
                                                                   "status": "예상"}), pending=True)

    def _exchange(self, order, message, state, now, photo):
        return self._return(order, message, state, now, photo, kind="exchange")

    def _quality(self, order, message, state, now, photo):
        from store import lifecycle as lc

        try:
            terms, picked, ask = self._terms("quality", order, message, now)
        except lc.ActionRefused as exc:
            return self._refused("quality", order, exc)
        if ask:
            return _result("order_quality", False, ask, self.card(order))
        pending = {"kind": "photo", "order_id": order.id, "product_ids": terms["product_ids"],
                   "reason": message[:200], "refund_amount": terms["refund_amount"], "send_back": terms["send_back"]}
        if photo:
            return self._quality_confirm(pending, state, now, photo)
        state.pending_action = pending
        names = ", ".join(self._name(p) for p in terms["product_ids"])
        return _result("order_quality", True, f"불편을 드려 죄송해요. {names} 품질 문제는 받은 날을 포함해 2일 안이라 "
                       "접수할 수 있어요 [반품-03]. 상품 전체와 문제가 있는 부분, 받은 상자의 송장이 함께 보이도록 사진을 "
                       "올려 주세요. (명령줄에서는 --photo 경로)", self.card(order), pending=True, needs_photo=True)

    def _quality_confirm(self, pending, state, now, photo):
        saved = self._keep_photo(pending["order_id"], photo)
        if saved is None:
            state.pending_action = pending
            return _result("order_quality", False, "사진 파일을 읽지 못했어요. jpg나 png 파일 경로를 다시 알려 주세요.")
        confirm = dict(pending, kind="quality", photo=saved)
        state.pending_action = confirm
        back = "상품은 돌려보내지 않으셔도 돼요" if pending.get("send_back") is False else "기사님이 상품을 회수해요"
        return _result("order_quality", True, f"사진을 받았어요. 품질 문제로 접수하고, 확인 뒤 {won(pending['refund_amount'])}을 "
                       f"전액 환불해 드릴게요 [반품-03]. {back}. 접수할까요? '네'라고 답해 주세요.",
                       None, order_id=pending["order_id"], pending=True, photo=saved)

    def _keep_photo(self, order_id: str, photo: str) -> str | None:
        path = Path(photo)
        if not path.is_file() or path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp", ".heic"):
            return None
        if self.photo_dir is None:
            return str(path)
        dest = self.photo_dir / order_id / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        return str(dest)

    def _return_fee(self, order, message, state, now, photo):
        from store import lifecycle as lc

        try:
            terms, _, _ = self._terms("return_fee", order, message, now)
        except lc.ActionRefused as exc:
            if exc.rule == "반품-03":
                return _result("return_fee", True, exc.user_message, self.card(order), rule=exc.rule)
            return self._refused("return_fee", order, exc)
        why = ("무료배송으로 받으신 주문이라 왕복" if terms["free_delivery"] else "배송비를 내고 받으신 주문이라 편도")
        msg = (f"단순변심 반품이면 {why} {won(terms['deduction'])}을 환불 금액에서 빼요 [반품-05]. 반품하실 상품 "
               f"{won(terms['gross'])}에서 빼고 {won(terms['refund_amount'])}을 환불받으세요. 상품 불량이나 오배송이면 "
               "배송비는 장보기가 부담해요.")
        return _result("return_fee", True, msg, self.card(order, {"amount": terms["refund_amount"],
                                                                 "deduction": terms["deduction"], "status": "예상"}))

    def _status(self, order, message, state, now, photo):
        from store.lifecycle import status_text

        return _result("order_status", True, status_text(order, now), self.card(order))

    def _payment(self, order, message, state, now, photo):
        if order.status == "created" and order.payment_method != "현장 결제" and "해" in message:
            state.pending_action = {"kind": "pay", "order_id": order.id}
            return _result("order_payment", True, f"주문 {order.id}의 {won(order.total)}을 결제할까요? 같은 결제 요청은 "
                           "한 번만 승인돼요 [결제-04]. '네'라고 답해 주세요.", self.card(order), pending=True)
        return self._payment_said(order, "")

    def _payment_said(self, order, lead: str) -> ActionResult:
        from store.lifecycle import payments

        captures = [p for p in payments(self.db, order.id) if p["kind"] == "capture"]
        if captures:
            msg = (f"{lead} 주문 {order.id}은(는) {won(captures[0]['amount'])}이 한 번만 결제됐어요. 같은 주문의 결제 요청은 "
                   "같은 요청 번호로 처리돼 두 번 청구되지 않아요 [결제-04].").strip()
        elif order.payment_method == "현장 결제":
            msg = f"주문 {order.id}은(는) 매장에서 픽업할 때 결제해요 (현장 결제). 아직 청구된 금액은 없어요."
        else:
            msg = f"주문 {order.id}은(는) 아직 결제되지 않았어요. '결제해 주세요'라고 하시면 다시 시도할게요."
        return _result("order_payment", bool(captures), msg, self.card(order), charges=len(captures))

    # ---- checkout ----------------------------------------------------------------------------
    def quote(self, state, customer_id, message, now, cart_lines: dict | None, method: str | None = None,
              slot_id: str | None = None, use_points: bool | None = None) -> ActionResult:
        """The priced proposal ("주문할게요"): method, slot, amount (coupons applied, points
        when the shopper says so [적립금-01]); waits for "네"."""
        from store.delivery import kst
        from store.lifecycle import plan_checkout

        lines = cart_lines or {}
        total = sum(self.catalog[p].effective_price * q for p, q in lines.items() if p in self.catalog)
        if not lines or total <= 0:
            return _result("checkout", False, "장바구니가 비어 있어 주문할 상품이 없어요.")
        asked = method or wants_method(message)
        region = self.region(customer_id)
        use_points = bool(wants_points(message)) if use_points is None else use_points
        plan = plan_checkout(self.db, customer_id, total, region_text=region, method=asked, slot_id=slot_id,
                             now=now, use_points=use_points)
        why = plan.reason
        now_k = kst(now)
        if asked == "새벽" and plan.method == "새벽" and re.search(r"내일\s?아침", message or ""):
            tomorrow = date.fromisoformat(plan.slot_id[:10]) == now_k.date() + timedelta(days=1)
            why = (why + " " if why else "") + ("밤 11시 전 주문이라 내일 아침 7시 전에 도착해요 [배송-02]." if tomorrow
                                                else "밤 11시가 지나 새벽배송은 모레 아침에 도착해요 [배송-02].")
        if not region and customer_id is None and plan.method == "픽업":
            why = (why + " " if why else "") + "키오스크 주문은 매장 픽업으로 준비해요 [픽업-01]."
        elif not region and plan.method == "픽업":
            why = (why + " " if why else "") + "배송지(시/구)가 등록되어 있지 않아 매장 픽업으로 안내해요."
        pay = "매장에서 픽업할 때 결제 (현장 결제)" if plan.method == "픽업" else "등록된 카드로 결제"
        state.pending_action = {"kind": "checkout", "method": plan.method, "slot_id": plan.slot_id,
                                "total": plan.quote.total, "store": None, "use_points": use_points}
        body = " / ".join(plan.quote.lines_ko())
        if plan.points_balance > 0 and not use_points:
            why = (why + " " if why else "") + (f"보유 적립금 {won(plan.points_balance)}은 '적립금 써서 주문할게요'라고 "
                                                "하시면 결제 금액에서 빼 드려요 [적립금-01].")
        msg = (f"주문 전에 확인해 주세요. {plan.slot_label}. {body}. {pay}. "
               + (why + " " if why else "") + "이대로 주문할까요? '네'라고 답해 주시면 주문할게요.")
        return _result("checkout", True, msg, None, pending=True, quote=plan.card(),
                       total=plan.quote.total)

    def place(self, state, customer_id, now, pending, cart_lines) -> ActionResult:
        from store.delivery import SlotFull
        from store.lifecycle import place_order
        from store.payment import PaymentError

        items = [(p, q) for p, q in (cart_lines or {}).items() if q > 0]
        if not items:
            return _result("checkout", False, "장바구니가 비어 있어 주문할 상품이 없어요.")
        from store.lifecycle import plan_checkout

        total = sum(self.catalog[p].effective_price * q for p, q in items if p in self.catalog)
        use_points = bool(pending.get("use_points"))
        plan = plan_checkout(self.db, customer_id, total, region_text=self.region(customer_id),
                             method=pending["method"], slot_id=pending.get("slot_id"), now=now,
                             use_points=use_points)
        if plan.quote.total != pending.get("total", plan.quote.total) and not plan.full:
            # the cart (or a coupon) changed since the quote: never charge an amount not shown
            again = self.quote(state, customer_id, "", now, cart_lines, method=pending["method"],
                               slot_id=pending.get("slot_id"), use_points=use_points)
            return _result("checkout", False, "장바구니나 할인이 바뀌어 결제 금액이 달라졌어요. " + again.message,
                           None, pending=True, quote=again.data.get("quote"))
        try:
            order = place_order(self.db, customer_id, items, self.catalog, method=pending["method"],
                                region_text=self.region(customer_id), slot_id=pending.get("slot_id"),
                                provider=self._provider(), now=now, source="assistant", use_points=use_points)
        except SlotFull as exc:
            if exc.next_free is None:
                return _result("checkout", False, exc.user_message)
            state.pending_action = dict(pending, slot_id=exc.next_free.id)
            return _result("checkout", False, exc.user_message + " 이 슬롯으로 주문할까요? '네'라고 답해 주세요.",
                           None, next_slot=exc.next_free.card(), pending=True)
        except PaymentError as exc:
            return _result("checkout", False, exc.user_message + " 주문은 취소되었고 장바구니는 그대로예요.")
        state.last_order_id = order.id
        if not customer_id:
            state.cart.clear()
        paid = "현장 결제 (픽업할 때)" if order.payment_method == "현장 결제" else f"{order.payment_method} 결제 완료"
        card = self.card(order)
        msg = (f"주문이 완료됐어요. 주문번호 {order.id}, 결제 금액 {won(order.total)} ({paid}). "
               f"{card['slot']['label']}.")
        return _result("checkout", True, msg, card, total=order.total)
