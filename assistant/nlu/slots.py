"""Slot extractors: pure functions from normalized Korean text to slot values and text spans.

Each extractor returns the values it found plus the character spans it consumed, so that
`nlu.parse` can mask those spans before taking the remaining nouns as product keywords.
Covers text normalization, dietary tags, allergens, brands, urgency, order ids and policy
topics; budgets live in `nlu.budget`, quantities and references in `nlu.refs`. Leaves out
intent decisions (see `nlu.intents`).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.nlu.lexicon import ALLERGEN_SYNONYMS, TAG_SYNONYMS, USE_TAGS, Lexicon
from assistant.types import MAX_MESSAGE_CHARS

Span = tuple[int, int]
# longer messages are cut at MAX_MESSAGE_CHARS: nobody types a 5,000-character grocery list

_TYPOS = (
    (r"추쳔|츄천|추천좀", lambda m: "추천" if m.group() != "추천좀" else "추천 좀"),
    (r"알러지|알레르지|알래르기|앨러지|알르레기", "알레르기"),
    (r"장바구늬|장바구이|장바구닉|장바군이", "장바구니"),
    (r"주세여|주세용|주쎄요", "주세요"),
    (r"담아쥬|담아죠|담아져", "담아줘"),
    (r"(?<![가-힣])젤(?=\s?(?:싼|비싼|저렴|좋|인기|맛있|평점|높))", "제일"),
    (r"(?<=[째싼건은])꺼(?![내지])", "거"),
    (r"(?<=\s)꺼(?=\s|$|로|요)", "거"),
    (r"싼거", "싼 거"),
    (r"얼마에요|얼마예여", "얼마예요"),
    (r"(?<![가-힣])비번(?![가-힣]{0,1}호)", "비밀번호"),   # chat short form ("비번 까먹었어요")
    # "무계란 케이크": 무- (without) before an allergen ("무글루텐", "무유당" are diet tags in the lexicon)
    (r"(?<![가-힣])무(계란|달걀|우유|버터|치즈|밀가루|대두|땅콩|견과류|새우)(?=\s|$|[가-힣])", r"\1 없는 "),
)


# Chat abbreviations in compatibility jamo, replaced before NFKC (which would turn them
# into conjoining jamo); leftover jamo (ㅋㅋ, ㅠㅠ) are dropped.
_JAMO_WORDS = (("ㅊㅊ", " 추천 "), ("ㄱㄱ", " 고고 "), ("ㅎㅇ", " 하이 "), ("ㄱㅅ", " 감사 "),
               ("ㅂㅂ", " 바이 "), ("ㅇㅋ", " 오케이 "), ("ㄴㄴ", " 아니 "), ("ㅇㅇ", " 응 "))


def normalize(text: str) -> str:
    """NFKC, lowercase, common typos fixed, whitespace collapsed, cut at MAX_MESSAGE_CHARS.

    >>> normalize("  젤 싼꺼  추쳔해줘 ㅋㅋ")
    '제일 싼 거 추천해줘'
    """
    s = (text or "")[:MAX_MESSAGE_CHARS]
    for jamo, word in _JAMO_WORDS:
        s = s.replace(jamo, word)
    s = re.sub(r"(?<![\u3131-\u318e])ㄱ(?![\u3131-\u318e])", " 고 ", s)  # "장바구니 ㄱ", "결제 ㄱ"
    s = re.sub(r"[\u3131-\u318e\u1100-\u11ff]+", " ", s)
    s = unicodedata.normalize("NFKC", s).lower()
    s = re.sub(r"[\u200b-\u200f\ufeff]", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    for pattern, repl in _TYPOS:
        s = re.sub(pattern, repl, s)
    return re.sub(r"\s+", " ", s).strip()


# ---------------------------------------------------------------- tags
def _despaced_index(text: str) -> tuple[str, list[int]]:
    chars, index = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            chars.append(ch)
            index.append(i)
    return "".join(chars), index


def find_terms(text: str, terms: dict[str, object]) -> list[tuple[str, Span]]:
    """Longest-first, non-overlapping matches of `terms` in `text`, ignoring spaces.

    >>> find_terms("글루텐 프리 빵", {"글루텐프리": 1, "빵": 1})
    [('글루텐프리', (0, 6)), ('빵', (7, 8))]
    """
    flat, index = _despaced_index(text)
    used = [False] * len(flat)
    found: list[tuple[str, Span]] = []
    for term in sorted(terms, key=len, reverse=True):
        key = term.replace(" ", "").lower()
        if not key:
            continue
        start = flat.find(key)
        while start != -1:
            end = start + len(key)
            if not any(used[start:end]):
                used[start:end] = [True] * len(key)
                found.append((term, (index[start], index[end - 1] + 1)))
            start = flat.find(key, end)
    return sorted(found, key=lambda t: t[1])


def extract_tags(text: str, lexicon: Lexicon) -> tuple[list[str], list[Span]]:
    from assistant.nlu.lexicon import KEEP_AS_KEYWORD, USE_TAG_KEYWORDS, USE_TAG_WORDS

    vocab: dict[str, str] = dict(TAG_SYNONYMS)
    vocab.update({t.lower(): t for t in lexicon.tags})
    vocab.update(USE_TAG_WORDS)
    vocab["유당불내증"] = "락토프리"
    vocab.update({k.replace("슈거", "슈가"): v for k, v in list(vocab.items()) if "슈거" in k})   # 노슈가 = 노슈거
    tags: list[str] = []
    spans: list[Span] = []
    meatless = re.search(r"(?<![가-힣])고기\s?(?:는|를|도)?\s?(?:안|못)\s?먹", text)  # not "돼지고기 못 먹어요"
    if meatless:
        tags.append("비건")
        spans.append(meatless.span())
    for pattern, tag in _TAG_PHRASES:
        m = pattern.search(text)
        if m and tag not in tags:
            tags.append(tag)
            spans.append(m.span())
    for term, span in find_terms(text, vocab):
        tag = vocab[term]
        if term.startswith("고기") and span[0] > 0 and re.match(r"[가-힣]", text[span[0] - 1]):
            continue   # "돼지고기 안 들어간", "소고기없는": one named meat left out, not every meat (비건)
        if term in USE_TAG_WORDS and _WORN.match(text, span[1]):
            continue   # "아기옷 빨 세제", "애기 피부가 예민해서": the baby's clothes or skin, no baby product
        if _TAG_REFUSED.match(text, span[1]):
            spans.append(span)
            continue   # "무설탕 초콜릿 말고 그냥 다크초콜릿": the tagged kind is the one refused
        if tag not in tags:
            tags.append(tag)
        if term not in KEEP_AS_KEYWORD and term not in USE_TAG_KEYWORDS and not _names_a_kind(text, span, lexicon):
            spans.append(span)
    return tags, spans


# a tag word, at most one word, then a refusal of it: "무설탕 초콜릿 말고", "비건은 빼고"
_TAG_REFUSED = re.compile(r"\s?(?:[가-힣a-z]+\s?)?(?:은|는|이|가)?\s?(?:말고|말구|빼고|아니고|아닌\s?(?:거|걸|것))")


def _names_a_kind(text: str, span: Span, lexicon: Lexicon) -> bool:
    """The tag word is (the start of) a kind of product the catalog sells: "프로틴 쉐이크",
    "식물성 음료" (leaf 두유·식물성음료). It stays a word to search for; the parser leaves out
    the tag where the kind already says it (`Lexicon.implied_tags`)."""
    word = text[span[0]:span[1]]
    m = re.match(r"\s?([가-힣]+)", text[span[1]:])
    items = set(lexicon.item_words())
    return word in items or bool(m and word + m.group(1) in items)


# what a person wears or is: after "아기" it says whose, not what product is for babies
_WORN = re.compile(r"\s?(?:옷|피부)")
# Tags said as a phrase rather than a word; the span is only the tag part ("제로" in "제로
# 콜라" leaves 콜라 a keyword).
# an attribute said absent, with its particle and an "at all" between ("향 하나도 없는", "설탕
# 전혀 안 들어간", "농약 안 친", "칼로리 0인"): the tag of its absence
_NONE_OF = r"\s?(?:이|가|은|는|도|을|를)?\s?(?:하나도|전혀|아예|일절|거의|1도|일도)?\s?"
_ABSENT = r"(?:없는|없이|없고|없게|없을|없었으면|안\s?(?:들어간|들어있는|든|넣은|들어\s?있는)|뺀|빠진)"
_TAG_PHRASES = (
    (re.compile(r"(?<![가-힣])향(?:료)?" + _NONE_OF + r"(?:" + _ABSENT + r"|안\s?나는)"), "무향"),
    (re.compile(r"(?<![가-힣])(?:설탕|당분)" + _NONE_OF + _ABSENT), "무가당"),
    (re.compile(r"(?:화학\s?)?(?:첨가물|첨가제|보존료|방부제)" + _NONE_OF + _ABSENT), "무첨가"),
    (re.compile(r"(?<![가-힣])농약" + _NONE_OF + r"(?:" + _ABSENT + r"|안\s?(?:친|쓴|뿌린|한))"), "무농약"),
    (re.compile(r"항생제" + _NONE_OF + r"(?:" + _ABSENT + r"|안\s?(?:먹인|쓴|맞힌|한))"), "무항생제"),
    (re.compile(r"칼로리\s?(?:가|이|는)?\s?(?:0|제로|영|하나도\s?없|전혀\s?없)(?![0-9])|(?<![0-9.])0\s?(?:kcal|칼로리)"), "제로칼로리"),
    (re.compile(r"제로(?=\s?(?:콜라|사이다|탄산|음료|소다|에이드|맥주))"), "제로칼로리"),
    # living alone is the single-household size only with a size asked ("자취생인데 작은 사이즈"); a
    # student's cheap instant rice is no pack size
    (re.compile(r"자취(?=[^.?!]*(?:작은|소용량|소포장|소분|1인|한\s?끼|혼자\s?먹|반찬))"), "1인가구"),
    (re.compile(r"(?:피부|두피|눈|아기\s?피부)\s?(?:가|이)?\s?(?:좀\s?)?(?:예민|민감)"), "저자극"),
    (re.compile(r"(?:설탕|당)\s?(?:이|을|은)?\s?(?:적게|덜|조금|거의\s?안)\s?(?:들어간|들어있는|넣은|든)"
                r"|단\s?(?:거|걸|것|음식)\s?(?:을|를|은|는)?\s?(?:드시면|먹으면)\s?안|당뇨"
                r"|(?<![가-힣])(?:혈당|당)\s?(?:을|를)?\s?(?:조절|관리|제한)"), "저당"),
)


# ---------------------------------------------------------------- allergens
# Korean puts the negation after its object, so the parser reads allergen words as lists
# ("땅콩이랑 호두 둘 다", "첫째는 땅콩, 둘째는 우유") and looks for what marks the list as
# avoided: a mark right after it ("빼고", "다 안 돼요", "노노", "못 먹어요"), a mark after a
# reason ("들어간 건 속이 안 좋아서 빼고요"), a mark before it ("알레르기: 새우"), or an
# allergy word in the same sentence ("첫째는 땅콩, 둘째는 우유 알레르기"). An allergen word that
# is part of a product name ("땅콩버터"), chosen ("두유로 바꿀게요"), wanted ("땅콩 들어간 과자")
# or put in the cart ("우유 2개 담아") is not an exclusion.

# What follows an allergen (or a list of them) when the shopper cannot have it.
_REACTION = (
    r"(?:속|배|장|피부|몸|목)\s?(?:이|가)?\s?(?:안\s?좋|불편|아프|아파|아팠|뒤집|부글|난리|더부룩|가려|간지)"
    r"|탈\s?(?:이\s?)?나|탈\s?났|배탈|소화\s?(?:가|를|도)?\s?(?:안|못|잘\s?안)|두드러기|가려|간지러|설사|체하|체해"
    r"|토하|토해|발진|붓|부어|부었|트러블|아나필락시스|쇼크|응급실?|큰일|죽|빨개|빨갛|붉어|붉게|울긋|고생"
    r"|양성|반응\s?(?:이\s?)?(?:나|있|왔|보)"
)
_ALLERGY_MARK = re.compile(
    r"(?:알레르기|allerg[a-z]*|-?\s?free\b|(?<!성)못\s?(?:먹|마시|마셔|드시|드셔|드세|써|쓰)|안\s?(?:먹|마시|마셔|드시|드셔|드세)"
    r"|(?:먹|마시|드시|드셔)(?:으면|면|을\s?때|고\s?나면|으니까|니까)\s?(?:안\s|안돼|알레르기|" + _REACTION + r")"
    # "먹으면 입 주변이 빨개져요", "때문에 고생했어요": the reaction a few words on
    r"|(?:먹|마시|드시|드셔)(?:으면|면|을\s?때|고\s?나면)\s(?:[가-힣]{1,5}\s){1,3}(?:" + _REACTION + r")"
    r"|(?:때문에|땜에|때매)\s?(?:고생|" + _REACTION + r")"
    # offering it refused with other verbs: "땅콩 넣지 마세요", "새우 든 거 주지 마세요", "담지 마"
    r"|(?:골라\s?주|고르|주|넣|담|사|보내|챙겨\s?주|가져다\s?주)지\s?(?:마|말)"
    r"|(?:추천|권|보여\s?주)(?:하지|해\s?주지|해주지|지)\s?(?:마|말|않)|추천\s?(?:안|하지\s?않|말아)|먹지\s?(?:못|말|마)|빼|뺀|빠진|빠져|제외|없는|없이|없고|없어야|없었으면|없을|안\s?들어|들어가(?:면|도|선|서는)\s?안"
    r"|들어가(?:면|도)\s?큰일|들어가지\s?않|들어있지\s?않|안\s?든|피해|피하|말고|대신|안\s?(?:돼|되|됨|맞)|안돼|안됨|민감|조심"
    # made without it: "계란 안 쓴 마요", "버터 안 넣은 쿠키", "우유 쓰지 않은", "무사용"
    r"|안\s?(?:쓴|쓰고|쓰는|써서|넣은|넣고|넣는|넣어서|섞은|첨가한|첨가된)|(?:쓰|넣|사용하|첨가하|섞)지\s?않|사용\s?안\s?(?:한|함|된)|[무미]사용"
    # treated without it: "아황산 처리 안 한 말린 과일", "표백 안 된"
    r"|(?:처리|가공|훈증|표백|코팅)\s?(?:안\s?(?:한|된|됨|함|하)|하지\s?않|되지\s?않)"
    # "갑각류 있는 애가 있어서": a person who has it is a person allergic to it
    r"|(?:있는|있으신)\s?(?:애|아이|아기|애기|사람|분|친구|손님|가족|동생|조카|손주|아들|딸)(?=[\s,이가도는은라예에들]|$)"
    # "대두도 좀 걸리네요", "밀가루도 조금 걱정되긴 해요": it is a concern for the shopper
    r"|걸리(?:네|는데|거든|고|더라|니까|잖)|걸려(?:요|서|가지고)?|걱정(?:되|돼|이|스러)"
    # chat and label words: "견과류는 패스", "새우는 사절", "걸러 주세요", "섭취 불가", "함유되지 않은",
    # "땅콩만 아니면 돼요"
    r"|패스(?!트|타|워드)|사절|걸러|거르|불가(?!능)|섭취\s?(?:불가|금지|제한|하면\s?안|못)|제한(?!\s?(?:없|없이|없는))|(?:포함|함유|첨가)?\s?(?:되|돼)지\s?않"
    r"|(?:포함|함유|첨가)\s?안\s?(?:된|됨|되)|아니(?:면|라면)\s?(?:다\s?)?(?:돼|되|괜찮|상관)"
    r"|노\s?노|노놉|노우|노\b|no\b|nope|프리|x(?![a-z])|아니(?=\s|$)|싫|별로|❌|🚫|✖|⛔|🙅|금지|있으면\s?안|체질|" + _REACTION + r")"
)
# "새우 추가", "견과류 등록": only with an allergy or profile word in the message ("우유 추가" is a cart line)
_UPDATE_MARK = re.compile(r"(?:도|은|는|을|를)?\s?(?:추가|등록|업데이트|넣어|넣었|포함|저장|기록)")
# "알레르기 목록에 대두 넣어 주세요": the record the allergen goes into, so not a cart line
_RECORD_PLACE = re.compile(r"(?:알레르기|allerg[a-z]*|프로필|정보|목록|리스트)\s?(?:에|에다|에다가|란에)\s")
_PROFILE_CONTEXT = re.compile(r"알레르기|allerg|프로필|내\s?정보|회원\s?정보|목록|리스트|체질|못\s?먹|피해야")
# people in an enumeration: "첫째는 땅콩, 둘째는 우유", "저는 새우를, 남편은 게를"
_PERSON = (
    r"(?:첫째|둘째|셋째|넷째|막내|큰\s?애|작은\s?애|큰\s?아이|작은\s?아이|큰\s?딸|작은\s?딸|큰\s?아들|작은\s?아들"
    r"|남편|신랑|아내|와이프|애기|아기|아이|애|아들|딸|엄마|아빠|어머니|아버지|어머님|아버님|시어머니|장모님"
    r"|할머니|할아버지|동생|형|누나|언니|오빠|친구|손님|조카|손주|남친|여친|아들놈|딸내미|저|제|나|내"
    r"|(?:우리|저희)\s?(?:애|아이|아기|애기|딸|아들|집|가족|엄마|아빠|남편)?)"
    r"(?:님|네)?(?:께서는|께서|은|는|이|가|도)?(?=[\s,])"
)
# What may stand between an allergen and the next allergen or the mark: particles, list
# words, quantifiers, adverbs, copulas, people ("땅콩이랑 호두 둘 다", "새우 게 이런 거",
# "유제품 일절", "땅콩이고 작은애는", "견과류는 좀").
_GAP = re.compile(  # longer alternatives first: "이런 거" before the particle "이"
    r"(?:같은\s?(?:거|것|건|종류)(?:은|는|도)?|이런\s?(?:거|것|건|종류)(?:은|는|도)?|종류(?:는|은|도)?"
    r"|들어간\s?(?:거|것|건|걸|제품|음식)?(?:은|는|도)?|들어있는\s?(?:거|것|건)?(?:은|는|도)?"
    r"|든\s?(?:거|것|건|걸|제품|음식)(?:은|는|도)?"
    r"|(?:섞인|묻은|첨가된|포함된|함유된)\s?(?:거|것|건|걸|제품|음식)?(?:은|는|도)?"
    r"|있는\s?(?:거|것|건)(?:은|는)?|함유(?:된)?\s?(?:거|것|건)?(?:은|는)?|맛(?:은|는|도|이)?(?=[\s,])"
    r"|둘\s?다|셋\s?다|세\s?개\s?다|전부|모두|모든|일절|절대로?|전혀|까지|조차|성분|단백질|완전|아예|진짜|정말|특히|좀|꼭"
    # "견과류 하나도 안 든", "우유 조금이라도", "오징어랑 조개도 같이 빼 주세요"
    r"|(?:단\s?)?(?:하나|한\s?(?:개|톨|알|방울|조각)|조금|쪼금|쬐끔|약간|1)\s?(?:도|이라도|라도)|같이|함께|다\s?같이"
    r"|이고|이구|이며|이요|이에요|예요|에요|이라|이랑|" + _PERSON +
    r"|랑|하고|이나|또는|\s|,|/|·|\+|&|과|와|및|나|도|이|가|은|는|을|를|에|류|들(?!어)|다|만|요(?=[\s,.!?~)]|$)|고(?=[\s,]))"
)
_SINGLE_SYLLABLE_OK_AFTER = re.compile(r"(?:\s|,|$|이랑|랑|하고|과|와|도|은|는|이|가|을|를|알|만|맛|\.|!|~)")
_CART_WORDS = re.compile(r"장바구니|카트|담은|담았|담긴")
_INGREDIENT_GAP = re.compile(r"들어|성분|함유|섞인|묻은|첨가된|포함된|같은|이런|종류|류|(?:^|\s)(?:든|넣은)(?=\s|$)")
# a list closed by "전부." / "다!" after an allergy was already stated: "견과류는 다 안 돼요.
# 아몬드 호두 땅콩 전부."
_ALL_OF_THEM = re.compile(r"\s?(?:전부|모두|다|둘\s?다|셋\s?다)\s?(?:요)?\s?(?:[.!,~)]|$)")
_ELLIPSIS = re.compile(r"\s?(?:[.!?,~]|$)")
_ELLIPSIS_START = re.compile(r"(?:(?:아|그리고|그럼|근데|또|참|and)\s)*(?:" + _PERSON + r")?\s?")
# an allergy stated anywhere in the sentence ("첫째는 땅콩, 둘째는 우유 알레르기 있어요")
_SENTENCE_ALLERGY = re.compile(r"알레르기|allerg|" + _REACTION)
_SENTENCE_END = re.compile(r"[.!?\n;]|(?<=[요다])(?<!\s다)(?<!^다)\s(?=[가-힣])")   # "다" alone is "all"
# after an allergen word: it is the thing bought or chosen, not avoided
_WANTED_AFTER = re.compile(
    r"(?:이|가|은|는|을|를)?\s?(?:들어간|들어있는|들어\s?있는|넣은|함유|(?:으)?로\s?(?:바꾸|바꿀|바꿔|대체|주|할|살|사|골라|추천|찾)"
    r"|\d+\s?[가-힣]{0,2}|(?:한|두|세|네|다섯)\s?(?:개|팩|봉|병|통|판|박스|묶음|봉지|캔|줄|송이|마리|근|kg|g)"
    r"|(?:도\s?|는\s?|은\s?)?(?:괜찮|먹어도|먹을\s?수\s?있|상관없|ok|오케이|좋아|잘\s?먹)"
    r"|(?:좀\s?)?(?:담아|담을|넣어|주세요|줘|살게|살래|사고|사려|사서|추천|찾아|보여|있어요|있나요|있을까|얼마))"
)
# a reason between the list and its mark ("우유 들어간 건 속이 안 좋아서 빼고요"): the
# words skipped end in a connective, and none of them names another object
_CONNECTIVE_END = re.compile(r"(?:서|니까|니깐|라서|해서|어서|아서|는데|은데|데|지만|고|면|때문에|때매|땜에|탓에|상)$")
_NEW_OBJECT = re.compile(r"^(?![건걸]$|것은$|거는$)[가-힣]+(?:은|는|을|를)$|담|넣|주세요|줘|추천|찾|보여|사고|사서|구매|주문|괜찮|좋아|맛있")
# after the mark, the verb the reason led to ("... 안 좋아서 빼고요"): part of the clause
_TRAILING_EXCLUDE = re.compile(r"(?:\s?[가-힣]*(?:서|니까|라서))?\s?(?:다\s?)?(?:빼|제외|말고|없는\s?(?:거|걸|것)|안\s?들어간)[^\s.,!?]*")


def extract_allergens(text: str) -> tuple[list[str], list[Span]]:
    """Allergens the shopper wants to avoid, as labeling-list names.

    >>> extract_allergens("땅콩이랑 새우 알레르기 있어요")[0]
    ['땅콩', '새우']
    >>> extract_allergens("땅콩 들어간 과자 추천")[0]
    []
    >>> extract_allergens("견과류는 다 안 돼요")[0]
    ['땅콩', '호두', '잣']
    """
    allergens, spans, _ = allergen_clauses(text)
    return allergens, spans


# after an allergen word: a question whether a product holds it ("계란 들어가요?", "복숭아 성분
# 있나요", "땅콩 다루는 공장에서 만든 거예요?")
_ASKED_AFTER = re.compile(
    r"(?:이|가|은|는|도|을|를)?\s?(?:성분\s?(?:이|은|도)?\s?(?:있|들|포함|함유)|들어\s?(?:가|있|갔)(?!게)|들었|함유|포함"
    r"|(?:으로|로)\s?(?:만든|만들었|만들어)"   # "이 약과 밀가루로 만든 거예요?"
    r"|있(?:어요|나요)\s?없(?:어요|나요)"   # "단백질바에 땅콩 있어요 없어요?"
    r"|(?:다루|취급하|쓰|만들)는\s?(?:공장|시설|곳|라인)|같은\s?(?:공장|시설|라인))"
)
_QUESTION_END = re.compile(r"\?|(?:나요|가요|어요|까요|는지|죠|니|습니까|예요|에요|인가요)\s?[.~]*$")


def asked_allergens(text: str) -> list[str]:
    """Allergens a question asks a product about ("이 쿠키 계란 들어가요?" -> 알류): the
    shopper's concern. Only for a question; "땅콩 들어간 과자" wants peanuts and asks nothing.

    >>> asked_allergens("그 과자 밀가루 들었나요"), asked_allergens("땅콩 들어간 과자 추천")
    (['밀'], [])
    """
    if not _QUESTION_END.search(text):
        return []
    hits = _allergen_hits(text)
    out: list[str] = []
    for first, last, _ in _chains(text, hits):
        end = hits[last][2]
        if (re.match(r"[가-힣]", text[end:end + 1]) and not _GAP.match(text, end)
                and not re.match(r"(?:으로|로)\s?만[든들]", text[end:])):
            continue   # "땅콩버터 들어간 거예요?": a product name
        if not _ASKED_AFTER.match(text, end):
            continue
        for term, _, _ in hits[first:last + 1]:
            out += [n for n in ALLERGEN_SYNONYMS[term] if n not in out]
    return out


_PLANT_BUTTER = re.compile(r"(?:땅콩|피넛|아몬드|캐슈|캐슈넛|카카오|코코아|시어|코코넛|해바라기씨|호두|헤이즐넛)\s?$")
_THING_AFTER_GE = re.compile(r"\s?(?:없|있|좋|나아|나을|뭐|더|어때|괜찮|필요|맞|아니|많|적)")


def _allergen_hits(text: str) -> list[tuple[str, int, int]]:
    hits = []
    for term, (s, e) in find_terms(text, ALLERGEN_SYNONYMS):
        if term.isascii() and term.isalpha():  # English words only whole: "donut" is not "nut"
            if (s > 0 and text[s - 1].isascii() and text[s - 1].isalpha()) or re.match(r"[a-z]", text[e:e + 1]):
                continue
        elif len(term) == 1 and re.match(r"[가-힣]", term):  # "게", "밀", "잣", "굴": whole words only
            if (s > 0 and re.match(r"[가-힣]", text[s - 1])) or not _SINGLE_SYLLABLE_OK_AFTER.match(text, e):
                continue
            if term == "게" and s > 1 and _adnominal(text[s - 2]) and _THING_AFTER_GE.match(text, e):
                continue  # "싼 게 없어요": 게 = 것이, not crab
        if term == "버터" and _PLANT_BUTTER.search(text, 0, s):
            # "땅콩버터", "카카오버터", "시어버터": a spread or fat made from a plant, no milk; after
            # an allergen word the pair still reads as one product name ("땅콩버터 말고 잼")
            if hits and hits[-1][2] == s:
                hits.append((hits[-1][0], s, e))
            continue
        hits.append((term, s, e))
    return hits


def _adnominal(ch: str) -> bool:
    """A Hangul syllable ending in ㄴ or ㄹ ("싼", "먹을"): the word before 게 = 것이."""
    if not "가" <= ch <= "힣":
        return False
    return (ord(ch) - 0xAC00) % 28 in (4, 8)


def _chains(text: str, hits: list[tuple[str, int, int]]) -> list[tuple[int, int, int]]:
    """(first hit, last hit, end of the gap after the list) for every run of allergen words
    joined by gap words."""
    chains: list[tuple[int, int, int]] = []
    i = 0
    while i < len(hits):
        j, pos = i, hits[i][2]
        while True:
            if j + 1 < len(hits) and hits[j + 1][1] == pos:
                nxt = hits[j + 1]
                g = _GAP.match(text, nxt[2])
                if (_INGREDIENT_GAP.search(text[hits[j][2]:pos]) and re.match(r"[가-힣]", text[nxt[2]:nxt[2] + 1])
                        and (not g or re.match(r"[가-힣]", text[g.end():g.end() + 1]))):
                    break  # "오징어 들어간 해물라면": the product the allergen is in, not a second allergen
                j += 1
                pos = hits[j][2]
                continue
            g = _GAP.match(text, pos)
            if g and g.end() > pos:
                pos = g.end()
                continue
            break
        # the gap may have run over a word start that is itself a mark ("노노" after "노")
        chains.append((i, j, pos))
        i = j + 1
    return chains


def _sentence_of(text: str, pos: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= pos]
    start = starts[-1]
    m = _SENTENCE_END.search(text, pos)
    return start, (m.start() if m else len(text))


def _mark_after(text: str, pos: int, limit: int, context: bool) -> re.Match | None:
    """The mark at `pos`, or after a reason clause of at most four words before `limit`."""
    m = _ALLERGY_MARK.match(text, pos)
    if m or (context and (m := _UPDATE_MARK.match(text, pos))):
        return m
    skipped: list[str] = []
    for w in re.finditer(r"\S+", text[:limit]):
        if w.start() < pos:
            continue
        if len(skipped) >= 4 or _NEW_OBJECT.search(w.group()) or _allergen_hits(w.group()):
            return None
        skipped.append(w.group())
        nxt = w.end() + 1
        if nxt >= limit:
            return None
        m = _ALLERGY_MARK.match(text, nxt)
        reaction = m and re.match(_REACTION, m.group())
        if m and (reaction or _CONNECTIVE_END.search(w.group().rstrip(",~"))
                  or all(_PLACE_FILLER.fullmatch(s) for s in skipped)):
            return m
    return None


# words between an ingredient phrase and its exclusion verb that name where from, or how much:
# "땅콩 들어간 건 장바구니에서 다 빼줘"
_PLACE_FILLER = re.compile(r"(?:장바구니|카트|목록|리스트|거기|여기|전부|모두|다|싹|좀|조금|약간|살짝|그냥|싹다)(?:에서|서|에|에선|에서는)?")


_INABILITY = re.compile(r"(?:알레르기|allerg|(?<!성)못\s?(?:먹|마시|마셔|드시|드셔|드세|써|쓰)|안\s?(?:돼|되|됨|맞)|안돼|" + _REACTION + ")")


def _mark_after_product(text: str, pos: int, limit: int, ingredient: bool) -> re.Match | None:
    """A mark after one product noun: "우유 들어간 라떼 말고" (the product with the allergen
    in it is refused: any mark), "복숭아 주스는 못 마셔요", "복숭아 털 알레르기" (without an
    ingredient word only an inability or a reaction counts: "새우깡 말고" is a product choice)."""
    lead = re.match(r"(?:든|넣은|들어간|들어있는|함유된)\s", text[pos:limit])
    if not lead and pos > 0 and re.match(r"[가-힣]", text[pos - 1]):
        # "오징어채 들어간 반찬은 빼줘": the allergen's own product form, then the ingredient verb
        lead = re.match(r"[가-힣]{1,3}\s(?:든|넣은|들어간|들어있는|함유된)\s", text[pos:limit])
    if lead:   # "계란 든 빵 말고": the ingredient verb the gap words did not take
        pos, ingredient = pos + lead.end(), True
    w = re.match(r"([가-힣a-z]{1,8}?)(?:은|는|도|이|가|을|를|만)?(?:\s|$)", text[pos:limit])
    if not w or not w.group(1) or _NEW_OBJECT.search(w.group(1)):
        return None
    if _allergen_hits(w.group(1)) and not ingredient:
        return None   # "새우깡 말고"; but "새우 들어간 해물만두 말고": the product the allergen is in
    if re.match(_ALLERGY_MARK.pattern, w.group(1)):
        return None
    nxt = pos + w.end()
    m = _ALLERGY_MARK.match(text, nxt)
    if m and (ingredient or _INABILITY.match(m.group())):
        return m
    if ingredient:   # "밀 들어간 양념 닭가슴살은 말고": a product named in two or three words
        for extra in (1, 2):
            longer = re.match(r"(?:[가-힣a-z]{1,8}\s){%d}[가-힣a-z]{1,8}?(?:은|는|도|이|가|을|를|만)?(?:\s|$)" % extra,
                              text[pos:limit])
            if not longer or any(_NEW_OBJECT.search(x) or re.match(_ALLERGY_MARK.pattern, x)
                                 for x in longer.group().split()[:-1]):
                break
            m = _ALLERGY_MARK.match(text, pos + longer.end())
            if m:
                return m
    return None


# what may stand around a bare allergen list that adds to the allergy just stated ("오징어도요",
# "아 그리고 새우랑 게도", "조개까지요"): particles, list joiners and an optional exclusion verb
_ADDED_ALLERGY_REST = re.compile(r"(?:(?:아|그리고|참|또|그럼|근데|and)\s)*(?:\s|,|이랑|랑|하고|와|과)*"
                                 r"(?:도|까지)\s?(?:요|이요|요오)?\s?(?:(?:빼|제외|안\s?돼|못\s?먹)\S*)?\s?[.!~ㅠㅜ]*")


def added_allergy(text: str) -> list[str]:
    """Allergens of a message that only adds to the allergy the shopper stated the turn before:
    the allergen words followed by 도/까지 and nothing asked ("오징어도요"). The caller checks the
    turn before; without "도" ("고등어요") it may be the answer to "어떤 생선?", so it is not read.
    >>> added_allergy("오징어도요"), added_allergy("오징어 보여줘")
    (['오징어'], [])
    """
    hits = _allergen_hits(text)
    if not hits:
        return []
    rest = text
    for _, s, e in sorted(hits, key=lambda h: -h[1]):
        rest = rest[:s] + " " + rest[e:]
    if not _ADDED_ALLERGY_REST.fullmatch(re.sub(r"\s+", " ", rest).strip()):
        return []
    out: list[str] = []
    for term, _, _ in hits:
        out += [n for n in ALLERGEN_SYNONYMS[term] if n not in out]
    return out


def allergen_clauses(text: str, cart_context: bool = False) -> tuple[list[str], list[Span], list[Span]]:
    """(allergens, allergen word spans, clause spans). A clause runs from the first allergen
    of a list to the end of the word that marks it ("닭고기 들어간 건 빼주세요"): the intent
    rules read the message without it, so "빼주세요" there is not a cart removal.
    With `cart_context` (the message or the turn before is about the cart) a bare
    "우유는 빼줘" removes a product instead; "우유 들어간 건 빼줘" stays an allergy.

    Allergens are read as lists: "땅콩 호두 잣 다 안 돼요" marks all three; a family word
    ("견과류", "해산물", "유제품", from store.domain) stands for all its members.
    >>> allergen_clauses("닭고기 들어간 건 빼주세요")[2]
    [(0, 14)]
    >>> allergen_clauses("첫째는 땅콩, 둘째는 우유 알레르기 있어요")[0]
    ['땅콩', '우유']
    """
    hits = _allergen_hits(text)
    chains = _chains(text, hits)
    context = bool(_PROFILE_CONTEXT.search(text))
    marked: list[tuple[int, int, int, int]] = []   # (first, last, clause start, clause end)
    pending: list[tuple[int, int, int]] = []
    for first, last, pos in chains:
        s = hits[first][1]
        _, sentence_end = _sentence_of(text, pos)
        mark = _mark_after(text, pos, sentence_end, context)
        if not mark:
            mark = _mark_after_product(text, pos, sentence_end, bool(_INGREDIENT_GAP.search(text[hits[last][2]:pos])))
            names = {n for h in hits[first:last + 1] for n in ALLERGEN_SYNONYMS[h[0]]}
            if (mark and re.match(r"말고|대신|말구", mark.group())
                    and any(set(ALLERGEN_SYNONYMS[h[0]]) & names for h in hits if h[1] >= mark.end())):
                mark = None  # "우유 들어간 과자 말고 그냥 흰우유": a choice between products, milk is wanted
        compound = (any(hits[k][2] == hits[k + 1][1] for k in range(first, last))
                    or bool(re.match(r"[가-힣]", text[hits[last][2]:hits[last][2] + 1]))
                    and not _GAP.match(text, hits[last][2])
                    or s > 0 and bool(re.match(r"[가-힣]", text[s - 1])))  # "칵테일새우 말고"
        if mark and re.match(r"-?\s?(?:free|프리)", mark.group()) and all(h[0] in ("글루텐", "gluten") for h in hits[first:last + 1]):
            mark = None  # "글루텐프리", "gluten free": the 글루텐프리 tag, a need that is never relaxed
        if mark and re.match(r"말고|대신", mark.group()) and compound:
            mark = None  # "땅콩버터 말고 잼": a product name, not an allergy
        if (mark and re.match(r"빼|제외", mark.group()) and (cart_context or _CART_WORDS.search(text))
                and not _INGREDIENT_GAP.search(text[hits[last][2]:pos])):
            mark = None  # "장바구니에서 우유 빼줘" removes a product; "우유 들어간 건 빼줘" does not
        if mark and _WANTED_AFTER.match(text, hits[last][2]) and not _INGREDIENT_GAP.search(text[hits[last][2]:pos]) \
                and re.match(r"(?:도|은|는|을|를)?\s?(?:추가|등록|넣어|넣었|포함|저장|기록)", mark.group()) \
                and not _RECORD_PLACE.search(text[_sentence_of(text, s)[0]:s]):
            mark = None  # "우유 2개 추가": a cart line even in a message about allergies
        if mark and _CART_WORDS.search(text, _sentence_of(text, s)[0], mark.start()):
            marked.append((first, last, s, pos))   # "땅콩 들어간 건 장바구니에서 빼줘": the cart words
            continue                               # and the verb stay for the intent (a cart removal)
        if mark:
            end = mark.end() + len(re.match(r"[^\s.,!?]*", text[mark.end():]).group())
            trailing = _TRAILING_EXCLUDE.match(text, end)
            if trailing and trailing.end() <= sentence_end:
                end = trailing.end()
            marked.append((first, last, s, end))
        elif _reverse_marked(text, s) and (_NEG_PREFIX.search(text[max(0, s - 10):s])
                                           or not _wanted(text, hits, first, last, pos)):
            marked.append((first, last, s, hits[last][2]))
        else:
            pending.append((first, last, pos))
    if marked or re.search(r"알레르기|allerg", text):
        for first, last, pos in pending:
            if (_ELLIPSIS.match(text, pos) and not _wanted(text, hits, first, last, pos)
                    and not re.search(r"있는|들어|함유|같은|이런|종류|만", text[hits[last][2]:pos])
                    and _ELLIPSIS_START.fullmatch(text[_sentence_of(text, hits[first][1])[0]:hits[first][1]].strip() + " ")):
                # "남편은 갑각류 알레르기예요. 저는 복숭아요": the list ends its sentence with
                # nothing but a copula, after an allergy was stated
                marked.append((first, last, hits[first][1], pos))
                continue
            if (re.search(r"\(\s*$", text[:hits[first][1]]) and re.match(r"\s*\)", text[pos:])
                    and not _wanted(text, hits, first, last, pos)):
                # "유제품 빼고 빵 (계란, 대두)": a list in parentheses after an exclusion spells it out
                marked.append((first, last, hits[first][1], pos))
                continue
            tail = text[hits[last][2]:]
            if _ALL_OF_THEM.match(tail) or _ALL_OF_THEM.match(text, pos - len(re.match(r".*?(\s?(?:전부|모두|다)?)$", text[hits[last][2]:pos]).group(1))):
                marked.append((first, last, hits[first][1], pos))
                continue
            start, stop = _sentence_of(text, hits[first][1])
            if (_SENTENCE_ALLERGY.search(text, start, stop) and not _wanted(text, hits, first, last, pos)):
                marked.append((first, last, hits[first][1], hits[last][2]))
    allergens: list[str] = []
    spans: list[Span] = []
    clauses: list[Span] = []
    for first, last, cs, ce in sorted(marked, key=lambda m: m[2]):
        for term, s, e in hits[first:last + 1]:
            for name in ALLERGEN_SYNONYMS[term]:
                if name not in allergens:
                    allergens.append(name)
            spans.append((s, e))
        clauses.append((cs, ce))
    return allergens, sorted(spans), clauses


def _wanted(text: str, hits: list[tuple[str, int, int]], first: int, last: int, pos: int) -> bool:
    """An allergen word named as a product, a choice or a wish, not as an avoidance."""
    end = hits[last][2]
    if any(hits[k][2] == hits[k + 1][1] for k in range(first, last)):
        return True  # "아몬드우유"
    if re.match(r"[가-힣]", text[end:end + 1]) and not _GAP.match(text, end):
        return True  # "땅콩버터", "새우깡"
    if hits[first][1] > 0 and re.match(r"[가-힣]", text[hits[first][1] - 1]):
        return True  # "귀리우유"
    if _WANTED_AFTER.match(text, end):
        return True
    gap = text[end:pos]
    # "견과류 선물세트": a bare noun before another noun names the product kind
    return (not gap.strip() and bool(re.match(r"[가-힣a-z]", text[pos:pos + 1]))
            and not _SENTENCE_ALLERGY.match(text, pos) and not _ALLERGY_MARK.match(text, pos)
            and _starts_with_noun(re.match(r"[^\s.,!?]+", text[pos:]).group()))


def _starts_with_noun(word: str) -> bool:
    """Whether `word` opens with a noun ("선물세트") rather than a predicate ("나왔어요"),
    by the morpheme analyzer the keyword step already loads (a suffix test without it)."""
    from assistant.nlu.keywords import _kiwi

    kiwi = _kiwi(Lexicon.default().user_words())
    if kiwi is None:
        return not re.search(r"(?:요|다|어|아|죠|네|고|서|면|음|함|됨|까|데|니)$", word)
    tokens = kiwi.tokenize(word)
    return bool(tokens) and tokens[0].tag in ("NNG", "NNP", "SL")


def _reverse_marked(text: str, start: int) -> bool:
    """'알레르기 있는데 땅콩이요', '알레르기: 새우', '알레르기 검사에서 계란이랑 밀 나왔어요'
    (marker before the allergen list)."""
    before = text[max(0, start - 20):start]
    return bool(re.search(r"(?:알레르기|알레르기가|allergy|allergic\s?to)\s?(?:있|체질|검사|반응)?[가-힣]{0,4}\s?[:,]?\s?$"
                          r"|" + _NEG_PREFIX.pattern, before))


_NEG_PREFIX = re.compile(r"(?:^|[\s(])(?:no|non|without|zero|노)[\s-]?$")


# ---------------------------------------------------------------- brands
_AVOID = re.compile(
    r"\s?(?:제품|브랜드|거|것|건|꺼|껀|께)?\s?(?:은|는|이|가|을|를)?\s?(?:앞으로|담부터|다음부터|이제|다시는)?\s?"
    r"(?:말고|말구|빼고|제외|싫|별로|안\s?좋아|말곤|은\s?빼|는\s?빼|안\s?살|피해"
    r"|추천하지\s?마|추천\s?하지\s?마|사지\s?마|보여\s?주지\s?마|권하지\s?마|추천\s?(?:안\s?해|안\s?했으면|하지\s?않|말아)"
    # "X 제품은 안 보고 싶어요", "다시는 안 살래요", "보기 싫어요"
    r"|안\s?(?:보고\s?싶|봤으면|볼래|보이게|살래|사고\s?싶|샀으면|쓰고\s?싶|먹고\s?싶)|(?:보기|사기|쓰기)\s?싫|다시는\s?안"
    # the reason first, then the refusal: "맘스케어 건 애 피부에 안 맞아서 빼고"
    r"|[^.?!,]{0,20}?(?:서|니까)\s?(?:빼고|빼\s?줘|빼\s?주|말고|제외))"
)
_COMMON_WORD_BRANDS = {"매일", "오늘", "바른", "자연", "착한", "건강", "맛있는", "행복", "우리", "하루"}


def extract_brands(text: str, lexicon: Lexicon) -> tuple[list[str], list[str], list[Span]]:
    wanted: list[str] = []
    avoided: list[str] = []
    spans: list[Span] = []
    for brand, (s, e) in find_terms(text, {b: b for b in lexicon.brands}):
        if brand in _COMMON_WORD_BRANDS and not re.match(r"[가-힣]|\s?(?:제품|브랜드|거|꺼|말고|빼고)", text[e:]):
            continue
        if len(brand) <= 2 and s > 0 and re.match(r"[가-힣]", text[s - 1]):
            continue  # "롯데" inside another word is rarely the brand
        target = avoided if _AVOID.match(text, e) else wanted
        if brand not in target:
            target.append(brand)
        spans.append((s, e))
    for m in _OTHER_BRAND.finditer(text):
        name = m.group(1)
        before = [text[s:e] for s, e in spans if 0 <= m.start(1) - e <= 1 and text[s:e] in wanted]
        if before:
            # "비비고 만두 빼고 다른 브랜드": the known brand before the product word is the one refused
            wanted.remove(before[0])
            if before[0] not in avoided:
                avoided.append(before[0])
            continue
        if name not in avoided and not any(s <= m.start(1) < e for s, e in spans):
            avoided.append(name)
            spans.append(m.span(1))
    return wanted, avoided, spans


# a brand the lexicon does not know, avoided by what follows it: "바삭공방 거 말고 다른 브랜드"
_OTHER_BRAND = re.compile(
    r"([가-힣a-z][가-힣a-z0-9]{1,11})\s?(?:정품|제품|브랜드|회사|거|꺼|것)?\s?(?:은|는)?\s?(?:말고|빼고|말구)\s?"
    r"(?:좀\s?)?다른\s?(?:브랜드|회사|메이커|데\s?(?:거|꺼)|곳\s?(?:거|꺼))"
)


# ---------------------------------------------------------------- urgency, order ids
_DAWN = re.compile(r"내일\s?(?:아침|새벽|오전|까지|받|중|도착|에\s?받|일찍)|새벽\s?배송|새벽에|아침\s?일찍|아침까지|출근\s?전|샛별")
_SAME_DAY = re.compile(
    r"오늘\s?(?:안|중|내|저녁|밤|오후|까지|받|도착|배송)|당일|지금\s?당장|바로\s?받|급해|급하게|빨리\s?(?:받|와|오)|몇\s?시간\s?안에"
)


def extract_urgency(text: str) -> tuple[str | None, list[Span]]:
    """'내일 아침까지' -> '새벽', '오늘 안에' -> '당일'."""
    m = _DAWN.search(text)
    if m:
        return "새벽", [m.span()]
    m = _SAME_DAY.search(text)
    if m:
        return "당일", [m.span()]
    return None, []


_ORDER_ID = re.compile(
    r"주문\s?번호\s?(?:는|은|가|:)?\s?([a-z0-9][a-z0-9-]{3,})"
    r"|\b((?:ord|od|o|jb|on)[-_]?\d[\d-]{3,})\b"
    r"|\b(\d{8}-\d{2,})\b"
    # a date-led run of digits: "2026112300871 주문 상태" (never a price or a phone number)
    r"|\b(20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{2,8})\b",
    re.IGNORECASE,
)


def extract_order_id(text: str) -> tuple[str | None, list[Span]]:
    m = _ORDER_ID.search(text)
    if not m:
        return None, []
    value = next(g for g in m.groups() if g)
    if re.fullmatch(r"p\d{3,}", value):  # product ids are not order ids
        return None, []
    return value.upper(), [m.span()]


# "추천 안 해줬으면" turns personal recommendations off (개인정보) only when nothing is named
# before it: "장보기 베이직 제품은 앞으로 추천 안 해줬으면", "고기 들어간 건 추천 안 해주셨음" refuse
# a brand or an ingredient, a preference of the shopper
_NOT_RECOMMENDED = frozenset({"추천안", "추천끄", "추천안받"})
_OBJECT_BEFORE = re.compile(r"(?:제품|거|건|것|걸|꺼|브랜드|종류)\s?(?:은|는|을|를|도)?\s?(?:앞으로|담부터|다음부터|이제|다시는)?\s?$")
# a verb any topic's object may take: the topic it names ranks after every other topic's word
_GENERIC_TRIGGERS = frozenset({"바꾸고싶"})
# spoilage words only count at a word start: "수상한" (suspicious) is not "상한" (spoiled)
_WORD_INITIAL_TRIGGERS = frozenset({"상한", "상했", "썩은", "썩었"})


def extract_policy_topic(text: str) -> tuple[str | None, list[Span]]:
    """Topic and trigger spans; the first listed topic wins on ties."""
    from assistant.nlu.lexicon import POLICY_TOPICS

    topic = None
    spans: list[Span] = []
    for pattern, name in _POLICY_PATTERNS:  # a story names its topic more precisely than one word
        if pattern is _ADDRESS_CHANGE and "선물" in text:
            continue   # "선물 받는 사람 주소 바꿀 수 있어요?": the gift service names the topic
        m = pattern.search(text)
        if m:
            topic = topic or name
            spans.append(m.span())
    generic = None
    for name, triggers in POLICY_TOPICS.items():
        found = [(w, (s, e)) for w, (s, e) in find_terms(text, dict.fromkeys(triggers))
                 if not (w in _WORD_INITIAL_TRIGGERS and s > 0 and "가" <= text[s - 1] <= "힣")
                 and not (w in _NOT_RECOMMENDED and _OBJECT_BEFORE.search(text[:s]))
                 and not (w.startswith("썩") and re.search(r"(?:(?<![가-힣])이|이가|치아가?)\s?$", text[:s]))]   # "애들 이 썩어": teeth
        if found and all(w in _GENERIC_TRIGGERS for w, _ in found):
            generic = generic or name   # "바꾸고 싶어요" alone; "비밀번호 바꾸고 싶어요" is the account's
            spans.extend(span for _, span in found)
        elif found:
            topic = topic or name
            spans.extend(span for _, span in found)
    topic = topic or generic
    if topic is None and _LEMMA_CUE.search(text):
        from assistant.nlu.keywords import verb_lemmas

        lemmas = verb_lemmas(text)
        for lemma, name in _LEMMA_TOPICS:
            if lemma in lemmas:
                return name, spans
    return topic, spans


# a service verb by its stem, whatever its ending ("돌려보낼 수 있죠?", "돈은 돌려받는 거죠?"); the
# lowest rank: a topic word of the table wins ("쿠폰 돌려받아요?" is a coupon question)
_LEMMA_TOPICS = (("돌려보내", "교환반품"), ("반송하", "교환반품"), ("돌려받", "환불"), ("환불받", "환불"))
_LEMMA_CUE = re.compile(r"돌려|반송|환불")


_ADDRESS_CHANGE = re.compile(r"주소[^.?!]{0,14}(?:바꿀\s?수|바꿔도|바꾸려면|변경\s?(?:돼|되|가능|하려면|할\s?수)|수정\s?(?:돼|되|가능|할\s?수))"
                             r"|주소\s?(?:를|을)?\s?잘못|주소\s?(?:로|에)\s?(?:나눠\s?)?(?:보낼\s?수|보내도|배송\s?(?:돼|되|가능))")
# Policy questions told as a story or a situation rather than with a service word: what
# happened to an order and what the shopper asks about it.
_ORDERED = r"(?:시켰|주문했|주문한|샀|구매했|받았|왔|결제했|결제\s?끝났|결제\s?했)(?:는데|더니|고|다가)"
_POLICY_PATTERNS = (
    (re.compile(r"기록[가-힣\s]{0,4}(?:지워|지우|삭제|없애)"), "개인정보"),
    # something else, less or the wrong size arrived, or the shopper wants another one
    # what came instead, or only part of it: "사과 대신 배가 왔어요", "다른 맛이 왔어요", "하나만 왔어요"
    (re.compile(r"(?:대신|말고)\s?[가-힣]{1,6}?\s?(?:이|가)\s?(?:왔|배송\s?됐|도착했)|다른\s?[가-힣]{1,4}?\s?(?:이|가)\s?(?:왔|배송\s?됐|도착했)"
                r"|(?:하나|한\s?개|\d+\s?개|반)\s?(?:만|밖에)\s?(?:왔|도착|들어\s?있|안\s?왔)"
                r"|(?:사이즈|치수|색상|색깔)\s?(?:이|가)?\s?(?:안\s?맞|달라|다르|작아서|커서)"), "교환반품"),
    # the delivery address changed or mistyped, asked as what can be done (of a gift, the gift's)
    (_ADDRESS_CHANGE, "배송"),
    (re.compile(r"다른\s?(?:상품|제품|물건|게|거|것)\s?(?:이|가)?\s?(?:왔|배송|도착)|돌려\s?보내|돌려\s?보낼|돌려\s?보냈|반송비"), "교환반품"),
    (re.compile(_ORDERED + r"[^.?!]{0,30}(?:밖에\s?안|모자라|모자르|부족|덜\s?(?:왔|들)|적게\s?왔|바꿀\s?수|바꿔\s?주|바꾸|교환)"),
     "교환반품"),
    # an order already placed, changed afterwards
    (re.compile(_ORDERED + r"[^.?!]{0,25}(?:추가할|추가\s?(?:돼|되|가능)|변경|바꿀|빼\s?(?:주|줄|도|달)|취소)"), "주문"),
    # money coming back is what is asked, whatever happened to the order ("결품 나면 돈은 언제 돌려줘요?")
    (re.compile(r"돈\s?(?:은|이)?\s?(?:[가-힣]{1,4}(?:로|으로)\s?)?언제\s?(?:들어|돌려|환불|입금)|언제\s?(?:돌려|환불)\s?(?:받|돼|되)"), "환불"),
    (re.compile(r"품절\s?(?:됐|되었|이라)|결품|재고\s?(?:가\s)?없으면|대신\s?(?:보내|배송)|대체\s?(?:상품|배송|해)"), "주문"),
    (re.compile(r"\d+\s?(?:박스|상자|개|병|묶음|세트)[가-힣\s]{0,6}(?:한\s?번에|한꺼번에)|(?:한\s?번에|한꺼번에)\s?(?:많이|대량)"
                r"|(?:회사|단체|사무실|탕비실|행사)[가-힣\s\d]{0,16}(?:주문|구매|사려)[가-힣\s]{0,10}(?:되나|돼요|되요|해도|하면|가능|방법)"),
     "주문"),
    (re.compile(r"돈\s?(?:은|이|만)?\s?(?:빠졌|나갔|나감|나가\s?있|빠져|결제됐)|출금\s?(?:됐|되)|카드\s?(?:가\s?|는\s?)?긁혔"), "결제"),
    # what the store gives when delivery is late: "늦으면 보상 같은 거 있어요?"
    (re.compile(r"(?:늦|지연)[가-힣\s]{0,12}보상"), "배송"),
    # delivery to a region, packaging returned
    (re.compile(r"(?:제주|도서\s?산간|섬\s|울릉|백령)[가-힣\s]{0,22}(?:보낼|보내|배송|배달|받을\s?수|시킬\s?수|시켜\s?줄\s?수"
                r"|시켜도|(?:시켜|주문해)\s?(?:먹을|받을|볼)\s?수|주문\s?(?:할\s?수|돼|되|가능))"), "배송"),
    # when an order placed now arrives: "밤 10시에 주문 넣으면 내일 아침에 받을 수 있어요?"
    (re.compile(r"(?:(?:주문|결제)\s?(?:을\s?)?(?:넣|하|해)(?:으면|면|어도|도)|시키면|시켜도)[^.?!]{0,20}(?:받을\s?수|받아요|받나요|와요|오나요"
                r"|도착(?:해요|하나요|할까요|하죠))"), "배송"),
    # what arrived is spoiled or broken: "받았는데 곰팡이예요", "받은 지 사흘인데 안 돌아가요"
    (re.compile(r"(?:받았|왔|도착했)(?:는데|더니)[^.?!]{0,20}(?:곰팡이|상했|썩|깨졌|깨져|터졌|녹았|안\s?돌아|작동\s?(?:이\s?)?안"
                r"|안\s?켜|고장)"
                r"|받은\s?(?:지|게)\s?[가-힣0-9\s]{1,8}(?:됐|되었|지났|인데)[^.?!]{0,25}(?:바꿔|교환|환불|반품|고쳐|수리|안\s?돌아|고장"
                r"|작동)"), "교환반품"),
    (re.compile(r"(?:전화|채팅)\s?상담|상담\s?(?:은|이|을)?\s?(?:몇\s?시|시간|언제)"), "고객센터"),
    (re.compile(r"그린\s?박스|보냉\s?(?:박스|가방)|박스\s?(?:회수|반납)|문\s?앞에\s?내놓"), "배송"),
    # sent to someone else, whose address the shopper does not have or leaves to them
    (re.compile(r"(?:한테|에게|께|집으로|댁으로)\s?[^.?!]{0,14}(?:보내|보낼)[^.?!]{0,40}주소"
                r"|주소\s?(?:는|를|도)?\s?(?:[가-힣]{1,4}\s)?(?:[가-힣]{1,4}(?:가|이)\s)?(?:직접|대신|알아서)\s?(?:넣|입력|적)"), "선물"),
    (re.compile(r"선물\s?(?:을|를)?\s?(?:보냈|받는\s?(?:사람|분|친구))|받는\s?(?:친구|분|사람)(?:이|가)\s?주소|가격\s?표시"), "선물"),
    (re.compile(r"(?:글씨|글자|화면)\s?(?:를|가|이|좀)?\s?(?:좀\s?|너무\s?)?(?:크게|키워|확대|잘\s?안\s?보|작아서|작아요|작아\s)|큰\s?글씨|음성\s?안내|휠체어"), "키오스크"),
    (re.compile(r"표시(?:된|돼|되어|가\s?된)\s?[가-힣\s]{0,10}(?:맞|믿|확실|면)"), "알레르기"),
    # a return or exchange to be made is what the question is about, even when it asks what
    # comes back ("반품하면 얼마 빼고 환불돼요?"); one already made is the background of a refund
    # question ("반품한 거 환불 언제 들어와요") and the table below decides
    (re.compile(r"(?:반품|교환|반송)(?!\s?(?:한\s?(?:거|건|것|게)|했|해\s?놨|해\s?뒀|보냈|신청\s?했|처리\s?(?:됐|되었)))"), "교환반품"),
)


# ---------------------------------------------------------------- taking an allergy or diet off
# Recovered or grown out of it: "다 나았어요", "완치", "이제 괜찮아요", "이제 먹어도 돼요", "더 이상
# 알레르기 아니에요", "이제 비건 안 해요". A question ("이제 먹어도 돼요?") asks, it removes nothing.
_RECOVERED = re.compile(
    r"나았|나아졌|낫았|완치|괜찮아졌|없어졌|사라졌|음성\s?(?:이|으로|나왔|판정)"
    r"|이제(?:는|부터)?\s?(?:[가-힣]+\s)?(?:괜찮|먹어도|먹을\s?수|먹을수|마셔도|마실\s?수|드셔도|먹을\s?래|안\s?해|안\s?할|그만)"
    r"|더\s?이상\s?(?:[가-힣]+\s)?(?:아니|없|안\s?(?:해|할|먹어도))|그만\s?(?:할|해|둘|뒀|하려)"
)
# Taken off the record: "목록에서 지워 주세요", "프로필에서 삭제", "해제해 주세요". Only with a word
# about the record or the allergy in the message ("장바구니에서 우유 삭제" is a cart line).
_OFF_RECORD = re.compile(r"지워|지우|삭제|해제|없애|(?:목록|리스트|프로필|정보|기록|등록)\s?(?:에서|서)\s?(?:빼|제외|지워|삭제)")
_RECORD_WORD = re.compile(r"알레르기|allerg|프로필|목록|리스트|내\s?정보|제\s?정보|식단|체질|등록")
_CART_PLACE_WORDS = re.compile(r"장바구니|카트|담은|담았|담긴|주문")
_CLAUSE_SPLIT = re.compile(r"[.!?\n;,]|(?<=[요다])\s(?=[가-힣])")
_ASKING = re.compile(r"\?|(?:나요|까요|되나|는지|죠)\s?[.~]*$")


def removed_terms(text: str, lexicon: Lexicon) -> tuple[list[str], list[str]]:
    """(allergens, dietary tags) the shopper asks to take off their record: a clause that
    names them and says they recovered or asks to delete them ("우유 알레르기 다 나았어요",
    "밀가루 알레르기 추가해 주세요, 우유는 이제 괜찮아요" -> only 우유). A removal clause with
    nothing named ("... 괜찮아요, 지워 주세요") takes the names of the clause before it.

    >>> removed_terms("이제 우유 알레르기 다 나았어요 목록에서 지워주세요", Lexicon.default())
    (['우유'], [])
    >>> removed_terms("밀가루 알레르기 추가해 주세요, 우유는 이제 괜찮아요", Lexicon.default())
    (['우유'], [])
    >>> removed_terms("장바구니에서 우유 삭제해 줘", Lexicon.default())
    ([], [])
    """
    record = bool(_RECORD_WORD.search(text)) and not _CART_PLACE_WORDS.search(text)
    cuts = [0] + [m.end() for m in _CLAUSE_SPLIT.finditer(text)] + [len(text)]
    clauses = [text[a:b] for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]   # each with its "?" or ","
    allergens: list[str] = []
    tags: list[str] = []
    last_named: tuple[list[str], list[str]] = ([], [])
    for clause in clauses:
        named = ([n for term, _, _ in _allergen_hits(clause) for n in ALLERGEN_SYNONYMS[term]],
                 extract_tags(clause, lexicon)[0])
        named = (list(dict.fromkeys(named[0])), [t for t in named[1] if t not in _NOT_PERSONAL_TAGS])
        off = _OFF_RECORD.search(clause)
        removes = ((_RECOVERED.search(clause) or off and (record or off.group().startswith("해제")))
                   and not _ASKING.search(clause.strip(" ,;")))
        if removes:
            a, t = named if (named[0] or named[1]) else last_named
            allergens += [x for x in a if x not in allergens]
            tags += [x for x in t if x not in tags]
        if named[0] or named[1]:
            last_named = named
    return allergens, tags


# use and pack tags describe a product, never a person's record
_NOT_PERSONAL_TAGS = USE_TAGS | {"선물용"}
