"""Vocabularies the Korean parser matches against: tags, allergens, policy topics, brands, categories.

`Lexicon` holds what comes from the catalog (brands, leaf categories, tag names) and is built
with `Lexicon.from_products(products)`; `Lexicon.default()` is a small built-in one for tests
and for running before a catalog exists. The fixed tables (allergen synonyms, dietary tag
synonyms, policy topics) are Korean-language facts, not catalog data, so they live here as
constants. Leaves out: any matching logic (see `nlu.slots`).

Synonym decisions (documented in docs/benchmarks/nlu.md):
- 견과류 -> 땅콩, 호두, 잣 (the nuts on the Korean labeling list; 아몬드 etc. are not listed)
- 갑각류 -> 게, 새우; 조개/굴/전복/홍합/바지락 -> 조개류; 계란/달걀/난류 -> 알류;
  유제품/유당 -> 우유; 콩 -> 대두; 밀가루 -> 밀; 소고기/한우 -> 쇠고기.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

# Korean food-allergen labeling list (식품 등의 표시·광고에 관한 법률 시행규칙 별표).
from store.domain import ALLERGEN_FAMILIES, ALLERGENS  # noqa: E402,F401  (one home: store.domain)

# surface form -> labeling names. Single-syllable forms ("게", "밀", "잣", "콩") are only
# trusted next to an allergy marker (see nlu.slots), never as free keywords.
ALLERGEN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "알류": ("알류",), "난류": ("알류",), "계란": ("알류",), "달걀": ("알류",), "에그": ("알류",), "난백": ("알류",), "난황": ("알류",),
    "우유": ("우유",), "유제품": ("우유",), "유당": ("우유",), "치즈": ("우유",), "버터": ("우유",),
    "메밀": ("메밀",), "땅콩": ("땅콩",), "피넛": ("땅콩",),
    "대두": ("대두",), "콩": ("대두",), "두유": ("대두",), "밀가루": ("밀",), "밀": ("밀",),
    "글루텐": ("밀",), "고등어": ("고등어",), "게": ("게",), "꽃게": ("게",), "대게": ("게",),
    "새우": ("새우",), "돼지고기": ("돼지고기",), "돼지": ("돼지고기",), "복숭아": ("복숭아",),
    "토마토": ("토마토",), "아황산류": ("아황산류",), "아황산": ("아황산류",), "호두": ("호두",),
    "닭고기": ("닭고기",), "닭": ("닭고기",), "쇠고기": ("쇠고기",), "소고기": ("쇠고기",),
    "한우": ("쇠고기",), "오징어": ("오징어",), "조개류": ("조개류",), "조개": ("조개류",),
    "굴": ("조개류",), "전복": ("조개류",), "홍합": ("조개류",), "바지락": ("조개류",),
    "잣": ("잣",),
    # every family word of store.domain (견과류, 갑각류, 해산물, 해물, 생선, 유제품, ...) below
    # English and emoji forms shoppers type ("nut free", "peanut 알러지", "🥜❌"); ASCII terms
    # match only as whole words (see nlu.slots), so "donut" is not "nut"
    "peanut": ("땅콩",), "peanuts": ("땅콩",), "nut": ALLERGEN_FAMILIES["견과류"],
    "nuts": ALLERGEN_FAMILIES["견과류"], "treenut": ALLERGEN_FAMILIES["견과류"],
    "dairy": ("우유",), "milk": ("우유",), "lactose": ("우유",), "egg": ("알류",), "eggs": ("알류",),
    "wheat": ("밀",), "gluten": ("밀",), "soy": ("대두",), "soybean": ("대두",), "shrimp": ("새우",),
    "crab": ("게",), "shellfish": ("게", "새우", "조개류"), "seafood": ALLERGEN_FAMILIES["해산물"],
    "pork": ("돼지고기",), "beef": ("쇠고기",), "chicken": ("닭고기",), "peach": ("복숭아",),
    "tomato": ("토마토",), "squid": ("오징어",), "mackerel": ("고등어",),
    "🥜": ("땅콩",), "🥛": ("우유",), "🥚": ("알류",), "🦐": ("새우",), "🦀": ("게",),
    "🍅": ("토마토",), "🍑": ("복숭아",), "🦑": ("오징어",), "🐟": ("고등어",),
    # tree nuts the labeling list does not name: safety first, a shopper who cannot eat one
    # is steered off every listed nut (allergists advise avoiding tree nuts as a group)
    "아몬드": ALLERGEN_FAMILIES["견과류"], "캐슈넛": ALLERGEN_FAMILIES["견과류"],
    "캐슈": ALLERGEN_FAMILIES["견과류"], "피스타치오": ALLERGEN_FAMILIES["견과류"],
    "마카다미아": ALLERGEN_FAMILIES["견과류"], "헤이즐넛": ALLERGEN_FAMILIES["견과류"],
    "피칸": ALLERGEN_FAMILIES["견과류"], "브라질너트": ALLERGEN_FAMILIES["견과류"],
    "새우젓": ("새우",),
    # the allergen's meat named as an ingredient ("게살 들어간 거 빼고", "크랩 들어간 건")
    "게살": ("게",), "꽃게살": ("게",), "크랩": ("게",), "새우살": ("새우",), "조갯살": ("조개류",),
    # ingredient names on labels and in chat ("유청 말고", "흰자 알레르기", "통밀 빼고")
    "유청": ("우유",), "카제인": ("우유",), "연유": ("우유",), "생크림": ("우유",),
    "흰자": ("알류",), "노른자": ("알류",), "메추리알": ("알류",), "통밀": ("밀",), "소맥": ("밀",),
    "대하": ("새우",), "킹크랩": ("게",), "랍스터": ("게", "새우"), "랍스타": ("게", "새우"),
    "한치": ("오징어",), "갑오징어": ("오징어",), "황도": ("복숭아",), "백도": ("복숭아",), "천도복숭아": ("복숭아",),
}
ALLERGEN_SYNONYMS.update({family: members for family, members in ALLERGEN_FAMILIES.items()})

DIETARY_TAGS: tuple[str, ...] = (
    "비건", "저당", "무가당", "유기농", "무농약", "글루텐프리", "락토프리", "고단백", "저염",
    "무첨가", "할랄", "저지방", "무항생제", "저칼로리", "키토", "제로슈거", "친환경", "동물복지",
)

# surface form (spaces removed) -> canonical tag
TAG_SYNONYMS: dict[str, str] = {
    "비건": "비건", "vegan": "비건", "채식": "비건", "채식주의": "비건", "식물성": "비건",
    "저당": "저당", "당적은": "저당", "당이적은": "저당", "설탕적은": "저당", "덜단": "저당",
    "당줄인": "저당", "로우슈거": "저당", "무가당": "무가당", "무설탕": "무가당", "설탕없는": "무가당",
    "설탕안들어간": "무가당", "노슈거": "무가당", "유기농": "유기농", "오가닉": "유기농",
    "organic": "유기농", "무농약": "무농약", "글루텐프리": "글루텐프리", "글루텐free": "글루텐프리",
    "락토프리": "락토프리", "유당프리": "락토프리", "무유당": "락토프리", "무글루텐": "글루텐프리", "유당없는": "락토프리", "고단백": "고단백",
    "단백질많은": "고단백", "단백질높은": "고단백", "프로틴": "고단백", "저염": "저염",
    "싱거운": "저염", "저나트륨": "저염", "나트륨적은": "저염", "덜짠": "저염", "짜지않은": "저염",
    "안짠": "저염", "짜지않게": "저염", "안짜게": "저염", "덜짜게": "저염", "나트륨낮은": "저염", "염분적은": "저염", "무첨가": "무첨가",
    "첨가물없는": "무첨가", "할랄": "할랄", "저지방": "저지방", "무지방": "저지방",
    "무항생제": "무항생제", "저칼로리": "저칼로리", "칼로리낮은": "저칼로리", "칼로리적은": "저칼로리",
    "저열량": "저칼로리", "키토": "키토", "저탄고지": "키토", "제로슈거": "제로슈거",
    "glutenfree": "글루텐프리", "고기안들어간": "비건", "고기없는": "비건", "젤라틴없는": "비건",
    "동물성없는": "비건", "향없는": "무향", "무향료": "무향", "무향": "무향", "환경생각": "친환경",
    "에코": "친환경", "지방적은": "저지방", "지방낮은": "저지방", "단백질많고": "고단백",
    "저자극": "저자극", "순한": "저자극", "제로칼로리": "제로칼로리", "칼로리제로": "제로칼로리",
    "국산": "국산", "국내산": "국산", "민감성": "저자극", "민감피부": "저자극", "칼로리없는": "제로칼로리",
    "0칼로리": "제로칼로리", "선물": "선물용", "선물용": "선물용", "1인가구": "1인가구", "1인용": "1인가구",
    "혼밥": "1인가구", "혼자먹을": "1인가구", "혼자사는": "1인가구", "소포장": "1인가구", "1인분": "1인가구",
    "제로슈가": "제로슈거", "친환경": "친환경", "동물복지": "동물복지",
    # the same in English, as shoppers mix it in ("sugar free 초콜릿", "low sodium 김치")
    "sugarfree": "무가당", "nosugar": "무가당", "unsweetened": "무가당", "lowsugar": "저당",
    "lactosefree": "락토프리", "highprotein": "고단백", "lowsodium": "저염", "lowsalt": "저염",
    "lowfat": "저지방", "fatfree": "저지방", "nonfat": "저지방", "zerocalorie": "제로칼로리",
    "zerocal": "제로칼로리", "lowcalorie": "저칼로리", "lowcal": "저칼로리", "keto": "키토",
    "halal": "할랄", "unscented": "무향", "fragrancefree": "무향", "plantbased": "비건",
    "additivefree": "무첨가", "antibioticfree": "무항생제", "pesticidefree": "무농약",
}

# ---- policy topics -------------------------------------------------------------------------
# A policy topic is a policy *family* of the help center: the part of a document id before the
# number (data/policies front matter `id`: "반품-03" -> 반품), under the name shoppers and the
# store's labels use for it where that differs: 교환 and 반품 are asked about as one thing
# (교환반품), 정기배송 is the 구독 service, the 회원 documents answer 계정 questions.
POLICY_FAMILY_NAMES: dict[str, str] = {"교환": "교환반품", "반품": "교환반품", "정기배송": "구독", "회원": "계정"}
# Coarser names older readers emit (the chat model's schema, stored sessions): each covers
# these families, so a document of any of them still matches the topic.
LEGACY_POLICY_TOPICS: dict[str, tuple[str, ...]] = {
    "혜택": ("쿠폰", "적립금", "멤버십"), "취소": ("주문",), "정기배송": ("구독",),
    "알레르기표시": ("알레르기",), "상품정책": ("상품",),
}
_POLICY_DIR = Path(__file__).resolve().parents[2] / "data" / "policies"


def policy_topic_of(doc_id: str) -> str:
    """The topic a policy document answers, from its id.

    >>> policy_topic_of("반품-03"), policy_topic_of("정기배송-01"), policy_topic_of("쿠폰-02")
    ('교환반품', '구독', '쿠폰')
    """
    family = (doc_id or "").split("#", 1)[0].rsplit("-", 1)[0].strip()
    return POLICY_FAMILY_NAMES.get(family, family)


def topic_covers(topic: str | None, doc_id: str) -> bool:
    """Whether a document (by id) answers questions on `topic` (a topic or a legacy name).

    >>> topic_covers("환불", "환불-01"), topic_covers("환불", "반품-03"), topic_covers("혜택", "적립금-02")
    (True, False, True)
    """
    if not topic:
        return False
    doc_topic = policy_topic_of(doc_id)
    return doc_topic == topic or doc_topic in LEGACY_POLICY_TOPICS.get(topic, ())


@functools.lru_cache(maxsize=4)
def policy_topics(directory: str | None = None) -> tuple[str, ...]:
    """Every topic the help center's documents answer (read from their front matter ids),
    sorted; the trigger table's topics when the documents are not there."""
    folder = Path(directory) if directory else _POLICY_DIR
    topics: set[str] = set()
    for file in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        head = file.read_text(encoding="utf-8").split("\n---", 1)[0]
        m = re.search(r"^id:\s*(\S+)", head, re.MULTILINE)
        if m:
            topics.add(policy_topic_of(m.group(1)))
    return tuple(sorted(topics or POLICY_TOPICS))


