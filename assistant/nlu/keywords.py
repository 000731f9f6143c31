"""Product keywords: the nouns left after every recognised slot span is masked out.

Uses kiwipiepy (loaded lazily, once per process and lexicon, behind a lock) with the
lexicon's brands, leaf categories and tags as user words so that "그릭요거트" stays whole.
Adjacent nouns typed without a space form one keyword ("닭가슴살"); a space or a stop word
separates them. Without kiwipiepy a plain Hangul-word fallback is used.
"""

from __future__ import annotations

import functools
import re
import threading

from assistant.nlu.lexicon import Lexicon

# Nouns that carry no product meaning in a shopping request; they also split noun runs
# ("과자추천" -> "과자").
STOPWORDS = frozenset("""
추천 상품 제품 물건 거 것 걸 좀 장바구니 카트 개 원 가격 예산 이하 이상 미만 정도 오늘 내일 아침 새벽 저녁
배송 중 그중 뭐 무엇 이것 그것 저것 저 나 제 우리 알레르기 하나 브랜드 제일 가장 최저가 인기 평점
리뷰 별점 추가 주문 결제 구매 필요 생각 혹시 요즘 다음 번 번째 째 만원 천원 원대 대 짜리 쯤 안쪽 이내 사이
당일 급 지금 당장 바로 거기 여기 이거 그거 저거 요거 건 꺼 수량 개수 가지 후기 성분 유통기한 소비기한 원산지
칼로리 용량 재고 비교 차이 때 것들 사람 분 고객 저희 전 부탁 감사 안녕 안녕하세요 질문 문의 정보 확인 목록
리스트 처음 위 아래 밑 선 내 외 안 말 기억 앞 항상 프로필 설정 저장 등록 방금 아까 마지막 첫째 둘째 셋째
가성비 고급 프리미엄 베스트 최고 최고가 금액 총 합계 할인 세일 쿠폰 대신 말고 빼고 다른 같은 비슷 느낌
주세요 장보기 가능 여부 관련 무료 랑 이랑 거랑 얘 걔 녀석 놈 거요 뭘 지난번 저번 예전 전번 지난 종류
인증 삭제 계산 완료 진행 카드 수단 변경 거부 수신 마케팅 문자 지난주 지난달 얼마 보관 순 순서 정렬 시작
고고 오케이 응 아니 하이 바이 로만 개입 방법 사용법 기간 시간 주소 어디 언제 때문 거예요
위주 혼자 이번 만요
패스 패스요 사절 불가 제한 섭취 두드러기 양성 검사 큰일 알러지 배탈 설사 포함 함유
free non low high plz pls please cheap cheaper cheapest expensive pricey best top rated price kcal
""".split())
# Words dropped when they stand alone but kept inside a compound ("선물세트", "생수박스").
WEAK = frozenset("""
세트 맛 물 박스 팩 통 병 캔 봉지 봉 판 단 송이 묶음 마리 컵 줄 망 포 봉투 상자 용 전용 게 애 아이 아기 애기 장
""".split())
# One-syllable nouns that are real grocery items.
SHORT_OK = frozenset("숯 쌀 김 빵 떡 귤 무 파 꿀 잼 면 죽 껌 밥 국 콩 술 배 감 굴 밤 잣 팥 깨 꽃 초 차 햄 굴 회 전 묵 엿 배추 닭".split())
_NOUN_TAGS = ("NNG", "NNP", "SL", "XR")
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _kiwi(user_words: tuple[str, ...]):
    try:
        from kiwipiepy import Kiwi
    except ImportError:  # optional at runtime; the fallback below is cruder
        return None
    kiwi = Kiwi()
    # Only compounds of 3+ syllables ("그릭요거트"): registering short words the analyzer
    # already knows ("라면") changes how it splits "신라면". Words are added before the first
    # analysis because each addition after it rebuilds the model (seconds on 2 cores).
    for word in user_words:
        if len(word) >= 3:
            kiwi.add_user_word(word, "NNG")
    return kiwi


def warm_up(lexicon: Lexicon | None = None) -> None:
    """Load the analyzer now (about 1-2 s) instead of on the first message."""
    _kiwi((lexicon or Lexicon.default()).user_words())


def extract_keywords(masked: str, lexicon: Lexicon) -> list[str]:
    """Noun keywords from text whose slot spans were replaced by spaces.

    >>> extract_keywords("   간식 추천해줘", Lexicon.default())
    ['간식']
    """
    return analyze(masked, lexicon)[0]


