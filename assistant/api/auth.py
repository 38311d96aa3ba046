"""Sign-in for agents and admins: a signed, expiring session cookie checked on every request.

The cookie holds ``{username, role, issued, expires}`` signed with HMAC-SHA256. It is
stateless, so each check also re-reads the user from the database: deleting a user or
changing a role takes effect on their next click, not when the cookie expires.

Both the JSON routes (FastAPI dependencies :func:`require_agent` / :func:`require_admin`) and
the Gradio handlers (:func:`user_from_request` on ``gr.Request``) use the same check, so hiding
a tab is never the only protection.

Example:
    >>> signer = SessionSigner(b"k" * 32, ttl_seconds=60)
    >>> token = signer.issue("ana", "agent", now=1000.0)
    >>> signer.verify(token, now=1030.0).username
    'ana'
    >>> signer.verify(token, now=1061.0) is None  # expired
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.store.db import Database
from assistant.users import authenticate, get_user

SESSION_COOKIE = "shopassist_session"
DEFAULT_SESSION_TTL_SECONDS = 8 * 3600
ROLE_RANK = {"agent": 1, "admin": 2}


@dataclass(frozen=True)
class SessionUser:
    """A verified, current session."""

    username: str
    role: str
    expires: float

    def can(self, role: str) -> bool:
        """Admins can do what agents can; agents cannot do admin work."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and verifies session tokens; a token past ``expires`` or with a bad signature is None."""

    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_SESSION_TTL_SECONDS) -> None:
        if len(secret) < 16:
            raise ValueError("session secret must be at least 16 bytes")
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, username: str, role: str, now: float | None = None) -> str:
        now = time.time() if now is None else now
        body = {"u": username, "r": role, "iat": int(now), "exp": now + self.ttl_seconds}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str | None, now: float | None = None) -> SessionUser | None:
        if not token or token.count(".") != 1:
            return None
        payload, signature = token.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            user = SessionUser(username=str(body["u"]), role=str(body["r"]), expires=float(body["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        return user if now < user.expires else None


_secret_lock = threading.Lock()
_signers: dict[str, SessionSigner] = {}


def _load_secret(settings: Settings) -> bytes:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    # No secret configured: keep one in the data dir, so restarts do not sign everyone out.
    path = Path(settings.data_dir) / "session_secret"
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


class LoginThrottle:
    """Counts failed sign-ins per (username, client address) in a moving window (the ``limits`` library).

    Keyed by both, so guessing at one account is slowed without letting a stranger lock its owner
    out from every address. The counts live in ``settings.rate_limit_storage``: in memory for one
    process, or Redis/Memcached when several app processes share the load.

    Example:
        >>> t = LoginThrottle("2/minute", "memory://")
        >>> t.failed("ana", "10.0.0.1"); t.failed("ana", "10.0.0.1")
        >>> t.retry_after("ana", "10.0.0.1") > 0, t.retry_after("ana", "10.0.0.2")
        (True, 0)
    """

    def __init__(self, limit: str, storage_uri: str) -> None:
        from limits import parse, storage, strategies

        self._limit = parse(limit)
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    @staticmethod
    def _key(username: str, client: str) -> str:
        return f"login|{username.strip().lower()}|{client}"

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        key = self._key(username, client)
        if self._limiter.test(self._limit, key):
            return 0
        reset = self._limiter.get_window_stats(self._limit, key).reset_time
        return max(1, int(reset - time.time()) + 1)

    def failed(self, username: str, client: str) -> None:
        self._limiter.hit(self._limit, self._key(username, client))

    def succeeded(self, username: str, client: str) -> None:
        self._limiter.clear(self._limit, self._key(username, client))


_throttles: dict[str, LoginThrottle] = {}


def throttle_for(settings: Settings) -> LoginThrottle:
    """The sign-in throttle of one shop (one per data dir, limit and storage)."""
    key = f"{settings.data_dir}|{settings.login_rate_limit}|{settings.rate_limit_storage}"
    with _secret_lock:
        throttle = _throttles.get(key)
        if throttle is None:
            throttle = _throttles[key] = LoginThrottle(settings.login_rate_limit, settings.rate_limit_storage)
        return throttle


def signer_for(settings: Settings) -> SessionSigner:
    """The signer of one shop (secret from ``settings.session_secret`` or ``data_dir/session_secret``)."""
    key = f"{settings.data_dir}|{settings.effective_database_url}"
    with _secret_lock:
        signer = _signers.get(key)
        if signer is None:
            signer = SessionSigner(_load_secret(settings), ttl_seconds=settings.session_ttl_minutes * 60)
            _signers[key] = signer
        return signer


class _HasCookies(Protocol):
    @property
    def cookies(self) -> Any: ...


def session_from_cookies(cookies: Any, settings: Settings, db: Database) -> SessionUser | None:
    """The current user of a cookie jar (dict-like), re-checked against the users table."""
    token = cookies.get(SESSION_COOKIE) if cookies is not None else None
    claimed = signer_for(settings).verify(token)
    if claimed is None:
        return None
    current = get_user(db, claimed.username)
    if current is None or current.role != claimed.role:
        return None
    return claimed


def user_from_request(request: Any, settings: Settings, db: Database) -> SessionUser | None:
    """The signed-in user of a FastAPI ``Request`` or a ``gr.Request``; None when anonymous.

    Example:
        >>> def handler(request: gr.Request):  # doctest: +SKIP
        ...     user = user_from_request(request, services.settings, services.db)
    """
    if request is None:
        return None
    try:
        cookies = request.cookies
    except AttributeError:
        return None
    return session_from_cookies(cookies, settings, db)


# --- FastAPI side --------------------------------------------------------------------------------


def _services(request: Request) -> Any:
    return request.app.state.services


def current_user(request: Request) -> SessionUser | None:
    services = _services(request)
    return user_from_request(request, services.settings, services.db)


def _require(role: str) -> Any:
    def dependency(user: Annotated[SessionUser | None, Depends(current_user)]) -> SessionUser:
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Please sign in.",
                headers={"WWW-Authenticate": "Cookie"},
            )
        if not user.can(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"This needs the {role} role.")
        return user

    return dependency


require_agent = _require("agent")
require_admin = _require("admin")
AgentUser = Annotated[SessionUser, Depends(require_agent)]
AdminUser = Annotated[SessionUser, Depends(require_admin)]


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class Me(BaseModel):
    username: str
    role: str
    expires: float


router = APIRouter(prefix="/api/auth", tags=["auth"])


def set_session_cookie(response: Response, token: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,  # page scripts never need it; keeps it from XSS
        samesite="lax",  # cross-site POSTs arrive without it (CSRF)
        secure=settings.session_cookie_secure,
        path="/",
    )


@router.post("/login", response_model=Me)
async def login(request: Request, response: Response) -> Me:
    """Sign in with ``{"username", "password"}`` (JSON or form); sets the session cookie.

    Example:
        $ curl -c jar -H 'content-type: application/json' \\
              -d '{"username":"ana","password":"..."}' http://127.0.0.1:7860/api/auth/login
    """
    services = _services(request)
    if "application/json" in request.headers.get("content-type", ""):
        raw: Any = await request.json()
    else:
        raw = dict(await request.form())
    try:
        body = LoginBody.model_validate(raw)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="Enter a username and password.") from None
    throttle = throttle_for(services.settings)
    client = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(body.username, client)
    if wait:
        minutes = max(1, round(wait / 60))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(services.db, body.username, body.password)
    if user is None:
        throttle.failed(body.username, client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Wrong username or password.")
    throttle.succeeded(body.username, client)
    signer = signer_for(services.settings)
    token = signer.issue(user.username, user.role)
    set_session_cookie(response, token, services.settings, signer.ttl_seconds)
    verified = signer.verify(token)
    assert verified is not None
    return Me(username=verified.username, role=verified.role, expires=verified.expires)


@router.post("/logout")
def logout(response: Response) -> dict[str, bool]:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/me", response_model=Me)
def me(user: AgentUser) -> Me:
    """Who is signed in (401 when nobody is)."""
    return Me(username=user.username, role=user.role, expires=user.expires)
