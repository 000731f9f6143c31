"""Store locations (layout.json, the floor plan) and moment suggestions (context.json)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from store.catalog import load_catalog
from store.context import moment, parse_now, shelves
from store.layout import floor_plan_png, load_layout, render_floor_plan, validate_layout

REPO = Path(__file__).resolve().parent.parent
CAT = {p.id: p for p in load_catalog(REPO / "data/catalog/products.jsonl")}
LEAVES = {p.category for p in CAT.values()}


def test_every_leaf_has_a_zone_and_bad_layouts_are_named():
    data = json.loads((REPO / "data/store/layout.json").read_text("utf-8"))
    assert validate_layout(data, LEAVES) == []
    lay = load_layout(REPO / "data/store/layout.json", LEAVES)
    assert lay.where("유제품/우유/우유").zone == "5-A" and lay.where("가공식품/라면·면/라면").aisle == 4
    assert lay.where("유제품/우유").aisle == 5          # a prefix finds its first leaf
    bad = json.loads(json.dumps(data))
    gone = next(iter(bad["leaves"]))
    del bad["leaves"][gone]
    bad["zones"][1]["aisle"] = 99
    bad["leaves"]["신선식품/과일/없는잎"] = "1-A"
    errors = validate_layout(bad, LEAVES)
    assert any(gone in e and "no zone" in e for e in errors)
    assert any("aisle out of" in e for e in errors) and any("not a catalog leaf" in e for e in errors)


def test_floor_plan_highlights_the_zone(tmp_path):
    from PIL import Image

    lay = load_layout(REPO / "data/store/layout.json")
    a, b = render_floor_plan(lay, "5-A"), render_floor_plan(lay, "4-A")
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a != b
    orange = (255, 159, 28)
    for png, zone in ((a, "5-A"), (b, "4-A")):
        img = Image.open(io.BytesIO(png)).convert("RGB")
        w = img.width
        hits = [(x, y) for x in range(0, w, 4) for y in range(0, img.height, 4) if img.getpixel((x, y)) == orange]
        assert hits, zone
        aisle = int(zone.split("-")[0])
        col = (sum(x for x, _ in hits) / len(hits) - 20) / ((w - 40) / lay.aisles)
        assert aisle - 1 <= col < aisle          # the orange box sits in that aisle's column
    path = floor_plan_png("5-A", out_dir=tmp_path, layout=lay)
    assert Path(path).read_bytes() == a
    with pytest.raises(KeyError):
        floor_plan_png("99-Z", layout=lay)


@pytest.mark.parametrize("when, weather, expect", [
    ("2026-07-20T08:00", None, {"가공식품/베이커리·시리얼/식빵·베이커리", "유제품/우유/우유",
                                 "가공식품/베이커리·시리얼/시리얼·그래놀라"}),
    ("2026-07-20T19:00", None, {"냉동식품/만두·간편식/볶음밥·피자", "냉동식품/만두·간편식/만두"}),
    ("2026-07-20T13:00", None, {"신선식품/과일/수박·참외", "냉동식품/아이스크림/아이스크림"}),
    ("2026-09-10T13:00", None, {"가공식품/선물세트/명절 선물세트"}),
    ("2026-11-20T19:00", "비가 와요", {"가공식품/즉석식품/즉석국·찌개"}),
])
def test_moment_shapes_the_shelves(when, weather, expect):
    m = moment(when, weather, REPO / "data")
    shown = {CAT[pid].category for s in shelves(m, CAT, data_dir=REPO / "data") for pid in s.product_ids}
    assert expect <= shown, (m, shown)


def test_moment_labels_and_bad_now():
    assert moment("2026-07-20T08:00", data_dir=REPO / "data").label == "여름 아침"
    assert moment("2026-09-10T19:00", data_dir=REPO / "data").label == "추석 앞둔 가을 저녁"
    assert moment("2026-12-24T23:30", "한파", REPO / "data").weather == "cold"
    assert parse_now(datetime(2026, 1, 1, 9)).tzinfo is not None
    with pytest.raises(ValueError):
        parse_now("어제 아침")


def test_shelves_respect_allergens():
    m = moment("2026-07-20T08:00", data_dir=REPO / "data")
    for s in shelves(m, CAT, allowed=lambda p: "우유" not in p.allergens, data_dir=REPO / "data"):
        assert all("우유" not in CAT[pid].allergens for pid in s.product_ids)
