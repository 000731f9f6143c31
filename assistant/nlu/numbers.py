"""Korean numbers as shoppers type them: digits, sino-Korean words, native counters, mixes.

Covers money amounts ("만오천원", "1.5만원", "2만5천원", "10,000원", "삼만 원") and small
counts ("세 봉지", "두어 개", "열두 개"). Leaves out ordinals ("두 번째": see nlu.slots),
fractions and anything above 조 (no grocery costs that much).

Example:
    >>> parse_amount("만오천")
    15000
    >>> parse_amount("1.5만")
    15000
    >>> native_count("세")
    3
"""

from __future__ import annotations

import re

SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9}
SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
BIG_UNITS = {"만": 10_000, "억": 100_000_000}

# Native counting words as they appear before a counter ("세 개", "두 봉지").
# "두어" (a couple) and ranges such as "두세"/"서너" take their lower bound: a cart
# quantity should never surprise the shopper upwards.
NATIVE = {
    "한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "서": 3, "네": 4, "넷": 4,
    "넉": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
    "열한": 11, "열하나": 11, "열두": 12, "열둘": 12, "열세": 13, "열네": 14, "열다섯": 15,
    "스무": 20, "스물": 20, "서른": 30,
    "두어": 2, "한두": 1, "두세": 2, "서너": 3, "너덧": 4, "네다섯": 4, "대여섯": 5,
}
# Longest first so that "열두" wins over "열" and "두어" over "두".
NATIVE_RE = "(?:" + "|".join(sorted(NATIVE, key=len, reverse=True)) + ")"

# One money-ish number: digits (thousands commas, a decimal point) or sino-Korean words,
# optionally in 만 groups ("2만5천", "만 오천", "1.5만"). Sino syllables are only taken
# before a unit (천/백/십) so that "만 이하" is not read as 10002.
_D = "[일이삼사오육칠팔구]"
_NUM = r"\d[\d,]*(?:\.\d+)?"
_UNDER_MAN = (
    rf"(?:\d+(?:\.\d+)?\s?천(?:\s?\d+\s?백)?|\d+\s?백"
    rf"|{_D}?천(?:{_D}?백)?(?:{_D}?십)?{_D}?|{_D}?백(?:{_D}?십)?{_D}?)"
)
AMOUNT_RE = rf"(?:(?:(?:{_NUM}|(?<![가-힣\d])[일이삼사오육칠팔구십백천]+)\s?)?만(?:\s?{_UNDER_MAN})?|{_UNDER_MAN}|{_NUM})"


def _sino_under_10000(text: str) -> float | None:
    """'오천' -> 5000, '천오백' -> 1500, '삼십' -> 30, digits allowed ('5천' -> 5000)."""
    if not text:
        return 0
    total, current = 0, None
    i = 0
    while i < len(text):
        m = re.match(r"\d+(?:\.\d+)?", text[i:])
        if m:
            current = float(m.group())
            i += m.end()
            continue
        ch = text[i]
        if ch in SINO_DIGITS:
            current = SINO_DIGITS[ch]
        elif ch in SMALL_UNITS:
            total += (1 if current is None else current) * SMALL_UNITS[ch]
            current = None
        else:
            return None
        i += 1
    if current is not None:
        total += current
    return total


def parse_amount(text: str) -> int | None:
    """Parse one number written any Korean way; None when it is not a number.

    >>> [parse_amount(s) for s in ["만", "삼만", "2만5천", "10,000", "오천", "1.5만", "만 오천"]]
    [10000, 30000, 25000, 10000, 5000, 15000, 15000]
    """
    s = re.sub(r"[\s,]", "", text or "")
    if not s:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return int(round(float(s)))
    total = 0
    rest = s
    for unit, value in (("억", BIG_UNITS["억"]), ("만", BIG_UNITS["만"])):
        if unit in rest:
            head, rest = rest.split(unit, 1)
            n = _sino_under_10000(head) if head else 1
            if n is None:
                return None
            total += (n or 1) * value
    tail = _sino_under_10000(rest)
    if tail is None:
        return None
    total += tail
    return int(round(total)) if total > 0 else None


def native_count(word: str) -> int | None:
    """'세' -> 3, '두어' -> 2, '3' -> 3; None when not a count word."""
    w = (word or "").strip()
    if w.isdigit():
        return int(w)
    return NATIVE.get(w)


def round_step(amount: int) -> int:
    """The place value a "N대" range spans: 20000 -> 10000 ("2만원대" = 20000-29999),
    100000 -> 100000 ("10만원대"), 150000 -> 10000, 5000 -> 1000."""
    step = 1
    while amount % (step * 10) == 0 and step * 10 <= amount:
        step *= 10
    return step
