"""What a one-product question asks about ("원산지가 어디예요?" -> origin), and the answer
sentence for it built only from the product card.

The catalog states origin and storage; it does not state calories, shelf life or ingredients.
Those questions get an honest "not in our product information" sentence instead of silence,
so neither the template nor a model rephrasing it has a reason to make a figure up.
Price, allergens and stock are already in every detail reply (`replies.product_detail_reply`).

Example:
    >>> asked_aspects("이거 칼로리 얼마나 돼요? 어디산이에요?")
    ('origin', 'calories')
    >>> from assistant.facts import ProductFact
    >>> p = ProductFact("P1", "두부", "", "가공식품", 2000, None, origin="국산 콩", storage="냉장")
    >>> aspect_sentence(p, "origin")
    '원산지는 국산 콩이에요.'
"""

from __future__ import annotations

import re

from assistant.facts import ProductFact

# Order = the order the answer sentences come in.
ASPECTS: tuple[tuple[str, re.Pattern], ...] = (
    ("origin", re.compile(r"원산지|산지|어디\s?산|어느\s?나라|국산(?:이|인|이에|이야|맞)|수입(?:산|품|이)")),
    ("storage", re.compile(r"보관|냉장(?:이|인|해|고)|냉동(?:이|인|해|실)|실온")),
    ("calories", re.compile(r"칼로리|열량|kcal", re.IGNORECASE)),
    ("shelf_life", re.compile(r"유통\s?기한|소비\s?기한|언제까지\s?먹|며칠\s?(?:가|까지|동안)")),
    ("ingredients", re.compile(r"원재료|원료|(?<!알레르기\s)(?<!알러지\s)(?<!알레르기)(?<!알러지)성분(?!.*알레르|.*알러지)")),
)

# Aspects the catalog never states: the sentence says so and where to look instead.
_NOT_STATED = {
    "calories": "칼로리(열량) 정보는 저희 상품 정보에 없어요. 받으신 상품 포장의 영양정보 표시를 확인해 주세요.",
    "shelf_life": "유통기한은 입고 때마다 달라서 상품 정보에 적혀 있지 않아요. 받으신 상품 포장에 적힌 날짜를 확인해 주세요.",
    "ingredients": "원재료 전체 목록은 저희 상품 정보에 없어요. 상품 포장의 원재료명 표시를 확인해 주세요.",
}

NOT_STATED_ASPECTS = frozenset(_NOT_STATED)   # asked about, never in the catalog

_STORAGE = {"냉장": "냉장 보관", "냉동": "냉동 보관", "실온": "실온 보관"}


def asked_aspects(message: str) -> tuple[str, ...]:
    """Aspects a message asks about, in answer order (empty for a general question)."""
    text = message or ""
    return tuple(name for name, pattern in ASPECTS if pattern.search(text))


def aspect_sentence(p: ProductFact, aspect: str) -> str:
    """One Korean sentence answering `aspect` from the card alone ('' for unknown aspects)."""
    if aspect == "origin":
        return f"원산지는 {p.origin}이에요." if p.origin else "원산지는 저희 상품 정보에 적혀 있지 않아요."
    if aspect == "storage":
        if not p.storage:
            return "보관 방법은 저희 상품 정보에 적혀 있지 않아요. 상품 포장의 표시를 확인해 주세요."
        return f"{_STORAGE.get(p.storage, p.storage + ' 보관')} 상품이에요."
    return _NOT_STATED.get(aspect, "")
