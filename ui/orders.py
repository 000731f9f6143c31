"""Orders on screen: the profile panel's order list and actions, the checkout quote, and the
staff view's pending returns. Handlers first (no Gradio), then the components and wiring.

Every order action goes through the dialogue's own code (`Assistant.desk`, i.e.
`assistant.aftersales.OrderDesk`): "신청하기" asks the same question the chat asks and keeps it
as the session's pending action; only "네, 진행할게요" changes anything (`desk.route("네")`,
the chat's "네"). Actions are customer-scoped: the customer id comes from the session's signed
token (`ui.handlers._who`) and the desk loads the order for that customer only. A quality
claim's photo is the gr.Image upload's file path, handed to the desk like the CLI's --photo.
The staff list needs a staff session: a signed token issued when the staff PIN was accepted.

    >>> OrdersView(orders="<div></div>").order_pick is None
    True
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ui import handlers as h
from ui.presenters import won

ACTION_KINDS = {"cancel": "cancel", "change_address": "address", "return": "return", "exchange": "exchange",
                "quality": "quality"}                        # panel action -> the desk's kind
UI_LABELS = {"cancel": "취소", "change_address": "배송지 변경", "return": "반품 신청", "exchange": "교환 신청",
             "quality": "품질 문제 신고 (사진 필요)"}
CONFIRMABLE = ("cancel", "address", "return", "quality", "exchange")   # pending kinds the panel confirms
REQUEST_KO = {"change_of_mind": "단순변심 반품", "quality": "품질 문제", "exchange": "교환"}
REQUEST_STATUS_KO = {"requested": "검수 대기", "approved": "승인", "rejected": "반려", "refunded": "환불 완료"}
STAFF_SUB = "@staff"   # not a valid customer id (profiles.validation), so never a customer's token
NEED_STAFF = "직원 PIN으로 매장 관리 화면을 먼저 열어 주세요."


@dataclass
class OrdersView(h.View):
    """`View` plus the order components; None = unchanged."""

    orders: str | None = None              # HTML list of the customer's orders
    wallet: str | None = None              # Markdown: grade, points, coupons
    order_pick: list | None = None         # (label, order id) choices
    action_pick: list | None = None        # (label, action) choices of the picked order
    line_pick: list | None = None          # (label, product id) choices of the picked order
    order_prompt: str | None = None        # the question (or the result) of an action
    order_confirm_visible: bool | None = None
    checkout_confirm_visible: bool | None = None
    returns: str | None = None             # staff: HTML list of pending requests
    return_pick: list | None = None        # staff: (label, request id) choices


def _now(services: h.UIServices):
    clock = getattr(services.assistant, "clock", None)
    return clock() if clock else None


def _desk(services: h.UIServices):
    return services.assistant.desk


# ---- presenters ---------------------------------------------------------------------------
def order_html(card: dict) -> str:
    """One order of `Assistant.order_panel` as an HTML block (everything escaped)."""
    e = html.escape
    lines = "".join(f"<li>{e(li['name'])} [{e(li['product_id'])}] × {li['qty']} · {won(li['amount'])}</li>"
                    for li in card.get("lines", []))
    allowed = [a["label"] for a in card.get("actions", []) if a["ok"]]
    actions = " · ".join(e(a) for a in allowed) if allowed else "지금 할 수 있는 요청이 없어요"
    returns = "".join(f"<li>{REQUEST_KO.get(r['kind'], r['kind'])} {e(', '.join(r['product_ids']))}: "
                      f"{REQUEST_STATUS_KO.get(r['status'], r['status'])}"
                      + (f" ({won(r['refund_amount'])})" if r.get("refund_amount") else "") + "</li>"
                      for r in card.get("returns", []))
    fee = f" (배송비 {won(card['delivery_fee'])})" if card.get("delivery_fee") else ""
    return (f'<div class="jb-order" data-order-id="{e(card["id"])}"><div><b>{e(card["id"])}</b> · '
            f'{e(card.get("created_at", "")[:10])} · <span class="jb-order-state">{e(card["status_ko"])}</span></div>'
            f'<div>{e(card.get("text", ""))}</div><ul>{lines}</ul>'
            f'<div>결제 금액 <b>{won(card["total"])}</b>{fee}</div>'
            + (f"<ul>{returns}</ul>" if returns else "")
            + f'<div class="jb-muted">가능한 요청: {actions}</div></div>')


def orders_html(cards: list[dict]) -> str:
    if not cards:
        return '<div class="jb-muted">아직 주문 내역이 없어요.</div>'
    return '<div class="jb-orders">' + "".join(order_html(c) for c in cards) + "</div>"


def wallet_markdown(wallet: dict | None) -> str:
    """"회원 등급 VIP (적립률 3%) · 적립금 8,750원 · 쿠폰 4장: ..." [멤버십-01, 적립금-01, 쿠폰-01]."""
    if not wallet:
        return ""
    from store.rewards import coupon_label

    coupons = ", ".join(coupon_label(c) for c in wallet["coupons"]) or "없음"
    notes = ""
    for lot in wallet.get("expiring", []):   # 소멸 30일 전 안내 [적립금-02]
        month, day = int(lot["date"][5:7]), int(lot["date"][8:10])
        notes += f"  \n⏳ 적립금 {won(lot['points'])}이 {month}월 {day}일에 소멸돼요 [적립금-02]"
    if wallet.get("points_owed"):
        notes += (f"  \n환불된 주문의 적립금 {won(wallet['points_owed'])}은 다음 적립금에서 차감돼요")
    return (f"회원 등급 **{wallet['grade']}** (적립률 {wallet['rate']}) · 적립금 **{won(wallet['points'])}**  \n"
            f"쿠폰 {len(wallet['coupons'])}장: {coupons}{notes}")


def returns_html(rows: list[dict]) -> str:
    if not rows:
        return '<div class="jb-muted">검수를 기다리는 요청이 없어요.</div>'
    e = html.escape
    body = "".join(f"<tr><td>{r['id']}</td><td>{e(r['order_id'])}</td><td>{REQUEST_KO.get(r['kind'], r['kind'])}</td>"
                   f"<td>{e(', '.join(r['product_ids']))}</td><td>{e(r.get('reason') or '')[:60]}</td>"
                   f"<td>{'있음' if r.get('photo') else '-'}</td><td class='jb-num'>{won(r['refund_amount'])}</td></tr>"
                   for r in rows)
    return ('<table class="jb-cart jb-returns"><thead><tr><th>번호</th><th>주문</th><th>종류</th><th>상품</th>'
            f'<th>사유</th><th>사진</th><th>환불 예정</th></tr></thead><tbody>{body}</tbody></table>')


# ---- customer handlers ------------------------------------------------------------------------
def order_list(services: h.UIServices, session: h.UISession | None, quiet: bool = False) -> OrdersView:
    """The signed-in customer's orders (state, slot/ETA, total, allowed actions) and wallet.
    `quiet`: signed out is no warning (the list follows the sign-in by itself)."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed or not cid:
        if quiet:
            return OrdersView(orders='<div class="jb-muted">로그인하면 주문 내역이 보여요.</div>', wallet="",
                              order_pick=[], action_pick=[], line_pick=[], order_prompt="",
                              order_confirm_visible=False)
        return lapsed or OrdersView(**vars(h._need_sign_in(services)))
    now = _now(services)
    cards = services.assistant.order_panel(cid, now=now)
    wallet = None
    if getattr(services.assistant, "db", None) is not None:
        from store.lifecycle import customer_wallet

        wallet = customer_wallet(services.assistant.db, cid, now)
    picks = [(f"{c['id']} · {c['created_at'][:10]} · {c['status_ko']} · {won(c['total'])}", c["id"]) for c in cards]
    return OrdersView(orders=orders_html(cards), wallet=wallet_markdown(wallet), order_pick=picks,
                      action_pick=[], line_pick=[], order_prompt="", order_confirm_visible=False)


