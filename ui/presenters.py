"""Pure HTML/Markdown renderers for the UI: product cards, cart, sources, profile.

No Gradio, no I/O except reading the small product images once (cached) to inline them
as data URIs, so cards work in browser, kiosk and Spaces modes without file routes.
Everything that reaches HTML is escaped: product text may contain anything.
"""

from __future__ import annotations

import base64
import functools
import html

from assistant.settings import REPO_ROOT
from store.domain import message_problem, won  # noqa: F401  (won re-exported for the UI)


@functools.lru_cache(maxsize=512)
def image_data_uri(rel_path: str) -> str:
    path = (REPO_ROOT / rel_path).resolve()
    if not rel_path or REPO_ROOT not in path.parents or not path.is_file():
        return ""
    mime = "image/png" if path.suffix == ".png" else "image/svg+xml" if path.suffix == ".svg" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def product_card(p: dict, badge: str = "") -> str:
    e = html.escape
    price, sale = p.get("price"), p.get("sale_price")
    if sale is not None and price and sale < price:
        pct = round(100 * (price - sale) / price)
        price_html = (f'<span class="jb-sale">{pct}%</span> <b>{won(sale)}</b> '
                      f'<s class="jb-old">{won(price)}</s>')
    else:
        price_html = f"<b>{won(price)}</b>"
    tags = "".join(f'<span class="jb-tag">{e(t)}</span>' for t in p.get("tags", [])[:5])
    allergens = p.get("allergens") or []
    allergen_html = ("".join(f'<span class="jb-allergen">⚠ {e(a)}</span>' for a in allergens)
                     if allergens else '<span class="jb-ok">알레르기 유발 성분 표시 없음</span>')
    stock = p.get("stock", 0)
    stock_html = ('<span class="jb-out">품절</span>' if stock <= 0 else
                  f'<span class="jb-low">재고 {stock}개</span>' if stock < 10 else
                  f'<span class="jb-stock">재고 {stock}개</span>')
    img = image_data_uri(p.get("image", ""))
    img_html = f'<img class="jb-img" src="{img}" alt="{e(p.get("category", ""))}">' if img else ""
    rating = p.get("rating")
    reviews = p.get("review_count")
    rating_html = (f'★ {rating:.1f}' + (f' ({reviews:,})' if isinstance(reviews, int) else "")
                   if isinstance(rating, (int, float)) else "")
    badge_html = f'<span class="jb-badge">{e(badge)}</span>' if badge else ""
    return (f'<div class="jb-card" id="jb-p-{e(p["id"])}" data-product-id="{e(p["id"])}">{img_html}<div class="jb-body">'
            f'<div class="jb-name">{badge_html}{e(p.get("name", ""))} <small>[{e(p["id"])}]</small></div>'
            f'<div class="jb-price">{price_html}</div><div class="jb-meta">{rating_html} {stock_html}</div>'
            f'<div>{tags}</div><div>{allergen_html}</div></div></div>')


def cart_html(cart: dict) -> str:
    """cart: {"lines": [{"product_id"|"id", "name", "qty", "unit_price", "subtotal"}], "total": int, ...}"""
    lines = cart.get("lines") or []
    if not lines:
        return '<div class="jb-cart-empty">장바구니가 비어 있어요.</div>'
    rows = "".join(
        f'<tr><td>{html.escape(str(line.get("name", "")))}</td><td class="jb-num">{line.get("qty", 0)}</td>'
        f'<td class="jb-num">{won(line.get("subtotal", line.get("unit_price", 0) * line.get("qty", 0)))}</td></tr>'
        for line in lines)
    extra = ""
    if cart.get("shipping_fee") is not None:
        extra = f'<tr><td colspan="2">배송비</td><td class="jb-num">{won(cart["shipping_fee"])}</td></tr>'
    return (f'<table class="jb-cart"><thead><tr><th>상품</th><th>수량</th><th>금액</th></tr></thead>'
            f'<tbody>{rows}{extra}</tbody><tfoot><tr><td colspan="2">합계</td>'
            f'<td class="jb-num"><b>{won(cart.get("total", 0))}</b></td></tr></tfoot></table>')


def source_chip(source: dict) -> str:
    """One citation as a chip: a product links to its card (the id only in the tooltip and the
    data attribute, never in text shoppers read); a policy shows its title and section."""
    e = html.escape
    sid = str(source.get("id", ""))
    if source.get("kind") == "policy":
        label = source.get("title", "") + (f" · {source['heading']}" if source.get("heading") else "")
        ref = source.get("passage_id") or sid
        return (f'<span class="jb-chip jb-chip-policy" data-source-id="{e(ref)}" title="{e(ref)}">'
                f'정책 · {e(label or sid)}</span>')
    return (f'<a class="jb-chip jb-chip-product" href="#jb-p-{e(sid)}" data-product-id="{e(sid)}" '
            f'title="{e(sid)}">{e(source.get("title", "") or "상품")}</a>')


def sources_html(answer: dict | None) -> str:
    """The answer's citations as chips (products link to their cards), then the quoted policy
    passages. The reply text itself carries no product ids; they travel in `sources`."""
    if not answer or not answer.get("sources"):
        return '<div class="jb-muted">이번 답변에 인용한 출처가 없어요.</div>'
    chips = "".join(source_chip(s) for s in answer["sources"])
    passages = answer.get("passages") or {}
    quotes = []
    for s in answer["sources"]:
        quote = passages.get(s.get("id"), "") if isinstance(passages, dict) and s.get("kind") == "policy" else ""
        if quote:
            quotes.append(f'<blockquote><b>{html.escape(s.get("title", ""))}</b> {html.escape(quote)}</blockquote>')
    return f'<div class="jb-sources"><div class="jb-chips">{chips}</div>{"".join(quotes)}</div>'


def profile_markdown(profile: dict | None) -> str:
    if not profile:
        return "로그인하지 않았어요. 비회원으로 이용 중이에요 (대화와 장바구니는 이 화면에만 남아요)."
    allergies = ", ".join(profile.get("allergies", []) or []) or "없음"
    dietary = ", ".join(profile.get("dietary", []) or []) or "없음"
    return (f"**{profile.get('name', profile.get('display_name', ''))}** 님 ({profile.get('id', '')})  \n"
            f"알레르기: {allergies}  \n식단: {dietary}  \n"
            f"월 예산: {won(profile.get('monthly_budget'))}")


def validate_message(message: str | None) -> str | None:
    """Return a Korean problem description, or None when the message can be sent."""
    return message_problem(message)


CSS_PATH = REPO_ROOT / "assets" / "jangbogi.css"
KIOSK_CSS_PATH = REPO_ROOT / "assets" / "kiosk.css"


def read_css(kiosk: bool) -> str:
    css = CSS_PATH.read_text(encoding="utf-8") if CSS_PATH.exists() else ""
    if kiosk and KIOSK_CSS_PATH.exists():
        css += "\n" + KIOSK_CSS_PATH.read_text(encoding="utf-8")
    return css


