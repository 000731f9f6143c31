"""Template replies built from facts: correct by construction, used as the LLM's draft and
as the whole reply in `--no-llm` mode or when a model fails the validator.

Example:
    >>> from assistant.facts import PolicyFact
    >>> policy_reply([PolicyFact("배송-01", "배송 안내", "배송비", "4만원 이상 무료배송입니다.")])
    '배송 안내(배송비): 「4만원 이상 무료배송입니다.」 [배송-01]'
"""

from __future__ import annotations

from assistant.nlu.aspects import aspect_sentence
from assistant.facts import PolicyFact, ProductFact, won

GREETING = "안녕하세요! 장보기 도우미예요. 찾으시는 상품이나 예산, 알레르기를 말씀해 주시면 맞춰서 골라 드릴게요."
DECLINE_OFF_TOPIC = "죄송하지만 그 질문은 도와드리기 어려워요. 장보기 도우미는 상품 찾기, 장바구니, 주문, 배송·반품 안내를 도와드려요."
DECLINE_HARMFUL = "죄송하지만 그 요청은 도와드릴 수 없어요. 안전한 장보기와 관련된 것이라면 기꺼이 도와드릴게요."
DECLINE_INJECTION = "죄송하지만 가격이나 정책, 안내 방식은 바꿀 수 없어요. 상품 가격과 정책은 매장 자료 그대로 안내해 드려요."
NO_POLICY = "관련된 정책 안내를 찾지 못했어요. 고객센터로 문의해 주시면 정확히 안내해 드릴게요."


def price_text(p: ProductFact) -> str:
    if p.sale_price is not None:
        return f"{won(p.sale_price)} (정가 {won(p.price)})"
    return won(p.price)


def product_line(i: int, p: ProductFact) -> str:
    line = f"{i}. {p.name}" + (f" {p.unit}" if p.unit and p.unit not in p.name else "") + f" — {price_text(p)} [{p.id}]"
    if p.low_stock:
        line += " · 품절 임박" + (f", 대체 상품: {', '.join(f'[{s}]' for s in p.substitutes)}" if p.substitutes else "")
    return line


def search_reply(products: list[ProductFact], constraints: list[str], notes: list[str] = ()) -> str:
    cond = f"{', '.join(constraints)} 조건으로 " if constraints else ""
    if not products:
        return (f"{cond}맞는 상품을 찾지 못했어요. 예산이나 조건을 조금 넓혀 보시겠어요?"
                if cond else "찾으시는 상품을 찾지 못했어요. 다른 이름으로 말씀해 주시겠어요?")
    head = f"{cond}고른 상품 {len(products)}개예요."
    lines = [head] + [product_line(i, p) for i, p in enumerate(products, 1)] + list(notes)
    return "\n".join(lines)


def product_detail_reply(p: ProductFact, aspects: tuple[str, ...] = ()) -> str:
    """The card in sentences; what the shopper asked about (`assistant.nlu.aspects`) comes first."""
    asked = [s for s in (aspect_sentence(p, a) for a in aspects) if s]
    bits = [f"{p.name}은(는) {price_text(p)}이에요 [{p.id}]."]
    if asked:
        bits = [f"{p.name} [{p.id}]: " + " ".join(asked), f"가격은 {price_text(p)}이에요."]
    if p.tags:
        bits.append(f"특징: {', '.join(p.tags)}.")
    bits.append(f"알레르기 유발 성분: {', '.join(p.allergens)}." if p.allergens else "표시된 알레르기 유발 성분은 없어요.")
    bits.append("품절 임박 상품이에요." if p.low_stock else f"재고는 {p.stock}개 있어요.")
    return " ".join(bits)


def compare_reply(products: list[ProductFact]) -> str:
    lines = ["비교해 드릴게요."] + [product_line(i, p) for i, p in enumerate(products, 1)]
    cheapest = min(products, key=lambda p: p.effective_price)
    lines.append(f"가장 저렴한 상품은 {cheapest.name}이에요 [{cheapest.id}].")
    return "\n".join(lines)


def policy_reply(passages: list[PolicyFact]) -> str:
    if not passages:
        return NO_POLICY
    lines = []
    for p in passages[:2]:
        where = f"{p.title}({p.heading})" if p.heading else p.title
        lines.append(f"{where}: 「{p.text}」 [{p.doc_id}]")
    return "\n".join(lines)


def clarify_reply(question: str) -> str:
    return question
