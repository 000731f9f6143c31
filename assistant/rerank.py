"""Item-type rerank: the products shown are the kind of thing the shopper named.

The hybrid retriever ranks by words and meaning, so "에어프라이어" also finds 에어프라이어
종이호일 and "고양이 모래" finds 모래 탈취제: the leaf category matches, the thing does not.
This stage reads the request's head noun (the last product noun: "고양이 모래" -> 모래,
"무선이어폰" -> 이어폰) and each candidate's own head noun (the last word of its name before
the pack size: "네츄럴펫 모래 탈취제 500g" -> 탈취제), and scores a few features on top of the
retrieval rank:

- `head`: the product's head noun is the asked item ("꼬마사과" is a 사과);
- `phrase`: the whole request phrase is in the name ("무선 이어폰" for "무선이어폰");
- `mention`: the item is only named as what the product is for (종이호일 for an
  에어프라이어, 탈취제 for 모래): an accessory or consumable, ranked after the item itself
  unless the shopper asked for that word;
- `foreign`: the product's head noun is another item entirely (a 마우스 filed under 이어폰);
- `size`: the pack size asked for is the product's ("사과 3kg", "계란 30구", "20개짜리");
- `words`: how many of the request's other words the item's name carries ("키튼" 사료, "신생아"
  기저귀, "대형견" for 대형 배변패드), so among the items the one described comes first;
- `desc`: how many of the request's other words, wanted or ruled out, the item's description
  or tags meet ("말린" 망고: 건망고 "쫄깃하게 말린 망고입니다"; "카페인 없는" 차: 캐모마일 티
  "카페인이 없어"; `assistant.claims`), for the items the name does not tell apart.

The item noun is read after shopper spellings are mapped to the catalog's (`ITEM_ALIASES`:
에프 -> 에어프라이어, 샴프 -> 샴푸, 휴지 -> 화장지), leaving out purposes ("미역국 끓일 소고기"
asks for 소고기) and, when understanding kept no product keyword, from the message itself.

Weights were set on the dev split (`python -m assistant.evaluate_answers --set dev`); test and
blind are for reporting only. `python -m assistant.rerank_fit` learns them instead (logistic
regression on dev candidates): on 2026-11-26 the fitted weights gained 0.006 candidate nDCG@10 on
dev and lost 0.012 on test, so the hand weights stay (docs/benchmarks/answers.md); the fit put
`words` at 0.48, the hand weight is 0.4. Pure functions over catalog rows: no I/O, no model.

Example:
    >>> product_head("네츄럴펫 모래 탈취제 500g", "네츄럴펫", "500g")
    '탈취제'
    >>> item_heads(("고양이", "모래"), {"모래", "탈취제"})
    ('모래',)
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Sequence

GENERIC_SHARE = 0.2
HOME_SHARE = 0.4
WEIGHTS = {"head": 1.5, "phrase": 0.3, "mention": 0.4, "foreign": 0.0, "size": 0.6, "words": 0.4, "desc": 0.3}
MAX_WORDS = 2
_SIZE = re.compile(r"^(?:[\d.,]+[a-zA-Z가-힣%]*|x|X|[\d.]+x[\d.]+\w*)$")
_SPACE = re.compile(r"\s+")
# Words in a request that describe the item rather than name it ("무선", "휴대용" are kept:
# they are part of a compound name only when the catalog spells it so).
_NOT_ITEM = frozenset("용 전용 세트 선물 아이 아기 애기 자취 자취생 캠핑 집 회사 사무실 부모님 식물성 종류 작은 큰".split())


def norm(text: str) -> str:
    return _SPACE.sub("", text or "")


# Shoppers' spellings of an item the catalog names otherwise: clippings ("에프"), sound-alike
# misspellings ("샴프", "기저기", "썬크림"), and everyday words for a catalog noun ("휴지",
# "달걀", "주전자"). Only the item noun is rewritten, for the rerank's head match; the retrieval
# query keeps the shopper's words. Whole words only ("에프" in "에프터" is not 에어프라이어).
ITEM_ALIASES = {
    "에프": "에어프라이어", "에어프라이기": "에어프라이어", "에어후라이어": "에어프라이어", "에어프라이": "에어프라이어",
    "샴프": "샴푸", "샴퓨": "샴푸", "기저기": "기저귀", "기져귀": "기저귀",
    "썬크림": "선크림", "썬스틱": "선스틱", "썬블럭": "선크림", "선블럭": "선크림", "자외선차단제": "선크림",
    "휴지": "화장지", "두루마리휴지": "화장지", "키친타올": "키친타월", "키친타울": "키친타월",
    "달걀": "계란", "주전자": "전기포트", "전기주전자": "전기포트", "커피메이커": "커피머신",
    "쿨러박스": "아이스박스", "쿨러": "아이스박스", "멀티비타민": "종합비타민",
    "방토": "방울토마토", "돈가스": "돈까스", "돈카츠": "돈까스", "쏘세지": "소시지", "소세지": "소시지",
    "케찹": "케첩", "쥬스": "주스", "요구르트": "요거트", "요플레": "요거트", "숯": "참숯",
    "핸드폰충전기": "충전기", "애기": "아기", "폰충전기": "충전기", "고속충전기": "충전기",
}

def _mixed_spellings() -> dict[str, str]:
    """The BM25 analyzer's one-word Hangul spellings of a catalog word ("초콜렛" -> 초콜릿), so the
    item noun reads them as retrieval does (its English and spaced entries are left to it:
    "protein bar" is one item, "protein" alone another)."""
    from retrieval.analyzer import MIXED_TERMS

    return {k: v for k, v in MIXED_TERMS.items() if re.fullmatch(r"[가-힣]+", k) and k != v}


ITEM_ALIASES = {**_mixed_spellings(), **ITEM_ALIASES}
_ALIAS_RE = re.compile("|".join(sorted(map(re.escape, ITEM_ALIASES), key=len, reverse=True)))


# One kind of thing the catalog names by two nouns: a request for either is a request for both
# ("차" is also 캐모마일 티, "허브티" also a 차). General shopping vocabulary, not per-query.
ITEM_EQUIVALENTS = {"차": ("티",), "티": ("차",)}


def alias(word: str) -> str:
    """The catalog's noun for a shopper's spelling of an item ("에프" -> "에어프라이어")."""
    return ITEM_ALIASES.get(norm(word), word)


def alias_text(text: str) -> str:
    """`alias` for every whole word of a message ("에프 작은거" -> "에어프라이어 작은거"; a word
    with a particle attached keeps it: "휴지는" -> "화장지는")."""
    def one(m: re.Match) -> str:
        before = m.string[m.start() - 1] if m.start() else " "
        return ITEM_ALIASES[m.group(0)] if not ("가" <= before <= "힣") else m.group(0)
    return _ALIAS_RE.sub(one, text or "")


# A noun that says what the item is for, not what it is: "미역국 끓일 (소고기)", "계란말이 할
# (팬)", "요거트에 올릴 (블루베리)", "전골 끓일 (냄비)", "캠핑 가서 구워먹을 (고기)".
_PURPOSE_AFTER = re.compile(r"^\s*(?:에\s*(?:다|다가)?\s*)?(?:끓일|끓이|할|해\s*먹을|만들|만들어\s*먹을|넣을|올릴|올려|"
                            r"곁들일|찍어\s*먹을|뿌릴|싸\s*먹을|부칠|볶을|구울|담을|쓸|재울|먹일)")
_PURPOSE_DAT = re.compile(r"^\s*에\s*(?:다|다가)?\s")
# A noun that says what the item is made of or its form: "유산균 가루로 된 거", "쌀로 만든 과자".
_FORM_AFTER = re.compile(r"^\s*(?:으로|로)\s*(?:된|만든|만들어진|나온|되어\s*있는|돼\s*있는)")


def purpose_words(message: str, keywords: Sequence[str]) -> frozenset[str]:
    """Keywords the message uses as a purpose ("미역국 끓일 소고기" -> {"미역국"}) or as what the
    item is made of ("유산균 가루로 된 거" -> {"가루"}): the item is another word of the request.
    A keyword that is the only one left is kept."""
    text = message or ""
    out = set()
    for k in keywords:
        for m in re.finditer(re.escape(k), text):
            rest = text[m.end():]
            if _PURPOSE_AFTER.match(rest) or _PURPOSE_DAT.match(rest) or _FORM_AFTER.match(rest):
                out.add(k)
    return frozenset(out)


# Every search scans the whole catalog for the asked item (`grounding.rank_products`), so the
# pure string functions of a product's name are memoized: keyed by the strings themselves
# (a renamed product is a new key), bounded, and thread-safe (functools.lru_cache).
_NAME_CACHE = 1 << 16


@lru_cache(maxsize=_NAME_CACHE)
def name_core(name: str, brand: str = "", unit: str = "") -> str:
    """The name without brand prefix and pack size: "모아전자 미니 에어프라이어 2L 1대" -> "미니 에어프라이어"."""
    core = name.strip()
    if unit and core.endswith(unit):
        core = core[: -len(unit)].strip()
    if brand and core.startswith(brand + " "):
        core = core[len(brand) + 1:].strip()
    words = core.split()
    while len(words) > 1 and _SIZE.match(words[-1]):
        words.pop()
    return " ".join(words)


# Size and age grades written after the noun ("팬티형 기저귀 대형", "밴드형 기저귀 신생아").
_GRADES = frozenset("대형 중형 소형 특대형 신생아 점보 대용량 소용량".split())


@lru_cache(maxsize=_NAME_CACHE)
def product_head(name: str, brand: str = "", unit: str = "") -> str:
    """The product's own head noun, size grades skipped.

    >>> product_head("베베숲 팬티형 기저귀 대형 44매", "베베숲", "44매")
    '기저귀'
    >>> product_head("참숯정육 동물복지 삼겹살 구이용 500g", "참숯정육", "500g")
    '삼겹살'
    """
    words = name_core(name, brand, unit).split()
    # size grades and uses after the noun: "기저귀 대형", "삼겹살 구이용", "앞다리살 찌개용"
    # and a shape or flavor written after it: "물티슈 캡형", "팝콘 버터맛"
    while len(words) > 1 and (words[-1] in _GRADES or (len(words[-1]) >= 3 and words[-1].endswith("용"))
                              or (len(words[-1]) >= 2 and words[-1][-1] in "형맛")):
        words.pop()
    return words[-1] if words else ""


def head_of(product) -> str:
    return product_head(product.name, getattr(product, "brand", ""), getattr(product, "unit", ""))


class Vocabulary(set):
    """The catalog's item head nouns, plus `leaves`: category leaf words that no product's head
    noun ends with ("계란": 특란, 구운란, 유정란; "생선": 갈치, 삼치), which name a kind of
    thing by its shelf."""

    leaves: frozenset = frozenset()
    tops: frozenset = frozenset()   # department words no head noun carries ("간식" of 간식·과자)
    mids: frozenset = frozenset()   # aisle words no head noun carries ("과일" of 신선식품/과일)
    # head noun -> where the thing it names is filed: the category paths of the products named
    # by exactly it, and those holding at least HOME_SHARE of the products whose head ends with
    # it ("샴푸": 샴푸·린스, not 세탁세제's 울샴푸; "세제": 주방세제 and 세탁세제)
    homes: dict = {}
    leaf_heads: dict = {}   # shelf word -> the head nouns of the products filed on that shelf
    # a name word that is no head noun and that the store writes before one head noun only, in two
    # products or more: a kind of that item ("부사" -> 사과, "얼그레이" -> 홍차)
    kind_of: dict = {}
    # a word no head noun carries that names one of the two kinds of its shelf, and products by
    # name ("참기름" of 식용유·참기름, "린스" of 샴푸·린스): those products, not the whole shelf
    own_kind: frozenset = frozenset()
    cores: frozenset = frozenset()   # every product name without brand, size and spaces
    shelf_paths: dict = {}   # shelf word -> the category paths of the shelves it names
    names_on: dict = {}      # category path -> the names (`core_of`) of the products filed there


def head_vocabulary(products: Iterable) -> Vocabulary:
    """The head nouns that name a kind of thing in this catalog, less the generic ones.

    A head noun that is also a category word whose products mostly do not carry it in their
    names ("음료": 주스, 콜라, 커피 under 음료·커피·차; "소스", "양념") names a category, not an
    item: the rerank leaves those requests to retrieval and the category filter."""
    products = list(products)
    heads = {head_of(p) for p in products}
    under: dict[str, list[str]] = {}
    leaf_words: set[str] = set()
    for p in products:
        for seg in {w for part in p.category.split("/") for w in part.split("·")}:
            if seg in heads:
                under.setdefault(seg, []).append(norm(p.name))
        leaf_words |= {w for w in p.category.split("/")[-1].split("·") if len(w) >= 2}
    generic = {w for w, names in under.items() if sum(w in n for n in names) < GENERIC_SHARE * len(names)}
    vocab = Vocabulary(h for h in heads if h and h not in generic)
    # a generic word that is a shelf ("이유식", "소고기": most of the shelf is named otherwise,
    # 야채죽, 양지) names that shelf's products
    vocab.leaves = frozenset(w for w in leaf_words if not any(h.endswith(w) for h in vocab))
    vocab.tops = frozenset(w for p in products for w in p.category.split("/")[0].split("·")
                           if len(w) >= 2 and not any(h.endswith(w) for h in vocab))
    vocab.mids = frozenset(w for p in products for part in p.category.split("/")[1:-1] for w in part.split("·")
                           if len(w) >= 2 and not any(h.endswith(w) for h in vocab))
    by_head: dict[str, dict[str, int]] = {}
    for p in products:
        cats = by_head.setdefault(head_of(p), {})
        cats[p.category] = cats.get(p.category, 0) + 1
    homes = {}
    for h in vocab:
        counts: dict[str, int] = {}
        for head, cats in by_head.items():
            if head.endswith(h):
                for cat, n in cats.items():
                    counts[cat] = counts.get(cat, 0) + n
        total = sum(counts.values())
        homes[h] = frozenset(c for c, n in counts.items() if n >= HOME_SHARE * total) | frozenset(by_head.get(h, ()))
    vocab.homes = homes
    leaf_heads: dict[str, set[str]] = {}   # shelf word -> the head nouns of the products filed there
    for head, cats in by_head.items():
        for cat in cats:
            for w in cat.split("/")[-1].split("·"):
                leaf_heads.setdefault(w, set()).add(head)
    vocab.leaf_heads = {w: frozenset(hs) for w, hs in leaf_heads.items()}
    before: dict[str, dict[str, int]] = {}   # name word -> {head noun it is written before: products}
    for p in products:
        head = head_of(p)
        for w in set(name_core(p.name, getattr(p, "brand", ""), getattr(p, "unit", "")).split()):
            if w != head and len(w) >= 2 and not _SIZE.match(w) and w not in _GRADES:
                counts = before.setdefault(w, {})
                counts[head] = counts.get(head, 0) + 1
    vocab.cores = frozenset(core_of(p) for p in products)
    shelf_paths: dict[str, set] = {}
    names_on: dict[str, set] = {}
    for p in products:
        for w in p.category.split("/")[-1].split("·"):
            shelf_paths.setdefault(w, set()).add(p.category)
        names_on.setdefault(p.category, set()).add(core_of(p))
    vocab.shelf_paths = {w: frozenset(c) for w, c in shelf_paths.items()}
    vocab.names_on = {c: frozenset(n) for c, n in names_on.items()}
    vocab.own_kind = frozenset(h for h in heads if h and h not in vocab and any(
        h in cat.rsplit("/", 1)[-1].split("·") and "·" in cat.rsplit("/", 1)[-1] for cat in by_head.get(h, ())))
    vocab.kind_of = {w: next(iter(c)) for w, c in before.items()
                     if len(c) == 1 and sum(c.values()) >= 2 and next(iter(c)) in vocab and not _known(w, vocab)}
    return vocab


def _leaf_words(product) -> set[str]:
    """The words of the product's shelf, and its department's marked "^" ("^간식" for 간식·과자)."""
    parts = product.category.split("/")
    return (set(parts[-1].split("·")) | {TOP + w for w in parts[0].split("·")}
            | {MID + w for part in parts[1:-1] for w in part.split("·")})


TOP = "^"   # marks a department word among shelf words
MID = "~"   # marks an aisle word (the level between department and shelf)


def _known(word: str, vocabulary: set[str]) -> bool:
    """A catalog head noun, the end of one ("감자" names 흙감자, "상추" names 청상추), or a
    shelf word no head noun carries ("계란")."""
    return (word in vocabulary or (len(word) >= 2 and any(h.endswith(word) for h in vocabulary))
            or bool(_shelves(word, vocabulary)))


def _shelves(word: str, vocabulary) -> frozenset:
    """Shelf words that `word` names: a department ("간식": 간식·과자, not the cat treats of
    고양이사료·간식), itself ("계란") or the shelves it ends ("고기": 돼지고기)."""
    if word in getattr(vocabulary, "tops", ()):
        return frozenset({TOP + word})
    leaves = getattr(vocabulary, "leaves", ())
    if word not in leaves and word in getattr(vocabulary, "mids", ()):
        return frozenset({MID + word})   # "과일": the whole fruit aisle, not only 열대과일 and 말린과일
    if len(word) == 1:
        return one_syllable_shelf(word, vocabulary)
    return frozenset(w for w in leaves if w == word or w.endswith(word))


def one_syllable_shelf(word: str, vocabulary) -> frozenset:
    """The shelf a one-syllable item word names ("국": 즉석국·찌개): the one shelf word that ends
    with it, when every item noun ending with it is filed there (미역국). Otherwise none ("밥"
    ends 즉석밥 but also 볶음밥, filed with the frozen food)."""
    ends = [w for w in getattr(vocabulary, "leaves", ()) if w.endswith(word) and len(w) > 1]
    if len(ends) != 1:
        return frozenset()
    on_shelf = getattr(vocabulary, "leaf_heads", {}).get(ends[0], frozenset())
    if all(h in on_shelf for h in vocabulary if h.endswith(word)):
        return frozenset(ends)
    return frozenset()


def item_heads(keywords: Sequence[str], vocabulary: set[str], message: str = "") -> tuple[str, ...]:
    """The asked item's head noun(s): the last product keyword, or the longest catalog head
    noun that ends it ("무선이어폰" -> "이어폰"); a longer head written in the message that
    ends with it wins ("아기 선크림" read as 크림 -> 선크림). Empty when the request names no
    item the catalog knows by name (then the rerank leaves the retrieval order alone)."""
    words = [alias(k) for k in keywords if k and k not in _NOT_ITEM]
    message = alias_text(message)
    # a department or aisle word read last ("떡뻥 … 간식") when an earlier word is narrower: the
    # earlier item wins ("강아지 간식": both broad, the last word decides as before)
    cores = getattr(vocabulary, "cores", frozenset())
    broad = (bool(words) and _broad(norm(words[-1]), vocabulary)
             and any(not _broad(norm(x), vocabulary) for x in words[:-1])
             # a product is named so ("아몬드 음료"): the last word is part of the item's name
             and not any(norm(words[-2]) + norm(words[-1]) in c for c in cores))
    for word in reversed(words[:-1] if broad else words):
        w = norm(word)
        # a number or letter the keyword lost ("오메가" of "오메가3", "비타민" of "비타민C"): the
        # message's word, when it names an item
        numbered = [m for m in re.findall(r"[가-힣]+[A-Za-z]+\d*|[가-힣A-Za-z]+\d+", message or "") if m in vocabulary
                    and len(m) > len(w) and _LOST.fullmatch(m[len(w):]) and m.startswith(w)]
        # the letter spelled in Hangul ("비타민 씨" is 비타민C)
        spelled = [w + _LETTERS[m] for m in re.findall(re.escape(w) + r"\s*(에이|비|씨|디|이|케이)(?![가-힣A-Za-z])", message or "")
                   if w + _LETTERS[m] in vocabulary]
        if numbered or spelled:
            return ((numbered or spelled)[0],)
        for i in range(len(w)):
            suffix = w[i:]
            # the whole word may end a head ("감자" of 흙감자); a cut of it must be a head itself
            # ("무선이어폰" -> 이어폰, but "삼겹살" is not a "겹살" of 오겹살)
            if (_known(suffix, vocabulary) if i == 0 else suffix in vocabulary) and (len(suffix) >= 2 or suffix == w):
                if i == 0:
                    suffix = _named_on_shelf(suffix, vocabulary)
                longer = [m for m in re.findall(r"[가-힣A-Za-z]+", message or "")
                          if len(m) > len(suffix) and m.endswith(suffix) and m in vocabulary]
                return (max(longer, key=len),) if longer else (suffix,)
        ingredient = use_ingredient(w, message, vocabulary)
        if ingredient:
            return (ingredient,)
    if broad:
        return item_heads(words[-1:], vocabulary, message)
    # a word the store writes only before one item noun ("부사" of 부사 사과, "캐모마일" of 캐모마일 티)
    kinds = getattr(vocabulary, "kind_of", {}) or {}
    for word in reversed(words):
        if norm(word) in kinds:
            return (kinds[norm(word)],)
    return message_heads(message, vocabulary) if message else ()


def use_ingredient(word: str, message: str, vocabulary) -> str:
    """The item named inside a use ("순두부찌개용": for a 순두부찌개, so a 순두부): when the message
    writes `word` + 용 and no catalog head noun ends `word`, the longest catalog head noun (two
    syllables or more) that `word` starts with. "김치찌개" alone asks for the stew, not for 김치."""
    w = norm(word)
    if not w or not re.search(re.escape(w) + r"\s*용(?![가-힣])", message or ""):
        return ""
    if any(w[i:] in vocabulary for i in range(len(w))) or _known(w, vocabulary):
        return ""
    return next((w[:j] for j in range(len(w) - 1, 1, -1) if w[:j] in vocabulary), "")


def _broad(word: str, vocabulary) -> bool:
    """A department or aisle word no item noun or shelf is named by ("간식", "과일"): it says where,
    not what, when the request also names an item ("유기농 떡뻥 돌쟁이 간식" asks for 떡뻥)."""
    if word in vocabulary or any(h.endswith(word) for h in vocabulary):
        return False
    shelves = _shelves(word, vocabulary)
    return bool(shelves) and all(x[0] in (TOP, MID) for x in shelves)


_LOST = re.compile(r"[A-Za-z]*\d*")
_LETTERS = {"에이": "A", "비": "B", "씨": "C", "디": "D", "이": "E", "케이": "K"}


def _named_on_shelf(word: str, vocabulary) -> str:
    """A shelf's name read as the item ("고양이모래" of 고양이 모래, the shelf that also holds the
    모래 탈취제) is the head noun the shelf's own products are named by (모래), so the
    deodorizer next to them stays an accessory. Other words are kept as they are."""
    if word in vocabulary or any(h.endswith(word) for h in vocabulary):
        return word
    homes = getattr(vocabulary, "homes", {}) or {}
    for j in range(1, len(word) - 1):
        cut = word[j:]
        if cut in vocabulary and any(word in c.split("/")[-1].split("·") for c in homes.get(cut, ())):
            return cut
    return word


_WORD = re.compile(r"[가-힣A-Za-z0-9]+")
# Words before which a noun is a condition, not the item: "땅콩 없는", "계란 알레르기", "두유는 안되고".
_NEGATED_AFTER = re.compile(r"^\s*(?:은|는|이|가|을|를)?\s*(?:성분\s*(?:이|은|는|도)?\s*)?(?:없|빼|뺀|빠진|안\s*들|안\s*되|말고|말구|대신|제외|알레르기|알러지|"
                            r"알르레기|들어가지|안\s*먹|못\s*먹|프리|free|아니고|아닌)")


def unnegated(message: str) -> str:
    """The message without the words it rules out ("에어프라이어 본체요, 종이호일 말구요" ->
    no 종이호일): a ruled-out accessory is not one the shopper asked for by name."""
    text = message or ""
    return "".join(text[m.start():m.end()] + " " for m in _WORD.finditer(text)
                   if not _NEGATED_AFTER.match(text[m.end():]))


def message_heads(message: str, vocabulary: set[str]) -> tuple[str, ...]:
    """The item read from the message itself when understanding kept no product keyword
    ("땅콩 없는 프로틴바" -> 단백질바 via the alias, "팬티형 기저기" -> 기저귀): the last word
    of the message that is a catalog head noun or ends with one (two syllables or more), not
    negated ("땅콩 없는") and not a purpose ("미역국 끓일")."""
    text = message or ""
    best = ()
    for m in _WORD.finditer(text):
        w = m.group(0)
        rest = text[m.end():]
        if _NEGATED_AFTER.match(rest) or _PURPOSE_AFTER.match(rest) or _PURPOSE_DAT.match(rest) or _FORM_AFTER.match(rest):
            continue
        # strip a trailing particle or copula ("기저귀는", "에어프라이어요")
        for cut in (w, re.sub(r"(?:은|는|이|가|을|를|요|도|로|으로|랑|이랑|하고|이요)$", "", w)):
            hit = next((cut[i:] for i in range(len(cut) - 1) if cut[i:] in vocabulary and len(cut[i:]) >= 2), None)
            if hit is None and len(cut) == 1 and sum(h.endswith(cut) for h in vocabulary) >= 2:
                hit = cut   # "작은 팬": a one-syllable word that ends several item nouns (프라이팬, 에그팬)
            if hit is None and len(cut) >= 2 and cut in getattr(vocabulary, "leaves", ()):
                hit = cut   # a shelf no product is named by ("견과류 땅콩 빼고": the 견과류 shelf)
            if hit and hit not in _NOT_ITEM:
                best = (hit,)
                break
    return best


# ---- pack size ---------------------------------------------------------------------------------
_QTY = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|g|ml|l|입|개|구|롤|매|봉|팩|포|정|병|캔|장|box)(?![a-z]|월|년|일|시|분)")
_COUNT = frozenset("입 개 구 롤 매 봉 팩 포 정 병 캔 장 box".split())


def quantities(text: str) -> frozenset[tuple[float, str]]:
    """Pack sizes written in a text, comparable across spellings: "3키로" = "3kg" = "3000g",
    "20개짜리" = "20입" (every count unit is one unit)."""
    from retrieval.analyzer import normalize_query

    t = (text or "").replace("키로", "kg").replace("킬로", "kg")
    t = normalize_query(re.sub(r"(?<![가-힣])(?:한|1)\s*판(?![가-힣])", " 30구 ", t))   # 계란 한 판 = 30구
    out = set()
    for num, unit in _QTY.findall(t):
        v = float(num)
        if unit in ("kg", "l"):
            v, unit = v * 1000, "g" if unit == "kg" else "ml"
        out.add((round(v, 3), "#" if unit in _COUNT else unit))
    return frozenset(out)


@dataclass(frozen=True)
class ItemQuery:
    """What the shopper asked for, as the rerank reads it."""

    heads: tuple[str, ...] = ()        # "모래"
    phrase: str = ""                   # "고양이모래" (keywords joined, spaces removed)
    message: str = ""                  # the request without spaces (was the accessory asked for?)
    sizes: frozenset = frozenset()     # pack sizes asked for ("3kg", "30구")
    leaves: frozenset = frozenset()    # heads that name a shelf ("계란"): its products are the item
    # where the asked item itself is filed: a longer head ending with it elsewhere is another
    # thing ("울샴푸" under 세탁세제 is not a 샴푸; "꼬마사과" under 사과·배 is a 사과)
    homes: frozenset = frozenset()
    # the request's other words that may be in the item's name ("키튼" 사료, "신생아" 기저귀, "구운"
    # of 구운계란): a negated word ("캡슐 말고") or a purpose ("미역국 끓일") is none of them
    words: tuple = ()
    # words of the request that the store's names of this item split on ("무선" of 이어폰,
    # "벤토나이트" of 모래): the asked kind, kept when any other condition is relaxed
    kind: tuple = ()
    # what the request says of the item besides its name, wanted or ruled out ("말린" 망고,
    # "카페인 없는" 차): met by the product's description or tags (`assistant.claims`)
    claims: tuple = ()
    # catalog head nouns that clip the asked one ("마요" of 마요네즈): the item where it is filed
    clips: frozenset = frozenset()
    # whom the request says the item is for ("어른용" -> adult): a product named for another is
    # not the item
    audience: str = ""

    @property
    def active(self) -> bool:
        return bool(self.heads)


def shelf_of_kind(message: str, heads: Sequence[str], vocabulary) -> str:
    """A shelf the request names by its first word and another noun ("식물성 우유": the
    두유·식물성음료 shelf, where no 우유 is filed and no product is named 식물성 우유): the one
    shelf word that starts with the word written before the item, when the item is not filed on
    that shelf. "식물성 유산균" is a product's name, so it stays the 유산균."""
    if len(heads) != 1:
        return ""
    h = heads[0]
    m = re.search(r"([가-힣]{2,})\s*" + re.escape(h) + r"(?![가-힣])", message or "")
    if not m or m.group(1) in vocabulary:
        return ""
    first = m.group(1)
    shelves = [w for w in getattr(vocabulary, "leaves", ()) if len(w) > len(first) and w.startswith(first)]
    if len(shelves) != 1:
        return ""
    shelf = shelves[0]
    on_shelf = getattr(vocabulary, "leaf_heads", {}).get(shelf, frozenset())
    cores = getattr(vocabulary, "cores", frozenset())
    if any(x.endswith(h) for x in on_shelf) or any(first + h in c for c in cores):
        return ""
    # the rest of the shelf word names a department or aisle ("음료"), not a thing ("캠핑소품")
    if not _broad(shelf[len(first):], vocabulary):
        return ""
    # the item's own shelves neither carry the word in their names ("식물성 완두 단백질") nor
    # share an aisle with that shelf ("아기 이유식" is next to 아기간식)
    homes = (getattr(vocabulary, "homes", {}).get(h, frozenset())
             or getattr(vocabulary, "shelf_paths", {}).get(h, frozenset()))
    aisles = {c.rsplit("/", 1)[0] for c in homes}
    shelf_aisles = {c.rsplit("/", 1)[0] for c in getattr(vocabulary, "shelf_paths", {}).get(shelf, ())}
    if aisles & shelf_aisles or any(first in w for c in homes for w in getattr(vocabulary, "names_on", {}).get(c, ())):
        return ""
    return shelf


