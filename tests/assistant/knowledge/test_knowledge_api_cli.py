"""Migration and HTTP: a store ingested before mining existed is re-mined by ``shopassist knowledge
mine``; the ``/api/knowledge`` routes need an agent (admin to re-mine) and answer bad input with 4xx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api import auth, knowledge_routes
from assistant.cli import app as cli_app
from assistant.config import Settings
from assistant.services import Services
from assistant.users import add_user
from ingest.pipeline import ingest_paths

PAIRS = [
    ("Do you price match other stores?", "Hi Bertram, we match any major US retailer's advertised price within "
     "14 days of purchase. I've applied it to order #JP5120."),
    ("Will you match a competitor's price?", "We match any major US retailer's advertised price within 14 days of "
     "purchase; send us the link."),
    ("Can I get a price match?", "Yes, we match any major US retailer's advertised price within 14 days of purchase."),
]


@pytest.fixture
def old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A store whose conversations were ingested without mining (as before issue 17)."""
    settings = Settings(data_dir=tmp_path / "data", device="cpu", knowledge={"mine_on_ingest": False})
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(json.dumps({"conversation_id": f"pm{i}", "intent": "price_match", "turns": [
        {"role": "customer", "text": q}, {"role": "agent", "text": a}]}) for i, (q, a) in enumerate(PAIRS)) + "\n")
    report = ingest_paths([path], "auto", settings=settings, source="old")
    assert report.ok and not any("answer candidates" in n for n in report.notes)
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SHOPASSIST_DEVICE", "cpu")
    return Settings(data_dir=settings.data_dir, device="cpu")


def _client(settings: Settings) -> tuple[TestClient, Services]:
    svc = Services.build(settings)
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    add_user(svc.db, "root", "admin-pass-123", "admin")
    api = FastAPI()
    api.state.services = svc
    api.include_router(auth.router)
    api.include_router(knowledge_routes.router)
    return TestClient(api), svc


def _login(client: TestClient, user: str, password: str) -> None:
    r = client.post("/api/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text


def test_knowledge_mine_re_mines_an_existing_store_then_the_api_reviews(old_store: Settings) -> None:
    runner = CliRunner()
    out = runner.invoke(cli_app, ["knowledge", "mine", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output[out.output.index("{"):])
    assert (report["exchanges"], report["proposed"]) == (3, 1)
    listed = runner.invoke(cli_app, ["knowledge", "list", "--json"])
    assert listed.exit_code == 0 and "price match" in listed.output

    client, _svc = _client(old_store)
    assert client.get("/api/knowledge/candidates").status_code in (401, 403)
    _login(client, "ana", "agent-pass-123")
    cands = client.get("/api/knowledge/candidates").json()
    assert len(cands) == 1 and cands[0]["n_conversations"] == 3
    cand = cands[0]
    for detail in ("Bertram", "JP5120", "I've applied"):
        assert detail not in cand["answer"] and all(detail not in e for e in cand["examples"])
    assert "14 days of purchase" in cand["answer"]
    assert client.post("/api/knowledge/candidates/approve", json={"ids": []}).status_code == 422
    assert client.post("/api/knowledge/candidates/approve", json={"ids": ["x"]}).status_code == 422
    assert client.post("/api/knowledge/candidates/approve", json={"ids": [999]}).status_code == 404
    assert client.patch(f"/api/knowledge/candidates/{cand['id']}", json={"answer": ""}).status_code == 422
    assert client.post("/api/knowledge/mine", json={}).status_code == 403  # agents review; admins re-mine
    r = client.patch(f"/api/knowledge/candidates/{cand['id']}", json={"topic": "price matching"})
    assert r.status_code == 200 and r.json()["edited_by"] == "ana"
    r = client.post("/api/knowledge/candidates/approve", json={"ids": [cand["id"]]})
    assert r.json() == {"decided": 1, "status": "approved"}
    answers = client.get("/api/knowledge/answers").json()
    assert [(a["title"], a["approved_by"], a["version"]) for a in answers] == [
        ("Our answer on price matching", "ana", 1)
    ]
    assert client.get("/api/knowledge/candidates").json() == []

    again = runner.invoke(cli_app, ["knowledge", "mine", "--json"])
    assert json.loads(again.output[again.output.index("{"):])["skipped_decided"] == 1
