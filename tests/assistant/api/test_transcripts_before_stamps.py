"""Messages stored before verification stamps existed (``meta.verified_for``, migration 0006): read back with
the conversation token after the verification ended, those with personal details are hidden like stamped ones.

A module of its own: the migration marks the messages stored before the first stamped one, so this shop's
database must hold no stamped message when it runs."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from assistant.api.app import create_app
from assistant.services import Services
from assistant.store.models import Message
from tests.assistant.api.test_verification_expiry import ORDER, Chat, _idle, _verified, withheld_personal_details


def test_messages_stored_before_the_stamp_are_hidden_after_the_verification_ends(services: Services) -> None:
    client = TestClient(create_app(services, warm=False), client=("10.2.1.1", 50000))
    chat = Chat(client)
    _verified(chat)
    chat.say("How long does shipping take?")
    # As the code before the stamp stored them: no verified_for, the database at migration 0005.
    with services.db.session() as s:
        for m in s.scalars(select(Message)):
            m.meta = {k: v for k, v in (m.meta or {}).items() if k != "verified_for"}
        s.execute(text("update alembic_version set version_num = '0005'"))
    services.db.migrate()  # what the app does on start-up

    assert ORDER in json.dumps(chat.detail())  # still verified: the customer's own details are shown
    _idle(services, chat.id, 31)
    withheld = withheld_personal_details(chat.detail())
    assert {m["role"] for m in withheld} == {"customer", "assistant"}, withheld

    # The same customer verifies again: everything is back.
    chat.say("I'm Ravi Kulkarni, 48104")
    again = chat.detail()
    assert ORDER in json.dumps(again) and not [m for m in again["messages"] if m["meta"].get("withheld")]
