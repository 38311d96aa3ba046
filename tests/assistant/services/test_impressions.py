"""The product cards shown with a reply are stored as impressions of that reply, in its transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import Caller
from assistant.store.models import Impression, Message


def test_a_replys_cards_are_stored_with_the_reply_in_one_transaction(demo_copy: Settings) -> None:
    services = Services.build(demo_copy)
    started = services.chat.start()
    me = Caller(conversation_token=started.conversation_token)
    services.chat.send(started.conversation_id, me, "Hello")
    transactions: list[set[str]] = [set()]  # the kinds of rows each committed transaction inserted

    def flushed(session: Session, _ctx: Any) -> None:
        transactions[-1].update(type(o).__name__ for o in session.new)

    def committed(_session: Session) -> None:
        transactions.append(set())

    event.listen(Session, "after_flush", flushed)
    event.listen(Session, "after_commit", committed)
    try:
        turn = services.chat.send(started.conversation_id, me, "I need a warm sleeping bag for winter camping")
    finally:
        event.remove(Session, "after_flush", flushed)
        event.remove(Session, "after_commit", committed)
    assert turn.recommendations, "the demo shop recommends products for this request"
    with services.db.session() as s:
        stored = s.scalars(
            select(Impression.product_id).where(Impression.message_id == turn.message_id).order_by(Impression.id)
        ).all()
        reply = s.get(Message, turn.message_id)
    assert list(stored) == [r.product_id for r in turn.recommendations]
    assert reply is not None and reply.role == "assistant"
    with_impressions = [t for t in transactions if "Impression" in t]
    assert with_impressions == [{"Message", "Impression"}], transactions
