"""A page's Gradio session answers only the browser that opened it (ui/browser_sessions.py), whatever
other cookies the shop's site sets on the same domain."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.browser_sessions import BROWSER_COOKIE, SessionBinding


def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _client(max_sessions: int = 1000, idle_seconds: float = 3600.0, clock: list[float] | None = None) -> TestClient:
    pages = Starlette(routes=[Route("/{path:path}", _page, methods=["GET", "POST"])])
    now = clock if clock is not None else [0.0]
    binding = SessionBinding(
        pages,
        secure=False,
        max_body=1 << 20,
        max_sessions=max_sessions,
        idle_seconds=idle_seconds,
        clock=lambda: now[0],
    )
    return TestClient(binding)


def _as(token: str) -> dict[str, str]:
    return {"cookie": f"{BROWSER_COOKIE}={token}"}


def test_the_owner_is_known_by_its_cookie_beside_cookies_the_standard_parser_drops() -> None:
    client = _client()
    first = client.get("/")
    token = first.cookies[BROWSER_COOKIE]
    client.cookies.clear()
    heartbeat = "/gradio_api/heartbeat/h1"
    assert client.get(heartbeat, headers={"cookie": f"{BROWSER_COOKIE}={token}"}).status_code == 200
    # A shop's own cookies with a space or JSON in their value (before: the whole header was dropped,
    # and the page's owner got 403 "belongs to another browser").
    for others in ("prefs=dark mode", 'cart={"items":2}'):
        r = client.get(heartbeat, headers={"cookie": f"{others}; {BROWSER_COOKIE}={token}"})
        assert r.status_code == 200, (others, r.text)
        r = client.get(heartbeat, headers={"cookie": f"{BROWSER_COOKIE}={token}; {others}"})
        assert r.status_code == 200, (others, r.text)
    # Anyone else naming the hash is still refused, with or without cookies of their own.
    assert client.get(heartbeat).status_code == 403
    assert client.get(heartbeat, headers={"cookie": f"{BROWSER_COOKIE}=someone-else"}).status_code == 403
    joined = client.post("/gradio_api/queue/join", json={"session_hash": "h1"}, headers={"cookie": "prefs=dark mode"})
    assert joined.status_code == 403


def test_a_page_session_unused_too_long_asks_its_owner_to_reload_and_binds_to_no_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    client = _client(idle_seconds=3600.0, clock=clock)
    heartbeat = "/gradio_api/heartbeat/h1"
    assert client.get(heartbeat, headers=_as("owner")).status_code == 200
    clock[0] = 3000.0
    assert client.get(heartbeat, headers=_as("owner")).status_code == 200  # used: the hour starts again
    clock[0] = 3000.0 + 3601.0
    with caplog.at_level(logging.INFO, logger="ui.browser_sessions"):
        expired = client.get(heartbeat, headers=_as("owner"))
    assert expired.status_code == 410 and "Reload the page" in expired.json()["detail"]
    assert "retired" in caplog.text
    # Nobody else can take the hash over now that its binding is gone (a hash read in a log).
    joined = client.post("/gradio_api/queue/join", json={"session_hash": "h1"}, headers=_as("someone-else"))
    assert joined.status_code == 410
    assert client.get(heartbeat).status_code == 410
    # A new page (a new hash) works at once.
    assert client.get("/gradio_api/heartbeat/h2", headers=_as("owner")).status_code == 200


def test_past_the_cap_the_least_recently_used_page_is_retired_with_a_warning_not_silently_unbound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    client = _client(max_sessions=2, clock=clock)
    for n, (page, browser) in enumerate((("h1", "ana"), ("h2", "ben"), ("h1", "ana"))):
        clock[0] = float(n)
        assert client.get(f"/gradio_api/heartbeat/{page}", headers=_as(browser)).status_code == 200
    clock[0] = 10.0
    with caplog.at_level(logging.WARNING, logger="ui.browser_sessions"):
        assert client.get("/gradio_api/heartbeat/h3", headers=_as("cy")).status_code == 200
    assert "max_page_sessions" in caplog.text
    # h2 was the least recently used (h1 was used again): retired. Before, its binding was dropped
    # silently and the next browser naming h2 became its owner, while Ben got 403 "another browser".
    assert client.get("/gradio_api/heartbeat/h2", headers=_as("mallory")).status_code == 410
    reload = client.get("/gradio_api/heartbeat/h2", headers=_as("ben"))
    assert reload.status_code == 410 and "Reload the page" in reload.json()["detail"]
    assert client.get("/gradio_api/heartbeat/h1", headers=_as("ana")).status_code == 200
    assert client.get("/gradio_api/heartbeat/h3", headers=_as("cy")).status_code == 200
    assert client.get("/gradio_api/heartbeat/h3", headers=_as("ana")).status_code == 403
