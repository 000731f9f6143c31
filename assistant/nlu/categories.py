"""Category words -> catalog categories, with the context a Korean shopper means.

`resolve_categories(text, keywords, lexicon)` maps words to catalog categories at every
level of the "top/mid/leaf" tree. A leaf comes back as its full path
("반려동물/강아지/강아지간식"); a top or mid level as its segment name ("간식·과자"), which
`grounding.violations` matches against any path segment. Context decides ambiguous words:
- "간식"/"과자" alone are human snacks (간식·과자); with 반려견/강아지/댕댕이 the dog snack
  leaf, with 고양이/냥이/반려묘 the cat one, with 아기/유아 the baby snack leaf;
- "먹을", "먹기 좋은", "식품", "음식", "반찬" restrict to food: non-food categories that a
  word such as "캠핑" matched are dropped, and with no food category left the food tops
  themselves become the categories ("캠핑 갈 때 먹을 간편조리 식품" never finds a gas can).
`food_scope(categories, keywords)` says whether a search is about food (True), clearly not
(False) or cannot tell (None); the dialogue uses it to keep remembered diets off detergent.
`DEFAULT_CATEGORY_PATHS` mirrors the store catalog's tree for the built-in lexicon.
Leaves out: keyword extraction (nlu.keywords) and retrieval filters (grounding).
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

from assistant.nlu.slots import find_terms
from store.domain import FOOD_SEGMENTS_ELSEWHERE
from store.domain import is_food_category as _domain_is_food

_TREE = """
가공식품: 두부·김치/김치 두부·김치/두부 라면·면/국수·파스타 라면·면/라면 베이커리·시리얼/시리얼·그래놀라
  베이커리·시리얼/식빵·베이커리 소스·양념/소스·드레싱 소스·양념/식용유·참기름 소스·양념/장류
  즉석식품/즉석국·찌개 즉석식품/즉석밥 즉석식품/통조림
간식·과자: 견과·건과/견과류 견과·건과/말린과일 과자/스낵 과자/쿠키·비스킷 떡·전통간식/떡
  초콜릿·캔디/젤리·사탕 초콜릿·캔디/초콜릿
건강식품: 단백질·다이어트/닭가슴살 단백질·다이어트/프로틴 비타민·영양제/비타민 비타민·영양제/유산균 홍삼·전통건강/홍삼
냉동식품: 냉동육가공/너겟·돈까스 만두·간편식/만두 만두·간편식/볶음밥·피자 아이스크림/아이스크림
반려동물: 강아지/강아지간식 강아지/강아지사료 강아지/배변용품 고양이/고양이모래 고양이/고양이사료·간식
뷰티·퍼스널케어: 구강용품/치약·칫솔 스킨케어/선케어 스킨케어/스킨·로션 헤어·바디/바디워시·로션 헤어·바디/샴푸·린스
생활용품: 수납·정리/수납용품 욕실용품/욕실용품 화장지·티슈/화장지
세제·위생: 세탁세제/섬유유연제 세탁세제/세탁세제 주방·청소세제/주방세제 주방·청소세제/청소용품
소형가전·디지털: 디지털액세서리/이어폰·스피커 디지털액세서리/충전기·케이블 주방가전/에어프라이어 주방가전/전기포트·커피머신
신선식품: 과일/감귤·만감류 과일/딸기·베리 과일/바나나·열대과일 과일/사과·배 수산/김·해조류 수산/새우·갑각류 수산/생선
  수산/조개·해산물 쌀·잡곡/쌀 쌀·잡곡/잡곡 정육·계란/계란 정육·계란/닭·오리 정육·계란/돼지고기 정육·계란/소고기
  채소/버섯 채소/뿌리채소 채소/양파·마늘·파 채소/열매채소 채소/잎채소·쌈채소
유아동: 기저귀·물티슈/기저귀 기저귀·물티슈/물티슈 유아용품/수유·식기 이유식·아기간식/아기간식 이유식·아기간식/이유식
유제품: 요거트/요거트 우유/우유 치즈·버터/버터·크림 치즈·버터/치즈
음료·커피·차: 생수·탄산/생수 생수·탄산/탄산음료 주스·식물성음료/두유·식물성음료 주스·식물성음료/주스 차/녹차·티백
  커피/원두·드립백 커피/캡슐·인스턴트
