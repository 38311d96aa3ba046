"""Citation titles reach customers in the API's JSON (and the chat page's sources list): they pass the
same guard as the reply's text. An approved answer is cited as "Our answer on <topic>", and the topic
comes from the label of the ingested conversations it was mined from, which whoever wrote the upload
chose: a link there must not reach the customer as a link."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import SessionUser
from ingest.pipeline import ingest_paths

AGENT = SessionUser("ana", "agent", expires=4e9)
PHISH = "[the refund form](https://refunds.evil.example/claim)"
QUESTIONS = [
    "How long does a refund take to reach my card?",
    "When will my refund show up on my card?",
    "How many days for a refund to get back to my card?",
]
REPLY = "Refunds reach your card within 5-7 business days after we receive the return."


def test_an_approved_answers_citation_title_has_no_live_link(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    rows = [
        {"conversation_id": f"c{i}", "intent": f"fill in {PHISH}",
         "turns": [{"role": "customer", "text": q}, {"role": "agent", "text": REPLY}]}
        for i, q in enumerate(QUESTIONS)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    svc = Services.build(settings)
    assert ingest_paths([path], "auto", settings=settings, source="uploads:history", db=svc.db, vectors=svc.vectors).ok
    [cand] = svc.knowledge.candidates(AGENT)
    assert "refunds.evil.example" in cand.topic, cand.topic  # the label became the topic: the attack is in place
    svc.knowledge.approve(AGENT, [cand.id])

    client = TestClient(create_app(svc, warm=False), client=("10.4.4.4", 50000))
    started = client.post("/api/conversations", json={}).json()
    r = client.post(
        f"/api/conversations/{started['conversation_id']}/messages",
        json={"text": "How long until my refund reaches my card?"},
        headers={"X-Conversation-Token": started["conversation_token"]},
    )
    assert r.status_code == 200, r.text
    titles = [c["title"] for c in r.json()["citations"]]
    [cited] = [t for t in titles if t.startswith("Our answer on")]  # the approved answer was used
    assert "refunds.evil.example" in cited  # still named, as plain text
    assert "https://" not in cited and "](" not in cited, cited
