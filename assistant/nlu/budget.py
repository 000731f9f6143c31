"""Budget expressions in Korean shopping messages -> inclusive KRW bounds.

Budget decisions (documented in docs/benchmarks/nlu.md):
- "X 이하/까지/안쪽/이내/내로/밑/아래", bare "X원", "예산 X" -> max X (inclusive);
  "X 미만" -> max X-1; "X 이상/부터" -> min X; "X 초과/넘는" -> min X+1.
- "N대" spans the place value of N: "2만원대" -> 20000-29999, "10만원대" -> 100000-199999.
- "X짜리/정도/쯤/내외/안팎/선" -> around X: 0.8X-1.2X ("오천원짜리" -> 4000-6000);
  "X 정도까지" -> max X.
- two neighbouring sino digits are a range: "이삼만원" -> 20000-30000, "사오만원대" -> 40000-59999.
- a price refused ("만원대 말고 ...") is no bound.

Leaves out currencies other than 원 and discounts ("30% 할인"), which are not budgets.
"""

from __future__ import annotations

import re

from assistant.nlu.numbers import AMOUNT_RE, parse_amount, round_step

Span = tuple[int, int]

_MAX = r"(?:정도|쯤|선|언저리)\s?(?:까지|이하|안쪽|안으로|이내|내로|밑으로|아래로)|이하|까지|안쪽|안으로|이내|내로|내에서|내외로|밑으로|밑|아래로|아래|넘지\s?않|안\s?넘|선\s?안|로\s?살|으로\s?살|예산"
# the same said in English or slang after the amount: "3만 언더", "만원 under", "2만 안짝"
_MAX += r"|언더|under|안짝|안짝으로|max|맥스"
_LT = r"미만"
_MIN = r"이상|부터|위로|넘는|넘게|넘어가는|초과|넘는거"
_AROUND = r"짜리|정도|쯤|내외|안팎|전후|선에서|선으로|언저리|가량"
_MONEY = rf"(?P<amt>{AMOUNT_RE})(?P<won>\s?원)?"
# "만" (only) after a bound, unless it is the 만 of the next amount ("오천원 이상 만원 이하")
_ONLY = r"만(?!\s?원|\s?[0-9일이삼사오육칠팔구천백])|요"
# two neighbouring sino digits before a unit are a range: "이삼만원" 2-3만, "오륙천원" 5-6천
_SINO_RANGE = re.compile(r"(?<![가-힣\d])(?P<a>[일이삼사오육칠팔])(?P<b>[이삼사오육륙칠팔구])\s?(?P<u>만|천)(?P<won>\s?원)?"
                         r"(?P<dae>\s?대)?(?:\s?(?:짜리|정도|쯤|선|사이|까지|이하|에서)(?:로|으로|에서)?)?")
_SINO = "일이삼사오육칠팔구"
_NOT_THIS = re.compile(r"\s?(?:은|는|짜리는|짜리)?\s?(?:말고|말구|빼고|말곤)")
# after "X 넘는/이상": the things above are refused ("넘는 건 빼줘", "이상은 말고")
_ABOVE_REFUSED = re.compile(r"\s?(?:거|건|것|게|걸)?\s?(?:은|는)?\s?(?:빼|제외|말고|싫|별로|안\s?(?:돼|되|사|살))")
_RANGE_RE = re.compile(
    rf"(?P<a>{AMOUNT_RE})(?P<wa>\s?원)?\s?(?:~|-|∼|〜|에서|부터)\s?(?P<b>{AMOUNT_RE})(?P<wb>\s?원)?"
    rf"(?P<dae>\s?대)?(?:\s?(?:사이|까지|정도))?(?:\s?(?:로|으로)?\s?(?:{_ONLY}))?"
)
_SINGLE_RE = re.compile(
    rf"{_MONEY}(?P<dae>\s?대)?(?:\s?(?:으로|로|에|은|는|이|가|을|를|짜리로)?\s?"
    rf"(?P<q>{_MAX}|{_LT}|{_MIN}|{_AROUND}))?(?:\s?(?:로|으로)?\s?(?:{_ONLY}))?"
)


# a ceiling or floor said before the amount: "under 10만", "최대 3만원", "max 20000"
_PREFIX_RE = re.compile(
    rf"(?P<p>under|below|less\s?than|max(?:imum)?|up\s?to|upto|최대|많아야|over|above|more\s?than|min(?:imum)?|최소)"
    rf"\s?{_MONEY}"
)


