"""Draw catalog rows from the curated leaf tables with a seeded `random.Random`.

Each leaf yields `leaf.count` products, cycling over its items so every hand-written item
appears; brand, modifier and size vary per product; prices follow the table price times
brand and modifier factors, rounded the way Korean marts price (4,980 / 12,900).
"""

from __future__ import annotations

import random
import re

from store._rules import is_food_category
from store.datagen import text
from store.datagen.brands import BRANDS, BRANDS_BY_SLUG, MODS, NO_MODS_SLUGS, ORIGIN_OVERRIDES
from store.datagen.spec import Item, Leaf, Mod
from store.datagen.tables_drinks import DRINKS
from store.datagen.tables_extra import EXTRA, RECATEGORIZE
from store.datagen.tables_fresh import FRESH
from store.datagen.tables_grocery import GROCERY
from store.datagen.tables_living import LIVING

# Drawing order: the first tables, then the later additions (single units, occasion goods), so
# adding to EXTRA never moves an earlier row. LEAVES has one entry per leaf category.
DRAWS: list[Leaf] = FRESH + GROCERY + DRINKS + LIVING + EXTRA
LEAVES: list[Leaf] = []
for _leaf in DRAWS:
    if all(_leaf.category != seen.category for seen in LEAVES):
        LEAVES.append(_leaf)
_DOMESTIC = re.compile(r"^(국내산|경기|강원|충북|충남|전북|전남|경북|경남|제주)")
GROUP = {"produce": "fresh", "grain": "fresh", "seaweed": "sea", "meat": "animal", "egg": "animal",
         "seafood": "animal", "living": "goods", "detergent": "goods", "beauty": "goods", "kitchen": "goods",
         "digital": "goods", "pet": "pet", "baby": "goods", "camping": "goods"}
_SINGLE = re.compile(r"(^|\s)1(개|대|세트)$")


def _place(origin: str) -> str:
    """Where-form of an origin: "국내산 통영" -> "통영", "베트남산" -> "베트남", "국내산" -> "국내"."""
    place = origin.replace("국내산 ", "").strip()
    return place[:-1] if place.endswith("산") and " " not in place else place


def image_path(leaf: Leaf) -> str:
    return f"assets/products/{leaf.slug}.png"


def nice_price(value: float, rng: random.Random) -> int:
    """Round to a mart-style price: 4,480 / 4,980 below 10,000 won, 12,900 above."""
    if value < 10_000:
        base = max(1, round(value / 500)) * 500
        return base - 20 if rng.random() < 0.6 and base >= 1_000 else base
    if value < 100_000:
        base = round(value / 1_000) * 1_000
        return base - 100 if rng.random() < 0.7 else base
    return round(value / 1_000) * 1_000


def _short_region(origin: str) -> str | None:
    parts = origin.replace("국내산", "").split()
    return parts[-1] if parts and _DOMESTIC.match(origin) and parts[-1] not in ("한우",) else None


def _origin(leaf: Leaf, item: Item, rng: random.Random) -> str:
    pool = ORIGIN_OVERRIDES.get(item.base)
    return rng.choice(pool.split(",") if pool else leaf.origins)


def _delivery(leaf: Leaf, rng: random.Random) -> str:
    if leaf.storage in ("냉장", "냉동"):
        return "새벽" if rng.random() < 0.75 else "당일"
    if is_food_category(leaf.category):
        return rng.choices(["새벽", "당일", "일반"], [0.2, 0.4, 0.4])[0]
    return "일반" if rng.random() < 0.6 else "당일"


