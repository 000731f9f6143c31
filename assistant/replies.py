"""Template replies built from facts: correct by construction, used as the LLM's draft and
as the whole reply in `--no-llm` mode or when a model fails the validator.

Shape: the answer first (what was found, the deciding policy sentence or 조건, which of two
is cheaper), then why (the shopper's own conditions), then the list or the quote. Product ids
stay out of the text shoppers read: the answer's `sources` and product cards carry them (the
UI shows them as chips, the CLI JSON keeps them). Policy replies end with the document id
they quote ([배송-01]).

Example:
    >>> from assistant.facts import PolicyFact
    >>> policy_reply([PolicyFact("배송-01", "배송 안내", "배송비", "4만원 이상 무료배송입니다.")])
    '4만원 이상 무료배송입니다.\\n근거: 배송 안내(배송비) 「4만원 이상 무료배송입니다.」 [배송-01]'
"""

from __future__ import annotations

from assistant.facts import PolicyFact, ProductFact, unit_price, unit_price_text, won
from assistant.nlu.aspects import aspect_sentence

GREETING = "안녕하세요! 장보기 도우미예요. 찾으시는 상품이나 예산, 알레르기를 말씀해 주시면 맞춰서 골라 드릴게요."
DECLINE_OFF_TOPIC = "죄송하지만 그 질문은 도와드리기 어려워요. 장보기 도우미는 상품 찾기, 장바구니, 주문, 배송·반품 안내를 도와드려요."
DECLINE_HARMFUL = "죄송하지만 그 요청은 도와드릴 수 없어요. 안전한 장보기와 관련된 것이라면 기꺼이 도와드릴게요."
DECLINE_INJECTION = "죄송하지만 가격이나 정책, 안내 방식은 바꿀 수 없어요. 상품 가격과 정책은 매장 자료 그대로 안내해 드려요."
NO_POLICY = "관련된 정책 안내를 찾지 못했어요. 고객센터로 문의해 주시면 정확히 안내해 드릴게요."
SORT_PHRASE = {"price_asc": "가격이 낮은 순", "price_desc": "가격이 높은 순", "rating": "평점이 높은 순",
               "reviews": "리뷰가 많은 순", "value": "가성비(100g·100ml·1개당 가격) 순"}
ORDINAL = ("첫 번째", "두 번째", "세 번째", "네 번째", "다섯 번째")


def price_text(p: ProductFact) -> str:
    if p.sale_price is not None:
        return f"{won(p.sale_price)} (정가 {won(p.price)})"
    return won(p.price)


def product_line(i: int, p: ProductFact, why: str = "", label: str = "", extra: str = "") -> str:
    """"1. 유기농 바나나 1.2kg — 4,500원 (비건)": no product id in the text (the card has it)."""
    name = p.name + (f" {p.unit}" if p.unit and p.unit not in p.name else "")
    line = f"{i}. " + (f"{label} " if label else "") + f"{name} — {price_text(p)}"
    if extra:
        line += f" · {extra}"
    if why:
        line += f" ({why})"
    if p.low_stock:
        line += " · 품절 임박" + (", 비슷한 대체 상품을 카드에 함께 보여드려요" if p.substitutes else "")
    return line


def why_fits(p: ProductFact, wanted_tags=(), excluded=()) -> str:
    """The shopper's own conditions this product meets, in their words ("비건, 땅콩 없음")."""
    bits = [t for t in wanted_tags if t in p.tags]
    bits += [f"{a} 없음" for a in excluded if a not in p.allergens]
    return ", ".join(dict.fromkeys(bits))


