"""Eval-query labels say only what the query text says: price phrases, exclusions, tags, categories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import store.datagen.queries as queries
from store.datagen.queries import parse_variants
from store.datagen.query_check import category_supported, excluded_allergens, price_bounds, problems

DATA = Path(__file__).resolve().parent.parent / "data" / "eval"


def _rows(split: str) -> list[dict]:
    return [json.loads(l) for l in (DATA / f"queries_{split}.jsonl").read_text("utf-8").splitlines()]


@pytest.mark.parametrize("text, bounds", [
    ("저지방 우유 천원대?", (1000, 1999)),
    ("두유 만원대 한박스", (10000, 19999)),
    ("유기농 과일 2만원대", (20000, 29999)),
    ("과일 선물 3만원대", (30000, 39999)),
    ("오천원 이하 반찬", (None, 5000)),
    ("만 원 안쪽 캠핑 용품", (None, 10000)),
    ("훈제닭가슴살 15000원까지", (None, 15000)),
    ("훈제 닭가슴살 만오천원 이하", (None, 15000)),
    ("부사 3키로 3만원 안 넘는거", (None, 30000)),
    ("쌀 4키로 이만원 이하", (None, 20000)),
    ("계란 30구 만원 이하", (None, 10000)),
    ("에프 10만원 안쪽", (None, 100000)),
    ("보조 배터리 만mAh", None),
    ("비타민 씨 1000", None),
    ("냉동 피자", None),
])
def test_price_phrases(text, bounds):
    assert price_bounds(text) == bounds


def test_exclusions_are_read_from_the_text():
    assert excluded_allergens("우유 없는 아이스크림") == {"우유"}
    assert excluded_allergens("견과류 땅콩 빼고") == {"땅콩"}
    assert excluded_allergens("우유 계란 없는 쿠키") == {"우유", "알류"}
    assert excluded_allergens("밀가루 없는 국수") == {"밀"}
    assert excluded_allergens("콩 알러지 라면") == {"대두"}
    assert excluded_allergens("고기 안들어간 만두") == {"돼지고기", "쇠고기", "닭고기"}
    assert excluded_allergens("복숭아 안들어간 고기 양념") == {"복숭아"}
    assert excluded_allergens("우유 마시면 배아픈데 락토프리") == set()
    assert excluded_allergens("꽃게탕 할 게") == set()


def test_problems_flag_each_kind_of_unsaid_label():
    assert problems("냉동 피자", {"max_price": 10000})[0][0] == "max_price"
    assert problems("저지방 우유 천원대?", {"max_price": 3000})
    assert problems("저지방 우유 천원대?", {"min_price": 1000, "max_price": 1999}) == []
    assert [k for k, _ in problems("우유 없는 아이스크림", {"required_tags": ["비건"]})] == \
        ["excluded_allergens", "required_tags"]
    assert problems("우유 없는 아이스크림", {"excluded_allergens": ["우유"]}) == []
    assert problems("휴지 30롤", {"required_tags": ["대용량"]}) == [("required_tags", "tag 대용량 not said")]
    assert problems("화장지 대용량", {}) == [("required_tags", "tag 대용량 said but not labeled")]
    assert problems("고등어", {"category": "신선식품"})[0][0] == "category"
    assert category_supported("땅콩 알러지 애기 과자 만원 안쪽", "간식·과자")
    assert category_supported("쌀 10키로 대용량", "신선식품/쌀·잡곡/쌀")


def test_variant_fields_add_to_and_replace_the_shared_ones():
    (a, fa), (b, fb) = parse_variants("휴지 30롤 {kw=30롤} / 화장지 대용량 {tags=대용량} || kw=화장지")
    assert (a, fa) == ("휴지 30롤", {"kw": "30롤"})
    assert (b, fb) == ("화장지 대용량", {"kw": "화장지", "tags": "대용량"})


def test_generation_refuses_a_label_the_text_does_not_say(monkeypatch):
    product = {"id": "P0001", "name": "만두공방 콤비네이션 피자 400g", "category": "냉동식품/만두·간편식/볶음밥·피자",
               "price": 8980, "sale_price": None, "allergens": ["밀"], "tags": [], "delivery": "일반",
               "stock": 3, "rating": 4.5, "review_count": 10}
    monkeypatch.setattr(queries, "SPECS", "냉동 피자 / 냉동피자 만원 이하 {max=10000} || kw=피자")
    group = queries.product_groups([product])[0]
    assert [r["constraints"] for r in group] == [{}, {"max_price": 10000}]
    monkeypatch.setattr(queries, "SPECS", "냉동 피자 / 냉동피자 만원 이하 || kw=피자; max=10000")
    with pytest.raises(ValueError, match="do not match its text"):
        queries.product_groups([product])


def test_committed_labels_are_supported_by_their_text():
    rows = [r for split in ("dev", "test") for r in _rows(split) if r["type"] == "product"]
    assert len(rows) >= 200
    bad = {r["id"]: problems(r["query"], r["constraints"]) for r in rows}
    assert {k: v for k, v in bad.items() if v} == {}
    by_query = {r["query"]: r["constraints"] for r in rows}
    assert by_query["냉동 피자"] == {}
    assert by_query["우유 없는 아이스크림"]["excluded_allergens"] == ["우유"]
    assert "required_tags" not in by_query["우유 없는 아이스크림"]
    assert (by_query["저지방 우유 2천원대?"]["min_price"], by_query["저지방 우유 2천원대?"]["max_price"]) == (2000, 2999)
    bulk = [r for r in rows if "대용량" in r["query"]]
    assert bulk and all("대용량" in r["constraints"].get("required_tags", ()) for r in bulk)
    assert all("대용량" not in r["constraints"].get("required_tags", ()) for r in rows if r not in bulk
               and "큰거" not in r["query"].replace(" ", "") and "벌크" not in r["query"])


def test_split_is_stable_by_intent():
    dev, test = {r["id"] for r in _rows("dev")}, {r["id"] for r in _rows("test")}
    assert not dev & test
    assert {"qp-006-1", "qp-006-2", "qp-088-2", "qp-198-1"} <= dev  # ids as first generated
    assert {"qp-121-1", "qp-121-2", "qp-124-2", "qp-135-1", "qp-153-2"} <= test
    assert len(dev) == 242 and len(test) == 346
