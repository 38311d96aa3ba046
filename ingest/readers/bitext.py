"""``bitext``: the Bitext customer-support CSV; each row one resolved single-turn conversation.

Columns used: ``instruction`` (customer), ``response`` (agent), ``intent``, ``category``. The
conversation id is a hash of intent and instruction, so an edited reply replaces the old one.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("bitext").kinds
    ('conversation',)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection, short_hash
from ingest.textio import iter_csv_rows, open_text


@register
class Bitext(Reader):
    name: ClassVar[str] = "bitext"
    kinds: ClassVar[tuple[Kind, ...]] = ("conversation",)
    description = "Bitext customer-support CSV (instruction, response, intent, category)"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if {"instruction", "response", "intent"} <= set(header):
            return "CSV with instruction, response and intent columns (Bitext)"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            for line, row in iter_csv_rows(tf, ("instruction", "response", "intent")):
                if isinstance(row, Rejection):
                    yield row
                    continue
                intent = row.get("intent", "")
                data = {
                    "conversation_id": "bitext-" + short_hash(intent, row["instruction"]),
                    "turns": [
                        {"role": "customer", "text": row["instruction"]},
                        {"role": "agent", "text": row["response"]},
                    ],
                    "intent": intent,
                    "category": row.get("category", "").lower(),
                    "resolution": "resolved",
                }
                yield RawItem(kind="conversation", data=data, file=path.name, line=line)
