"""By default a customer proves who they are with two details: an email address alone, the one detail many
others know, is not enough (``security.identity_methods`` = name_zip, email_zip). Over the API, on the demo
shop's data with the default methods: the email alone gets a request for the zip and no order; the zip then
completes the claim. The demo shop itself opts in to its policy's "email alone" in its settings file."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.config import SecuritySettings
from assistant.services import Services

ORDER = "#JP1053"  # Maya Okafor's (maya.okafor@example.com, zip 97214)


def test_an_email_alone_does_not_verify_by_default(services: Services) -> None:
    assert services.settings.security.identity_methods == ["email", "name_zip"]  # the demo's own opt-in
    security = services.settings.security.model_copy(update={"identity_methods": SecuritySettings().identity_methods})
    strict = Services.build(services.settings.model_copy(update={"security": security}))
    client = TestClient(create_app(strict, warm=False), client=("10.2.4.1", 50000))
    started = client.post("/api/conversations", json={}).json()
    head = {"X-Conversation-Token": started["conversation_token"]}

    def say(text: str) -> dict[str, Any]:
        r = client.post(f"/api/conversations/{started['conversation_id']}/messages", json={"text": text}, headers=head)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    asked = say("Where is my order?")
    assert asked["needs_identity"] and "plus the zip code" in asked["text"], asked["text"]
    reply = say("It's maya.okafor@example.com")
    assert reply["needs_identity"] and ORDER not in reply["text"] and "zip code" in reply["text"], reply["text"]
    reply = say("97214")  # the email given before still stands
    assert ORDER in reply["text"], reply["text"]
