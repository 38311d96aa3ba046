"""Support agents and admins: accounts in the database, passwords hashed with Argon2id.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.store.db import Database
    >>> db = Database(Settings(data_dir="/tmp/shop-users-doc"))
    >>> db.migrate()
    >>> _ = add_user(db, "doc-ana", "correct horse battery", "agent", replace=True)
    >>> authenticate(db, "doc-ana", "correct horse battery").role
    'agent'
    >>> authenticate(db, "doc-ana", "wrong") is None
    True

The use case around these (sessions, identity, demo accounts) is
:class:`assistant.services.users.UsersService`; ``shopassist user add`` is ``assistant.cli.user_add``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from assistant.store.db import Database
from assistant.store.models import USER_ROLES, User

MIN_PASSWORD_LENGTH = 8
# Demo shops get these accounts so a newcomer can open the agent and admin areas at once.
DEMO_USERS: dict[str, tuple[str, str]] = {
    "agent": ("agent-demo-pass", "agent"),
    "admin": ("admin-demo-pass", "admin"),
}

# argon2-cffi's defaults follow RFC 9106's low-memory profile (Argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user"
# equal to "wrong password", so the login form does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("no-such-user-placeholder")


class UserError(ValueError):
    """A user cannot be added: bad role, short password, taken name."""


@dataclass(frozen=True)
class UserView:
    """What the app keeps about a signed-in user (never the hash).

    ``stamp`` changes whenever the password does (a digest of the hash, which gets a new salt each
    time): sessions carry it, so resetting a password signs every earlier session out.
    """

    id: int
    username: str
    role: str
    stamp: str = ""


def credential_stamp(user: User) -> str:
    """The account's current credential stamp (see :class:`UserView`)."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:24]


def _view(user: User) -> UserView:
    return UserView(id=user.id, username=user.username, role=user.role, stamp=credential_stamp(user))


def hash_password(password: str) -> str:
    """An Argon2id hash string (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(db: Database, username: str, password: str, role: str, *, replace: bool = False) -> UserView:
    """Create an agent or admin; ``replace=True`` resets the password and role of an existing one.

    Example:
        >>> add_user(db, "sam", "a long passphrase", "admin")  # doctest: +SKIP
        UserView(id=1, username='sam', role='admin')
    """
    username = username.strip()
    if not username or len(username) > 100:
        raise UserError("username must be 1-100 characters")
    if role not in USER_ROLES:
        raise UserError(f"role must be one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is not None and not replace:
            raise UserError(f"user {username!r} already exists")
        if user is None:
            user = User(username=username, password_hash=hash_password(password), role=role)
            s.add(user)
        else:
            user.password_hash = hash_password(password)
            user.role = role
        s.flush()
        return _view(user)


def authenticate(db: Database, username: str, password: str) -> UserView | None:
    """The user when the password is right, else None (same timing either way)."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            # Parameters were raised since this hash was made: upgrade it while we hold the password.
            user.password_hash = hash_password(password)
        return _view(user)


def get_user(db: Database, username: str) -> UserView | None:
    """The user by name, or None (used to re-check a session against the current account)."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        return None if user is None else _view(user)


def list_users(db: Database) -> list[UserView]:
    with db.session() as s:
        rows = s.scalars(select(User).order_by(User.username)).all()
        return [_view(u) for u in rows]


def ensure_demo_users(db: Database) -> dict[str, str]:
    """Create the demo ``agent`` and ``admin`` accounts if no account exists yet.

    Only for demo shops: the passwords are public (see docs/ui.md). Returns
    ``{username: password}`` of the accounts created (empty when users already existed).
    """
    if list_users(db):
        return {}
    created: dict[str, str] = {}
    for username, (password, role) in DEMO_USERS.items():
        add_user(db, username, password, role)
        created[username] = password
    return created