def describe(group: str, kind: str, core: str, brand: str, origin: str, unit: str, item: Item, tags: list[str],
             allergens: list[str], storage: str, delivery: str, rng: random.Random) -> str:
    """2-4 sentences: intro, the item's hand-written note, then tag/detail/storage/allergen lines."""
    place = _place(origin)
    shown = origin.replace("국내산 ", "") if origin.startswith("국내산 ") else origin
    if shown in core:  # "통영 생굴" already names its origin
        shown = place = ""
    slots = {"core": core, "brand": brand, "origin": shown, "unit": unit, "place": place}
    intros = [t for t in text.INTROS[group] if not (place == "" and "{place}" in t)
              and not (_SINGLE.match(unit) and "구성으로" in t)]
    intro = " ".join(text.fill(rng.choice(intros), **slots).split())
    extras: list[str] = []
    for tag in rng.sample(tags, len(tags)):
        if tag in text.TAG_SENTENCES:
            extras.append(rng.choice(text.TAG_SENTENCES[tag]))
    extras.append(rng.choice(text.DETAILS_BY_KIND.get(kind, text.DETAILS[group])))
    if group not in ("goods", "pet"):
        extras.append(rng.choice(text.STORAGE[storage]))
    if rng.random() < 0.3:
        extras.append(rng.choice(text.DELIVERY[delivery]))
    if allergens and rng.random() < 0.6:
        extras.insert(0, text.fill(rng.choice(text.ALLERGEN_SENTENCES), allergens=", ".join(allergens)))
    rng.shuffle(extras)
    head = [intro] + ([item.note] if item.note and rng.random() < 0.85 else [])
    total = rng.choice([2, 3, 3, 4])
    sentences = (head + extras)[: max(total, len(head))]
    return " ".join(sentences[:4])


def _combos(leaf: Leaf, item: Item, rng: random.Random) -> list[tuple]:
    kind_brands = BRANDS[BRANDS_BY_SLUG.get(leaf.slug, leaf.kind)]
    mods = [Mod("", 1.0)] if leaf.slug in NO_MODS_SLUGS else MODS.get(leaf.kind, [Mod("", 1.0)])
    combos = [(unit, brand, mod) for unit in item.units for brand in kind_brands for mod in dict.fromkeys(mods)]
    rng.shuffle(combos)
    return combos


def generate_products(seed: int) -> list[dict]:
    """All catalog rows, ids P0001.. in table order. Same seed, same rows."""
    rng = random.Random(seed)
    rows: list[dict] = []
    names: set[str] = set()
    descriptions: set[str] = set()
    for leaf in DRAWS:
        group = GROUP.get(leaf.kind, "food")
        food = is_food_category(leaf.category)
        queues = [(item, _combos(leaf, item, rng)) for item in leaf.items]
        made = 0
        while made < leaf.count and any(q for _, q in queues):
            for item, queue in queues:
                if made >= leaf.count or not queue:
                    continue
                unit, (brand, factor), mod = queue.pop()
                origin = _origin(leaf, item, rng)
                if mod.word and not _DOMESTIC.match(origin):  # 국내 인증 (무농약, 동물복지) only for domestic goods
                    mod = Mod("", 1.0)
                core = f"{mod.word} {item.base}".strip()
                region = _short_region(origin) if group != "goods" else None
                lead = region if region and region not in item.base and rng.random() < 0.35 else brand
                name = f"{lead} {core} {unit.label}"
                if name in names:
                    continue
                tags = list(dict.fromkeys(item.tags + unit.tags + mod.tags))
                if food and _DOMESTIC.match(origin) and rng.random() < 0.4 and "국산" not in tags:
                    tags.append("국산")
                price = nice_price(unit.price * factor * mod.factor * rng.uniform(0.96, 1.06), rng)
                sale = None
                if rng.random() < 0.25:
                    sale = int(price * (1 - rng.choice([0.05, 0.1, 0.1, 0.15, 0.2, 0.3])) // 10 * 10)
                    sale = sale if 0 < sale < price else None
                delivery = _delivery(leaf, rng)
                allergens = list(item.allergens)
                for _ in range(30):
                    desc = describe(group, leaf.kind, core, brand, origin, unit.label, item, tags, allergens,
                                    leaf.storage, delivery, rng)
                    if desc not in descriptions:
                        break
                descriptions.add(desc)
                names.add(name)
                category, image = leaf.category, image_path(next(lf for lf in LEAVES if lf.category == leaf.category))
                if item.base in RECATEGORIZE:
                    category, slug = RECATEGORIZE[item.base]
                    image = f"assets/products/{slug}.png"
                rows.append({
                    "id": f"P{len(rows) + 1:04d}", "name": name, "brand": brand, "category": category,
                    "price": price, "sale_price": sale, "unit": unit.label, "description": desc,
                    "tags": tags, "allergens": allergens, "origin": origin, "storage": leaf.storage,
                    "stock": 0 if rng.random() < 0.07 else rng.choice([rng.randint(1, 20), rng.randint(20, 300)]),
                    "rating": round(min(5.0, rng.triangular(3.3, 5.0, 4.7)), 1),
                    "review_count": min(25_000, int(rng.paretovariate(1.1) * 8) - 8),
                    "delivery": delivery, "image": image,
                })
                made += 1
    return rows