# topic -> trigger substrings (matched on the space-free lowercase text). Order matters: the
# first topic with a trigger in the message wins. A named service (멤버십, 구독, 선물, 픽업,
# 키오스크) is what the question is about, whatever it asks of it ("장보기 패스 해지하면 돈
# 돌려받아요?", "키오스크에서 영수증"); then a money-back (환불) before the damage it is about
# ("물러서 왔어요 환불 돼요?"), and 주문 (취소) before the delivery kind it names.
POLICY_TOPICS: dict[str, tuple[str, ...]] = {
    "멤버십": ("멤버십", "멤버쉽", "회원등급", "등급", "회원혜택", "vip", "우수회원", "장보기패스", "패스해지"),
    "구독": ("정기배송", "정기구독", "구독", "매주받", "격주", "매달받", "정기적으로"),
    "선물": ("선물하기", "선물포장", "선물로보내", "선물로보낼", "선물보내", "메시지카드", "받는사람",
           "선물에가격", "가격안보이게", "가격나와", "받은선물", "선물받은"),
    "픽업": ("픽업", "매장수령", "매장에서찾", "찾으러", "방문수령", "점몇시", "매장몇시", "매장운영",
           "영업시간", "주차", "매장에가서", "매장가서받", "매장에서받", "매장에서직접"),
    "키오스크": ("키오스크", "무인계산", "셀프계산", "무인매장"),
    "환불": ("환불", "환급", "돈돌려받", "카드취소되", "부분환불", "결품환불"),
    "교환반품": ("반품", "교환", "반송", "불량", "파손", "상했", "상한", "썩었", "썩은", "마음이바뀌", "맘이바뀌", "마음바뀌", "맘바뀌",
               "잘못왔", "잘못배송", "오배송", "변심", "하자", "깨져", "터져", "상해서", "상해왔",
               "변질", "곰팡이가", "곰팡이폈", "곰팡이생", "썩어", "물러서", "다른게왔", "다른거왔", "빠져서왔",
               "빠져있", "누락", "고장", "as돼", "as되", "a/s", "보증기간", "수리", "물건이없", "배송완료라는데", "물렀", "시들", "녹아서", "녹았", "바꾸고싶",
               "다른색", "다른사이즈", "유통기한지난", "유통기한이지난", "멍들", "멍이들", "찌그러", "흠집",
               "금이가", "금갔", "깨진", "터진", "가지러오", "가지러와", "회수", "수거"),
    "주문": ("취소", "수량변경", "주문한거에", "주문한것에", "합포장", "재입고알림", "대량주문", "대량으로주문", "주문변경", "주문수정", "주문방법", "최소주문", "두번주문", "중복주문", "같은거두번"),
    "배송": ("배송비", "택배비", "배송지연", "배달지연", "배송늦", "배달늦", "늦게와", "늦게오", "무료배송", "배송기간", "배송지역", "배송시간", "도서산간", "제주도도", "제주도는", "제주에서", "제주는", "제주도배송", "제주배송", "섬지역",
           "새벽배송", "당일배송", "배송마감", "몇시까지주문", "배송은", "배송이", "배송가능", "배달비",
           "배달되", "배송되", "배송돼", "배달가능", "배송얼마", "배송지", "주소변경", "받는곳", "받을곳",
           "배송방법", "배송옵션", "공동현관", "출입번호", "배송메모", "요청사항", "부재", "집에없으면",
           "문앞", "경비실", "주문하면언제", "넘어서주문", "배송추가비", "택배로", "아이스팩", "보냉",
           "포장재", "포장쓰레기", "친환경포장", "송장", "오늘주문하면", "주문하면오늘", "조회어케", "조회어떻게", "무배", "배송몇시", "몇시에와", "몇시쯤와", "몇시에도착", "아무도없", "부재중", "포장어떻게", "스티로폼", "포장이너무", "박스가너무", "박스너무", "공휴일", "휴무일", "기사님께", "기사님한테", "기사님연락", "기사님번호", "기사님이랑"),
    "결제": ("결제수단", "결제방법", "결제가", "결제는", "결제오류", "카드결제", "무통장", "할부",
           "간편결제", "페이", "현금영수증", "영수증", "세금계산서", "계좌이체", "상품권",
           "결제돼", "결제되", "나눠서결제", "분할결제", "결제안돼", "결제실패", "카드두",
           "결제두번", "두번결제", "중복결제", "이중결제", "돈은나갔", "돈이나갔", "결제됐는데", "카드가거절", "카드거절", "승인거절", "거절돼", "거절되", "거절당"),
    "쿠폰": ("쿠폰", "할인코드", "프로모션코드", "신규가입", "가입혜택", "첫구매", "생일할인", "생일이면", "생일혜택", "첫주문", "처음가입", "가입하면뭐", "친구추천하면", "추천인"),
    "적립금": ("적립금", "포인트", "적립"),
    "개인정보": ("개인정보", "내정보", "정보삭제", "기록삭제", "기록지워", "데이터삭제",
             "마케팅수신", "수신거부", "맞춤추천", "추천끄", "추천안받", "추천안", "대화기록", "주문기록", "몇년보관",
             "저장돼", "저장되", "광고문자", "광고에쓰", "광고에안쓰", "광고에사용", "광고로쓰", "광고보내", "마케팅문자", "마케팅동의", "정보보관", "보관기간", "개인정보처리", "내데이터", "정보다운로드"),
    "계정": ("탈퇴", "가입가능", "가입하려", "회원가입", "비밀번호", "pin", "잠겼", "로그인", "계정", "아이디", "번호바뀌", "번호변경", "폰번호", "휴대폰번호", "가입해도", "가입할수", "가입돼", "가입되", "가입이안"),
    "고객센터": ("고객센터", "상담원", "상담사", "문의전화", "전화번호", "운영시간", "1:1문의",
              "채팅상담", "상담연결", "사람이랑", "직원연결", "상담돼", "상담되",
              "상담가능", "1대1", "문의할때", "문의답변", "사진첨부", "상담채팅", "채팅으로", "전화로주문", "전화주문", "전화로문의"),
    "알레르기": ("알레르기표시", "알레르기표기", "알러지표시", "알레르기정보", "성분표시",
              "알레르기유발", "표시기준", "알레르기성분몇", "필터되", "필터돼", "포함돼요", "포함되나"),
    "상품": ("유통기한얼마나남은", "남은거와", "유통기한임박", "임박상품", "신선도보장", "신선도",
           "리뷰언제", "리뷰숨김", "리뷰작성", "리뷰쓰", "리뷰는언제", "후기작성", "리뷰삭제", "리뷰지우", "후기삭제", "후기지우"),
}


