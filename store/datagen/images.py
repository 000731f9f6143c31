"""One small generated picture per leaf category (not a photo): a colored tile with a
simple shape chosen by top category and a short ASCII label, saved as a palette PNG.

Byte-stable for a given Pillow version: no timestamps or text chunks are written.
"""

from __future__ import annotations

import colorsys
import hashlib
import io

from store.datagen.spec import Leaf

SIZE = 96
_SHAPES = ["circle", "square", "triangle", "diamond", "ring", "bars"]


def _color(key: str, light: float) -> tuple[int, int, int]:
    hue = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.55)
    return int(r * 255), int(g * 255), int(b * 255)


def render(leaf: Leaf, top_index: int) -> bytes:
    """PNG bytes for one leaf: background from the leaf, shape from its top category."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (SIZE, SIZE), _color(leaf.slug, 0.85))
    draw = ImageDraw.Draw(img)
    fg = _color(leaf.slug, 0.45)
    shape = _SHAPES[top_index % len(_SHAPES)]
    box = (24, 14, 72, 62)
    if shape == "circle":
        draw.ellipse(box, fill=fg)
    elif shape == "square":
        draw.rounded_rectangle(box, radius=8, fill=fg)
    elif shape == "triangle":
        draw.polygon([(48, 12), (74, 62), (22, 62)], fill=fg)
    elif shape == "diamond":
        draw.polygon([(48, 10), (76, 38), (48, 66), (20, 38)], fill=fg)
    elif shape == "ring":
        draw.ellipse(box, outline=fg, width=9)
    else:
        for i in range(4):
            draw.rectangle((22 + i * 14, 60 - i * 12, 32 + i * 14, 62), fill=fg)
    label = leaf.slug.upper()[:12]
    width = draw.textlength(label)
    draw.text(((SIZE - width) / 2, 74), label, fill=(40, 40, 40))
    buf = io.BytesIO()
    img.quantize(colors=16).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def render_all(leaves: list[Leaf]) -> dict[str, bytes]:
    """{"assets/products/<slug>.png": PNG bytes} for every leaf."""
    tops = list(dict.fromkeys(leaf.category.split("/")[0] for leaf in leaves))
    return {f"assets/products/{leaf.slug}.png": render(leaf, tops.index(leaf.category.split("/")[0]))
            for leaf in leaves}
