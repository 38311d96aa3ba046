"""``qa-jsonl``: product question/answer pairs.

Schema: ``{"qa_id", "product_id", "question", "answer", "timestamp"?}``; without ``qa_id`` the
id is a hash of product, question and answer.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("qa").name
    'qa-jsonl'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind, short_hash


def _qa(key: str | int, value: dict[str, Any]) -> dict[str, Any]:
    if "qa_id" not in value:
        qid = value.get("id") or "qa-" + short_hash(value.get("product_id"), value.get("question"), value.get("answer"))
        value = {**value, "qa_id": qid}
    return value


@register
class QaJsonl(Reader):
    name: ClassVar[str] = "qa-jsonl"
    aliases: ClassVar[tuple[str, ...]] = ("qa", "qa-json")
    kinds: ClassVar[tuple[Kind, ...]] = ("qa",)
    description = "product question/answer pairs"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "question" in first and "answer" in first and "product_id" in first:
            return "JSON records with product_id, question and answer"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "qa", _qa)
