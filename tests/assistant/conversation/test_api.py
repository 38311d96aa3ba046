"""The scripted demo conversation through the HTTP API (FastAPI TestClient, real components)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.conversation_routes import router
from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.vectors import VectorStore


@pytest.fixture
def client(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> TestClient:
    app = FastAPI()
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    app.state.assistant = Assistant(s, Database(s), VectorStore(s, embedder=embedder))
    app.include_router(router)
    return TestClient(app)


def test_scripted_demo_conversation(client: TestClient) -> None:
    cid = client.post("/api/conversations", json={"customer_id": "C001"}).json()["conversation_id"]
    send = f"/api/conversations/{cid}/messages"

    r = client.post(send, json={"text": "What is your return policy for shoes?"}).json()
    assert r["citations"][0]["collection"] == "policies" and "[1]" in r["text"]
    assert r["recommendations"] and all(x["reason"] for x in r["recommendations"])

    r = client.post(send, json={"text": "Where is my order #JP1053?"}).json()
    assert r["needs_identity"] and "JP1053" not in r["text"]
    assert r["recommendations"]

    r = client.post(send, json={"text": "Maya Okafor, 97214"}).json()
    assert "#JP1053" in r["text"] and r["citations"][0]["collection"] == "orders"
    assert r["recommendations"]

    r = client.post(send, json={"text": "I want to talk to a human"}).json()
    assert r["handoff"] and r["recommendations"]

    detail = client.get(f"/api/conversations/{cid}").json()
    assert detail["status"] == "handoff" and detail["verified"] and len(detail["messages"]) == 8
    drafts = client.get("/api/suggestions").json()
    assert any(d["kind"] == "reply" and d["conversation_id"] == cid for d in drafts)

    msg_id = detail["messages"][1]["id"]
    assert client.post("/api/feedback", json={"conversation_id": cid, "message_id": msg_id, "rating": 1}).json()
    assert (
        client.post("/api/feedback", json={"conversation_id": cid, "message_id": msg_id, "rating": 3}).status_code
        == 422
    )


def test_streaming_ndjson_and_errors(client: TestClient) -> None:
    cid = client.post("/api/conversations", json={}).json()["conversation_id"]
    with client.stream(
        "POST", f"/api/conversations/{cid}/messages?stream=true", json={"text": "How long do refunds take?"}
    ) as resp:
        assert resp.status_code == 200
        lines = [json.loads(line) for line in resp.iter_lines() if line]
    assert lines[-1]["type"] == "result"
    deltas = "".join(x["text"] for x in lines if x["type"] == "delta")
    assert len(lines) > 3 and deltas == lines[-1]["result"]["text"]
    assert client.post("/api/conversations/nope/messages", json={"text": "hi"}).status_code == 404
    assert client.post(f"/api/conversations/{cid}/messages", json={"text": ""}).status_code == 422
    h = client.post(f"/api/conversations/{cid}/handoff", json={"reason": "agent takeover"}).json()
    assert h["handed_off"] and h["result"]["handoff"]


def test_openapi_schema_is_complete(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/conversations",
        "/api/conversations/{conversation_id}/messages",
        "/api/conversations/{conversation_id}",
        "/api/suggestions",
        "/api/feedback",
        "/api/conversations/{conversation_id}/handoff",
    ):
        assert path in paths
    assert "TurnResult" in schema["components"]["schemas"]
    assert "Citation" in schema["components"]["schemas"]
