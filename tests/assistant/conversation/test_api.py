"""A scripted demo conversation through the HTTP API: every structured turn field reaches the client.

The composed app (services + routes) on a private copy of the demo shop, real models; the
conversation token travels in the cookie the API sets, as in a browser.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services


@pytest.fixture(scope="module")
def client(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    target = tmp_path_factory.mktemp("conversation-api") / "data"
    shutil.copytree(demo_template, target)
    services = Services.build(Settings(data_dir=target, device="cpu"))
    with TestClient(create_app(services, warm=False)) as c:
        yield c


def _start(client: TestClient) -> str:
    r = client.post("/api/conversations", json={})
    assert r.status_code == 201, r.text
    return str(r.json()["conversation_id"])


def test_scripted_demo_conversation(client: TestClient) -> None:
    cid = _start(client)
    send = f"/api/conversations/{cid}/messages"

    r = client.post(send, json={"text": "I'm looking for a warm jacket for hiking under $150"}).json()
    assert r["products"] and all(p["price"] <= 150 and p["category"] for p in r["products"])
    assert {c["collection"] for c in r["citations"]} == {"products"} and all(c["title"] for c in r["citations"])
    assert r["recommendations"] and all("hiking under" not in x["reason"] for x in r["recommendations"])
    assert r["language"] == "en" and not r["asks_identity"] and not r["handed_off"]

    r = client.post(send, json={"text": "Where is my order #JP1053?"}).json()
    assert r["asks_identity"] and "JP1053" not in r["text"]

    r = client.post(send, json={"text": "maya.okafor@example.com"}).json()
    assert "#JP1053" in r["text"] and r["citations"][0]["collection"] == "orders"
    assert not r["asks_identity"]

    r = client.post(send, json={"text": "退货期限是多久？"}).json()
    assert r["language"] == "zh" and "30" in r["text"] and r["citations"][0]["source"]

    r = client.post(send, json={"text": "I want to talk to a human"}).json()
    assert r["handed_off"] and r["handoff"]


def test_streaming_ndjson_ends_with_the_result(client: TestClient) -> None:
    cid = _start(client)
    with client.stream(
        "POST", f"/api/conversations/{cid}/messages?stream=true", json={"text": "How long do refunds take?"}
    ) as resp:
        assert resp.status_code == 200
        lines = [json.loads(line) for line in resp.iter_lines() if line]
    assert lines[-1]["type"] == "result"
    deltas = "".join(x["text"] for x in lines if x["type"] == "delta")
    assert len(lines) > 3 and deltas == lines[-1]["result"]["text"]
    assert client.post(f"/api/conversations/{cid}/messages", json={"text": ""}).status_code == 422
