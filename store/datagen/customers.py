"""Demo customers: hand-written personas with the profile fields the profiles package loads.

`kids`, `orders_per_month` and `staples` are generator-only hints (not written out): they
steer the order history so that it reads like the persona (a cat owner buys litter).
Category keys are catalog path prefixes ("반려동물/고양이"), the profiles package's form.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Persona:
    name: str
    age_band: str
    region: str
    household_size: int
    persona: str
    categories: dict[str, float]
    dietary: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    pets: tuple[str, ...] = ()
    brands: dict[str, float] = field(default_factory=dict)
    disliked: tuple[str, ...] = ()
    sensitivity: str = "medium"
    budget: int = 400_000
    kids: bool = False
    orders_per_month: float = 3.0
    consent: tuple[bool, bool, bool] = (True, True, True)  # personalization, history, marketing


P = Persona
PERSONAS = [
    P("김하늘", "20대", "서울 관악구", 1, "자취생: 라면과 즉석밥, 1인용 소포장을 주로 사는 대학생",
      {"가공식품/라면·면": 0.8, "가공식품/즉석식품": 0.7, "간식·과자": 0.4}, brands={"장보기 베이직": 0.5},
      sensitivity="high", budget=200_000, orders_per_month=3),
    P("박지영", "30대", "경기 성남시 분당구", 4, "워킹맘: 새벽배송으로 아이 반찬과 간편식을 챙기는 맞벌이 엄마",
      {"냉동식품": 0.7, "신선식품/정육·계란": 0.6, "유아동/이유식·아기간식": 0.5, "유제품": 0.5},
      brands={"얼음골키친": 0.4}, budget=900_000, kids=True, orders_per_month=6),
    P("이수민", "20대", "서울 마포구", 1, "비건: 동물성 원료를 먹지 않고 두부와 채소, 두유를 즐겨 사는 직장인",
      {"신선식품/채소": 0.8, "가공식품/두부·김치": 0.7, "음료·커피·차/주스·식물성음료": 0.6},
      dietary=("비건",), budget=400_000, orders_per_month=4),
    P("최동현", "30대", "서울 송파구", 2, "반려견 보호자: 소형견 두 마리와 사는 사료와 간식 단골",
      {"반려동물/강아지": 0.9, "신선식품/과일": 0.3}, pets=("강아지", "강아지"), brands={"멍냥키친": 0.5},
      disliked=("해피테일",), budget=500_000, orders_per_month=3),
    P("정순자", "70대", "부산 해운대구", 2, "시니어: 싱겁게 먹고 쌀과 생선, 홍삼을 꾸준히 사는 노부부",
      {"신선식품/쌀·잡곡": 0.7, "신선식품/수산": 0.6, "건강식품/홍삼·전통건강": 0.6}, dietary=("저염",),
      budget=500_000, orders_per_month=2, consent=(True, True, False)),
    P("한미경", "40대", "경기 고양시 일산동구", 4, "알레르기 자녀 부모: 땅콩과 호두 알레르기가 있는 초등학생 자녀의 간식을 고르는 엄마",
      {"간식·과자": 0.7, "유제품": 0.5, "신선식품/과일": 0.5}, allergies=("땅콩", "호두"), budget=700_000,
      kids=True, orders_per_month=4),
    P("강태윤", "30대", "인천 연수구", 3, "캠핑족: 주말마다 캠핑을 떠나 고기와 버너 연료를 챙기는 아빠",
      {"캠핑·레저": 0.9, "신선식품/정육·계란": 0.7, "가공식품/라면·면": 0.4}, brands={"캠프원": 0.5},
      budget=600_000, kids=True, orders_per_month=3),
    P("윤서아", "20대", "서울 강남구", 1, "다이어터: 닭가슴살과 샐러드, 저당 간식으로 체중을 관리하는 직장인",
      {"건강식품/단백질·다이어트": 0.9, "신선식품/채소/잎채소·쌈채소": 0.7, "음료·커피·차/생수·탄산": 0.4},
      dietary=("저당", "고단백"), budget=400_000, orders_per_month=4),
    P("장민호", "30대", "서울 성동구", 2, "신혼부부: 살림살이를 채우며 주방용품과 소형가전을 장만하는 중",
      {"주방용품": 0.7, "소형가전·디지털": 0.6, "신선식품": 0.5}, sensitivity="low", budget=800_000,
      orders_per_month=3),
    P("임채원", "20대", "서울 동작구", 1, "고양이 집사: 고양이 한 마리와 사는 1인 가구로 모래와 습식 캔을 정기적으로 산다",
      {"반려동물/고양이": 0.9, "간식·과자": 0.3}, pets=("고양이",), brands={"펫플러스": 0.4},
      sensitivity="high", budget=300_000, orders_per_month=3),
    P("조현우", "30대", "경기 수원시 영통구", 1, "유당불내증 직장인: 우유 대신 락토프리와 식물성 음료를 고르는 1인 가구",
      {"음료·커피·차": 0.6, "유제품": 0.4, "가공식품/즉석식품": 0.5}, dietary=("락토프리",), budget=300_000,
      orders_per_month=3),
    P("박소연", "40대", "서울 서초구", 2, "글루텐프리: 셀리악병으로 밀이 든 음식을 피하는 주부",
      {"신선식품": 0.7, "가공식품/베이커리·시리얼": 0.4, "간식·과자": 0.3}, dietary=("글루텐프리",),
      allergies=("밀",), sensitivity="low", budget=700_000, orders_per_month=4),
    P("아이샤 칸", "20대", "서울 동대문구", 1, "무슬림 유학생: 돼지고기를 먹지 않고 할랄 식단을 지키는 대학원생",
      {"신선식품/채소": 0.6, "신선식품/정육·계란/닭·오리": 0.6, "가공식품/라면·면/국수·파스타": 0.5},
      dietary=("할랄",), sensitivity="high", budget=250_000, orders_per_month=3, consent=(True, False, False)),
    P("송경희", "50대", "대구 수성구", 6, "대가족 살림꾼: 여섯 식구의 쌀과 김치, 세제를 대용량으로 사는 주부",
      {"신선식품/쌀·잡곡": 0.7, "가공식품/두부·김치": 0.6, "세제·위생": 0.6, "생활용품": 0.5},
      budget=1_200_000, orders_per_month=5),
    P("김영철", "60대", "대전 서구", 1, "혼자 사는 시니어: 데워 먹는 국과 즉석밥을 주로 사는 은퇴한 아버님",
      {"가공식품/즉석식품": 0.8, "신선식품/과일": 0.4}, sensitivity="high", budget=300_000, orders_per_month=2,
      consent=(True, True, False)),
    P("배준호", "30대", "서울 강서구", 1, "헬스 트레이너: 단백질과 계란, 닭가슴살을 대량으로 사는 운동인",
      {"건강식품/단백질·다이어트": 0.9, "신선식품/정육·계란": 0.7}, dietary=("고단백",), brands={"데일리핏": 0.5},
      budget=500_000, orders_per_month=4),
    P("문지은", "30대", "서울 영등포구", 2, "갑각류 알레르기 직장인: 새우와 게 알레르기로 성분표를 꼭 확인하는 맞벌이",
      {"신선식품": 0.6, "냉동식품": 0.5, "가공식품": 0.4}, allergies=("새우", "게"), budget=500_000,
      orders_per_month=4),
    P("서지훈", "30대", "경기 용인시 수지구", 2, "커피 애호가 재택근무자: 원두와 드립백, 베이커리를 즐기는 개발자",
      {"음료·커피·차/커피": 0.9, "가공식품/베이커리·시리얼": 0.6, "소형가전·디지털": 0.3},
      brands={"로스터리숲": 0.6}, sensitivity="low", budget=500_000, orders_per_month=3),
    P("홍유진", "30대", "경기 화성시", 3, "신생아 부모: 기저귀와 물티슈, 젖병 세정제를 자주 사는 초보 엄마",
      {"유아동/기저귀·물티슈": 0.9, "유아동/유아용품": 0.7, "유제품": 0.3}, brands={"아가포근": 0.5},
      budget=700_000, kids=True, orders_per_month=5),
    P("이도윤", "20대", "대전 유성구", 1, "기숙사 대학생: 과자와 음료, 컵라면을 싸게 사는 용돈 생활자",
      {"간식·과자": 0.8, "음료·커피·차/생수·탄산": 0.6, "가공식품/라면·면": 0.6}, sensitivity="high",
      budget=150_000, orders_per_month=2),
    P("황보영", "60대", "광주 북구", 2, "당뇨 관리 시니어: 당을 줄인 음식과 무가당 음료를 고르는 어르신",
      {"신선식품/채소": 0.6, "신선식품/쌀·잡곡": 0.6, "음료·커피·차/차": 0.5}, dietary=("저당",),
      budget=400_000, orders_per_month=3),
    P("남궁민", "40대", "서울 노원구", 3, "다묘·반려견 가정: 고양이와 강아지를 함께 키우는 세 식구",
      {"반려동물": 0.9, "신선식품": 0.4}, pets=("고양이", "강아지"), budget=600_000, kids=True,
      orders_per_month=4),
    P("김보람", "30대", "부산 수영구", 2, "홈베이킹 취미: 버터와 생크림, 계란을 자주 사는 주말 베이커",
      {"유제품/치즈·버터": 0.8, "신선식품/정육·계란/계란": 0.6, "주방용품": 0.5}, budget=450_000,
      orders_per_month=3),
    P("정하은", "40대", "서울 용산구", 1, "미식가 싱글: 치즈와 제철 과일, 견과를 즐기는 전문직",
      {"유제품/치즈·버터": 0.6, "신선식품/과일": 0.7, "간식·과자/견과·건과": 0.6}, sensitivity="low",
      budget=800_000, orders_per_month=3),
    P("최준영", "40대", "경기 남양주시", 5, "달걀 알레르기 자녀 아빠: 세 아이 간식과 유제품을 챙기며 달걀이 든 식품을 피한다",
      {"간식·과자": 0.7, "유제품": 0.6, "냉동식품": 0.5}, allergies=("알류",), budget=900_000, kids=True,
      orders_per_month=5),
    P("오하은", "20대", "서울 종로구", 1, "제로웨이스트 지향: 리필 세제와 친환경 생활용품을 고르는 대학원생",
      {"세제·위생": 0.7, "생활용품": 0.6, "신선식품/채소": 0.5}, brands={"그린워시": 0.6}, budget=250_000,
      orders_per_month=2, consent=(False, False, False)),
    P("유민재", "30대", "인천 남동구", 1, "야간 근무 간호사: 퇴근 후 새벽배송으로 냉동식품과 간편식을 받는다",
      {"냉동식품": 0.8, "가공식품/즉석식품": 0.6, "음료·커피·차": 0.4}, budget=400_000, orders_per_month=4),
    P("고은비", "30대", "경기 김포시", 2, "반려견과 캠핑하는 부부: 캠핑 장비와 강아지 간식을 함께 산다",
      {"캠핑·레저": 0.7, "반려동물/강아지": 0.7, "신선식품/정육·계란": 0.4}, pets=("강아지",),
      budget=600_000, orders_per_month=3),
    P("안성민", "30대", "서울 광진구", 1, "가성비 자취 직장인: 할인 상품과 대용량을 골라 쟁여 두는 편",
      {"가공식품": 0.6, "생활용품": 0.5, "음료·커피·차/생수·탄산": 0.5}, brands={"장보기 베이직": 0.6},
      sensitivity="high", budget=300_000, orders_per_month=3),
    P("백승호", "40대", "서울 강동구", 3, "요리 유튜버: 제철 식재료와 소스, 조리도구를 다양하게 사는 요리사",
      {"신선식품": 0.9, "가공식품/소스·양념": 0.7, "주방용품/조리도구": 0.5}, sensitivity="low",
      budget=1_500_000, orders_per_month=6),
    P("한예린", "30대", "경기 안양시 동안구", 2, "임산부: 출산을 앞두고 영양제와 과일, 아기 용품을 준비하는 예비 엄마",
      {"건강식품/비타민·영양제": 0.7, "신선식품/과일": 0.6, "유아동/유아용품": 0.5}, budget=600_000,
      kids=True, orders_per_month=3),
    P("이정숙", "50대", "경기 의정부시", 5, "3대가 함께 사는 며느리: 부모님 반찬거리와 생선, 두부를 자주 산다",
      {"신선식품/수산": 0.6, "가공식품/두부·김치": 0.6, "신선식품/쌀·잡곡": 0.5}, budget=1_000_000,
      kids=True, orders_per_month=5),
    P("신예준", "20대", "서울 성북구", 1, "땅콩 알레르기 비건: 채식을 하면서 땅콩도 피해야 하는 대학생",
      {"신선식품/과일": 0.6, "간식·과자": 0.5, "음료·커피·차/주스·식물성음료": 0.6}, dietary=("비건",),
      allergies=("땅콩",), sensitivity="high", budget=250_000, orders_per_month=3),
    P("도경수", "60대", "경남 창원시", 2, "조개류 알레르기 시니어: 굴과 조개를 피하고 생선과 채소로 식단을 꾸리는 부부",
      {"신선식품/수산/생선": 0.7, "신선식품/채소": 0.6, "건강식품": 0.4}, allergies=("조개류",), budget=500_000,
      orders_per_month=3),
]


def customer_rows() -> list[tuple[dict, Persona]]:
    """(customers.jsonl row, persona) pairs, ids C001.. in table order."""
    out = []
    for i, p in enumerate(PERSONAS, 1):
        row = {
            "id": f"C{i:03d}", "name": p.name, "age_band": p.age_band, "region": p.region,
            "household_size": p.household_size, "pets": list(p.pets), "persona": p.persona,
            "dietary": list(p.dietary), "allergies": list(p.allergies),
            "preferred_categories": dict(p.categories), "preferred_brands": dict(p.brands),
            "disliked_brands": list(p.disliked), "price_sensitivity": p.sensitivity, "monthly_budget": p.budget,
            "pin": f"{(i * 7919 + 1234) % 10000:04d}",
            "consent": dict(zip(("personalization", "history", "marketing"), p.consent)),
        }
        out.append((row, p))
    return out


def generate_customers() -> list[dict]:
    return [row for row, _ in customer_rows()]
