"""Check that an eval query's constraints are said by its text, and nothing it says is missing.

A small, independent reading of the query (its own price-phrase parser and cue tables, not
the assistant's NLU) so that a label typed into `query_specs.py` is checked against the words:

- price: the text's price phrase gives (min, max): "N천원대"/"N만원대" -> [N*unit, (N+1)*unit - 1],
  "... 이하/안쪽/까지/안으로/안 넘는/이내" -> (None, amount). The labels must equal it exactly.
- excluded_allergens: each allergen must be named (or a food that is it, e.g. 계란 -> 알류,
  밀가루 -> 밀, 고기 -> 돼지고기/쇠고기/닭고기) before an exclusion word (알레르기, 없는, 빼고, ...).
- required_tags: each tag needs a cue word (대용량 only for 대용량/큰 거/벌크/대량).
- category: the text must name the category's deepest level (or a plain synonym of it).

Leaves out: whether the relevant ids fit the constraints (the validator checks that).

    python -m store.datagen.query_check data/eval/queries_dev.jsonl data/eval/queries_test.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
# amount of won: optional "N만", optional "N천", optional plain digits, then 원
_AMOUNT = re.compile(r"(?<!\d)(?:(\d+|[일이삼사오육칠팔구십]?)만)?(?:(\d+|[일이삼사오육칠팔구]?)천)?(\d+)?원")
_MAX_WORDS = ("이하", "안쪽", "까지", "안으로", "안넘", "이내", "아래", "밑으로")
_MIN_WORDS = ("이상", "넘는", "넘게")
_EXCLUDE_WORDS = ("알레르기", "알러지", "없는", "없이", "빼고", "안들어간", "안든", "못먹는", "제외")

ALLERGEN_CUES: dict[str, tuple[str, ...]] = {
    "땅콩": ("땅콩",), "우유": ("우유",), "계란": ("알류",), "달걀": ("알류",), "알류": ("알류",),
    "밀가루": ("밀",), "밀": ("밀",), "대두": ("대두",), "콩": ("대두",), "새우": ("새우",),
    "복숭아": ("복숭아",), "고기": ("돼지고기", "쇠고기", "닭고기"), "돼지고기": ("돼지고기",),
    "소고기": ("쇠고기",), "쇠고기": ("쇠고기",), "닭고기": ("닭고기",), "게": ("게",), "호두": ("호두",),
    "잣": ("잣",), "메밀": ("메밀",), "오징어": ("오징어",), "고등어": ("고등어",), "토마토": ("토마토",),
    "조개": ("조개류",), "굴": ("조개류",), "전복": ("조개류",), "홍합": ("조개류",),
}
TAG_CUES: dict[str, tuple[str, ...]] = {
    "비건": ("비건", "vegan", "채식", "식물성"), "저당": ("저당", "당적은", "당이적은"),
    "무가당": ("무가당", "설탕안들어간", "설탕없는", "무설탕"), "유기농": ("유기농", "organic", "오가닉"),
    "락토프리": ("락토프리", "유당프리"), "고단백": ("고단백", "단백질많"), "저염": ("저염", "싱거운", "덜짠"),
    "대용량": ("대용량", "큰거", "큰용량", "벌크", "대량"), "1인가구": ("1인", "혼자", "혼밥", "자취", "소포장"),
    "동물복지": ("동물복지",), "무항생제": ("무항생제",), "선물용": ("선물",),
    "제로칼로리": ("제로칼로리", "칼로리없는", "0칼로리"), "저지방": ("저지방", "지방적은"),
    "무향": ("무향", "향없는"), "리필": ("리필",), "친환경": ("친환경", "환경생각"),
    "저자극": ("저자극", "민감성", "순한"), "글루텐프리": ("글루텐프리", "glutenfree"),
}
# tags that must be labeled whenever the text says them (others may be left to the concept words
# when the catalog does not carry the tag, e.g. "버터쿠키 선물": no cookie is tagged 선물용)
ALWAYS_LABELED = ("대용량",)
# a category's deepest level -> words that name it (besides its own "·"-separated parts)
CATEGORY_CUES: dict[str, tuple[str, ...]] = {
    "간식·과자": ("스낵",), "유제품": ("우유", "요거트", "치즈"), "단백질·다이어트": ("단백", "프로틴"),
    "라면·면": ("국수",), "사과·배": ("사과",), "돼지고기": ("삼겹",), "유산균": ("프로바이오틱스",),
    "아기간식": ("아기과자", "애기과자", "떡뻥"), "세탁세제": ("빨래세제",), "강아지": ("강쥐",),
    "고양이": ("냥이",), "고양이모래": ("냥이모래",), "식빵·베이커리": ("빵",), "베이커리·시리얼": ("빵",),
    "견과류": ("견과",), "음료·커피·차": ("음료", "커피"), "즉석국·찌개": ("즉석국",),
}


def _number(text: str) -> int:
    if not text:
        return 1
    if text.isdigit():
        return int(text)
    return _SINO.get(text, 10 if text == "십" else 1)


def price_bounds(query: str) -> tuple[int | None, int | None] | None:
    """(min, max) the query's price phrase says, or None when it names no price.

    >>> price_bounds("저지방 우유 천원대?"), price_bounds("두유 만원대"), price_bounds("만오천원 이하")
    ((1000, 1999), (10000, 19999), (None, 15000))
    >>> price_bounds("3만원 안 넘는거"), price_bounds("보조 배터리 만mAh")
    ((None, 30000), None)
    """
    text = re.sub(r"\s+", "", query)
    for m in _AMOUNT.finditer(text):
        man, cheon, plain = m.group(1), m.group(2), m.group(3)
        has_man, has_cheon = m.group(0).find("만") >= 0, m.group(0).find("천") >= 0
        if not (has_man or has_cheon or plain):
            continue
        amount = (_number(man) * 10000 if has_man else 0) + (_number(cheon) * 1000 if has_cheon else 0)
        amount += int(plain) if plain else 0
        rest = text[m.end():]
        if rest.startswith("대"):
            unit = 1000 if has_cheon else 10000 if has_man else 10 ** (len(plain) - len(plain.rstrip("0")))
            return amount, amount + unit - 1
        if rest.startswith(_MAX_WORDS):
            return None, amount
        if rest.startswith(_MIN_WORDS):
            return amount, None
        return None, None  # a bare amount ("만원짜리"): a price, but no bound we can label
    return None


def excluded_allergens(query: str) -> set[str]:
    """Allergens the text excludes: a named food followed (later in the text) by an exclusion word.

    >>> sorted(excluded_allergens("우유 계란 없는 쿠키")), sorted(excluded_allergens("콩 알러지 라면"))
    (['알류', '우유'], ['대두'])
    >>> excluded_allergens("저지방 우유 2천원대"), excluded_allergens("돼지고기 없는 만두")
    (set(), {'돼지고기'})
    """
    text = re.sub(r"\s+", "", query)
    out: set[str] = set()
    for word, allergens in ALLERGEN_CUES.items():
        if len(word) == 1:  # "콩", "밀", "게", "굴", "잣": only as a word of their own right before the exclusion
            pattern = rf"(?:^|\s){word}\s*(?:{'|'.join(_EXCLUDE_WORDS)})"
            if re.search(pattern, query.replace("안 들", "안들")):
                out.update(allergens)
            continue
        for m in re.finditer(word, text):
            if word == "고기" and text[max(0, m.start() - 2):m.start()].endswith(("돼지", "소", "쇠", "닭")):
                continue  # part of 돼지고기/소고기/닭고기, counted under that word
            if any(w in text[m.end():] for w in _EXCLUDE_WORDS):
                out.update(allergens)
    return out


def tag_supported(query: str, tag: str) -> bool:
    text = re.sub(r"\s+", "", query).lower()
    return any(cue in text for cue in TAG_CUES.get(tag, (tag,)))


def category_supported(query: str, category: str) -> bool:
    text = re.sub(r"\s+", "", query)
    deepest = category.rstrip("/").split("/")[-1]
    words = tuple(w for w in deepest.split("·") if w) + CATEGORY_CUES.get(deepest, ())
    return any(w in text for w in words)


def problems(query: str, cons: dict) -> list[tuple[str, str]]:
    """(constraint key, reason) for each label the text does not support or a stated one left out."""
    out: list[tuple[str, str]] = []
    said = price_bounds(query) or (None, None)
    if (cons.get("min_price"), cons.get("max_price")) != said:
        key = "min_price" if cons.get("min_price") != said[0] else "max_price"
        out.append((key, f"price labels {(cons.get('min_price'), cons.get('max_price'))} but the text says {said}"))
    labeled, stated = set(cons.get("excluded_allergens", ())), excluded_allergens(query)
    if labeled != stated:
        out.append(("excluded_allergens", f"labels {sorted(labeled)} but the text excludes {sorted(stated)}"))
    tags = cons.get("required_tags", ())
    out += [("required_tags", f"tag {t} not said") for t in tags if not tag_supported(query, t)]
    out += [("required_tags", f"tag {t} said but not labeled") for t in ALWAYS_LABELED
            if t not in tags and tag_supported(query, t)]
    if cons.get("category") and not category_supported(query, cons["category"]):
        out.append(("category", f"category {cons['category']} not named"))
    return out


def unlabeled_tags(query: str, cons: dict) -> list[str]:
    """Tags the text says that the labels leave out (informational, except ALWAYS_LABELED)."""
    return [t for t in TAG_CUES if t not in cons.get("required_tags", ()) and tag_supported(query, t)]


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m store.datagen.query_check", description=__doc__.split("\n\n")[0],
                                epilog="example: python -m store.datagen.query_check data/eval/queries_test.jsonl")
    p.add_argument("files", nargs="+", type=Path, help="queries_*.jsonl files")
    p.add_argument("--list", action="store_true", help="print every problem, not only the counts")
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    counts: Counter[str] = Counter()
    rows = bad = unlabeled = 0
    for path in args.files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("type") != "product":
                continue
            rows += 1
            found = problems(row["query"], row.get("constraints", {}))
            extra = unlabeled_tags(row["query"], row.get("constraints", {}))
            unlabeled += len(extra)
            if args.list and extra:
                print(f"{row['id']}\t{row['query']}\t(info) tags said, not labeled: {extra}")
            bad += bool(found)
            for key, reason in found:
                counts[key] += 1
                if args.list:
                    print(f"{row['id']}\t{row['query']}\t{reason}")
    print(f"product queries: {rows}, with a problem: {bad}")
    for key in ("min_price", "max_price", "excluded_allergens", "required_tags", "category"):
        print(f"  {key}: {counts[key]}")
    print(f"(info) tags said but not labeled: {unlabeled}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