_LIKE_AFTER = re.compile(r"^\s*(?:이랑|랑|와|과)?\s*(?:같은|비슷한|처럼|스러운)")


def like_example(message: str, keywords: Sequence[str], vocabulary) -> Sequence[str]:
    """"마요네즈 같은 소스": the example names the item and the word after it its kind (소스),
    so the keywords end at the example when the catalog sells it by name."""
    for i, k in enumerate(keywords[:-1]):
        if not k or not any(_LIKE_AFTER.match(message[m.end():]) for m in re.finditer(re.escape(k), message or "")):
            continue
        if item_heads((k,), vocabulary):
            return list(keywords[: i + 1])
    return keywords


# Packaging, not an item, when the request names what is in it: "한라봉 선물세트" asks for 한라봉
# (a 참치 선물세트 is still the item for "참치 선물세트": an accessory named in the request is the
# item, `features`); "선물세트 추천" alone keeps it.
_PACKAGING = frozenset({"선물세트", "기획세트"})


def own_kind_heads(heads: Sequence[str], keywords: Sequence[str], vocabulary) -> frozenset:
    """The heads that name one kind of a two-kind shelf (`Vocabulary.own_kind`: "참기름" of
    식용유·참기름), unless another word of the request names products on that shelf: "캐모마일
    티백" asks for the 캐모마일 티 filed on 녹차·티백, not for what is named 티백 (녹차 티백)."""
    own = getattr(vocabulary, "own_kind", frozenset())
    paths = getattr(vocabulary, "shelf_paths", {})
    names_on = getattr(vocabulary, "names_on", {})
    others = [norm(k) for k in keywords if len(norm(k)) >= 2 and norm(k) not in heads]
    return frozenset(h for h in heads if h in own and not any(
        o in name for p in paths.get(h, ()) for name in names_on.get(p, ()) for o in others))


