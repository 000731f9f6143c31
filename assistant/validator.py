"""Check a generated reply against the turn's facts; repair it or fall back to the template.

A quoted passage (「...」) must be the policy text word for word, or the template replaces the
reply (a 0.5B model once wrote "나uddle어" for "나뉘어" inside a quote). Checked per sentence: every price ("12,900원", "1만 2천원", "만 원") and every other number
must appear in the facts or the shopper's message; every citation ([P0123], [배송-02]) must
name a fact; no catalog product outside the facts may be named; no health claim the facts do
not make. Sentences that fail are dropped; if too little is left (or the text drifted out of
Korean) the template draft replaces the reply. A missing policy citation is appended; product
ids are removed from the text shoppers read (the answer's `sources` carry them).

Example:
    >>> from assistant.facts import Facts, ProductFact
    >>> p = ProductFact("P0001", "두유", "정식품", "식품/음료/두유", 12900, None)
    >>> ctx = Context(Facts(intent="search", products=(p,), draft="두유 12,900원 [P0001]"), "두유 추천")
    >>> check_sentence("두유는 9,900원이에요.", ctx)
    ['price:9900']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from assistant.facts import Facts
from assistant.prompting import facts_block

HEALTH_TERMS = ("치료", "예방", "완치", "면역력", "혈당을 낮", "혈압을 낮", "살이 빠", "체중 감량", "디톡스",
                "항암", "질병", "약효", "효능")
CITATION = re.compile(r"\[([^\[\]\s]{2,24})\]")
BARE_ID = re.compile(r"(?<![A-Za-z0-9])P\d{4}(?!\d)|[가-힣]{1,6}-\d{2}(?!\d)")
_NUM = r"\d[\d,]*(?:\.\d+)?"
_AMOUNT = re.compile(r"(?<![\d가-힣])((?:\d[\d,]*(?:\.\d+)?\s*[만천백]?\s*)+|만\s*)원")
_PART = re.compile(r"(\d+(?:\.\d+)?)?([만천백]?)")
_UNIT = {"만": 10000, "천": 1000, "백": 100, "": 1}
_NUMBER = re.compile(_NUM)
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")
_QUOTE = re.compile(r"「([^「」]*)」")


def _n(s: str | None) -> float:
    return float(s.replace(",", "")) if s else 0.0


def parse_amount(text: str) -> int:
    """'1만 2천' -> 12000, '12,900' -> 12900, '만' -> 10000."""
    total = 0.0
    for num, unit in _PART.findall(text.replace(",", "").replace(" ", "")):
        if num or unit:
            total += (float(num) if num else 1.0) * _UNIT[unit]
    return int(total)


def extract_amounts(text: str) -> list[int]:
    """Won amounts in `text`.

    >>> extract_amounts("12,900원, 1만 2천원, 1만2900원, 3천 5백원, 만 원, 1.5만원")
    [12900, 12000, 12900, 3500, 10000, 15000]
    """
    return [parse_amount(m.group(1)) for m in _AMOUNT.finditer(text)]


def extract_numbers(text: str) -> list[float]:
    return [_n(m.group()) for m in _NUMBER.finditer(text)]


def hangul_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    return sum("가" <= ch <= "힣" for ch in letters) / len(letters)


@dataclass
class Context:
    facts: Facts
    user_message: str = ""
    catalog_names: Iterable[str] = ()
    allowed_numbers: set[float] = field(init=False)
    allowed_amounts: set[int] = field(init=False)
    fact_text: str = field(init=False)
    strip_terms: list[str] = field(init=False)
    foreign_names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.fact_text = facts_block(self.facts) + "\n" + self.facts.draft
        source = CITATION.sub(" ", self.fact_text + "\n" + self.user_message)
        self.allowed_numbers = set(extract_numbers(source)) | {float(n) for n in self.facts.numbers}
        # A price may repeat a fact's price, a computed figure, or an amount the shopper said;
        # a stock count or a pack size never licenses a price.
        self.allowed_amounts = (set(extract_amounts(source)) | {int(n) for n in self.facts.numbers}
                                | {int(n) for n in extract_numbers(self.user_message)}
                                | set(extract_amounts(self.user_message)))
        names = [p.name for p in self.facts.products] + [p.unit for p in self.facts.products if p.unit]
        # Longest first so a name is removed before any shorter name inside it.
        self.strip_terms = sorted({t for t in names if t}, key=len, reverse=True)
        fact_names = [p.name for p in self.facts.products]
        self.foreign_names = [n for n in set(self.catalog_names) if len(n) >= 4 and n not in fact_names
                              and not any(n in f for f in fact_names)]


def check_sentence(sentence: str, ctx: Context) -> list[str]:
    """Violations in one sentence (empty list = fine)."""
    problems: list[str] = []
    cited = CITATION.findall(sentence)
    valid_ids = ctx.facts.citation_ids()
    problems += [f"citation:{c}" for c in cited if c not in valid_ids]
    text = CITATION.sub(" ", sentence)
    for bare in BARE_ID.findall(text):   # "P0874" or "배송-02" written without brackets
        if bare not in valid_ids:
            problems.append(f"citation:{bare}")
    text = BARE_ID.sub(" ", text)
    for name in ctx.foreign_names:
        if name in text:
            problems.append(f"product:{name}")
    for term in ctx.strip_terms:
        text = text.replace(term, " ")
    for amount in extract_amounts(text):
        if amount not in ctx.allowed_amounts:
            problems.append(f"price:{amount}")
    text_wo_amounts = _AMOUNT.sub(" ", text)
    text_wo_amounts = re.sub(r"(^|\n)\s*\d{1,2}[.)]\s", " ", text_wo_amounts)   # list markers "1. "
    for num in extract_numbers(text_wo_amounts):
        if num not in ctx.allowed_numbers:
            problems.append(f"number:{num:g}")
    for term in HEALTH_TERMS:
        if term in sentence and term not in ctx.fact_text:
            problems.append(f"health:{term}")
    return problems


@dataclass(frozen=True)
class Validation:
    reply: str
    outcome: str                  # "ok" | "repaired" | "fallback"
    violations: tuple[str, ...] = ()


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE.split(text)) if s]


def ensure_citations(reply: str, facts: Facts, limit: int = 2) -> str:
    """Append the policy citation when the reply cites none of the documents it used. Product
    ids are not appended: they travel in the answer's `sources` (chips in the UI)."""
    ids = list(dict.fromkeys(p.doc_id for p in facts.policies))[:limit]
    if not ids or any(c in ids for c in CITATION.findall(reply)):
        return reply
    return reply.rstrip() + " " + " ".join(f"[{i}]" for i in ids)


