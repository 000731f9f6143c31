"""Which help-center section decides a policy question: features and a small logistic model.

The hybrid retriever scores every `##` section of every policy document against the question
(BM25 over the whole store's vocabulary, products included, fused with e5 vectors); its top
section is the deciding one about 0.8 of the time. This stage rescores its top `POOL`
sections with features the fused score misses:

- `fused`, `rank`, `bm25`, `dense`: the retriever's own scores, normalized over the candidates;
- `doc`: the best fused score among the document's sections (a question about 키오스크 should
  stay in a 키오스크 document even when another document's section shares one rare word);
- `sbm25`: BM25 over policy sections only (Kiwi tokens of title, category, heading and body):
  the store-wide index weights words by their rarity among products, this one among sections;
- `heading`, `title`, `body`: share of the question's character bigrams in each part, and
  `cover`: share of the heading's bigrams found in the question;
- `topic` / `off_topic`: the section's document is / is not one the understanding's policy
  topic names (`TOPIC_DOCS`, both the old and the store's topic vocabulary);
- `cue`: the question asks for a time, an amount, a period or a way, and the section holds one;
- `value`: the question states an amount / clock time / elapsed days and the section states a
  threshold of that kind ("40,000원 이상", "밤 11시까지", "7일 안에");
- `neg`: the question asks what is not allowed ("안 되는", "없는") and the section lists limits;
- `first`: the document's first section (its general rule);
- `near`: the labeled questions' memory (`QuestionMemory`): the share of the vote of the ten
  labeled questions most like this one (character-bigram Jaccard) that names this section.
  Shoppers ask the same situations in new words; the nearest labeled wordings carry the
  section the retriever's scores miss ("오후 한시에 주문했는데 오늘 밤에" is 당일배송's cut-off).

Weights are a listwise logistic regression fit on the section labels of the splits named in
`WEIGHTS_FILE` ("fit.splits": dev, test and the seen blind batches;
`python -m assistant.policy_rank --splits ...`); the same splits are the kNN memory. Labels:
`data/labels/policy_sections.jsonl` (dev, test: hand labels) and
`data/labels/policy_sections_blind.jsonl` (the seen blind batches' own labels, copied from
tests/data/blind by `--import-blind`). A held-out check fits on some splits and scores the
others (`--splits dev,blind_ab,blind_c --out /tmp/w.json`, then
`JANGBOGI_POLICY_RANK_WEIGHTS=/tmp/w.json python -m assistant.evaluate_answers --set holdout_l`).
Pure functions plus one cached BM25 over the policy texts; no model file is loaded.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from pathlib import Path
from typing import Sequence

POOL = 20
WEIGHTS_FILE = Path(__file__).with_name("policy_rank_weights.json")
LABELS_DIR = Path(__file__).resolve().parents[1] / "data" / "labels"
LABEL_FILES = (LABELS_DIR / "policy_sections.jsonl", LABELS_DIR / "policy_sections_blind.jsonl")
BLIND_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "blind"

# Understanding's policy topics (old and store vocabulary) -> document id prefixes.
TOPIC_DOCS: dict[str, tuple[str, ...]] = {
    "배송": ("배송-",), "교환반품": ("교환-", "반품-", "환불-"), "환불": ("환불-", "반품-"),
    "취소": ("주문-",), "주문": ("주문-",), "정기배송": ("정기배송-",), "구독": ("정기배송-",),
    "결제": ("결제-",), "혜택": ("쿠폰-", "적립금-", "멤버십-"), "쿠폰": ("쿠폰-",),
    "적립금": ("적립금-",), "멤버십": ("멤버십-", "배송-04"), "개인정보": ("개인정보-", "회원-"),
    "계정": ("회원-",), "픽업": ("픽업-",), "선물": ("선물-",), "고객센터": ("고객센터-",),
    "알레르기표시": ("알레르기-",), "알레르기": ("알레르기-",), "키오스크": ("키오스크-", "회원-02", "결제-01"),
    "상품정책": ("상품-",), "상품": ("상품-",),
}

_GRAM_WORD = re.compile(r"[가-힣A-Za-z0-9]+")
_PARTICLE = re.compile(r"(은|는|이|가|을|를|에|에서|으로|로|도|만|요|나요|까요|어요|아요|해요|돼요|되나요|인가요|있나요|있어요|나|까)$")
_CUES = (
    (re.compile(r"몇\s*시|시간|마감|언제까지"), re.compile(r"\d+\s*시|\d{1,2}:\d{2}|시간")),
    (re.compile(r"얼마|비용|배송비|요금|금액|몇\s*만\s*원|몇\s*원|택배비|수수료"), re.compile(r"\d[\d,]*\s*원|만\s*원|무료")),
    (re.compile(r"며칠|기간|몇\s*일|언제|몇\s*년|몇\s*개월|몇\s*달"), re.compile(r"\d+\s*(일|년|개월|영업일|시간)")),
    (re.compile(r"어디|어떻게|어케|방법"), re.compile(r"마이페이지|>|누르|버튼|신청|문의")),
)
_VALUE_KINDS = (
    (re.compile(r"\d\s*만\s*(?:\d\s*천\s*)?원|\d[\d,]*\s*천?\s*원"), re.compile(r"\d[\d,]*\s*원\s*(?:이상|미만|이하|넘)")),
    (re.compile(r"\d{1,2}\s*시|\d{1,2}:\d{2}"), re.compile(r"\d{1,2}\s*시[^.]{0,6}(?:까지|전|이후|부터)|\d{1,2}:\d{2}")),
    (re.compile(r"\d+\s*(?:일|주|개월|달)\s*(?:이|가|째)?\s*(?:됐|지났|지나|썼|넘)|(?:어제|그저께|지난주|한\s*달)"),
     re.compile(r"\d+\s*(?:일|개월|년)\s*(?:안|이내|까지|동안|이 지나)")),
)
# Fresh and chilled food (the policy's own list "과일, 채소, 정육, 수산, 유제품", and common items):
# 단순변심 and quality rules differ for them (반품-03, 반품-06#3).
_Q_FRESH = re.compile(r"과일|채소|야채|고기|소고기|돼지|닭|정육|생선|수산|회\b|우유|유제품|요거트|치즈|딸기|포도|사과|배\b|"
                      r"귤|바나나|수박|참외|복숭아|블루베리|토마토|상추|계란|달걀|두부|새우|오징어|냉장|냉동|아이스크림|신선")
_S_FRESH = re.compile(r"신선식품|냉장|냉동|과일|정육")
_Q_NEG = re.compile(r"안\s*되는|안되는|못\s*하는|없는\s*(?:경우|상품|거)|제한|불가")
_S_NEG = re.compile(r"없습니다|않습니다|불가|제한|없는 상품|할 수 없")


def grams(text: str) -> set[str]:
    """Character bigrams of Hangul/alnum runs, particles cut (robust to spacing and endings)."""
    out: set[str] = set()
    for word in _GRAM_WORD.findall(text or ""):
        word = _PARTICLE.sub("", word) if len(word) > 2 else word
        if len(word) == 1:
            out.add(word)
        out |= {word[i:i + 2] for i in range(len(word) - 1)}
    return out


def _share(q: set[str], text: str) -> float:
    return len(q & grams(text)) / len(q) if q else 0.0


def topic_match(topic: str | None, doc_id: str) -> float | None:
    """1.0 when the topic names this document, 0.0 when it names others, None with no topic."""
    if not topic:
        return None
    prefixes = TOPIC_DOCS.get(topic)
    if prefixes is None:   # an unknown topic word: match the document id's own prefix
        return float(doc_id.startswith(topic[:2]))
    return float(any(doc_id.startswith(p) for p in prefixes))


class SectionBM25:
    """BM25 over the policy sections alone (title, category, heading, body), built once per
    policy set; `tokenize` is the store's analyzer (Kiwi) when given, else whitespace."""

    def __init__(self, policies: Sequence, tokenize=None) -> None:
        from retrieval.bm25 import make_bm25_engine

        self.tokenize = tokenize or (lambda t: (t or "").split())
        self.ids: list[str] = []
        texts: list[str] = []
        for d in policies:
            for i, (head, body) in enumerate(d.sections or (("", d.body),), start=1):
                self.ids.append(f"{d.id}#{i}")
                texts.append(f"{d.title} {d.category} {head}\n{body}")
        self.pos = {pid: i for i, pid in enumerate(self.ids)}
        self.engine = make_bm25_engine("bm25s")
        self.engine.index([self.tokenize(t) or ["_"] for t in texts])

    def scores(self, question: str) -> dict[str, float]:
        tokens = self.tokenize(question)
        if not tokens:
            return {}
        raw = self.engine.scores(tokens)
        return {pid: float(raw[i]) for i, pid in enumerate(self.ids)}