def _unit_of(raw: str) -> int:
    return 10_000 if "만" in raw else 1000 if "천" in raw else 1


def _is_money(raw: str, won: str | None, followed: bool) -> bool:
    value = parse_amount(raw)
    if value is None or value < 100:
        return False
    if won:
        return True
    has_unit = any(u in raw for u in "만천")
    return followed and (has_unit or (raw[0].isdigit() and value >= 1000))


def extract_budget(text: str) -> tuple[int | None, int | None, list[Span]]:
    """Budget bounds in KRW (inclusive) and the spans used.

    >>> extract_budget("2만원대 선물")[:2]
    (20000, 29999)
    >>> extract_budget("5천원~1만원 사이")[:2]
    (5000, 10000)
    """
    lo: int | None = None
    hi: int | None = None
    spans: list[Span] = []
    taken = [False] * (len(text) + 1)
    # a number glued to letters is a model or spec, not money: "spf50 만원대", "b12 영양제"
    text = re.sub(r"(?<=[a-z])\d+", lambda m: " " * len(m.group()), text)
    # ... and so is one glued to a Hangul name before a space: "오메가3 만원 이하" is no 3만원
    text = re.sub(r"(?<=[가-힣])\d+(?=\s)", lambda m: " " * len(m.group()), text)
    for m in _PREFIX_RE.finditer(text):
        raw = m.group("amt")
        value = parse_amount(raw)
        if value is None or not (m.group("won") or _unit_of(raw) > 1 or value >= 1000):
            continue
        if re.match(r"over|above|more|min|최소", m.group("p")):
            lo = value
        else:
            hi = value
        spans.append(m.span())
        taken[m.start():m.end()] = [True] * (m.end() - m.start())
    for m in _SINO_RANGE.finditer(text):
        a, b = _SINO.index(m.group("a")) + 1, _SINO.index(m.group("b").replace("륙", "육")) + 1
        if b != a + 1:
            continue
        unit = 10_000 if m.group("u") == "만" else 1000
        lo, hi = a * unit, b * unit + (unit - 1 if m.group("dae") else 0)
        spans.append(m.span())
        taken[m.start():m.end()] = [True] * (m.end() - m.start())
    for m in _RANGE_RE.finditer(text):
        if taken[m.start()]:
            continue
        a, b = m.group("a"), m.group("b")
        if not (m.group("wa") or m.group("wb") or _unit_of(a) > 1 or _unit_of(b) > 1):
            continue
        va, vb = parse_amount(a), parse_amount(b)
        if va is None or vb is None:
            continue
        if va < 100 and _unit_of(a) == 1:  # "1~2만원": the unit of the second applies
            va *= _unit_of(b)
        if vb < 100 or va > vb:
            continue
        lo, hi = va, (vb + round_step(vb) - 1 if m.group("dae") else vb)
        spans.append(m.span())
        taken[m.start():m.end()] = [True] * (m.end() - m.start())
    for m in _SINGLE_RE.finditer(text):
        if taken[m.start()] or taken[m.end() - 1]:
            continue
        raw, q = m.group("amt"), m.group("q") or ""
        if not _is_money(raw, m.group("won"), bool(q or m.group("dae"))):
            continue
        value = parse_amount(raw) or 0
        if q and re.fullmatch(_MIN, q) and _ABOVE_REFUSED.match(text, m.end()):
            hi = value   # "만오천원 넘는 건 빼줘", "3만원 이상은 말고": what costs more is refused
            spans.append(m.span())
            continue
        if _NOT_THIS.match(text, m.end()):
            spans.append(m.span())   # "만원대 말고 이삼만원짜리": the price refused is no bound
            continue
        value = parse_amount(raw) or 0
        if m.group("dae"):
            lo, hi = value, value + round_step(value) - 1
        elif re.fullmatch(_LT, q):
            hi = value - 1
        elif q and re.fullmatch(_MIN, q):
            lo = value + 1 if q.startswith(("초과", "넘")) else value
        elif q and re.fullmatch(_AROUND, q):
            lo, hi = int(round(value * 0.8)), int(round(value * 1.2))
        else:
            hi = value
        spans.append(m.span())
    return lo, hi, spans