def _doc_prefixes() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for family, topic in POLICY_FAMILY_NAMES.items():
        out.setdefault(topic, []).append(family)
    return {t: tuple(out.get(t, [t])) for t in POLICY_TOPICS}


# Policy document id prefixes per topic, for callers that boost or filter policy retrieval by
# the recognised topic (derived from POLICY_FAMILY_NAMES: 교환반품 -> 교환, 반품).
POLICY_TOPIC_DOC_PREFIXES: dict[str, tuple[str, ...]] = _doc_prefixes()

# Catalog tags that say what a product is for or how it is packed (캠핑, 반려견, 유아, 대용량,
# ...). Said by the shopper they are a requirement ("캠핑용 랜턴", "강아지 간식", "물티슈 대용량")
# where the catalog carries the tag, but only there: "아기 이유식" names a leaf whose products
# carry no 유아 tag (the leaf itself is the use), "캠핑 가서 먹을 고기" a food no 캠핑 tag is on,
# "즉석밥 가성비" a leaf without 가성비; requiring the tag would exclude every right product, so
# it is kept as a keyword there (`Lexicon.tag_fits`).
USE_TAGS = frozenset({"가성비", "캠핑", "반려견", "반려묘", "유아", "간편조리", "대용량", "리필"})
SOFT_TAGS = USE_TAGS   # the older name
# surface form (spaces removed) -> use tag. Words that name the one the product is for stay
# keywords too ("강아지 사료": 강아지 still helps retrieval); the rest are only the tag. "아이"
# is not here: it is inside 아이스크림 and 아이디, and "아이가 ... 알레르기" is about a person.
USE_TAG_WORDS: dict[str, str] = {
    "캠핑": "캠핑", "반려견": "반려견", "강아지": "반려견", "애견": "반려견", "댕댕이": "반려견",
    "멍멍이": "반려견", "반려묘": "반려묘", "고양이": "반려묘", "냥이": "반려묘", "애묘": "반려묘",
    "유아": "유아", "아기": "유아", "애기": "유아", "아가": "유아", "신생아": "유아", "키즈": "유아",
    "어린이": "유아", "아이용": "유아", "유아용": "유아",
    "대용량": "대용량", "벌크": "대용량", "리필": "리필", "가성비": "가성비", "간편조리": "간편조리",
    "데우기만": "간편조리",
}
USE_TAG_KEYWORDS = frozenset({"캠핑", "반려견", "반려묘", "강아지", "애견", "댕댕이", "멍멍이", "고양이", "냥이", "애묘",
                              "아기", "애기", "아가", "신생아", "키즈", "어린이", "유아"})