def item_query(keywords: Sequence[str], message: str, vocabulary: set[str]) -> ItemQuery:
    keywords = like_example(message or "", list(keywords), vocabulary)
    unpacked = [k for k in keywords if norm(k) not in _PACKAGING]
    if unpacked and len(unpacked) < len(keywords):
        keywords = unpacked
    purpose = purpose_words(message, keywords)
    if purpose and len(purpose) < len([k for k in keywords if k]):
        keywords = [k for k in keywords if k not in purpose]
    heads = item_heads(keywords, vocabulary, message)
    shelf = shelf_of_kind(message, heads, vocabulary)
    if shelf:
        heads = (shelf,)
    heads = tuple(dict.fromkeys((*heads, *(e for h in heads for e in ITEM_EQUIVALENTS.get(h, ()) if e in vocabulary))))
    kws = [alias(k) for k in keywords if k and k not in _NOT_ITEM]
    asked = alias_text(unnegated(message))   # what the shopper asks for, ruled-out words left out
    message = alias_text(message)
    phrase = norm("".join(kws)) if len(kws) > 1 or (kws and heads and norm(kws[-1]) != heads[0]) else ""
    # a shelf decides only for a word no product is named by ("계란", "고기"); "모래" is named
    # by 두부 모래, so the 고양이모래 shelf (탈취제 too) is not the item
    own = own_kind_heads(heads, kws, vocabulary)
    leaves = frozenset(w for h in heads if h not in own and (len(h) == 1 or not any(v.endswith(h) for v in vocabulary))
                       for w in _shelves(h, vocabulary)) | ({shelf} if shelf else set())
    # a longer shelf the message spells out wins ("강아지 간식": the 강아지간식 shelf, not 간식·과자)
    spelled = frozenset(w for h in heads for w in getattr(vocabulary, "leaves", ())
                        if len(w) > len(h) and w.endswith(h) and w in norm(message))
    if leaves and spelled:
        leaves = spelled
    # the words of such a shelf written apart ("강아지 … 간식": 강아지간식), when none of that
    # shelf's products is named by the asked word (육포, 덴탈껌: the shelf is the item); not "고양이
    # 모래" (its 모래 are named 모래, and the 탈취제 beside them are not the item)
    if not spelled:
        shelf_heads = getattr(vocabulary, "leaf_heads", {})
        apart = frozenset(w for h in heads for w in getattr(vocabulary, "leaves", ())
                          if len(w) > len(h) and w.endswith(h) and norm(w[: -len(h)]) in norm(message)
                          and not any(x.endswith(h) for x in shelf_heads.get(w, ())))
        leaves = apart or leaves   # and it is narrower than the department the word names alone
    # only for an item the shopper wrote as a whole word ("세제", "샴프"): a cut of a longer
    # word ("휘핑크림" read as 크림) says too little about where the thing is filed
    whole = {norm(alias(k)) for k in keywords} | set(_WORD.findall(message))
    homes = frozenset(c for h in heads if h in whole for c in getattr(vocabulary, "homes", {}).get(h, ()))
    words = modifier_words(message, heads)
    return ItemQuery(heads, phrase, norm(asked), quantities(message) if heads else frozenset(), leaves, homes,
                     words, claims=_claims(message, heads, keywords),
                     clips=frozenset(c for h in heads for c in clippings(h, vocabulary)),
                     audience=request_audience(words))


