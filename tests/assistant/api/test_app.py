"""The web app answering over real HTTP: uvicorn on a free port, the demo shop, the real models."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.config import Settings
from assistant.server import create_server
from assistant.services import Services
from tests.live_server import serving


@pytest.fixture(scope="module")
def base_url(demo_settings: Settings) -> Iterator[str]:
    with serving(create_server(Services.build(demo_settings))) as url:
        yield url


def test_health_reports_built_collections(base_url: str) -> None:
    r = httpx.get(f"{base_url}/healthz", timeout=10)
    assert r.status_code == 200
    assert r.json()["vectors"]["policies"] > 0


def test_returns_question_gets_a_cited_answer_over_http(base_url: str) -> None:
    conv = httpx.post(f"{base_url}/api/conversations", json={}, timeout=30).json()
    r = httpx.post(
        f"{base_url}/api/conversations/{conv['conversation_id']}/messages",
        json={"text": "How do I return a jacket that doesn't fit?"},
        headers={"X-Conversation-Token": conv["conversation_token"]},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["citations"], body
    assert "[1]" in body["text"]
    assert any("return" in (c["title"] + c["snippet"]).lower() for c in body["citations"])


def test_gradio_chat_endpoint_answers(base_url: str) -> None:
    """The browser's own endpoint: the conversation lives on the server, the reply carries citations."""
    from gradio_client import Client

    client = Client(base_url, verbose=False)
    outputs = client.predict("What is your return policy?", [], api_name="/chat")
    history = outputs[0]
    reply = str(history[-1]["content"])
    assert history[-2]["content"] == "What is your return policy?" or "return policy" in str(history[-2])
    assert "[1]" in reply
    assert "return" in reply.lower()


def test_openapi_schema_is_published(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    assert "/api/conversations" in schema["paths"]


def test_errors_never_show_a_stack_trace(base_url: str) -> None:
    r = httpx.post(f"{base_url}/api/conversations/does-not-exist/messages", json={"text": "hi"}, timeout=30)
    assert r.status_code in (404, 422)
    assert "Traceback" not in r.text
