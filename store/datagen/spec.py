"""Shapes of the curated tables and the tiny parser for their one-line item specs.

An item spec reads "base name | units | allergens | tags | note", for example
    "부사 사과 | 1.5kg=14900, 3kg=26900+대용량 | | 비건 | 아삭하고 과즙이 많습니다."
where each unit is "label=price" (price in KRW for the cheapest brand and no modifier),
optionally followed by "+tag" marks that hold for that size only (대용량, 1인가구).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    label: str
    price: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    base: str
    units: tuple[Unit, ...]
    allergens: tuple[str, ...]
    tags: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Mod:
    word: str  # prefix in the name, "" for none
    factor: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    category: str  # "top/mid/leaf"
    slug: str  # ASCII, names the image file
    storage: str
    kind: str  # picks brands, modifiers and description pools
    origins: tuple[str, ...]
    items: tuple[Item, ...]
    count: int  # products to draw for this leaf


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def parse_item(spec: str) -> Item:
    """Parse one "base | units | allergens | tags | note" line.

    >>> parse_item("두유 | 190ml x 16=12900 | 대두 | 비건 |").units[0].label
    '190ml x 16'
    """
    parts = [p.strip() for p in spec.split("|")]
    parts += [""] * (5 - len(parts))
    base, units_text, allergens, tags, note = parts[:5]
    units = []
    for chunk in _split(units_text):
        label, _, rest = chunk.partition("=")
        price, *marks = rest.split("+")
        units.append(Unit(label.strip(), int(price), tuple(m.strip() for m in marks)))
    if not base or not units:
        raise ValueError(f"bad item spec: {spec!r}")
    return Item(base, tuple(units), _split(allergens), _split(tags), note)


def L(category: str, slug: str, storage: str, kind: str, origins: str, items: list[str],
      count: int = 30) -> Leaf:
    """Build a Leaf from compact literals (origins comma-separated)."""
    return Leaf(category, slug, storage, kind, _split(origins), tuple(parse_item(s) for s in items), count)