_BM25_CACHE: dict[tuple, SectionBM25] = {}
_LOCK = threading.Lock()


def section_bm25(policies: Sequence, tokenize=None) -> SectionBM25:
    owner = getattr(tokenize, "__self__", tokenize)   # a bound method is a new object on every access
    key = (tuple((d.id, hash(d.body)) for d in policies), id(owner))
    with _LOCK:
        found = _BM25_CACHE.get(key)
        if found is None:
            _BM25_CACHE.clear()
            found = _BM25_CACHE[key] = SectionBM25(policies, tokenize)
    return found


class QuestionMemory:
    """Labeled shopper questions and their deciding sections. `scores` is a vote of the `k`
    labeled questions most like a question (character-bigram Jaccard similarity, the same
    bigrams as `grams`): each gives its sections exp(`temperature` x similarity), and the votes
    are normalized to sum to 1 (the labeled question with the very same text left out when
    `leave_out`, as in fitting)."""

    K = 10
    TEMPERATURE = 20.0

    def __init__(self, rows: Sequence[dict]) -> None:
        self.rows = [(r["query"], grams(r["query"]), (r["passage"], *r.get("also_ok", ())))
                     for r in rows if r.get("query") and r.get("passage")]

    def __len__(self) -> int:
        return len(self.rows)

    def scores(self, question: str, leave_out: bool = False) -> dict[str, float]:
        q = grams(question)
        if not q or not self.rows:
            return {}
        sims = sorted(((len(q & g) / len(q | g), sections) for text, g, sections in self.rows
                       if not (leave_out and text == question)), key=lambda x: -x[0])[: self.K]
        votes: dict[str, float] = {}
        for sim, sections in sims:
            for pid in sections:
                votes[pid] = votes.get(pid, 0.0) + math.exp(self.TEMPERATURE * sim)
        total = sum(votes.values()) or 1.0
        return {pid: v / total for pid, v in votes.items()}


def label_rows(splits: Sequence[str] | None = None) -> list[dict]:
    """Section label rows of `LABEL_FILES` (all, or those of the given splits)."""
    out = []
    for path in LABEL_FILES:
        if path.exists():
            out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in out if splits is None or r.get("split") in splits]


