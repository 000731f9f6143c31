"""Pure helpers of the generator: Korean particles, mart prices, table specs, images."""

from __future__ import annotations

import random

import pytest

from store.datagen.images import render
from store.datagen.products import LEAVES, nice_price
from store.datagen.spec import parse_item
from store.datagen.text import fill, has_batchim


@pytest.mark.parametrize("word, expected", [
    ("사과", False), ("당근", True), ("3kg", True), ("500ml", False), ("1.5L", False), ("10구", False),
    ("김치", False), ("두부)", False), ("닭고기", False), ("새우", False), ("땅콩", True), ("", False),
])
def test_has_batchim(word, expected):
    assert has_batchim(word) is expected


def test_fill_picks_particles():
    assert fill("{x:을/를} 샀다", x="사과") == "사과를 샀다"
    assert fill("{x:을/를} 샀다", x="당근") == "당근을 샀다"
    assert fill("{x:이/가} 만든 {y}", x="정담", y="된장") == "정담이 만든 된장"
    assert fill("{x:은/는} 좋다", x="바삭공방 3kg") == "바삭공방 3kg은 좋다"
    assert fill("{a}, {a}", a="밀") == "밀, 밀"


def test_nice_price_looks_like_a_mart_price():
    rng = random.Random(0)
    prices = [nice_price(v, rng) for v in (1234, 4567, 9999, 12345, 34567, 128765)]
    for p in prices:
        assert p % 10 == 0 and p > 0
    assert all(str(p)[-2:] in ("00", "80") for p in prices[:3])
    assert all(str(p)[-3:] in ("000", "900") for p in prices[3:])


def test_parse_item_and_errors():
    item = parse_item("두유 | 190ml x 16팩=12900, 190ml x 48팩=34900+대용량 | 대두 | 비건,무가당 | 고소합니다.")
    assert item.base == "두유" and item.allergens == ("대두",) and item.tags == ("비건", "무가당")
    assert [(u.label, u.price, u.tags) for u in item.units] == [("190ml x 16팩", 12900, ()),
                                                                 ("190ml x 48팩", 34900, ("대용량",))]
    with pytest.raises(ValueError):
        parse_item(" | 1kg=100")


def test_tables_are_consistent():
    slugs = [leaf.slug for leaf in LEAVES]
    assert len(slugs) == len(set(slugs)) and all(s.isascii() for s in slugs)
    assert len({leaf.category for leaf in LEAVES}) == len(LEAVES)
    for leaf in LEAVES:
        assert leaf.category.count("/") == 2 and leaf.items, leaf.category


def test_image_is_small_png():
    data = render(LEAVES[0], 0)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 4096
    assert render(LEAVES[0], 0) == data