def analyze(masked: str, lexicon: Lexicon) -> tuple[list[str], bool]:
    """(keywords, give_verb): give_verb is True for "사과 주세요" (주다 as the main verb),
    False for "추천해 주세요" (an auxiliary after a connective)."""
    if not re.search(r"[가-힣a-z]", masked):
        return [], False
    kiwi = _kiwi(lexicon.user_words())
    if kiwi is None:
        return _fallback(masked), bool(re.search(r"[가-힣]\s(?:주세요|줘)", masked))
    with _LOCK:
        tokens = kiwi.tokenize(masked)
    # 주다 after a connective ("추천해 주세요") is an auxiliary; after a noun it means "give me".
    give_verb = any(t.form == "주" and t.tag in ("VV", "VX") and (i == 0 or tokens[i - 1].tag not in ("EC", "XSV"))
                    for i, t in enumerate(tokens))
    keywords: list[str] = []
    run: list = []

    def flush() -> None:
        if run and not all(t.form in WEAK for t in run):
            word = masked[run[0].start:run[-1].start + run[-1].len]
            if (len(word) >= 2 or word in SHORT_OK) and word not in keywords and word not in STOPWORDS:
                keywords.append(word)
        run.clear()

    skip = -1
    for i, tok in enumerate(tokens):
        if i == skip:
            continue
        if (tok.tag == "VA" and not run and i + 2 < len(tokens) and tokens[i + 1].tag == "ETM"
                and tokens[i + 2].tag in ("NNG", "NNP") and tokens[i + 2].start == tok.start + tok.len):
            run.append(tok)  # "흰우유": an attached adjective is part of the product name
            skip = i + 1
            continue
        is_noun = tok.tag in _NOUN_TAGS and tok.form not in STOPWORDS
        glued_next = (i + 1 < len(tokens) and tokens[i + 1].tag in ("NNG", "NNP") and tok.len == 1
                      and tokens[i + 1].len >= 2 and tokens[i + 1].start == tok.start + tok.len)
        if (not is_noun and tok.tag in ("NNG", "NNP") and glued_next and not run
                and (tok.start == 0 or masked[tok.start - 1].isspace())):
            is_noun = True  # "선크림": a stopword noun opening a compound is part of it
        if tok.tag == "SN" and run and tok.start == run[-1].start + run[-1].len:
            is_noun = True  # "오메가3", "비타민b12": a number glued to the name is part of it
        if tok.form in ("류", "거리") and run and tok.start == run[-1].start + run[-1].len:
            is_noun = True  # "견과류", "반찬거리"
        if is_noun and tok.tag == "SL" and len(tok.form) < 2:
            is_noun = False
        if is_noun and run and tok.start != run[-1].start + run[-1].len:
            flush()
        if is_noun:
            run.append(tok)
        else:
            flush()
    flush()
    return keywords, give_verb


@functools.lru_cache(maxsize=512)
def _reads_as_noun(word: str, user_words: tuple[str, ...]) -> bool:
    kiwi = _kiwi(user_words)
    if kiwi is None:
        return True
    with _LOCK:
        tokens = kiwi.tokenize(word)
    return bool(tokens) and all(t.tag in _NOUN_TAGS or t.tag == "XSN" for t in tokens)


def reads_as_noun(word: str, lexicon: Lexicon) -> bool:
    """Whether the analyzer reads `word` alone as nouns ("그래놀라" is read 그래+놀라: no)."""
    return _reads_as_noun(word, lexicon.user_words())


_PARTICLE = re.compile(r"(?:이랑|랑|하고|으로|로|은|는|이|가|을|를|도|만|요|의|에|에서)$")


def _fallback(masked: str) -> list[str]:
    words = []
    for w in re.findall(r"[가-힣a-z]{2,}", masked):
        w = _PARTICLE.sub("", w)
        if len(w) >= 2 and w not in STOPWORDS and w not in WEAK and w not in words:
            words.append(w)
    return words


@functools.lru_cache(maxsize=256)
def _verb_lemmas(text: str, user_words: tuple[str, ...]) -> frozenset[str]:
    kiwi = _kiwi(user_words)
    if kiwi is None:
        return frozenset()
    with _LOCK:
        tokens = kiwi.tokenize(text)
    return frozenset(t.form for t in tokens if t.tag.startswith(("VV", "VA")))


def verb_lemmas(text: str, lexicon: Lexicon | None = None) -> frozenset[str]:
    """The verb and adjective stems of `text` as the analyzer reads them, whatever their
    ending ("물러 있어요", "물렀어요", "무른" -> 무르; "돌려보낼", "돌려보냈는데" -> 돌려보내).
    Empty without kiwipiepy.

    >>> sorted(verb_lemmas("딸기가 물러 있어요")), sorted(verb_lemmas("돌려보낼 수 있나요"))
    (['무르'], ['돌려보내', '있'])
    """
    if not re.search(r"[가-힣]", text):
        return frozenset()
    return _verb_lemmas(text, (lexicon or Lexicon.default()).user_words())
