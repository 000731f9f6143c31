"""What a request says about the item besides naming it, checked against each product's own text.

"말린 망고", "고체 샴푸", "카페인 없는 차", "맵지 않은 김치", "가시 없는 생선", "눈 안 따가운
샴푸": the item's name need not carry the shopper's words (건망고, 샴푸바, 캐모마일 티, 백김치,
순살 갈치), but the store's description of it does ("쫄깃하게 말린 망고입니다", "고체로
만들었습니다", "카페인이 없어", "맵지 않아", "가시를 제거해", "눈이 따갑지 않은"). This module
reads both sides into lemmas with Kiwi (the BM25 analyzer's morphology: "마실" and "마시기" are
both 마시다, "따가운" is 따갑다) and marks the ones a negation rules out:

- after the word, within the same clause: 없다, 않다 ("들어가지 않습니다"), 제거, 빼다, 말다,
  제외, 프리 ("가시를 제거해" rules out 가시);
- before a verb or adjective: 안, 못 ("안 따가운" rules out 따갑다 and what it is said of).

A request `Claim` is a lemma and whether the shopper wants it absent. A product meets a positive
claim when its description or tags carry the lemma, a negative one when its description says the
lemma is absent, or its name or tags say so by the store's prefixes ("무설탕", "디카페인", "글루텐프리").
A clipping ("노캔") is met by the words it clips ("노이즈 캔슬링"), and "묶음" by a pack of several.
The rerank counts the claims a product meets (`assistant.rerank`, feature `desc`), among the items
of the asked kind only: it orders them, it never makes another thing the item, and a hard
condition (allergen, diet tag, budget) is filtered elsewhere, never here.

Kiwi is built lazily once (about 1 s); analyses are cached by sentence (the catalog's
descriptions repeat their sentences). Without kiwipiepy, no claims are read (the rerank keeps its
other features).

Example:
    >>> request_claims("카페인 없는 차", ("차",))
    (Claim(lemma='카페인', negated=True),)
    >>> meets(request_claims("카페인 없는 차", ("차",)), "카페인이 없어 잠들기 전에 마시기 좋습니다.")
    1
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

# morpheme tags that carry content (nouns, verbs and adjectives as lemmas, roots, foreign words)
_CONTENT = frozenset({"NNG", "NNP", "VV", "VA", "XR", "SL"})
# words that say the things before them are absent ("카페인이 없어", "가시를 제거해", "캡슐 말고")
_ABSENCE = frozenset({"없다", "없이", "제거", "빼다", "말다", "제외", "프리", "free", "대신", "아니다", "알레르기", "알러지"})
_NOT_AFTER = frozenset({"않다", "못하다"})   # "맵지 않은": the verb or adjective before is negated
_NOT_BEFORE = frozenset({"안", "못"})        # "안 따가운": the verb or adjective after is negated
# verbs of putting in: negated, what they take is absent ("밀가루가 들어가지 않습니다", "설탕 안 넣은");
# other negated verbs say nothing of their nouns ("손이 닿지 않는 곳": the hand is not absent)
_INCLUSION = frozenset({"들어가다", "넣다", "쓰다", "들다", "더하다", "첨가", "함유", "섞다", "바르다", "사용"})
_NEG_PREFIX = frozenset({"무", "논", "디"})   # "무항생제", "논알콜", "디카페인": the noun after is absent
_CLAUSE_END = frozenset({"EF", "SF", "SP"})
WINDOW = 2   # content words before an absence word that it rules out ("화학비료와 농약 없이")
# request words that ask, price or point rather than describe the item
_STOP = frozenset("추천 주다 있다 하다 같다 찾다 사다 살다 원 좋다 싸다 저렴하다 괜찮다 제품 상품 물건 종류 "
                  "이하 이상 안쪽 이내 미만 초과 정도 가격 만원 천원 보이다 알리다 고르다 필요하다 되다 "
                  "먹다 쓰다 거 것 뭐 어떤 그냥 제일 가장 요즘 알레르기 알러지 성분 들어가다 들다".split())
# prefixes and suffixes by which a store names a thing without something ("무설탕", "디카페인")
_ABSENT_FORMS = ("무{}", "디{}", "{}프리", "논{}", "노{}", "{}제로", "제로{}")


@dataclass(frozen=True)
class Claim:
    lemma: str
    negated: bool = False


_KIWI = None
_KIWI_LOCK = threading.Lock()


def _kiwi():
    global _KIWI
    if _KIWI is None:
        with _KIWI_LOCK:
            if _KIWI is None:
                from kiwipiepy import Kiwi

                _KIWI = Kiwi()
    return _KIWI


def _lemma(tok) -> str:
    tag = tok.tag.split("-", 1)[0]
    return (tok.lemma if tag in ("VV", "VA", "VX") else tok.form).lower()


@lru_cache(maxsize=1 << 15)
def analyse(sentence: str) -> tuple[tuple[str, bool], ...]:
    """(lemma, negated) for every content word of one sentence, in order."""
    try:
        tokens = _kiwi().tokenize(sentence)
    except Exception:   # kiwipiepy missing or failing: no claims, never an error in a search
        return ()
    out: list[list] = []        # [lemma, negated]
    clause_start = 0
    not_next = False            # "안" / "못" seen: the next verb or adjective is negated
    prefix = False              # "무" of "무항생제": the next noun is absent

    def absent_before(n: int) -> None:
        for item in out[max(clause_start, len(out) - n):]:
            item[1] = True

    def negate_predicate(i: int) -> None:
        out[i][1] = True
        if out[i][0] in _INCLUSION:
            for item in out[max(clause_start, i - WINDOW):i]:
                item[1] = True

    for tok in tokens:
        tag = tok.tag.split("-", 1)[0]
        lemma = _lemma(tok)
        if tag in _CLAUSE_END:
            clause_start, not_next = len(out), False
            continue
        if tag == "MAG" and lemma in _NOT_BEFORE:
            not_next = True
            continue
        if tag == "XPN" and lemma in _NEG_PREFIX:
            prefix = True
            continue
        if lemma in _NOT_AFTER and tag in ("VX", "VV", "VA"):
            last = next((i for i in range(len(out) - 1, clause_start - 1, -1)), None)
            if last is not None:
                negate_predicate(last)
            continue
        if lemma in _ABSENCE and tag in ("VA", "VX", "VV", "NNG", "XSN", "SL", "MAG"):
            absent_before(WINDOW)
            continue
        if tag not in _CONTENT and not (tag == "XSV" and out):
            continue
        if tag == "XSV":        # "첨가하지": the noun before is the predicate
            continue
        out.append([lemma, prefix])
        prefix = False
        if not_next and tag in ("VV", "VA"):
            not_next = False
            negate_predicate(len(out) - 1)
    return tuple((lemma, neg) for lemma, neg in out)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")

_FINAL_M, _FINAL_B = 16, 17   # the ㅁ and ㅂ final consonants (Unicode Hangul syllable order)


def nominals(lemma: str) -> tuple[str, ...]:
    """The nouns Korean makes of a verb, as store names write a use with them ("구이용",
    "볶음용", "찜용"): the stem with ㅁ/음 ("볶다" -> 볶음, "조리다" -> 조림, "찌다" -> 찜) and,
    for a ㅂ-irregular stem, with 이 ("굽다" -> 구이). Regular morphology, no word list; empty
    for a word that is no verb lemma.

    >>> nominals("굽다"), nominals("볶다"), nominals("튀기다")
    (('굽음', '구이'), ('볶음',), ('튀김',))
    """
    if len(lemma) < 2 or not lemma.endswith("다"):
        return ()
    stem = lemma[:-1]
    last = ord(stem[-1]) - 0xAC00
    if not 0 <= last < 11172:
        return ()
    final = last % 28
    if final == 0:
        return (stem[:-1] + chr(0xAC00 + last + _FINAL_M),)
    out = [stem + "음"]
    if final == _FINAL_B:
        out.append(stem[:-1] + chr(0xAC00 + last - _FINAL_B) + "이")
    return tuple(out)


@lru_cache(maxsize=1 << 12)
def verb_nouns(word: str) -> tuple[str, ...]:
    """The nouns of the verbs in a request word ("구워먹을" -> 굽음, 구이), asking and eating
    verbs left out (`_STOP`: "먹다", "하다"), two syllables or more: what a store name writes
    for that use ("삼겹살 구이용")."""
    out: list[str] = []
    for lemma, neg in analyse(word or ""):
        if neg or lemma in _STOP:
            continue
        out += [n for n in nominals(lemma) if len(n) >= 2 and n not in out]
    return tuple(out)


_HANGUL_WORD = re.compile(r"[가-힣]+")


@lru_cache(maxsize=1 << 14)
def text_words(text: str) -> tuple[frozenset, frozenset]:
    """(lemmas said, lemmas said to be absent) of a product's description."""
    said, absent = set(), set()
    for sentence in _SENTENCE.split(text or ""):
        for lemma, neg in analyse(sentence):
            (absent if neg else said).add(lemma)
    return frozenset(said), frozenset(absent)


