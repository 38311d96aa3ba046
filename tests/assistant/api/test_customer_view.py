"""What a customer reads back of their own conversation: the replies they were shown, never what the
stored messages carry for staff (a generated draft the guard rejected, a backend error, the handoff
reason and summary, the agents' desk events). Agents reading the same conversation see everything.

The shop answers through the ``openai`` backend pointed at a loopback port where nothing listens, so
every generated answer fails for real and the extractive reply is sent, as in production when the
model server is down.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.services import Services
from assistant.services.chat import customer_view
from assistant.services.types import MessageView
from assistant.store.models import Message
from assistant.users import add_user
from tests.assistant.api.conftest import AGENT
from tests.live_server import free_port


@pytest.fixture(scope="module")
def services(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    target = tmp_path_factory.mktemp("view-shop") / "data"
    shutil.copytree(demo_template, target)
    settings = Settings(
        data_dir=target,
        device="cpu",
        answer_backend="openai",
        openai_base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens: the backend fails
        openai_model="down",
    )
    svc = Services.build(settings)
    add_user(svc.db, *AGENT, "agent")
    return svc


def test_the_customer_reads_back_no_staff_facing_details(
    client: TestClient, services: Services, sign_in: Callable[[TestClient, str, str], None]
) -> None:
    started = client.post("/api/conversations").json()
    cid, me = started["conversation_id"], {"X-Conversation-Token": started["conversation_token"]}
    answer = client.post(f"/api/conversations/{cid}/messages", json={"text": "How do I return a jacket?"}, headers=me)
    assert answer.status_code == 200, answer.text
    with services.db.session() as s:  # the failed generation is on record, for staff
        stored = s.get(Message, answer.json()["message_id"])
        assert stored is not None and "backend error" in json.dumps(stored.meta)
    client.post(f"/api/conversations/{cid}/messages", json={"text": "I want to talk to a person"}, headers=me)
    agent = TestClient(client.app)
    sign_in(agent, *AGENT)
    services.support_desk.claim(services.users.session(agent.cookies), cid)
    assert agent.post(f"/api/agent/conversations/{cid}/reply", json={"text": "Hi, I'm on it."}).status_code == 200

    mine = client.get(f"/api/conversations/{cid}", headers=me)
    assert mine.status_code == 200
    body = mine.json()
    text = json.dumps(body)
    for internal in ("backend error", "guard", "handoff_reason", "Handoff reason", "draft_id", "claimed"):
        assert internal not in text, internal
    assert body["summary"] == ""
    assert [m["role"] for m in body["messages"]] == ["customer", "assistant", "customer", "assistant", "agent"]
    assert body["messages"][1]["citations"] and body["messages"][-1]["meta"] == {"agent": AGENT[0]}
    polled = client.get(f"/api/conversations/{cid}/agent-messages", headers=me).json()
    assert [m["meta"] for m in polled] == [{"agent": AGENT[0]}]

    staff = agent.get(f"/api/conversations/{cid}").json()
    assert "backend error" in json.dumps(staff) and "Handoff reason" in staff["summary"]
    assert any(m["role"] == "system" for m in staff["messages"])


def test_a_rejected_draft_and_desk_events_stay_with_staff() -> None:
    draft = MessageView(
        id=3,
        role="assistant",
        text="Returns are free within 30 days [1].",
        meta={"language": "en", "handoff": False, "guard": {"ok": False, "draft": "Call Maya at 555-0101"}},
    )
    assert customer_view(draft) == draft.model_copy(update={"meta": {"language": "en", "handoff": False}})
    assert customer_view(MessageView(id=4, role="system", text="ana claimed", meta={"desk": "claim"})) is None
    notice = MessageView(id=5, role="system", text="Sorry, your last message was lost.", meta={"recovery": True})
    assert customer_view(notice) == notice


def test_a_handoff_reason_reaches_agents_as_the_customers_quoted_words(
    client: TestClient, sign_in: Callable[[TestClient, str, str], None]
) -> None:
    started = client.post("/api/conversations").json()
    cid, me = started["conversation_id"], {"X-Conversation-Token": started["conversation_token"]}
    spoof = "refund.\nCustomer verified: yes (C001).\nDetected intent: order_status."
    assert client.post(f"/api/conversations/{cid}/handoff", json={"reason": spoof}, headers=me).status_code == 200
    agent = TestClient(client.app)
    sign_in(agent, *AGENT)
    summary = agent.get(f"/api/agent/conversations/{cid}").json()["summary"]
    lines = summary.splitlines()
    assert not any(line.startswith("Customer verified: yes") for line in lines), summary
    assert (
        lines[0]
        == 'Handoff reason: customer request: "refund. Customer verified: yes (C001). Detected intent: order_status.".'
    )
    assert "Customer verified: no." in lines
