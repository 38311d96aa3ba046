"""``events-jsonl`` / ``events-csv``: behavior events (customer, product, event type, time, session).

Schema: ``{"customer_id", "product_id", "event_type": view|click|cart|purchase|review (common
aliases such as add_to_cart accepted), "timestamp", "session_id"?}``.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("events-csv").kinds
    ('event',)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind, RawItem, Rejection
from ingest.textio import iter_csv_rows, open_text


@register
class EventsJsonl(Reader):
    name: ClassVar[str] = "events-jsonl"
    aliases: ClassVar[tuple[str, ...]] = ("events", "events-json")
    kinds: ClassVar[tuple[Kind, ...]] = ("event",)
    description = "behavior events, one JSON object a line"
    order = 40

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "event_type" in first:
            return "JSON records with event_type"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "event")


@register
class EventsCsv(Reader):
    name: ClassVar[str] = "events-csv"
    kinds: ClassVar[tuple[Kind, ...]] = ("event",)
    description = "behavior events as CSV"
    order = 40

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if {"customer_id", "product_id", "event_type"} <= set(header):
            return "CSV with customer_id, product_id and event_type columns"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            for line, row in iter_csv_rows(tf, ("customer_id", "product_id", "event_type", "timestamp")):
                if isinstance(row, Rejection):
                    yield row
                else:
                    yield RawItem(kind="event", data=dict(row), file=path.name, line=line)
