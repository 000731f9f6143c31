"""Policy grounding: the help-center section that decides the question, and the answer it gives.

A policy question is answered by one `##` section ("반품-03#2 품질에 문제가 있을 때"), not by
a document: "멍든 과일 환불돼요?" and "단순변심 반품 되나요?" live in the same document and
have opposite answers. Retrieval runs at passage level (`HybridRetriever.search_passages`);
a small rerank over the candidate sections adds what the fused score misses: the words the
question shares with the section heading and body, the asked topic, and whether the section
holds the kind of fact asked for (a time for "몇시", an amount for "얼마", a period for
"며칠"). Weights were set on the dev split's section labels (`data/labels/policy_sections.jsonl`).

`policy_answer` opens the reply with the section's deciding sentence and its numbers (2일,
40,000원, 23:00), led by "조건이 있어요:" when that sentence states a condition. A 네/아니요 read
from negation words was measured wrong too often to print (see docs/benchmarks/answers.md). The quote and citation follow
(`replies.policy_reply`). Every policy fact comes from the passage text, never from a model.
"""

from __future__ import annotations

import re
from typing import Sequence

from assistant.facts import PolicyFact

# Section rerank weights (dev split): fused retrieval score (min-max over candidates), word
# overlap with the heading and with the body, topic match, asked-fact-kind match.
WEIGHTS = {"fused": 1.0, "heading": 0.6, "body": 0.8, "topic": 0.15, "cue": 0.25}
POOL = 20

_WH = re.compile(r"언제|얼마|몇|며칠|어디|어떻게|어케|어떡|뭐|뭔|무엇|무슨|왜|누가|누구|어느|방법|기준|기간|시간|금액")
_CUES = (
    (re.compile(r"몇\s*시|시간|마감|언제까지"), re.compile(r"\d+\s*시|\d{1,2}:\d{2}|시간")),
    (re.compile(r"얼마|비용|배송비|요금|금액|몇\s*만\s*원|몇\s*원|택배비"), re.compile(r"\d[\d,]*\s*원|만\s*원|무료")),
    (re.compile(r"며칠|기간|몇\s*일|언제|몇\s*년|몇\s*개월"), re.compile(r"\d+\s*(일|년|개월|영업일|시간)")),
    (re.compile(r"어디|어떻게|어케|방법"), re.compile(r"마이페이지|>|누르|버튼|신청|문의")),
)
_NOT_DENIAL = re.compile(r"필요(?:는|가)?\s*없|걱정(?:은|하실)?\s*없|관계없|상관없|제외\)")
_NEG = re.compile(r"않습니다|않아요|없습니다|없어요|불가|안 됩니다|수 없|되지 않|쓰지 않|받지 않|하지 않|드리지 않|제한됩니다|못 합니다|쉬며|쉽니다")
_COND = re.compile(r"(?:이|하|되|있|없|넘|지나|않|오|키|고르|뜯|연|썼|쓰)?면\b|경우|안에|이상|이하|미만|까지|전까지|조건|다만|단 ")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_PARTICLE = re.compile(r"(은|는|이|가|을|를|에|에서|으로|로|도|만|요|나요|까요|어요|아요|해요|돼요|되나요|인가요|있나요|있어요|나|까)$")


def _grams(text: str) -> set[str]:
    """Character bigrams of Hangul/alnum runs: robust to spacing and endings ("반품돼요"~"반품")."""
    out: set[str] = set()
    for word in re.findall(r"[가-힣A-Za-z0-9]+", text or ""):
        word = _PARTICLE.sub("", word) if len(word) > 2 else word
        if len(word) == 1:
            out.add(word)
        out |= {word[i:i + 2] for i in range(len(word) - 1)}
    return out


def _overlap(q: set[str], text: str) -> float:
    if not q:
        return 0.0
    return len(q & _grams(text)) / len(q)


def section_features(question: str, hit, topic: str | None, doc) -> dict[str, float]:
    q = _grams(question)
    heading, body = _split_passage(hit, doc)
    cue = 0.0
    for asks, has in _CUES:
        if asks.search(question):
            cue = max(cue, 1.0 if has.search(body) else 0.0)
    topic_ok = bool(topic and doc is not None and _topic_of(doc, hit.id).startswith(topic[:2]))
    return {"heading": _overlap(q, heading), "body": _overlap(q, body), "topic": float(topic_ok), "cue": cue}


def rank_sections(question: str, hits: Sequence, by_id: dict, topic: str | None = None) -> list[tuple[float, object]]:
    """(score, hit) for passage hits, best first."""
    if not hits:
        return []
    fused = [float(getattr(h, "score", 0.0)) for h in hits]
    lo, hi = min(fused), max(fused)
    out = []
    for h, f in zip(hits, fused):
        doc = by_id.get(h.id.split("#")[0])
        feats = section_features(question, h, topic, doc)
        feats["fused"] = (f - lo) / (hi - lo) if hi > lo else 1.0
        out.append((sum(WEIGHTS[k] * v for k, v in feats.items()), h))
    out.sort(key=lambda sh: (-sh[0], getattr(sh[1], "passage_id", "")))
    return out


