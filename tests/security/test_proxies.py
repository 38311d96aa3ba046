"""A reverse proxy missing from ``security.trusted_proxies``: its X-Forwarded-For (or Forwarded) is still
ignored, but the app notices it, logs one clear warning, and the admin status says so (behind such a
proxy every customer shares the proxy's address and its per-client limits)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services
from assistant.users import add_user

PROXY = "10.20.0.5"
ADMIN = ("root", "admin-pass-123")


def _services(tmp_path: Path, **security: object) -> Services:
    svc = Services.build(Settings(data_dir=tmp_path / "data", device="cpu", security=security))
    add_user(svc.db, *ADMIN, "admin")
    add_user(svc.db, "ana", "agent-pass-123", "agent")
    return svc


def _as(app: object, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))  # type: ignore[arg-type]


def _status(app: object, user: tuple[str, str] = ADMIN) -> tuple[int, dict[str, Any]]:
    admin = _as(app, "10.20.9.9")
    assert admin.post("/api/auth/login", json={"username": user[0], "password": user[1]}).status_code == 200
    r = admin.get("/api/admin/status")
    return r.status_code, r.json()


def test_forwarded_headers_from_an_untrusted_peer_are_ignored_logged_once_and_shown_to_admins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    svc = _services(tmp_path)
    app = create_app(svc, warm=False)
    status, body = _status(app)
    assert status == 200 and body["warnings"] == [], body  # nothing seen yet
    proxy = _as(app, PROXY)
    with caplog.at_level(logging.WARNING, logger="assistant.security.proxies"):
        for i in range(3):
            r = proxy.get("/healthz", headers={"X-Forwarded-For": f"203.0.113.{i}"})
            assert r.status_code == 200
        proxy.get("/healthz", headers={"Forwarded": "for=198.51.100.7;proto=https"})
    logged = [r.getMessage() for r in caplog.records if r.name == "assistant.security.proxies"]
    assert len(logged) == 1, logged  # once per process, however many requests
    assert PROXY in logged[0] and "SHOPASSIST_SECURITY__TRUSTED_PROXIES" in logged[0]
    status, body = _status(app)
    assert status == 200
    assert body["untrusted_forwarding"]["peers"] == {PROXY: 4}
    assert body["untrusted_forwarding"]["headers"] == ["Forwarded", "X-Forwarded-For"]
    [warning] = body["warnings"]
    assert PROXY in warning and "SHOPASSIST_SECURITY__TRUSTED_PROXIES" in warning and "share" in warning
    # Agents and anonymous callers do not get it; the public health check does not say it.
    assert _status(app, ("ana", "agent-pass-123"))[0] == 403
    assert _as(app, "10.20.9.8").get("/api/admin/status").status_code == 401
    assert "warning" not in _as(app, PROXY).get("/healthz").text.lower()


def test_the_header_stays_unbelieved_from_an_untrusted_peer(tmp_path: Path) -> None:
    """The sign-in throttle counts the proxy's address whatever client the header names."""
    svc = _services(tmp_path)
    app = create_app(svc, warm=False)
    proxy = _as(app, PROXY)
    limit = int(svc.settings.login_rate_limit.split("/")[0])
    codes = [
        proxy.post(
            "/api/auth/login",
            json={"username": "ana", "password": f"guess-{i}"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(limit + 1)
    ]
    assert codes == [401] * limit + [429]


def test_a_listed_proxy_is_believed_and_not_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    svc = _services(tmp_path, trusted_proxies=[PROXY])
    app = create_app(svc, warm=False)
    with caplog.at_level(logging.WARNING, logger="assistant.security.proxies"):
        assert _as(app, PROXY).get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert not [r for r in caplog.records if r.name == "assistant.security.proxies"]
    status, body = _status(app)
    assert status == 200 and body["warnings"] == [] and body["untrusted_forwarding"] is None
    assert body["trusted_proxies"] == [PROXY]