def _claims(message: str, heads: Sequence[str], keywords: Sequence[str]) -> tuple:
    """`assistant.claims.request_claims` with the words that name the item left out."""
    if not heads:
        return ()
    from assistant.claims import request_claims

    naming = {norm(alias(k)) for k in keywords if any(norm(alias(k)).endswith(h) for h in heads)}
    return request_claims(message or "", tuple(sorted(set(heads) | naming)))


_PARTICLE = re.compile(r"(?:은|는|이|가|을|를|요|도|로|으로|랑|이랑|하고|이요|용)$")
# request words no product name carries (prices and the asking itself)
_MOD_STOP = frozenset("이하 이상 안쪽 이내 정도 미만 초과 추천 추천해줘 추천해주세요 있나요 있어요 있을까요 주세요 찾아주세요 "
                      "보여줘 알려줘 제일 가장 아무거나 그냥 좋은 싼거 싼 저렴한 하나 살라구요 사려고 "
                      "말고 없는 없이 빼고 대신 들어간 안들어간 알레르기 알러지 있는데".split())
_PRICE_WORD = re.compile(r"^\d*(?:[만천백]?원|만|천)|원$|^\d+$")


def modifier_words(message: str, heads: Sequence[str]) -> tuple[str, ...]:
    """The words of the request besides the item noun that a product's name may carry ("아기고양이
    키튼 사료" -> 아기고양이, 키튼; "구운계란" -> 구운). Negated ("캡슐 말고", "땅콩 없는") and purpose
    words ("미역국 끓일", but not who it is for: "애들 먹일") and prices are left out."""
    if not heads:
        return ()
    out: list[str] = []
    for m in _WORD.finditer(message or ""):
        rest = message[m.end():]
        # who it is for stays ("애들 먹일 유산균": 어린이 유산균), a dish it is for does not
        if _NEGATED_AFTER.match(rest) or ((_PURPOSE_AFTER.match(rest) or _PURPOSE_DAT.match(rest))
                                          and m.group(0) not in _AUDIENCE):
            continue
        w = m.group(0)
        if _PURPOSE_AFTER.match(w):    # the verb of a purpose ("끓일")
            continue
        for h in heads:
            if w.endswith(h):
                w = w[: -len(h)]      # "구운계란" -> "구운"; the head itself -> ""
        if len(w) < 2 or _PRICE_WORD.search(w) or w in _MOD_STOP or w in out:
            continue
        out.append(w)
    return tuple(out)


