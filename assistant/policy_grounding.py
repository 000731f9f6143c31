"""Policy grounding: the help-center section that decides the question, and the answer it gives.

A policy question is answered by one `##` section ("반품-03#2 품질에 문제가 있을 때"), not by
a document: "멍든 과일 환불돼요?" and "단순변심 반품 되나요?" live in the same document and
have opposite answers. Retrieval runs at passage level (`HybridRetriever.search_passages`);
the question is searched with the help center's own words added ("맘 바뀌었어요" -> 단순변심),
and a small listwise logistic model over the top sections (`assistant.policy_rank`: heading and
body overlap, a policy-only BM25, the asked topic, the kind of fact asked for, and the vote of
the most similar labeled questions) picks the deciding one. Its weights and its memory of
labeled questions are the splits `assistant/policy_rank_weights.json` names
(`data/labels/policy_sections*.jsonl`: dev, test and the seen blind batches).

`policy_answer` opens the reply with the section's deciding sentence and its numbers (2일,
40,000원, 23:00). It leads with 네/아니요 only when the section decides the question by itself
(`decide`), else with "조건이 있어요:" when that sentence states a condition, else with nothing:
a 네/아니요 read from negation words alone was measured wrong too often (see
docs/benchmarks/answers.md). The section decides it when
- the shopper's amount, clock time or elapsed days (also in words: "열한시 반", "삼만 오천원",
  "사흘") meets the rule's one threshold or not;
- what was asked about does not exist ("위약금은 없습니다"), the asked count exceeds the allowed
  one ("상품 쿠폰 두 장" / "1장"), or the asked place is a member of the listed one;
- a condition lists cases and the question names one ("파손 … 인 경우에는 장보기가 부담");
- an only-rule allows the asked member or another of its group ("일반배송으로만");
- the deciding sentence states an outcome with no condition, limit, restriction or instruction
  of its own about what was asked ("카드 두 장으로 나누어 결제할 수는 없습니다").
The quote and citation follow (`replies.policy_reply`). Every policy fact comes from the passage
text, never from a model.
"""

from __future__ import annotations

import re
from typing import Sequence

from assistant import policy_rank
from assistant.facts import PolicyFact

_WH = re.compile(r"언제|얼마|몇|며칠|어디|어떻게|어케|어떡|뭐|뭔|무엇|무슨|왜|누가|누구|어느|"
                 r"(?:방법|기준|기간|시간|금액)(?:은|는|이|가|요|이요)?\s*[?？]*\s*$|(?:방법|기준|기간|시간|금액)\s*(?:좀\s*)?알려")
_NOT_DENIAL = re.compile(r"필요(?:는|가)?\s*없|걱정(?:은|하실)?\s*없|관계없|상관없|제외\)")
_NEG = re.compile(r"않습니다|않아요|없습니다|없어요|불가|안 됩니다|수 없|되지 않|쓰지 않|받지 않|하지 않|드리지 않|제한됩니다|못 합니다|쉬며|쉽니다")
_COND = re.compile(r"(?:이|하|되|있|없|넘|지나|않|오|키|고르|뜯|연|썼|쓰)?면\b|경우|안에|이상|이하|미만|까지|전까지|조건|다만|단 ")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_PARTICLE = policy_rank._PARTICLE   # one list of endings cut before matching words


def _grams(text: str) -> set[str]:
    """Character bigrams of Hangul/alnum runs: robust to spacing and endings ("반품돼요"~"반품")."""
    return policy_rank.grams(text)


def _overlap(q: set[str], text: str) -> float:
    if not q:
        return 0.0
    return len(q & _grams(text)) / len(q)


def policy_hits(retriever, query: str, k: int = policy_rank.POOL) -> list:
    """The retriever's top `k` policy sections for the question, searched with the help
    center's own words added (`policy_rank.expand`: "맘 바뀌었어요" -> 단순변심)."""
    filters = None
    try:
        from retrieval import Filters

        filters = Filters(kinds=("policy",))
    except Exception:  # fall back to filtering hits by kind below
        filters = None
    text = policy_rank.expand(query)
    search = getattr(retriever, "search_passages", None)
    if callable(search):
        hits = list(search(text, k=k, filters=filters) or [])
    else:   # a retriever without passage search: its per-document best passages
        hits = list(retriever.search(text, k=10, filters=filters) or [])
    return [h for h in hits if getattr(h, "kind", "") == "policy"]


def rank_sections(question: str, hits: Sequence, by_id: dict, topic: str | None = None,
                  retriever=None) -> list[tuple[float, object]]:
    """(score, hit) for passage hits, best first (`policy_rank`: features and the fitted model)."""
    if not hits:
        return []
    policies = list(by_id.values())
    tokenize = policy_rank._tokenizer(retriever) if retriever is not None else None
    sb = policy_rank.section_bm25(policies, tokenize).scores(question) if policies else {}
    return policy_rank.rank(question, hits, by_id, topic, sb)


def ground_policy(retriever, policies: Sequence, query: str, topic: str | None = None,
                  k: int = 2) -> list[PolicyFact]:
    """The deciding section first, then the next best section (passage-level retrieval plus
    the section rerank)."""
    by_id = {d.id: d for d in policies}
    hits = policy_hits(retriever, query)
    out: list[PolicyFact] = []
    for _, h in rank_sections(query, hits, by_id, topic, retriever):
        fact = _passage(h, by_id)
        if fact and all(f.passage_id != fact.passage_id for f in out):
            out.append(fact)
        if len(out) >= k:
            break
    return out


# ---- the answer ------------------------------------------------------------------------------
_ANY = re.compile(r"(?:뭐|뭔가|무슨)\s*(?:[가-힣]+\s*){0,3}?(?:거|것|게)\s*(?:있|없)(?:나요|어요|을까요|나|어|습니까)")


def is_yes_no(question: str) -> bool:
    """A question answered by 네/아니요 ("반품 되나요?", "뭐 주는 거 있어요?"), not by a fact
    ("며칠 걸려요?")."""
    q = (question or "").strip()
    return bool(q) and not _WH.search(_ANY.sub(" ", q))


_ITEM = re.compile(r"\s+-\s+")   # between "- " list items, on one line once the passage is flattened


def sentences(text: str) -> list[str]:
    parts = [p.strip(" -") for p in _SENT.split(text or "")]
    return [p for p in parts if len(p) >= 4]


def list_item(question: str, text: str, chunk: str) -> tuple[str, str]:
    """(the sentence that opens a list, the list item that answers) when the deciding `chunk`
    is a run of "- " items with no sentence end of its own ("- 고객님 책임으로 … 경우 - 사용하거나
    일부 소비해 … 경우") and a sentence ending in 다/요 opens the list ("다음 경우에는 단순변심
    반품이 제한됩니다."); else ("", "")."""
    if f"- {chunk}" not in (text or "") or re.search(r"(?:다|요)[.!]?$", chunk.strip()):
        return "", ""
    before = sentences(text[: text.find(f"- {chunk}")])
    lead = before[-1] if before else ""
    if not re.search(r"(?:다|요)[.:]?$", lead):
        return "", ""
    items = [x.strip(" -") for x in _ITEM.split(chunk) if len(x.strip(" -")) >= 4]
    return lead, deciding_sentence(question, "\n".join(items)) if len(items) > 1 else chunk


