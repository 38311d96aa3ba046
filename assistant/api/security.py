"""HTTP hardening for the whole app (API and the mounted UI), installed by one call in the app factory.

:func:`install_security` adds:

- **client address**: the TCP peer, unless the peer is one of ``security.trusted_proxies`` (addresses
  or CIDRs), in which case the right-most hop of its ``X-Forwarded-For`` or RFC 7239 ``Forwarded`` header
  (``security.proxy_client_header``) that is not itself a trusted proxy; a malformed ``Forwarded``, or an
  ``X-Forwarded-For`` with an entry that is no IP address, is ignored with a warning (the client is then
  the proxy).
  The result replaces ``request.client`` for every route (sign-in throttle, identity checks, logs) and
  is put in :data:`assistant.security.identity.client_address`. ``X-Forwarded-For`` from anyone else
  is ignored; when a server in front of this one already rewrote the peer from that header (uvicorn's
  ``proxy_headers``, recognisable by port 0) and no proxy is configured, every such request shares one
  address, so rotating the header gains nothing. ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP`` from
  an untrusted peer is counted and logged once (:mod:`assistant.security.proxies`): it usually means a
  reverse proxy missing from ``security.trusted_proxies``, and the admin status says so;
- **Origin check** on state-changing methods (POST, PUT, PATCH, DELETE): a request whose ``Origin``
  (or, without one, ``Referer``) is neither this server's own origin nor in ``security.allowed_origins``
  is refused with 403. API clients that send no Origin (curl, the shop's backend) are unaffected;
  browsers always send it on cross-site posts;
- **security headers** on every response: ``Content-Security-Policy`` (``security.content_security_policy``,
  with ``frame-ancestors 'none'``), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``;
- **request size limits**: ingestion/upload routes ``security.max_upload_bytes``, the JSON API
  ``security.max_chat_body_bytes``, the UI's own calls ``security.max_ui_body_bytes``; a larger body
  (by ``Content-Length`` or as it streams in) gets 413;
- **malformed requests are 4xx**: errors raised while reading a bad request (undecodable JSON, a
  wrong type, an out-of-range number, a missing key) become 400/422 with a message, never a 500.

Example:
    >>> from fastapi import FastAPI
    >>> from assistant.config import Settings
    >>> app = FastAPI()
    >>> install_security(app, Settings(data_dir="/tmp/shop"))
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.config import Settings
from assistant.security.identity import client_address
from assistant.security.proxies import (
    FORWARD_HEADERS,
    MalformedForwarded,
    forwarded_for,
    forwarding_watch_for,
    x_forwarded_for,
)

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: How ``shopassist serve`` runs uvicorn: X-Forwarded-For is read only here, from trusted proxies.
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False}
UNTRUSTED_FORWARDED = "forwarded-untrusted"


def _networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for e in entries:
        try:
            out.append(ipaddress.ip_network(e.strip(), strict=False))
        except ValueError:
            raise ValueError(f"SHOPASSIST_SECURITY__TRUSTED_PROXIES: not an address or CIDR: {e!r}") from None
    return out


def _in(addr: str, nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in n for n in nets)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


def _joined(scope: Scope, name: bytes) -> str | None:
    """Every line of a list header, joined by commas in order (a proxy may add its own line), or None."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == name]
    return ",".join(values) if values else None


class _Malformed:
    """Logs a malformed forwarding header from a trusted proxy: the first one at WARNING, the rest at DEBUG."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, header: str, value: str, problem: str) -> None:
        self.count += 1
        log.log(
            logging.WARNING if self.count == 1 else logging.DEBUG,
            "A trusted proxy sent a malformed %s header (%s): %r. It is ignored, and the client is the proxy's "
            "address. Check the proxy's configuration (docs/security.md). Further ones are logged at DEBUG.",
            header,
            problem,
            value[:200],
        )


malformed_forwarding = _Malformed()


def _hops(scope: Scope, header: str) -> list[str] | None:
    """The client hops a trusted proxy's ``header`` names, first hop first; None when absent or malformed."""
    if header == "x-forwarded-for":
        value = _joined(scope, b"x-forwarded-for")
        if value is None:
            return None
        try:
            return x_forwarded_for(value)
        except MalformedForwarded as exc:
            malformed_forwarding("X-Forwarded-For", value, str(exc))
            return None
    value = _joined(scope, b"forwarded")
    if value is None:
        return None
    try:
        return forwarded_for(value)
    except MalformedForwarded as exc:
        malformed_forwarding("Forwarded", value, str(exc))
        return None


def resolve_client(
    scope: Scope, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network], header: str = "auto"
) -> str:
    """The client address of one request: from a trusted proxy, the right-most hop of its forwarding header
    (``header``: ``x-forwarded-for``, ``forwarded`` or ``auto``, see ``security.proxy_client_header``) that is not
    itself a trusted proxy; otherwise the TCP peer."""
    peer, port = (scope.get("client") or ("unknown", 1))[:2]
    if trusted and _in(str(peer), trusted):
        if header == "auto":
            header = "x-forwarded-for" if _header(scope, b"x-forwarded-for") is not None else "forwarded"
        hops = _hops(scope, header)
        if hops:
            for hop in reversed(hops):
                if not _in(hop, trusted):
                    return hop
            return hops[0]
        return str(peer)
    if _header(scope, b"x-forwarded-for") and port == 0:
        # The server in front (uvicorn's proxy_headers) already replaced the peer with the header's value.
        return UNTRUSTED_FORWARDED
    return str(peer)


