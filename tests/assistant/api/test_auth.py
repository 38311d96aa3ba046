"""Sign-in, sessions and role checks of the JSON routes (the Gradio handlers of the mounted agent and
admin pages: ``tests/ui/test_pages_security.py``)."""

from __future__ import annotations

import json
import time

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api import admin_routes, agent_routes, auth
from assistant.api.auth import SESSION_COOKIE, SessionSigner, signer_for
from assistant.cli import user_add
from assistant.config import Settings
from assistant.services import Services
from assistant.store.models import Conversation, Draft, Message, User
from assistant.users import UserError, add_user, authenticate, get_user, hash_password, verify_password

SECRET_TEXT = "my parcel never arrived, tracking 1Z999"


@pytest.fixture
def services(settings: Settings) -> Services:
    svc = Services.build(settings)
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    add_user(svc.db, "root", "admin-pass-123", "admin")
    with svc.db.session() as s:
        s.add(Conversation(id="conv-1", status="handoff", intent="shipping", customer_id="C001"))
        s.flush()
        s.add(Message(conversation_id="conv-1", role="customer", text=SECRET_TEXT))
        s.add(Draft(conversation_id="conv-1", kind="reply", content="Sorry! Let me check.", status="pending"))
    return svc


def _api(services: Services) -> FastAPI:
    app = FastAPI()
    app.state.services = services
    for router in (auth.router, agent_routes.router, admin_routes.router):
        app.include_router(router)
    return app


@pytest.fixture
def client(services: Services) -> TestClient:
    return TestClient(_api(services))


def _login(client: TestClient, username: str, password: str) -> str:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.cookies[SESSION_COOKIE])


def _protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) under /api/agent and /api/admin, from the app's own OpenAPI schema."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        if path.startswith(("/api/agent", "/api/admin")):
            concrete = path.replace("{conversation_id}", "conv-1").replace("{draft_id}", "1")
            concrete = concrete.replace("{customer_id}", "C001")
            out += [(method.upper(), concrete) for method in ops]
    return out


# --- users ---------------------------------------------------------------------------------------


def test_passwords_are_argon2id_hashes_and_verify() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")


def test_add_user_validates_role_password_and_duplicates(services: Services) -> None:
    with pytest.raises(UserError, match="role"):
        add_user(services.db, "eve", "long enough pw", "customer")
    with pytest.raises(UserError, match="at least"):
        add_user(services.db, "eve", "short", "agent")
    with pytest.raises(UserError, match="exists"):
        add_user(services.db, "ana", "another-pass-1", "agent")
    assert add_user(services.db, "ana", "another-pass-1", "admin", replace=True).role == "admin"
    with services.db.session() as s:
        stored = s.query(User).filter_by(username="ana").one().password_hash
    assert "another-pass-1" not in stored


def test_authenticate(services: Services) -> None:
    user = authenticate(services.db, "ana", "agent-pass-123")
    assert user is not None and user.role == "agent"
    assert authenticate(services.db, "ana", "nope") is None
    assert authenticate(services.db, "nobody", "agent-pass-123") is None