_CLAUSE = re.compile(r"[.?!,;]+\s*|(?<=[는은]데)\s+|(?<=는데요)\s+|(?<=어서|아서|니까)\s+")
# (what the question asks for, what a sentence holding it looks like): the rerank's one table
# (`policy_rank._CUES`), plus a reward cue ("보상 있나요") for picking the deciding sentence.
_CUES = policy_rank._CUES + (
    (re.compile(r"주는|줘요|주나요|주세요|드리나요|보상|혜택|받을\s*수\s*있"), re.compile(r"드립니다|드려요|지급|\d[\d,]*\s*원을")),
)


def asked_clause(question: str) -> str:
    """The part of the message that asks (its last clause: "어제 온 딸기에 곰팡이가 폈어요. 이거
    다시 포장해서 돌려보내야 하나요?" -> "이거 다시 포장해서 돌려보내야 하나요")."""
    parts = [p for p in _CLAUSE.split(question or "") if p and len(p.strip()) >= 2]
    return parts[-1] if parts else (question or "")


def deciding_sentence(question: str, text: str) -> str:
    """The sentence of the section that answers: most words shared with the question, a
    sentence holding the asked kind of fact (time, amount, period) preferred."""
    cands = sentences(text)
    if not cands:
        return (text or "").strip()
    q = _grams(policy_rank.expand(question))   # the help center's words for the situation ("공짜" -> 무료)
    clause = asked_clause(question)
    ask = _grams(clause) if clause.strip() != (question or "").strip() else set()   # a story, then the ask

    def score(i_s):
        i, s = i_s
        cue = 0.0
        for asks, has in _CUES:
            if asks.search(question) and has.search(s):
                cue = 0.5
        return (_overlap(q, s) + _overlap(ask, s) + cue + (0.1 if re.search(r"\d", s) else 0.0) - 0.01 * i)

    return max(enumerate(cands), key=score)[1]


def _denies(sentence: str) -> bool:
    """A negative rule; not a negation in a clause before the outcome ("로그인하지 않아도 바로
    구매할 수 있습니다")."""
    return bool(_NEG.search(_SUB_NEG.sub(" ", _NOT_DENIAL.sub(" ", sentence))))


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
    lead, item = list_item(question, text, best)
    if lead:   # "…제한됩니다." first, then the item that matches the question
        return [lead, item]
    if not is_yes_no(question) or _denies(best) or _conditional(best):
        return [best]
    conds = [x for x in sentences(text) if x != best and _conditional(x) and not _denies(x)]
    if not conds:
        return [best]
    order = sentences(text)
    picked = [best, conds[0]]
    return sorted(picked, key=lambda x: order.index(x) if x in order else 0)


LEADS = {"yes": "네, ", "no": "아니요, ", "conditional": "조건이 있어요: "}


def policy_answer(question: str, fact: PolicyFact) -> str:
    """The reply's first line: "네, …" / "아니요, …" when the section decides the question by
    itself (`decide`), else "조건이 있어요: …" or the deciding sentence itself."""
    verdict, piece = decide_piece(question, fact.text, f"{fact.title} {fact.heading}")
    if verdict and not in_scope(question, f"{fact.title} {fact.heading} {fact.text}"):
        verdict, piece = None, ""   # the section is not about what was asked: no 네/아니요 from it
    parts = [piece] if verdict and piece else answer_sentences(question, fact.text)   # the item that decides
    if verdict:
        caveat = exception_sentence(fact.text, piece)
        if caveat:   # "…무상 수리를 받을 수 있습니다" but "사용자 과실로 고장 난 경우는 유상 수리입니다"
            verdict, parts = "conditional", [piece, caveat]
    parts = [x if x.endswith((".", "!", "?")) else x + "." for x in parts if x]
    joined = " ".join(parts)
    if verdict is None:   # a 네/아니요 read from negation words alone was wrong too often
        verdict = "conditional" if polarity(question, joined) == "conditional" else ""
    return LEADS.get(verdict, "") + joined


# The service or action a question names must be what the deciding section is about before a
# 네/아니요 is read from it: "새벽배송 … 취소해도 돼요?" is not decided by the 새벽배송 order cut-off,
# "정기배송 … 배송비 무료예요?" not by the general free-shipping threshold.
_SCOPE = ("정기배송", "새벽배송", "당일배송", "픽업", "선물", "키오스크", "제주", "도서산간", "패스", "멤버십",
          "교환", "취소", "반품", "환불", "수리", "할부", "적립금", "쿠폰", "탈퇴", "변경")
_EXCEPTION = re.compile(r"경우는|경우에는|다만|단,|\b단\s|제외|과실|별도")


def in_scope(question: str, section: str) -> bool:
    """Every service/action word of `_SCOPE` the question names is in the section's title,
    heading or text."""
    q = re.sub(r"\s+", "", question or "")
    sec = re.sub(r"\s+", "", section or "")
    return all(w in sec for w in _SCOPE if w in q)


def exception_sentence(text: str, piece: str) -> str:
    """Another sentence of the section that makes an exception to the deciding one ("사용자
    과실로 고장 난 경우는 유상 수리입니다"), or ""."""
    for sent in sentences(text):
        if sent.strip(" -.") and sent.strip(" -.") not in (piece or "") and (piece or "").strip(" -.") not in sent \
                and _EXCEPTION.search(sent):
            return sent
    return ""


# ---- 네/아니요 from the rule's numbers ---------------------------------------------------------
# A yes/no question is answered 네/아니요 only when the section decides it by itself:
#   (a) the question states a value (an amount, a clock time, how long ago) and the deciding
#       clause states one threshold of that kind ("40,000원 이상이면", "밤 10시 30분까지",
#       "7일 안에"): the value meets it or not;
#   (b) the deciding sentence is a plain negative rule with no condition ("…되지 않습니다",
#       "…할 수 없습니다") and the question is not itself negated.
# Anything else (two thresholds, a value of another kind, a positive rule with "만", a
# negated question) opens with the deciding sentence itself, never a guessed 네/아니요.
_KNUM = {"한": 1, "두": 2, "세": 3, "석": 3, "네": 4, "넉": 4, "다섯": 5, "여섯": 6}
# Numbers shoppers write in words ("밤 열한시 반", "삼만 오천원어치", "사흘 됐는데"), as digits
# before a question's value is read; the policy texts write digits.
_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_HOURS = {"열두": 12, "열한": 11, "열": 10, "아홉": 9, "여덟": 8, "일곱": 7, "여섯": 6, "다섯": 5,
          "네": 4, "세": 3, "두": 2, "한": 1}
_DAYS = {"하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6, "이레": 7, "열흘": 10,
         "보름": 15, "일주일": 7}
_SINO_WON = re.compile(r"(?<![가-힣\d])(?:([이삼사오육칠팔구])?\s*(만))?\s*(?:([이삼사오육칠팔구])?\s*(천))?\s*(?=원)")
_WORD_HOUR = re.compile(r"(?<![가-힣])(" + "|".join(_HOURS) + r")\s*시(?!간|작|켜|키)")
_WORD_DAYS = re.compile(r"(?<![가-힣])(" + "|".join(_DAYS) + r")(?=\s|$|[이가째도만를을은는,.?!]|\s*(?:됐|되었|지났|지나|넘|째))")


def in_digits(text: str) -> str:
    """The text with worded hours, won amounts and day counts as digits ("밤 열한시 반" ->
    "밤 11시 반", "삼만 오천원" -> "35000원", "사흘 됐는데" -> "3일 됐는데")."""
    def won(m):
        if not (m.group(2) or m.group(4)):
            return m.group(0)
        v = (_SINO.get(m.group(1) or "", 1) * 10000 if m.group(2) else 0) + \
            (_SINO.get(m.group(3) or "", 1) * 1000 if m.group(4) else 0)
        return str(v)

    text = _SINO_WON.sub(won, text or "")
    text = _WORD_HOUR.sub(lambda m: f"{_HOURS[m.group(1)]}시", text)
    return _WORD_DAYS.sub(lambda m: f"{_DAYS[m.group(1)]}일", text)
