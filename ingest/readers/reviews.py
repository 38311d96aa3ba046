"""``reviews-jsonl`` / ``reviews-csv``: product reviews.

Schema: ``{"review_id", "product_id", "rating"?, "title"?, "text", "author_id"?, "timestamp"?}``.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("reviews").name
    'reviews-jsonl'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind, RawItem, Rejection
from ingest.textio import iter_csv_rows, open_text


@register
class ReviewsJsonl(Reader):
    name: ClassVar[str] = "reviews-jsonl"
    aliases: ClassVar[tuple[str, ...]] = ("reviews", "reviews-json")
    kinds: ClassVar[tuple[Kind, ...]] = ("review",)
    description = "product reviews, one JSON object a line"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "review_id" in first and "product_id" in first:
            return "JSON records with review_id and product_id"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "review")


@register
class ReviewsCsv(Reader):
    name: ClassVar[str] = "reviews-csv"
    kinds: ClassVar[tuple[Kind, ...]] = ("review",)
    description = "product reviews as CSV"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if {"review_id", "product_id", "text"} <= set(header):
            return "CSV with review_id, product_id and text columns"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            for line, row in iter_csv_rows(tf, ("review_id", "product_id", "text")):
                if isinstance(row, Rejection):
                    yield row
                else:
                    yield RawItem(kind="review", data=dict(row), file=path.name, line=line)
