"""``customers-json``: customers (JSON array, JSON Lines, or object of id -> customer).

Schema: ``{"customer_id", "name", "email"?, "zip"?, "address"?: {line1, city, state, zip, country}}``.
Identity fields are stored as given (the order-lookup identity check needs them).

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("customers").name
    'customers-json'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind


def _customer(key: str | int, value: dict[str, Any]) -> dict[str, Any]:
    if "customer_id" not in value:
        value = {**value, "customer_id": value.get("id", value.get("user_id", key if isinstance(key, str) else None))}
    return value


@register
class CustomersJson(Reader):
    name: ClassVar[str] = "customers-json"
    aliases: ClassVar[tuple[str, ...]] = ("customers", "customers-jsonl")
    kinds: ClassVar[tuple[Kind, ...]] = ("customer",)
    description = "customers with identity fields and address"
    order = 20

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "customer_id" in first and ("email" in first or "name" in first) \
                and "order_id" not in first and "turns" not in first and "event_type" not in first:
            return "JSON records with customer_id and email/name"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "customer", _customer)