# Who an item is for, as shoppers and the store write it: "애들 먹일" meets "어린이 유산균".
_AUDIENCES = (("아이", "애", "애들", "아이들", "어린이", "키즈", "아동"), ("아기", "애기", "베이비", "유아"),
              ("강아지", "반려견", "애견", "멍멍이"), ("고양이", "반려묘", "애묘", "냥이"))
_AUDIENCE = {w: group for group in _AUDIENCES for w in group}
# Whom a product is for, by the words of its name, for a conflict with whom the request is for:
# "어른용 칫솔" is not the 어린이 칫솔 (a child's and a baby's things are close enough).
_FOR = {**{w: "child" for w in _AUDIENCES[0]}, **{w: "baby" for w in _AUDIENCES[1]},
        **{w: "dog" for w in _AUDIENCES[2]}, **{w: "cat" for w in _AUDIENCES[3]},
        **{w: "adult" for w in ("어른", "성인", "어른들")}}
_NEAR_FOR = {frozenset({"child", "baby"})}


def _for_of(word: str) -> str:
    w = word[:-1] if word.endswith("용") and len(word) > 2 else word
    return _FOR.get(w, "")


@lru_cache(maxsize=_NAME_CACHE)
def name_audience(name: str, brand: str = "", unit: str = "") -> frozenset:
    """Whom the product's name says it is for ("어린이 칫솔" -> child), by whole words."""
    return frozenset(a for a in map(_for_of, name_core(name, brand, unit).split()) if a)