# Where the store catalog carries each use tag ("mid/leaf" of the category paths), mirrored
# for the built-in lexicon like `categories.DEFAULT_CATEGORY_PATHS` (a test checks the
# catalog); `Lexicon.from_products` reads it from the products.
_USE_TAG_LEAVES = """
캠핑: 디지털액세서리/이어폰·스피커 디지털액세서리/충전기·케이블 스킨케어/선케어 조리도구/프라이팬·냄비
  캠핑용품/랜턴·캠핑소품 캠핑용품/버너·연료
반려견: 강아지/강아지간식 강아지/강아지사료 강아지/배변용품
반려묘: 고양이/고양이모래 고양이/고양이사료·간식
유아: 구강용품/치약·칫솔 기저귀·물티슈/기저귀 기저귀·물티슈/물티슈 세탁세제/세탁세제 스킨케어/선케어 유아용품/수유·식기
  헤어·바디/샴푸·린스
가성비: 정육·계란/계란
간편조리: 만두·간편식/볶음밥·피자 정육·계란/계란 즉석식품/즉석국·찌개 즉석식품/즉석밥
대용량: 강아지/강아지사료 강아지/배변용품 견과·건과/견과류 고양이/고양이모래 고양이/고양이사료·간식 과일/감귤·만감류
  과일/바나나·열대과일 과일/사과·배 기저귀·물티슈/기저귀 기저귀·물티슈/물티슈 냉동육가공/너겟·돈까스
  단백질·다이어트/닭가슴살 단백질·다이어트/프로틴 두부·김치/김치 라면·면/국수·파스타 라면·면/라면 만두·간편식/만두
  비타민·영양제/비타민 비타민·영양제/유산균 생수·탄산/탄산음료 세탁세제/섬유유연제 세탁세제/세탁세제
  소스·양념/식용유·참기름 소스·양념/장류 수산/새우·갑각류 쌀·잡곡/쌀 쌀·잡곡/잡곡 우유/우유 정육·계란/계란
  정육·계란/닭·오리 정육·계란/돼지고기 정육·계란/소고기 주스·식물성음료/두유·식물성음료 주스·식물성음료/주스
  즉석식품/즉석밥 즉석식품/통조림 차/녹차·티백 채소/뿌리채소 채소/양파·마늘·파 채소/열매채소 채소/잎채소·쌈채소
  치즈·버터/치즈 캠핑용품/버너·연료 커피/원두·드립백 커피/캡슐·인스턴트 헤어·바디/샴푸·린스 화장지·티슈/화장지
리필: 세탁세제/세탁세제 주방·청소세제/주방세제
"""


