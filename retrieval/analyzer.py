"""Korean analyzer for BM25: kiwipiepy morphemes, a tag filter, lemmas, units, mixed terms.

Pipeline: `normalize_query` (NFKC, lowercase, Korean-English mixed terms mapped to one
Korean spelling, numbers with units turned into single tokens such as `1.5l`, `6입`), then
Kiwi morphemes kept when their tag (suffix `-I`/`-R` of irregular verbs stripped first) is
in `KEEP_TAGS`, verbs/adjectives as lemmas (`걷다`). Leaves out: spelling correction and
synonyms beyond the small mixed-term table.

Example:
    >>> Analyzer().tokenize("Greek yogurt 2개입 골라줘")
    ['그릭요거트', '2입', '고르다']
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from typing import Iterable, Sequence

KEEP_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SL", "SH", "SN", "XR", "VV", "VA", "MAG"})
LEMMA_TAGS = frozenset({"VV", "VA"})
ANALYZER_VERSION = "kiwi-v1"

# Korean-English mixes and spacing variants, mapped to one Korean spelling (applied to
# queries and documents alike, so both sides meet on the same token).
MIXED_TERMS: dict[str, str] = {
    "protein bar": "프로틴바", "프로틴 바": "프로틴바", "protein": "프로틴",
    "greek yogurt": "그릭요거트", "그릭 요거트": "그릭요거트", "greek yoghurt": "그릭요거트",
    "yogurt": "요거트", "yoghurt": "요거트", "요거트": "요거트",
    "oat milk": "오트밀크", "귀리 우유": "오트밀크", "귀리우유": "오트밀크", "오트 밀크": "오트밀크",
    "almond milk": "아몬드우유", "아몬드 우유": "아몬드우유", "milk": "우유",
    "cold brew": "콜드브루", "콜드 브루": "콜드브루", "coffee": "커피",
    "chicken breast": "닭가슴살", "닭 가슴살": "닭가슴살",
    "gluten free": "글루텐프리", "gluten-free": "글루텐프리", "글루텐 프리": "글루텐프리",
    "lactose free": "락토프리", "락토 프리": "락토프리",
    "sugar free": "무설탕", "sugar-free": "무설탕", "zero sugar": "제로슈거", "제로 슈거": "제로슈거",
    "vegan": "비건", "organic": "유기농", "granola": "그래놀라", "cereal": "시리얼",
    "sparkling water": "탄산수", "juice": "주스", "쥬스": "주스", "cheese": "치즈",
    "chocolate": "초콜릿", "초콜렛": "초콜릿", "tofu": "두부", "kimchi": "김치", "ramen": "라면",
    "banana": "바나나", "salad": "샐러드", "eggs": "계란", "egg": "계란", "달걀": "계란",
    "refund": "환불", "coupon": "쿠폰", "membership": "멤버십", "멤버쉽": "멤버십",
    "laptop": "노트북", "랩탑": "노트북",
}

_COUNT_UNITS = {"입": "입", "개입": "입", "개": "개", "팩": "팩", "봉": "봉", "봉지": "봉",
                "매": "매", "구": "구", "병": "병", "캔": "캔", "롤": "롤", "장": "장",
                "포": "포", "정": "정", "인분": "인분", "박스": "box", "box": "box", "p": "입"}
_MEASURE_UNITS = {"kg": "kg", "킬로그램": "kg", "킬로": "kg", "g": "g", "그램": "g", "mg": "mg",
                  "ml": "ml", "밀리리터": "ml", "미리": "ml", "l": "l", "리터": "l", "cc": "ml"}
_UNIT_ALTS = sorted(list(_COUNT_UNITS) + list(_MEASURE_UNITS), key=len, reverse=True)
# A unit must end the word: Latin units not followed by a letter; Korean ones not followed
# by Hangul except the particles/suffixes that commonly follow a quantity ("6입짜리").
_UNIT_RE = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(" + "|".join(map(re.escape, _UNIT_ALTS)) + r")"
    r"(?=$|[^a-z가-힣]|짜리|씩|들이|[이을를은는의에도만과와])")
_SPACE_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\ufeff]")


def _mixed_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    alts = sorted(set(terms), key=len, reverse=True)
    # Latin terms need word boundaries; Hangul ones are matched as given.
    return re.compile("|".join(
        (rf"(?<![a-z]){re.escape(t)}(?![a-z])" if t.isascii() else re.escape(t)) for t in alts))


_MIXED_RE = _mixed_pattern(MIXED_TERMS)


def _format_number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def normalize_unit(number: str, unit: str) -> str:
    """One token for a quantity: `normalize_unit("1,500", "ML")` -> `"1.5l"`.

    >>> [normalize_unit(*p) for p in [("1", "kg"), ("500", "ml"), ("2", "L"), ("6", "입"), ("1000", "g")]]
    ['1kg', '500ml', '2l', '6입', '1kg']
    """
    value = float(number.replace(",", ""))
    unit = unit.lower()
    if unit in _MEASURE_UNITS:
        canon = _MEASURE_UNITS[unit]
        if canon == "g" and value >= 1000:
            canon, value = "kg", value / 1000
        elif canon == "ml" and value >= 1000:
            canon, value = "l", value / 1000
        return f"{_format_number(value)}{canon}"
    return f"{_format_number(value)}{_COUNT_UNITS.get(unit, unit)}"


def normalize_query(text: str, mixed_terms: dict[str, str] | None = None) -> str:
    """Normalize text before analysis (queries and documents alike).

    NFKC (so `㎖`, full-width digits and letters become ASCII), control characters dropped,
    lowercase, mixed Korean-English terms mapped, quantities joined (`1.5 L` -> `1.5l`),
    whitespace collapsed.

    >>> normalize_query("  Protein Bar  1.5 L\\t6입 ")
    '프로틴바 1.5l 6입'
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = _CONTROL_RE.sub(" ", text).lower()
    if mixed_terms is None:
        text = _MIXED_RE.sub(lambda m: MIXED_TERMS[m.group(0)], text)
    elif mixed_terms:
        text = _mixed_pattern(mixed_terms).sub(lambda m: mixed_terms[m.group(0)], text)
    text = _UNIT_RE.sub(lambda m: " " + normalize_unit(m.group(1), m.group(2)) + " ", text)
    return _SPACE_RE.sub(" ", text).strip()


