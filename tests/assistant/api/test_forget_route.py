"""``DELETE /api/admin/customers/{id}``: an admin forgets a customer over HTTP (real demo shop)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services
from assistant.services.users import mint_identity_token
from assistant.store.models import Conversation, Customer
from assistant.users import add_user


@pytest.fixture(scope="module")
def services(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    target = tmp_path_factory.mktemp("forget-route") / "data"
    shutil.copytree(demo_template, target)
    svc = Services.build(Settings(data_dir=target, device="cpu"))
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    add_user(svc.db, "root", "admin-pass-123", "admin")
    return svc


@pytest.fixture(scope="module")
def app(services: Services) -> object:
    return create_app(services, warm=False)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app) as c:  # type: ignore[arg-type]
        yield c


def _sign_in(client: TestClient, username: str, password: str) -> None:
    assert client.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200


def test_only_an_admin_may_forget_a_customer(client: TestClient, services: Services) -> None:
    assert client.delete("/api/admin/customers/C002").status_code == 401
    _sign_in(client, "ana", "agent-pass-123")
    assert client.delete("/api/admin/customers/C002").status_code == 403
    with services.db.session() as s:
        assert s.get(Customer, "C002") is not None  # nothing happened
    _sign_in(client, "root", "admin-pass-123")
    r = client.delete("/api/admin/customers/NO-SUCH-CUSTOMER")
    assert r.status_code == 404 and "NO-SUCH-CUSTOMER" in r.json()["detail"]


def test_an_admin_forgets_a_customer_and_their_conversations(app: object, services: Services) -> None:
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
        _sign_in(agent, "ana", "agent-pass-123")

        _sign_in(admin, "root", "admin-pass-123")
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