def ground_policy(retriever, policies: Sequence, query: str, topic: str | None = None,
                  k: int = 2) -> list[PolicyFact]:
    """The deciding section first, then the next best section (passage-level retrieval plus
    the section rerank)."""
    filters = None
    try:
        from retrieval import Filters

        filters = Filters(kinds=("policy",))
    except Exception:  # fall back to filtering hits by kind below
        filters = None
    by_id = {d.id: d for d in policies}
    search = getattr(retriever, "search_passages", None)
    if callable(search):
        hits = list(search(query, k=POOL, filters=filters) or [])
    else:   # a retriever without passage search: its per-document best passages
        hits = list(retriever.search(query, k=10, filters=filters) or [])
    hits = [h for h in hits if getattr(h, "kind", "") == "policy"]
    out: list[PolicyFact] = []
    for _, h in rank_sections(query, hits, by_id, topic):
        fact = _passage(h, by_id)
        if fact and all(f.passage_id != fact.passage_id for f in out):
            out.append(fact)
        if len(out) >= k:
            break
    return out


# ---- the answer ------------------------------------------------------------------------------
def is_yes_no(question: str) -> bool:
    """A question answered by 네/아니요 ("반품 되나요?"), not by a fact ("며칠 걸려요?")."""
    return bool((question or "").strip()) and not _WH.search(question)


def sentences(text: str) -> list[str]:
    parts = [p.strip(" -") for p in _SENT.split(text or "")]
    return [p for p in parts if len(p) >= 4]


def deciding_sentence(question: str, text: str) -> str:
    """The sentence of the section that answers: most words shared with the question, a
    sentence holding the asked kind of fact (time, amount, period) preferred."""
    cands = sentences(text)
    if not cands:
        return (text or "").strip()
    q = _grams(question)

    def score(i_s):
        i, s = i_s
        cue = 0.0
        for asks, has in _CUES:
            if asks.search(question) and has.search(s):
                cue = 0.5
        return _overlap(q, s) + cue + (0.1 if re.search(r"\d", s) else 0.0) - 0.01 * i

    return max(enumerate(cands), key=score)[1]


def _denies(sentence: str) -> bool:
    return bool(_NEG.search(_NOT_DENIAL.sub(" ", sentence)))


def _conditional(sentence: str) -> bool:
    return bool(_COND.search(sentence)) and bool(re.search(r"\d", sentence))


def polarity(question: str, sentence: str) -> str | None:
    """'no' / 'conditional' / 'yes' for a yes/no question, None for a fact question."""
    if not is_yes_no(question):
        return None
    if _denies(sentence):
        return "no"
    if _conditional(sentence):
        return "conditional"
    return "yes"


def answer_sentences(question: str, text: str) -> list[str]:
    """The deciding sentence, and, for a yes/no question whose answer it does not deny, the
    section's condition with its number ("2일 안에 사진과 함께") when that is another sentence."""
    best = deciding_sentence(question, text)
    if not is_yes_no(question) or _denies(best) or _conditional(best):
        return [best]
    conds = [x for x in sentences(text) if x != best and _conditional(x) and not _denies(x)]
    if not conds:
        return [best]
    order = sentences(text)
    picked = [best, conds[0]]
    return sorted(picked, key=lambda x: order.index(x) if x in order else 0)


LEADS = {"conditional": "조건이 있어요: "}


def policy_answer(question: str, fact: PolicyFact) -> str:
    """The reply's first line: "네, …" / "아니요, …" / "조건이 있어요: …" or the fact itself."""
    parts = answer_sentences(question, fact.text)
    parts = [x if x.endswith((".", "!", "?")) else x + "." for x in parts if x]
    joined = " ".join(parts)
    # 네/아니요 read from negation words was measured wrong too often (a "네" on 13 of the 33
    # blind questions whose answer is "no"): the reply opens with the deciding sentence itself,
    # or with "조건이 있어요:" when that sentence states the condition, never with a guessed 네/아니요.
    lead = LEADS.get(polarity(question, joined) or "", "")
    return lead + joined


# ---- passages --------------------------------------------------------------------------------
def _topic_of(doc, hit_id: str) -> str:
    if doc is not None and getattr(doc, "category", ""):
        return doc.category + " " + doc.id
    return hit_id


def _section_index(hit) -> int | None:
    pid = getattr(hit, "passage_id", "") or ""
    if "#" in pid:
        try:
            return int(pid.rsplit("#", 1)[1])
        except ValueError:
            return None
    return None


def _split_passage(hit, doc) -> tuple[str, str]:
    """(heading, body) of the hit's section: by its passage id, else by matching the text."""
    sections = list(getattr(doc, "sections", ()) or ()) if doc is not None else []
    idx = _section_index(hit)
    if idx is not None and 1 <= idx <= len(sections):
        return sections[idx - 1]
    passage = getattr(hit, "passage", "") or ""
    for head, body in sections:
        if body.strip() and body.strip()[:40] in passage:
            return head, body
    if not passage and sections:
        return sections[0]
    return "", passage


def _passage(hit, by_id: dict) -> PolicyFact | None:
    """The hit's section with its heading (hit ids may be `doc` or `doc#n`)."""
    doc = by_id.get(hit.id.split("#")[0])
    if doc is None:
        return None
    heading, text = _split_passage(hit, doc)
    passage_id = getattr(hit, "passage_id", "") or hit.id
    return PolicyFact(doc_id=doc.id, title=doc.title, heading=heading, text=_clip(text or doc.body),
                      passage_id=passage_id)


def _clip(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