def user_words_from_catalog(words: Iterable[str]) -> list[str]:
    """Dictionary entries from catalog words (brands, product terms, tags, category names).

    Keeps Hangul words of 2-12 characters without spaces (Kiwi would otherwise split
    brand names such as "프로틴바" into 프로/틴/바), deduplicated in first-seen order.
    >>> user_words_from_catalog(["비비고", "프로틴바", "A", "비비고", "그릭 요거트"])
    ['비비고', '프로틴바', '그릭요거트']
    """
    seen: dict[str, None] = {}
    for raw in words:
        word = normalize_query(str(raw)).replace(" ", "")
        if 2 <= len(word) <= 12 and re.fullmatch(r"[가-힣]+[가-힣0-9a-z]*", word):
            seen.setdefault(word, None)
    return list(seen)


class Analyzer:
    """Kiwi-based tokenizer; the Kiwi instance is built lazily once (it costs ~1 s).

    `user_words`: extra nouns for Kiwi's dictionary (see `user_words_from_catalog`).
    Thread-safe: Kiwi creation is guarded by a lock; tokenization is re-entrant.
    """

    def __init__(self, user_words: Sequence[str] = (), keep_tags: Iterable[str] = KEEP_TAGS,
                 mixed_terms: dict[str, str] | None = None, num_workers: int = 0) -> None:
        default_words = [v for v in MIXED_TERMS.values() if len(v) >= 2]
        self.user_words = tuple(dict.fromkeys([*default_words, *user_words]))
        self.keep_tags = frozenset(keep_tags)
        self.mixed_terms = mixed_terms
        self.num_workers = num_workers
        self._kiwi = None
        self._lock = threading.Lock()

    @property
    def signature(self) -> str:
        """Identifies the token stream: a changed signature means the BM25 index is stale."""
        h = hashlib.sha256("\n".join([ANALYZER_VERSION, *sorted(self.keep_tags), *self.user_words,
                                      repr(sorted((self.mixed_terms or MIXED_TERMS).items()))]).encode())
        return f"{ANALYZER_VERSION}:{h.hexdigest()[:16]}"

    @property
    def kiwi(self):
        if self._kiwi is None:
            with self._lock:
                if self._kiwi is None:
                    from kiwipiepy import Kiwi

                    kiwi = Kiwi(num_workers=self.num_workers)
                    for word in self.user_words:
                        kiwi.add_user_word(word, "NNP", 0.0)
                    self._kiwi = kiwi
        return self._kiwi

    def _filter(self, tokens) -> list[str]:
        out: list[str] = []
        for tok in tokens:
            tag = tok.tag.split("-", 1)[0]  # "VV-I" / "VA-R" -> base tag
            if tag not in self.keep_tags:
                continue
            if tag in LEMMA_TAGS:
                out.append(tok.lemma.lower())
            else:
                out.append(tok.form.lower())
        return out

    def _split_units(self, text: str) -> list[tuple[str, bool]]:
        """Cut normalized text into (segment, is_unit_token) so Kiwi never sees "6입"."""
        parts: list[tuple[str, bool]] = []
        for piece in text.split(" "):
            if piece and _is_unit_token(piece):
                parts.append((piece, True))
            elif parts and not parts[-1][1]:
                parts[-1] = (parts[-1][0] + " " + piece, False)
            else:
                parts.append((piece, False))
        return [p for p in parts if p[0].strip()]

    def tokenize(self, text: str) -> list[str]:
        """Tokens of one text; `[]` for text with no content words (emoji, punctuation)."""
        return self.tokenize_many([text])[0]

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Batch form of `tokenize` (Kiwi analyses the batch with its worker threads)."""
        split = [self._split_units(normalize_query(t, self.mixed_terms)) for t in texts]
        segments = [seg for parts in split for seg, is_unit in parts if not is_unit]
        kiwi = self.kiwi
        if self.num_workers and len(segments) > 1:
            analysed = iter(kiwi.tokenize(segments))
        else:  # single-thread Kiwi cannot batch; per-call is also the fastest for one query
            analysed = (kiwi.tokenize(seg) for seg in segments)
        out: list[list[str]] = []
        for parts in split:
            tokens: list[str] = []
            for seg, is_unit in parts:
                tokens.extend([seg] if is_unit else self._filter(next(analysed)))
            out.append(tokens)
        return out


_UNIT_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?(?:" + "|".join(
    map(re.escape, sorted(set(_COUNT_UNITS.values()) | set(_MEASURE_UNITS.values()), key=len, reverse=True))) + r")")


def _is_unit_token(piece: str) -> bool:
    return _UNIT_TOKEN_RE.fullmatch(piece) is not None


class WhitespaceAnalyzer:
    """Baseline: lowercase whitespace tokens with surrounding punctuation stripped."""

    signature = "whitespace-v1"

    def tokenize(self, text: str) -> list[str]:
        return self.tokenize_many([text])[0]

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        out = []
        for text in texts:
            words = (w.strip(".,!?\"'()[]{}<>:;·…「」『』“”‘’") for w in
                     unicodedata.normalize("NFKC", text or "").lower().split())
            out.append([w for w in words if w])
        return out