def request_audience(words: Sequence[str]) -> str:
    """Whom the request says the item is for ("어른용", "애들"), or ""."""
    return next((a for a in map(_for_of, words) if a), "")


def audience_conflict(product, q: "ItemQuery") -> bool:
    """The product's name is for someone else than the request says (an 어린이 칫솔 for "어른용")."""
    if not q.audience:
        return False
    theirs = name_audience(product.name, getattr(product, "brand", ""), getattr(product, "unit", ""))
    return bool(theirs) and not any(a == q.audience or frozenset({a, q.audience}) in _NEAR_FOR for a in theirs)


def words_match(core: str, q: ItemQuery) -> int:
    """How many of the request's other words the name carries (a particle or a trailing
    syllable off: "대형견" matches "대형 배변패드"), at most MAX_WORDS."""
    n = 0
    for w in q.words:
        bare = _PARTICLE.sub("", w)
        # ("비타민C" is not matched by 종합비타민: only a Hangul syllable comes off)
        if w in core or (len(bare) >= 2 and bare in core) or (len(w) >= 3 and "가" <= w[-1] <= "힣" and w[:-1] in core):
            n += 1
        elif _verb_use(w, core):   # "구워먹을" and 삼겹살 "구이용"
            n += 1
        elif any(x in core for x in _AUDIENCE.get(w, _AUDIENCE.get(bare, ())) if len(x) >= 2):
            n += 1
    return min(n, MAX_WORDS)


