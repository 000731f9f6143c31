"""Reply targets written from the facts, in varied shapes, for the fine-tuning rows.

The app's prompt (`assistant.prompting.build_messages`) carries facts, not an answer, so the
model must learn to compose: answer first, then why (the shopper's own conditions), then a short
next step. `compose_reply(message, facts, rng)` writes such a reply from the same `Facts` the
prompt shows, choosing among several composition patterns per turn kind (search,
one-product question, comparison, policy) so a model learns the shape, not one template.
Every number and name comes from the facts (grounded by construction); `finetune.data`
also runs each target through the app's validator and drops any that fail.

Example:
    >>> import random
    >>> from assistant.facts import Facts, PolicyFact
    >>> pol = PolicyFact("배송-01", "배송 안내", "배송비", "40,000원 이상 주문하면 무료배송입니다.")
    >>> reply = compose_reply("4만원 넘으면 배송비 무료예요?", Facts(intent="policy", policies=(pol,)), random.Random(1))
    >>> "40,000원" in reply and "[배송-01]" in reply
    True
"""

from __future__ import annotations

import random
import re

from assistant.facts import Facts, unit_price_text, won

NEXT_SEARCH = ("마음에 드는 상품이 있으면 말씀해 주세요. 바로 담아 드릴게요.", "몇 번째 상품으로 담아 드릴까요?",
               "다른 조건이 있으면 더 말씀해 주세요.", "")
NEXT_ONE = ("장바구니에 담아 드릴까요?", "필요하시면 바로 담아 드릴게요.", "")
NEXT_COMPARE = ("어느 쪽으로 담아 드릴까요?", "원하시는 쪽을 말씀해 주시면 담아 드릴게요.", "")
NEXT_POLICY = ("더 궁금하신 점이 있으면 말씀해 주세요.", "", "")


def _final(word: str) -> bool | None:
    last = word.rstrip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit():
        return last in "013678"
    if last in ")":
        return None
    low = word.lower().rstrip()
    if low.endswith(("ml", "l")):
        return False
    if low.endswith(("g", "m")):
        return True
    return None


def josa(word: str, pair: str) -> str:
    """word + the right particle of `pair` ("은는", "이가", "을를", "과와"); 은(는) when unknown."""
    f = _final(word)
    return word + (f"{pair[0]}({pair[1]})" if f is None else pair[0] if f else pair[1])


def copula(word: str) -> str:
    """'…이에요' / '…예요'."""
    f = _final(word)
    return word + ("이에요" if f is None or f else "예요")


def price(p) -> str:
    return won(p.price) if p.sale_price is None else f"{won(p.sale_price)}(정가 {won(p.price)})"


def name(p) -> str:
    return p.name + (f" {p.unit}" if p.unit and p.unit not in p.name else "")


def conditions(facts: Facts) -> tuple[list[str], list[str], list[str]]:
    """(all conditions, excluded allergens, wanted tags) read from the '적용한 조건:' note."""
    conds: list[str] = []
    for n in facts.notes:
        if n.startswith("적용한 조건:"):
            conds = [c.strip() for c in re.split(r",\s+", n.split(":", 1)[1]) if c.strip()]
    excluded = [c[:-3].strip() for c in conds if c.endswith(" 제외")]
    tags = {t for p in facts.products for t in p.tags}
    wanted = [c for c in conds if c in tags]
    return conds, excluded, wanted


def why(p, wanted, excluded) -> str:
    bits = [t for t in wanted if t in p.tags] + [f"{a} 없음" for a in excluded if a not in p.allergens]
    return ", ".join(dict.fromkeys(bits))


def fits_all(ps, wanted, excluded, conds) -> str:
    """Why the products fit, in the shopper's own terms ("모두 땅콩이 들어가지 않았어요")."""
    bits = []
    if excluded and all(not set(excluded) & set(p.allergens) for p in ps):
        bits.append(f"모두 {josa(', '.join(excluded), '이가')} 들어가지 않았어요.")
    if wanted and all(set(wanted) <= set(p.tags) for p in ps):
        bits.append(f"모두 {', '.join(wanted)} 상품이에요.")
    budget = [c for c in conds if c.endswith(("이하", "이상"))]
    if budget and not bits:
        bits.append(f"모두 {budget[0]}예요.")
    return " ".join(bits)


