"""``orders-json``: orders with items and tracking (JSON array, JSON Lines, or object of id -> order).

Schema: ``{"order_id", "customer_id"?, "created_at"?, "status", "items": [{"product_id",
"variant_id"?, "quantity"?, "price"?}], "tracking"?: {"carrier", "tracking_number"} | null,
"shipping_address"?: {..}}``. The customer must already exist (ingest customers first).

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("orders").name
    'orders-json'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind


def _order(key: str | int, value: dict[str, Any]) -> dict[str, Any]:
    if "order_id" not in value:
        value = {**value, "order_id": value.get("id", key if isinstance(key, str) else None)}
    return value


@register
class OrdersJson(Reader):
    name: ClassVar[str] = "orders-json"
    aliases: ClassVar[tuple[str, ...]] = ("orders", "orders-jsonl")
    kinds: ClassVar[tuple[Kind, ...]] = ("order",)
    description = "orders with items, status and tracking"
    order = 30

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "order_id" in first and "items" in first and "user_id" not in first:
            return "JSON records with order_id and items"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "order", _order)