def _verb_use(word: str, core: str) -> bool:
    """The name writes a use made of a verb of the request word ("구워먹을": 구이, of 굽다)."""
    if not any("가" <= ch <= "힣" for ch in word) or len(word) < 2:
        return False
    from assistant.claims import verb_nouns

    return any(n in core for n in verb_nouns(word))


def _heads_match(head: str, product, q: ItemQuery) -> bool:
    """The product's head noun is the asked one, or ends with it and the product is filed where
    the asked item is ("꼬마사과" is a 사과; "울샴푸", a laundry soap, is not a 샴푸)."""
    for h in q.heads:
        if head == h or (head.endswith(h) and (not q.homes or product is None or product.category in q.homes)):
            return True
    # a clipping of the asked noun filed where the asked item is ("마요" of 마요네즈)
    return head in q.clips and bool(q.homes) and product is not None and product.category in q.homes


def clippings(asked: str, vocabulary) -> frozenset[str]:
    """Catalog head nouns that clip the asked one, where what they leave off is no word ("마요"
    of 마요네즈: "네즈" ends no item noun). A shorter head that is a thing of its own before a
    word ("샴푸" of 샴푸바, "치킨" of 치킨너겟, "단백질" of 단백질바) is no clipping: the rest
    ("바", "너겟") is one syllable or ends an item noun."""
    out = set()
    for j in range(2, len(asked) - 1):
        head, rest = asked[:j], asked[j:]
        if head in vocabulary and not any(h.endswith(rest) for h in vocabulary if h != asked):
            out.add(head)
    return frozenset(out)


@lru_cache(maxsize=_NAME_CACHE)
def _core_key(name: str, brand: str = "", unit: str = "") -> str:
    """`name_core` without spaces: what the phrase and mention checks look in."""
    return norm(name_core(name, brand, unit))


def core_of(product) -> str:
    return _core_key(product.name, getattr(product, "brand", ""), getattr(product, "unit", ""))


def features(product, q: ItemQuery) -> dict[str, float]:
    if not q.active:
        return {}
    head = head_of(product)
    core = core_of(product)
    is_head = _heads_match(head, product, q) or bool(q.leaves & _leaf_words(product)) or shelf_sized(product, q)
    mentioned = not is_head and any(h in core for h in q.heads)
    if audience_conflict(product, q):   # an 어린이 칫솔 for "어른용 칫솔": another thing
        is_head = mentioned = False
    # An accessory the shopper asked for by name ("에어프라이어 종이호일") is the item itself.
    if mentioned and head and head in q.message:
        is_head, mentioned = True, False
    # A compound of the asked word filed where that word's things are ("홍삼정", "샴푸바") is the item.
    if mentioned and compound_item(head, product, q):
        is_head, mentioned = True, False
    size = size_match(product, q)
    return {"head": float(is_head), "phrase": float(bool(q.phrase) and q.phrase in core),
            "mention": float(mentioned), "foreign": float(not is_head and not mentioned), "size": float(size),
            "words": float(words_match(core, q)) if is_head else 0.0,   # orders the item itself only
            "desc": float(desc_match(product, q)) if is_head else 0.0}


def desc_match(product, q: ItemQuery) -> int:
    """How many of the request's claims ("말린", "카페인 없는") the product's description or tags
    meet, at most MAX_WORDS (`assistant.claims.meets`)."""
    if not q.claims:
        return 0
    from assistant.claims import meets

    return min(meets(q.claims, getattr(product, "description", "") or "", product.name,
                     getattr(product, "tags", ()) or ()), MAX_WORDS)


def compound_item(head: str, product, q: ItemQuery) -> bool:
    """A compound of the asked word filed on the shelf named by that word ("홍삼정" on the 홍삼
    shelf) or where the asked item itself is filed ("샴푸바" beside the 샴푸s): that kind of thing,
    not an accessory of it (종이호일 on the 에어프라이어 shelf does not start with it). A request
    that names a longer compound ("비타민C") asks for that one: a 비타민D stays another thing."""
    return (product is not None and any(head.startswith(h) and len(head) > len(h) for h in q.heads)
            and (on_named_shelf(product, q) or product.category in q.homes)
            and not any(w.startswith(h) and len(w) > len(h) for h in q.heads for w in (q.phrase, *q.words)))


def on_named_shelf(product, q: ItemQuery) -> bool:
    """The product's shelf is named by the asked word alone (the 아이스크림 shelf for
    "아이스크림", the 홍삼 shelf for "홍삼"): whatever it holds is that kind of thing."""
    return product.category.rsplit("/", 1)[-1] in q.heads


