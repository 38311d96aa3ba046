"""``conversations-csv``: one turn a row, or one question/answer pair a row.

Turn rows: ``conversation_id, role, text[, timestamp, intent, category, resolution, customer_id,
product_ids]``; rows of one conversation must be consecutive. Pair rows: ``question, answer[,
conversation_id, intent, ...]``; each row is a two-turn conversation (id: content hash when the
``conversation_id`` column is absent).

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("conversations-csv").kinds
    ('conversation',)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection, short_hash
from ingest.textio import iter_csv_rows, open_text

LABELS = ("intent", "category", "resolution", "customer_id", "product_ids")


@register
class ConversationsCsv(Reader):
    name: ClassVar[str] = "conversations-csv"
    kinds: ClassVar[tuple[Kind, ...]] = ("conversation",)
    description = "service conversations as CSV: one turn or one question/answer pair a row"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if {"conversation_id", "role", "text"} <= set(header):
            return "CSV with conversation_id, role and text columns"
        if {"question", "answer"} <= set(header) and "human_ans_spans" not in header:
            return "CSV with question and answer columns"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            rows = iter_csv_rows(tf, (), any_of=(("text", "question"),))
            current: dict[str, Any] | None = None
            start = 0
            seen: set[str] = set()
            for line, row in rows:
                if isinstance(row, Rejection):
                    yield row
                    continue
                if "question" in row and "answer" in row and "role" not in row:
                    cid = row.get("conversation_id") or "csv-" + short_hash(row["question"], row["answer"])
                    data: dict[str, Any] = {
                        "conversation_id": cid,
                        "turns": [
                            {"role": "customer", "text": row["question"], "timestamp": row.get("timestamp")},
                            {"role": "agent", "text": row["answer"]},
                        ],
                        **{k: row[k] for k in LABELS if row.get(k)},
                        "timestamp": row.get("timestamp") or None,
                    }
                    yield RawItem(kind="conversation", data=data, file=path.name, line=line)
                    continue
                cid = (row.get("conversation_id") or "").strip()
                if not cid:
                    yield Rejection(file=path.name, line=line, field="conversation_id", message="is empty")
                    continue
                if current is not None and current["conversation_id"] == cid:
                    current["turns"].append(
                        {"role": row.get("role"), "text": row.get("text"), "timestamp": row.get("timestamp")}
                    )
                    for k in LABELS:
                        if row.get(k) and not current.get(k):
                            current[k] = row[k]
                    continue
                if current is not None:
                    yield RawItem(kind="conversation", data=current, file=path.name, line=start)
                if cid in seen:
                    # Not streamable: an earlier part was already handed on. Say so instead of
                    # silently replacing the first part with the second.
                    yield Rejection(
                        file=path.name,
                        line=line,
                        field="conversation_id",
                        message=f"{cid[:60]!r} appears again after other conversations; "
                        "rows of one conversation must be consecutive",
                    )
                    current = None
                    continue
                seen.add(cid)
                start = line
                current = {
                    "conversation_id": cid,
                    "turns": [{"role": row.get("role"), "text": row.get("text"), "timestamp": row.get("timestamp")}],
                    **{k: row[k] for k in LABELS if row.get(k)},
                }
            if current is not None:
                yield RawItem(kind="conversation", data=current, file=path.name, line=start)