_PRODUCT_ID = re.compile(r"\s*\[?(?<![A-Za-z0-9])(P\d{4,})(?!\d)\]?")


def strip_product_ids(reply: str, facts: Facts, also=()) -> str:
    """Remove product ids of this turn's facts from text shoppers read ("두유 [P0123]" ->
    "두유"); the ids stay in `sources`. Unknown ids never get here: the checks drop them.
    `also`: more ids the text may carry (a template written by code: every catalog id)."""
    known = {p.id for p in facts.products}
    out = _PRODUCT_ID.sub(lambda m: "" if m.group(1) in known or m.group(1) in also else m.group(0), reply)
    return re.sub(r"[ \t]+([.,!?)])", r"\1", out)


def is_truncated(sentence: str) -> bool:
    """A fragment the token limit cut: no closing punctuation, citation or Korean ending."""
    tail = sentence.rstrip()
    return not re.search(r"[.!?。)\]」~]$|[요다죠까]$|원$", tail)


def _mentions(text: str, p) -> bool:
    """Cited, named in full, or named without its brand ("새우맛 스낵 90g")."""
    short = p.name.replace(p.brand, "", 1).strip() if p.brand else p.name
    return p.id in text or p.name in text or (len(short) >= 3 and short in text)


def altered_quotes(reply: str, ctx: Context) -> list[str]:
    """Quotes (「...」) that are not word for word in the turn's facts (spaces ignored).

    >>> from assistant.facts import Facts
    >>> ctx = Context(Facts(intent="policy", draft="「여러 배송 방법으로 나뉘어 출고되어도 배송비는 한 번만 받습니다.」"))
    >>> altered_quotes("근거: 「여러 배송 방법으로 나뉘어 출고되어도」", ctx)
    []
    >>> altered_quotes("근거: 「여러 배송 방법으로 나uddle어 출고되어도」", ctx)
    ['여러 배송 방법으로 나uddle어 출고되어도']
    """
    source = re.sub(r"\s+", "", ctx.fact_text)
    return [q for q in _QUOTE.findall(reply) if re.sub(r"\s+", "", q) not in source]


def validate(reply: str, ctx: Context, min_chars: int = 8) -> Validation:
    """Keep the sentences that pass; fall back to the template when too little survives or a
    quote was altered (a quote may span sentences, so it is checked on the whole reply)."""
    facts = ctx.facts
    if hangul_share(CITATION.sub("", reply)) < 0.5:
        return Validation(facts.draft, "fallback", ("not_korean",))
    if altered_quotes(reply, ctx):
        return Validation(facts.draft, "fallback", ("quote",))
    kept: list[str] = []
    bad: list[str] = []
    sentences = split_sentences(reply)
    if sentences and is_truncated(sentences[-1]):
        sentences = sentences[:-1]   # cut off by the token limit mid-sentence: not a claim
    for sentence in sentences:
        problems = check_sentence(sentence, ctx)
        if problems:
            bad += problems
        else:
            kept.append(sentence)
    text = " ".join(kept)
    mentions_products = not facts.products or any(_mentions(text, p) for p in facts.products)
    if len(text) < min_chars or not mentions_products:
        return Validation(facts.draft, "fallback", tuple(bad) or ("too_short",))
    fixed = ensure_citations(text, facts)
    outcome = "ok" if not bad and fixed == text else "repaired"
    return Validation(strip_product_ids(fixed, facts), outcome, tuple(bad))
