"""The mounted pages (issue 14): the console's and the admin's Gradio handlers check the role on the
server, whatever a browser sends; the customer page exposes none of them.

Each handler is called as a browser would, through the mounted app's ``/agent/gradio_api/...`` and
``/admin/gradio_api/...``: a guest or a forged session may run no agent or admin action, an agent
may run no admin-only one, and none of their calls changes the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.api.auth import SESSION_COOKIE, SessionSigner
from assistant.config import Settings
from assistant.server import create_server
from assistant.services import Services
from assistant.store.models import Conversation, Customer, Draft, Message, Order
from assistant.users import add_user, get_user
from tests.live_server import serving
from ui.auth import DENIED_MESSAGE

SECRET_TEXT = "please cancel order #Z9 going to 12 Secret Lane"
REPLY_DRAFT = "Sorry! Let me check."


@pytest.fixture
def shop(settings: Settings) -> Iterator[tuple[str, Services]]:
    svc = Services.build(settings)
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    add_user(svc.db, "root", "admin-pass-123", "admin")
    with svc.db.session() as s:
        s.add(Customer(id="C9", name="Cora Secretname", source="t", content_hash="x"))
        s.add(Order(id="#Z9", customer_id="C9", status="processing", source="t", content_hash="x"))
        s.add(Conversation(id="conv-1", status="handoff", intent="cancel_order", customer_id="C9"))
        s.flush()
        s.add(Message(conversation_id="conv-1", role="customer", text=SECRET_TEXT))
        s.add(
            Draft(
                conversation_id="conv-1",
                kind="order_action",
                content="",
                status="pending",
                payload={"action": "cancel", "order_id": "#Z9", "customer_id": "C9"},
            )
        )
        s.add(Draft(conversation_id="conv-1", kind="reply", content=REPLY_DRAFT, status="pending"))
    with serving(create_server(svc)) as url:
        yield url, svc


def _call(url: str, page: str, api_name: str, data: list[Any], cookies: dict[str, str]) -> tuple[int, str]:
    with httpx.Client(base_url=url, cookies=cookies, timeout=60) as http:
        r = http.post(f"{page}/gradio_api/call/{api_name}", json={"data": data})
        if r.status_code != 200:
            return r.status_code, r.text
        event_id = r.json()["event_id"]
        return 200, http.get(f"{page}/gradio_api/call/{api_name}/{event_id}").text


def _named_endpoints(url: str, page: str) -> set[str]:
    with httpx.Client(base_url=url, timeout=60) as http:
        info = http.get(f"{page}/gradio_api/info").json()
    return {name.lstrip("/") for name in info["named_endpoints"]}


def _session(svc: Services, username: str, role: str) -> dict[str, str]:
    user = get_user(svc.db, username)
    assert user is not None and user.role == role
    return {SESSION_COOKIE: svc.users.issue_session(user)[0]}


# Every named handler of each page, with inputs a browser could send (gr.State inputs are the
# session's own and are not sent). A new handler must be added here: the coverage test fails otherwise.
CONSOLE: list[tuple[str, list[Any]]] = [
    ("agent_queue", ["waiting"]),
    ("agent_open", ["conv-1", "waiting"]),
    ("agent_claim", ["waiting"]),
    ("agent_resolve", ["waiting"]),
    ("agent_reopen", ["waiting"]),
    ("agent_release", ["waiting"]),
    ("agent_approve", ["text", "", "waiting"]),
    ("agent_send", ["Sending anyway", "", "waiting"]),
    ("agent_reject", ["", "because", "waiting"]),
    ("agent_action_approve", ["", "", "", "waiting"]),
    ("agent_action_reject", ["", "because", "", "waiting"]),
    ("agent_suggest_ok", [None, "a note", ""]),
    ("agent_suggest_no", [None, "", "because"]),
    ("kb_list", []),
    ("kb_approve", [[], ""]),
    ("kb_reject", [[], "because"]),
    ("kb_open", [None]),
    ("kb_save", [None, "topic", "question", "answer"]),
    ("kb_save_approve", [None, "topic", "question", "answer"]),
]
ADMIN: list[tuple[str, list[Any]]] = [
    ("admin_stats", []),
    ("admin_analytics", [30]),
    ("admin_ingest", [None, "auto"]),
    ("admin_train", [1]),
    ("admin_checkpoints", []),
    ("admin_activate", [None]),
    ("admin_activate_new", []),
    ("admin_dialogue_runs", []),
    ("admin_dialogue_run", [None]),
    ("do_forget", ["C9", True]),
]
# Handlers that answer a refused caller with empty outputs instead of the sign-in message.
SILENT_WHEN_REFUSED = {"admin_stats"}
# The console's load-shaped answer to a caller without a session: the sign-in form, not the console.
SIGN_IN_SHOWN = 'data: [{"visible": true, "__type__": "update"}, {"visible": false, "__type__": "update"}'


def _assert_refused(api_name: str, status: int, body: str) -> None:
    assert status == 200, (api_name, body)
    for secret in (SECRET_TEXT, "#Z9", "Cora Secretname", REPLY_DRAFT, "Signed in as"):
        assert secret not in body, (api_name, secret, body)
    # Refused in words, or (a forged queue value) refused by the component's own validation.
    completed = "event: complete" in body and (
        api_name in SILENT_WHEN_REFUSED or DENIED_MESSAGE in body or SIGN_IN_SHOWN in body
    )
    rejected_input = "event: error" in body and "not in the list of choices" in body
    assert completed or rejected_input, (api_name, body)


def test_every_named_handler_of_the_console_and_the_admin_page_is_checked_here(shop: tuple[str, Services]) -> None:
    url, _ = shop
    assert _named_endpoints(url, "/agent") == {name for name, _ in CONSOLE}
    assert _named_endpoints(url, "/admin") == {name for name, _ in ADMIN}
    assert _named_endpoints(url, "") == {"chat", "handoff"}


def test_a_guest_or_a_forged_session_runs_no_console_or_admin_handler(shop: tuple[str, Services]) -> None:
    url, svc = shop
    before = svc.db.table_counts()
    forged = SessionSigner(b"not-the-shop-secret-000").issue("root", "admin")
    for cookies in ({}, {SESSION_COOKIE: "garbage"}, {SESSION_COOKIE: forged}):
        for page, handlers in (("/agent", CONSOLE), ("/admin", ADMIN)):
            for api_name, data in handlers:
                _assert_refused(api_name, *_call(url, page, api_name, data, cookies))
    assert svc.db.table_counts() == before
    with svc.db.session() as s:
        assert s.get(Order, "#Z9").status == "processing"  # type: ignore[union-attr]
        assert s.get(Customer, "C9") is not None  # not forgotten
        assert s.query(Message).filter(Message.role.in_(["agent", "system"])).count() == 0
        assert s.query(Draft).filter(Draft.status != "pending").count() == 0
        assert s.get(Conversation, "conv-1").status == "handoff"  # type: ignore[union-attr]


def test_an_agent_runs_no_admin_only_handler(shop: tuple[str, Services]) -> None:
    url, svc = shop
    before = svc.db.table_counts()
    agent = _session(svc, "ana", "agent")
    for api_name, data in ADMIN:
        status, body = _call(url, "/admin", api_name, data, agent)
        _assert_refused(api_name, status, body)
        assert "ana" not in body and "vectors" not in body, (api_name, body)
    assert svc.db.table_counts() == before
    with svc.db.session() as s:
        assert s.get(Customer, "C9") is not None


def test_an_agent_uses_the_console_and_an_admin_both_pages(shop: tuple[str, Services]) -> None:
    url, svc = shop
    for who in (_session(svc, "ana", "agent"), _session(svc, "root", "admin")):
        status, body = _call(url, "/agent", "agent_queue", ["waiting"], who)
        assert status == 200 and "Cancel order #Z9" in body and DENIED_MESSAGE not in body, body
    admin = _session(svc, "root", "admin")
    status, body = _call(url, "/admin", "admin_stats", [], admin)
    assert status == 200 and '"vectors"' in body and '"sql"' in body, body
    status, body = _call(url, "/admin", "admin_analytics", [30], admin)
    assert status == 200 and "event: complete" in body and DENIED_MESSAGE not in body, body


def test_the_customer_page_exposes_no_console_or_admin_handler(shop: tuple[str, Services]) -> None:
    url, svc = shop
    agent = _session(svc, "ana", "agent")
    for api_name, data in CONSOLE + ADMIN:
        status, body = _call(url, "", api_name, data, agent)
        assert status != 200 or "event: complete" not in body, (api_name, body)
        assert SECRET_TEXT not in body, (api_name, body)
    with httpx.Client(base_url=url, timeout=30) as http:
        config = http.get("/config").text
    assert "agent-queue" not in config and "admin-files" not in config
