"""Who is who: agent/admin accounts and sessions, shop-signed customer identity tokens, demo mode.

Sessions: an agent or admin signs in and gets a cookie holding ``{username, role, issued,
expires, credential stamp}`` signed with HMAC-SHA256 (:class:`SessionSigner`). Each check re-reads
the user from the database, so deleting a user, changing a role or resetting a password takes
effect on their next click.

Customer identity (the pattern of Intercom's and Zendesk's identity verification): a caller can
never *claim* a customer id. The shop's own site, where the customer is signed in, signs the id
and an expiry with a secret it shares with ShopAssist (``settings.identity_secret``) and hands the
token to the chat widget, which passes it when it opens a conversation::

    payload = b64url(customer_id) + "." + str(expires_unix)
    token = payload + "." + hex(HMAC-SHA256(secret, payload))

where ``b64url`` is URL-safe base64 without ``=`` padding. :func:`mint_identity_token` makes one
(the demo's "act as a customer" picker uses it server-side, in demo mode only), and
:func:`verify_identity_token` checks one.

Example:
    >>> from assistant.config import Settings
    >>> s = Settings(data_dir="/tmp/shop-identity-doc", identity_secret="a-shared-secret-of-the-shop")
    >>> token = mint_identity_token(s, "C001", ttl_s=600, now=1000.0)
    >>> verify_identity_token(s, token, now=1100.0)
    'C001'
    >>> signer = SessionSigner(b"k" * 32, ttl_seconds=60)
    >>> signer.verify(signer.issue("ana", "agent", now=1000.0), now=1030.0).username
    'ana'

Over 400 lines on purpose: sessions, identity tokens and accounts are one trust boundary, kept in
one module so it can be reviewed at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from assistant.config import Settings
from assistant.services.types import Forbidden, Invalid, NotFound, SessionUser
from assistant.store.db import Database
from assistant.store.models import Customer
from assistant.users import (
    DEMO_USERS,
    UserError,
    UserView,
    add_user,
    authenticate,
    ensure_demo_users,
    get_user,
    list_users,
)

__all__ = [
    "SESSION_COOKIE",
    "LoginThrottle",
    "SessionSigner",
    "SessionUser",
    "UsersService",
    "mint_identity_token",
    "session_from_cookies",
    "signer_for",
    "throttle_for",
    "verify_identity_token",
]

SESSION_COOKIE = "shopassist_session"
DEFAULT_SESSION_TTL_SECONDS = 8 * 3600
DEMO_SOURCE_PREFIX = "demo:"


if TYPE_CHECKING:
    from assistant.interest.online import InterestService
    from assistant.vectors import VectorStore


class ForgottenCustomer(BaseModel):
    """What forgetting a customer deleted or stripped (counts)."""

    customer_id: str
    profile_deleted: bool
    conversations: int
    deleted_rows: dict[str, int]
    orders_stripped: int
    reviews_stripped: int
    vectors_deleted: int
    vacuumed: bool
    total: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- secrets kept in the data dir when not configured ---------------------------------------------

_lock = threading.Lock()


def _data_dir_secret(settings: Settings, name: str) -> bytes:
    """A random key kept in ``data_dir/<name>`` (0600), so restarts keep signatures valid."""
    path = Path(settings.data_dir) / name
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


# --- agent/admin sessions ---------------------------------------------------------------------------


class SessionSigner:
    """Issues and verifies session tokens; a token past ``expires`` or with a bad signature is None."""

    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_SESSION_TTL_SECONDS) -> None:
        if len(secret) < 16:
            raise ValueError("session secret must be at least 16 bytes")
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, username: str, role: str, now: float | None = None, stamp: str = "") -> str:
        """A token for ``username``; ``stamp``: the account's credential stamp (:class:`UserView`)."""
        now = time.time() if now is None else now
        body = {"u": username, "r": role, "iat": int(now), "exp": now + self.ttl_seconds, "s": stamp}
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
            user = SessionUser(
                username=str(body["u"]), role=str(body["r"]), expires=float(body["exp"]), stamp=str(body.get("s", ""))
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        now = time.time() if now is None else now
        return user if now < user.expires else None


_signers: dict[str, SessionSigner] = {}


def signer_for(settings: Settings) -> SessionSigner:
    """The signer of one shop (secret from ``settings.session_secret`` or ``data_dir/session_secret``)."""
    key = f"{settings.data_dir}|{settings.effective_database_url}"
    with _lock:
        signer = _signers.get(key)
        if signer is None:
            secret = (
                settings.session_secret.get_secret_value().encode()
                if settings.session_secret is not None
                else _data_dir_secret(settings, "session_secret")
            )
            signer = SessionSigner(secret, ttl_seconds=settings.session_ttl_minutes * 60)
            _signers[key] = signer
        return signer


class LoginThrottle:
    """Counts failed sign-ins in moving windows (the ``limits`` library) under three keys at once:

    * the username from one client address (``limit``): guessing at one account is slowed without
      letting a stranger lock its owner out from every address;
    * the username from all addresses together (``account_limit``): guesses spread over many addresses
      (a botnet, rotated proxies) stop too;
    * the client address across all usernames (``client_limit``): one address cannot try a common
      password on every account name (password spraying).

    Once any of them is spent, further attempts are refused (429) without checking the password,
    until the window moves on. An unknown username counts exactly like a known one, so neither the
    answer nor the throttle tells whether an account exists. A success clears only its own
    username-and-address count. The counts live in ``settings.rate_limit_storage``: in memory for one
    process, or Redis/Memcached when several app processes share the load.

    Example:
        >>> t = LoginThrottle("2/minute", "memory://")
        >>> t.failed("ana", "10.0.0.1"); t.failed("ana", "10.0.0.1")
        >>> t.retry_after("ana", "10.0.0.1") > 0, t.retry_after("ana", "10.0.0.2")
        (True, 0)
        >>> t = LoginThrottle("5/minute", "memory://", account_limit="2/hour")
        >>> t.failed("ana", "10.0.0.1"); t.failed("ana", "10.0.0.2")
        >>> t.retry_after("ana", "10.0.0.3") > 0, t.retry_after("bob", "10.0.0.3")
        (True, 0)
    """

    def __init__(
        self, limit: str, storage_uri: str, *, account_limit: str | None = None, client_limit: str | None = None
    ) -> None:
        from limits import parse

        from assistant.security.throttle import KeyedWindows

        self._limit = parse(limit)
        self._account = parse(account_limit) if account_limit else None
        self._client = parse(client_limit) if client_limit else None
        self._windows = KeyedWindows(storage_uri)

    @staticmethod
    def _key(username: str, client: str) -> str:
        return f"login|{username.strip().lower()}|{client}"

    def _items(self, username: str, client: str) -> list[tuple[Any, str]]:
        items: list[tuple[Any, str]] = [(self._limit, self._key(username, client))]
        if self._account is not None:
            items.append((self._account, f"login-account|{username.strip().lower()}"))
        if self._client is not None:
            items.append((self._client, f"login-client|{client}"))
        return items

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        return self._windows.wait(self._items(username, client))

    def failed(self, username: str, client: str) -> None:
        self._windows.hit(self._items(username, client))

    def succeeded(self, username: str, client: str) -> None:
        # Only this pair: the account's and the address's counts guard against other guessers.
        self._windows.clear(self._limit, self._key(username, client))


_throttles: dict[str, LoginThrottle] = {}


def throttle_for(settings: Settings) -> LoginThrottle:
    """The sign-in throttle of one shop (one per data dir, limits and storage)."""
    limits = (settings.login_rate_limit, settings.login_account_rate_limit, settings.login_client_rate_limit)
    key = "|".join([str(settings.data_dir), *limits, settings.rate_limit_storage])
    with _lock:
        throttle = _throttles.get(key)
        if throttle is None:
            throttle = _throttles[key] = LoginThrottle(
                settings.login_rate_limit,
                settings.rate_limit_storage,
                account_limit=settings.login_account_rate_limit,
                client_limit=settings.login_client_rate_limit,
            )
        return throttle


def session_from_cookies(cookies: Any, settings: Settings, db: Database) -> SessionUser | None:
    """The current user of a cookie jar (dict-like), re-checked against the users table."""
    token = cookies.get(SESSION_COOKIE) if cookies is not None else None
    claimed = signer_for(settings).verify(token)
    if claimed is None or token is None:
        return None
    from assistant.security.sessions import is_revoked  # logout revokes a token on every worker (issue 11)

    if is_revoked(db, token):
        return None
    current = get_user(db, claimed.username)
    # A deleted account, a changed role or a reset password (a new credential stamp) ends the session.
    if current is None or current.role != claimed.role or not hmac.compare_digest(current.stamp, claimed.stamp):
        return None
    return claimed


# --- customer identity tokens -----------------------------------------------------------------------


def identity_secret(settings: Settings) -> bytes:
    """The key identity tokens are signed with: ``settings.identity_secret``, else ``data_dir/identity_secret``."""
    if settings.identity_secret is not None and settings.identity_secret.get_secret_value():
        return settings.identity_secret.get_secret_value().encode()
    with _lock:
        return _data_dir_secret(settings, "identity_secret")


def _identity_signature(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def mint_identity_token(settings: Settings, customer_id: str, ttl_s: int = 3600, now: float | None = None) -> str:
    """A token saying "the shop vouches that this is ``customer_id``" until ``now + ttl_s``.

    What the shop's own site does after its customer signs in (see the module docstring for the
    format); ShopAssist calls it itself only for the demo's customer picker.
    """
    if not customer_id or len(customer_id) > 64:
        raise Invalid("customer_id must be 1-64 characters")
    if ttl_s < 1:
        raise Invalid("ttl_s must be positive")
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{_b64(customer_id.encode())}.{expires}"
    return f"{payload}.{_identity_signature(identity_secret(settings), payload)}"


def verify_identity_token(settings: Settings, token: str, now: float | None = None) -> str:
    """The customer id a valid token vouches for; :class:`Invalid` (saying why) otherwise."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise Invalid("identity_token is malformed: expected <b64url customer id>.<expiry>.<hex signature>")
    encoded, expiry, signature = parts
    expected = _identity_signature(identity_secret(settings), f"{encoded}.{expiry}")
    if not hmac.compare_digest(signature.lower(), expected):
        raise Invalid("identity_token signature does not match (signed with another secret, or altered)")
    now = time.time() if now is None else now
    if int(expiry) <= now:
        raise Invalid("identity_token has expired")
    if int(expiry) > now + settings.identity_token_max_ttl_s + 60:
        raise Invalid(f"identity_token expires too far ahead (at most {settings.identity_token_max_ttl_s} s)")
    try:
        customer_id = _unb64(encoded).decode("utf-8")
    except (ValueError, binascii.Error):
        raise Invalid("identity_token is malformed: the customer id is not base64url text") from None
    if not customer_id or len(customer_id) > 64:
        raise Invalid("identity_token names no valid customer id")
    return customer_id


# --- the use case -----------------------------------------------------------------------------------


class UsersService:
    """Accounts, sign-in, sessions, customer identity and the demo helpers of one shop.

    Example:
        >>> users = services.users  # doctest: +SKIP
        >>> users.sign_in("ana", "agent-pass-123", client="10.0.0.1")  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        vectors: VectorStore | None = None,
        interest: Callable[[], InterestService | None] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.vectors = vectors
        self._interest = interest or (lambda: None)

    # privacy
    def forget_customer(self, user: SessionUser | None, customer_id: str) -> ForgottenCustomer:
        """Delete or strip everything about ``customer_id`` (admins only; :class:`NotFound` if unknown).

        The recommender's cached history of them and the output guard's index are dropped too.
        """
        if user is None or not user.can("admin"):
            raise Forbidden("This needs the admin role.")
        customer_id = customer_id.strip()
        if not customer_id:
            raise Invalid("customer_id: give the customer's id.")
        if self.vectors is None:
            raise RuntimeError("UsersService was built without the vector store; forgetting needs it.")
        from assistant.ops.forget import UnknownCustomer, forget_customer
        from assistant.security.pii import guard_for

        try:
            result = forget_customer(self.db, self.vectors, customer_id, interest=self._interest())
        except UnknownCustomer:
            raise NotFound(f"No customer {customer_id!r} in any store.") from None
        guard_for(self.settings, self.db).invalidate()
        return ForgottenCustomer(
            customer_id=result.customer_id,
            profile_deleted=result.profile_deleted,
            conversations=result.conversations,
            deleted_rows=dict(result.deleted_rows),
            orders_stripped=result.orders_stripped,
            reviews_stripped=result.reviews_stripped,
            vectors_deleted=result.vectors_deleted,
            vacuumed=result.vacuumed,
            total=result.total,
        )

    # accounts
    def add(self, username: str, password: str, role: str, *, replace: bool = False) -> UserView:
        """Create an agent or admin (``replace``: reset an existing one); raises :class:`Invalid`."""
        try:
            return add_user(self.db, username, password, role, replace=replace)
        except UserError as exc:
            raise Invalid(str(exc)) from None

    def accounts(self, user: SessionUser | None = None) -> list[UserView]:
        """Every account (admins only when ``user`` is given)."""
        if user is not None and not user.can("admin"):
            raise Forbidden("This needs the admin role.")
        return list_users(self.db)

    def authenticate(self, username: str, password: str) -> UserView | None:
        return authenticate(self.db, username, password)

    # sessions
    def issue_session(self, user: UserView) -> tuple[str, SessionUser]:
        """A signed session token for a signed-in user, and what it says."""
        signer = signer_for(self.settings)
        token = signer.issue(user.username, user.role, stamp=user.stamp)
        verified = signer.verify(token)
        assert verified is not None
        return token, verified

    def session(self, cookies: Any) -> SessionUser | None:
        """The signed-in agent/admin of a cookie jar (dict-like), or None."""
        return session_from_cookies(cookies, self.settings, self.db)

    def session_from_request(self, request: Any) -> SessionUser | None:
        """The signed-in user of a FastAPI ``Request`` or a ``gr.Request``; None when anonymous."""
        if request is None:
            return None
        try:
            cookies = request.cookies
        except AttributeError:
            return None
        return self.session(cookies)

    # customers
    def verify_identity(self, token: str) -> str:
        """The customer a shop-signed identity token proves (:class:`Invalid` when it does not)."""
        return verify_identity_token(self.settings, token)

    def mint_identity(self, customer_id: str, ttl_s: int = 3600) -> str:
        return mint_identity_token(self.settings, customer_id, ttl_s)

    # demo shop
    def demo_mode(self) -> bool:
        """True for the demo shop (its customers come from the ``demo:`` source)."""
        with self.db.session() as s:
            found = s.scalar(select(Customer.id).where(Customer.source.like(f"{DEMO_SOURCE_PREFIX}%")).limit(1))
        return found is not None

    def demo_customers(self, limit: int = 40) -> list[tuple[str, str]]:
        """``(label, customer_id)`` of the demo shop's customers; empty for a real shop."""
        with self.db.session() as s:
            rows = s.execute(
                select(Customer.id, Customer.name)
                .where(Customer.source.like(f"{DEMO_SOURCE_PREFIX}%"))
                .order_by(Customer.id)
                .limit(limit)
            ).all()
        return [(f"{name} · {cid}", cid) for cid, name in rows]

    def demo_identity_token(self, customer_id: str, ttl_s: int = 3600) -> str:
        """What the demo's "act as a customer" picker uses: a token minted here, for demo customers only."""
        if customer_id not in {cid for _, cid in self.demo_customers(limit=100_000)}:
            raise Forbidden("Acting as a customer is only possible for the demo shop's own customers.")
        return mint_identity_token(self.settings, customer_id, ttl_s)

    def ensure_demo_accounts(self) -> dict[str, str]:
        """Create the public demo agent/admin accounts (demo mode only); ``{username: password}`` created."""
        if not self.demo_mode():
            return {}
        return ensure_demo_users(self.db)

    def demo_accounts_hint(self) -> str:
        """The sign-in hint for the demo accounts, when they exist with their public passwords."""
        if not self.demo_mode():
            return ""
        self.ensure_demo_accounts()
        if all(authenticate(self.db, name, pw) for name, (pw, _) in DEMO_USERS.items()):
            return "Demo accounts: **agent** / `agent-demo-pass` and **admin** / `admin-demo-pass`."
        return ""