def shelf_sized(product, q: ItemQuery) -> bool:
    """A product of the asked pack size on the shelf named by the asked word alone ("쌀 4kg": the
    신동진 백미 4kg on the 쌀 shelf, though its name says 백미): the shelf says what it is, the
    size that it is the pack asked for. A shelf of two words ("사과·배") says neither alone."""
    return bool(q.sizes) and on_named_shelf(product, q) and size_match(product, q)


def size_match(product, q: ItemQuery) -> bool:
    """The pack size the shopper asked for is this product's ("사과 3kg" and 충주 사과 3kg)."""
    return bool(q.sizes) and bool(q.sizes & quantities(product.name + " " + (getattr(product, "unit", "") or "")))


# a use ("찌개용", "선물용") or who it is for ("아기 과자"): the store's names of the item need
# not say it (a 쌀과자 is a baby snack), so it orders the item, it does not split it
_USE_OR_AUDIENCE = re.compile(r"용$|^(?:아기|애기|유아|어린이|아이|아이들|애|애들|키즈|아동|베이비|돌쟁이|신생아용|어른|성인|노인|부모님|엄마|아빠|"
                              r"강아지|고양이|반려견|반려묘|애견|애묘|멍멍이|냥이)$")


def kind_words(q: ItemQuery, rows: Sequence[tuple], conditions: Sequence[str] = ()) -> tuple[str, ...]:
    """The request's words that split the store's items of the asked kind (some of their names
    carry the word, some do not: "무선" of 무선/유선 이어폰, "신생아" of 신생아/수영장 기저귀).
    `rows`: `item_rows(catalog)`; `conditions`: tag and allergen words, handled as conditions."""
    if not q.active or not q.words:
        return ()
    every = [core for _, p, head, core in rows if is_item(head, core, q, p)]
    cores = every
    if q.leaves:   # items found by their shelf: only those named for the item say its kinds
        cores = [core for core in cores if any(h[-2:] in core for h in q.heads)]
    out = []
    for w in q.words:
        if any(c and (c in w or w in c) for c in conditions) or _USE_OR_AUDIENCE.search(w):
            continue
        # a use the names write with the verb's noun ("구워먹을": 목살 구이용) splits every item
        # of the shelf, named for the item or not
        if cores is not every and any(_verb_use(w, core) for core in every):
            cores = every
        if len(cores) < 2:
            continue
        one = replace(q, words=(w,))
        n = sum(1 for core in cores if words_match(core, one))
        # a kind some item is: with the kinds already kept, some item's name carries them all
        # ("드럼 세탁기 세제": 드럼용 세제 and 세탁기 전용 세제 are two kinds, no 세제 is both)
        both = replace(q, words=(*out, w))
        if 0 < n < len(cores) and any(words_match(core, both) >= min(len(out) + 1, MAX_WORDS) for core in cores):
            out.append(w)
    return tuple(out)


def item_shelves(q: ItemQuery, rows: Sequence[tuple]) -> frozenset[str]:
    """The category paths that hold the asked item, of any kind (`rows`: `item_rows(catalog)`):
    the shelf a near alternative may come from when no item meets a hard condition."""
    plain = replace(q, kind=())
    return frozenset(p.category for _, p, head, core in rows if is_item(head, core, plain, p))


def noun_family(q: ItemQuery, rows: Sequence[tuple]) -> tuple[str, ...]:
    """The shorter noun the asked head ends with that other items' heads end with too
    ("치즈과자" -> 과자 of 쌀과자, "된장찌개" -> 찌개 of 부대찌개): items of a near kind.
    Two syllables at least; empty when no other head shares it ("커피머신")."""
    heads = {head for _, _, head, _ in rows}
    out = []
    for h in q.heads:
        for i in range(1, len(h) - 1):
            suffix = h[i:]
            if any(x.endswith(suffix) and not x.endswith(h) for x in heads):
                out.append(suffix)
                break
    return tuple(out)


def kind_match(product, q: ItemQuery) -> bool:
    """The product's name carries every kind word of the request (`kind_words`)."""
    return not q.kind or words_match(core_of(product), replace(q, words=q.kind)) >= min(len(q.kind), MAX_WORDS)


def phrase_match(product, q: ItemQuery) -> bool:
    """The whole request phrase is in the product's name ("무선이어폰" in "무선 이어폰")."""
    return bool(q.phrase) and q.phrase in core_of(product)


def is_item(head: str, core: str, q: ItemQuery, product=None) -> bool:
    """`tier(product, q) == 2` from the product's `head_of` and `core_of` (no dict built);
    `product` for a shelf-named item ("계란": its shelf's products)."""
    if product is not None and audience_conflict(product, q):
        return False
    if _heads_match(head, product, q):
        return True
    if q.leaves and product is not None and (q.leaves & _leaf_words(product)):
        return True
    if product is not None and shelf_sized(product, q):
        return True
    if any(h in core for h in q.heads) and compound_item(head, product, q):
        return True
    return bool(head) and head in q.message and any(h in core for h in q.heads)


_ROWS: dict[int, tuple[dict, list[tuple]]] = {}
_ROWS_LOCK = threading.Lock()


def item_rows(catalog: dict) -> list[tuple]:
    """[(id, product, head noun, core without spaces)] of a catalog dict, computed once per
    catalog (every search scans the whole catalog for the asked item). Checked against the
    dict on every call, so a changed catalog is recomputed, never served stale."""
    with _ROWS_LOCK:
        got = _ROWS.get(id(catalog))
    if got is not None and got[0] is catalog and len(got[1]) == len(catalog) \
            and all(catalog.get(pid) is product for pid, product, _, _ in got[1]):
        return got[1]
    rows = [(pid, p, head_of(p), core_of(p)) for pid, p in catalog.items()]
    with _ROWS_LOCK:
        if len(_ROWS) >= 8:                  # tests build many small catalogs
            _ROWS.pop(next(iter(_ROWS)))
        _ROWS[id(catalog)] = (catalog, rows)   # holds the dict, so its id is not reused
    return rows


def tier(product, q: ItemQuery) -> int:
    """2 = the item itself, 1 = an accessory/consumable of it, 0 = something else (or no item asked)."""
    f = features(product, q)
    return 2 if f.get("head") else 1 if f.get("mention") else 0


def score(product, base: float, q: ItemQuery) -> float:
    f = features(product, q)
    return base + sum(WEIGHTS[k] * v for k, v in f.items())
