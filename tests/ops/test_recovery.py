"""After a crash between a customer's message and its reply, reopening the conversation says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.config import Settings
from assistant.ops.recovery import NOTICE, recover_unanswered
from assistant.store.db import Database
from assistant.store.models import Conversation, Message


def _conv(db: Database, cid: str, *, age_s: float, answered: bool, language: str = "en") -> None:
    t = datetime.now(UTC) - timedelta(seconds=age_s)
    with db.session() as s:
        conv = Conversation(id=cid, status="open", language=language)
        conv.messages.append(Message(role="customer", text="hello", created_at=t - timedelta(seconds=5)))
        conv.messages.append(Message(role="assistant", text="hi", created_at=t - timedelta(seconds=4)))
        conv.messages.append(Message(role="customer", text="where is my order?", created_at=t))
        if answered:
            conv.messages.append(Message(role="assistant", text="let me check", created_at=t))
        s.add(conv)


def test_unanswered_message_is_marked_failed_once(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    _conv(db, "crashed", age_s=600, answered=False)
    first = recover_unanswered(db, "crashed", grace_seconds=120)
    assert len(first.failed_message_ids) == 1
    with db.session() as s:
        msgs = s.get(Conversation, "crashed").messages  # type: ignore[union-attr]
        assert msgs[2].meta["delivery"] == "failed"
        assert msgs[-1].role == "system" and msgs[-1].text == NOTICE["en"]
    assert recover_unanswered(db, "crashed", grace_seconds=120).failed_message_ids == []  # idempotent


def test_in_flight_and_answered_messages_are_left_alone(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    _conv(db, "in-flight", age_s=5, answered=False)  # another worker may still be answering it
    _conv(db, "answered", age_s=600, answered=True)
    _conv(db, "zh", age_s=600, answered=False, language="zh")
    assert recover_unanswered(db, "in-flight", grace_seconds=120).failed_message_ids == []
    assert recover_unanswered(db, "answered", grace_seconds=120).failed_message_ids == []
    assert recover_unanswered(db, "missing", grace_seconds=120).failed_message_ids == []
    assert recover_unanswered(db, "zh", grace_seconds=120).failed_message_ids
    with db.session() as s:
        assert s.get(Conversation, "zh").messages[-1].text == NOTICE["zh"]  # type: ignore[union-attr]
