"""Catalog rows: schema and consistency rules, with broken rows fed on purpose."""

from __future__ import annotations

import json

import pytest

from store._rules import check_product_row
from store.catalog import CatalogError, Product, load_catalog, parse_products

GOOD = {
    "id": "P0001", "name": "새벽농장 무농약 세척당근 1kg", "brand": "새벽농장", "category": "신선식품/채소/뿌리채소",
    "price": 4980, "sale_price": 3980, "unit": "1kg",
    "description": "제주에서 수확한 당근입니다. 받으신 뒤 바로 냉장 보관해 주세요.",
    "tags": ["비건", "무농약"], "allergens": [], "origin": "제주", "storage": "냉장", "stock": 12,
    "rating": 4.6, "review_count": 31, "delivery": "새벽", "image": "assets/products/root-veg.png",
}
SOY = {**GOOD, "id": "P0002", "name": "무가당 두유 190ml x 16팩", "category": "음료·커피·차/주스·식물성음료/두유",
       "allergens": ["대두"], "tags": ["비건", "무가당"], "sale_price": None}


def lines(*rows) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]


def test_good_rows_parse_into_products():
    products, errors = parse_products(lines(GOOD, SOY))
    assert errors == []
    carrot, soy = products
    assert isinstance(carrot, Product) and carrot.tags == ("비건", "무농약")
    assert carrot.effective_price == 3980 and soy.effective_price == 4980
    assert (carrot.top, carrot.mid, carrot.leaf) == ("신선식품", "채소", "뿌리채소")
    assert carrot.to_dict()["tags"] == ["비건", "무농약"]


@pytest.mark.parametrize("change, reason", [
    ({"price": None}, "price has type NoneType"),
    ({"price": "4980"}, "price has type str"),
    ({"stock": -3}, "stock -3 is negative"),
    ({"allergens": ["우유"]}, "vegan product lists animal allergens ['우유']"),
    ({"allergens": ["알류", "밀"]}, "vegan product lists animal allergens ['알류']"),
    ({"sale_price": 4980}, "sale_price 4980 is not below price 4980"),
    ({"storage": "상온"}, "storage '상온' not in"),
    ({"delivery": "퀵"}, "delivery '퀵' not in"),
    ({"allergens": ["땅콩버터"]}, "unknown allergen '땅콩버터'"),
    ({"tags": ["비건", "맛있음"]}, "unknown tag '맛있음'"),
    ({"name": "맛있는 당근 🥕 1kg"}, "name contains emoji"),
    ({"name": "당근" * 100}, "name too long"),
    ({"description": "가" * 5000}, "description too long"),
    ({"name": "세척당근"}, "name carries no size or count"),
    ({"category": "신선식품/채소"}, "is not top/mid/leaf"),
    ({"id": "X1"}, "is not like P0001"),
    ({"rating": 7.5}, "rating 7.5 out of 0..5"),
    ({"image": "/etc/passwd"}, "image is not under assets/"),
    ({"description": "한 문장뿐입니다."}, "description has 1 sentences"),
    ({"stock": True}, "stock has type bool"),
])
def test_bad_field_is_reported(change, reason):
    problems = check_product_row({**GOOD, **change})
    assert any(reason in p for p in problems), problems


def test_missing_and_unknown_fields():
    row = {k: v for k, v in GOOD.items() if k != "brand"} | {"colour": "주황"}
    assert check_product_row(row) == ["missing field brand", "unknown field colour"]
    assert check_product_row(["not", "an", "object"]) == ["row is list, expected a JSON object"]


def test_soy_milk_needs_soy_and_non_food_needs_no_allergens():
    assert "soy milk (두유) without 대두 allergen" in check_product_row({**SOY, "allergens": []})
    soap = {**GOOD, "name": "주방세제 750ml", "category": "세제·위생/주방·청소세제/주방세제", "tags": ["비건"],
            "allergens": ["대두"]}
    problems = check_product_row(soap)
    assert "non-food product lists allergens ['대두']" in problems
    assert "non-food product has food tags ['비건']" in problems


def test_vegan_tag_on_meat_category_is_rejected():
    beef = {**GOOD, "category": "신선식품/정육·계란/소고기", "allergens": []}
    assert "vegan tag on a meat, seafood or dairy category" in check_product_row(beef)


def test_errors_carry_line_numbers_and_skip_bad_rows():
    products, errors = parse_products(lines(GOOD, "{not json", {**SOY, "stock": -1}, "", {**GOOD}))
    assert [p.id for p in products] == ["P0001"]
    assert errors[0].startswith("products.jsonl:2: invalid JSON")
    assert errors[1] == "products.jsonl:3: P0002: stock -1 is negative"
    assert errors[2] == "products.jsonl:5: P0001: duplicate id P0001 (first on line 1)"


def test_load_catalog_raises_catalog_error_with_all_errors(tmp_path):
    path = tmp_path / "products.jsonl"
    path.write_text("\n".join(lines(GOOD, {**SOY, "allergens": ["우유"]}, "[1, 2]")) + "\n", "utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    err = info.value
    assert len(err.errors) == 3  # vegan+우유, soy without 대두, not an object
    assert "products.jsonl:2: P0002: vegan product lists animal allergens ['우유']" in err.errors
    assert "products.jsonl:3: row is list" in err.errors[-1]
    assert "오류가 3건" in err.user_message and "invalid store data" in str(err)


def test_load_catalog_missing_empty_and_binary_files(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", "utf-8")
    with pytest.raises(CatalogError, match="no products"):
        load_catalog(tmp_path / "empty.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "bin.jsonl")