def search_reply(products: list[ProductFact], constraints: list[str], notes: list[str] = (), sort: str | None = None,
                 wanted_tags=(), excluded=(), other_kind: str = "", shelf: str = "") -> str:
    """Answer first: how many products meet the shopper's conditions (or that the asked item
    itself does not, `other_kind`: then the products are another kind, from the item's `shelf`
    when they share one, each labeled "X는 아니지만"), then one line per product with why it fits."""
    cond = f"{', '.join(constraints)} 조건으로 " if constraints else ""
    if not products and other_kind:   # the store has the item, none of it meets the conditions
        from assistant.grounding import _eun

        what = _eun(other_kind)
        return (f"{', '.join(constraints)} 조건에 맞는 {what} 지금 없어요. 다른 조건으로 찾아 드릴까요?"
                if constraints else f"{what} 지금 없어요. 다른 상품을 찾아 드릴까요?")
    if not products:
        return (f"{cond}맞는 상품을 찾지 못했어요. 예산이나 조건을 조금 넓혀 보시겠어요?"
                if cond else "찾으시는 상품을 찾지 못했어요. 다른 이름으로 말씀해 주시겠어요?")
    order = f" {SORT_PHRASE[sort]}으로 보여드려요." if sort in SORT_PHRASE else ""
    head = f"{cond}고른 상품 {len(products)}개예요.{order}"
    label = ""
    if other_kind:
        from assistant.grounding import _eun

        what = _eun(other_kind)
        where = f"같은 {shelf} 코너에서" if shelf else "비슷한 종류 중"
        cond_in = f"{', '.join(constraints)} 조건에 " if constraints else ""
        head = (f"{cond_in}맞는 {what} 지금 없어요. {where} 조건에 맞는 다른 종류의 상품 "
                f"{len(products)}개를 대신 보여드려요.{order}")
        label = f"{what} 아니지만"
    extra = (lambda p: unit_price_text(p)) if sort == "value" else (
        lambda p: f"리뷰 {p.review_count:,}개" if p.review_count else "") if sort == "reviews" else (
        lambda p: f"평점 {p.rating:.1f}") if sort == "rating" else (lambda p: "")
    lines = [head] + [product_line(i, p, why_fits(p, wanted_tags, excluded), label=label, extra=extra(p))
                      for i, p in enumerate(products, 1)] + list(notes)
    return "\n".join(lines)


def relaxed_reply(relaxed: list, unmet: list[str], item: str, kept: list[str]) -> str:
    """No product meets every condition: say which one cannot be met, then the nearest
    alternatives, each labeled with what it relaxes ("유기농은 아니지만 …")."""
    from assistant.grounding import _eun

    what = _eun(item or "상품")
    lines = [f"{' 또는 '.join(unmet)} 조건까지 모두 맞는 {what} 지금 없어요. "
             f"조건 하나만 바꾼 가장 가까운 상품 {len(relaxed)}개를 골랐어요."]
    lines += [product_line(i, r.card, label=r.label + ",") for i, r in enumerate(relaxed, 1)]
    if kept:
        lines.append(f"나머지 조건({', '.join(kept)})은 모두 지켰어요.")
    return "\n".join(lines)


def product_detail_reply(p: ProductFact, aspects: tuple[str, ...] = ()) -> str:
    """The card in sentences; what the shopper asked about (`assistant.nlu.aspects`) comes first."""
    asked = [s for s in (aspect_sentence(p, a) for a in aspects) if s]
    bits = [f"{p.name}은(는) {price_text(p)}이에요."]
    if asked:
        bits = [f"{p.name}: " + " ".join(asked), f"가격은 {price_text(p)}이에요."]
    if p.tags:
        bits.append(f"특징: {', '.join(p.tags)}.")
    bits.append(f"알레르기 유발 성분: {', '.join(p.allergens)}." if p.allergens else "표시된 알레르기 유발 성분은 없어요.")
    bits.append("품절 임박 상품이에요." if p.low_stock else f"재고는 {p.stock}개 있어요.")
    return " ".join(bits)


def _who(i: int, p: ProductFact, positions=None) -> str:
    """"두 번째 상품(이름)": the product's place in the list the shopper saw (`positions`, 0-based,
    one per compared product: "첫 번째랑 세 번째" compares places 0 and 2), else its place here."""
    i = positions[i] if positions else i
    return f"{ORDINAL[i] if i < len(ORDINAL) else f'{i + 1}번째'} 상품({p.name})"


