"""Pure answer metrics shared by the data gates and the evaluation.

- `extract_numbers`: every number a Korean answer states, normalised ("1만 5천원" -> 15000,
  "3,000원" -> 3000, "4.5점" -> 4.5); list markers and ids (`P0012`, `[배송-01#2]`) are
  not facts and are skipped.
- `grounding_errors`: numbers and catalog product names in an answer that are absent from
  its context (the prompt); an answer is grounded when there are none.
- `policy_facts_hit`: share of required fact strings (numbers, key phrases) present.
- `citation_ok`: citations are `[ID]` tokens naming ids present in the context.
- `hangul_share` / `drifted`: Korean-ness; drift = Chinese characters or mostly Latin.

Leaves out: any model call (see `finetune.evaluate`).

Example:
    >>> sorted(extract_numbers("1만 5천원짜리와 3,000원, 평점 4.5점 [P0012]"))
    [4.5, 3000.0, 15000.0]
    >>> grounding_errors("두부 1,200원입니다", "두부 가격 1200원", names=())
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CITATION = re.compile(r"\[([^\[\]\n]{1,40})\]")
_ID_LIKE = re.compile(r"\b[A-Z]\d{3,}\b|[가-힣A-Za-z]+-\d+(?:#\d+)?")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}[.)]\s")
_NUMBER = re.compile(
    r"(?P<man>\d[\d,]*(?:\.\d+)?)\s*만(?:\s*(?P<cheon2>\d)\s*천|\s*(?P<rest>\d[\d,]*))?"
    r"|(?P<cheon>\d)\s*천(?!\s*만)"
    r"|(?P<plain>\d[\d,]*(?:\.\d+)?)"
)
_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_LATIN = re.compile(r"[A-Za-z]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def strip_ids(text: str) -> str:
    """Remove citations, product/passage ids and list markers: they carry no stated fact."""
    text = _CITATION.sub(" ", text)
    text = _ID_LIKE.sub(" ", text)
    return _LIST_MARKER.sub(" ", text)


def extract_numbers(text: str) -> set[float]:
    """Numbers stated in `text`, normalised to floats (KRW amounts in won)."""
    found: set[float] = set()
    for m in _NUMBER.finditer(strip_ids(text)):
        if m.group("man"):
            value = _to_float(m.group("man")) * 10000
            if m.group("cheon2"):
                value += int(m.group("cheon2")) * 1000
            elif m.group("rest"):
                value += _to_float(m.group("rest"))
        elif m.group("cheon"):
            value = int(m.group("cheon")) * 1000
        else:
            raw = m.group("plain").strip(",")
            if not raw or raw == ".":
                continue
            value = _to_float(raw)
        found.add(float(value))
    return found


def mentioned_names(text: str, names: Iterable[str]) -> set[str]:
    """Catalog product names that occur verbatim in `text`."""
    return {n for n in names if n and n in text}


def grounding_errors(answer: str, context: str, names: Iterable[str] = (), n_items: int = 0) -> list[str]:
    """Facts in `answer` that `context` does not support: numbers and product names.
    Counts up to `n_items` (the products/passages in the context: "고른 상품 3개") are allowed."""
    ctx_numbers = extract_numbers(context) | {float(i) for i in range(1, n_items + 1)}
    errors = [f"number:{v:g}" for v in sorted(extract_numbers(answer)) if v not in ctx_numbers]
    names = tuple(names)
    errors += [f"product:{n}" for n in sorted(mentioned_names(answer, names) - mentioned_names(context, names))]
    return errors


def citations(text: str) -> list[str]:
    return [c.strip() for c in _CITATION.findall(text)]


def citation_ok(answer: str, context_ids: Iterable[str], required: bool) -> bool:
    """Every `[X]` names a context id, and at least one is given when `required`.

    >>> citation_ok("반품은 7일 이내 [반품-01#2]", ["반품-01#2"], required=True)
    True
    >>> citation_ok("반품은 7일 이내 (출처: 반품)", ["반품-01#2"], required=True)
    False
    """
    ids = set(context_ids)
    cited = citations(answer)
    if any(c not in ids for c in cited):
        return False
    return bool(cited) or not required


def policy_facts_hit(answer: str, facts: Iterable[str]) -> float:
    """Share of required facts present; numeric facts match in any written form."""
    facts = [f for f in facts if f]
    if not facts:
        return 1.0
    numbers = extract_numbers(answer)
    compact = answer.replace(" ", "")
    hits = 0
    for fact in facts:
        fact_numbers = extract_numbers(fact)
        if fact_numbers and fact_numbers <= numbers:
            hits += 1
        elif fact.replace(" ", "") in compact:
            hits += 1
    return hits / len(facts)


_PARTICLE_END = re.compile(r"(으로|에서|에게|까지|부터|하면|되면|이며|으며|은|는|이|가|을|를|에|의|와|과|도|로|만)$")


_PREDICATE_ENDS = ("니다", "세요", "어요", "해요", "할", "하고", "하면", "있는", "없는", "하는", "된")


def policy_required_facts(text: str, n_words: int = 2) -> tuple[str, ...]:
    """Facts a policy answer must keep: every number in the passage, plus its `n_words`
    longest content words (particles stripped), so passages without numbers still count.

    >>> policy_required_facts("단순변심 반품은 상품 수령 후 7일 이내에 신청할 수 있습니다.")
    ('7', '단순변심')
    """
    numbers = [f"{v:g}" for v in sorted(extract_numbers(text))]
    words = []
    for w in re.findall(r"[가-힣]{2,}", strip_ids(text)):
        w = _PARTICLE_END.sub("", w)
        if len(w) >= 3 and w not in words and not w.endswith(_PREDICATE_ENDS):
            words.append(w)
    words.sort(key=lambda w: -len(w))
    return tuple(numbers + words[:n_words])


def fact_recall(answer: str, reference: str) -> float:
    """Share of the reference's numbers and cited ids that the answer also states (1.0 when
    the reference states none): the informativeness that groundedness alone does not see."""
    ref_numbers, ref_ids = extract_numbers(reference), set(citations(reference))
    total = len(ref_numbers) + len(ref_ids)
    if not total:
        return 1.0
    return (len(ref_numbers & extract_numbers(answer)) + len(ref_ids & set(citations(answer)))) / total


def hangul_share(text: str) -> float:
    """Hangul letters over all letters (Hangul, Latin, Chinese, Japanese); 0 for none."""
    text = strip_ids(text)
    h = len(_HANGUL.findall(text))
    total = h + len(_LATIN.findall(text)) + len(_HAN.findall(text)) + len(_KANA.findall(text))
    return h / total if total else 0.0


def drifted(text: str) -> bool:
    """True when the answer drifts out of Korean: any Chinese/Japanese, or under 60% Hangul."""
    stripped = strip_ids(text)
    if _HAN.search(stripped) or _KANA.search(stripped):
        return True
    return hangul_share(stripped) < 0.6
