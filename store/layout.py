"""Where things are in the demo store: `data/store/layout.json` gives every leaf category a zone
(aisle number + bay letter, "7-A"), and `floor_plan_png(zone)` draws a simple floor plan with
that zone highlighted (PIL, Hangul labels in NanumGothic from koreanize-matplotlib).

    >>> lay = load_layout("data/store/layout.json")      # doctest: +SKIP
    >>> lay.where("유제품/우유/우유")                       # doctest: +SKIP
    Location(zone='5-A', aisle=5, bay=1, name='우유', leaf='우유')

Leaves out: understanding the question (assistant/plans_intent.py) and showing the image (ui).
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

BAYS = "ABCDEFGHIJ"


class LayoutError(ValueError):
    def __init__(self, errors: list[str], source: str = "layout.json") -> None:
        self.errors = list(errors)
        super().__init__(f"invalid store layout {source}: " + "; ".join(self.errors[:5]))

    @property
    def user_message(self) -> str:
        return "매장 배치도 자료에 오류가 있어 위치를 안내할 수 없어요. 직원에게 문의해 주세요."


@dataclass(frozen=True)
class Zone:
    id: str
    aisle: int
    bay: int
    name: str


@dataclass(frozen=True)
class Location:
    zone: str
    aisle: int
    bay: int
    name: str            # zone name ("우유")
    leaf: str            # leaf category name asked about

    def to_json(self, image: str | None = None) -> dict:
        out = {"zone": self.zone, "aisle": self.aisle, "name": self.name, "leaf": self.leaf}
        if image:
            out["image"] = image
        return out


@dataclass(frozen=True)
class Layout:
    store: str
    aisles: int
    entrance: str
    zones: tuple[Zone, ...]
    leaves: dict               # leaf category path -> zone id

    def zone(self, zone_id: str) -> Zone | None:
        return next((z for z in self.zones if z.id == zone_id), None)

    def where(self, category: str) -> Location | None:
        """Location of a leaf path, or of the first leaf under a "top/mid" prefix."""
        zid = self.leaves.get(category)
        if zid is None:
            zid = next((z for leaf, z in self.leaves.items() if leaf.startswith(category.rstrip("/") + "/")), None)
            if zid is None:
                return None
        z = self.zone(zid)
        return Location(z.id, z.aisle, z.bay, z.name, category.split("/")[-1]) if z else None


def validate_layout(data: object, leaf_categories: Iterable[str] | None = None) -> list[str]:
    """Problems of a layout.json object; every catalog leaf must have a zone that exists."""
    if not isinstance(data, dict):
        return ["top level must be an object"]
    errors: list[str] = []
    aisles = data.get("aisles")
    if not isinstance(aisles, int) or isinstance(aisles, bool) or not 1 <= aisles <= 30:
        return ["aisles must be an integer within 1..30"]
    zones = data.get("zones")
    if not isinstance(zones, list) or not zones:
        return ["zones must be a non-empty list"]
    ids: set[str] = set()
    places: set[tuple[int, int]] = set()
    for i, z in enumerate(zones):
        if not isinstance(z, dict) or not all(k in z for k in ("id", "aisle", "bay", "name")):
            errors.append(f"zones[{i}]: needs id, aisle, bay, name")
            continue
        if not isinstance(z["aisle"], int) or not 1 <= z["aisle"] <= aisles:
            errors.append(f"zones[{i}] ({z['id']}): aisle out of 1..{aisles}")
        if not isinstance(z["bay"], int) or not 1 <= z["bay"] <= len(BAYS):
            errors.append(f"zones[{i}] ({z['id']}): bay out of 1..{len(BAYS)}")
        elif isinstance(z["aisle"], int) and z["id"] != f"{z['aisle']}-{BAYS[z['bay'] - 1]}":
            errors.append(f"zones[{i}]: id {z['id']!r} should be {z['aisle']}-{BAYS[z['bay'] - 1]}")
        if z["id"] in ids:
            errors.append(f"zones[{i}]: duplicate zone id {z['id']}")
        if (z["aisle"], z["bay"]) in places:
            errors.append(f"zones[{i}]: two zones at aisle {z['aisle']} bay {z['bay']}")
        ids.add(z["id"])
        places.add((z["aisle"], z["bay"]))
        if not isinstance(z["name"], str) or not z["name"].strip():
            errors.append(f"zones[{i}]: empty name")
    leaves = data.get("leaves")
    if not isinstance(leaves, dict):
        return errors + ["leaves must map leaf category -> zone id"]
    errors += [f"leaves[{leaf!r}]: unknown zone {zid!r}" for leaf, zid in leaves.items() if zid not in ids]
    if leaf_categories is not None:
        known = set(leaf_categories)
        errors += [f"leaf category {c!r} has no zone" for c in sorted(known - set(leaves))]
        errors += [f"leaves[{c!r}]: not a catalog leaf" for c in sorted(set(leaves) - known)]
    return errors


def load_layout(path: str | Path = "data/store/layout.json",
                leaf_categories: Iterable[str] | None = None) -> Layout:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LayoutError([f"{path}: cannot read ({exc})"], str(path)) from exc
    errors = validate_layout(data, leaf_categories)
    if errors:
        raise LayoutError(errors, str(path))
    zones = tuple(Zone(z["id"], z["aisle"], z["bay"], z["name"]) for z in data["zones"])
    return Layout(data.get("store", ""), data["aisles"], data.get("entrance", ""), zones, dict(data["leaves"]))


# ---- floor plan -------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _font(size: int):
    import importlib.util

    from PIL import ImageFont

    candidates = []
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "fonts" / "NanumGothic.ttf")
    candidates.append(Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"))
    for ttf in candidates:
        if ttf.exists():
            return ImageFont.truetype(str(ttf), size)
    return ImageFont.load_default()


def render_floor_plan(layout: Layout, zone_id: str | None = None, width: int = 900) -> bytes:
    """PNG bytes: aisles left to right, bays front (bottom, entrance) to back; `zone_id` filled
    in orange with a thick border, its aisle label bold; a legend line names it."""
    from PIL import Image, ImageDraw

    n = layout.aisles
    max_bay = max(z.bay for z in layout.zones)
    margin, top, bottom = 20, 56, 60
    col_w = (width - 2 * margin) / n
    bay_h = 70
    height = top + max_bay * bay_h + bottom
    img = Image.new("RGB", (width, height), (250, 250, 247))
    d = ImageDraw.Draw(img)
    target = layout.zone(zone_id) if zone_id else None
    title = f"{layout.store} 매장 안내도" + (f" · {target.aisle}번 통로 {target.id} {target.name}" if target else "")
    d.text((margin, 14), title, fill=(30, 30, 30), font=_font(22))
    for z in layout.zones:
        x0 = margin + (z.aisle - 1) * col_w + 6
        y1 = top + max_bay * bay_h - (z.bay - 1) * bay_h - 4
        box = (x0, y1 - bay_h + 8, x0 + col_w - 12, y1)
        hit = target is not None and z.id == target.id
        d.rectangle(box, fill=(255, 159, 28) if hit else (226, 232, 240),
                    outline=(200, 80, 0) if hit else (160, 170, 180), width=5 if hit else 1)
        label = z.name if len(z.name) <= 6 else z.name[:6]
        d.text((box[0] + 5, box[1] + 6), z.id, fill=(20, 20, 20), font=_font(13))
        d.text((box[0] + 5, box[1] + 26), label, fill=(20, 20, 20), font=_font(13))
    for a in range(1, n + 1):
        x = margin + (a - 1) * col_w + col_w / 2
        bold = target is not None and a == target.aisle
        d.text((x - 14, top + max_bay * bay_h + 8), f"{a}번", fill=(200, 80, 0) if bold else (60, 60, 60),
               font=_font(18 if bold else 14))
    d.text((margin, height - 26), "▲ 입구 (" + (layout.entrance or "앞쪽") + ")", fill=(60, 60, 60), font=_font(15))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_LAYOUT_CACHE: dict[str, Layout] = {}


def default_layout(data_dir: str | Path = "data") -> Layout:
    key = str(Path(data_dir).resolve())
    if key not in _LAYOUT_CACHE:
        _LAYOUT_CACHE[key] = load_layout(Path(data_dir) / "store" / "layout.json")
    return _LAYOUT_CACHE[key]


def floor_plan_png(zone: str | None, out_dir: str | Path | None = None, data_dir: str | Path = "data",
                   layout: Layout | None = None) -> bytes | Path:
    """The floor plan with `zone` highlighted: PNG bytes, or with `out_dir` the written file's
    path (`<out_dir>/floor-<zone>.png`, reused when it exists). For the kiosk UI."""
    layout = layout or default_layout(data_dir)
    if zone is not None and layout.zone(zone) is None:
        raise KeyError(f"unknown zone {zone!r}")
    if out_dir is None:
        return render_floor_plan(layout, zone)
    path = Path(out_dir) / f"floor-{zone or 'all'}.png"
    if not path.exists():
        from store.datagen.writers import write_bytes

        write_bytes(path, render_floor_plan(layout, zone))
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m store.layout", description="Draw the store floor plan.",
                                     epilog="example: python -m store.layout --zone 5-A --out /tmp/plan.png")
    parser.add_argument("--zone", help="zone to highlight, e.g. 5-A")
    parser.add_argument("--data", default="data")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args(argv)
    try:
        data = floor_plan_png(args.zone, data_dir=args.data)
    except (KeyError, LayoutError) as exc:
        print(f"오류: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_bytes(data)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
