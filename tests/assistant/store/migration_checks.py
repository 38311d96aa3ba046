"""Checks of data migrations, run on SQLite (tests/assistant/store) and PostgreSQL (tests/integration)."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import create_engine, select, text

from assistant.store.db import alembic_config
from assistant.store.models import Conversation, Message


def check_unstamped_messages_backfill(url: str) -> None:
    """Migration 0006 on a database at 0005: the messages stored before the first verification stamp are
    marked ``verified_for: true`` (their other meta kept), the stamped one and every later one are left as
    they are; downgrade removes only the marks; upgrading again gives the same result."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0005")
    engine = create_engine(url)
    old_guests = 1200  # more than one batch of the migration
    with engine.begin() as conn:
        conn.execute(Conversation.__table__.insert(), [{"id": "c-old", "status": "open", "summary": "", "state": {}}])
        rows: list[dict[str, Any]] = [
            {"conversation_id": "c-old", "role": "customer", "text": f"message {i}", "citations": [], "meta": {}}
            for i in range(old_guests)
        ]
        rows += [
            {
                "conversation_id": "c-old",
                "role": "assistant",
                "text": "Order #1: shipped",
                "citations": [],
                "meta": {"language": "en"},
            },
            {
                "conversation_id": "c-old",
                "role": "assistant",
                "text": "Order #2: shipped",
                "citations": [],
                "meta": {"language": "en", "verified_for": "C9"},
            },
            {
                "conversation_id": "c-old",
                "role": "customer",
                "text": "a guest's own words",
                "citations": [],
                "meta": {"session_events": []},
            },
        ]
        conn.execute(Message.__table__.insert(), rows)

    def metas() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return [dict(m) for m in conn.scalars(select(Message.meta).order_by(Message.id))]

    before = metas()
    command.upgrade(cfg, "head")
    after = metas()
    n = old_guests + 1
    assert all(m == {"verified_for": True} for m in after[:old_guests]), after[:3]
    assert after[old_guests] == {"language": "en", "verified_for": True}
    assert after[n:] == before[n:]  # the stamped message and the later unstamped one are left alone
    command.downgrade(cfg, "0005")
    assert metas() == before
    command.upgrade(cfg, "head")
    assert metas() == after
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0006"
    engine.dispose()