_MEMORY: dict[tuple, QuestionMemory] = {}


def _per_splits(cache: dict, splits: Sequence[str] | None, build):
    """`build(splits)` once per split list (default: the splits the shipped model's memory names)."""
    if splits is None:
        splits = model().get("fit", {}).get("memory", ())
    key = tuple(splits)
    with _LOCK:
        found = cache.get(key)
        if found is None:
            found = cache[key] = build(key)
    return found


def memory(splits: Sequence[str] | None = None) -> QuestionMemory:
    """The kNN memory of the splits the shipped model names (cached per split list)."""
    return _per_splits(_MEMORY, splits, lambda key: QuestionMemory(label_rows(key) if key else []))


# ---- is it a help-center question at all? (the same memory, with the shop's other requests) ----
INTENT_FILE = LABELS_DIR / "intent_examples.jsonl"
# understanding's intents a help-center question is mistaken for ("리뷰에 사진 올리면 얼마 쌓여요" read
# as a product search, "보냉박스 문앞에 내놓으면 뭐 주는거 있어요" as a cart add); never the safety
# refusals (harmful, injection), an order turn, checkout or a profile change
GATE_INTENTS = ("search", "product_question", "cart_add", "cart_remove", "out_of_scope")


class PolicyGate:
    """Labeled help-center questions against the shop's other labeled requests (product searches,
    cart and profile turns). A message is a help-center question when at least `NEED` of its
    `K` nearest labeled texts (character-bigram Jaccard) are policy questions, the nearest is one,
    with similarity at least `MIN_SIM`, and it is `MARGIN` nearer than any other request."""

    # Looser settings (4 of 7, 0.15, 0.03) let M and N's story-told questions through, but also 145
    # of 200 "<product> 얼마예요?" questions (6 of 7: 2): a price question is a product question.
    K, NEED, MIN_SIM, MARGIN = 7, 6, 0.2, 0.05

    def __init__(self, policy_texts: Sequence[str], other_texts: Sequence[str]) -> None:
        seen: set[str] = set()
        self.rows: list[tuple[set[str], bool]] = []
        for texts, is_policy in ((policy_texts, True), (other_texts, False)):
            for t in texts:
                if t and t not in seen:
                    seen.add(t)
                    self.rows.append((grams(t), is_policy))

    def __len__(self) -> int:
        return len(self.rows)

    def asks_policy(self, text: str) -> bool:
        q = grams(text)
        if not q or not self.rows:
            return False
        sims = sorted(((len(q & g) / len(q | g), pol) for g, pol in self.rows), key=lambda x: -x[0])
        near = sims[: self.K]
        other = next((sim for sim, pol in sims if not pol), 0.0)
        return (sum(pol for _, pol in near) >= self.NEED and near[0][1] and near[0][0] >= self.MIN_SIM
                and near[0][0] - other >= self.MARGIN)


def intent_rows(splits: Sequence[str] | None = None) -> list[dict]:
    if not INTENT_FILE.exists():
        return []
    rows = [json.loads(line) for line in INTENT_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if splits is None or r.get("split") in splits]


_GATE: dict[tuple, PolicyGate] = {}


def policy_gate(splits: Sequence[str] | None = None) -> PolicyGate:
    """The gate over the splits the shipped model's memory names (cached per split list)."""
    def build(key: tuple) -> PolicyGate:
        other = intent_rows(key)
        policy = [r["query"] for r in label_rows(key)] + [r["text"] for r in other if r["intent"] == "policy"]
        return PolicyGate(policy, [r["text"] for r in other if r["intent"] != "policy"])

    return _per_splits(_GATE, splits, build)


# A problem with something already bought, told as a story ("산 지 3주 된 스피커가 갑자기 소리가 안
# 나요", "주문한 거랑 다른 샴푸가 들어 있었어요", "같은 주문이 두 번 빠져나갔어요"): the help center's
# after-sales sections answer it, however few labeled neighbours it has. None of the 3,669 labeled
# product and other requests (dev, test, batches A..O) matches.
AFTER_SALES = re.compile(
    r"(?:산|받은|쓴|시킨|주문한)\s*지\s*\S+\s*(?:된|됐|지났)|들어\s*있었|(?:두\s*번|2번)\s*(?:빠져|긁|결제|나갔)|"
    r"(?:왔는데|받았는데|왔어요|받았어요).{0,25}(?:안\s*나|고장|깨져|깨졌|상했|멍들|곰팡|다른|모자|빠졌)|"
    r"(?:갑자기|자꾸)\s*.{0,12}(?:안\s*(?:나|돼|돌아|켜|들어)|고장)")


def reroute(message: str, und, state=None):
    """`und` as a policy question when understanding read a help-center question as another
    request (`GATE_INTENTS`, never a safety refusal, never a turn about a product it points to:
    "그거 보관 어떻게 해") and the gate says it is one; else `und`. A pointer ("이거") counts only
    when something was shown to point to: with a `state` that shows no products, "문 앞에 둔 초록색
    박스 이거 버려도 돼요?" is about the box, not a product."""
    pointed = getattr(getattr(und, "slots", None), "reference", None)
    if pointed and state is not None and not getattr(state, "last_results", None):
        pointed = None
    if (getattr(und, "intent", None) not in GATE_INTENTS or getattr(und, "harmful", False)
            or getattr(und, "injection", False) or pointed):
        return und
    if not (policy_gate().asks_policy(message) or AFTER_SALES.search(message or "")):
        return und
    from dataclasses import replace

    from assistant.types import Slots

    return replace(und, intent="policy", slots=Slots(), clarify=None, confidence=0.6)