@lru_cache(maxsize=1 << 14)
def initials(text: str) -> frozenset:
    """The clippings a shopper makes of the text's phrases: the first syllables of two or three
    words in a row ("노이즈 캔슬링" -> 노캔), within a sentence."""
    out = set()
    for sentence in _SENTENCE.split(text or ""):
        words = _HANGUL_WORD.findall(sentence)
        for n in (2, 3):
            out.update("".join(w[0] for w in words[i:i + n]) for i in range(len(words) - n + 1))
    return frozenset(out)


# words asking for several in one pack ("라면 묶음"): met by a pack of more than one
_SEVERAL = frozenset({"묶음", "번들", "멀티팩", "대량"})
_COUNT = re.compile(r"(\d+)\s*(?:개입|입|개|팩|봉|병|캔|롤|매|구|포)(?![가-힣])")


def _several(name: str) -> bool:
    return any(int(n) > 1 for n in _COUNT.findall(name or ""))


@lru_cache(maxsize=1 << 12)
def request_claims(message: str, item_words: tuple[str, ...] = ()) -> tuple[Claim, ...]:
    """The request's content words besides the item (`item_words`: the asked head noun and the
    keywords naming it), each marked wanted or ruled out."""
    skip = {w for w in item_words if w}
    out: list[Claim] = []
    for lemma, neg in analyse(message or ""):
        if lemma in _STOP or lemma in skip or len(lemma) < 2 and not neg:
            continue
        if any(lemma in w for w in skip if len(lemma) >= 2):
            continue
        claim = Claim(lemma, neg)
        if claim not in out:
            out.append(claim)
    return tuple(out)


def _absent_by_name(lemma: str, name: str, tags: Iterable[str]) -> bool:
    text = (name or "").replace(" ", "") + " " + " ".join(tags or ())
    return any(form.format(lemma) in text for form in _ABSENT_FORMS)


def meets(claims: Sequence[Claim], description: str, name: str = "", tags: Iterable[str] = ()) -> int:
    """How many of the claims the product's description (and name/tags, for absence) meets."""
    if not claims:
        return 0
    said, absent = text_words(description or "")
    tags = tuple(tags or ())
    n = 0
    for c in claims:
        if c.negated:
            n += c.lemma in absent or _absent_by_name(c.lemma, name, tags)
        elif c.lemma in _SEVERAL:
            n += _several(name)
        else:
            n += (c.lemma in said or any(t.startswith(c.lemma) for t in tags)
                  or (2 <= len(c.lemma) <= 3 and c.lemma in initials(description or "")))
    return n
