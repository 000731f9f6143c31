"""Row-level rules for store data: vocabularies, schema checks and consistency rules.

Pure functions that return a list of English problem strings (empty = valid); the
loaders in `store.catalog` add file names and line numbers. Facts from the real world:
the allergen names are Korea's food-labeling list (식품 등의 표시기준, 19 items as named
on labels; 조개류 covers 굴, 전복, 홍합).
"""

from __future__ import annotations

import re

from store.domain import ALLERGENS, ANIMAL_ALLERGENS, is_food_category  # noqa: F401  (one home)

FOOD_TAGS = frozenset({"비건", "저당", "무가당", "유기농", "무농약", "글루텐프리", "락토프리", "고단백",
                       "저염", "무첨가", "할랄", "저지방", "무항생제", "동물복지", "국산", "제로칼로리"})
GENERAL_TAGS = frozenset({"친환경", "대용량", "1인가구", "선물용", "무향", "저자극", "캠핑", "반려견",
                          "반려묘", "유아", "리필", "가성비", "프리미엄", "간편조리"})
TAGS = FOOD_TAGS | GENERAL_TAGS
STORAGE = ("실온", "냉장", "냉동")
DELIVERY = ("새벽", "당일", "일반")
NOT_VEGAN_PREFIXES = ("신선식품/정육·계란/", "신선식품/수산/생선/", "신선식품/수산/새우·갑각류/",
                      "신선식품/수산/조개·해산물/", "유제품/")

PRODUCT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str, "name": str, "brand": str, "category": str, "price": int, "sale_price": (int, type(None)),
    "unit": str, "description": str, "tags": list, "allergens": list, "origin": str, "storage": str,
    "stock": int, "rating": (int, float), "review_count": int, "delivery": str, "image": str,
}
MAX_LEN = {"id": 10, "name": 80, "brand": 30, "category": 60, "unit": 30, "description": 600,
           "origin": 30, "image": 120}
_ID = re.compile(r"^P\d{4,}$")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
# Emoji, pictographs and other symbols a mall listing would not carry.
_BAD_CHARS = re.compile("[\U00010000-\U0010FFFF\u2600-\u27BF\uFE0F\u200B-\u200F\u0000-\u001F\u007F]")


def under(category: str, prefixes: tuple[str, ...]) -> bool:
    """Whether a "top/mid/leaf" path lies under any "a/" or "a/b/" or "a/b/c/" prefix."""
    return (category + "/").startswith(prefixes)


def is_not_vegan_category(category: str) -> bool:
    return under(category, NOT_VEGAN_PREFIXES)


def check_text(field: str, value: str) -> list[str]:
    problems = []
    if not value.strip():
        problems.append(f"{field} is empty")
    if len(value) > MAX_LEN.get(field, 200):
        problems.append(f"{field} too long ({len(value)} > {MAX_LEN.get(field, 200)} chars)")
    if _BAD_CHARS.search(value):
        problems.append(f"{field} contains emoji or control characters")
    return problems