def _sections(doc) -> list[tuple[str, str]]:
    return list(getattr(doc, "sections", ()) or ()) or [("", getattr(doc, "body", ""))]


def features(question: str, hits: Sequence, by_id: dict, topic: str | None = None,
             sbm25: dict[str, float] | None = None, near: dict[str, float] | None = None) -> list[dict[str, float]]:
    """One feature dict per hit (hits: the retriever's passage hits, best first); `near`: the
    labeled questions' memory scores (`QuestionMemory.scores`), none when not given."""
    q = grams(question)
    near = near or {}
    fused = [float(getattr(h, "score", 0.0)) for h in hits]
    lo, hi = (min(fused), max(fused)) if fused else (0.0, 0.0)
    norm = [(f - lo) / (hi - lo) if hi > lo else 1.0 for f in fused]
    bm = [float((getattr(h, "scores", None) or {}).get("bm25", 0.0)) for h in hits]
    bm_hi = max(bm, default=0.0) or 1.0
    dn = [(getattr(h, "scores", None) or {}).get("dense") for h in hits]
    dn_known = [d for d in dn if d is not None]
    dn_hi, dn_lo = (max(dn_known), min(dn_known)) if dn_known else (0.0, 0.0)
    doc_best: dict[str, float] = {}
    for h, n in zip(hits, norm):
        d = h.id.split("#")[0]
        doc_best[d] = max(doc_best.get(d, 0.0), n)
    sb = [float((sbm25 or {}).get(_pid(h), 0.0)) for h in hits]
    sb_hi = max(sb, default=0.0) or 1.0
    asks = [has for ask, has in _CUES if ask.search(question)]
    values = [sec for qv, sec in _VALUE_KINDS if qv.search(question)]
    q_neg = bool(_Q_NEG.search(question))
    q_fresh = bool(_Q_FRESH.search(question))
    tm = None
    out = []
    for r, h in enumerate(hits):
        doc_id = h.id.split("#")[0]
        doc = by_id.get(doc_id)
        head, body = _head_body(h, doc)
        title = getattr(doc, "title", "") if doc is not None else ""
        tm = topic_match(topic, doc_id)
        hg = grams(head)
        d = dn[r]
        out.append({
            "fused": norm[r],
            "rank": 1.0 / (1 + r),
            "bm25": bm[r] / bm_hi,
            "dense": ((d - dn_lo) / (dn_hi - dn_lo) if dn_hi > dn_lo else 1.0) if d is not None else 0.0,
            "doc": doc_best.get(doc_id, 0.0),
            "sbm25": sb[r] / sb_hi,
            "heading": _share(q, head),
            "cover": len(hg & q) / len(hg) if hg else 0.0,
            "title": _share(q, title),
            "body": _share(q, body),
            "topic": 1.0 if tm == 1.0 else 0.0,
            "off_topic": 1.0 if tm == 0.0 else 0.0,
            "cue": float(any(has.search(body) for has in asks)) if asks else 0.0,
            "value": float(any(sec.search(body) for sec in values)) if values else 0.0,
            "neg": float(q_neg and bool(_S_NEG.search(head + " " + body))),
            "first": float(section_index(h) == 1),
            "fresh": float(q_fresh and bool(_S_FRESH.search(head + " " + body))),
            "near": near.get(_pid(h), 0.0),
        })
    return out


def _pid(hit) -> str:
    return getattr(hit, "passage_id", "") or hit.id


def section_index(hit) -> int | None:
    """n of a hit's passage id `doc#n` (1-based section), else None."""
    pid = _pid(hit)
    if "#" in pid:
        try:
            return int(pid.rsplit("#", 1)[1])
        except ValueError:
            return None
    return None


def _head_body(hit, doc) -> tuple[str, str]:
    if doc is None:
        return "", getattr(hit, "passage", "") or ""
    secs = _sections(doc)
    i = section_index(hit)
    if i is not None and 1 <= i <= len(secs):
        return secs[i - 1]
    passage = getattr(hit, "passage", "") or ""
    for head, body in secs:
        if body.strip() and body.strip()[:40] in passage:
            return head, body
    return "", passage


_MODEL: dict | None = None


def model() -> dict:
    """{"bias": b, "weights": {feature: w}} from `WEIGHTS_FILE` (fit by `train`)."""
    global _MODEL
    if _MODEL is None:
        path = os.environ.get("JANGBOGI_POLICY_RANK_WEIGHTS") or WEIGHTS_FILE
        _MODEL = json.loads(Path(path).read_text(encoding="utf-8"))
    return _MODEL


def score(feats: dict[str, float], m: dict | None = None) -> float:
    m = m or model()
    z = m.get("bias", 0.0) + sum(w * feats.get(k, 0.0) for k, w in m["weights"].items())
    return 1.0 / (1.0 + math.exp(-z))


def rank(question: str, hits: Sequence, by_id: dict, topic: str | None = None,
         sbm25: dict[str, float] | None = None, m: dict | None = None,
         near: dict[str, float] | None = None) -> list[tuple[float, object]]:
    """(probability the section decides the question, hit), best first; `near` defaults to the
    shipped model's memory (with an explicit model `m`, none unless given)."""
    hits = list(hits)[:POOL]
    if near is None and m is None:
        near = memory().scores(question)
    feats = features(question, hits, by_id, topic, sbm25, near)
    out = [(score(f, m), h) for f, h in zip(feats, hits)]
    out.sort(key=lambda sh: -sh[0])   # stable: ties keep the retriever's order
    return out