def order_actions(services: h.UIServices, session: h.UISession | None, order_id: str | None) -> OrdersView:
    """The allowed actions and the lines of the picked order (own orders only)."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed or not cid:
        return lapsed or OrdersView(**vars(h._need_sign_in(services)))
    card = next((c for c in services.assistant.order_panel(cid, now=_now(services)) if c["id"] == order_id), None)
    if card is None:   # nothing picked (the list was refreshed): the last result stays on screen
        return OrdersView(action_pick=[], line_pick=[])
    actions = [(UI_LABELS[a["action"]], a["action"]) for a in card["actions"] if a["ok"] and a["action"] in UI_LABELS]
    why = [a["why"] for a in card["actions"] if not a["ok"] and a["action"] in ("cancel", "return")]
    prompt = "" if actions else "지금 이 주문에 할 수 있는 요청이 없어요. " + " ".join(why[:1])
    lines = [(f"{li['name']} [{li['product_id']}]", li["product_id"]) for li in card.get("lines", [])]
    return OrdersView(action_pick=actions, line_pick=lines, order_prompt=prompt, order_confirm_visible=False)


def _request_message(services, order_id: str, action: str, product_id: str | None, address: str) -> str:
    """The sentence the desk reads for this request (what a shopper would say in the chat)."""
    product = services.assistant.catalog.get(product_id) if product_id else None
    named = f"{product.name} [{product_id}] " if product is not None else ""
    return {"cancel": f"{order_id} 주문 취소해 주세요",
            "change_address": f"{order_id} 배송지 변경: {' '.join(address.split())[:200]}",
            "return": f"{order_id} {named}반품할게요", "exchange": f"{order_id} {named}교환하고 싶어요",
            "quality": f"{order_id} {named}상품에 문제가 있어요"}[action]


def order_request(services: h.UIServices, session: h.UISession | None, order_id: str | None, action: str | None,
                  product_id: str | None = None, address: str = "", photo: str | None = None) -> OrdersView:
    """"신청하기": the desk checks the order and asks; nothing changes before "네"."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed or not cid:
        return lapsed or OrdersView(**vars(h._need_sign_in(services)))
    if not order_id or action not in ACTION_KINDS:
        return OrdersView(warning="주문과 요청을 골라 주세요.")
    if action == "change_address" and not (address or "").strip():
        return OrdersView(warning="새 배송지를 '시/구'부터 적어 주세요. 예: 서울 마포구 월드컵로 1")
    message = _request_message(services, order_id, action, product_id, address)
    result = _desk(services).start_on(order_id, ACTION_KINDS[action], message, sess.dialogue, cid, _now(services),
                                      photo or None)
    pending = (sess.dialogue.pending_action or {}).get("kind")
    ask = pending in CONFIRMABLE
    if not ask and pending != "photo":
        sess.dialogue.pending_action = None   # an address still missing, a list to choose from: not confirmable
    return OrdersView(session=sess, order_prompt=result.message, order_confirm_visible=ask,
                      warning="" if result.ok else result.message)


