"""The mounted pages (issue 14): the console's and the admin's Gradio handlers check the role on the
server, whatever a browser sends; the customer page exposes none of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.api.auth import SESSION_COOKIE, signer_for
from assistant.config import Settings
from assistant.server import create_server
from assistant.services import Services
from assistant.store.models import Conversation, Draft, Message, Order
from assistant.users import add_user
from tests.live_server import serving
from ui.auth import DENIED_MESSAGE

SECRET_TEXT = "please cancel order #Z9 going to 12 Secret Lane"


@pytest.fixture
def shop(settings: Settings) -> Iterator[tuple[str, Services]]:
    svc = Services.build(settings)
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    with svc.db.session() as s:
        s.add(Order(id="#Z9", customer_id=None, status="processing", source="t", content_hash="x"))
        s.add(Conversation(id="conv-1", status="handoff", intent="cancel_order", customer_id="C9"))
        s.flush()
        s.add(Message(conversation_id="conv-1", role="customer", text=SECRET_TEXT))
        s.add(Draft(conversation_id="conv-1", kind="order_action", content="", status="pending",
                    payload={"action": "cancel", "order_id": "#Z9", "customer_id": "C9"}))
    with serving(create_server(svc)) as url:
        yield url, svc


def _call(url: str, page: str, api_name: str, data: list[Any], cookies: dict[str, str]) -> tuple[int, str]:
    with httpx.Client(base_url=url, cookies=cookies, timeout=60) as http:
        r = http.post(f"{page}/gradio_api/call/{api_name}", json={"data": data})
        if r.status_code != 200:
            return r.status_code, r.text
        event_id = r.json()["event_id"]
        return 200, http.get(f"{page}/gradio_api/call/{api_name}/{event_id}").text


CONSOLE = [
    ("agent_queue", ["waiting"]),
    ("agent_open", ["conv-1", "waiting"]),
    ("agent_claim", ["waiting"]),
    ("agent_resolve", ["waiting"]),
    ("agent_reopen", ["waiting"]),
    ("agent_approve", ["text", "", "waiting"]),
    ("agent_action_approve", ["", "", "", "waiting"]),
]


def test_console_handlers_refuse_a_browser_without_an_agent_session(shop: tuple[str, Services]) -> None:
    url, svc = shop
    customer = {SESSION_COOKIE: "forged"}
    for api_name, data in CONSOLE:
        status, body = _call(url, "/agent", api_name, data, customer)
        assert status == 200, (api_name, body)
        assert SECRET_TEXT not in body and "#Z9" not in body, (api_name, body)
        # Refused in words, or (a forged queue value) refused by the component's own validation.
        sign_in_shown = 'data: [{"visible": true, "__type__": "update"}, {"visible": false, "__type__": "update"}'
        assert ("event: complete" in body and (DENIED_MESSAGE in body or sign_in_shown in body)) or (
            "event: error" in body and "not in the list of choices" in body), (api_name, body)
    with svc.db.session() as s:
        assert s.get(Order, "#Z9").status == "processing"  # type: ignore[union-attr]
        assert s.query(Message).filter(Message.role.in_(["agent", "system"])).count() == 0
        assert s.get(Conversation, "conv-1").status == "handoff"  # type: ignore[union-attr]


def test_the_customer_page_exposes_no_console_or_admin_handler(shop: tuple[str, Services]) -> None:
    url, _ = shop
    agent = {SESSION_COOKIE: signer_for(_.settings).issue("ana", "agent")}
    for api_name in ("agent_queue", "agent_open", "agent_action_approve", "admin_train", "admin_stats"):
        status, body = _call(url, "", api_name, ["waiting"], agent)
        assert status != 200 or "event: complete" not in body or SECRET_TEXT not in body, (api_name, body)
        assert SECRET_TEXT not in body
    with httpx.Client(base_url=url, timeout=30) as http:
        config = http.get("/config").text
    assert "agent-queue" not in config and "admin-files" not in config
    # With an agent session, the console answers (the call itself works).
    status, body = _call(url, "/agent", "agent_queue", ["waiting"], agent)
    assert status == 200 and "Cancel order #Z9" in body, body
