"""Korean understanding: one message -> `Understanding` (intent + slots), deterministically.

`parse(text, state=None, lexicon=None)` normalizes the text, runs the slot extractors
(budget, tags, allergens, brands, urgency, order id, references, amounts), masks what they
consumed, takes the remaining nouns as product keywords (kiwipiepy), then picks the intent
with ordered rules and keeps only the slots that intent uses. It never touches I/O; the
state is only read to read a bare number after a clarifying question. Context carry-over
(refining the previous search, resolving "그거") is `dialogue.update_state`'s job.

`llm_fallback(text, generator)` asks an LLM for a JSON intent when the rules are unsure;
it is optional and off unless the caller passes a generator.

Example:
    >>> u = parse("비건 간식 만원 이하로 3개 추천해줘")
    >>> u.intent, u.slots.dietary_tags, u.slots.budget_max, u.slots.count, u.slots.keywords
    ('search', ('비건',), 10000, 3, ('간식',))
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from assistant.nlu.budget import extract_budget
from assistant.nlu.categories import resolve_categories
from assistant.nlu.helpcenter import service_words
from assistant.nlu.intents import CHECKOUT, MEMORY, SELF, STRONG_REQUEST, Signals, classify, situation_topic
from assistant.nlu.keywords import analyze, reads_as_noun
from assistant.nlu.lexicon import (
    ALLERGEN_FAMILIES,
    ALLERGEN_SYNONYMS,
    SHORT_ITEM_NOUNS,
    TAG_SYNONYMS,
    USE_TAGS,
    Lexicon,
)
from assistant.nlu.refs import SORT_OF, demonstrative, extract_amounts, extract_reference, extract_sort, product_specs
from assistant.nlu.slots import (
    added_allergy,
    allergen_clauses,
    asked_allergens,
    extract_brands,
    extract_order_id,
    extract_policy_topic,
    extract_tags,
    extract_urgency,
    find_terms,
    normalize,
    removed_terms,
)
from assistant.types import INTENTS, DialogueState, Reference, Slots, Understanding

__all__ = ["Lexicon", "parse", "llm_fallback", "LOW_CONFIDENCE"]

LOW_CONFIDENCE = 0.5
_PRODUCT_INTENTS = ("search", "product_question", "cart_add", "cart_remove")
_EXCLUDES = re.compile(r"빼|제외|말고|없는|없이|안\s?들어|들어간\s?(?:거|건|것)\s?(?:은|는)?\s?(?:안|못)|도\s?못\s?먹"
                       r"|안\s?(?:돼|되|맞)")   # "저 밀가루 안 돼요", "콩도 안 맞아요" while choosing
_CART_INTENTS = ("cart_add", "cart_remove", "cart_view", "reorder", "checkout")
# what may stand around the amount that changes a reorder: "이번엔 두 박스로", "그럼 세 개만요"
_REORDER_AMOUNT = re.compile(r"(?:(?:이번엔|이번에는|이번에|이번|그럼|아|근데|대신|그냥|다시)\s?)*(?:으로|로)?\s?(?:만|씩)?\s?"
                             r"(?:요|이요|주세요|해\s?주세요|해줘|할게요|부탁해요|부탁드려요|주문해\s?주세요|시켜\s?주세요)?\s?[.!~]*")
# "한 방울도", "한 톨도": a quantifier of a negation, no product
_NOT_EVEN = re.compile(r"(?:단\s?)?한\s?(?:방울|톨|알|조각)\s?(?:도|이라도|라도)(?![가-힣])")
_SHOW = re.compile(r"추천|보여|골라|찾아|알려")
_PICK_ONE = re.compile(r"골라|추천|보여|뽑아|찍어")
_LIVING_ALONE = re.compile(r"혼자\s?(?:살아|살고|살거든|삽니다|살면서)")
# "그거 말고", "그럼": the choice changed or taken, before a pointer and an amount
# an acknowledgment opening the message, then more: not "네 개" (four), "네 번째" (fourth)
_ACK = re.compile(r"^(?:ㅇㅋ(?:ㅇㅋ)?|ㅇㅇ|ㅇㅋㅂ|오케이|오키|ok|okay|넵|넹|네네|네|예|응|웅|그래요|알겠어요|알겠습니다"
                  r"|좋아요(?=\s?[,.!~]))\s?[,.!~]*\s+(?!(?:개|번|병|봉|팩|박스|캔|통|묶음|세트|판|마리|장|가지|명|분|살|다스|줄|포기|모|송이|알|키로|kg))(?=\S)")
_OTHER_ONE = re.compile(r"^\s*(?:(?:그거|이거|저거|그건|이건)\s?말고|그럼|아)\s")
_CART_TURNS = ("cart_view", "cart_add", "cart_remove")
_TAKE_OUT = re.compile(r"빼(?:고|주고|줘|\s?주세요|주세요|요)?(?:\s|$|[.,!~])")
_KEEP_THE_REST = re.compile(r"나머지")
_CART_PLACE = re.compile(r"장바구니|카트|담은|담았|담긴|넣은|넣었")
_DEFAULT_LEXICON = Lexicon.default()
_FOLLOW_UP_QUESTION = re.compile(r"\?|(?:되나요|돼요|되죠|하나요|인가요|나요|까요|어요|에요|죠)\s?[.~]*$|어떻게|언제|며칠|얼마나")
_BUYING = re.compile(r"\s?(?:만|씩)?\s?(?:사려|사고\s?싶|살\s?(?:건데|거|려)|살려|사야|구매하려|주문하려|필요|(?:에|짜리|는|은)?\s?얼마)")
_INGREDIENT = re.compile(r"([가-힣]{2,})(?:이|가)?\s?(?:들어간|들어있는|들어\s?있는|든|넣은|넣어\s?만든)\s?(?:거|걸|것|게|제품|상품)")
_CONTENT_ASK = re.compile(r"(?:들었|들어\s?(?:가|있|갔)|포함\s?(?:돼|되|됐)|성분\s?(?:이|은|도)?\s?있)(?:(?:나요|어요|어|나|죠|는지|요|니|습니까)\s?\?|나요\s?[.~]*$"
                          # "... 들어가나요 조카가 알류 알러지라": the question, then the allergy it is for
                          r"|나요\s[^?]*(?:알러지|알레르기|안\s?되는|못\s?먹는)[가-힣\s]*[.~]*$)"
                          r"|(?<![가-힣])있어요\s?없어요|있나요\s?없나요"   # "단백질바에 땅콩 있어요 없어요?"
                          # the same asked as a confirmation in chat: "계란 진짜 안 들어감?", "우유 안 들어가죠?"
                          r"|안\s?들어(?:감|가죠|갔죠|있죠|가는\s?거\s?맞|간\s?거\s?맞)[가-힣]*\s?\?")
_ORDER_FILLER = re.compile(r"\s*(?:거|것|걸|꺼|걸로|거로)?\s*(?:(?:은|는|을|를|으로|로|도)?\s?(?:요|만|만요|씩|씩요|이요|주세요|줘요|줘|할게요|살게요|살래요|사요|주문할게요|이요)?)\s*[.!~]*\s*")
_OWNED = re.compile(r"([가-힣a-z]{2,}?)(?:은|는)\s?(?:이미\s?|벌써\s?|집에\s?)?(?:있어요|있어|있음|있거든요|있으니까|있으니|있는데|있고)(?!\s?\?)")
# family words that are also a kind of food to want ("생선", "해산물"); 계란, 콩, 유제품 ... are
# only ever said to name the allergen
ALLERGEN_FAMILY_WORDS = frozenset(ALLERGEN_FAMILIES) & {"생선", "해산물", "해물", "어패류", "조개", "패류",
                                                        "견과", "견과류", "너트"}
# a refusal or an allergy right after a word ("생선은 빼고", "해산물 알러지", "견과류 없는")
_REFUSED_AFTER = re.compile(r"\s?(?:은|는|이|가|도|류|을|를)?\s?(?:다|전부|모두|하나도|일절|절대|종류|쪽|계열)?\s?(?:알레르기|알러지|빼|말고|없|안\s|안되|안돼|제외|못|들어|든\s|넣|x|X)")
_NOT_WANTED = re.compile(r"([가-힣a-z]+?)(?:은|는|이|가)?\s?(?:말고|말구|대신)")


_WORD_END = re.compile(r"(?:인데|인지|인가|예요|에요|은|는|이|가|을|를|도|만|과|와|에|로|으로|의|랑|이랑|하고|요|용|류|세트|좀)")


_ASKS_LACTOSE_FREE = re.compile(r"락토\s?프리|유당\s?(?:프리|없는|제거|분해)|무유당|lactose", re.I)

def _whole_item_words(masked: str, keywords: list[str], lexicon: Lexicon) -> list[str]:
    """A kind of product the catalog sells, said in words the analyzer split or spaced
    ("고양이 모래" -> 고양이모래, "말린 과일" -> 말린과일, "그래놀라" read as 그래+놀라): the
    whole word replaces its pieces among the keywords.

    >>> _whole_item_words("고양이 모래 추천", ["고양이", "모래"], Lexicon.default())
    ['고양이모래']
    """
    out = list(keywords)
    for word, (s, e) in find_terms(masked, dict.fromkeys(lexicon.item_words())):
        if any(word in k for k in out):
            continue
        starts = s == 0 or not masked[s - 1].isalnum()
        ends = e == len(masked) or not masked[e].isalnum() or bool(_WORD_END.match(masked, e))
        if not (starts and ends):
            continue   # inside a longer word ("두부모래" holds no 두부 kind of its own)
        pieces = [k for k in out if k in word]
        if not pieces and reads_as_noun(word, lexicon):
            continue   # the analyzer read it and the rules left it out ("충전기는 있어요")
        out = [k for k in out if k not in pieces]
        out.append(word)
    return out


def _names_the_kind(text: str, tag: str, categories) -> bool:
    """A word for `tag` in `text` is part of a category's own name ("식물성" in
    "주스·식물성음료/두유·식물성음료", "프로틴" in ".../프로틴").

    >>> _names_the_kind("식물성 음료 있나요", "비건", ["음료/주스·식물성음료/두유·식물성음료"])
    True
    >>> _names_the_kind("비건 두유", "비건", ["음료/주스·식물성음료/두유·식물성음료"])
    False
    """
    words = [w for w, v in TAG_SYNONYMS.items() if v == tag and len(w) >= 2] + [tag]
    return any(w in text and any(w in c for c in categories) for w in words)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span by one space (kiwi tags differently around long runs of spaces)."""
    keep = [True] * len(text)
    for s, e in spans:
        keep[s:e] = [False] * (e - s)
    out, prev_masked = [], False
    for ch, k in zip(text, keep):
        if k:
            out.append(ch)
        elif not prev_masked:
            out.append(" ")
        prev_masked = not k
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by spaces (same length, so offsets still hold)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _without(keywords: list[str], drop: list[str], masked: str, t: str, lexicon: Lexicon) -> tuple[list[str], list[str]]:
    """Keywords less `drop`, and the categories the rest names."""
    if not drop:
        return keywords, resolve_categories(masked, keywords, lexicon.category_paths(), context=t)
    kept = [k for k in keywords if k not in drop]
    rest = _mask(masked, [m.span() for k in drop for m in re.finditer(re.escape(k), masked)])
    return kept, (resolve_categories(rest, kept, lexicon.category_paths(), context=t) if kept else [])


