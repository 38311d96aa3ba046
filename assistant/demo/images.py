"""Simple product pictures for the demo shop, drawn at build time into ``<data_dir>/product_images``.

The demo ships no photographs; each product gets a small PNG: a colour per top category, a
simple shape per kind of product and the product's name, so the chat's product cards look like
a shop's. A real shop puts its own pictures in the same folder (``<product id>.png|jpg|webp``).

Example:
    >>> write_product_images(settings, [("JP-001", "Alder Rain Shell", "Apparel > Jackets")])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterable
from pathlib import Path

from assistant.config import Settings

IMAGE_DIR = "product_images"
SIZE = 320


def _colour(key: str, lightness: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    import colorsys

    r, g, b = colorsys.hls_to_rgb(digest[0] / 255.0, lightness / 100.0, 0.35)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_product_image(path: Path, name: str, category: str) -> None:
    """One picture: background by top category, a shape by the product's own category, the name."""
    from PIL import Image, ImageDraw, ImageFont

    top = (category.split(">")[0].strip() or "other").lower()
    leaf = (category.split(">")[-1].strip() or name).lower()
    image = Image.new("RGB", (SIZE, SIZE), _colour(top, 88))
    draw = ImageDraw.Draw(image)
    ink = _colour(top, 35)
    accent = _colour(leaf, 60)
    shape = int(hashlib.sha256(leaf.encode("utf-8")).hexdigest(), 16) % 3
    box = (90, 50, 230, 190)
    if shape == 0:
        draw.ellipse(box, fill=accent, outline=ink, width=4)
    elif shape == 1:
        draw.rounded_rectangle(box, radius=24, fill=accent, outline=ink, width=4)
    else:
        draw.polygon([(160, 45), (235, 190), (85, 190)], fill=accent, outline=ink)
    try:
        font = ImageFont.load_default(size=26)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    y = 210
    for line in textwrap.wrap(name, width=20)[:3]:
        width = draw.textlength(line, font=font)
        draw.text(((SIZE - width) / 2, y), line, fill=ink, font=font)
        y += 32
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)


def write_product_images(settings: Settings, products: Iterable[tuple[str, str, str]]) -> int:
    """Draw ``(product id, name, category)`` pictures that do not exist yet; returns how many were drawn."""
    folder = Path(settings.data_dir) / IMAGE_DIR
    written = 0
    for product_id, name, category in products:
        path = folder / f"{product_id}.png"
        if path.exists():
            continue
        draw_product_image(path, name, category)
        written += 1
    return written


def write_demo_images(settings: Settings) -> int:
    """Pictures for every product in the shop's catalog (what ``build_demo`` calls after ingesting)."""
    from sqlalchemy import select

    from assistant.store.db import Database
    from assistant.store.models import Product

    db = Database(settings)
    with db.session() as s:
        rows = [(p.id, p.name, p.category) for p in s.scalars(select(Product)).all()]
    return write_product_images(settings, rows)