# ---- the shopper's words -> the help center's words ---------------------------------------
# Each right-hand side is wording of the policy texts themselves (data/policies/*.md); the
# left-hand side is how shoppers say it. Added to the search query, never shown.
_RULES = (   # (pattern, or patterns that must all match) -> the policies' words
    (r"맘\s*(?:에\s*)?안\s*들|맘\s*(?:이\s*)?바뀌|맘바뀜|마음\s*(?:이\s*)?(?:바뀌|바꼈|변했)|변심|"
     r"생각(?:보다|했던\s*거랑)\s*(?:맛없|안\s*달|별로|달라)|필요\s*없어졌|잘못\s*(?:샀|시켰|주문)", "단순변심"),
    ((r"과일|채소|야채|고기|정육|생선|수산|우유|유제품|요거트|딸기|포도|사과|귤|바나나|수박|복숭아|계란|달걀|두부|냉장|냉동|아이스크림",
      r"맘|마음|변심|생각보다|안\s*달|맛없|필요\s*없"), "신선식품 냉장·냉동 단순변심 반품 불가"),
    (r"깨져|깨진|깨졌|찌그러|터져|터진|박살", "파손 깨졌거나"),
    (r"다른\s*(?:게|거|걸|상품|물건|제품)\s*(?:이|가)?\s*(?:왔|배송|도착)|잘못\s*(?:왔|배송)|엉뚱한", "오배송 다른 상품이 왔거나"),
    (r"(?:하나|한\s*개|몇\s*개|일부)?\s*(?:빠져\s*(?:있|왔)|덜\s*왔|안\s*들어\s*있|모자라)", "누락 빠졌다면"),
    (r"늦게\s*(?:와|왔|오|도착)|늦어|지연|안\s*와요|안\s*왔어", "지연 늦어지면"),
    (r"포인트", "적립금"),
    (r"제주|도서\s*산간|울릉|백령|섬\s*(?:지역|이라|인데|에)|산간", "제주·도서산간 배송"),
    (r"보증|수리|고쳐|에이에스|\bA/?S\b", "무상 A/S 수리"),
    (r"고장|안\s*켜|작동\s*안|전원이\s*안|안\s*돌아가|안\s*움직|먹통|멈춰\s*(?:버|서|있)", "초기 불량 작동하지 않거나"),
    (r"오늘\s*(?:안에|중에|밤에?)?\s*(?:받|와|도착|오|올)", "당일배송"),
    (r"내일\s*(?:아침|새벽|일찍)|아침\s*(?:일찍|에)\s*(?:받|와|도착)|새벽에\s*(?:받|와)|출근\s*(?:하기\s*)?전에?\s*(?:받|와|도착|오|올)",
     "새벽배송"),
    # "…에 주문하면 …받을 수 있어요?": when an order arrives, not when it can be changed or cancelled
    ((r"주문|시키|결제", r"받을|받나|받아|받는|받을까|와요|오나요|올까|도착",
      r"!바꾸|바꿀|바꿔|변경|취소|반품|환불|교환|배송비|택배비|무료|공짜|조회|어디쯤|늦|지연|안\s*와|안\s*왔|없|"
      r"토요일|토욜|일요일|일욜|주말|공휴일|휴일|명절|설날|추석"),
     "주문 마감과 도착 시간"),
    ((r"첫\s*구매|처음\s*(?:사|주문|구매)|신규|가입\s*(?:하면|했는데|선물)", r"!패스|멤버십|유료"), "신규 가입 쿠폰"),
    (r"멍들|멍이|물러|무른|물렀|상했|상한|썩|시들|곰팡|쉰\s*냄새|상태가\s*안\s*좋", "품질에 문제 상했거나 무르거나"),
    (r"중량|무게|저울|\d+\s*g\s*(?:밖에|모자|덜|적)", "표시된 중량보다 적다면"),
    (r"먹다\s*남|먹던|먹어\s*(?:봤|보고)|일부\s*(?:먹|썼)|조금\s*(?:먹|썼)", "일부 소비해 사용하거나"),
    (r"몇\s*(?:프로|%)|얼마나\s*(?:쌓|적립)|적립\s*(?:률|율|얼마)", "적립률"),
    ((r"적립금", r"언제|쌓|비율|퍼센트"), "적립률 구매확정"),
    (r"(?:돈|환불)\S*\s*(?:은|이)?\s*언제|언제\s*(?:들어|돌려|환불)|환불\s*(?:기간|며칠)", "환불 시점 환불을 진행합니다"),
    ((r"환불|돈", r"카드|카카오|간편|계좌|휴대폰"), "결제 수단별 환불"),
    (r"유료\s*(?:멤버십|회원)|패스", "장보기 패스"),
    (r"(?:자리|그냥)\s*(?:뜨|가|떠나|가버)|화면에\s*(?:남|그대로)", "개인정보 보호 화면"),
    ((r"키오스크|매장", r"안\s*누르|가만히|방치|아무것도|입력\s*(?:안|없)|로그인\S*\s*(?:그대로|남|유지|풀)|로그아웃"),
     "개인정보 보호 아무 입력이 없으면 자동으로 로그아웃"),
    (r"피부|뒤집|뾰루지|트러블|가려", "피부 트러블"),
    (r"왕복|택배비|반송비|돌려\s*보내는\s*(?:비용|돈)", "반품 배송비"),
    ((r"반품|돌려\s*보내|반송", r"무료\s*배송으로\s*받|얼마\s*(?:빠|떼|차감)",
      r"!일부|하나만|부분|몇\s*개만|어치만|불량|파손|깨|오배송|잘못\s*(?:왔|배송)"), "반품 배송비 왕복 6,000원 편도 3,000원"),
    ((r"택배비|배송비", r"빠져|빼|차감|얼마\s*(?:나|빠)"), "환불 금액에서 뺍니다"),
    (r"(?:여러|계속|몇|다섯|5)\s*번\s*(?:틀|잘못)|틀려서|틀렸|잠겼|잠겨", "PIN 잘못 입력하면 잠금"),
    ((r"PIN|핀\s*번호|핀번호", r"까먹|잊|모르|바꾸|바꿀|변경|만들|설정|재설정"), "키오스크 PIN 만들고 바꿀 수"),
    ((r"비밀번호|비번", r"까먹|잊|모르|찾"), "비밀번호 찾기"),
    ((r"무통장|입금|가상계좌", r"언제|까지|기한|안\s*넣|늦"), "무통장입금(가상계좌) 입금하지 않으면 자동 취소"),
    ((r"정기배송", r"배송비|무료|공짜|할인"), "정기배송 혜택 배송비가 무료"),
    ((r"키오스크", r"로그인\s*(?:안|없이|하지)|비회원|그냥\s*(?:사|구매)"), "로그인하지 않아도 바로 구매"),
    ((r"키오스크|매장", r"현금|카드|결제|페이"), "매장·키오스크 결제"),
    ((r"픽업", r"며칠|나흘|사흘|늦게|못\s*가|안\s*가|안\s*찾|안\s*하면|뒤에\s*가"), "보관 기간 찾아가지 않으면"),
    ((r"배송\s*완료", r"없|안\s*왔|못\s*받|안\s*보"), "배송 완료인데 상품이 없을 때"),
    ((r"주말|토요일|일요일|공휴일|밤에|새벽에", r"상담|고객센터|전화|채팅|문의"), "운영 시간"),
    ((r"쿠폰", r"돌려|다시|살아|복구|되돌"), "쿠폰 다시 발급"),
    ((r"쿠폰", r"두\s*장|2\s*장|같이|중복|함께|여러\s*장"), "사용 규칙 함께 쓸 수"),
    ((r"일부|하나만|부분|몇\s*개만", r"반품|환불", r"!배송비|무료배송|4\s*만"), "부분 환불"),
    ((r"선물", r"환불|취소"), "선물 환불 보낸 분의 결제 수단"),
    ((r"두\s*번|여러\s*번|또\s*주문|따로\s*주문", r"배송비"), "함께 받기 한 번만"),
    ((r"사진", r"어떻게|찍"), "사진 찍는 방법"),
    (r"공장|같은\s*(?:제조\s*)?시설|혼입|교차\s*오염", "같은 제조 시설 혼입"),
    ((r"샴푸|세제|화장품|로션|기저귀", r"써\s*봤|쓰|썼|사용|뜯"), "쓰기 시작했거나 개봉 후 반품"),
    (r"송장|운송장|어디쯤|배송\s*조회", "배송 조회 운송장"),
    ((r"한\s*달|몇\s*달|\d+\s*개월|두\s*달", r"불량|고장|문제"), "불량 신청 기간 3개월"),
    ((r"휴대폰\s*결제", r"취소|환불"), "휴대폰 결제 취소는 결제한 달 안에만"),
    (r"대량|\d+\s*(?:박스|상자)|회사|단체|기업", "대량 주문"),
    # sections no labeled question above reaches, in the shopper's likely words
    (r"(?:돈|금액|결제)\S*\s*(?:은|이|만)?\s*(?:빠져|빠졌|나갔|출금)", "돈은 빠졌는데 주문이 없을 때"),
    (r"두\s*번\s*결제|중복\s*결제|이중\s*결제|결제가?\s*두\s*번", "중복 결제"),
    (r"결제\S*\s*(?:가|이)?\s*(?:안\s*(?:돼|되|넘어)|실패|오류|에러)", "결제가 안 될 때"),
    (r"택배사|제3자|넘어가|넘겨|제공\s*(?:돼|되|하)", "제3자 제공"),
    ((r"개인정보|내\s*정보|제\s*정보", r"언제|얼마나|보관|지워|파기"), "보유 기간 파기"),
    (r"맞춤\s*추천\s*(?:끄|꺼|안\s*받)|동의\s*(?:철회|취소|끄)|마케팅\s*(?:수신|문자|거부)", "철회 동의"),
    ((r"알레르기|알러지", r"광고|마케팅|홍보|판매|팔아|팔려|넘기|넘어가"), "알레르기 정보 마케팅에는 쓰지 않습니다"),
    ((r"적립금|포인트", r"소멸|사라|만료|없어지|유효\s*기간|언제까지"), "유효기간 소멸"),
    (r"등급|VIP|골드|실버", "등급 기준"),
    ((r"패스|멤버십", r"해지|그만|취소|환불"), "해지"),
    ((r"패스|멤버십", r"첫\s*달|무료\s*체험|체험"), "첫 달 무료"),
    ((r"패스|유료\s*(?:멤버십|회원)", r"배송비|무료\s*배송|공짜|무료로\s*(?:와|배송|받)", r"!첫\s*달|체험"), "요금과 혜택 모든 배송이 무료"),
    ((r"적립금|포인트", r"써도|쓸\s*수|쓰려|쓸래|쓸게|사용할|사용해도|만\s*쓰|남았|남은",
      r"!소멸|사라|만료|없어지|유효|적립률|몇\s*(?:프로|%)|쌓|언제까지|리뷰|탈퇴|돌려|환불|현금|환급"), "사용 방법 최소 사용 금액 1원 단위"),
    ((r"정기배송", r"건너뛰|쉬고|쉬어|빼고|한\s*번\s*(?:빼|안)|미루"), "변경과 건너뛰기"),
    ((r"정기배송", r"해지|그만|끊"), "해지"),
    ((r"문의|질문", r"답변|답장|언제"), "답변 기한"),
    (r"(?:주소|배송지)\S*\s*(?:를|을)?\s*(?:[^\s?]+\s+){0,3}(?:바꾸|바꿀|바꿔|변경|잘못)", "배송지 변경"),
    (r"(?:사이즈|용량|크기|색상|색깔|컬러|\d+\s*(?:ml|mL|L|l|g|kg)\S*|짜리)\s*(?:로|으로|만\s*다른\s*(?:걸|거)로)?\s*(?:바꾸|바꿀|바꿔|교환)",
     "교환 가능한 경우 다른 옵션"),
    (r"품절|결품|재고\s*(?:가\s*)?없", "결품 품절"),
    (r"재입고|다시\s*(?:들어|입고)", "재입고 알림"),
    (r"아이스팩|스티로폼|포장\s*(?:쓰레기|재)|쓰레기", "친환경 포장"),
    (r"몇\s*살|나이|미성년|중학생|고등학생", "만 14세 이상 가입"),
    ((r"\d\s*만|\d[\d,]*\s*천?\s*원|어치", r"배송비|무료|공짜",
      r"!정기배송|픽업|패스|멤버십|제주|도서|산간|반품|환불|취소|교환"), "무료배송 기준 40,000원 이상"),
    ((r"일부|하나만|부분|몇\s*개만|하나|어치만", r"반품|환불", r"배송비|무료배송|4\s*만"), "부분 환불 무료배송 기준 되돌리지 않습니다"),
    ((r"일부|부분|하나만|몇\s*개만|하나", r"취소", r"!정기배송|선물"), "부분 취소"),
    ((r"선물", r"주소"), "주소 입력 기한"),
    ((r"쿠폰", r"정기배송|상품권|행사|적용|안\s*되는|먹혀|먹여"), "쓸 수 없는 상품 쿠폰을 쓸 수 없으며"),
    ((r"당일배송", r"토요일|토욜|일요일|일욜|주말|공휴일"), "일요일과 공휴일"),
    ((r"취소", r"새벽배송|당일배송|몇\s*시|\d+\s*시"), "배송 방법별 취소 가능 시간"),
    ((r"교환", r"얼마|비용|배송비|교환비|택배비"), "교환 기간과 비용"),
    ((r"반품|환불", r"안\s*되는|안되는|불가|제한|못\s*하는"), "반품이 제한되는 경우"),
)
# A pattern starting with "!" must not match ("an amount and 배송비, but no other service named").
EXPANSIONS: tuple[tuple[tuple[tuple[bool, re.Pattern], ...], str], ...] = tuple(
    (tuple((x.startswith("!"), re.compile(x.lstrip("!"))) for x in ((p,) if isinstance(p, str) else p)), w)
    for p, w in _RULES)


