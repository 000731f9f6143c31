"""Persona rules of the order generator and the query relevance rules, on hand-made rows."""

from __future__ import annotations

from store.datagen.customers import PERSONAS, Persona, generate_customers
from store.datagen.orders import allowed
from store.datagen.queries import constraints_of, matches, parse_spec


def product(**kw) -> dict:
    base = {"id": "P0001", "name": "바삭공방 감자칩 60g", "brand": "바삭공방", "category": "간식·과자/과자/스낵",
            "price": 1680, "sale_price": None, "allergens": [], "tags": [], "delivery": "일반", "stock": 5,
            "rating": 4.5, "review_count": 3}
    return base | kw


VEGAN = Persona("비건", "20대", "서울 마포구", 1, "비건", {}, dietary=("비건",), allergies=("땅콩",))
PLAIN = Persona("보통", "40대", "서울 중구", 3, "보통", {})


def test_vegan_and_allergy_rules():
    assert allowed(product(), VEGAN)
    assert not allowed(product(allergens=["우유"]), VEGAN)
    assert not allowed(product(allergens=["땅콩"]), VEGAN)
    assert not allowed(product(category="신선식품/정육·계란/소고기"), VEGAN)
    assert not allowed(product(category="신선식품/수산/생선"), VEGAN)
    assert allowed(product(category="신선식품/수산/김·해조류"), VEGAN)


def test_diet_pet_and_kid_rules():
    halal = Persona("h", "20대", "서울 중구", 1, "h", {}, dietary=("할랄",))
    assert not allowed(product(allergens=["돼지고기"]), halal)
    lactose = Persona("l", "30대", "서울 중구", 1, "l", {}, dietary=("락토프리",))
    assert not allowed(product(allergens=["우유"]), lactose)
    assert allowed(product(allergens=["우유"], tags=["락토프리"]), lactose)
    assert not allowed(product(category="반려동물/고양이/고양이모래"), PLAIN)
    assert allowed(product(category="반려동물/고양이/고양이모래"),
                   Persona("c", "20대", "서울 중구", 1, "c", {}, pets=("고양이",)))
    assert not allowed(product(category="유아동/기저귀·물티슈/기저귀"), PLAIN)


def test_customers_are_distinct_and_shaped_for_profiles():
    rows = generate_customers()
    assert len(rows) == len(PERSONAS) >= 30
    assert len({r["id"] for r in rows}) == len(rows) and len({r["pin"] for r in rows}) == len(rows)
    for r in rows:
        assert r["price_sensitivity"] in ("low", "medium", "high")
        assert all(-1 <= w <= 1 for w in r["preferred_categories"].values())


def test_query_spec_constraints_and_matching():
    variants, fields = parse_spec("비건 과자 만원 이하 / 비건과자 || cat=간식·과자; tags=비건; max=10000; ex=땅콩")
    assert variants == ["비건 과자 만원 이하", "비건과자"]
    cons = constraints_of(fields)
    assert cons == {"max_price": 10000, "excluded_allergens": ["땅콩"], "required_tags": ["비건"],
                    "category": "간식·과자"}
    assert matches(product(tags=["비건"]), fields, cons)
    assert not matches(product(tags=["비건"], price=12000), fields, cons)
    assert matches(product(tags=["비건"], price=12000, sale_price=9900), fields, cons)
    assert not matches(product(tags=["비건"], allergens=["땅콩"]), fields, cons)
    assert not matches(product(), fields, cons)
    _, kw = parse_spec("감자칩 || kw=감자칩,포테이토")
    assert matches(product(), kw, {}) and not matches(product(name="새우 스낵 90g"), kw, {})