def _own_origins(scope: Scope) -> set[str]:
    host = _header(scope, b"host") or ""
    scheme = scope.get("scheme", "http")
    origins = {f"{scheme}://{host}".lower()} if host else set()
    if host:
        # Behind a TLS-terminating proxy the browser's origin is https while this hop is http.
        origins.add(f"https://{host}".lower())
        origins.add(f"http://{host}".lower())
    return origins


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "invalid"
    if not parts.scheme or not parts.netloc:
        return "invalid"
    return f"{parts.scheme}://{parts.netloc}".lower()


class SecurityMiddleware:
    """Pure ASGI middleware (streaming responses pass through untouched); see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        sec = settings.security
        self.trusted = _networks(list(sec.trusted_proxies))
        self.client_header = sec.proxy_client_header
        self.forwarding = forwarding_watch_for(settings)
        self.allowed_origins = {o.rstrip("/").lower() for o in sec.allowed_origins}
        self.max_chat = sec.max_chat_body_bytes
        self.max_upload = sec.max_upload_bytes
        self.max_ui = sec.max_ui_body_bytes
        self.headers = [
            (b"content-security-policy", sec.content_security_policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    def _limit(self, path: str) -> int:
        if path.startswith("/api/ingest") or path.endswith("/upload") or "/upload/" in path:
            return self.max_upload
        if path.startswith("/api/"):
            return self.max_chat
        return self.max_ui

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = resolve_client(scope, self.trusted, self.client_header)
        self._notice_forwarding(scope)
        old = scope.get("client") or (client, 0)
        scope["client"] = (client, old[1] if len(old) > 1 else 0)
        token = client_address.set(client)
        try:
            if scope["type"] == "websocket":
                if not self._origin_ok(scope):
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send)
        finally:
            client_address.reset(token)

    def _notice_forwarding(self, scope: Scope) -> None:
        """A forwarded-client header from a peer that is not a trusted proxy is ignored, and counted: behind an
        unlisted reverse proxy every customer shares its address (:mod:`assistant.security.proxies`)."""
        peer, port = (scope.get("client") or ("unknown", 1))[:2]
        if self.trusted and _in(str(peer), self.trusted):
            return
        for name, value in scope.get("headers", []):
            header = FORWARD_HEADERS.get(name)
            if header is not None and value.strip():
                # Port 0: a server in front (uvicorn's proxy_headers) already put the header's value in the peer.
                self.forwarding.saw(UNTRUSTED_FORWARDED if port == 0 else str(peer), header)
                return

    def _origin_ok(self, scope: Scope) -> bool:
        origin = _header(scope, b"origin")
        if origin is None:
            referer = _header(scope, b"referer")
            if referer is None:
                return True  # not a browser form/fetch: API clients authenticate by token
            origin = _origin_of(referer)
        origin = origin.strip().rstrip("/").lower()
        return origin in _own_origins(scope) or origin in self.allowed_origins

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in self.headers}
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in names
                ] + self.headers
            await send(message)

        method = scope.get("method", "GET").upper()
        if method in STATE_CHANGING and not self._origin_ok(scope):
            await _reply(send_with_headers, 403, "Cross-site request refused: this origin may not change data here.")
            return
        limit = self._limit(scope.get("path", ""))
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _reply(send_with_headers, 400, "Bad Content-Length header.")
                return
            if declared > limit:
                await _reply(send_with_headers, 413, f"Request body too large (at most {limit} bytes here).")
                return
        received = 0
        too_large = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the 413 below is the answer
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _reply(send_with_headers, 413, f"Request body too large (at most {limit} bytes here).")


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- malformed requests: 4xx with a message ----------------------------------------------------------


def _bad_request(status: int, detail: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        log.warning("malformed request to %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        return JSONResponse({"detail": f"{detail}{': ' + message if message else ''}"}, status_code=status)

    return handler


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return JSONResponse(
        {"detail": "Invalid request: " + "; ".join(problems[:10]), "errors": jsonable(exc.errors())},
        status_code=422,
    )


def jsonable(errors: Any) -> Any:
    """Validation errors with any non-JSON values (exceptions, bytes) as strings."""
    return json.loads(json.dumps(errors, default=str))


async def _key_error(request: Request, exc: Exception) -> JSONResponse:
    # The engine's ConversationNotFound and friends are KeyErrors that mean "no such thing".
    if type(exc).__name__.endswith("NotFound"):
        return await _bad_request(404, "Not found")(request, exc)
    return await _bad_request(400, "The request lacks a required field")(request, exc)


def register_error_handlers(app: FastAPI) -> None:
    """Errors a malformed request raises become 4xx with a message (see the module docstring)."""
    from sqlalchemy.exc import DataError, StatementError

    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(json.JSONDecodeError, _bad_request(400, "The body is not valid JSON"))
    app.add_exception_handler(UnicodeDecodeError, _bad_request(400, "The request is not valid UTF-8"))
    app.add_exception_handler(OverflowError, _bad_request(400, "A number in the request is out of range"))
    app.add_exception_handler(DataError, _bad_request(400, "A value in the request is out of range"))
    app.add_exception_handler(StatementError, _bad_request(400, "A value in the request cannot be stored"))
    app.add_exception_handler(KeyError, _key_error)
    app.add_exception_handler(TypeError, _bad_request(400, "A value in the request has the wrong type"))
    app.add_exception_handler(ValueError, _bad_request(400, "A value in the request is invalid"))


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the security middleware and the malformed-request handlers to ``app``."""
    register_error_handlers(app)
    app.add_middleware(SecurityMiddleware, settings=settings)