주방용품: 보관용기/밀폐용기·지퍼백 조리도구/조리소도구 조리도구/프라이팬·냄비
캠핑·레저: 캠핑용품/랜턴·캠핑소품 캠핑용품/버너·연료
"""


def _parse_tree(tree: str) -> tuple[str, ...]:
    paths: list[str] = []
    top = ""
    for line in tree.strip().splitlines():
        if ":" in line:
            top, line = line.split(":", 1)
        paths += [f"{top.strip()}/{mid_leaf}" for mid_leaf in line.split()]
    return tuple(paths)


DEFAULT_CATEGORY_PATHS: tuple[str, ...] = _parse_tree(_TREE)

# Keywords that name non-food goods when no category was recognised.
NON_FOOD_WORDS = (
    "세제", "휴지", "화장지", "티슈", "샴푸", "린스", "치약", "칫솔", "기저귀", "물티슈", "버너", "가스", "랜턴",
    "충전기", "케이블", "이어폰", "스피커", "냄비", "프라이팬", "밀폐용기", "지퍼백", "수납", "로션", "선크림",
    "바디워시", "모래", "배변", "세정제", "섬유유연제", "청소", "수세미", "고무장갑", "건전지", "마스크", "에어프라이어",
)
_SHORT_ALIASES = ("쌀", "빵", "김", "떡", "꿀", "귤")

DOG = re.compile(r"반려견|강아지|댕댕이|멍멍이|애견|퍼피|견용|(?<![가-힣])개\s?(?:간식|사료|껌|용)")
CAT = re.compile(r"반려묘|고양이|냥이|냥냥이|야옹이|애묘|묘용|(?<![가-힣])캣")
PET = re.compile(r"반려동물|펫(?!트)|애완")
BABY = re.compile(r"아기|유아(?!동)|이유식|애기|베이비|돌\s?아기|영유아")
FOOD_CUE = re.compile(
    r"먹을|먹기|먹는|먹일|드실|드시기|마실|마시기|식품|음식|반찬|먹거리|식재료|요리\s?재료|끼니|식사|야식|안주|간편식"
)
# Generic product words whose shelf depends on who eats it.
_PET_WORDS = {"간식": "간식", "과자": "간식", "사료": "사료", "밥": "사료", "모래": "모래", "배변": "배변"}
_BABY_WORDS = ("간식", "과자")


def is_food_category(category: str) -> bool:
    """Food or not, for a full path or a single segment (`store.domain.is_food_category`).

    >>> is_food_category("간식·과자"), is_food_category("캠핑·레저/캠핑용품/버너·연료")
    (True, False)
    >>> is_food_category("유아동/이유식·아기간식/아기간식"), is_food_category("이유식·아기간식")
    (True, True)
    """
    return _domain_is_food(category, _TOP_OF)


_TOP_OF = {seg: p.split("/")[0] for p in DEFAULT_CATEGORY_PATHS for seg in p.split("/")}


def food_scope(categories: Iterable[str], keywords: Iterable[str] = ()) -> bool | None:
    """True when the search is about food, False when it is clearly not, None when unknown.

    >>> food_scope(["세제·위생"]), food_scope([], ["세제"]), food_scope([], ["선물세트"])
    (False, False, None)
    """
    cats = list(categories)
    if cats:
        return any(is_food_category(c) for c in cats)
    if any(w in k for k in keywords for w in NON_FOOD_WORDS):
        return False
    return None


@functools.lru_cache(maxsize=8)
def _aliases(paths: tuple[str, ...]) -> dict[str, tuple[tuple[int, str, str], ...]]:
    """alias -> ((depth, value, full path of the first leaf under it), ...)."""
    index: dict[str, list[tuple[int, str, str]]] = {}
    for path in paths:
        parts = path.split("/")
        for depth, seg in enumerate(parts):
            value = path if depth == len(parts) - 1 else seg
            names = {seg} | {a.strip() for a in re.split(r"[·,&]", seg)}
            for name in names:
                if len(name) >= 2 or name in _SHORT_ALIASES:
                    entries = index.setdefault(name, [])
                    if not any(v == value for _, v, _ in entries):
                        entries.append((depth, value, path))
    return {k: tuple(v) for k, v in index.items()}


def _under(path: str, segment: str) -> bool:
    return segment in path.split("/")


def _leaf_of(value: str, paths: tuple[str, ...]) -> str:
    """A full path for a found value (itself when it is one, else a path holding the segment)."""
    if "/" in value:
        return value
    return next((p for p in paths if _under(p, value)), value)


def _pet_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k for k, rx in (("강아지", DOG), ("고양이", CAT)) if rx.search(text))
    return kinds or (("강아지", "고양이") if PET.search(text) else ())


def resolve_categories(text: str, keywords: Iterable[str], paths: tuple[str, ...],
                       context: str | None = None) -> list[str]:
    """Categories meant by `text` (normalized, slot spans masked) and its keywords;
    `context` (the whole normalized message, default `text`) decides pets and food.

    >>> resolve_categories("간식 추천해줘", ["간식"], DEFAULT_CATEGORY_PATHS)
    ['간식·과자']
    >>> resolve_categories("반려견 간식", ["반려견", "간식"], DEFAULT_CATEGORY_PATHS)
    ['반려동물/강아지/강아지간식']
    >>> resolve_categories("캠핑 갈 때 먹을 식품", ["캠핑", "식품"], DEFAULT_CATEGORY_PATHS)[:2]
    ['가공식품', '간식·과자']
    >>> resolve_categories("고양이 두부모래", ["고양이", "두부모래"], DEFAULT_CATEGORY_PATHS)
    ['반려동물/고양이/고양이모래']
    """
    index = _aliases(paths)
    context = text if context is None else context
    pets = _pet_kinds(context)
    baby = bool(BABY.search(context))
    # a word of a compound followed by the compound's head is a modifier ("두부모래" is 모래
    # made of tofu, no 두부): the head names the shelf
    heads = set(index) | (set(_PET_WORDS) if pets else set())
    words = [term for term, (s, e) in find_terms(text, index)
             if not (m := re.match(r"[가-힣]+", text[e:]))   # the head, then maybe a particle ("두부모래로")
             or not any(m.group()[:k] in heads for k in range(2, len(m.group()) + 1))]
    words += [k for k in keywords if k in index and not any(k in w for w in words)]
    if pets:
        words += [w for w in _PET_WORDS if w in context and w not in words]
    found: list[str] = []

    def add(value: str) -> None:
        if value not in found:
            found.append(value)

    for word in words:
        entries = list(index.get(word, ()))
        if pets and word in _PET_WORDS:
            leaves = [p for p in paths if _under(p, "반려동물") and any(_under(p, k) for k in pets)
                      and _PET_WORDS[word] in p.rsplit("/", 1)[-1]]
            if leaves:
                for leaf in leaves:
                    add(leaf)
                continue
        if baby and not pets and word in _BABY_WORDS:
            leaves = [p for p in paths if p.rsplit("/", 1)[-1] == "아기간식"]
            if leaves:
                add(leaves[0])
                continue
        pet_entries = [e for e in entries if _under(e[2], "반려동물")]
        if pet_entries and len(pet_entries) < len(entries):
            # "간식" names a human shelf and a pet one: the pet one only when a pet was named
            entries = pet_entries if pets else [e for e in entries if e not in pet_entries]
        # within one branch the most specific level wins ("커피" mid over "음료·커피·차" top)
        deepest = [e for e in entries if not any(o is not e and o[0] > e[0] and _under(o[2], e[1])
                                                 for o in entries)]
        for _, value, _ in deepest:
            add(value)
    # "강아지 간식", "캠핑 버너": the broader word sets the scene, the narrower one is wanted
    found = [f for f in found if not any(o != f and _under(_leaf_of(o, paths), f) for o in found)]
    if pets and not any(_under(f, "반려동물") or f in ("강아지", "고양이") for f in found):
        for kind in pets:
            if any(_under(p, kind) and _under(p, "반려동물") for p in paths):
                add(kind)  # "반려견 용품": the pet's whole shelf
    if FOOD_CUE.search(context) and not pets:
        found = [f for f in found if is_food_category(f)]
        if not found:
            found = food_tops(paths)
    return found


def food_tops(paths: tuple[str, ...]) -> list[str]:
    """Every food shelf of the catalog: the food top levels, plus food mids elsewhere."""
    out: list[str] = []
    for p in paths:
        parts = p.split("/")
        top = parts[0]
        if is_food_category(top):
            value = top
        else:
            value = next((s for s in parts if s in FOOD_SEGMENTS_ELSEWHERE), "")
        if value and value not in out:
            out.append(value)
    return sorted(out)
