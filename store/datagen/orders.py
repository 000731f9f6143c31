"""Order histories for the demo customers: 2026-05-01 .. 2026-11-20 (more than 6 months),
drawn from the catalog with persona-driven weights and hard rules that a persona never
breaks (allergies, vegan, halal, lactose-free, gluten-free, no pet food without a pet).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from store._rules import ANIMAL_ALLERGENS, is_not_vegan_category
from store.datagen.customers import Persona, customer_rows

START = datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=9)))
END = datetime(2026, 11, 20, 23, 0, tzinfo=timezone(timedelta(hours=9)))
BASE_WEIGHT = {"신선식품": 0.5, "가공식품": 0.4, "유제품": 0.3, "음료·커피·차": 0.3, "간식·과자": 0.2,
               "냉동식품": 0.25, "생활용품": 0.15, "세제·위생": 0.15, "뷰티·퍼스널케어": 0.1}
STATUS = (("배송완료", 0.92), ("주문취소", 0.05), ("반품완료", 0.03))
# Baskets are not independent draws. Shoppers rebuy staples: each persona keeps STAPLES
# products (drawn once by its weights) and takes an item from them with probability STAPLE_P.
# And what goes with what (leaf -> leaves bought with it): after each item, one complement is
# added with probability COMPLEMENT_P, usually the persona's usual product in that leaf
# (FAVOURITE_P), else one drawn by persona weight times popularity.
STAPLES = 12
STAPLE_P = 0.5
COMPLEMENT_P = 0.55
FAVOURITE_P = 0.8
COMPLEMENTS = {
    "돼지고기": ("잎채소·쌈채소", "장류", "양파·마늘·파"), "소고기": ("잎채소·쌈채소", "양파·마늘·파", "버섯"),
    "닭·오리": ("양파·마늘·파", "소스·드레싱"), "계란": ("우유", "식빵·베이커리"), "라면": ("김치", "계란"),
    "국수·파스타": ("소스·드레싱", "치즈"), "식빵·베이커리": ("우유", "버터·크림", "계란"),
    "시리얼·그래놀라": ("우유", "요거트"), "스낵": ("탄산음료",), "쿠키·비스킷": ("우유",),
    "원두·드립백": ("우유",), "즉석밥": ("즉석국·찌개", "김·해조류", "김치"), "즉석국·찌개": ("즉석밥",),
    "통조림": ("즉석밥",), "두부": ("장류", "양파·마늘·파"), "김치": ("두부", "돼지고기"),
    "생선": ("양파·마늘·파",), "만두": ("장류",), "볶음밥·피자": ("탄산음료",), "너겟·돈까스": ("소스·드레싱",),
    "아이스크림": ("스낵",), "강아지사료": ("강아지간식", "배변용품"), "고양이사료·간식": ("고양이모래",),
    "기저귀": ("물티슈",), "이유식": ("아기간식",), "세탁세제": ("섬유유연제",), "주방세제": ("청소용품",),
    "샴푸·린스": ("바디워시·로션",), "스킨·로션": ("선케어",), "버너·연료": ("랜턴·캠핑소품", "햄·소시지"),
    "랜턴·캠핑소품": ("버너·연료",), "프로틴": ("닭가슴살",), "잎채소·쌈채소": ("소스·드레싱",),
    "쌀": ("잡곡",), "딸기·베리": ("요거트",), "케이크·디저트": ("파티·일회용품",), "수박·참외": ("아이스크림",),
    "양념·젓갈": ("잎채소·쌈채소", "뿌리채소"), "햄·소시지": ("즉석밥",), "우유": ("시리얼·그래놀라",),
}


def allowed(p: dict, persona: Persona) -> bool:
    """Hard rules: products this persona would never buy."""
    allergens, tags, cat = set(p["allergens"]), set(p["tags"]), p["category"]
    if allergens & set(persona.allergies) or p["brand"] in persona.disliked:
        return False
    diet = set(persona.dietary)
    if "비건" in diet and (allergens & ANIMAL_ALLERGENS or is_not_vegan_category(cat)):
        return False
    if "락토프리" in diet and "우유" in allergens and "락토프리" not in tags:
        return False
    if "글루텐프리" in diet and "밀" in allergens:
        return False
    if "할랄" in diet and ("돼지고기" in allergens or cat.startswith("신선식품/정육·계란/돼지고기")):
        return False
    if "저당" in diet and cat.startswith(("간식·과자/초콜릿·캔디", "냉동식품/아이스크림")) and "저당" not in tags:
        return False
    if cat.startswith("반려동물/강아지") and "강아지" not in persona.pets:
        return False
    if cat.startswith("반려동물/고양이") and "고양이" not in persona.pets:
        return False
    return persona.kids or not cat.startswith("유아동")


def weight(p: dict, persona: Persona) -> float:
    w = BASE_WEIGHT.get(p["category"].split("/")[0], 0.03)
    w += 3 * max((v for k, v in persona.categories.items() if p["category"].startswith(k)), default=0.0)
    if set(persona.dietary) & set(p["tags"]):
        w *= 2.5
    w *= 1 + 2 * persona.brands.get(p["brand"], 0.0)
    if persona.sensitivity == "high":
        price = p["sale_price"] or p["price"]
        w *= (1.6 if p["sale_price"] else 1.0) * (1 / (1 + price / 40_000)) * (1.5 if "대용량" in p["tags"] else 1)
    elif persona.sensitivity == "low":
        w *= 1.3 if p["price"] > 15_000 else 1.0
    if persona.household_size == 1 and "1인가구" in p["tags"]:
        w *= 2
    return w


def generate_orders(customers: list[dict], products: list[dict], seed: int) -> list[dict]:
    """All orders of all customers, sorted by time; ids like O20260503-0001."""
    del customers  # rows carry no extra hints; the personas do
    rng = random.Random(seed * 1009 + 17)
    span = (END - START).total_seconds()
    drafts = []
    for row, persona in customer_rows():
        pool = [p for p in products if allowed(p, persona)]
        weights = [weight(p, persona) for p in pool]
        by_leaf: dict[str, tuple[list[dict], list[float]]] = {}
        for p, w in zip(pool, weights):
            ps, ws = by_leaf.setdefault(p["category"].rsplit("/", 1)[1], ([], []))
            ps.append(p)
            ws.append(w * (1 + p["review_count"] / 50))
        staples = list(dict.fromkeys(p["id"] for p in rng.choices(pool, weights, k=STAPLES)))
        staples = [p for p in pool if p["id"] in staples]
        favourite = {leaf: rng.choices(ps, ws)[0] for leaf, (ps, ws) in sorted(by_leaf.items())}
        n_orders = max(7, round(persona.orders_per_month * 6.7 * rng.uniform(0.85, 1.15)))
        per_order = persona.budget / persona.orders_per_month
        # One order in every month of the window, the rest anywhere in it.
        monthly = [START.replace(month=m) + timedelta(days=rng.uniform(0, 19 if m == END.month else 27))
                   for m in range(START.month, END.month + 1)]
        times = sorted(monthly + [START + timedelta(seconds=rng.uniform(0, span))
                                  for _ in range(n_orders - len(monthly))])
        for when in times:
            when = when.replace(hour=rng.choice([7, 9, 12, 13, 19, 20, 21, 22, 22, 23]), minute=rng.randrange(60),
                                second=0, microsecond=0)
            items: dict[str, dict] = {}
            drawn = []
            for p in rng.choices(pool, weights, k=rng.randint(2, 4 + min(persona.household_size, 5))):
                if rng.random() < STAPLE_P:
                    p = rng.choice(staples)
                drawn.append(p)
                leaves = [lf for lf in COMPLEMENTS.get(p["category"].rsplit("/", 1)[1], ()) if lf in by_leaf]
                if leaves and rng.random() < COMPLEMENT_P:
                    leaf = rng.choice(leaves)
                    drawn.append(favourite[leaf] if rng.random() < FAVOURITE_P else rng.choices(*by_leaf[leaf])[0])
            for p in drawn:
                unit_price = p["sale_price"] if p["sale_price"] and rng.random() < 0.7 else p["price"]
                qty = 1 if rng.random() < 0.75 else rng.randint(2, 3)
                if p["id"] not in items and sum(i["qty"] * i["unit_price"] for i in items.values()) + \
                        qty * unit_price <= per_order * 1.6:
                    items[p["id"]] = {"product_id": p["id"], "qty": qty, "unit_price": unit_price}
            if not items:
                cheapest = min(pool, key=lambda p: p["price"])
                items[cheapest["id"]] = {"product_id": cheapest["id"], "qty": 1, "unit_price": cheapest["price"]}
            status = rng.choices([s for s, _ in STATUS], [w for _, w in STATUS])[0]
            drafts.append((when, row["id"], list(items.values()), status))
    drafts.sort(key=lambda d: (d[0], d[1]))
    orders = []
    for n, (when, cid, items, status) in enumerate(drafts, 1):
        orders.append({"order_id": f"O{when:%Y%m%d}-{n:04d}", "customer_id": cid, "created_at": when.isoformat(),
                       "items": items, "total": sum(i["qty"] * i["unit_price"] for i in items), "status": status})
    return orders