def _search(message: str, facts: Facts, rng: random.Random) -> str:
    ps = list(facts.products)
    conds, excluded, wanted = conditions(facts)
    cond = ", ".join(conds)
    unmet = next((n.split(":", 1)[1].strip() for n in facts.notes if n.startswith("맞출 수 없는 조건:")), "")
    n = len(ps)
    lines: list[str] = []
    if unmet:
        lines.append(f"{unmet} 조건까지 모두 맞는 상품은 지금 없어요. 조건 하나만 바꾼 가까운 상품을 골랐어요.")
        for p in ps:
            label = next((x.split(":", 1)[1].strip() for x in facts.notes if x.startswith(p.name + ":")), "")
            lines.append(f"- {name(p)}: {price(p)}" + (f" ({label})" if label else ""))
        nxt = rng.choice(NEXT_SEARCH)
        return "\n".join(lines + ([nxt] if nxt else []))
    style = rng.randrange(4)
    first = ps[0]
    w0 = why(first, wanted, excluded)
    fit = fits_all(ps, wanted, excluded, conds)
    if style == 0 or n == 1:   # the pick first (the cards show the rest)
        head = (f"{cond} 조건이면 " if cond and rng.random() < 0.6 else "") + f"{josa(name(first), '을를')} 추천해요."
        lines.append(head + f" {copula(price(first))}" + (f"({w0})." if w0 else "."))
        if n > 1:
            lines.append(rng.choice((f"조건에 맞는 다른 상품 {n - 1}개도 함께 보여드려요.", f"{name(ps[1])}도 조건에 맞아요.")))
    elif style == 1:           # how many fit, the best match, why
        lines.append((f"{cond} 조건에 맞는 상품 " if cond else "찾으시는 상품 ") + f"{n}개를 골랐어요.")
        lines.append(f"첫 번째 {josa(name(first), '이가')} {price(first)}로 가장 잘 맞아요.")
        if fit:
            lines.append(fit)
    elif style == 2:           # the cheapest first
        cheap = min(ps, key=lambda p: (p.effective_price, ps.index(p)))
        lines.append(f"조건에 맞는 것 중 가장 저렴한 건 {copula(name(cheap))}. 가격은 {copula(price(cheap))}.")
        if fit:
            lines.append(fit)
    else:                      # a short list
        lines.append(f"{n}개 찾았어요." if not cond else f"{cond}, 이 조건으로 {n}개 찾았어요.")
        for p in ps:
            lines.append(f"- {name(p)}: {price(p)}")
    if any(p.low_stock for p in ps):
        low = next(p for p in ps if p.low_stock)
        lines.append(f"{josa(name(low), '은는')} 품절 임박이에요.")
    nxt = rng.choice(NEXT_SEARCH)
    return "\n".join(lines + ([nxt] if nxt else []))


def _detail(message: str, facts: Facts, rng: random.Random) -> str:
    from assistant.nlu.aspects import NOT_STATED_ASPECTS, asked_aspects, aspect_sentence

    p = facts.products[0]
    aspects = asked_aspects(message)
    asked = [aspect_sentence(p, a) for a in aspects]
    asked = [s for s in asked if s]
    out: list[str] = []
    if asked:
        out += asked
        if any(a in NOT_STATED_ASPECTS for a in aspects):
            out.append(rng.choice((f"{josa(name(p), '은는')} {copula(price(p))}.",
                                   f"참고로 {name(p)} 가격은 {copula(price(p))}.")))
        else:
            out.append(f"{name(p)}, 가격은 {copula(price(p))}.")
    else:
        out.append(rng.choice((f"{josa(name(p), '은는')} {copula(price(p))}.",
                               f"{name(p)} 가격은 {copula(price(p))}.")))
        bits = []
        if p.tags:
            bits.append(rng.choice((f"{', '.join(p.tags)} 상품이에요.", f"특징은 {copula(', '.join(p.tags))}.")))
        bits.append(rng.choice((f"알레르기 유발 성분은 {copula(', '.join(p.allergens))}.",
                                f"{', '.join(p.allergens)} 알레르기가 있으면 피해 주세요."))
                    if p.allergens else "표시된 알레르기 유발 성분은 없어요.")
        if rng.random() < 0.5:
            bits.append("품절 임박이에요." if p.low_stock else f"재고는 {p.stock}개 있어요.")
        out += bits
    nxt = rng.choice(NEXT_ONE)
    return " ".join(out + ([nxt] if nxt else []))


