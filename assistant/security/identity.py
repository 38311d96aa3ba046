"""Limits on failed identity checks in chat, so details cannot be guessed.

Failed checks are counted in moving windows (the ``limits`` library, as for sign-in) under three
keys at once: the conversation, the client address, and every customer the failed claim named (by
full name, or by email on file). Once any of them is spent, further checks are refused without
being evaluated, until the window moves on. The counts live in ``settings.rate_limit_storage``
(memory for one process, Redis/Memcached for several), so opening a new conversation does not reset
the client's or the customer's count.

The client address of the current HTTP request is put in :data:`client_address` by the security
middleware (:mod:`assistant.api.security`, which believes ``X-Forwarded-For`` only from configured
proxies); callers outside a request pass it explicitly.

Example:
    >>> t = IdentityThrottle("2/hour", "5/hour", "3/hour", "memory://")
    >>> t.failed("conv1", "10.0.0.1", ["C001"]); t.failed("conv1", "10.0.0.1", ["C001"])
    >>> t.retry_after("conv1", "10.0.0.1", []) > 0, t.retry_after("conv2", "10.0.0.9", [])
    (True, 0)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

#: The client address of the request being served (set by the security middleware), else None.
client_address: ContextVar[str | None] = ContextVar("shopassist_client_address", default=None)


class IdentityThrottle:
    """Counts failed identity checks per conversation, client address and claimed customer."""

    def __init__(self, per_conversation: str, per_client: str, per_customer: str, storage_uri: str) -> None:
        from limits import parse, storage, strategies

        self._limits = {
            "conv": parse(per_conversation),
            "client": parse(per_client),
            "customer": parse(per_customer),
        }
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    @staticmethod
    def _keys(conversation_id: str | None, client: str | None, customers: Iterable[str]) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        if conversation_id:
            keys.append(("conv", f"identity|conv|{conversation_id}"))
        if client:
            keys.append(("client", f"identity|client|{client}"))
        for c in sorted({c for c in customers if c}):
            keys.append(("customer", f"identity|customer|{c.strip().lower()}"))
        return keys

    def retry_after(self, conversation_id: str | None, client: str | None, customers: Iterable[str]) -> int:
        """Seconds until another check is allowed for all of these keys (0: allowed now)."""
        wait = 0
        for kind, key in self._keys(conversation_id, client, customers):
            limit = self._limits[kind]
            if not self._limiter.test(limit, key):
                reset = self._limiter.get_window_stats(limit, key).reset_time
                wait = max(wait, max(1, int(reset - time.time()) + 1))
        return wait

    def failed(self, conversation_id: str | None, client: str | None, customers: Iterable[str]) -> None:
        for kind, key in self._keys(conversation_id, client, customers):
            self._limiter.hit(self._limits[kind], key)

    def succeeded(self, conversation_id: str | None) -> None:
        """A verified conversation starts afresh; client and customer counts stay (they guard others)."""
        if conversation_id:
            self._limiter.clear(self._limits["conv"], f"identity|conv|{conversation_id}")


_lock = threading.Lock()
_throttles: dict[str, IdentityThrottle] = {}


def identity_throttle_for(settings: Any) -> IdentityThrottle:
    """The identity-check throttle of one shop (one per data dir, limits and storage)."""
    sec = settings.security
    key = "|".join(
        [
            str(settings.data_dir),
            sec.identity_attempts_per_conversation,
            sec.identity_attempts_per_client,
            sec.identity_attempts_per_customer,
            settings.rate_limit_storage,
        ]
    )
    with _lock:
        throttle = _throttles.get(key)
        if throttle is None:
            throttle = _throttles[key] = IdentityThrottle(
                sec.identity_attempts_per_conversation,
                sec.identity_attempts_per_client,
                sec.identity_attempts_per_customer,
                settings.rate_limit_storage,
            )
        return throttle
