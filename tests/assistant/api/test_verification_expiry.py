"""A customer's identity check in a conversation lasts while they keep talking: after
``security.verification_idle_minutes`` without a message from them, whoever holds the browser (the
conversation cookie lives 30 days) must verify again before order details are shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assistant.api.app import create_app
from assistant.services import Services
from assistant.services.users import mint_identity_token
from assistant.store.models import Conversation, Message

ORDER = "#JP1054"  # Ravi Kulkarni's (zip 48104) in the demo shop


class Chat:
    def __init__(self, client: TestClient, body: dict[str, Any] | None = None) -> None:
        self.client = client
        started = client.post("/api/conversations", json=body or {}).json()
        self.id = started["conversation_id"]
        self.head = {"X-Conversation-Token": started["conversation_token"]}

    def say(self, text: str) -> dict[str, Any]:
        r = self.client.post(f"/api/conversations/{self.id}/messages", json={"text": text}, headers=self.head)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def detail(self) -> dict[str, Any]:
        return self.client.get(f"/api/conversations/{self.id}", headers=self.head).json()  # type: ignore[no-any-return]


def _idle(services: Services, conversation_id: str, minutes: float) -> None:
    """The customer last wrote ``minutes`` ago (and the conversation was opened before that)."""
    then = datetime.now(UTC) - timedelta(minutes=minutes)
    with services.db.session() as s:
        s.execute(update(Message).where(Message.conversation_id == conversation_id).values(created_at=then))
        s.execute(update(Conversation).where(Conversation.id == conversation_id).values(created_at=then))


@pytest.fixture(scope="module")
def client(services: Services) -> TestClient:
    return TestClient(create_app(services, warm=False), client=("10.2.0.1", 50000))


def _verified(chat: Chat) -> None:
    chat.say("Where is my order?")
    reply = chat.say("I'm Ravi Kulkarni, 48104")
    assert ORDER in reply["text"], reply["text"]


def withheld_personal_details(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The withheld messages of a transcript read back after the verification ended, checking that Ravi's order,
    name and zip show nowhere, each withheld message says how to see it again, and the shipping question and its
    answer (nothing personal) are kept."""
    import json

    shown = json.dumps(detail)
    for secret in (ORDER, "JP1054", "48104", "Kulkarni"):
        assert secret not in shown, [m["text"] for m in detail["messages"]]
    withheld = [m for m in detail["messages"] if m["meta"].get("withheld")]
    assert all("confirm who you are again" in m["text"] for m in withheld)
    texts = [m["text"] for m in detail["messages"]]
    assert "Where is my order?" in texts and "How long does shipping take?" in texts  # nothing personal: kept
    assert any("business day" in t.lower() for t in texts), texts  # the shipping answer
    return withheld


def test_a_verification_ends_after_the_idle_time(services: Services, client: TestClient) -> None:
    assert services.settings.security.verification_idle_minutes == 30
    chat = Chat(client)
    _verified(chat)
    _idle(services, chat.id, 29)
    assert ORDER in chat.say("where is my order?")["text"]  # still within the half hour
    _idle(services, chat.id, 31)
    reply = chat.say("where is my order?")
    assert reply["needs_identity"] and ORDER not in reply["text"], reply["text"]
    assert chat.detail()["verified_customer_id"] is None
    # "the first one" no longer points at an order shown before.
    assert ORDER not in chat.say("what about the first one?")["text"]
    # Verifying again works as before.
    reply = chat.say("I'm Ravi Kulkarni, 48104")
    assert ORDER in reply["text"], reply["text"]


def test_a_signed_in_conversation_asks_again_after_the_idle_time(services: Services, client: TestClient) -> None:
    from sqlalchemy import select

    from assistant.store.models import Customer

    with services.db.session() as s:
        ravi = s.scalar(select(Customer.id).where(Customer.name == "Ravi Kulkarni"))
    assert ravi
    chat = Chat(client, {"identity_token": mint_identity_token(services.settings, ravi)})
    assert ORDER in chat.say("where is my order?")["text"]
    _idle(services, chat.id, 45)
    reply = chat.say("where is my order?")
    assert reply["needs_identity"] and ORDER not in reply["text"], reply["text"]
    assert "signed in" not in reply["text"].lower()


def test_the_idle_time_is_a_setting(services: Services) -> None:
    security = services.settings.security.model_copy(update={"verification_idle_minutes": 240})
    longer = Services.build(services.settings.model_copy(update={"security": security}))
    chat = Chat(TestClient(create_app(longer, warm=False), client=("10.2.0.2", 50000)))
    _verified(chat)
    _idle(longer, chat.id, 120)
    assert ORDER in chat.say("where is my order?")["text"]
    _idle(longer, chat.id, 241)
    assert ORDER not in chat.say("where is my order?")["text"]


def test_reading_back_after_the_idle_time_withholds_personal_details(services: Services, client: TestClient) -> None:
    """The transcript (and the agents' messages) read with the conversation token alone, once the verification
    ended: the messages with order details, the name and the zip are replaced by a notice until the customer
    verifies again; the rest of the conversation stays readable, and staff still read everything."""
    import json

    chat = Chat(client)
    _verified(chat)
    chat.say("How long does shipping take?")
    chat.say("I want to talk to a human agent please")
    agent = TestClient(create_app(services, warm=False), client=("10.2.9.9", 50000))
    assert agent.post("/api/auth/login", json={"username": "ana", "password": "agent-pass-123"}).status_code == 200
    r = agent.post(f"/api/agent/conversations/{chat.id}/reply", json={"text": f"Ravi, order {ORDER} ships tomorrow."})
    assert r.status_code == 200, r.text
    polled = f"/api/conversations/{chat.id}/agent-messages"
    assert ORDER in json.dumps(chat.detail()) and ORDER in client.get(polled, headers=chat.head).text

    _idle(services, chat.id, 31)
    withheld = withheld_personal_details(chat.detail())
    assert {m["role"] for m in withheld} >= {"customer", "assistant", "agent"}, withheld
    agent_messages = client.get(polled, headers=chat.head).json()
    assert agent_messages and ORDER not in json.dumps(agent_messages)
    assert agent_messages[-1]["meta"]["withheld"] is True

    # Staff read the stored transcript.
    assert ORDER in agent.get(f"/api/conversations/{chat.id}").text

    # Back with the assistant, the same customer verifies again: everything is back.
    assert agent.post(f"/api/agent/conversations/{chat.id}/release").status_code == 200
    chat.say("I'm Ravi Kulkarni, 48104")
    again = chat.detail()
    assert ORDER in json.dumps(again) and not [m for m in again["messages"] if m["meta"].get("withheld")]