def _compare(message: str, facts: Facts, rng: random.Random) -> str:
    verdict = next((n.split(":", 1)[1].strip() for n in facts.notes if n.startswith("비교 결과:")), "")
    ps = list(facts.products)
    out = [verdict] if verdict else [" / ".join(f"{name(p)} {price(p)}" for p in ps)]
    style = rng.randrange(3)
    if not any(p.name in verdict for p in ps):
        out.append(" / ".join(f"{name(p)} {price(p)}" for p in ps) + ".")
    elif style == 0 or len(ps) != 2:
        out.append("가격은 각각 " + ", ".join(price(p) for p in ps) + "이에요.")
    elif style == 1 and all(unit_price_text(p) for p in ps):
        out.append(f"양 대비 가격은 {unit_price_text(ps[0])}, {copula(unit_price_text(ps[1]))}.")
    else:
        tagged = [(i, p) for i, p in enumerate(ps) if p.tags]
        if tagged:
            i, p = tagged[0]
            out.append(f"{('첫', '두')[i]} 번째는 {', '.join(p.tags)} 상품이에요.")
        alg = [p for p in ps if p.allergens]
        out.append(f"{josa(name(alg[0]), '은는')} {', '.join(alg[0].allergens)} 성분이 있어요." if alg
                   else "둘 다 표시된 알레르기 성분은 없어요.")
    nxt = rng.choice(NEXT_COMPARE)
    return " ".join(out + ([nxt] if nxt else []))


_LEAD = {"네": ("네, ",), "아니요": ("아니요, ",), "조건부": ("조건이 있어요: ", "조건부로 가능해요. ")}


def _policy(message: str, facts: Facts, rng: random.Random) -> str:
    from assistant.policy_grounding import sentences
    from assistant.prompting import policy_excerpt

    top = facts.policies[0]
    text, verdict = policy_excerpt(message, top)
    sents = [s if s.endswith((".", "!", "?")) else s + "." for s in sentences(text)] or [text]
    lead = rng.choice(_LEAD.get(verdict, ("",)))
    first = lead + sents[0]
    more = [s for s in sents[1:] if re.search(r"\d", s)][:2]
    if not more and len(sents) > 1 and rng.random() < 0.5:
        more = sents[1:2]
    cite = f"[{top.doc_id}]"
    out = [first]
    if rng.random() < 0.5:
        out[0] = f"{first} {cite}"
        cite = ""
    for s in more:
        out.append(rng.choice(("", "또한 ", "참고로 ")) + s)
    if cite:
        out[-1] = f"{out[-1]} {cite}"
    nxt = rng.choice(NEXT_POLICY)
    return " ".join(out + ([nxt] if nxt else []))


def compose_reply(message: str, facts: Facts, rng: random.Random) -> str:
    """A grounded reply to `message` written from `facts` (see the module docstring); the
    draft itself for turns without products or policies (clarifying questions, refusals)."""
    if facts.policies and facts.intent == "policy":
        return _policy(message, facts, rng)
    if facts.products and facts.intent == "product_question":
        if len(facts.products) > 1:
            return _compare(message, facts, rng)
        return _detail(message, facts, rng)
    if facts.products and facts.intent == "search":
        return _search(message, facts, rng)
    return facts.draft
