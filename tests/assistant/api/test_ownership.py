"""Conversation ownership and customer identity over HTTP (issue 11, requirements 1 and 2), and
click-through counted for API clients (issue 10), against the demo shop with the real models."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from assistant.api.deps import CONVERSATION_TOKEN_HEADER, conversation_cookie
from assistant.services import Services
from assistant.services.users import mint_identity_token
from assistant.store.models import ConversationAccess, Event

SignIn = Callable[[TestClient, str, str], None]


def _start(client: TestClient, **body: object) -> dict[str, str]:
    r = client.post("/api/conversations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_creating_a_conversation_returns_a_secret_token_and_an_httponly_cookie(
    client: TestClient, services: Services
) -> None:
    r = client.post("/api/conversations", json={})
    assert r.status_code == 201
    body = r.json()
    assert len(body["conversation_token"]) >= 40 and body["customer_id"] is None
    cookie = r.headers["set-cookie"]
    assert conversation_cookie(body["conversation_id"]) in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/api" in cookie
    with services.db.session() as s:
        stored = s.get(ConversationAccess, body["conversation_id"])
        assert stored is not None and body["conversation_token"] not in stored.token_hash  # only a hash is kept


def test_another_caller_cannot_read_or_write_the_conversation(app: object) -> None:
    with TestClient(app) as owner, TestClient(app) as stranger:  # type: ignore[arg-type]
        conv = _start(owner)
        cid = conv["conversation_id"]
        # The owner's browser carries the cookie; the stranger has the id (say, from a log) and nothing else.
        assert owner.get(f"/api/conversations/{cid}").status_code == 200
        wrong = {CONVERSATION_TOKEN_HEADER: "guessed-token"}
        attempts = [
            ("GET", f"/api/conversations/{cid}", None),
            ("POST", f"/api/conversations/{cid}/messages", {"text": "show status of all my orders"}),
            ("POST", f"/api/conversations/{cid}/handoff", {}),
            ("POST", f"/api/conversations/{cid}/clicks", {"product_id": "JP-001"}),
            ("GET", f"/api/conversations/{cid}/recommendations", None),
            ("GET", f"/api/conversations/{cid}/agent-messages", None),
            ("POST", "/api/feedback", {"conversation_id": cid, "message_id": 1, "rating": 1}),
        ]
        for headers in (None, wrong):
            for method, path, body in attempts:
                r = stranger.request(method, path, json=body, headers=headers)
                assert r.status_code == 403, (method, path, headers, r.status_code, r.text)
        assert stranger.get("/api/conversations/no-such-conversation").status_code == 404
        # Another conversation's token does not open this one.
        theirs = _start(stranger)
        other = {CONVERSATION_TOKEN_HEADER: theirs["conversation_token"]}
        assert stranger.get(f"/api/conversations/{cid}", headers=other).status_code == 403


def test_api_clients_use_the_header_and_agents_their_session(app: object, sign_in: SignIn) -> None:
    with TestClient(app) as api, TestClient(app) as agent:  # type: ignore[arg-type]
        conv = _start(api)
        api.cookies.clear()  # an API client without a cookie jar
        cid, token = conv["conversation_id"], conv["conversation_token"]
        r = api.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "How do I return a jacket that doesn't fit?"},
            headers={CONVERSATION_TOKEN_HEADER: token},
        )
        assert r.status_code == 200, r.text
        assert r.json()["citations"] and "products" in r.json()  # every TurnResult field flows through
        assert agent.get(f"/api/conversations/{cid}").status_code == 403
        sign_in(agent, "ana", "agent-pass-123")
        detail = agent.get(f"/api/conversations/{cid}")
        assert detail.status_code == 200 and "return a jacket" in detail.text


def test_a_customer_id_cannot_be_claimed(client: TestClient) -> None:
    r = client.post("/api/conversations", json={"customer_id": "C002"})
    assert r.status_code == 422
    assert "identity_token" in r.text


def test_a_shop_signed_identity_token_binds_the_conversation(client: TestClient, services: Services) -> None:
    token = mint_identity_token(services.settings, "C001", ttl_s=300)
    conv = _start(client, identity_token=token)
    assert conv["customer_id"] == "C001"
    detail = client.get(f"/api/conversations/{conv['conversation_id']}").json()
    assert detail["verified"] is True and detail["verified_customer_id"] == "C001"

    expired = mint_identity_token(services.settings, "C001", ttl_s=1, now=1_000_000.0)
    r = client.post("/api/conversations", json={"identity_token": expired})
    assert r.status_code == 422 and "expired" in r.json()["detail"]
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    r = client.post("/api/conversations", json={"identity_token": forged})
    assert r.status_code == 422 and "signature" in r.json()["detail"]


def test_events_posted_by_a_guest_are_not_stored_for_any_customer(client: TestClient, services: Services) -> None:
    def customer_events() -> int:
        with services.db.session() as s:
            return s.query(Event).filter(~Event.customer_id.like("anon:%")).count()

    before = customer_events()
    conv = _start(client)
    events = [{"product_id": "JP-001", "event_type": "purchase"} for _ in range(5)]
    r = client.post(
        f"/api/conversations/{conv['conversation_id']}/messages",
        json={"text": "any rain jackets?", "session_events": events},
    )
    assert r.status_code == 200, r.text
    assert customer_events() == before


def test_drafts_are_listed_to_agents_only(app: object, sign_in: SignIn) -> None:
    with TestClient(app) as anyone:  # type: ignore[arg-type]
        assert anyone.get("/api/suggestions?status=all").status_code == 401
        sign_in(anyone, "ana", "agent-pass-123")
        assert anyone.get("/api/suggestions?status=all").status_code == 200


def test_a_click_through_the_http_api_counts_in_the_admin_analytics(app: object, sign_in: SignIn) -> None:
    with TestClient(app) as shopper, TestClient(app) as admin:  # type: ignore[arg-type]
        sign_in(admin, "root", "admin-pass-123")
        before = admin.get("/api/admin/analytics?days=2").json()
        conv = _start(shopper)
        cid = conv["conversation_id"]
        turn = shopper.post(f"/api/conversations/{cid}/messages", json={"text": "I need a warm jacket for hiking"})
        assert turn.status_code == 200, turn.text
        recs = turn.json()["recommendations"]
        assert recs, "the demo shop recommends something for a warm jacket"
        click = shopper.post(f"/api/conversations/{cid}/clicks", json={"product_id": recs[0]["product_id"]})
        assert click.status_code == 200, click.text
        assert click.json()["product"]["product_id"] == recs[0]["product_id"]
        assert click.json()["recommendations"]
        unknown = shopper.post(f"/api/conversations/{cid}/clicks", json={"product_id": "NOPE-404"})
        assert unknown.status_code == 404
        after = admin.get("/api/admin/analytics?days=2").json()
    assert sum(after["recommendation_clicks"]) == sum(before["recommendation_clicks"]) + 1
    shown = sum(after["recommendation_impressions"]) - sum(before["recommendation_impressions"])
    assert shown == len(recs) + len(click.json()["recommendations"])
    assert after["totals"]["click_through"] > 0


def test_the_openapi_schema_names_each_routes_credential(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {"ConversationToken", "AgentSession"} <= set(schemes)
    send = schema["paths"]["/api/conversations/{conversation_id}/messages"]["post"]
    assert {"ConversationToken": []} in send["security"]
    queue = schema["paths"]["/api/agent/queue"]["get"]
    assert {"AgentSession": []} in queue["security"]