def test_user_add_command_prompts_for_a_hidden_password(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(settings.data_dir))
    from assistant.config import get_settings

    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(user_add)
    app.command("noop")(lambda: None)  # with two commands typer keeps the "add" name explicit
    result = CliRunner().invoke(app, ["user-add", "--role", "admin", "sam"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    svc = Services.build(settings)
    assert (u := authenticate(svc.db, "sam", "s3cret-pass")) is not None and u.role == "admin"
    bad = CliRunner().invoke(app, ["user-add", "--role", "root", "x"], input="s3cret-pass\ns3cret-pass\n")
    assert bad.exit_code == 1 and "role must be" in bad.output


# --- sessions --------------------------------------------------------------------------------------


def test_signer_rejects_tampering_and_expiry() -> None:
    signer = SessionSigner(b"0123456789abcdef0123", ttl_seconds=60)
    token = signer.issue("ana", "agent", now=1000.0)
    assert signer.verify(token, now=1059.0) is not None
    assert signer.verify(token, now=1061.0) is None
    _payload, sig = token.split(".")
    forged_body = json.dumps({"u": "ana", "r": "admin", "iat": 1000, "exp": 9e12}).encode()
    import base64

    forged = base64.urlsafe_b64encode(forged_body).rstrip(b"=").decode() + "." + sig
    assert signer.verify(forged, now=1001.0) is None
    assert SessionSigner(b"another-secret-key-xx").verify(token, now=1001.0) is None
    for junk in ("", "abc", "a.b.c", "!!.??"):
        assert signer.verify(junk) is None


def test_login_sets_an_httponly_expiring_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "ana", "password": "agent-pass-123"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert client.get("/api/auth/me").json()["username"] == "ana"
    bad = client.post("/api/auth/login", json={"username": "ana", "password": "wrong"})
    assert bad.status_code == 401 and bad.json()["detail"] == "Wrong username or password."
    form = client.post("/api/auth/login", data={"username": "root", "password": "admin-pass-123"})
    assert form.status_code == 200 and form.json()["role"] == "admin"
    client.post("/api/auth/logout")
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401


def test_repeated_wrong_passwords_are_throttled_per_user_and_address(settings: Settings) -> None:
    svc = Services.build(settings.model_copy(update={"login_rate_limit": "3/minute"}))
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    add_user(svc.db, "root", "admin-pass-123", "admin")
    client = TestClient(_api(svc))
    for _ in range(3):
        assert client.post("/api/auth/login", json={"username": "ana", "password": "guess"}).status_code == 401
    # Now even the right password waits: a guesser can't tell that it was right.
    blocked = client.post("/api/auth/login", json={"username": "ANA ", "password": "agent-pass-123"})
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.json()["detail"]
    assert 0 < int(blocked.headers["Retry-After"]) <= 61
    # Another account from the same address, and the same account from elsewhere, are unaffected.
    assert client.post("/api/auth/login", json={"username": "root", "password": "admin-pass-123"}).status_code == 200
    elsewhere = TestClient(_api(svc), client=("10.1.2.3", 50000))
    assert elsewhere.post("/api/auth/login", json={"username": "ana", "password": "agent-pass-123"}).status_code == 200
    # A success clears the count for that address.
    auth.throttle_for(svc.settings).succeeded("ana", "testclient")
    assert client.post("/api/auth/login", json={"username": "ana", "password": "agent-pass-123"}).status_code == 200


def test_bad_rate_limit_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import ConfigError, load_settings

    monkeypatch.setenv("SHOPASSIST_LOGIN_RATE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="SHOPASSIST_LOGIN_RATE_LIMIT"):
        load_settings()


def test_sessions_expire(services: Services, client: TestClient) -> None:
    signer = signer_for(services.settings)
    stamp = get_user(services.db, "ana").stamp  # type: ignore[union-attr]
    expired = signer.issue("ana", "agent", now=time.time() - signer.ttl_seconds - 1, stamp=stamp)
    client.cookies.set(SESSION_COOKIE, signer.issue("ana", "agent", stamp=stamp))
    assert client.get("/api/agent/queue").status_code == 200
    client.cookies.set(SESSION_COOKIE, expired)
    assert client.get("/api/agent/queue").status_code == 401


def test_a_customer_session_gets_401_from_every_agent_and_admin_endpoint(services: Services) -> None:
    app = _api(services)
    routes = _protected_routes(app)
    assert len(routes) >= 8
    client = TestClient(app)
    forged = SessionSigner(b"not-the-shop-secret-000").issue("ana", "admin")
    for cookie in (None, "garbage", forged):
        client.cookies.clear()
        if cookie:
            client.cookies.set(SESSION_COOKIE, cookie)
        for method, path in routes:
            r = client.request(method, path, json={"action": "approve", "text": "x"})
            assert r.status_code == 401, (method, path, cookie, r.status_code)
            assert SECRET_TEXT not in r.text


def test_an_agent_gets_403_from_admin_endpoints_and_200_from_agent_ones(client: TestClient) -> None:
    _login(client, "ana", "agent-pass-123")
    for method, path in _protected_routes(client.app):  # type: ignore[arg-type]
        if path.startswith("/api/admin"):
            assert client.request(method, path).status_code == 403, path
    queue = client.get("/api/agent/queue")
    assert queue.status_code == 200 and queue.json()[0]["id"] == "conv-1"
    assert SECRET_TEXT in client.get("/api/agent/conversations/conv-1").text


def test_admins_can_use_both_areas(client: TestClient) -> None:
    _login(client, "root", "admin-pass-123")
    assert client.get("/api/admin/analytics?days=7").status_code == 200
    assert client.get("/api/agent/queue").status_code == 200


def test_a_deleted_or_demoted_user_loses_the_session_at_once(services: Services, client: TestClient) -> None:
    _login(client, "root", "admin-pass-123")
    add_user(services.db, "root", "admin-pass-123", "agent", replace=True)
    assert client.get("/api/admin/analytics").status_code == 401
    with services.db.session() as s:
        s.query(User).filter_by(username="ana").delete()
    _ = client.post("/api/auth/login", json={"username": "ana", "password": "agent-pass-123"})
    assert _.status_code == 401


def test_a_password_reset_or_a_recreated_account_ends_every_earlier_session(
    services: Services, client: TestClient
) -> None:
    other = TestClient(client.app)
    _login(client, "ana", "agent-pass-123")
    _login(other, "ana", "agent-pass-123")  # the same account signed in elsewhere (a stolen cookie)
    add_user(services.db, "ana", "a-new-pass-789", "agent", replace=True)  # same role, new password
    assert client.get("/api/agent/queue").status_code == 401
    assert other.get("/api/auth/me").status_code == 401
    _login(client, "ana", "a-new-pass-789")
    assert client.get("/api/agent/queue").status_code == 200
    with services.db.session() as s:
        s.query(User).filter_by(username="ana").delete()
    add_user(services.db, "ana", "a-new-pass-789", "agent")  # a new account under the old name
    assert client.get("/api/agent/queue").status_code == 401


def test_reject_needs_a_reason_and_decisions_are_stored(client: TestClient, services: Services) -> None:
    _login(client, "ana", "agent-pass-123")
    draft_id = client.get("/api/agent/conversations/conv-1").json()["drafts"][0]["id"]
    r = client.post(f"/api/agent/drafts/{draft_id}/decision", json={"action": "reject"})
    assert r.status_code == 409 and "reason" in r.json()["detail"]
    r = client.post(f"/api/agent/drafts/{draft_id}/decision", json={"action": "edit", "text": "On its way!"})
    assert r.status_code == 200 and r.json()["status"] == "edited" and r.json()["reviewer"] == "ana"
    again = client.post(f"/api/agent/drafts/{draft_id}/decision", json={"action": "approve"})
    assert again.status_code == 409
    with services.db.session() as s:
        sent = s.query(Message).filter_by(conversation_id="conv-1", role="agent").one()
    assert sent.text == "On its way!"
    a = client.get("/api/agent/queue")  # still a handoff until released
    assert a.json()[0]["id"] == "conv-1"
    _login(client, "root", "admin-pass-123")
    assert client.get("/api/admin/analytics").json()["decisions"]["edited"] == 1
