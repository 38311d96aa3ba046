"""Recovery after a crash: a customer message left without a reply is marked failed, and said so.

A worker killed between storing a customer's message and storing the reply leaves the message
unanswered. When the conversation is next opened (history, next message), :func:`recover_unanswered`
marks every such message older than ``settings.unanswered_grace_seconds`` (younger ones may still be
in flight on another worker) as failed (``meta["delivery"] = "failed"``) and adds one system message
asking the customer to send it again, in the conversation's language. It is idempotent.

Interrupted ingestion runs are handled by the next run of the same source (``ingest.pipeline``):
the run still marked ``running`` becomes ``interrupted`` and its work is reconciled and resumed.

Example:
    >>> recover_unanswered(db, "conv-1", grace_seconds=120)  # doctest: +SKIP
    RecoveryResult(conversation_id='conv-1', failed_message_ids=[42])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from assistant.store.models import Conversation, Message

if TYPE_CHECKING:
    from assistant.store.db import Database

#: Roles whose message answers every customer message before it.
ANSWER_ROLES = ("assistant", "agent", "system")

NOTICE = {
    "en": "Sorry, your last message was not answered because of a technical interruption. Please send it again.",
    "zh": "抱歉，由于技术中断，您的上一条消息未能得到回复。请重新发送。",
}


@dataclass(frozen=True)
class RecoveryResult:
    conversation_id: str
    failed_message_ids: list[int] = field(default_factory=list)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def recover_unanswered(db: Database, conversation_id: str, *, grace_seconds: float = 120.0) -> RecoveryResult:
    """Mark unanswered customer messages of one conversation failed (see the module docstring)."""
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    with db.session() as s:
        conv = s.get(Conversation, conversation_id)
        if conv is None or conv.status == "handoff":  # a handoff's messages wait for a person, not a reply
            return RecoveryResult(conversation_id)
        query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        messages = list(s.scalars(query))
        failed: list[Message] = []
        for i, m in enumerate(messages):
            if m.role != "customer" or (m.meta or {}).get("delivery") == "failed":
                continue
            answered = any(n.role in ANSWER_ROLES for n in messages[i + 1 :])
            if not answered and _aware(m.created_at) < cutoff:
                failed.append(m)
        if not failed:
            return RecoveryResult(conversation_id)
        for m in failed:
            m.meta = {**(m.meta or {}), "delivery": "failed"}
        lang = "zh" if (conv.language or "").startswith("zh") else "en"
        s.add(Message(conversation_id=conversation_id, role="system", text=NOTICE[lang],
                      meta={"recovery": True, "failed": [m.id for m in failed]}))
        return RecoveryResult(conversation_id, [m.id for m in failed])