def order_confirm(services: h.UIServices, session: h.UISession | None, yes: bool) -> OrdersView:
    """"네, 진행할게요" / "아니요": the chat's answer to the pending question, then the new list."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed or not cid:
        return lapsed or OrdersView(**vars(h._need_sign_in(services)))
    pending = sess.dialogue.pending_action or {}
    if pending.get("kind") not in CONFIRMABLE:
        return OrdersView(warning="확인할 요청이 없어요. 주문과 요청을 다시 골라 주세요.", order_confirm_visible=False)
    result = _desk(services).route("네" if yes else "아니요", sess.dialogue, cid, _now(services))
    message = result.message if result is not None else "확인할 요청이 없어요."
    view = order_list(services, sess)
    view.session, view.order_prompt = sess, message
    if result is not None and (result.ok or not yes):
        view.info = message
    else:
        view.warning = message
    return view


# ---- checkout: the quote first, then "결제하기" ---------------------------------------------------
def checkout_quote(services: h.UIServices, session: h.UISession | None, use_points: bool = False) -> OrdersView:
    """"주문하기": the amount (coupons applied, points when ticked), method and slot, as the chat's
    quote; nothing is ordered before "결제하기"."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed:
        return lapsed
    lines = services.assistant.actions.lines(sess.dialogue, cid)
    if getattr(services.assistant, "db", None) is None:
        return OrdersView(**vars(h.checkout(services, sess)))   # no order tables: the direct path
    result = _desk(services).quote(sess.dialogue, cid, "", _now(services), lines, use_points=bool(use_points))
    ask = (sess.dialogue.pending_action or {}).get("kind") == "checkout"
    return OrdersView(session=sess, checkout_msg=result.message, checkout_confirm_visible=ask,
                      warning="" if result.ok else result.message)


def checkout_confirm(services: h.UIServices, session: h.UISession | None, yes: bool) -> OrdersView:
    """"결제하기" (the chat's "네") places the quoted order; "취소" drops the quote."""
    sess, cid, lapsed = h._who(services, session)
    if lapsed:
        return lapsed
    if (sess.dialogue.pending_action or {}).get("kind") != "checkout":
        return OrdersView(warning="먼저 '주문하기'로 결제 금액을 확인해 주세요.", checkout_confirm_visible=False)
    result = _desk(services).route("네" if yes else "아니요", sess.dialogue, cid, _now(services),
                                   cart_lines=services.assistant.actions.lines(sess.dialogue, cid))
    message = result.message if result is not None else "확인할 주문이 없어요."
    again = (sess.dialogue.pending_action or {}).get("kind") == "checkout"   # the amount changed: asked again
    view = OrdersView(session=sess, cart=h._cart(services, sess, cid), checkout_msg=message,
                      checkout_confirm_visible=again)
    if result is not None and (result.ok or not yes):
        view.info = message
    else:
        view.warning = message
    return view


