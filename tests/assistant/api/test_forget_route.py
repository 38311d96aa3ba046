"""``DELETE /api/admin/customers/{id}``: an admin forgets a customer over HTTP (real demo shop)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.services import Services
from assistant.services.users import mint_identity_token
from assistant.store.models import Conversation, Customer

SignIn = Callable[[TestClient, str, str], None]


def test_only_an_admin_may_forget_a_customer(client: TestClient, services: Services, sign_in: SignIn) -> None:
    assert client.delete("/api/admin/customers/C002").status_code == 401
    sign_in(client, "ana", "agent-pass-123")
    assert client.delete("/api/admin/customers/C002").status_code == 403
    with services.db.session() as s:
        assert s.get(Customer, "C002") is not None  # nothing happened
    sign_in(client, "root", "admin-pass-123")
    r = client.delete("/api/admin/customers/NO-SUCH-CUSTOMER")
    assert r.status_code == 404 and "NO-SUCH-CUSTOMER" in r.json()["detail"]


def test_an_admin_forgets_a_customer_and_their_conversations(app: object, services: Services, sign_in: SignIn) -> None:
    with services.db.session() as s:
        customer = s.get(Customer, "C001")
        assert customer is not None
        email = customer.email
        assert email
    with TestClient(app) as shopper, TestClient(app) as admin, TestClient(app) as agent:  # type: ignore[arg-type]
        token = mint_identity_token(services.settings, "C001", ttl_s=300)
        r = shopper.post("/api/conversations", json={"identity_token": token})
        assert r.status_code == 201, r.text
        cid = r.json()["conversation_id"]
        assert shopper.get(f"/api/conversations/{cid}").status_code == 200
        sign_in(agent, "ana", "agent-pass-123")

        sign_in(admin, "root", "admin-pass-123")
        r = admin.delete("/api/admin/customers/C001")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["customer_id"] == "C001" and body["profile_deleted"] is True
        assert body["conversations"] >= 1 and body["total"] >= 2

        with services.db.session() as s:
            assert s.get(Customer, "C001") is None
            assert s.get(Conversation, cid) is None
            assert not s.scalars(select(Conversation).where(Conversation.customer_id == "C001")).all()
        assert shopper.get(f"/api/conversations/{cid}").status_code == 404
        for url in ("/api/agent/queue", "/api/agent/customers/C001/profile", f"/api/agent/conversations/{cid}"):
            assert email not in agent.get(url).text, url
        assert agent.get(f"/api/agent/conversations/{cid}").status_code == 404
        # A second time: nothing is left to forget.
        assert admin.delete("/api/admin/customers/C001").status_code == 404


def test_the_route_shows_the_admin_credential_in_openapi(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/admin/customers/{customer_id}"]["delete"]
    assert {"AgentSession": []} in op["security"] and "admin" in op["tags"]