def compare_verdict(products: list[ProductFact], question: str = "", positions=None) -> tuple[str, tuple[int, ...]]:
    """The sentence that answers a comparison, and the numbers it computes (for the validator)."""
    def who(i, p):   # by the places the shopper saw
        return _who(i, p, positions)

    prices = [p.effective_price for p in products]
    q = question or ""
    if any(w in q for w in ("평점", "별점", "평가")):
        best = max(range(len(products)), key=lambda i: products[i].rating)
        if len({p.rating for p in products}) == 1:
            return f"평점은 모두 {products[0].rating:.1f}점으로 같아요.", ()
        return f"{who(best, products[best])}의 평점이 {products[best].rating:.1f}점으로 더 높아요.", ()
    expensive = "비싸" in q and "싸" not in q.replace("비싸", "")
    if len(set(prices)) == 1:
        both = "둘 다" if len(products) == 2 else "모두"
        return f"{both} {won(prices[0])}으로 가격이 같아요.", ()
    order = sorted(range(len(products)), key=lambda i: (prices[i], i))
    cheap, dear = order[0], order[-1]
    diff = prices[dear] - prices[cheap]
    # both named, and the deciding number: "두 번째 상품(B)이 첫 번째 상품(A)보다 500원 더 싸요."
    if expensive:
        text = f"{who(dear, products[dear])}이 {who(cheap, products[cheap])}보다 {won(diff)} 더 비싸요."
    else:
        text = f"{who(cheap, products[cheap])}이 {who(dear, products[dear])}보다 {won(diff)} 더 싸요."
    ups = [unit_price(p) for p in products]
    if all(ups) and len({u[1] for u in ups}) == 1:
        best = min(range(len(products)), key=lambda i: ups[i][0])
        if best != cheap and not expensive:
            text += f" 다만 {unit_price_text(products[best])}으로 양 대비로는 {who(best, products[best])}이 더 저렴해요."
    return text, (diff,)


def compare_notes(products: list[ProductFact], question: str = "", positions=None) -> tuple[str, ...]:
    """The figures a comparison computes (verdict, price per 100 g/ml or piece), as fact notes
    a model may repeat and the validator and fine-tuning gates accept."""
    verdict, _ = compare_verdict(products, question, positions)
    per = [f"{p.name}: {unit_price_text(p)}" for p in products if unit_price_text(p)]
    return (f"비교 결과: {verdict}",) + tuple(per)


def compare_reply(products: list[ProductFact], question: str = "", positions=None) -> str:
    """Side by side (price, price per 100 g/ml or piece, tags, allergens, delivery), answer first.
    `positions`: where each product was in the list the shopper saw (numbers the lines so)."""
    verdict, _ = compare_verdict(products, question, positions)
    lines = [verdict]
    for i, p in enumerate(products):
        bits = [price_text(p)]
        up = unit_price_text(p)
        if up:
            bits.append(up)
        bits.append(f"특징 {', '.join(p.tags)}" if p.tags else "특징 표시 없음")
        bits.append(f"알레르기 {', '.join(p.allergens)}" if p.allergens else "알레르기 표시 없음")
        if p.delivery:
            bits.append(f"{p.delivery}배송")
        lines.append(f"{(positions[i] if positions else i) + 1}. {p.name} — " + " · ".join(bits))
    return "\n".join(lines)


def policy_reply(passages: list[PolicyFact], question: str = "") -> str:
    """Answer first (the deciding sentence and its numbers, "조건이 있어요:" for a condition), then the quote
    and the citation."""
    if not passages:
        return NO_POLICY
    from assistant.policy_grounding import policy_answer

    top = passages[0]
    lines = [policy_answer(question, top)]
    where = f"{top.title}({top.heading})" if top.heading else top.title
    lines.append(f"근거: {where} 「{top.text}」 [{top.doc_id}]")
    for p in passages[1:2]:
        if p.doc_id != top.doc_id or p.heading != top.heading:
            where = f"{p.title}({p.heading})" if p.heading else p.title
            lines.append(f"함께 보면 좋은 안내: {where} 「{p.text}」 [{p.doc_id}]")
    return "\n".join(lines)


def clarify_reply(question: str) -> str:
    return question
