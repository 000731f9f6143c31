"""References to earlier results, counted amounts and sort wishes, from normalized text.

"그거" -> it, "두 번째 거" -> index 1, "마지막 거" -> index -1, "제일 싼 거 2개" -> the two
cheapest, "평점 제일 높은 거" -> best rated, "다 담아줘" -> all. Counted amounts ("2개",
"세 봉지", "한 박스", "두어 개") are returned raw; `nlu.parse` decides whether a number is a
cart quantity or a number of products to show. Leaves out product-spec sizes ("500g",
"10개입", "30구"), which are product attributes, not amounts.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from assistant.nlu.numbers import NATIVE_RE, native_count
from assistant.types import Reference

Span = tuple[int, int]

COUNTERS = (
    "개", "봉지", "봉", "팩", "박스", "상자", "병", "캔", "통", "묶음", "세트", "봉투", "포", "판",
    "단", "송이", "망", "줄", "컵", "마리", "가지", "종류", "개씩", "입", "알", "장", "번들", "box", "모",
)
_COUNTER_RE = "|".join(sorted(COUNTERS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?<![\d.])(?P<n>\d{{1,3}}|(?<![가-힣]){NATIVE_RE})\s?(?P<c>{_COUNTER_RE})"
    rf"(?!입|구|짜리|원|번째|째|월|년|국|바구니|\d|\s?(?:set|세트\s?(?:있|없|로|으로|는|가|이|요)|들이))"   # "3개 set 있어요?": a pack
    rf"(?!\s?(?:든|들어\s?있는|들어간)\s?(?:거|것|걸|게|건|제품|상품|박스|봉지|팩|세트))"   # "10개 든 거 하나": what a pack holds
)
# "둘 다" (both) and "하나 있어요" (there is one) are no amounts
_WORD_ONE = re.compile(r"(?<!애)(?<!애들)(?<!아이)(?<!자식)(?<!식구)(?:^|\s)(?P<w>하나|둘|셋|넷)(?=만|씩|\s?더|요|$|\s)"
                       r"(?!\s?다(?:\s|$|[.,!?~])|\s?(?:있|없|뿐|키우|키워))")   # "애 셋 키우는 집": children


def extract_amounts(text: str) -> list[tuple[int, str, Span]]:
    """(number, counter, span) for every counted amount.

    >>> [(n, c) for n, c, _ in extract_amounts("우유 2개랑 과자 세 봉지")]
    [(2, '개'), (3, '봉지')]
    """
    found: list[tuple[int, str, Span]] = []
    for m in _AMOUNT.finditer(text):
        n = native_count(m.group("n"))
        counter = m.group("c")
        if n is None or n <= 0 or n > 999:
            continue
        if counter == "입" and not re.match(r"\s?입", text[m.end("n"):]):
            continue
        if counter == "모" and m.group("n").isdigit():
            continue
        if counter in ("입", "알", "장") and m.group("n").isdigit():
            continue  # "10입", "30알", "20장" describe a pack, not how many to buy
        found.append((n, counter, m.span()))
    for m in _WORD_ONE.finditer(text):
        if not any(s <= m.start("w") < e for _, _, (s, e) in found):
            found.append((native_count(m.group("w")) or 1, "개", m.span("w")))
    return sorted(found, key=lambda t: t[2])


# ---------------------------------------------------------------- references
_THING = r"(?:거|것|걸|건|걸로|거로|놈|애|제품|상품|물건|꺼|아이|녀석)"
_ORD_WORDS = {"첫": 1, "첫째": 1, "한": 1, "두": 2, "둘째": 2, "세": 3, "셋째": 3, "네": 4,
              "넷째": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
_INDEX = re.compile(
    rf"(?P<w>첫째|둘째|셋째|넷째|첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열|\d{{1,2}})\s?번\s?째"
    rf"|(?P<w2>첫째|둘째|셋째|넷째)\s?(?={_THING})"
    rf"|(?P<d>\d{{1,2}})\s?번\s?(?={_THING}|담|넣|빼|추가|으로|로|이요|요|$|\s?주세요"
    rf"|(?:\d{{1,3}}|{NATIVE_RE})\s?(?:{_COUNTER_RE})(?:\s?(?:만|씩|요|주세요|줘|이요|[.!~])*)?\s?$)"   # "1번 5개"
    rf"|(?P<last>맨\s?마지막|마지막|맨\s?끝|맨\s?아래)\s?(?={_THING}|에|꺼)"
    rf"|(?P<first>맨\s?(?:처음|앞|위)|제일\s?(?:처음|앞|위)|젤\s?(?:처음|앞|위)|처음|첫\s?번)\s?(?:에\s?(?:나온|있는|보여\s?준)?\s?)?(?={_THING}|꺼)"
)
_SUPER = r"(?:제일|가장|젤|최고로|젤루|젤로)\s?"
# A superlative is a reference only when it names no product ("제일 싼 거"); "제일 싼 우유"
# is a sorted search instead.
_END = rf"(?:\s?{_THING}|(?=\s?(?:으로|로|을|를|은|는|이|가)?\s?(?:\d|{NATIVE_RE}|담|넣|빼|추가|주세요|줘|요|$)))"
_KINDS = (
    ("cheapest", re.compile(rf"(?:{_SUPER}(?:싼|저렴한|싸게\s?파는)|최저가(?:인)?|(?:그중에?서?|이\s?중에?서?|거기서)\s?(?:싼|저렴한)){_END}")),
    ("most_expensive", re.compile(rf"(?:{_SUPER}비싼|최고가(?:인)?){_END}")),
    ("best_rated", re.compile(
        rf"(?:(?:평점|별점|리뷰|후기|평가|리뷰\s?평점)\s?(?:이|가)?\s?{_SUPER}(?:높은|좋은|많은)"
        rf"|{_SUPER}(?:평점|별점|리뷰)\s?(?:이|가)?\s?(?:높은|좋은|많은)"
        # "리뷰 좋은 걸로 하나": the well rated one among those shown
        rf"|(?:평점|별점|리뷰|후기)\s?(?:이|가)?\s?(?:높은|좋은|많은)(?=\s?(?:걸로|거로|것으로|거|걸|것)(?![가-힣]))"
        rf"|{_SUPER}(?:인기\s?(?:있는|많은)|잘\s?팔리는|맛있는|좋은|괜찮은)|베스트){_END}"
    )),
    ("all", re.compile(
        r"(?:^|\s)(?:전부\s?다|싹\s?다|다|전부|모두|몽땅|모든\s?(?:거|상품|제품)|있는\s?거\s?다)\s?"
        r"(?=담|넣|추가|빼|삭제|지워|주문|사|살|구매|장바구니|카트)"
        r"|(?:보여\s?준|보여\s?주신|추천한|추천해\s?준|추천해\s?주신)\s?(?:것들|거|것|상품들?|제품들?)\s?(?:은|이)?\s?(?:다|전부|모두)"
    )),
    ("it", re.compile(
        r"(?<![가-힣])(?:그거|그걸|그것|이거|이걸|이것|저거|저걸|저것|요거|요걸|고거|그게|이게|저게"
        r"|(?:그|이|저|아까\s?그|방금\s?그)\s?(?:제품|상품|물건)|(?:아까|방금)\s?(?:그\s?)?(?:본|담은|넣은|산|고른|시킨|말한|추천한|추천해\s?준|보여\s?준)?\s?(?:거|것|꺼))"
        r"(?=$|[^가-힣]|를|을|랑|로|는|도|요|만|가|이|에|나|하고|으로|좀|두|세|한|다)"
        r"(?!\s?(?:말고|말구|빼고|대신|말곤)|(?:는|은)\s?(?:말고|빼고|별로|싫))"   # "그거 말고 더 매운 거": not that one
        r"|(?:방금|아까)\s?(?:그|본|담은|보여\s?준|추천한)\s(?=[가-힣]{2,})"      # "방금 그 우유 하나 더"
    )),
)
_REF_COUNT = re.compile(rf"\s?(?:으로|로|을|를|은|는)?\s?(?P<n>\d{{1,2}}|{NATIVE_RE})\s?(?:개|가지|종류)")


def extract_reference(text: str) -> tuple[Reference | None, list[Span]]:
    """The first reference to earlier results and its span(s).

    >>> extract_reference("그중에 제일 싼 거 2개 담아줘")[0]
    Reference(kind='cheapest', index=None, count=2)
    >>> extract_reference("두번째 거 빼줘")[0]
    Reference(kind='index', index=1, count=1)
    """
    m = _INDEX.search(text)
    if m:
        if m.group("last"):
            return Reference("index", index=-1), [m.span()]
        if m.group("first"):   # "맨 처음 거", "제일 위에 있는 거"
            return Reference("index", index=0), [m.span()]
        word = m.group("w") or m.group("w2") or m.group("d")
        n = int(word) if word.isdigit() else _ORD_WORDS.get(word, 1)
        return Reference("index", index=max(n, 1) - 1), [m.span()]
    for kind, pattern in _KINDS:
        m = pattern.search(text)
        if not m:
            continue
        spans = [m.span()]
        count = 1
        if kind in ("cheapest", "most_expensive", "best_rated"):
            c = _REF_COUNT.match(text, m.end())
            if c:
                count = native_count(c.group("n")) or 1
                spans.append(c.span())
        return Reference(kind, count=count), spans
    return None, []


_SORTS = (
    ("price_asc", re.compile(r"저렴|(?<!비)싼|(?<!비)싸게|가성비|최저가|가격\s?낮은|값싼|더\s?싸|낮은\s?가격\s?순"
                             r"|(?<![a-z])(?:cheap|cheapest|cheaper|lowest\s?price|low\s?price)(?![a-z])")),
    ("price_desc", re.compile(r"비싼|고급|프리미엄|최고가|(?<![a-z])(?:expensive|premium|pricey)(?![a-z])")),
    ("rating", re.compile(r"평점|별점|리뷰\s?(?:좋|많)|후기\s?(?:좋|많)|인기|잘\s?팔리|베스트|평가\s?좋"
                          r"|(?<![a-z])(?:best|top\s?rated|highest\s?rated|popular|rating)(?![a-z])")),
)


def extract_sort(text: str) -> str | None:
    for name, pattern in _SORTS:
        if pattern.search(text):
            return name
    return None


_SPEC = re.compile(r"\d+(?:\.\d+)?\s?(?:개입|입|구|g|kg|ml|l|리터|키로|그램|인분|매|롤|미리|개\s?(?:set|세트|들이))(?![가-힣a-z])"
                   r"|\d+\s?(?:개|병|캔|봉|봉지|팩|구|롤)\s?(?:짜리|들이)")


def product_specs(text: str) -> list[Span]:
    """Spans of pack sizes ("30개입", "10kg", "500ml"): product attributes, not keywords."""
    return [m.span() for m in _SPEC.finditer(text)]


_DEMONSTRATIVE = re.compile(r"(?:^|\s)(?:이|그|저)\s(?!중|정도|거|것|게|걸|때|쪽|번|다음|전)[가-힣]{2,}")


def demonstrative(text: str) -> bool:
    """'이 과자 얼마예요?': a demonstrative before a noun points at a shown product."""
    return bool(_DEMONSTRATIVE.search(text))


# How a superlative reference orders results: "제일 싼 거" -> cheapest first.
SORT_OF = {"cheapest": "price_asc", "most_expensive": "price_desc", "best_rated": "rating"}


def _price(product) -> float:
    eff = getattr(product, "effective_price", None)
    if eff is not None:
        return eff
    sale = getattr(product, "sale_price", None)
    return sale if sale is not None else getattr(product, "price", 0)


def resolve_reference(ref: Reference | None, last_results: list[str],
                      products: Mapping[str, Any] | None = None) -> list[str]:
    """Product ids a reference points at ("그거", "두 번째 거", "제일 싼 거 2개"), in order;
    [] when it cannot be resolved.

    `products` maps id -> object with `effective_price` (or `sale_price`/`price`) and `rating`.
    When given, ids it does not know are skipped; it is needed for cheapest / most_expensive /
    best_rated.

    >>> resolve_reference(Reference("index", index=1), ["P1", "P2", "P3"])
    ['P2']
    >>> cat = {"A": type("P", (), {"price": 3000, "sale_price": None, "rating": 4.0})(),
    ...        "B": type("P", (), {"price": 1000, "sale_price": None, "rating": 4.5})()}
    >>> resolve_reference(Reference("cheapest"), ["A", "B", "gone"], cat)
    ['B']
    >>> resolve_reference(Reference("it"), ["gone", "A"], cat)
    ['A']
    """
    if ref is None or not last_results:
        return []
    ids = list(last_results) if products is None else [pid for pid in last_results if pid in products]
    if not ids:
        return []
    if ref.kind == "all":
        return ids
    if ref.kind == "it":
        return ids[:1]  # best effort when ambiguous; dialogue.needs_clarification asks first
    if ref.kind == "index":
        i = ref.index or 0
        return [ids[i]] if -len(ids) <= i < len(ids) else []
    if products is None or ref.kind not in SORT_OF:
        return []
    if ref.kind == "best_rated":
        ordered = sorted(ids, key=lambda pid: -float(getattr(products[pid], "rating", 0.0) or 0.0))
    else:
        ordered = sorted(ids, key=lambda pid: _price(products[pid]), reverse=ref.kind == "most_expensive")
    return ordered[:max(ref.count, 1)]
