"""A page's Gradio session answers only the browser that opened it (ui/browser_sessions.py), whatever
other cookies the shop's site sets on the same domain."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.browser_sessions import BROWSER_COOKIE, SessionBinding


def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _client() -> TestClient:
    pages = Starlette(routes=[Route("/{path:path}", _page, methods=["GET", "POST"])])
    return TestClient(SessionBinding(pages, secure=False, max_body=1 << 20))


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
