"""Domain facts of the store, written once: allergens and their families, what counts as food,
money format, category keys, substitutes, and the message limits with their Korean texts.

Everything else imports from here (the NLU, grounding, the validators, the UI, the data
generator). Pure: no I/O, no imports beyond the standard library.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

# ---- allergens -------------------------------------------------------------------------------
# Korea's food-allergen labeling list (식품 등의 표시기준), as named on labels; 조개류 covers
# 굴, 전복, 홍합.
ALLERGENS: tuple[str, ...] = (
    "알류", "우유", "메밀", "땅콩", "대두", "밀", "고등어", "게", "새우", "돼지고기", "복숭아",
    "토마토", "아황산류", "호두", "닭고기", "쇠고기", "오징어", "조개류", "잣",
)
ANIMAL_ALLERGENS = frozenset({"알류", "우유", "돼지고기", "닭고기", "쇠고기", "고등어", "게", "새우",
                              "오징어", "조개류"})
# Family words shoppers use -> every labeling-list member they mean. 땅콩 is a legume, but a
# shopper who says 견과류 means it too; 견과류 covers every nut the list names.
ALLERGEN_FAMILIES: dict[str, tuple[str, ...]] = {
    "견과류": ("땅콩", "호두", "잣"),
    "견과": ("땅콩", "호두", "잣"),
    "너트": ("땅콩", "호두", "잣"),
    "갑각류": ("게", "새우"),
    "해산물": ("고등어", "게", "새우", "오징어", "조개류"),
    "해물": ("고등어", "게", "새우", "오징어", "조개류"),
    "어패류": ("고등어", "조개류"),
    "생선": ("고등어",),
    "조개": ("조개류",),
    "패류": ("조개류",),
    "유제품": ("우유",),
    "밀가루": ("밀",),
    "글루텐": ("밀",),
    "계란": ("알류",),
    "달걀": ("알류",),
    "난류": ("알류",),
    "콩": ("대두",),
}


def expand_allergens(names: Iterable[str]) -> tuple[str, ...]:
    """Labeling-list names for allergen words and families, in list order.

    >>> expand_allergens(["견과류", "우유"])
    ('우유', '땅콩', '호두', '잣')
    >>> expand_allergens(["갑각류"]), expand_allergens(["모름"])
    (('게', '새우'), ())
    """
    out: set[str] = set()
    for name in names:
        if name in ALLERGENS:
            out.add(name)
        out.update(ALLERGEN_FAMILIES.get(name, ()))
    return tuple(a for a in ALLERGENS if a in out)


# ---- food scope ------------------------------------------------------------------------------
# A top-level category containing one of these is not food (diets and allergens of a profile
# do not apply to it) ...
NON_FOOD_HINTS = ("생활", "주방", "욕실", "세제", "세탁", "청소", "뷰티", "화장", "위생", "문구", "가전",
                  "반려", "유아동", "패션", "잡화", "캠핑", "디지털", "리빙", "완구", "인테리어", "공구")
# ... except these food shelves that live under a non-food top level.
FOOD_SEGMENTS_ELSEWHERE = frozenset({"이유식·아기간식", "이유식", "아기간식"})


def is_food_category(category: str, top_of: Mapping[str, str] | None = None) -> bool:
    """Food or not, for a full catalog path (or a single segment with `top_of` mapping a
    segment to its top level).

    >>> is_food_category("간식·과자/과자/스낵"), is_food_category("캠핑·레저/캠핑용품/버너·연료")
    (True, False)
    >>> is_food_category("유아동/이유식·아기간식/아기간식"), is_food_category("유아동/기저귀·물티슈/기저귀")
    (True, False)
    """
    parts = [p for p in (category or "").split("/") if p]
    if any(p in FOOD_SEGMENTS_ELSEWHERE for p in parts):
        return True
    if not parts:
        return True
    top = parts[0] if len(parts) > 1 or top_of is None else top_of.get(parts[0], parts[0])
    return not any(h in top for h in NON_FOOD_HINTS)


def is_food(product) -> bool:
    """`is_food_category` of a product's category."""
    return is_food_category(getattr(product, "category", "") or "")


