"""Shopping plans, store locations, bought-together and the moment's picks on screen (issue 16).

Handlers and HTML renderers, without Gradio (`ui.plan_layout` wires them):
- a plan answer shows a plan card (basket by role with line totals, grand total, budget, what
  was left out) and a "전부 담기" button: `add_plan` puts the whole plan in the cart in one
  transaction (`Assistant.add_plan`) and refreshes the cart;
- a location answer in kiosk mode shows the floor plan with the zone highlighted
  (`store.layout`), its caption names the aisle and zone;
- product cards carry "함께 많이 사는 상품", and so does the panel after a 담기;
- the kiosk's first screen (and its idle reset) greets with this hour's and season's picks.

    >>> plan_card_html({"name": "삼겹살 파티", "scale": 2, "scale_word": "명", "budget": None,
    ...                 "total": 0, "items": [], "left_out": []}).count("jb-plan-empty")
    1
"""

from __future__ import annotations

import html
import io
import logging
from pathlib import Path

from store.domain import won
from ui.handlers import UIServices, UISession, View, _cart, _clean_panels, _customer, _who, add_to_cart, idle_check

log = logging.getLogger("jangbogi.ui.plans")

TOGETHER = "함께 많이 사는 상품"
CARD_TOGETHER = 3          # suggestions under each product card
PANEL_TOGETHER = 5         # suggestions after a 담기


# ---- renderers ------------------------------------------------------------------------------
def plan_card_html(plan: dict) -> str:
    """The plan as a card: a row per line (role, product, qty, line total), total, budget,
    what was left out and why, and the allergens / diet it respected. All text escaped."""
    e = html.escape
    word = plan.get("scale_word") or "명"
    who = f" · {plan['scale']}{'인' if word == '명' else e(word)}" if plan.get("scale") else ""
    budget = plan.get("budget")
    head = (f'<div class="jb-plan-head"><b>{e(str(plan.get("name", "장보기 계획")))}{who}</b>'
            + (f' <span class="jb-plan-budget">예산 {won(budget)}</span>' if budget else "") + "</div>")
    items = plan.get("items") or []
    if not items:
        return (f'<div class="jb-plan">{head}<div class="jb-plan-empty">조건에 맞게 담을 수 있는 상품을 '
                f'찾지 못했어요.</div></div>')
    rows = "".join(
        f'<tr><td class="jb-plan-role">{e(str(it.get("role", "")))}</td><td>{e(str(it.get("name", it["id"])))}</td>'
        f'<td class="jb-num">{int(it.get("qty", 0))}</td><td class="jb-num">{won(it.get("line_total", 0))}</td></tr>'
        for it in items)
    foot = f'<tr><td colspan="3">합계</td><td class="jb-num"><b>{won(plan.get("total", 0))}</b></td></tr>'
    if budget:
        foot += (f'<tr><td colspan="3">예산 · 남는 금액</td><td class="jb-num">{won(budget)} · '
                 f'{won(budget - plan.get("total", 0))}</td></tr>')
    return (f'<div class="jb-plan">{head}<table class="jb-plan-table"><thead><tr><th>역할</th><th>상품</th>'
            f'<th>수량</th><th>금액</th></tr></thead><tbody>{rows}</tbody><tfoot>{foot}</tfoot></table>'
            f'{_plan_notes(plan)}</div>')


def _plan_notes(plan: dict) -> str:
    e, notes = html.escape, []
    cut = [x.get("role", "") for x in plan.get("left_out") or [] if x.get("why") == "budget"]
    none = [x.get("role", "") for x in plan.get("left_out") or [] if x.get("why") != "budget"]
    if cut:
        notes.append(f"예산 안에 맞추려고 뺀 것: {', '.join(cut)}")
    if none:
        notes.append(f"조건에 맞는 상품이 없어 못 넣은 것: {', '.join(none)}")
    if plan.get("excluded_allergens"):
        notes.append(f"제외한 알레르기 성분: {', '.join(plan['excluded_allergens'])}")
    if plan.get("required_tags"):
        notes.append(f"{', '.join(plan['required_tags'])} 식품만 골랐어요")
    return "".join(f'<div class="jb-plan-note">{e(n)}</div>' for n in notes)


def together_items(assistant, ids: list[str], k: int) -> list[dict]:
    """[{"id", "name", "price"}] for the first `k` known ids."""
    out = []
    for pid in ids:
        p = assistant.catalog.get(pid)
        if p is not None:
            out.append({"id": pid, "name": p.name, "price": p.sale_price if p.sale_price is not None else p.price})
        if len(out) == k:
            break
    return out


def together_html(items: list[dict], after: str = "") -> str:
    """'함께 많이 사는 상품' as a short list; `after` names the product just added. '' when none."""
    if not items:
        return ""
    e = html.escape
    title = f"{TOGETHER} · 방금 담은 {e(after)}" if after else TOGETHER
    lis = "".join(f'<li data-product-id="{e(it["id"])}">{e(it["name"])} <b>{won(it["price"])}</b></li>'
                  for it in items)
    return f'<div class="jb-together"><div class="jb-together-title">{title}</div><ul>{lis}</ul></div>'