def _parse_use_tag_leaves(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out: dict[str, list[str]] = {}
    tag = ""
    for line in text.strip().splitlines():
        if ":" in line:
            tag, line = line.split(":", 1)
            tag = tag.strip()
        out.setdefault(tag, []).extend(w.replace("_", " ") for w in line.split())   # "_" stands for a space
    return tuple((t, tuple(v)) for t, v in sorted(out.items()))


DEFAULT_USE_TAG_LEAVES = _parse_use_tag_leaves(_USE_TAG_LEAVES)
# The leaves where every product carries a tag (use or diet): there the kind of product already
# says it ("강아지 사료" is for a dog, every "프로틴" is 고단백, every "식물성 음료" 비건), so the
# tag is no further condition; mirrored from the catalog the same way ("_" stands for a space).
_WHOLE_TAG_LEAVES = """
고단백: 단백질·다이어트/닭가슴살 단백질·다이어트/프로틴 정육·계란/닭·오리 정육·계란/돼지고기 정육·계란/소고기
락토프리: 주스·식물성음료/두유·식물성음료
반려견: 강아지/강아지간식 강아지/강아지사료 강아지/배변용품
반려묘: 고양이/고양이모래 고양이/고양이사료·간식
비건: 견과·건과/견과류 견과·건과/말린과일 과일/감귤·만감류 과일/딸기·베리 과일/바나나·열대과일 과일/사과·배 과일/수박·참외 생수·탄산/생수 생수·탄산/탄산음료
  소스·양념/식용유·참기름 소스·양념/장류 수산/김·해조류 쌀·잡곡/쌀 쌀·잡곡/잡곡 주스·식물성음료/두유·식물성음료 주스·식물성음료/주스 차/녹차·티백 채소/버섯 채소/뿌리채소
  채소/양파·마늘·파 채소/열매채소 채소/잎채소·쌈채소 커피/원두·드립백
선물용: 선물세트/명절_선물세트
유아: 기저귀·물티슈/기저귀 유아용품/수유·식기
캠핑: 캠핑용품/랜턴·캠핑소품 캠핑용품/버너·연료
"""
DEFAULT_WHOLE_TAG_LEAVES = _parse_use_tag_leaves(_WHOLE_TAG_LEAVES)
# Short item nouns the catalog names products with ("비건 마요 300g") that the morpheme analyzer
# reads as something else ("마요" as 말다 + 요): kept as keywords where they stand as a word,
# unless the verb is meant ("하지 마요", "걱정 마요").
SHORT_ITEM_NOUNS = re.compile(r"(?<![가-힣])(?<!지 )(?<!걱정 )(마요)(?=\s|$|[,.!?~)]|(?:는|를|도|랑|만|로|가|만요|요)(?![가-힣]))")
# Tag synonyms whose words stay keywords too ("선물세트" -> tag 선물용 and keyword 선물세트).
KEEP_AS_KEYWORD = frozenset({"선물", "혼밥", "자취", "1인용", "1인분", "소포장"})

_KNOWN_BRANDS = (
    "풀무원", "CJ", "비비고", "오뚜기", "농심", "매일", "서울우유", "남양", "빙그레", "동원",
    "청정원", "해태", "롯데", "오리온", "크라운", "삼양", "팔도", "하림", "곰곰", "노브랜드",
    "피코크", "상하목장", "초록마을", "올가", "한살림", "동서", "맥심", "코카콜라", "제주삼다수",
)
# The store catalog's own brands (data/catalog/products.jsonl; "_" stands for a space), built in
# like its category tree so that the built-in lexicon reads "바이탈랩 비타민씨", "장보기 베이직 말고"
# as the app does (`Lexicon.from_products`); tests/test_nlu_brands.py keeps it equal to the catalog.
_CATALOG_BRANDS_TEXT = """
고소한날 곡물창고 과즙공장 그린워시 그린포레 금산홍원 김명가 깨끗한집 꼬마간식 남해수산 네츄럴펫 뉴트리온 다향 닥터뉴트리 닥터마일드 달콤상점 데일리드링크 데일리브루 데일리팜
데일리핏 도담정육 들녘미곡 땅과사람 라온뷰티 로스터리숲 만두공방 맑은샘 맑음 맘마밀 맘스케어 맛있는부엌 멍냥키친 모던리빙 모아전자 목장길 밀과결 바다마을 바른농부 바른목장
바삭공방 바이탈랩 반려공감 베베숲 보성다원 보송 볼트랩 빈스토리 빵굽는마을 살림공방 새벽농장 생활공감 셰프라인 소담키친 수분정원 순한세상 순한아기 숲속캠프 스마트하우스
쌀집총각 아가맘 아가포근 아웃도어랩 아이사랑 아이순 아침베이커리 어부의아침 얼음골키친 에이온 오늘의식탁 오늘커피 오븐하우스 오후세시 온담 웰니스팜 유니링크 자연방목농장
장보기_베이직 장보기_산지직송 장보기_수산 장보기_정육 정관홍삼 정담 참숯정육 청량샘 청정바다 초록다원 초록들판 초록아기 초원우유 카페온 캠프원 캠핑공작소 쿡앤웨어 클린랩
키즈밀 키즈케어 키친메이트 테크온 트레일맥스 티하우스담 파도소리 펫플러스 포근살림 푸른목장 피부공감 하늘농가 하얀들 한끼랩 한방명가 한우마을 해담 해피테일 햇살마루 햇살양계
홈쿡 홍삼정원 황금들판
"""
CATALOG_BRANDS: tuple[str, ...] = tuple(w.replace("_", " ") for w in _CATALOG_BRANDS_TEXT.split())
_DEFAULT_BRANDS = tuple(dict.fromkeys(_KNOWN_BRANDS + CATALOG_BRANDS))



@dataclass(frozen=True)
class Lexicon:
    """Catalog-derived vocabularies. `categories` pairs (leaf name, full "top/mid/leaf" path)."""

    brands: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = DIETARY_TAGS
    # use tag -> the "mid/leaf" category paths where some product carries it (empty: unknown)
    tag_leaves: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # catalog tag -> the "mid/leaf" paths where every product carries it (the kind says it)
    tag_whole_leaves: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_products(cls, products: Iterable, known_brands: Iterable[str] = _KNOWN_BRANDS) -> "Lexicon":
        """Build from anything with `brand`, `category` ("top/mid/leaf") and `tags`.

        `known_brands` (well-known Korean brands by default) are added so that "농심 말고"
        is understood even when the catalog does not sell that brand.

        >>> class P: brand, category, tags = "풀무원", "식품/두부/두부", ("비건",)
        >>> Lexicon.from_products([P()], known_brands=()).brands
        ('풀무원',)
        """
        brands: set[str] = set(known_brands)
        cats: dict[str, str] = {}
        tags: set[str] = set(DIETARY_TAGS)
        leaves: dict[str, set[str]] = {t: set() for t in USE_TAGS}
        per_leaf: dict[str, int] = {}                 # "mid/leaf" -> products
        tagged: dict[tuple[str, str], int] = {}        # (tag, "mid/leaf") -> products with it
        for p in products:
            if getattr(p, "brand", ""):
                brands.add(p.brand.strip())
            category = getattr(p, "category", "") or ""
            if category:
                cats.setdefault(category.rsplit("/", 1)[-1], category)
            product_tags = [t for t in (getattr(p, "tags", ()) or ()) if t]
            tags.update(product_tags)
            leaf = category.split("/", 1)[-1] if category else ""
            if leaf:
                per_leaf[leaf] = per_leaf.get(leaf, 0) + 1
            for t in set(product_tags):
                if leaf:
                    tagged[t, leaf] = tagged.get((t, leaf), 0) + 1
                if t in leaves and leaf:
                    leaves[t].add(leaf)
        whole: dict[str, list[str]] = {}
        for (t, leaf), n in sorted(tagged.items()):
            if n == per_leaf[leaf]:
                whole.setdefault(t, []).append(leaf)
        return cls(
            brands=tuple(sorted(b for b in brands if len(b) >= 2)),
            categories=tuple(sorted(cats.items())),
            tags=tuple(sorted(tags)),
            tag_leaves=tuple((t, tuple(sorted(v))) for t, v in sorted(leaves.items())),
            tag_whole_leaves=tuple((t, tuple(v)) for t, v in sorted(whole.items())),
        )

    @classmethod
    def default(cls) -> "Lexicon":
        """Built-in brands and the store catalog's category tree (no file read)."""
        from assistant.nlu.categories import DEFAULT_CATEGORY_PATHS

        cats = {c.rsplit("/", 1)[-1]: c for c in DEFAULT_CATEGORY_PATHS}
        return cls(brands=_DEFAULT_BRANDS, categories=tuple(sorted(cats.items())),
                   tags=DIETARY_TAGS, tag_leaves=DEFAULT_USE_TAG_LEAVES,
                   tag_whole_leaves=DEFAULT_WHOLE_TAG_LEAVES)

    def tag_fits(self, tag: str, categories: Iterable[str]) -> bool:
        """Whether use tag `tag` can be required of a search in `categories` (full leaf paths
        or segment names, as `resolve_categories` gives them): no category named, or some
        product of one of them carries the tag. Without coverage facts, it fits.

        >>> lex = Lexicon.default()
        >>> lex.tag_fits("반려견", ["반려동물/강아지/강아지간식"]), lex.tag_fits("유아", ["유아동/이유식·아기간식/이유식"])
        (True, False)
        >>> lex.tag_fits("캠핑", ["캠핑·레저"]), lex.tag_fits("캠핑", [])
        (True, True)
        """
        cats = [c for c in categories if c]
        known = dict(self.tag_leaves)
        if tag not in USE_TAGS or not cats or not known:
            return True
        covered = known.get(tag, ())
        for c in cats:   # a segment name stands for every leaf path under it
            paths = [c] if "/" in c else [p for _, p in self.categories if c in p.split("/")] or [c]
            if any(p == leaf or p.endswith("/" + leaf) or leaf.startswith(p + "/") for p in paths for leaf in covered):
                return True
        return False

    def implied_tags(self, categories: Iterable[str]) -> tuple[str, ...]:
        """The catalog tags every product of `categories` carries (full paths or segment names,
        as `resolve_categories` gives them): the kind of product already says who or what it is
        for ("강아지 사료" is for a dog, every 프로틴 is 고단백), so the tag adds nothing to the
        category. Empty when no category is named or coverage is unknown.

        >>> lex = Lexicon.default()
        >>> lex.implied_tags(["반려동물/강아지/강아지사료"]), lex.implied_tags(["생활용품/기저귀·물티슈/물티슈"])
        (('반려견',), ())
        >>> lex.implied_tags(["반려동물/강아지/강아지사료", "반려동물/고양이/고양이모래"]), lex.implied_tags([])
        ((), ())
        """
        paths = []
        for c in (c for c in categories if c):   # a segment name stands for every leaf under it
            paths += [c] if c.count("/") == 2 else [p for _, p in self.categories
                                                     if p.startswith(c + "/") or c in p.split("/")]
        if not paths:
            return ()
        return tuple(t for t, leaves in self.tag_whole_leaves
                     if all(any(p == leaf or p.endswith("/" + leaf) for leaf in leaves) for p in paths))

    def category_paths(self) -> tuple[str, ...]:
        """Every full "top/mid/leaf" path."""
        return tuple(path for _, path in self.categories)

    def category_path(self, leaf: str) -> str | None:
        for name, path in self.categories:
            if name == leaf:
                return path
        return None

    def item_words(self) -> tuple[str, ...]:
        """The kinds of product the catalog's leaf names hold, each part of a "·" name on its
        own ("시리얼·그래놀라" -> 시리얼, 그래놀라), 2+ characters.

        >>> "그래놀라" in Lexicon.default().item_words(), "고양이모래" in Lexicon.default().item_words()
        (True, True)
        """
        return _item_words(self)

    def user_words(self) -> tuple[str, ...]:
        """Words the morpheme analyzer should keep whole: leaf category names (brands and
        tags are masked out before the analyzer runs, so they need no entry)."""
        return _user_words(self)


@functools.lru_cache(maxsize=8)
def _item_words(lexicon: Lexicon) -> tuple[str, ...]:
    words = {part.strip() for name, _ in lexicon.categories for part in name.split("·")}
    return tuple(sorted(w for w in words if len(w) >= 2))


@functools.lru_cache(maxsize=8)
def _user_words(lexicon: Lexicon) -> tuple[str, ...]:
    words = {name for name, _ in lexicon.categories if " " not in name}
    return tuple(sorted(w for w in words if len(w) >= 2))
