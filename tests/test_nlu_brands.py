"""The built-in lexicon knows the store catalog's brands (as the app's catalog lexicon does).
Messages are written for these tests."""

import json
from pathlib import Path

from assistant.nlu import parse
from assistant.nlu.lexicon import CATALOG_BRANDS

CATALOG = Path(__file__).resolve().parents[1] / "data" / "catalog" / "products.jsonl"


def test_built_in_brands_equal_the_catalog():
    with open(CATALOG, encoding="utf-8") as f:
        brands = {json.loads(line).get("brand") for line in f if line.strip()} - {None, ""}
    assert set(CATALOG_BRANDS) == brands


def test_catalog_brand_wanted_and_avoided():
    u = parse("숲속캠프 랜턴 있어요?")
    assert u.slots.brands == ("숲속캠프",) and "랜턴" in u.slots.keywords
    u = parse("장보기 정육 말고 다른 브랜드 삼겹살 보여줘")
    assert u.slots.avoid_brands == ("장보기 정육",) and not u.slots.brands
