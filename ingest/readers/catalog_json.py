"""``catalog-json``: products with variants (JSON array, JSON Lines, or object of id -> product).

Schema: ``{"product_id", "name", "category"?, "brand"?, "description"?, "price"?, "tags"?: [..],
"variants"?: [{"variant_id", "options": {..}, "price"?, "available"?}]}``.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("catalog-json").kinds
    ('product',)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind


def _product(key: str | int, value: dict[str, Any]) -> dict[str, Any]:
    if "product_id" not in value:
        value = {**value, "product_id": value.get("id", key if isinstance(key, str) else None)}
    variants = value.get("variants")
    if isinstance(variants, dict):  # keyed variants (τ-bench style)
        value = {**value, "variants": [{"variant_id": k, **v} if isinstance(v, dict) else v
                                       for k, v in variants.items()]}
    return value


@register
class CatalogJson(Reader):
    name: ClassVar[str] = "catalog-json"
    aliases: ClassVar[tuple[str, ...]] = ("catalog", "catalog-jsonl", "products-json")
    kinds: ClassVar[tuple[Kind, ...]] = ("product",)
    description = "catalog: products, variants, options, price, text"
    order = 10

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "product_id" in first and "name" in first and "order_id" not in first:
            return "JSON records with product_id and name"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "product", _product)