_AMOUNT = re.compile(r"(?<![\d,])(?:(\d+)\s*만\s*(?:(\d)\s*천)?|(\d{1,3}(?:,\d{3})+|\d+)\s*(천)?|(만))\s*원")
_CLOCK = re.compile(r"(새벽|아침|오전|점심|낮|오후|저녁|밤)?\s*(\d{1,2})\s*시\s*(?:(\d{1,2})\s*분|(반))?|(\d{1,2}):(\d{2})")
_SPAN = re.compile(r"(\d+|한|두|세|석|네|넉|다섯|여섯)\s*(일|주|개월|달|년)")
_AGO = re.compile(r"^\s*(?:이|가|째|정도|쯤|넘게)?\s*(?:됐|되었|지났|지나|썼|사용|넘었|째|전에\s|전\s|뒤에|뒤\s|후에|후\s|된\s)")
_AMOUNT_CMP = re.compile(r"^\s*(?:\([^)]*\))?\s*(이상|넘|초과|미만|이하|아래|까지)")
_CLOCK_CMP = re.compile(r"^\s*(?:\([^)]*\))?\s*(?:를|을)?\s*(까지|전까지|이전|전에|부터|이후|넘)")
_SPAN_CMP = re.compile(r"^\s*(?:이|가)?\s*(안에|이내|동안|까지)")
_PIECE = re.compile(r"\s+-\s+|\n+|(?<=[.!?])\s+")
_ASK_COST = re.compile(r"(?:배송비|택배비|요금|비용|수수료|위약금|돈)\S*\s*(?:\S+\s*)?(?:있|내|붙|생|나와|따로|들)|(?<!보)내야|물어야|토해")
_ASK_FREE = re.compile(r"무료|공짜|면제")
_RULE_FREE = re.compile(r"무료|없습니다|없으며|들지 않")
_RULE_COST = re.compile(r"붙습니다|붙을|부담합니다|추가됩니다|부과됩니다|부과합니다|내셔야|빼고|뺍니다|유상")
_Q_NEGATED = re.compile(r"안\s*(?:돼|되|해|하|나|들어|받|와|올)|않|못\s|없(?:나|어|죠|는)|말고|아니")
_RESTRICT = re.compile(r"만\s|에만|로만|으로만|뿐")