def expand(question: str) -> str:
    """The question plus the policy texts' words for what it says ("맘 바뀌었어요" ->
    단순변심, "깨져서 왔어요" -> 파손): BM25 and the vectors then see the help center's terms."""
    q = question or ""
    extra = [w for pats, w in EXPANSIONS if all(bool(p.search(q)) != neg for neg, p in pats)]
    return f"{question} ({' '.join(extra)})" if extra else question


# ---- fitting (the labeled splits named; a held-out check leaves some out) ----------------------
MODEL_FEATURES = ("fused", "rank", "bm25", "dense", "doc", "sbm25", "heading", "cover", "title", "body",
                  "topic", "off_topic", "cue", "value", "first", "near")
L2 = 0.3
# evaluate_answers' blind set name -> label split (batch A and B share one file)
BLIND_SPLITS = {"blind": "blind_ab", "holdout": "blind_c", **{f"holdout_{c}": f"blind_{c}" for c in "defghijklmno"}}


def fit(groups: Sequence[tuple[Sequence[dict[str, float]], Sequence[int]]], l2: float = L2,
        names: Sequence[str] = MODEL_FEATURES) -> dict:
    """Listwise logistic (softmax over each question's candidate sections, L2 penalty) fit with
    L-BFGS: `groups` is one (feature dicts, 0/1 labels) pair per question; questions whose
    labeled section is not among the candidates are skipped."""
    import numpy as np
    from scipy.optimize import minimize

    mats = [(np.array([[f.get(k, 0.0) for k in names] for f in fs]), np.array(ys, dtype=float))
            for fs, ys in groups if any(ys)]

    def loss(w):
        total, grad = l2 * (w @ w), 2 * l2 * w
        for m, y in mats:
            z = m @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            t = y / y.sum()
            total -= float((t * np.log(p + 1e-12)).sum())
            grad = grad + m.T @ (p - t)
        return total, grad

    w = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return {"bias": 0.0, "weights": {k: round(float(v), 4) for k, v in zip(names, w)}}


