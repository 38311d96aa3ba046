"""``amazon-lcrec``: Amazon reviews in LC-Rec layout: ``*.item.json`` catalog + ``*.inter.json`` sequences.

``<Name>.item.json`` maps item id -> ``{title, description, brand, categories}`` (products; the
category path is the comma-separated ``categories``). ``<Name>.inter.json`` maps user id -> the
time-ordered list of item ids they reviewed; each becomes a ``purchase`` event. The files carry
no times, so event timestamps are synthetic (2014-01-01 plus one hour per position) and only
their order is meaningful. The path may be the directory or either file.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("amazon-lcrec").kinds
    ('product', 'event')
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection
from ingest.textio import iter_json_records, open_text

EPOCH = datetime(2014, 1, 1, tzinfo=UTC)


@register
class AmazonLcrec(Reader):
    name: ClassVar[str] = "amazon-lcrec"
    aliases: ClassVar[tuple[str, ...]] = ("lcrec",)
    kinds: ClassVar[tuple[Kind, ...]] = ("product", "event")
    description = "Amazon LC-Rec item.json (catalog) and inter.json (purchase sequences)"
    order = 10

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if path.name.endswith(".item.json"):
            return "LC-Rec *.item.json"
        if path.name.endswith(".inter.json"):
            return "LC-Rec *.inter.json"
        return None

    def sniff_dir(self, path: Path) -> str | None:
        if any(path.glob("*.item.json")) or any(path.glob("*.inter.json")):
            return "directory with *.item.json / *.inter.json (LC-Rec)"
        return None

    def expand(self, path: Path) -> list[Path]:
        if path.is_dir():
            return sorted(path.glob("*.item.json")) + sorted(path.glob("*.inter.json"))
        return [path]

    def default_source(self, path: Path) -> str:
        name = path.name if path.is_dir() else path.name.split(".")[0]
        return f"{self.name}:{name}"

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        inter = path.name.endswith(".inter.json")
        with ctx.attach(open_text(path)) as tf:
            for line, key, value in iter_json_records(tf):
                if isinstance(value, Rejection):
                    yield value
                    continue
                if inter:
                    if not isinstance(value, list):
                        yield Rejection(
                            file=path.name, line=line, field=str(key), message="expected a list of item ids"
                        )
                        continue
                    for pos, item in enumerate(value):
                        yield RawItem(
                            kind="event",
                            data={"customer_id": key, "product_id": item, "event_type": "purchase",
                                  "timestamp": (EPOCH + timedelta(hours=pos)).isoformat()},
                            file=path.name,
                            line=line,
                        )
                    continue
                if not isinstance(value, dict):
                    yield Rejection(file=path.name, line=line, field=str(key), message="expected an item object")
                    continue
                title = html.unescape(str(value.get("title") or "")).strip()
                # A few items have no title; keep them (they appear in purchase sequences).
                name = title or html.unescape(str(value.get("description") or ""))[:80].strip() or f"Item {key}"
                data = {
                    "product_id": key,
                    "name": name,
                    "brand": html.unescape(str(value.get("brand") or "")),
                    "category": html.unescape(str(value.get("categories") or "")),
                    "description": html.unescape(str(value.get("description") or "")),
                }
                yield RawItem(kind="product", data=data, file=path.name, line=line)
