"""Moving-window limits per key (the ``limits`` library), counted where the shop's throttles live.

``settings.rate_limit_storage`` picks the backend for every throttle of a shop: ``memory://`` (one
process, the default) or ``redis://…`` / ``memcached://…`` when several app processes serve one
shop, so a client cannot spread its requests over the workers. Sign-in failures
(:class:`assistant.services.users.LoginThrottle`), identity checks in chat
(:mod:`assistant.security.identity`) and the per-client request rates below all count there.

:class:`ClientRate` limits how often one client address may do something (open a conversation, send
a message, click a product card, give feedback, read recommendations or a transcript, poll for the team's
replies, ask for a person, search): ``take`` counts one request and
answers 0, or, once a window is spent, the seconds to wait
(the request is not counted). A spec of ``off`` limits nothing; an empty client (a call from inside
the process: the CLI, the dialogue runner's own services) is never limited.

Example:
    >>> rate = ClientRate("2/minute", "memory://", "demo")
    >>> rate.take("10.0.0.1"), rate.take("10.0.0.1"), rate.take("10.0.0.1") > 0, rate.take("10.0.0.2")
    (0, 0, True, 0)
    >>> ClientRate("off", "memory://", "demo").take("10.0.0.1")
    0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from assistant.config import OFF


class KeyedWindows:
    """Counts hits per ``(limit, key)`` in moving windows, in one storage backend."""

    def __init__(self, storage_uri: str) -> None:
        from limits import storage, strategies

        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def wait(self, items: Iterable[tuple[Any, str]]) -> int:
        """Seconds until every ``(limit, key)`` allows one more hit (0: all allow it now)."""
        wait = 0
        for limit, key in items:
            if not self._limiter.test(limit, key):
                reset = self._limiter.get_window_stats(limit, key).reset_time
                wait = max(wait, max(1, int(reset - time.time()) + 1))
        return wait

    def hit(self, items: Iterable[tuple[Any, str]]) -> None:
        for limit, key in items:
            self._limiter.hit(limit, key)

    def clear(self, limit: Any, key: str) -> None:
        self._limiter.clear(limit, key)


class ClientRate:
    """At most ``spec`` requests of one kind per client address (see the module docstring)."""

    def __init__(self, spec: str, storage_uri: str, kind: str) -> None:
        from limits import parse_many

        self.kind = kind
        self._limits = [] if spec.strip().lower() == OFF else list(parse_many(spec))
        self._windows = KeyedWindows(storage_uri)
        self._lock = threading.Lock()

    def take(self, client: str | None) -> int:
        """Count one request of ``client``: 0 when allowed, else seconds to wait (not counted)."""
        if not client or not self._limits:
            return 0
        items = [(limit, f"rate|{self.kind}|{client}") for limit in self._limits]
        with self._lock:  # test-then-hit as one step within this process
            wait = self._windows.wait(items)
            if not wait:
                self._windows.hit(items)
        return wait


_lock = threading.Lock()
_rates: dict[str, ClientRate] = {}


def client_rate_for(settings: Any, kind: str) -> ClientRate:
    """The shop's limit on ``kind`` per client (``settings.security.<kind>_per_client``): ``conversations``,
    ``messages``, ``clicks``, ``feedback``, ``recommendations``, ``transcripts``, ``agent_polls``, ``handoffs`` or
    ``searches``."""
    spec = str(getattr(settings.security, f"{kind}_per_client"))
    key = "|".join([str(settings.data_dir), kind, spec, settings.rate_limit_storage])
    with _lock:
        rate = _rates.get(key)
        if rate is None:
            rate = _rates[key] = ClientRate(spec, settings.rate_limit_storage, kind)
        return rate
