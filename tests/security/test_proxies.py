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


# --- RFC 7239 Forwarded from a trusted proxy ---------------------------------------------------------------


def _scope(peer: str, *headers: tuple[str, str]) -> dict[str, Any]:
    return {"client": (peer, 50000), "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]}


def _resolve(peer: str, *headers: tuple[str, str], header: str = "auto", trusted: tuple[str, ...] = (PROXY,)) -> str:
    from assistant.api.security import _networks, resolve_client

    return resolve_client(_scope(peer, *headers), _networks(list(trusted)), header)


@pytest.mark.parametrize(
    ("value", "client"),
    [
        ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
        ('for="192.0.2.60:4711"', "192.0.2.60"),
        ('For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ('for="[2001:db8:cafe::17]"', "2001:db8:cafe::17"),
        ('for="[::ffff:192.0.2.9]"', "192.0.2.9"),
        # Several hops (a CDN, then the trusted proxy): the right-most one that is not a trusted proxy.
        (f"for=198.51.100.1, for=192.0.2.7;proto=https, for={PROXY}", "192.0.2.7"),
        ('for=198.51.100.1,for="[2001:db8::1]:80"', "2001:db8::1"),
        # A client that sent its own Forwarded: the proxy appends the real address, which wins.
        ("for=1.1.1.1, for=192.0.2.8", "192.0.2.8"),
        # Quoted values may hold ';' and ',' and escaped quotes.
        ('by="a;b,c";for=192.0.2.61', "192.0.2.61"),
        ('proto=https;host="shop\\"x";for=192.0.2.62', "192.0.2.62"),
        ("for=unknown", "unknown"),
        ("for=_hidden", "_hidden"),
        ("proto=https", "unknown"),  # a hop without for=
        (f"for={PROXY}", PROXY),  # only proxies: the first hop
    ],
)
def test_a_trusted_proxy_may_name_the_client_in_forwarded(value: str, client: str) -> None:
    assert _resolve(PROXY, ("Forwarded", value)) == client
    assert _resolve(PROXY, ("Forwarded", value), header="forwarded") == client


def test_forwarded_header_lines_are_one_list_and_the_header_to_read_is_a_setting() -> None:
    two_lines = (("Forwarded", "for=198.51.100.1"), ("Forwarded", "for=192.0.2.70"))
    assert _resolve(PROXY, *two_lines) == "192.0.2.70"
    both = (("X-Forwarded-For", "203.0.113.5"), ("Forwarded", "for=192.0.2.71"))
    assert _resolve(PROXY, *both) == "203.0.113.5"  # auto: X-Forwarded-For when the request has it
    assert _resolve(PROXY, *both, header="forwarded") == "192.0.2.71"
    assert _resolve(PROXY, ("Forwarded", "for=192.0.2.71"), header="x-forwarded-for") == PROXY
    assert _resolve(PROXY, ("X-Forwarded-For", "203.0.113.5"), header="forwarded") == PROXY
    # From anyone else the header is never believed.
    assert _resolve("10.20.0.6", ("Forwarded", "for=192.0.2.72")) == "10.20.0.6"
    assert _resolve("10.20.0.6", ("Forwarded", "for=192.0.2.72"), trusted=()) == "10.20.0.6"


@pytest.mark.parametrize(
    "value",
    [
        "for=2001:db8::1",  # IPv6 must be bracketed and quoted
        'for="2001:db8::1"',
        'for="[2001:db8::1"',
        "for=[2001:db8::1]",
        'for="[not-an-address]:80"',
        "for=300.1.1.1",
        "for=192.0.2.1:port",
        'for="192.0.2.1:123456"',
        'for="192.0.2.1',  # unclosed quote
        "for=192.0.2.1;for=192.0.2.2",  # a parameter twice in one hop
        "for",
        "for=",
        "=192.0.2.1",
        "for=192.0.2.1 proto=http",
        "for=192.0.2.1, garbage",
        ";;",
        "",
        "for=\u00e9",
    ],
)
def test_a_malformed_forwarded_is_ignored_with_a_warning(value: str, caplog: pytest.LogCaptureFixture) -> None:
    from assistant.api import security

    security.malformed_forwarding.count = 0
    with caplog.at_level(logging.WARNING, logger="assistant.api.security"):
        assert _resolve(PROXY, ("Forwarded", value)) == PROXY  # the proxy itself, as without the header
    [warning] = [r.getMessage() for r in caplog.records if r.name == "assistant.api.security"]
    assert "malformed Forwarded" in warning and "ignored" in warning


@pytest.mark.parametrize(
    ("value", "client"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:51000", "203.0.113.5"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
        (f"198.51.100.1, 192.0.2.7, {PROXY}", "192.0.2.7"),  # the right-most hop that is no trusted proxy
        ("198.51.100.1,, 192.0.2.8 ", "192.0.2.8"),  # an empty entry is skipped
        ("unknown", "unknown"),
    ],
)
def test_a_trusted_proxy_may_name_the_client_in_x_forwarded_for(value: str, client: str) -> None:
    assert _resolve(PROXY, ("X-Forwarded-For", value)) == client
    assert _resolve(PROXY, ("X-Forwarded-For", value), header="x-forwarded-for") == client


@pytest.mark.parametrize(
    "value",
    ["evil", "192.0.2.1, attacker-chosen-key", "300.1.1.1", "192.0.2.1:port", "[2001:db8::1]x", "192.0.2.1:123456"],
)
def test_an_x_forwarded_for_entry_that_is_no_address_is_ignored_with_a_warning(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every entry is checked, not only the one taken: a proxy that passes a client's made-up entries
    through is misconfigured, and its client keys would be strings a client chose."""
    from assistant.api import security

    security.malformed_forwarding.count = 0
    with caplog.at_level(logging.WARNING, logger="assistant.api.security"):
        assert _resolve(PROXY, ("X-Forwarded-For", value)) == PROXY
    [warning] = [r.getMessage() for r in caplog.records if r.name == "assistant.api.security"]
    assert "malformed X-Forwarded-For" in warning
    assert "not an IP address" in warning or "bad port" in warning


def test_forwarded_over_http_counts_per_client_and_malformed_values_never_fail(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a trusted proxy that writes only Forwarded, each customer has their own per-client count; a
    malformed header is answered normally (counted as the proxy's address), never with a 500."""
    svc = _services(tmp_path, trusted_proxies=[PROXY], conversations_per_client="1/hour")
    proxy = _as(create_app(svc, warm=False), PROXY)

    def open_as(forwarded: str) -> int:
        return proxy.post("/api/conversations", json={}, headers={"Forwarded": forwarded}).status_code

    assert open_as('for="[2001:db8::5]:4711";proto=https') == 201
    assert open_as('for="[2001:db8::5]:9999"') == 429  # the same customer (the port is not part of it)
    assert open_as("for=192.0.2.80") == 201  # another customer
    from assistant.api import security

    security.malformed_forwarding.count = 0  # logged at WARNING once per process
    with caplog.at_level(logging.WARNING, logger="assistant.api.security"):
        assert open_as('for="[2001:db8::5') == 201  # malformed: the proxy's own address, its first
        assert open_as("for=2001:db8::5") == 429  # malformed again: the proxy's address again
    assert any("malformed Forwarded" in r.getMessage() for r in caplog.records)