def check_product_row(row: object) -> list[str]:
    """Schema + consistency problems of one catalog row (a parsed JSON value)."""
    if not isinstance(row, dict):
        return [f"row is {type(row).__name__}, expected a JSON object"]
    problems = [f"missing field {f}" for f in PRODUCT_FIELDS if f not in row]
    problems += [f"unknown field {f}" for f in row if f not in PRODUCT_FIELDS]
    for field, kind in PRODUCT_FIELDS.items():
        value = row.get(field)
        if field in row and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
            problems.append(f"{field} has type {type(value).__name__}")
    if problems:
        return problems
    for field in MAX_LEN:
        problems += check_text(field, row[field])
    if not _ID.match(row["id"]):
        problems.append(f"id {row['id']!r} is not like P0001")
    parts = row["category"].split("/")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        problems.append(f"category {row['category']!r} is not top/mid/leaf")
    if not re.search(r"\d", row["name"]):
        problems.append("name carries no size or count")
    price, sale = row["price"], row["sale_price"]
    if not 0 < price <= 10_000_000:
        problems.append(f"price {price} out of range 1..10,000,000")
    if sale is not None and not 0 < sale < price:
        problems.append(f"sale_price {sale} is not below price {price}")
    if row["stock"] < 0:
        problems.append(f"stock {row['stock']} is negative")
    if not 0 <= row["rating"] <= 5:
        problems.append(f"rating {row['rating']} out of 0..5")
    if row["review_count"] < 0:
        problems.append("review_count is negative")
    if row["storage"] not in STORAGE:
        problems.append(f"storage {row['storage']!r} not in {STORAGE}")
    if row["delivery"] not in DELIVERY:
        problems.append(f"delivery {row['delivery']!r} not in {DELIVERY}")
    if not row["image"].startswith("assets/"):
        problems.append("image is not under assets/")
    sentences = len(_SENTENCE_END.findall(row["description"]))
    if not 2 <= sentences <= 4:
        problems.append(f"description has {sentences} sentences, expected 2-4")
    problems += _check_lists(row)
    return problems


def _check_lists(row: dict) -> list[str]:
    problems = []
    tags, allergens = row["tags"], row["allergens"]
    if not all(isinstance(t, str) for t in tags + allergens):
        return ["tags and allergens must be lists of strings"]
    problems += [f"unknown tag {t!r}" for t in tags if t not in TAGS]
    problems += [f"unknown allergen {a!r} (use the labeling names)" for a in allergens if a not in ALLERGENS]
    if len(set(tags)) != len(tags) or len(set(allergens)) != len(allergens):
        problems.append("duplicate tag or allergen")
    if "비건" in tags:
        animal = sorted(ANIMAL_ALLERGENS.intersection(allergens))
        if animal:
            problems.append(f"vegan product lists animal allergens {animal}")
        if is_not_vegan_category(row["category"]):
            problems.append("vegan tag on a meat, seafood or dairy category")
    if "두유" in row["name"] and "대두" not in allergens:
        problems.append("soy milk (두유) without 대두 allergen")
    if not is_food_category(row["category"]):
        if allergens:
            problems.append(f"non-food product lists allergens {allergens}")
        food = sorted(FOOD_TAGS.intersection(tags))
        if food:
            problems.append(f"non-food product has food tags {food}")
    return problems


POLICY_ID = re.compile(r"^[가-힣]+-\d{2}$")


def check_policy_text(text: str) -> tuple[dict[str, str], str, list[tuple[int, str]]]:
    """Split front matter from body and check both; returns (meta, body, [(line, reason)])."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, "", [(1, "missing front matter (first line must be ---)")]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return {}, "", [(1, "front matter is not closed with ---")]
    meta: dict[str, str] = {}
    errors: list[tuple[int, str]] = []
    for i in range(1, end):
        key, sep, value = lines[i].partition(":")
        if not sep:
            errors.append((i + 1, f"front matter line is not key: value ({lines[i][:40]!r})"))
            continue
        meta[key.strip()] = value.strip().strip('"')
    for key in ("id", "title", "category"):
        if not meta.get(key):
            errors.append((1, f"front matter lacks {key}"))
    if meta.get("id") and not POLICY_ID.match(meta["id"]):
        errors.append((2, f"policy id {meta['id']!r} is not like 배송-01"))
    body = "\n".join(lines[end + 1:])
    headings = [(end + 2 + i, ln) for i, ln in enumerate(lines[end + 1:]) if ln.startswith("## ")]
    if not headings:
        errors.append((end + 2, "body has no ## sections"))
    for i, (lineno, heading) in enumerate(headings):
        stop = headings[i + 1][0] if i + 1 < len(headings) else len(lines) + 1
        if not "".join(lines[lineno:stop - 1]).strip():
            errors.append((lineno, f"section {heading[3:].strip()!r} is empty"))
        if _BAD_CHARS.search(heading):
            errors.append((lineno, "heading contains emoji or control characters"))
    return meta, body, errors
