"""A page's Gradio session belongs to the browser that opened it.

Gradio keys each page's server-side state (``gr.State``: the chat's conversation id and secret
token, the customer picked; the components' values) by a ``session_hash`` the page makes up, and
believes any request naming it. That hash travels in URLs: the event stream
``<page>/gradio_api/queue/data?session_hash=…``, the heartbeat ``<page>/gradio_api/heartbeat/<hash>``,
``<page>/gradio_api/deep_link?session_hash=…``. URLs land in access logs (uvicorn's, a reverse
proxy's, a log shipper's), so anyone who can read a log could join the queue under a customer's hash
and chat in their conversation (its verified order details included) or snapshot the page's values.

:class:`SessionBinding` makes the hash useless on its own: every page response gives the browser a
random HttpOnly cookie (``shopassist_browser``, SameSite=Lax), and the first request naming a
session hash with that cookie binds the hash to it (a digest, kept in this process, where Gradio
keeps the state too). A later request naming the hash without that cookie gets 403, wherever the hash
is: query string, path, or JSON body (queue join, run, call, cancel). A client that never had the
cookie (a script without a cookie jar) keeps working unbound, as before.

The bindings are bounded (``security.page_session_idle_minutes``, ``security.max_page_sessions``): a
binding unused that long, or the least recently used one when a new page would pass the cap, is
retired, and the eviction logged. A retired hash is never bound again, to anyone: a request naming it
gets 410 asking to reload the page (a new page makes a new hash). Forgetting a binding instead would
let the next browser naming the hash (one that read it in a log) bind it and take over the page's
conversation, while its owner got "belongs to another browser". Retired hashes are remembered up to
the same cap (a hash that is only a digest), the oldest forgotten first, with a warning.

Example:
    >>> app = SessionBinding(app, secure=False, max_body=1 << 22, max_sessions=999, idle_seconds=3600)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal
from urllib.parse import parse_qs

from starlette.requests import cookie_parser

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BROWSER_COOKIE = "shopassist_browser"
#: Routes that are not the pages' own (the JSON API, product images): no cookie, no check.
OUTSIDE = ("/api/", "/media/", "/healthz", "/docs", "/redoc", "/openapi.json")
_HASH_IN_PATH = re.compile(r"/gradio_api/(?:heartbeat|stream)/([^/?]+)")
REFUSED = b'{"detail":"This page session belongs to another browser. Reload the page to start your own."}'
EXPIRED = b'{"detail":"This page session has expired. Reload the page to start again."}'

log = logging.getLogger(__name__)


def _cookie(scope: Scope) -> str | None:
    """The browser's cookie, read as browsers send cookies (Starlette's parser): the standard library's
    ``SimpleCookie`` drops every cookie of a header once one value holds a space or a quote ("prefs=a b",
    a shop's JSON cookie on the same domain), so the owner of a page session looked like a stranger (403).
    """
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(BROWSER_COOKIE)
            if found:
                return found
    return None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def session_hashes(path: str, query: bytes, body: Any = None) -> set[str]:
    """Every session hash a Gradio request names: ``?session_hash=``, the path, a JSON body's field.

    Example:
        >>> sorted(session_hashes("/agent/gradio_api/heartbeat/abc", b"session_hash=def", {"session_hash": "ghi"}))
        ['abc', 'def', 'ghi']
    """
    found = set(parse_qs(query.decode("latin-1")).get("session_hash", []))
    found |= set(_HASH_IN_PATH.findall(path))
    if isinstance(body, dict) and isinstance(body.get("session_hash"), str):
        found.add(body["session_hash"])
    return {h for h in found if h}


class SessionBinding:
    """Pure ASGI middleware: see the module docstring. ``idle_seconds``/``max_sessions``: the bounds of
    the bindings kept (``security.page_session_idle_minutes``, ``security.max_page_sessions``)."""

    def __init__(
        self,
        app: Any,
        *,
        secure: bool,
        max_body: int,
        max_sessions: int,
        idle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.secure = secure
        self.max_body = max_body
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._clock = clock
        # session hash -> (digest of the owner's cookie, last use), the least recently used first
        self._owners: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._retired: OrderedDict[str, None] = OrderedDict()  # hashes never to be bound again, oldest first
        self._lock = threading.Lock()

    def claim(self, session_hash: str, browser: str | None) -> Literal["ok", "foreign", "expired"]:
        """May this browser (its cookie; None: none sent) use ``session_hash``? Binds it on first use.
        "foreign": it is bound to another browser (403); "expired": its binding was retired (410)."""
        with self._lock:
            now = self._clock()
            self._retire_idle(now)
            if session_hash in self._retired:
                return "expired"
            bound = self._owners.get(session_hash)
            if bound is None:
                if browser is None:
                    return "ok"  # a client without the cookie: unbound, as Gradio has it
                if len(self._owners) >= self.max_sessions:
                    oldest, (_owner, used) = next(iter(self._owners.items()))
                    self._retire(oldest)
                    log.warning(
                        "Page sessions at security.max_page_sessions (%d): the least recently used one (idle %.0f s) "
                        "is retired; its browser must reload the page.",
                        self.max_sessions,
                        now - used,
                    )
                self._owners[session_hash] = (_digest(browser), now)
                return "ok"
            owner, _used = bound
            if browser is None or not secrets.compare_digest(owner, _digest(browser)):
                return "foreign"
            self._owners[session_hash] = (owner, now)
            self._owners.move_to_end(session_hash)
            return "ok"

    def _retire_idle(self, now: float) -> None:
        idle = 0
        while self._owners:
            oldest, (_owner, used) = next(iter(self._owners.items()))
            if now - used <= self.idle_seconds:
                break
            self._retire(oldest)
            idle += 1
        if idle:
            log.info(
                "%d page session(s) unused for over %.0f s retired; their pages must be reloaded.",
                idle,
                self.idle_seconds,
            )

    def _retire(self, session_hash: str) -> None:
        del self._owners[session_hash]
        self._retired[session_hash] = None
        if len(self._retired) > self.max_sessions:
            self._retired.popitem(last=False)
            log.warning(
                "More than security.max_page_sessions (%d) retired page sessions: the oldest is forgotten.",
                self.max_sessions,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if not path or path.startswith(OUTSIDE):
            await self.app(scope, receive, send)
            return
        browser = _cookie(scope)
        body: Any = None
        if "/gradio_api/" in path and scope.get("method") == "POST" and "json" in _header(scope, b"content-type"):
            raw = await _read(receive, self.max_body)
            if raw is None:
                await _reply(send, 413, b'{"detail":"Request body too large."}')
                return
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            receive = _replay(raw, receive)
        for session_hash in session_hashes(path, scope.get("query_string", b""), body):
            verdict = self.claim(session_hash, browser)
            if verdict != "ok":
                await _reply(send, *((403, REFUSED) if verdict == "foreign" else (410, EXPIRED)))
                return
        if browser is not None:
            await self.app(scope, receive, send)
            return
        cookie = (
            f"{BROWSER_COOKIE}={secrets.token_urlsafe(32)}; Path=/; HttpOnly; SameSite=Lax"
            + ("; Secure" if self.secure else "")
        ).encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _digest(browser: str) -> str:
    return hashlib.sha256(browser.encode()).hexdigest()


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """The body read already, then the connection's own messages (a disconnect when it comes)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replayed


async def _reply(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