# ---- money -----------------------------------------------------------------------------------
def won(amount: int | float | None) -> str:
    """KRW as shoppers read it; '' for None.

    >>> won(12900), won(0), won(None)
    ('12,900원', '0원', '')
    """
    if amount is None:
        return ""
    return f"{int(amount):,}원"


def effective_price(product) -> int:
    """What the shopper pays now: the sale price when there is one."""
    eff = getattr(product, "effective_price", None)
    if eff is not None:
        return int(eff)
    sale = getattr(product, "sale_price", None)
    return int(sale if sale is not None else getattr(product, "price", 0))


# ---- categories ------------------------------------------------------------------------------
def category_prefixes(category: str) -> list[str]:
    """Every prefix of a catalog path (profile affinities are kept per prefix).

    >>> category_prefixes("간식·과자/과자/스낵")
    ['간식·과자', '간식·과자/과자', '간식·과자/과자/스낵']
    """
    parts = [p for p in (category or "").split("/") if p]
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


def category_keys(category: str) -> list[str]:
    """Every string a category filter may use to select `category`: prefixes, then segments.

    >>> category_keys("식품/유제품/요거트")
    ['식품', '식품/유제품', '식품/유제품/요거트', '유제품', '요거트']
    """
    prefixes = category_prefixes(category)
    parts = [p for p in (category or "").split("/") if p]
    return prefixes + [p for p in parts[1:] if p not in prefixes]


# ---- substitutes -----------------------------------------------------------------------------
# A substitute costs between half and twice the original (a 3,000원 snack is not replaced by a
# 30,000원 gift box), comes from the same leaf, and has no allergen the original lacks.
SUBSTITUTE_PRICE_RANGE = (0.5, 2.0)


def substitutes(product, catalog: Iterable | Mapping, level: Callable[[object], int],
                k: int = 3, accept: Callable[[object], bool] | None = None) -> list:
    """Up to `k` in-stock alternatives to `product`, closest price first (ties: more stock).

    `level(p)` is p's stock; `accept(p)` adds the caller's constraints (a shopper's budget,
    allergens, diets). Allergen safety: a candidate's allergens are a subset of the original's.

    >>> P = lambda i, price, al=(): type("P", (), dict(id=i, category="a/b/c", price=price,
    ...     sale_price=None, allergens=al))()
    >>> cat = [P("x", 1000), P("y", 1100), P("z", 900, ("땅콩",)), P("w", 5000)]
    >>> [p.id for p in substitutes(cat[0], cat, level=lambda p: 5)]
    ['y']
    """
    items = list(catalog.values() if isinstance(catalog, Mapping) else catalog)
    own = set(product.allergens)
    price = max(effective_price(product), 1)
    lo, hi = SUBSTITUTE_PRICE_RANGE
    cands = [c for c in items
             if c.id != product.id and c.category == product.category and set(c.allergens) <= own
             and lo * price <= effective_price(c) <= hi * price and level(c) > 0
             and (accept is None or accept(c))]
    cands.sort(key=lambda c: (abs(effective_price(c) - price) / price, -level(c), c.id))
    return cands[:k]


# ---- messages --------------------------------------------------------------------------------
# The longest message the assistant reads, in characters; the UI, the CLI and the service
# refuse longer ones with the same Korean text.
MAX_MESSAGE_CHARS = 1000
EMPTY_MESSAGE = "메시지가 비어 있어요. 찾으시는 상품이나 궁금한 점을 입력해 주세요."


def too_long_message(length: int) -> str:
    return (f"메시지가 너무 길어요 ({length:,}자). {MAX_MESSAGE_CHARS:,}자 이내로 줄여 주세요. "
            "입력한 내용은 그대로 남겨 두었어요.")


def message_problem(message) -> str | None:
    """The Korean reason a message cannot be taken, or None when it can.

    >>> message_problem("우유 있어요?") is None, message_problem("  ")
    (True, '메시지가 비어 있어요. 찾으시는 상품이나 궁금한 점을 입력해 주세요.')
    >>> message_problem("가" * 1001)[:12]
    '메시지가 너무 길어요 '
    """
    if not isinstance(message, str) or not message.strip():
        return EMPTY_MESSAGE
    if len(message) > MAX_MESSAGE_CHARS:
        return too_long_message(len(message))
    return None