def floor_view(assistant, location: dict) -> dict:
    """{"image": PIL image of the floor plan with the zone highlighted, "label": caption}, or {}
    when the zone cannot be drawn (the reply still names it)."""
    from PIL import Image

    from assistant import plans_intent
    from store.layout import floor_plan_png

    zone = location.get("zone")
    try:
        path = Path(location.get("image") or "")
        data = path.read_bytes() if location.get("image") and path.is_file() else \
            floor_plan_png(zone, layout=plans_intent.services(assistant).layout)
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, KeyError) as exc:
        log.warning("floor plan for zone %r unavailable: %s", zone, exc)
        return {}
    name = location.get("zone_name") or location.get("name") or ""
    return {"image": image, "label": f"매장 안내도 · {location.get('aisle')}번 통로 {zone} 구역 ({name})"}


# ---- what a chat answer adds on screen --------------------------------------------------------
def decorate_products(services: UIServices, sess: UISession, cid: str | None, answer: dict) -> list[dict]:
    """The answer's product cards with a badge (the plan role, the suggestion shelf) and, on
    each, '함께 많이 사는 상품' (in stock, allergens and diet of the shopper respected)."""
    badges = {it["id"]: it.get("role", "") for it in (answer.get("plan") or {}).get("items") or []}
    for shelf in answer.get("suggestions") or []:
        badges.update({pid: shelf.get("title", "") for pid in shelf.get("ids", [])})
    out = []
    for p in answer.get("products") or []:
        ids = services.assistant.bought_together(p["id"], sess.dialogue, cid, k=CARD_TOGETHER)
        out.append({**p, "badge": badges.get(p["id"], p.get("badge", "")),
                    "together": together_items(services.assistant, ids, CARD_TOGETHER)})
    return out


def answer_fields(services: UIServices, answer: dict) -> dict:
    """View fields for the end of a chat turn: the plan card, the kiosk floor plan, and
    '함께 많이 사는 상품' after a 담기. A new turn hides the last floor plan and suggestions."""
    fields: dict = {"floor": {}, "together": ""}
    if answer.get("plan") is not None:
        fields["plan"] = plan_card_html(answer["plan"])
        fields["plan_visible"] = bool(answer["plan"].get("items"))
    elif answer.get("intent") == "plan_add" and (answer.get("actions") or [{}])[0].get("ok"):
        fields["plan_visible"] = False     # added by a message: the button would add it twice
    location = answer.get("location")
    if location and location.get("zone") and services.kiosk:
        fields["floor"] = floor_view(services.assistant, location)
    if answer.get("crosssell") and answer.get("intent") == "cart_add":
        action = (answer.get("actions") or [{}])[0]
        added = next((r for r in action.get("results", [action]) if r.get("ok") and r.get("product_id")), {})
        anchor = services.assistant.catalog.get(added.get("product_id", ""))
        fields["together"] = together_html(together_items(services.assistant, answer["crosssell"], PANEL_TOGETHER),
                                           after=anchor.name if anchor else "")
    return fields


# ---- buttons ------------------------------------------------------------------------------------
def add_plan(services: UIServices, session: UISession | None, history: list | None = None) -> View:
    """'전부 담기': the whole last plan into this session's cart (the customer's when signed in)
    in one transaction; on a refusal (stock, store busy) nothing is added and the reason is shown."""
    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    sess.last_active = services.clock()
    result = services.assistant.add_plan(sess.dialogue, cid)
    cart = _cart(services, sess, cid)
    if result.get("error"):
        return View(session=sess, cart=cart, warning=result["error"])
    msg = result.get("message") or "계획한 상품을 장바구니에 담았어요."
    history = list(history or []) + [{"role": "assistant", "content": msg}]
    return View(session=sess, cart=cart, history=history, plan_visible=False, info=msg)


def add_with_together(services: UIServices, session: UISession | None, product_id: str, qty: float = 1) -> View:
    """A card's 담기, then '함께 많이 사는 상품' for that product."""
    view = add_to_cart(services, session, product_id, qty)
    if view.warning or view.session is None:
        return view
    cid = _customer(services, view.session)
    ids = services.assistant.bought_together(product_id, view.session.dialogue, cid, k=PANEL_TOGETHER)
    p = services.assistant.catalog.get(product_id)
    view.together = together_html(together_items(services.assistant, ids, PANEL_TOGETHER),
                                  after=p.name if p else "")
    return view


def first_screen(services: UIServices, session: UISession | None) -> View:
    """The kiosk's first screen: a greeting with this hour's and season's picks as cards
    (`Assistant.suggestions`; `JANGBOGI_NOW` fixes the clock)."""
    from assistant.replies import GREETING

    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    picks = services.assistant.suggestions(sess.dialogue, cid)
    text = GREETING + (" " + picks["text"] if picks.get("text") else "")
    products = decorate_products(services, sess, cid, {"products": picks.get("products"),
                                                       "suggestions": picks.get("shelves")})
    sess.products = products
    return View(session=sess, history=[{"role": "assistant", "content": text}], products=products)


def start_over(services: UIServices, session: UISession | None) -> View:
    """The kiosk's '처음으로': a new session (empty cart, signed out) on the first screen, as
    after the idle time; the next shopper sees nothing of this one."""
    view = first_screen(services, UISession(last_active=services.clock()))
    view.cart = _cart(services, view.session, None)
    for name, value in _clean_panels().items():
        setattr(view, name, value)
    return view


def idle_reset(services: UIServices, session: UISession | None) -> View:
    """Kiosk timer tick: after the idle time, a clean first screen (no plan, map or suggestions
    of the last shopper)."""
    view = idle_check(services, session)
    if view.session is None:
        return view
    first = first_screen(services, view.session)
    view.history, view.products = first.history, first.products
    for name, value in _clean_panels().items():
        setattr(view, name, value)
    return view
