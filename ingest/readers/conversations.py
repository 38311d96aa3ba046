"""``conversations-jsonl`` / ``conversations-json``: one service conversation a record.

Schema: ``{"conversation_id", "turns": [{"role", "text", "timestamp"?}], "intent"?,
"resolution"?, "customer_id"?, "category"?, "product_ids"?}``; JSON Lines, a JSON array, or an
object of id -> conversation.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("conversations-json").name
    'conversations-jsonl'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, items_from_records, register
from ingest.records import Kind


def _with_id(key: str | int, value: dict[str, Any]) -> dict[str, Any]:
    if "conversation_id" not in value:
        for alt in ("id", "convo_id", "dialogue_id"):
            if alt in value:
                return {**value, "conversation_id": value[alt]}
        if isinstance(key, str):
            return {**value, "conversation_id": key}
    return value


@register
class ConversationsJson(Reader):
    name: ClassVar[str] = "conversations-jsonl"
    aliases: ClassVar[tuple[str, ...]] = ("conversations-json", "conversations")
    kinds: ClassVar[tuple[Kind, ...]] = ("conversation",)
    description = "service conversations, one a record (JSON Lines or JSON)"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and isinstance(first.get("turns"), list):
            return "JSON records with a 'turns' list"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        return items_from_records(path, ctx, "conversation", _with_id)