def _allergy_said_last_turn(state: DialogueState) -> bool:
    last = next((m.get("content", "") for m in reversed(state.history or []) if m.get("role") == "user"), "")
    return bool(last) and bool(allergen_clauses(normalize(last))[0])


def parse(text: str, state: DialogueState | None = None, lexicon: Lexicon | None = None) -> Understanding:
    """Understand one Korean shopping message. Pure and deterministic.

    >>> parse("땅콩 알레르기 있어요").intent
    'profile_update'
    >>> u = parse("그중에 제일 싼 거 2개 담아줘")
    >>> u.slots.reference, u.slots.quantity
    (Reference(kind='cheapest', index=None, count=1), 2)
    """
    lexicon = lexicon or _DEFAULT_LEXICON
    t = normalize(text)
    # "ㅇㅋ 그거 2개", "넵 첫번째 거 3개": an acknowledgment before the request says nothing of it
    t = _ACK.sub("", t) or t
    lo, hi, budget_spans = extract_budget(t)
    tags, tag_spans = extract_tags(t, lexicon)
    cart_turn = bool(state and state.last_intent in _CART_INTENTS)
    allergens, allergen_spans, allergen_clause_spans = allergen_clauses(t, cart_context=cart_turn)
    if not allergens and state is not None and _allergy_said_last_turn(state):
        more = added_allergy(t)   # "고등어는 알러지 있어서 빼고" -> "오징어도요": squid is excluded too
        if more:
            allergens = more
            allergen_spans = allergen_clause_spans = [(0, len(t))]
    if ("락토프리" in tags and "우유" in allergens and _ASKS_LACTOSE_FREE.search(t)
            and not re.search(r"알레르기|allerg", t)):
        # lactose intolerance is not a milk allergy: lactose-free milk (the 락토프리 tag), asked
        # for by name, is what the shopper wants, and it still contains the milk protein. Without
        # that name ("우유 안 들어간 식빵, 유당불내증이라") the stated exclusion stays.
        allergens = [a for a in allergens if a != "우유"]
    # an allergen word the shopper did not exclude ("생선 중에 고등어 말고": 생선 is what they
    # want) stays in the text the keywords come from
    allergen_spans = [(s, e) for s, e in allergen_spans
                      if set(ALLERGEN_SYNONYMS.get(t[s:e].replace(" ", "").lower(), ())) <= set(allergens)
                      or any(e0 == s for _, e0 in allergen_spans)]   # the rest of one word: "땅콩버터"
    # a family word after its excluded member was named, with no refusal of its own, is what
    # the shopper wants ("고등어 알러지라 고등어 빼고 구워먹을 생선": a fish, not every fish out);
    # the member stays excluded
    allergen_spans = [(s, e) for s, e in allergen_spans
                      if not (t[s:e] in ALLERGEN_FAMILY_WORDS
                              and any(e0 <= s and t[s0:e0] not in ALLERGEN_FAMILY_WORDS for s0, e0 in allergen_spans)
                              and not _REFUSED_AFTER.match(t[e:])
                              and not re.match(r"\s?[,)·/]", t[e:]) and not re.search(r"[(,]\s?$", t[:s]))]
    brands, avoid_brands, brand_spans = extract_brands(t, lexicon)
    urgency, urgency_spans = extract_urgency(t)
    order_id, order_spans = extract_order_id(t)
    reference, ref_spans = extract_reference(t)
    if reference is not None and any(s <= ref_spans[0][0] < e for s, e in allergen_clause_spans):
        reference, ref_spans = None, []  # "밀, 대두, 우유 다 빼고": the list, not every shown product
    amounts = [a for a in extract_amounts(t) if not any(s <= a[2][0] < e for s, e in ref_spans + budget_spans
                                                        + allergen_clause_spans)
               and not any(0 <= a[2][0] - e <= 1 and a[1] == "장" for _, e in budget_spans)]  # "만원 한 장으로"
    # brand names may contain policy words ("수상한농장" holds "상한"): blank them, same length
    t_no_brands = "".join(" " if any(s <= i < e for s, e in brand_spans) else ch for i, ch in enumerate(t))
    policy_topic, policy_spans = extract_policy_topic(t_no_brands)
    # service words take the rest of their word with them ("리뷰쓰면" leaves no "면")
    policy_spans = [(s, e + len(re.match(r"\S*", t[e:]).group())) for s, e in policy_spans]
    not_wanted = [m.span(1) for m in _NOT_WANTED.finditer(t)]  # "땅콩버터 말고 잼" -> not 땅콩버터
    masked = _mask(t, budget_spans + tag_spans + allergen_spans + brand_spans + urgency_spans + order_spans
                   + ref_spans + [a[2] for a in amounts] + product_specs(t) + not_wanted + policy_spans
                   + [m.span() for m in _NOT_EVEN.finditer(t)])
    keywords, give_verb = analyze(masked, lexicon)
    owned = [m.span(1) for m in _OWNED.finditer(t)]
    if owned and keywords:
        # "케이블만 필요해요 충전기는 있어요": what the shopper already has is not what to find,
        # when something else is named (a lone "우유는 있어요" keeps its word)
        narrowed = analyze(_mask(masked, [m.span() for s, e in owned for m in re.finditer(re.escape(t[s:e]), masked)]), lexicon)
        if narrowed[0]:
            keywords, give_verb = narrowed
    categories = resolve_categories(masked, keywords, lexicon.category_paths(), context=t)
    inside = [m.span(1) for m in _INGREDIENT.finditer(t)]
    if inside and len(categories) > 1:
        # "이유식 소고기 들어간 거": 소고기 is what is inside the 이유식, not a second kind of
        # product; its category goes when another one is left (the word stays a keyword)
        words = {t[s:e] for s, e in inside}
        kept = resolve_categories(_mask(masked, [m.span() for w in words for m in re.finditer(re.escape(w), masked)]),
                                  [k for k in keywords if k not in words], lexicon.category_paths(), context=t)
        if kept:
            categories = kept
    # a use tag (캠핑, 유아, 대용량, ...) is required only where the catalog carries it: "아기
    # 이유식" names a leaf that is the use itself, and requiring 유아 there would exclude it all
    tags = [tag for tag in tags if lexicon.tag_fits(tag, categories)]
    # ... and a tag is no extra condition where the kind named already says it: every "강아지
    # 사료" or "캠핑 랜턴" of the catalog carries it, the category filter keeps to them. A diet
    # (not a use) goes only where its word is the kind's own name ("식물성 음료", "프로틴"): a
    # diet said as such ("비건 두유", "유당불내증이라") is the shopper's and stays
    implied = lexicon.implied_tags(categories)
    kind_tags = [tag for tag in tags if tag in implied and (tag in USE_TAGS or _names_the_kind(t, tag, categories))]
    tags = [tag for tag in tags if tag not in kind_tags]
    for leaf, path in lexicon.categories:  # the analyzer sometimes splits a known leaf name
        if path in categories and leaf in masked and not any(leaf in k for k in keywords):
            keywords.append(leaf)
    keywords = _whole_item_words(masked, keywords, lexicon)
    for m in SHORT_ITEM_NOUNS.finditer(masked):
        if not any(m.group(1) in k for k in keywords):
            keywords.append(m.group(1))   # "계란 안 쓴 마요": the analyzer read 마요 as a verb
    sig = Signals(
        has_reference=reference is not None, reference_kind=reference.kind if reference else None,
        has_amounts=bool(amounts),
        has_budget=lo is not None or hi is not None, has_tags=bool(tags or kind_tags),
        has_allergens=bool(allergens), has_brands=bool(brands), has_avoid_brands=bool(avoid_brands),
        has_keywords=bool(keywords), keywords=tuple(keywords), has_urgency=urgency is not None,
        give_verb=give_verb, has_category=bool(categories), policy_topic=policy_topic, order_id=order_id,
        service_words=service_words(keywords, lexicon) if keywords else (),
    )
    # "닭고기 들어간 건 빼주세요": the allergy clause states a constraint, it is not a cart
    # removal or a question about ingredients; the intent rules read the rest
    intent, confidence, harmful, injection = classify(t, sig, _blank(t, allergen_clause_spans))
    intent, confidence = _answer_to_question(intent, confidence, state)
    if (intent == "cart_remove" and allergens and state is not None and state.last_intent in ("search", "product_question")
            and not _CART_PLACE.search(t)):
        # "오징어도 같이 빼 주세요", "새우맛 과자도 빼줘요 갑각류 있는 애가 있어서" while choosing
        # products: the allergen is taken out of the results, nothing is taken out of the cart
        intent, confidence = "search", 0.8
        verb = re.search(r"빼|제외", t)
        # what is taken out ("새우맛 과자도 빼줘요") is no word to search for: the search refined is the last one
        keywords, categories = _without(keywords, [k for k in keywords if verb and 0 <= t.find(k) < verb.start()],
                                        masked, t, lexicon)
    if (intent in ("search", "profile_update") and _CONTENT_ASK.search(t) and not injection and not harmful
            and (keywords or reference is not None or demonstrative(t) or brands)):
        # "조미김에 대두 들었어요?", "이 쿠키에 견과류 들었나요? 애가 호두 알러지라서요": asks
        # what a product holds; the allergens said stay in the slots (and the session)
        intent, confidence = "product_question", 0.8
    if (reference is not None and (amounts or reference.count > 1) and intent not in ("cart_add", "cart_remove")
            and not injection and not harmful
            and _ORDER_FILLER.fullmatch(_mask(_OTHER_ONE.sub(lambda m: " " * len(m.group()), t),
                                              ref_spans + [a[2] for a in amounts]))):
        # "이거 3개요", "두 번째 거 두 봉지만", "평점 젤 좋은걸로 2개", "그거 말고 첫번째 거 2개":
        # a pointer and an amount
        intent, confidence = "cart_add", 0.8
    if (state is not None and state.last_intent == "reorder" and amounts and reference is None
            and not injection and not harmful and _REORDER_AMOUNT.fullmatch(_mask(t, [a[2] for a in amounts]))):
        intent, confidence = "reorder", 0.8   # "이번엔 두 박스로" right after "지난번 거 그대로 주문해줘"
    if (intent == "cart_remove" and (lo is not None or hi is not None) and not keywords and reference is None
            and not _CART_PLACE.search(t)):
        intent, confidence = "search", 0.8   # "만오천원 넘는 건 빼줘": a price taken out of the results
    if (intent in ("search", "out_of_scope") and not allergens and not injection and not harmful and keywords
            and _TAKE_OUT.search(t) and (state is not None and state.last_intent in _CART_TURNS or _KEEP_THE_REST.search(t))):
        # "콜라는 빼고", "거기서 과자 두 개 빼주고" with the cart on screen, "바나나는 빼고 나머지는
        # 그대로 둬": a line taken out of the cart, not a search without it
        intent, confidence = "cart_remove", 0.8
        keywords = [k for k in keywords if not _KEEP_THE_REST.search(k)]
    if (intent == "cart_add" and cart_turn and reference is not None and reference.kind == "it"
            and CHECKOUT.search(t) and not keywords):
        intent, confidence = "checkout", 0.85  # "이걸로 결제할게요" right after adding it
    if (state is not None and state.last_intent == "policy" and intent in ("search", "product_question", "out_of_scope")
            and not injection and not harmful and _FOLLOW_UP_QUESTION.search(t) and not STRONG_REQUEST.search(t)
            and not (tags or allergens or brands or categories or lo or hi)
            # "그럼 그거 들어오면 바로 쓸 수 있죠" right after a points question: 그거 is what was asked about
            and (reference is None or reference.kind == "it" and not keywords)):
        # "사진 찍어서 보내면 되나요? 언제까지 알려야 돼요?" right after a return question
        intent, confidence = "policy", 0.7
    if (intent == "profile_update" and state is not None and state.last_intent in ("search", "product_question")
            and not MEMORY.search(t) and (_EXCLUDES.search(t) or not SELF.search(t))):
        # while choosing products, "일행 중에 갑각류 알레르기 있는 사람도 있어요" or "닭 들어간 건
        # 안 돼요" narrows the search; "우리 애기 우유 알레르기 있어요" stays about the household
        intent = "search"
    removed_allergens, removed_tags = removed_terms(t, lexicon) if not (injection or harmful) else ([], [])
    if ((removed_allergens or removed_tags) and intent in ("search", "cart_remove", "product_question", "profile_update",
                                                           "out_of_scope", "greeting")
            and not STRONG_REQUEST.search(t) and not _CART_PLACE.search(t)):
        # "땅콩 알레르기 다 나았어요", "새우 알레르기 이제 괜찮아요, 지워 주세요": a change to the
        # shopper's record (made in the profile panel); the allergen stays excluded meanwhile
        intent, confidence = "profile_update", max(confidence, 0.8)
        allergens += [a for a in removed_allergens if a not in allergens]
    else:
        removed_allergens, removed_tags = [], []
    if intent == "product_question" and not injection and not harmful:
        # "이 쿠키 계란 들어가요?", "그 소스 복숭아 성분 있나요": the allergen asked about is the
        # shopper's concern; it stays in the slots (and the session), never as a product word
        for name in asked_allergens(t):
            if name not in allergens:
                allergens.append(name)
        asked = [k for k in keywords if set(ALLERGEN_SYNONYMS.get(k, ("-",))) <= set(allergens)]
        if asked:
            keywords, categories = _without(keywords, asked, masked, t, lexicon)
    if intent == "product_question":
        if reference is not None:
            keywords = []  # "두 번째 거 유통기한": the nouns are the attribute asked about
        elif demonstrative(t):
            reference = Reference("it")  # "이 과자 얼마예요?" points at a shown product
    if (intent == "product_question" and reference is not None and reference.kind in SORT_OF and product_specs(t)
            and not injection and not harmful):
        # "6개들이 중에 젤 싼 거", "20병짜리로 제일 저렴한 거": a pack size and the cheapest of it,
        # a sorted search for that size, not a shown product
        intent, confidence = "search", 0.8
    if intent == "search" and (keywords or product_specs(t)) and reference and reference.kind in SORT_OF:
        # "물티슈 제일 저렴한 걸로 찾아줘" names a product: a sorted search, not a pointer
        sort_hint, count_hint = SORT_OF[reference.kind], reference.count
        reference = None
    else:
        sort_hint, count_hint = None, None
    if intent == "cart_remove" and reference is None and re.search(r"비워|비우|싹\s?다|전부", t):
        reference = Reference("all")

    if intent == "search" and _LIVING_ALONE.search(t) and "1인가구" not in tags:
        # "혼자 살아서 작은 걸로요": the single-household size is what is searched for; said
        # about oneself alone ("저 혼자 살아요") it is no diet to put on every later search
        tags.append("1인가구")
    slots = Slots()
    if intent == "profile_update":   # "우리 애기 우유 알레르기 있어요": a person, not a product's use
        tags = [tag for tag in tags + kind_tags if tag not in USE_TAGS]
        kind_tags = []
    if intent in _PRODUCT_INTENTS or intent == "profile_update":
        slots = Slots(
            dietary_tags=tuple(t for t in tags if t not in removed_tags), allergens=tuple(allergens),
            brands=tuple(brands), avoid_brands=tuple(avoid_brands),
            remove_allergens=tuple(removed_allergens), remove_dietary_tags=tuple(removed_tags),
            kind_tags=tuple(kind_tags),
        )
    if intent in _PRODUCT_INTENTS:
        number = amounts[0][0] if amounts else None
        # "땅콩 한 봉지 사려는데": how much the shopper buys, not how many products to show
        bought = bool(amounts) and bool(_BUYING.match(t, amounts[0][2][1]))
        # "바나나 한 송이", "탄산 24캔": a pack counter with nothing asked to be shown is the size
        # bought; "와인 두 병 추천" and "샴푸 5개" are how many to show
        bought = bought or (bool(amounts) and amounts[0][1] not in ("개", "개씩", "가지", "종류")
                            and not _SHOW.search(t))
        # "두부 하나 찾아 주세요", "랜턴 하나 이만원 안쪽": one thing needed, not one product to show;
        # one is how many to show only when asked to pick ("하나 골라 주세요")
        bought = bought or (number == 1 and not _PICK_ONE.search(t))
        slots = replace(
            slots, keywords=tuple(keywords), categories=tuple(categories),
            budget_min=lo, budget_max=hi, urgency=urgency, reference=reference,
            sort=sort_hint or (extract_sort(t) if reference is None else None),
            quantity=number if intent in ("cart_add", "cart_remove") else None,
            count=(((None if bought else number) or (count_hint if (count_hint or 0) > 1 else None))
                   if intent == "search" else None),
        )
    if intent in ("cart_add", "cart_remove") and slots.reference is not None and slots.quantity is None \
            and slots.reference.kind in SORT_OF and slots.reference.count > 1:
        # "젤 싼 거 두 개 담아": two of the cheapest one, how many to put in the cart
        slots = replace(slots, quantity=slots.reference.count, reference=replace(slots.reference, count=1))
    if (intent == "cart_add" and slots.reference is None and not (slots.keywords or slots.categories or slots.brands)
            and not injection and not harmful):
        # "두 판 담아줘", "네 개 담아주세요": no product named, the one being talked about
        slots = replace(slots, reference=Reference("it"))
    if intent == "reorder":
        slots = Slots(keywords=tuple(keywords), order_id=order_id, quantity=amounts[0][0] if amounts else None)
    if intent == "policy" and policy_topic is None and not (injection or harmful):
        policy_topic = situation_topic(t, sig)   # "받은 지 닷새인데 전원이 안 들어와요": 교환반품
    if intent == "policy" and policy_topic is None and state is not None and state.last_intent == "policy":
        # "사진 찍어서 어디로 보내면 돼요" right after a return question: the same topic
        policy_topic = _last_policy_topic(state)
    if intent in ("policy", "order_status"):
        slots = Slots(order_id=order_id, policy_topic=policy_topic if intent == "policy" else None)
    if allergens and not slots.allergens:
        # "계란 알레르기 있는데 비건 표시된 건 믿고 사도 돼요?": an allergy said beside a question
        # of another kind is still the shopper's; it stays in the slots (and so in the session),
        # as merge._ALWAYS keeps it whatever the intent
        slots = replace(slots, allergens=tuple(allergens))
    return Understanding(intent=intent, slots=slots, confidence=confidence,
                         harmful=harmful, injection=injection)