# ---- staff: pending returns -------------------------------------------------------------------------
def staff_session(services: h.UIServices, session: h.UISession | None) -> h.UISession:
    """The session with a staff token (called once the staff PIN was accepted)."""
    sess = h._session(session)
    sess.staff_token = services.gate.tokens.issue(STAFF_SUB)
    return sess


def _is_staff(services: h.UIServices, sess: h.UISession) -> bool:
    return services.gate.customer_of(getattr(sess, "staff_token", "")) == STAFF_SUB


def staff_returns(services: h.UIServices, session: h.UISession | None, quiet: bool = False) -> OrdersView:
    """Return / claim / exchange requests waiting for staff (staff session only; `quiet`: no
    warning without one, after a wrong PIN that already said so)."""
    sess = h._session(session)
    if not _is_staff(services, sess):
        return OrdersView(warning="" if quiet else NEED_STAFF, returns="", return_pick=[])
    rows = services.assistant.pending_returns()
    picks = [(f"{r['id']} · {r['order_id']} · {REQUEST_KO.get(r['kind'], r['kind'])} · {won(r['refund_amount'])}",
              str(r["id"])) for r in rows]
    return OrdersView(returns=returns_html(rows), return_pick=picks)


def staff_decide(services: h.UIServices, session: h.UISession | None, request_id: str | None,
                 approve: bool) -> OrdersView:
    """Approve (stock back where resellable, refund) or reject one request after inspection."""
    sess = h._session(session)
    if not _is_staff(services, sess):
        return OrdersView(warning=NEED_STAFF)
    waiting = {str(r["id"]) for r in services.assistant.pending_returns()}
    if str(request_id or "") not in waiting:
        return OrdersView(warning="처리할 요청을 골라 주세요.")
    out = services.assistant.decide_return(int(request_id), approve, now=_now(services),
                                           reason="" if approve else "매장 검수 결과")
    view = staff_returns(services, sess)
    if not out.get("ok"):
        view.warning = out.get("error", "처리하지 못했어요.")
        return view
    order = out["order"]
    refund = f", 환불 {won(order['refund']['amount'])}" if order.get("refund") else ""
    if (order.get("refund") or {}).get("points_restored"):
        refund += f", 적립금 {won(order['refund']['points_restored'])} 다시 적립"
    view.info = f"요청 {request_id}을(를) {'승인' if approve else '반려'}했어요 (주문 {order['id']}: {order['status_ko']}{refund})."
    return view


# ---- components and wiring (Gradio is imported inside the functions) --------------------------------
def present(view: h.View, fields: list[str]) -> tuple:
    """The outputs of `fields` for one View (`ui.layout._present`: `*_pick` choices, `*_visible`)."""
    from ui.layout import _present

    return _present(view, fields)


def _on(c: dict, trigger, ui: h.UIServices, handler, inputs: list[str], fields: list[str], name: str = ""):
    def run(session, *values):
        return present(handler(ui, session, *values), fields)
    visibility = (dict(api_name=f"ui_{name}", api_visibility="undocumented") if name
                  else dict(api_visibility="private"))
    return trigger(run, [c["session"]] + [c[i] for i in inputs], [c[f] for f in fields], **visibility)


def profile_orders(c: dict) -> None:
    """The profile tab's order list: pick an order, a request, then confirm."""
    import gradio as gr

    with gr.Accordion("주문 내역", open=True, elem_id="jb-orders-box"):
        c["wallet"] = gr.Markdown("", elem_id="jb-wallet")
        c["orders"] = gr.HTML('<div class="jb-muted">로그인하면 주문 내역이 보여요.</div>', elem_id="jb-orders")
        c["orders_btn"] = gr.Button("주문 내역 새로고침", size="sm", elem_id="jb-orders-refresh")
        c["order_pick"] = gr.Dropdown([], label="주문 선택", elem_id="jb-order-pick")
        c["action_pick"] = gr.Radio([], label="요청", elem_id="jb-action-pick")
        c["line_pick"] = gr.Dropdown([], label="상품 (반품·교환·품질 문제)", elem_id="jb-line-pick")
        c["order_address"] = gr.Textbox(label="새 배송지 (배송지 변경, 시/구부터)", max_lines=1,
                                        elem_id="jb-order-address")
        c["order_photo"] = gr.Image(label="사진 (품질 문제 신고: 상품 전체, 문제 부분, 송장이 보이게)",
                                    type="filepath", sources=["upload", "clipboard"], height=160,
                                    elem_id="jb-order-photo")
        c["order_request_btn"] = gr.Button("신청하기", elem_id="jb-order-request")
        c["order_prompt"] = gr.Markdown("", elem_id="jb-order-prompt")
        with gr.Row(visible=False) as c["order_confirm_visible"]:
            c["order_yes"] = gr.Button("네, 진행할게요", variant="primary", elem_id="jb-order-yes")
            c["order_no"] = gr.Button("아니요", elem_id="jb-order-no")