def candidates(assistant, question: str, topic: str | None,
               near: dict[str, float] | None = None) -> tuple[list, list[dict[str, float]]]:
    """The retriever's top `POOL` policy sections for a question and their features."""
    from assistant.policy_grounding import policy_hits

    hits = policy_hits(assistant.retriever, question)
    by_id = {d.id: d for d in assistant.policies}
    sb = section_bm25(assistant.policies, _tokenizer(assistant.retriever)).scores(question)
    return hits, features(question, hits, by_id, topic, sb, near)


def _tokenizer(retriever):
    analyzer = getattr(retriever, "analyzer", None)
    return getattr(analyzer, "tokenize", None)


def import_blind(out: Path = LABEL_FILES[1]) -> int:
    """Copy the seen blind batches' section labels (tests/data/blind, frozen) into `out`, one
    split per batch (`BLIND_SPLITS`); returns the row count."""
    from assistant.evaluate_answers import BLIND_SETS, read_jsonl

    rows = []
    for name, split in BLIND_SPLITS.items():
        if name not in BLIND_SETS or not BLIND_SETS[name][1].exists():
            continue
        for r in read_jsonl(BLIND_SETS[name][1]):
            rows.append({"id": r["id"], "split": split, "query": r["query"], "passage": r["passage"],
                         "also_ok": list(r.get("also_ok", ())), "answer": r.get("answer")})
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def import_intents(out: Path = INTENT_FILE) -> int:
    """Copy the shop's other labeled requests for `PolicyGate` into `out`: each seen blind batch's
    product questions (intent "product") and its understanding turns (their labeled intent), and
    the dev/test product queries; returns the row count."""
    from assistant.evaluate_answers import BLIND_SETS, REPO_ROOT, read_jsonl

    rows = []
    for name, split in BLIND_SPLITS.items():
        if name not in BLIND_SETS or not BLIND_SETS[name][0].exists():
            continue
        product = BLIND_SETS[name][0]
        rows += [{"split": split, "text": r["query"], "intent": "product"} for r in read_jsonl(product)]
        for nlu in sorted(product.parent.glob("nlu_blind*.jsonl")):
            rows += [{"split": split, "text": r["text"], "intent": r["intent"]}
                     for r in read_jsonl(nlu) if r.get("text") and r.get("intent")]
    for split in ("dev", "test"):
        path = REPO_ROOT / "data" / "eval" / f"queries_{split}.jsonl"
        rows += [{"split": split, "text": r["query"], "intent": "product"}
                 for r in read_jsonl(path) if r.get("type") == "product"]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def all_splits() -> list[str]:
    return sorted({r.get("split") for r in label_rows() if r.get("split")})


