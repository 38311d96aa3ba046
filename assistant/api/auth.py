"""Sign-in for agents and admins: a signed, expiring session cookie checked on every request.

The cookie holds ``{username, role, issued, expires, credential stamp}`` signed with HMAC-SHA256.
It is stateless, so each check also re-reads the user from the database: deleting a user,
changing a role or resetting a password (a new stamp) takes effect on their next click, not when
the cookie expires.

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

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, Security, status
from pydantic import BaseModel, Field

from assistant.api.deps import get_services, session_cookie_scheme
from assistant.config import Settings
from assistant.services.types import SessionUser

# The signing, throttling and cookie checks live in the users service (the UI uses them too);
# re-exported here for the routes and for existing imports.
from assistant.services.users import (
    DEFAULT_SESSION_TTL_SECONDS,
    SESSION_COOKIE,
    LoginThrottle,
    SessionSigner,
    session_from_cookies,
    signer_for,
    throttle_for,
)

__all__ = [
    "DEFAULT_SESSION_TTL_SECONDS",
    "SESSION_COOKIE",
    "AdminUser",
    "AgentUser",
    "LoginThrottle",
    "SessionSigner",
    "SessionUser",
    "current_user",
    "require_admin",
    "require_agent",
    "session_from_cookies",
    "signer_for",
    "throttle_for",
    "user_from_request",
]


def user_from_request(request: Any, settings: Settings, db: Any) -> SessionUser | None:
    """The signed-in user of a FastAPI ``Request`` or a ``gr.Request``; None when anonymous."""
    if request is None:
        return None
    try:
        cookies = request.cookies
    except AttributeError:
        return None
    return session_from_cookies(cookies, settings, db)


# --- FastAPI side --------------------------------------------------------------------------------


def _services(request: Request) -> Any:
    return get_services(request)


def current_user(
    request: Request, _cookie: Annotated[str | None, Security(session_cookie_scheme)] = None
) -> SessionUser | None:
    return _services(request).users.session_from_request(request)  # type: ignore[no-any-return]


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
    user = services.users.authenticate(body.username, body.password)
    if user is None:
        throttle.failed(body.username, client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Wrong username or password.")
    throttle.succeeded(body.username, client)
    token, verified = services.users.issue_session(user)
    set_session_cookie(response, token, services.settings, signer_for(services.settings).ttl_seconds)
    return Me(username=verified.username, role=verified.role, expires=verified.expires)


@router.post("/logout")
def logout(request: Request, response: Response) -> dict[str, bool]:
    """End the session: the token is revoked server-side (every worker refuses it at once), the cookie cleared."""
    from assistant.security.sessions import revoke_session

    services = _services(request)
    token = request.cookies.get(SESSION_COOKIE)
    claimed = signer_for(services.settings).verify(token)
    if token is not None and claimed is not None:
        revoke_session(services.db, token, claimed.username, claimed.expires)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/me", response_model=Me)
def me(user: AgentUser) -> Me:
    """Who is signed in (401 when nobody is)."""
    return Me(username=user.username, role=user.role, expires=user.expires)