def cart_confirm(c: dict) -> None:
    """Under the cart: the points choice and the confirm buttons of the quote."""
    import gradio as gr

    c["use_points"] = gr.Checkbox(label="적립금 사용 (1원 단위, 배송비에도 [적립금-01])", value=False,
                                  elem_id="jb-use-points")
    with gr.Row(visible=False) as c["checkout_confirm_visible"]:
        c["checkout_yes"] = gr.Button("결제하기", variant="primary", elem_id="jb-checkout-yes")
        c["checkout_no"] = gr.Button("주문 안 할래요", elem_id="jb-checkout-no")
    c["checkout_api_btn"] = gr.Button(visible=False)   # API clients: `/ui_checkout` orders at once


def staff_returns_box(c: dict) -> None:
    """The staff tab's pending returns with approve / reject (staff session required)."""
    import gradio as gr

    with gr.Accordion("반품·교환 검수", open=True, elem_id="jb-returns-box"):
        c["returns"] = gr.HTML("", elem_id="jb-returns")
        c["returns_btn"] = gr.Button("요청 새로고침", size="sm", elem_id="jb-returns-refresh")
        c["return_pick"] = gr.Dropdown([], label="요청 선택", elem_id="jb-return-pick")
        with gr.Row():
            c["return_yes"] = gr.Button("승인 (환불)", variant="primary", elem_id="jb-return-approve")
            c["return_no"] = gr.Button("반려", variant="stop", elem_id="jb-return-reject")


def wire(c: dict, ui: h.UIServices, staff_event=None) -> None:
    """Events of the components above; `staff_event` (the staff PIN) also loads the returns."""
    listing = ["orders", "wallet", "order_pick", "action_pick", "line_pick", "order_prompt", "order_confirm_visible"]
    _on(c, c["orders_btn"].click, ui, order_list, [], listing, name="orders")
    _on(c, c["profile"].change, ui, lambda u, s: order_list(u, s, quiet=True), [], listing)
    _on(c, c["order_pick"].change, ui, order_actions, ["order_pick"],
        ["action_pick", "line_pick", "order_prompt", "order_confirm_visible"])
    _on(c, c["order_request_btn"].click, ui, order_request,
        ["order_pick", "action_pick", "line_pick", "order_address", "order_photo"],
        ["session", "order_prompt", "order_confirm_visible"], name="order_request")
    for button, yes in ((c["order_yes"], True), (c["order_no"], False)):
        _on(c, button.click, ui, lambda u, s, yes=yes: order_confirm(u, s, yes), [], ["session"] + listing,
            name="order_confirm" if yes else "")
    quote = ["session", "checkout_msg", "checkout_confirm_visible"]
    _on(c, c["checkout_btn"].click, ui, checkout_quote, ["use_points"], quote, name="checkout_quote")
    for button, yes in ((c["checkout_yes"], True), (c["checkout_no"], False)):
        _on(c, button.click, ui, lambda u, s, yes=yes: checkout_confirm(u, s, yes), [], ["cart"] + quote,
            name="checkout_confirm" if yes else "")
    _on(c, c["checkout_api_btn"].click, ui, h.checkout, [], ["session", "cart", "checkout_msg"], name="checkout")
    staff = ["returns", "return_pick"]
    _on(c, c["returns_btn"].click, ui, staff_returns, [], staff)
    for button, yes in ((c["return_yes"], True), (c["return_no"], False)):
        _on(c, button.click, ui, lambda u, s, pick, yes=yes: staff_decide(u, s, pick, yes), ["return_pick"], staff)
    if staff_event is not None:
        staff_event.then(lambda s: present(staff_returns(ui, s, quiet=True), staff), [c["session"]],
                         [c[f] for f in staff], api_visibility="private")
