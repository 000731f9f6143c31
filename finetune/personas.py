"""Korean shopper personas that ask the synthetic questions (after seed 004's role play).

Each persona has a background, the concerns that shape what it asks for (dietary tags,
allergens, budget), and a question style that `templates.paraphrase` turns into surface
variety: polite (존댓말), casual (반말/구어체), abbreviations (줄임말, ㅊㅊ), typos, and
numbers written many ways. What it leaves out: free-form LLM role play, which
`finetune.data` does only when an OpenAI-compatible endpoint is configured.

Example:
    >>> [p.name for p in PERSONAS][:2]
    ['김민지', '박정호']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    background: str
    concerns: tuple[str, ...]          # words that bias which products/tags it asks about
    avoid_allergens: tuple[str, ...]   # allergens it mentions when asking
    budget: int                        # typical budget in KRW
    style: str                         # polite | casual | slang | typo | terse
    formal: bool                       # 존댓말 (True) or 반말 (False)

    def describe(self) -> str:
        """One line for an LLM question generator's system prompt."""
        return (f"{self.name}: {self.background}. 관심사: {', '.join(self.concerns)}. "
                f"말투: {STYLE_NAMES[self.style]}")


STYLE_NAMES = {
    "polite": "정중한 존댓말",
    "casual": "편한 구어체",
    "slang": "줄임말과 초성을 많이 씀",
    "typo": "급하게 써서 오타와 띄어쓰기 실수가 잦음",
    "terse": "아주 짧게 키워드만",
}

PERSONAS: tuple[Persona, ...] = (
    Persona("mom", "김민지", "초등학생 두 아이를 키우는 맞벌이 엄마", ("간식", "유기농", "저당"),
            ("땅콩",), 20000, "polite", True),
    Persona("single", "박정호", "혼자 사는 20대 직장인, 퇴근 후 간편식", ("간편식", "냉동", "즉석"),
            (), 10000, "slang", False),
    Persona("vegan", "이서연", "3년째 비건을 실천하는 대학원생", ("비건", "두유", "채소"),
            ("우유", "계란"), 15000, "casual", False),
    Persona("senior", "최영자", "70대 어르신, 온라인 장보기가 서툴다", ("저염", "국산", "두부"),
            (), 30000, "polite", True),
    Persona("athlete", "정우진", "헬스와 식단을 관리하는 30대 트레이너", ("고단백", "닭가슴살", "저지방"),
            (), 50000, "terse", False),
    Persona("allergy", "한지수", "아이가 견과류·갑각류 알레르기가 있는 부모", ("간식", "아이"),
            ("땅콩", "호두", "새우"), 25000, "polite", True),
    Persona("student", "오민준", "자취하는 대학생, 최저가가 최우선", ("라면", "할인", "대용량"),
            (), 8000, "typo", False),
    Persona("host", "윤하늘", "주말마다 손님을 초대하는 40대 요리 애호가", ("과일", "정육", "와인"),
            (), 80000, "casual", True),
    Persona("diabetic", "강동훈", "당뇨 관리 중인 50대 회사원", ("저당", "무가당", "통곡물"),
            (), 30000, "polite", True),
    Persona("newlywed", "서유나", "신혼부부, 새벽배송을 자주 쓴다", ("새벽배송", "밀키트", "신선"),
            ("복숭아",), 40000, "slang", False),
)


def persona_by_key(key: str) -> Persona:
    for p in PERSONAS:
        if p.key == key:
            return p
    raise KeyError(key)
