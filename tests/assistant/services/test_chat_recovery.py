"""A customer message a crashed worker left unanswered is marked failed when the conversation is next
opened through the chat service (issue 15's recovery, wired into ChatService)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from assistant.config import Settings
from assistant.ops.recovery import NOTICE
from assistant.services import Services
from assistant.services.types import Caller
from assistant.store.models import Message


def _unanswered(services: Services, conversation_id: str, text: str, age_s: float) -> int:
    with services.db.session() as s:
        m = Message(
            conversation_id=conversation_id,
            role="customer",
            text=text,
            created_at=datetime.now(UTC) - timedelta(seconds=age_s),
        )
        s.add(m)
        s.flush()
        return int(m.id)


def _meta(services: Services, message_id: int) -> dict[str, object]:
    with services.db.session() as s:
        m = s.get(Message, message_id)
        assert m is not None
        return dict(m.meta or {})


def test_opening_a_conversation_answers_a_message_left_behind_by_a_crash(settings: Settings) -> None:
    services = Services.build(settings)
    chat = services.chat
    started = chat.start()
    cid, caller = started.conversation_id, Caller(conversation_token=started.conversation_token)
    grace = settings.unanswered_grace_seconds
    old = _unanswered(services, cid, "where is my parcel?", grace + 60)

    detail = chat.detail(cid, caller)

    assert _meta(services, old).get("delivery") == "failed"
    notices = [m for m in detail.messages if m.role == "system" and m.text == NOTICE["en"]]
    assert len(notices) == 1, [(m.role, m.text) for m in detail.messages]
    # Idempotent: opening it again adds nothing; a message still within the grace is left alone.
    young = _unanswered(services, cid, "hello?", 1)
    history = chat.history(cid, caller)
    assert [m.text for m in history].count(NOTICE["en"]) == 1
    assert _meta(services, young).get("delivery") is None
    with services.db.session() as s:
        system = s.scalars(select(Message).where(Message.conversation_id == cid, Message.role == "system")).all()
        assert [m.meta.get("failed") for m in system if m.meta and m.meta.get("recovery")] == [[old]]