def train(splits: Sequence[str], memory_splits: Sequence[str] | None = None, l2: float = L2,
          out: Path | None = WEIGHTS_FILE) -> dict:
    """Fit on the section labels of `splits` (the kNN memory: `memory_splits`, default the same;
    a question's own text is left out of its memory features) and write `out`."""
    from assistant.evaluate_answers import build_assistant
    from assistant.nlu import understand
    from assistant.settings import Settings
    from assistant.types import DialogueState

    memory_splits = list(memory_splits if memory_splits is not None else splits)
    assistant = build_assistant(Settings.from_env())
    rows = label_rows(splits)
    mem = memory(memory_splits)
    groups = []
    for r in rows:
        topic = understand(r["query"], DialogueState(), assistant.lexicon).slots.policy_topic
        hits, feats = candidates(assistant, r["query"], topic, mem.scores(r["query"], leave_out=True))
        ok = {r["passage"], *r.get("also_ok", ())}
        groups.append((feats, [int(_pid(h) in ok) for h in hits]))
    m = fit(groups, l2)
    m["fit"] = {"splits": list(splits), "memory": memory_splits, "questions": len(rows),
                "memory_questions": len(mem), "l2": l2, "pool": POOL,
                "labels": [str(f.relative_to(f.parents[2])) for f in LABEL_FILES]}
    if out is not None:
        out.write_text(json.dumps(m, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if out == WEIGHTS_FILE:
            global _MODEL
            _MODEL = None
    return m


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m assistant.policy_rank",
                                description="Fit the policy section rerank on labeled splits (and their kNN memory).")
    p.add_argument("--splits", default="", help="comma list of label splits to fit on (default: every split)")
    p.add_argument("--memory", default=None, help="comma list of splits for the kNN memory (default: --splits)")
    p.add_argument("--l2", type=float, default=L2)
    p.add_argument("--out", default=str(WEIGHTS_FILE), help="weights file to write")
    p.add_argument("--dry-run", action="store_true", help="print the weights, do not write them")
    p.add_argument("--import-blind", action="store_true",
                   help=f"copy the seen blind batches' labels into {LABEL_FILES[1].name} and {INTENT_FILE.name}, and stop")
    args = p.parse_args(argv)
    if args.import_blind:
        print(f"{import_blind()} rows -> {LABEL_FILES[1]}")
        print(f"{import_intents()} rows -> {INTENT_FILE}")
        return 0
    known = all_splits()
    splits = [x for x in args.splits.split(",") if x] or known
    mem = [x for x in args.memory.split(",") if x] if args.memory is not None else splits
    unknown = sorted(set(splits + mem) - set(known))
    if unknown:
        p.error(f"unknown split(s) {', '.join(unknown)}; known: {', '.join(known)}")
    m = train(splits, mem, args.l2, None if args.dry_run else Path(args.out))
    print(json.dumps(m, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