def _last_policy_topic(state: DialogueState) -> str | None:
    """The topic of the shopper's last message (the previous turn was a policy answer)."""
    said = [m.get("content") or "" for m in state.history if m.get("role") == "user"]
    if not said:
        return None
    return extract_policy_topic(normalize(said[-1]))[0]


def _answer_to_question(intent: str, confidence: float, state: DialogueState | None) -> tuple[str, float]:
    """A bare "2개" or "네" right after a clarifying question continues that question's intent."""
    pending = (state.pending_clarification or {}) if state else {}
    if pending and confidence < 0.7 and pending.get("intent") in INTENTS:
        return pending["intent"], 0.7
    return intent, confidence


# ---------------------------------------------------------------- optional LLM fallback
_FALLBACK_PROMPT = (
    "너는 한국어 쇼핑몰 대화의 의도 분류기야. 사용자 문장을 읽고 JSON 한 줄만 출력해.\n"
    "intent는 다음 중 하나: " + ", ".join(INTENTS) + "\n"
    '형식: {"intent": "...", "keywords": ["..."]}\n'
    "문장: "
)


def llm_fallback(text: str, generator, max_new_tokens: int = 48) -> Understanding | None:
    """Ask `generator` (the `Generator` protocol: `stream(messages, max_new_tokens, stop)`)
    for `{"intent", "keywords"}`; None when it fails or answers outside the schema.

    Only intents and keywords are taken from the model: budgets, allergens and quantities
    stay with the rules, so a weak model can never change a price or drop an allergen.
    """
    if generator is None or not (text or "").strip():
        return None
    messages = [{"role": "user", "content": _FALLBACK_PROMPT + normalize(text)[:300]}]
    try:
        out = "".join(generator.stream(messages, max_new_tokens=max_new_tokens, stop=["\n\n"]))
    except Exception:  # any backend failure means "no opinion": the rules stand
        return None
    m = re.search(r"\{.*?\}", out, re.DOTALL)
    if not m:
        return None
    try:
        data = json.loads(m.group())
    except json.JSONDecodeError:
        return None
    intent = data.get("intent") if isinstance(data, dict) else None
    if intent not in INTENTS:
        return None
    words = data.get("keywords") or []
    keywords = tuple(str(w)[:20] for w in words if isinstance(w, str) and w.strip())[:5]
    return Understanding(intent=intent, slots=Slots(keywords=keywords), confidence=0.6)


def parse_with_fallback(text: str, state: DialogueState | None = None,
                        lexicon: Lexicon | None = None, generator=None) -> Understanding:
    """`parse`, then `llm_fallback` only when confidence is low and a generator is given.

    The rule slots are kept; the LLM may only change the intent (never to or from a
    safety verdict) and add keywords when the rules found none.
    """
    u = parse(text, state, lexicon)
    if generator is None or u.confidence >= LOW_CONFIDENCE or u.harmful or u.injection:
        return u
    alt = llm_fallback(text, generator)
    if alt is None or alt.intent == "out_of_scope" and u.intent != "out_of_scope":
        return u
    keywords = u.slots.keywords or alt.slots.keywords
    return replace(u, intent=alt.intent, slots=replace(u.slots, keywords=keywords), confidence=0.6)