def _amount_values(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _AMOUNT.finditer(text):
        if m.group(1):
            v = int(m.group(1)) * 10000 + (int(m.group(2)) * 1000 if m.group(2) else 0)
        elif m.group(3):
            v = int(m.group(3).replace(",", "")) * (1000 if m.group(4) else 1)
        else:
            v = 10000
        out.append((v, m.end()))
    return out


def _clock_values(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _CLOCK.finditer(text):
        if m.group(5):
            h, mi = int(m.group(5)), int(m.group(6))
        else:
            h, mi = int(m.group(2)), int(m.group(3) or (30 if m.group(4) else 0))
            if m.group(1) in ("오후", "저녁", "밤") and h < 12:
                h += 12
            elif m.group(1) in ("낮", "점심") and 1 <= h <= 6:   # "점심 1시", "낮 2시": afternoon
                h += 12
            elif m.group(1) in ("새벽",) and h == 12:
                h = 0
        if h <= 24 and mi < 60:
            out.append((h * 60 + mi, m.end()))
    return out


def _clock_ambiguous(question: str) -> bool:
    """The question's clock time is a bare hour of 1 to 11 ("1시쯤 결제했는데"): 01:00 or 13:00."""
    return any(not m.group(1) and not m.group(5) and 1 <= int(m.group(2)) <= 11
               for m in _CLOCK.finditer(question))


def _span_values(text: str) -> list[tuple[int, int]]:
    days = {"일": 1, "주": 7, "개월": 30, "달": 30, "년": 365}
    out = []
    for m in _SPAN.finditer(text):
        n = int(m.group(1)) if m.group(1).isdigit() else _KNUM[m.group(1)]
        out.append((n * days[m.group(2)], m.end()))
    return out


_UNITS = r"(?:개|박스|상자|팩|병|봉|묶음|세트)"
_COUNT_Q = re.compile(r"(\d+)\s*" + _UNITS)
_COUNT_CMP = re.compile(r"^\s*(?:를|을)?\s*(넘|초과|이상|이하|까지|미만)")


def _count_values(text: str) -> list[tuple[int, int]]:
    return [(int(m.group(1)), m.end()) for m in _COUNT_Q.finditer(text)]


_AGE = re.compile(r"(?:만\s*)?(\d{1,2})\s*(?:살|세)(?!트)")
_AGE_CMP = re.compile(r"^\s*(이상|미만|이하|넘|초과|부터)")


def _age_values(text: str) -> list[tuple[int, int]]:
    return [(int(m.group(1)), m.end()) for m in _AGE.finditer(text)]


_KINDS = {"amount": (_amount_values, _AMOUNT_CMP), "clock": (_clock_values, _CLOCK_CMP),
          "span": (_span_values, _SPAN_CMP), "count": (_count_values, _COUNT_CMP),
          "age": (_age_values, _AGE_CMP)}


def _question_value(question: str, kind: str) -> int | None:
    """The one value of this kind the question states (None when none or several)."""
    find, _ = _KINDS[kind]
    question = in_digits(question)
    if kind == "span":   # "어제 받았는데": a day ago
        question = re.sub(r"(?<![가-힣])(?:어제|어저께)(?=\s)", "1일 전에", question)
        question = re.sub(r"(?<![가-힣])(?:그저께|그제)(?=\s)", "2일 전에", question)
    vals = find(question)
    if kind == "span":   # how long ago: "받은 지 5일 됐는데", "8개월 썼는데"
        vals = [(v, end) for v, end in vals if _AGO.match(question[end:end + 6])]
    if kind == "amount":   # a threshold the shopper quotes ("4만원 이상이면") is not their value
        vals = [(v, end) for v, end in vals if not _AMOUNT_CMP.match(question[end:end + 6])]
        # "적립금 500원만 배송비에 써요?": the points' or coupon's value, not the order's amount
        vals = [(v, end) for v, end in vals
                if not re.search(r"(?:적립금|포인트|쿠폰|상품권)\s*[\d,.만천백원\s]*$", question[:end])
                or re.match(r"\s*(?:짜리\s*)?(?:주문|어치|결제|구매)", question[end:end + 8])]
        # "원래 42,000원인데 쿠폰 써서 38,000원": the amount before the discount is not the one paid
        vals = [(v, end) for v, end in vals
                if not re.search(r"원래(?:는|은)?\s*[\d,.만천백원\s]*$", question[:end])] or vals
        # "왕복배송비 6천원 맞아?": a fee's own amount, not the order's
        vals = [(v, end) for v, end in vals
                if not re.search(r"(?:배송비|택배비|반품비|교환비|반송비|수수료|위약금|요금)\s*(?:는|은|가|이)?\s*[\d,.만천백원\s]*$",
                                 question[:end])]
    if kind == "clock" and len(vals) > 1 and "지금" in question:   # "8시에 시킨 거 지금 10시 15분인데": now
        at = question.rfind("지금")
        vals = [min(((v, end) for v, end in vals if end > at), key=lambda x: x[1], default=vals[-1])]
    distinct = {v for v, _ in vals}
    return distinct.pop() if len(distinct) == 1 else None


def _thresholds(piece: str, kind: str) -> list[tuple[int, str, bool, str]]:
    """(limit, comparator, is a condition, context) for each threshold of this kind in a sentence
    or list item; the context runs from the previous threshold, so "새벽배송 주문은 밤 10시
    30분까지, 당일배송 주문은 낮 12시까지" gives each time its own subject."""
    find, cmp_re = _KINDS[kind]
    found = []
    for v, end in find(piece):
        m = cmp_re.match(piece[end:end + 12])
        if m:
            stop = end + m.end()
            cond = bool(re.match(r"[^.,]{0,14}?(?:면|경우)", piece[stop:stop + 16]))
            found.append((v, m.group(1), cond, stop))
    if kind == "clock":   # opening hours "10:00~21:00": open until the second time
        for m in re.finditer(r"(\d{1,2}):(\d{2})\s*~\s*(\d{1,2}):(\d{2})", piece):
            found.append((int(m.group(3)) * 60 + int(m.group(4)), "~", False, m.end()))
    found.sort(key=lambda x: x[3])
    out, prev = [], 0
    for v, op, cond, stop in found:
        out.append((v, op, cond, piece[prev:stop]))
        prev = stop
    return out


def _meets(value: int, limit: int, op: str) -> bool:
    if op in ("이상", "부터", "이후"):
        return value >= limit
    if op in ("넘", "초과"):
        return value > limit
    if op in ("미만", "아래", "전까지", "이전", "전에"):
        return value < limit
    return value <= limit   # 이하, 까지, 안에, 이내, 동안, "~" (open until)


def _asks(question: str) -> bool:
    """True when the question asks for the good outcome (can/free), False for a cost."""
    return not (_ASK_COST.search(question) and not _ASK_FREE.search(question))


# services and means the help center sets rules for one at a time: a rule about one member
# does not decide a question about another
_SUBJECTS = (("신용카드", "체크카드", "간편결제", "계좌이체", "무통장", "휴대폰 결제", "상품권"),
             ("새벽배송", "당일배송", "일반배송", "픽업", "정기배송"))


def _other_subject(question: str, piece: str) -> bool:
    """Whether the question names a member of a subject group that the rule does not, while
    the rule names another member ("체크카드" asked, "신용카드" ruled)."""
    for group in _SUBJECTS:
        asked = {g for g in group if g in question}
        ruled = {g for g in group if g in piece}
        if asked and ruled and not asked & ruled:
            return True
    return False


def _outcome_after(piece: str, context: str) -> bool | None:
    """The outcome of THIS threshold's condition when a sentence holds two ("40,000원 이상이면
    무료이고, 미만이면 배송비 3,500원이 붙습니다": at or above the limit it is free), else None."""
    at = piece.find(context)
    if at < 0:
        return None
    m = re.match(r"[^.]*?(?:면|경우에는|경우)\s+(.*)", piece[at + len(context):], re.S)
    if not m:
        return None
    clause = re.split(r",\s|(?<=이고)\s|(?<=[고며])\s", m.group(1), maxsplit=1)[0]
    if _RULE_COST.search(clause):
        return False
    if _RULE_FREE.search(clause):
        return True
    return None


def _outcome(piece: str) -> bool | None:
    """What the rule gives when its condition holds, read after the condition ("…안 켜지면 /
    교환해 드립니다"): True a good outcome (can, free, refund), False a cost, a ban or a step to
    take first ("…사시려면 고객센터 기업구매 창구로 먼저 문의해 주세요")."""
    parts = re.split(r"면\s|경우에는\s|경우\s", piece)
    clause = parts[-1] if len(parts) > 1 else piece
    if re.search(r"먼저|미리|사전에", clause) and _INSTRUCT.search(clause):
        return False
    if _RULE_COST.search(clause):
        return False
    if _RULE_FREE.search(clause):
        return True
    if _denies(clause):
        return False
    if re.search(r"수 있|됩니다|드립니다|드려요|받을|환불|가능|합니다|도착|주세요", clause):
        return True
    return None


_ASKING = re.compile(r"\?|나요|까요|(?<=[인는은던])가요|죠|되나|돼$|가능$|니$|냐$|ㅂ니까|습니까|[을를]까|나$")


def _subject_pick(question: str, cands: list) -> list:
    """Of thresholds whose verdicts differ, the one whose context alone holds a long word of the
    question ("새벽배송"); none when no such word singles one out."""
    words = {_PARTICLE.sub("", w) for w in re.findall(r"[가-힣]{3,}", question)}
    words = {w for w in words if len(w) >= 3}
    own = [c for c in cands if any(w in c[0][3] and not any(w in o[0][3] for o in cands if o is not c)
                                   for w in words)]
    return own if len(own) == 1 else []


def decide_piece(question: str, text: str, context: str = "") -> tuple[str | None, str]:
    """('yes' / 'no', the sentence or list item that decides it) when the section text decides
    this yes/no question unambiguously, else (None, ""); `context`: the section's title and
    heading (what its sentences are about, e.g. "제주·도서산간 추가 배송비")."""
    question = _existence(question)
    if (not is_yes_no(question) or _negated(question) or not _ASKING.search(question.strip())
            or _two_asks(question)):
        return None, ""
    for rule in (_obligation_piece, _confirm_piece, _weekday_piece, _wait_piece):
        verdict, piece = rule(question, text)
        if verdict:
            return verdict, piece
    if _OBLIGE.search(_asking_part(question)) and not _ASK_COST.search(question):
        return None, ""   # "돌려보내야 하나요?": only a rule about that duty answers it
    q = _grams(question)
    pieces = [c for c in _PIECE.split(text or "") if c.strip()]
    for kind in ("amount", "clock", "span", "count", "age"):
        value = _question_value(question, kind)
        if value is None:
            continue
        cands = [(t, piece) for piece in pieces for t in _thresholds(piece, kind)]
        if any(t[2] for t, _ in cands):   # a stated condition ("…이상이면") over an outcome ("7시 전에 도착")
            cands = [(t, piece) for t, piece in cands if t[2]]
        if not cands:
            continue
        if len({_meets(value, t[0], t[1]) for t, _ in cands}) > 1:   # thresholds disagree: whose is it?
            by_piece = {}
            for t, piece in cands:
                by_piece.setdefault(piece, []).append((t, piece))
            if len(by_piece) > 1:   # list items ("분당점: …"): the item that fits the question best
                scored = sorted(((_overlap(q, piece), piece) for piece in by_piece), key=lambda x: -x[0])
                if scored[0][0] <= scored[1][0]:
                    return None, ""
                cands = by_piece[scored[0][1]]
            if len({_meets(value, t[0], t[1]) for t, _ in cands}) > 1:   # one sentence, two limits
                cands = _subject_pick(question, cands)
                if not cands:
                    return None, ""
        # thresholds that agree: quote the one whose piece fits the question ("분당점 …", not "마포점 …")
        cands = sorted(cands, key=lambda c: -_overlap(q, c[1]))
        (limit, op, cond, context), piece = cands[0]
        if _other_subject(question, piece):
            # "체크카드로 8만원 할부?" vs "신용카드로 5만 원 이상이면 할부": not this rule, but a
            # plain negative rule about the asked member may be ("체크카드는 할부가 되지 않습니다")
            return _subject_denial(question, text)
        good = True if op == "~" else (cond and _outcome_after(piece, context)) or _outcome(piece)   # hours "10:00~21:00": open until then
        if good is None:
            return None, ""
        met = _meets(value, limit, op)
        if kind == "clock" and _clock_ambiguous(question) and _meets(value + 720, limit, op) != met:
            return None, ""   # "1시에 결제하면 당일배송?": 오전 or 오후 decides it, so no 네/아니요
        return ("yes" if met == (good == _asks(question)) else "no"), piece.strip(" -")
    if _DESIRE.search(question) and re.search(r"있(?:나요|어요|나|어|을까요)\s*[?？]*\s*$", question.strip()):
        return None, ""   # a wish, then "… 있나요?" about a limit: which one is asked is unclear
    best = deciding_sentence(question, text)
    verdict = _charged_piece(question, text, best)
    if verdict[0]:
        return verdict
    absent = _absent_piece(question, text)
    if absent:   # "배송비 있어요?" / "위약금은 없습니다": what was asked about does not exist
        return "no", absent
    for rule in (_count_piece, _member_piece, _subject_denial, _case_piece):
        verdict, piece = rule(question, text)
        if verdict:
            return verdict, piece
    verdict = _sentence_verdict(question, best, context)
    if verdict[0]:
        return verdict
    for rule in (_redirect_piece, _other_denial, _given_piece, _how_to_piece):
        verdict = rule(question, text, best)
        if verdict[0]:
            return verdict
    return None, ""


def _charged_piece(question: str, text: str, best: str) -> tuple[str | None, str]:
    """A charge asked to be free or waived ("제주 추가 배송비도 면제돼요?") while the deciding
    sentence `best` charges it with no condition ("제주는 3,000원 … 추가됩니다"): 아니요 (batch Q had 네)."""
    if not _ASK_FREE.search(question):
        return None, ""
    # the outcome is the last clause ("무료배송 기준을 넘어도 / 부과됩니다")
    outcome = re.split(r"(?:면|어도|아도|해도|라도)\s|,\s", best or "")[-1]
    if (best and _RULE_COST.search(outcome) and not _RULE_FREE.search(outcome) and not _conditional(outcome)
            and not _EXCEPTION.search(best)):   # "사용자 과실로 고장 난 경우는 유상 수리": an exception
        return "no", best
    return None, ""


_OBLIGE = re.compile(r"([가-힣]{1,6})(?:야|어야|아야|해야)\s*(?:하나요|하나|해요|해|되나요|되나|돼요|돼|할까요|하죠|되죠|합니까)")


def _obligation_piece(question: str, text: str) -> tuple[str | None, str]:
    """"귤을 다시 보내야 돼요?" / "상품을 돌려보내실 필요는 없습니다": a duty the section says is not
    needed -> 'no'."""
    m = _OBLIGE.search(_asking_part(question))
    if not m or _ASK_COST.search(question):
        return None, ""
    stem = m.group(1)[-2:]
    for sent in sentences(text):
        if re.search(r"필요(?:는|가)?\s*없", sent) and stem in sent:
            return "no", sent
    return None, ""


_CONFIRM = re.compile(r"([\d,]+\s*(?:만\s*)?(?:\d\s*)?천?\s*원|\d+\s*(?:일|개월|년|시간|분|장|개))\s*(?:이|가)?\s*"
                      r"(?:맞(?:나요|죠|아요|아|지|습니까)|인가요|이죠|죠)\s*[?？]*\s*$")


def _confirm_piece(question: str, text: str) -> tuple[str | None, str]:
    """"단순 변심 환불 기간 7일 맞나요?" / "왕복배송비 6천원 맞아?": the figure is in the section's
    sentence about the asked thing -> 'yes'."""
    m = _CONFIRM.search(in_digits(question or "").strip())
    if not m:
        return None, ""
    said = m.group(1)
    for kind in ("amount", "span"):
        find, _ = _KINDS[kind]
        want = {v for v, _ in find(said)}
        if not want:
            continue
        for sent in sentences(text):
            if want & {v for v, _ in find(sent)} and _names_asked(question, sent):
                return "yes", sent
    return None, ""


_DAYPART = ("오전", "오후", "아침", "저녁", "점심", "새벽")
_WEEKEND = re.compile(r"주말|토요일|일요일|공휴일|휴일")


def _weekday_piece(question: str, text: str) -> tuple[str | None, str]:
    """"토요일 오전에 전화하면 상담원 연결되나요?" / "전화 상담은 평일 …": a weekday-only service
    asked about for a weekend -> 'no'; the clause must be the one whose subject the question names
    ("전화"), not a sibling one ("채팅 상담은 매일")."""
    if not _WEEKEND.search(question or "") or not _asks(question):
        return None, ""
    qwords = _words(question)
    for sent in sentences(text):
        clauses = [c for c in re.split(r",\s*(?=[가-힣]+\s*[가-힣]*(?:은|는)\s)", sent) if c.strip()]
        named = [c for c in clauses if any(w[:2] in c for w in qwords
                                           if len(w) >= 2 and w[:2] not in ("상담", "고객", *_DAYPART))]
        if len(named) == 1 and re.search(r"평일", named[0]) and not re.search(r"매일|주말|토요일|일요일", named[0]):
            return "no", sent
    return None, ""


_NOW = re.compile(r"(?<![가-힣])(?:바로|당장|곧바로|즉시|지금\s*바로)(?![가-힣])")


def _wait_piece(question: str, text: str) -> tuple[str | None, str]:
    """"주문하고 바로 가지러 가도 돼요?" / "결제 후 2시간이 지나면 픽업할 수 있으며": the asked thing
    comes only after a wait -> 'no'; the waiting clause must name something the question names
    ("픽업", "쿠폰") and fit it better than the sentence's other clauses."""
    if not _NOW.search(question or "") or not _asks(question):
        return None, ""
    ask = _grams(question)
    for sent in sentences(text):
        clauses = [c for c in _CLAUSE_SPLIT.split(sent) if c.strip()] or [sent]
        for c in clauses:
            if not re.search(r"\d+\s*(?:시간|일|분|개월)\s*(?:이|가)?\s*(?:지나(?:면|야)|후에|뒤에|후부터)", c):
                continue
            if any(_overlap(ask, o) > _overlap(ask, c) for o in clauses if o is not c):
                continue
            if _shared_noun(c, question):   # a word of the clause ("픽업할") opens one of the question's
                return "no", sent
    return None, ""


def _redirect_piece(question: str, text: str, best: str) -> tuple[str | None, str]:
    """"상품 추가, 수량 변경은 주문을 취소한 뒤 다시 주문해 주세요" asked "추가할 수 있어요?":
    the asked change is done another way, not as asked -> 'no'."""
    if not _asks(question) or _ASK_FREE.search(question):
        return None, ""
    for sent in sentences(text):
        m = re.match(r"(.{2,40}?)(?:은|는)\s+.*(?:한|은|운)\s*(?:뒤|후)\s*(?:에\s*)?.*(?:주세요|하세요)[.]?$", sent)
        if m and not _conditional_words(m.group(1)) and (_grams(asked_clause(question)) & _grams(m.group(1))) - _STOP:
            return "no", sent
    return None, ""


def _other_denial(question: str, text: str, best: str) -> tuple[str | None, str]:
    """Another sentence of the section is a plain negative rule about the asked clause ("대체
    상품을 임의로 보내지 않습니다" asked "비슷한 걸로 대신 보내주나요?") when the deciding one
    gives no verdict."""
    if not _asks(question) or _ASK_FREE.search(question) or (_POS.search(best) and not _denies(best)):
        return None, ""   # the deciding sentence allows something: a denial elsewhere is about another case
    ask = _grams(policy_rank.expand(asked_clause(question)))
    stem = _asked_verb(question)[:2]
    for sent in sentences(text):
        clauses = [c for c in _CLAUSE_SPLIT.split(sent) if c.strip()] or [sent]
        for c in clauses:
            if c == best or not _denies(c) or _conditional_words(c) or _RESTRICT.search(c) or _LIMIT.search(c):
                continue
            same_verb = len(stem) == 2 and re.search(re.escape(stem) + r"[가-힣]{0,2}지\s*않", c)
            if same_verb or (_overlap(ask, c) >= 0.3 and _names_asked(question, c)):
                return "no", sent   # "대신 보내주나요?" / "대체 상품을 임의로 보내지 않습니다"
    return None, ""


def _shared_noun(question: str, sentence: str) -> bool:
    """A word of the question's (its first two letters, particles and endings aside) opens a
    word of the sentence ("생일이거든요" / "생일이 있는 달")."""
    heads = {w[:2] for w in _words(question) if len(w) >= 2}
    return any(re.search(r"(?<![가-힣])" + re.escape(h), sentence) for h in heads - _STOP)


_AUX = {"거예요", "거죠", "건가요", "거에요", "거", "건", "돼요", "되나요", "되죠", "있어요", "있나요", "수", "있나",
        "거야", "건지", "거지"}


def _asked_verb(question: str) -> str:
    """The asking sentence's own verb, past the auxiliaries ("비슷한 걸로 대신 보내주시는
    거죠?" -> "보내주시는")."""
    words = re.findall(r"[가-힣]+", _asking_part(question))
    while words and words[-1] in _AUX:
        words.pop()
    return words[-1] if words else ""


_WHEN = re.compile(r"(?<![가-힣])(?:오늘|내일|모레|지금|어제|\d+\s*(?:일|시))")


def _how_to_piece(question: str, text: str, best: str) -> tuple[str | None, str]:
    """"이번 주만 쉬고 싶은데 가능해요?" / "이번 회차만 쉬려면 '건너뛰기'를 누르세요": the section
    says how to do the asked thing -> 'yes' (not when the question names a time a limit may rule
    out: "내일 오는데 건너뛸 수 있어요?")."""
    if not _asks(question) or _WHEN.search(question) or _ASK_FREE.search(question):
        return None, ""
    for sent in sentences(text):
        m = re.match(r"(.{2,40}?)(?:으려면|려면)\s+.{0,40}(?:누르세요|누르시면|고르세요|선택하세요|켜세요)", sent)
        if m and _shared_noun(question, m.group(1)) and _overlap(_grams(m.group(1)), question) >= 0.3:
            return "yes", sent
    return None, ""


_EXISTS = re.compile(r"(?<!수)\s(?:[가-힣]+\s)?(?:거|것|게|혜택|보상|쿠폰|적립금)\s*(?:도|은|는|이|가|같은\s*거)?\s*"
                     r"있(?:나요|어요|나|어|을까요|습니까)\s*[?？]*\s*$")


def _given_piece(question: str, text: str, best: str) -> tuple[str | None, str]:
    """"뭐 주는 거 있어요?" / "…쿠폰을 드립니다": the thing asked for is given ('yes'), when the
    giving sentence has no condition ("…면", "경우") of its own; a threshold inside it ("2만 원
    이상 주문에 쓸 수 있는 5,000원 쿠폰") is about using it, not getting it."""
    if not _EXISTS.search(" " + question.strip()) or not _asks(question):
        return None, ""
    if re.search(r"드립니다|지급합니다|드려요|적립해\s*드|발급합니다", best) and not _denies(best) \
            and not _conditional_words(best) and (_names_asked(question, best) or _shared_noun(question, best)):
        return "yes", best
    return None, ""


# ---- 네/아니요 from the deciding sentence's own outcome ----------------------------------------
# A rule sentence with no condition of its own decides a yes/no question about what it names:
# "…주문할 수 없습니다" -> 아니요, "…문자로 받을 수 있습니다" -> 네, "반품 배송비를 모두 장보기가
# 부담합니다" asked "택배비 제가 내야 돼요?" -> 아니요. It must name what was asked (two of the
# question's words, or a third of its character bigrams), and a sentence with a condition
# ("…면", "경우", "…지나야"), a restriction ("…에만", "…만 ") or an instruction ("…해 주세요")
# decides nothing by itself.
_CLAUSE_SPLIT = re.compile(r"(?<=지만),?\s+|(?<=[며고]),?\s+(?=[가-힣]+(?:은|는)\s)|(?<=[며고]),\s+")
_POS = re.compile(r"수\s*있(?:습니다|어요|고|으며|지만)|드립니다|드려요|됩니다|가능합니다|무료입니다|무료이|"
                  r"지급합니다|적립됩니다|환불됩니다|포장합니다|보관합니다|제공합니다")
_REQUIRE = re.compile(r"지나야|(?:해|어|아|워)야\s|(?:해|어|아|워)야만|에 한해|한해서")
_INSTRUCT = re.compile(r"주세요|하세요|바랍니다")
_STORE_PAYS = re.compile(r"장보기가\s*(?:모두\s*)?부담|장보기\s*부담|(?:모두|전액)\s*장보기가")
_CUSTOMER_PAYS = re.compile(r"고객님?\s*부담|(?:붙습니다|부담합니다|내셔야|결제하셔야)")
_ACTIONS = ("환불", "반품", "교환", "취소", "해지", "변경", "가입", "탈퇴", "할부", "적립", "픽업", "수리")
_LIMIT = re.compile(r"\d[\d,]*\s*(?:일|주|개월|년|시|분|원|세|시간|영업일)?\s*(?:\([^)]*\)\s*)?"
                    r"(?:까지|안에|이내|동안|이상|이하|미만|초과|이후|부터|전까지|전에|넘)"
                    r"|기\s*전(?:까지|에)")   # "출고되기 전까지는": a limit set by an event
_FEE = re.compile(r"배송비|택배비|비용|요금|수수료|위약금|반품비|교환비|무료배송|배송료")
_COPULA = re.compile(r"(?:인데요|인데|이에요|예요|이요|이라서|라서|에서|으로|에요)$")
_STOP = {"상품", "주문", "경우", "고객", "고객님", "장보기", "있어요", "있나요", "되나요", "돼요", "가능", "해요"}


def _words(text: str) -> set[str]:
    """The text's Hangul words of two or more letters, particles and endings cut."""
    out = set()
    for w in re.findall(r"[가-힣]{2,}", text or ""):
        w = _COPULA.sub("", w) if len(w) > 3 else w
        w = _PARTICLE.sub("", w) if len(w) > 2 else w
        if len(w) >= 2 and w not in _STOP:
            out.add(w)
    return out


def _names_asked(question: str, clause: str) -> bool:
    """The clause names what the question asks about: two of its words (the help center's words
    for them included, `policy_rank.expand`), or one and a fifth of its bigrams, or a third."""
    qx = policy_rank.expand(question)
    flat = re.sub(r"\s+", "", clause)
    hits = {w for w in _words(qx) if w in flat}
    share = _overlap(_grams(qx), clause)
    return len(hits) >= 2 or (len(hits) >= 1 and share >= 0.2) or share >= 0.34


def _names_a_member(question: str, clause: str) -> bool:
    """A clause that lists what is allowed ("신용·체크카드, 삼성페이 같은 모바일 카드, 장보기페이
    바코드로 결제할 수 있습니다") answers 네 only when the question names one of its members
    ("현금 내도 돼요?" names none: the list is the whole of what is allowed)."""
    parts = [x for x in re.split(r",\s*|·|\s(?:와|과|이나|나|및)\s", clause) if x.strip()]
    if len(parts) < 3:
        return True
    first = re.split(r"(?<=[은는])\s+", parts[0])[-1]   # past the topic ("매장 키오스크에서는")
    last = " ".join(parts[-1].split()[:2])
    members = [first, *parts[1:-1], last]
    words = _words(question)
    return any(w in m or (len(m.strip()) >= 2 and m.strip() in question) for w in words for m in members)


_SUB_NEG = re.compile(r"(?:안\s*[가-힣]*?|[가-힣]+지\s*않)(?:고|도|아도|어도|해도|하고)(?=\s)")


def _asking_part(question: str) -> str:
    """The sentence of the message that asks ("생수 정기배송하면 배송비 따로 내요? 만원어치밖에
    안되는데" -> "생수 정기배송하면 배송비 따로 내요?")."""
    parts = [p for p in re.split(r"(?<=[?？])\s*|(?<=[.!])\s+", question or "") if p.strip()]
    asking = [p for p in parts if "?" in p or "？" in p] or [p for p in parts if _ASKING.search(p.strip())]
    return asking[0] if len(asking) == 1 else (question or "")


def _negated(question: str) -> bool:
    """The asking sentence is itself negated ("못 써요?", "안 되죠?"); a negation in a clause
    before it ("로그인 안 하고 사도 돼요?") or in a remark after it ("…내요? 만원도 안 되는데")
    is not."""
    return bool(_Q_NEGATED.search(_SUB_NEG.sub(" ", _asking_part(question).replace("잘못", ""))))


def _existence(question: str) -> str:
    """"보상 같은 거 없나요?" asks whether there is one, as "있나요?" does (not for a fee:
    "배송비 없나요?" hopes for none); "광고 문자 보내는 거 아니죠?" asks whether they do, as
    "보내는 거예요?" does (the label and the answer are about the thing itself)."""
    question = re.sub(r"(는|은|ㄴ|한|된)\s*(거|것|건)\s*아니(?:죠|지요|에요|예요|야|지)\s*([?？]*)\s*$", r"\1 \2예요\3",
                      question or "")
    if _FEE.search(question or "") or _ASK_COST.search(question or ""):
        return question
    return re.sub(r"(거|것|게|건)\s*없(나요|어요|나|어|을까요)(\s*\??\s*)$", r"\1 있\2\3", question or "")


# "500원만 쓰고 싶은데 최소 금액 있나요?": the wish is what is asked; "아니요, 최소 금액은 없습니다"
# would answer the words and contradict the wish
_DESIRE = re.compile(r"싶은데|싶어서|싶거든|려는데|려고\s*하는데")


def _two_asks(question: str) -> bool:
    """"만원어치만 시켜도 돼요? 배송비는?", "…써도 되나요? 최소금액 있나": two questions in one
    message, one 네/아니요 cannot answer both."""
    parts = [x.strip() for x in re.split(r"[?？]+|(?<=[.!])\s+", question or "") if x.strip()]
    asking = [x for x in parts if _ASKING.search(x) or x.endswith(("는", "은"))]
    return (len(parts) > 1 and (question or "").count("?") > 1) or len(asking) > 1


def _sentence_verdict(question: str, best: str, context: str = "") -> tuple[str | None, str]:
    """('yes' / 'no', the sentence) when the deciding sentence states an outcome with no
    condition of its own about what was asked, else (None, "")."""
    if not best:
        return None, ""
    clauses = [c for c in _CLAUSE_SPLIT.split(best) if c.strip()]
    ask = _grams(policy_rank.expand(asked_clause(question))) | _grams(asked_clause(question))
    clause = max(clauses, key=lambda c: _overlap(ask, c)) if len(clauses) > 1 else best
    if (_conditional_words(clause) or _REQUIRE.search(clause) or _INSTRUCT.search(clause)
            or not _names_asked(question, clause)):
        return None, ""
    asked = re.sub(r"\s+", "", asked_clause(question))
    flat = re.sub(r"\s+", "", clause)
    if (any(w in asked and w not in flat for w in _ACTIONS)
            or (_FEE.search(asked) and not _FEE.search(flat + re.sub(r"\s+", "", context)))):
        return None, ""   # "패스 환불 되나요?" is not decided by "언제든 해지할 수 있습니다"
    cost_q = not _asks(question)
    if cost_q:   # "택배비 제가 내야 돼요?": who pays, when the clause is about a fee
        if not _FEE.search(clause + " " + context):
            return None, ""
        if _STORE_PAYS.search(clause) or _RULE_FREE.search(clause):
            return "no", best
        if _CUSTOMER_PAYS.search(clause) and not _RESTRICT.search(clause):
            return "yes", best
        return None, ""
    if _ASK_FREE.search(question):   # "…배송비 무료예요?"
        exc = re.search(r"\(([^()]*?)\s*(?:은|는)?\s*별도\)", clause)
        if exc and _words(exc.group(1)) & _words(question):
            return "no", best   # "(제주·도서산간 추가 배송비는 별도)" asked "제주 추가 배송비도 공짜예요?"
        if _RESTRICT.search(clause):
            return None, ""
        if re.search(r"추가됩니다|붙습니다|내셔야", clause):
            return "no", best
        if "무료" in clause and not _denies(clause):
            return "yes", best
        return None, ""
    if _RESTRICT.search(clause):
        return _restricted(question, clause, best)
    if _denies(clause):
        return "no", best
    if (_POS.search(clause) and not _RESTRICT.search(clause) and not _COUNT.search(clause)
            and not _LIMIT.search(clause)   # "1년 동안 쓸 수 있습니다": a limit, so it depends
            and _names_a_member(question, clause)):
        return "yes", best
    return None, ""


def _restricted(question: str, clause: str, best: str) -> tuple[str | None, str]:
    """A rule allowing one thing only ("일반배송으로만 받으실 수 있으며", "같은 상품의 다른
    옵션(크기, 색상, 용량)으로만 교환할 수 있습니다"): 'no' when the question names another
    member of the allowed one's group (새벽배송, 다른 상품), 'yes' when it names the allowed
    one or one of its listed kinds (용량), else None."""
    m = re.search(r"^(.*?)(?:으로만|로만|에만|에게만)\s", clause)
    if not m or _denies(clause) or not _POS.search(clause):
        return None, ""
    allowed = m.group(1)[-60:]
    kinds = re.search(r"\(([^()]+)\)", allowed)
    if kinds and {k.strip() for k in re.split(r",\s*|·", kinds.group(1))} & _words(question):
        return "yes", best   # "색상만 다른 걸로 바꿀 수 있어요?": one of the allowed kinds
    said = re.sub(r"\S+\s+\S+\s*말고|\S+\s*말고", " ", question)   # "다른 상품 말고": not what is asked
    for group in (*_SUBJECTS, _SAME_OTHER):
        ruled = {g for g in group if g in allowed}
        asked = {g for g in group if g in said}
        if ruled and asked:
            return ("yes", best) if asked & ruled else ("no", best)
    return None, ""


_SAME_OTHER = ("같은 상품", "다른 상품")


def _case_piece(question: str, text: str) -> tuple[str | None, str]:
    """A rule whose condition lists cases ("상품 불량, 파손, 오배송 … 인 경우에는 반품 배송비를
    모두 장보기가 부담합니다", "…화장품·세제를 쓰기 시작했거나 … 경우에는 단순변심 반품이 되지
    않습니다"): when the question (in the help center's words) names one of the cases, the
    rule's outcome answers it. Sentences with a number limit are left to the value rules; rules
    that disagree decide nothing."""
    qx = policy_rank.expand(question)
    flat_q = re.sub(r"\s+", "", qx)
    found = []
    for sent in (x.strip(" -") for x in _PIECE.split(text or "")):
        parts = re.split(r"(?<=경우에는)\s|(?<=경우)\s|(?<=면)\s", sent, maxsplit=1)
        if len(parts) < 2 or _LIMIT.search(sent) or re.search(r"[:：>]", parts[0]):
            continue
        cond, outcome = parts
        cases = [c for c in re.split(r",\s*|·|거나\s*|이나\s", cond) if c.strip()]
        if len(cases) < 2:
            continue
        nouns = {w for c in cases for w in _words(c) if not re.search(r"(?:[어아고서면다요]|했|았|었|처럼)$", w)}
        if not any(w in flat_q for w in nouns):
            continue
        if not _asks(question):
            if _STORE_PAYS.search(outcome):
                found.append(("no", sent))
            elif _FEE.search(outcome) and _CUSTOMER_PAYS.search(outcome):
                found.append(("yes", sent))
        elif _ASK_FREE.search(question):
            continue
        elif _denies(outcome):
            found.append(("no", sent))
        elif _POS.search(outcome) and not _RESTRICT.search(outcome):
            found.append(("yes", sent))
    if found and len({v for v, _ in found}) == 1 and _names_asked(question, found[0][1]):
        return found[0]
    return None, ""


def _subject_denial(question: str, text: str) -> tuple[str | None, str]:
    """'no' when a plain negative sentence names the service or means the question asks about
    ("체크카드로 할부 돼요?" / "체크카드와 간편결제 일부는 할부가 되지 않습니다")."""
    if not _asks(question) or _ASK_FREE.search(question):
        return None, ""
    for x in sentences(text):
        named = [g for grp in _SUBJECTS for g in grp if g in x and g in question]
        if named and _denies(x) and not _conditional_words(x) and not _other_subject(question, x) \
                and _names_asked(question, x):
            return "no", x
    return None, ""


# ---- counts: "상품 쿠폰 두 장 같이 쓸 수 있어요?" against "상품 쿠폰 1장과 배송비 쿠폰 1장" --------
_COUNT = re.compile(r"(\d+|한|두|세|네)\s*(장|개|번|회|명|곳)")
_KCOUNT = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5}


def _count_piece(question: str, text: str) -> tuple[str | None, str]:
    """'no' when the question asks for more of a thing than a positive rule allows, the thing
    named by the same two words in both ("상품 쿠폰 두 장" vs "상품 쿠폰 1장"), else (None, "")."""
    twice = re.search(r"(?:두|2)\s*번", question or "")
    if twice:   # "배송비 두 번 내요?" / "배송비는 첫 주문 기준으로 한 번만 받습니다"
        for sent in sentences(text):
            if re.search(r"(?:한|1)\s*번만", sent) and _FEE.search(sent) and _FEE.search(question):
                return "no", sent   # a fee charged once is not charged twice
    asked = {}
    for m in re.finditer(r"([가-힣]+)\s+([가-힣]+?)\s*(\d+|한|두|세|네|다섯)\s*(장|개|번|회)", question or ""):
        n = int(m.group(3)) if m.group(3).isdigit() else _KCOUNT[m.group(3)]
        asked[(m.group(1) + m.group(2), m.group(4))] = n
    if not asked:
        return None, ""
    for sent in sentences(text):
        if _denies(sent) or not _POS.search(sent):
            continue
        for m in re.finditer(r"([가-힣]+)\s+([가-힣]+?)\s*(\d+)\s*(장|개|번|회)", sent):
            key = (m.group(1) + m.group(2), m.group(4))
            if key in asked and asked[key] > int(m.group(3)):
                return "no", sent
    return None, ""


# ---- lists: "김포 사는데 새벽배송 돼요?" against "새벽배송: 서울 전 지역, 경기(…, 김포, …)" ---------
def _member_piece(question: str, text: str) -> tuple[str | None, str]:
    """For a list item "이름: a, b(c, d 제외), …" whose name the question says, 'yes' when a word
    of the question is one of its members, 'no' when it is one its parentheses exclude."""
    words = {w for w in _words(question)}
    for piece in (p.strip(" -.") for p in _PIECE.split(text or "")):
        m = re.match(r"([^:：]{2,20})[:：]\s*(.+)", piece)
        if not m or re.sub(r"\s+", "", m.group(1)) not in re.sub(r"\s+", "", question):
            continue
        body = m.group(2)
        for w in words:
            if w in m.group(1):
                continue
            # a leaf of the list ("김포,"), not a group's name ("경기(수원, …)", "경기 성남·고양")
            for hit in re.finditer(r"(?<![가-힣])" + re.escape(w) + r"(?=\s*(?:[,·)]|$))", body):
                group = re.search(r"\(([^()]*)\)", body[max(0, body.rfind("(", 0, hit.start())):])
                inside = body.rfind("(", 0, hit.start()) > body.rfind(")", 0, hit.start())
                if inside and group and re.search(r"제외|불가|않", group.group(1)):
                    return "no", piece
                return "yes", piece
    return None, ""


_ASK_EXIST = re.compile(r"([가-힣]{2,})\s*(?:도|은|는|이|가)?\s*(?:따로\s*|또\s*|추가로\s*)?"
                        r"(?:있(?:어요|나요|어|나|을까요|습니까)|내(?:요|야|나요)|붙(?:어요|나요)|나가(?:요|나요))\s*\??\s*$")


def _absent_piece(question: str, text: str) -> str:
    """For "X 있어요?" / "X 내요?" (X a fee, a minimum, a penalty), the sentence of the section
    that says X does not exist ("위약금은 없습니다", "배송비가 없으며"), else ""."""
    for clause in re.split(r"[?.!]\s*", question or ""):
        m = _ASK_EXIST.search(clause.strip() + "?") if clause.strip() else None
        if not m:
            continue
        noun = _PARTICLE.sub("", m.group(1)) if len(m.group(1)) > 2 else m.group(1)
        for sent in sentences(text):
            if re.search(re.escape(noun) + r"(?:은|는|이|가|도)?없", re.sub(r"\s+", "", sent)):
                return sent
    return ""


def decide(question: str, text: str) -> str | None:
    """'yes' / 'no' when the section text decides this yes/no question unambiguously, else None."""
    return decide_piece(question, text)[0]


_HOW_TO = re.compile(r"(?:버튼|메뉴|화면|설정)\S*\s+(?:\S+\s+)?(?:누르|켜|선택하|고르|들어가)면\s|(?:누르|켜)면\s")


def _conditional_words(sentence: str) -> bool:
    sentence = _HOW_TO.sub("", sentence)   # "'큰 글씨' 버튼을 누르면 글자가 커지고": how, not whether
    return bool(re.search(r"(?:이|하|되|있|없|넘|지나|않|오|키|고르|뜯|연|썼|쓰|았|었|였)?면\b|경우|때는|때에는|다만|단 ", sentence))


# ---- passages --------------------------------------------------------------------------------
def _split_passage(hit, doc) -> tuple[str, str]:
    """(heading, body) of the hit's section: by its passage id, else by matching the text."""
    sections = list(getattr(doc, "sections", ()) or ()) if doc is not None else []
    idx = policy_rank.section_index(hit)
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
