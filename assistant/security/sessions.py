"""Server-side logout: a signed session token, once revoked, fails at once on every worker.

Session cookies are signed and stateless, so deleting the cookie in one browser would leave a copied
token valid until it expires. Logout therefore records the token's SHA-256 in the ``revoked_sessions``
table (migration 0003), which every worker reads on every session check; rows are purged once the
token would have expired anyway.

Example:
    >>> revoke_session(db, token, "ana", expires=time.time() + 600)  # doctest: +SKIP
    >>> is_revoked(db, token)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from assistant.store.db import Database
from assistant.store.models import RevokedSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_session(db: Database, token: str, username: str, expires: float) -> None:
    """Revoke ``token`` (valid until ``expires``, a Unix time) for every worker sharing ``db``."""
    now = datetime.now(UTC)
    try:
        with db.session() as s:
            s.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
            s.add(
                RevokedSession(
                    token_hash=_hash(token),
                    username=username,
                    expires_at=datetime.fromtimestamp(expires, UTC),
                    revoked_at=now,
                )
            )
    except IntegrityError:
        pass  # already revoked (a double click on "Sign out")


def is_revoked(db: Database, token: str) -> bool:
    """Whether ``token`` was revoked by a logout."""
    with db.session() as s:
        return s.scalar(select(RevokedSession.token_hash).where(RevokedSession.token_hash == _hash(token))) is not None
