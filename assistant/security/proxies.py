"""Forwarded-client headers from peers that are not trusted proxies: ignored, but noticed.

ShopAssist believes ``X-Forwarded-For`` only from ``security.trusted_proxies``
(:mod:`assistant.api.security`). When a reverse proxy in front of it is not listed there, the header
it adds is ignored and every customer seems to come from the proxy's address: they share one count
of every per-client limit (conversations, messages, clicks, identity checks, sign-ins), so one busy
customer or one script locks everyone out. That is a configuration mistake the app can see: requests
from an untrusted peer carrying ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``.

:class:`ForwardingWatch` counts them per peer, logs one warning per process naming the peer and the
setting to change, and :func:`deployment_warnings` turns the counts into the sentences the admin
status shows. The header is still never believed: an outsider can send it too (then the warning is a
false alarm the admin can dismiss by reading the peer address).

Example:
    >>> watch = ForwardingWatch()
    >>> watch.saw("10.0.0.5", "X-Forwarded-For")
    >>> watch.summary()["peers"]
    {'10.0.0.5': 1}
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: Headers a reverse proxy sets to name the client (lower-case, as ASGI gives them) and how logs name them.
FORWARD_HEADERS: dict[bytes, str] = {
    b"x-forwarded-for": "X-Forwarded-For",
    b"forwarded": "Forwarded",
    b"x-real-ip": "X-Real-IP",
}
#: Peers remembered at most (the ones seen most often are kept).
MAX_PEERS = 20


class ForwardingWatch:
    """Requests with a forwarded-client header from untrusted peers, per peer (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._peers: dict[str, int] = {}
        self._headers: set[str] = set()
        self._first = 0.0
        self._last = 0.0
        self.warned = False

    def saw(self, peer: str, header: str) -> None:
        """One request from ``peer`` (not a trusted proxy) carried ``header``; the first one is logged."""
        now = time.time()
        with self._lock:
            if peer not in self._peers and len(self._peers) >= MAX_PEERS:
                rarest = min(self._peers, key=self._peers.__getitem__)
                del self._peers[rarest]
            self._peers[peer] = self._peers.get(peer, 0) + 1
            self._headers.add(header)
            self._first = self._first or now
            self._last = now
            first, self.warned = not self.warned, True
        if first:
            log.warning(
                "A request from %s carries %s, but %s is not in SHOPASSIST_SECURITY__TRUSTED_PROXIES: the header is "
                "ignored. If %s is your reverse proxy, every customer now shares its address and its per-client "
                "limits (conversations, messages, clicks, identity checks, sign-ins); list it, e.g. "
                "SHOPASSIST_SECURITY__TRUSTED_PROXIES='[\"%s\"]' (docs/security.md). Logged once per process.",
                peer,
                header,
                peer,
                peer,
                peer,
            )

    def summary(self) -> dict[str, Any] | None:
        """What was seen (None: nothing): requests per peer, the headers, first and last time (epoch seconds)."""
        with self._lock:
            if not self._peers:
                return None
            return {
                "peers": dict(sorted(self._peers.items(), key=lambda kv: -kv[1])),
                "headers": sorted(self._headers),
                "first_seen": self._first,
                "last_seen": self._last,
            }


_lock = threading.Lock()
_watches: dict[str, ForwardingWatch] = {}


def forwarding_watch_for(settings: Any) -> ForwardingWatch:
    """The watch of one shop in this process (one per data dir)."""
    key = str(settings.data_dir)
    with _lock:
        watch = _watches.get(key)
        if watch is None:
            watch = _watches[key] = ForwardingWatch()
        return watch


def deployment_warnings(settings: Any) -> list[str]:
    """Sentences for the admin status: forwarded headers from untrusted peers seen by this process."""
    seen = forwarding_watch_for(settings).summary()
    if seen is None:
        return []
    peers = ", ".join(f"{peer} ({n} request{'s' if n != 1 else ''})" for peer, n in list(seen["peers"].items())[:5])
    trusted = list(settings.security.trusted_proxies)
    listed = f"it lists {', '.join(trusted)}" if trusted else "it is empty"
    return [
        f"Requests carrying {' / '.join(seen['headers'])} came from {peers}, which "
        f"SHOPASSIST_SECURITY__TRUSTED_PROXIES does not list ({listed}). The header is ignored. If that address is "
        "your reverse proxy, all customers share its address and its per-client limits: add it to "
        "SHOPASSIST_SECURITY__TRUSTED_PROXIES (docs/security.md, 'Client address and proxies'). If it is not "
        "your proxy, a client sent the header itself and nothing needs changing."
    ]
