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

import ipaddress
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


# --- RFC 7239 Forwarded ------------------------------------------------------------------------------

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OBF = frozenset("._-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class MalformedForwarded(ValueError):
    """A ``Forwarded`` header that does not follow RFC 7239 (the message says where)."""


def _token(text: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] in _TCHAR:
        j += 1
    return text[i:j], j


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted-string starting at ``text[i] == '"'``: its value (quoted-pairs unescaped) and the index after it."""
    out = []
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
        elif c == '"':
            return "".join(out), j + 1
        else:
            out.append(c)
            j += 1
    raise MalformedForwarded("a quoted value is not closed")


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _node(value: str) -> str:
    """The address of a ``for=`` node (RFC 7239 section 6): ``192.0.2.43``, ``192.0.2.43:4711``,
    ``[2001:db8::17]:4711``, ``unknown`` or an obfuscated ``_id``; the port is dropped."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise MalformedForwarded(f"an IPv6 node without its closing bracket: {value!r}")
        host, rest = value[1:end], value[end + 1 :]
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            raise MalformedForwarded(f"not an IPv6 address: {host!r}") from None
        address = str(ip.ipv4_mapped or ip)
    else:
        host, _, port = value.partition(":")
        rest = f":{port}" if ":" in value else ""
        if host == "unknown" or (host.startswith("_") and len(host) > 1 and set(host) <= _OBF):
            address = host
        else:
            try:
                address = str(ipaddress.IPv4Address(host))
            except ValueError:
                raise MalformedForwarded(
                    f"not an IPv4 address, [IPv6], 'unknown' or '_name': {value!r} (IPv6 needs brackets and quotes)"
                ) from None
    if rest:
        port = rest[1:]
        ok = rest[0] == ":" and (
            (port.isdigit() and 0 < len(port) <= 5) or (port.startswith("_") and len(port) > 1 and set(port) <= _OBF)
        )
        if not ok:
            raise MalformedForwarded(f"a bad port in {value!r}")
    return address


def forwarded_for(header: str) -> list[str]:
    """The ``for=`` node of each hop in a ``Forwarded`` header (RFC 7239), first hop first.

    Hops are comma-separated elements of ``name=value`` pairs joined by ``;``; a value is a token or a
    quoted string. A hop without ``for`` counts as ``unknown``. Ports are dropped, IPv6 loses its brackets.
    Raises :class:`MalformedForwarded` for anything else (a missing ``=``, an unclosed quote, a parameter twice
    in one hop, a ``for`` that is no address, IPv6 without brackets).

    Example:
        >>> forwarded_for('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"')
        ['192.0.2.60', '2001:db8:cafe::17']
        >>> forwarded_for('proto=https, for=unknown, for="_hidden:_port"')
        ['unknown', 'unknown', '_hidden']
        >>> try:
        ...     forwarded_for("for=2001:db8::1;proto=https")
        ... except MalformedForwarded as exc:
        ...     print(exc)
        not an IPv4 address, [IPv6], 'unknown' or '_name': '2001' (IPv6 needs brackets and quotes)
    """
    hops: list[str] = []
    text = header
    i = _skip_spaces(text, 0)
    if i == len(text):
        raise MalformedForwarded("the header is empty")
    while True:
        seen: dict[str, str] = {}
        while True:
            name, i = _token(text, i)
            if not name:
                raise MalformedForwarded(f"a parameter name was expected at character {i + 1}")
            if i >= len(text) or text[i] != "=":
                raise MalformedForwarded(f"'{name}' has no '=value'")
            i += 1
            if i < len(text) and text[i] == '"':
                value, i = _quoted(text, i)
            else:
                value, i = _token(text, i)
                if not value:
                    raise MalformedForwarded(f"'{name}=' has no value")
            key = name.lower()
            if key in seen:
                raise MalformedForwarded(f"'{key}' twice in one hop")
            seen[key] = value
            i = _skip_spaces(text, i)
            if i < len(text) and text[i] == ";":
                i = _skip_spaces(text, i + 1)
                continue
            break
        hops.append(_node(seen["for"]) if "for" in seen else "unknown")
        if i == len(text):
            return hops
        if text[i] != ",":
            raise MalformedForwarded(f"unexpected {text[i]!r} at character {i + 1}")
        i = _skip_spaces(text, i + 1)
        while i < len(text) and text[i] == ",":  # empty list elements are allowed (RFC 7230 #rule)
            i = _skip_spaces(text, i + 1)
        if i == len(text):
            return hops


def x_forwarded_for(header: str) -> list[str]:
    """The client hops of an ``X-Forwarded-For`` header, first hop first, each an IP address: IPv4 (with or
    without a port), IPv6 bare or in brackets (with or without a port), an IPv4-mapped IPv6 as IPv4; or
    ``unknown``, which some proxies write; empty entries are skipped. Raises :class:`MalformedForwarded`
    naming the first entry that is none of these, so a client key is never a string a client made up.

    Example:
        >>> x_forwarded_for("203.0.113.5, 2001:db8::1, [2001:db8::2]:443, 198.51.100.7:8080")
        ['203.0.113.5', '2001:db8::1', '2001:db8::2', '198.51.100.7']
        >>> try:
        ...     x_forwarded_for("203.0.113.5, evil")
        ... except MalformedForwarded as exc:
        ...     print(exc)
        entry 2 is not an IP address: 'evil'
    """
    hops: list[str] = []
    for n, raw in enumerate(header.split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        if entry.lower() == "unknown":
            hops.append("unknown")
            continue
        host = entry
        if entry.startswith("[") and "]" in entry:
            host, _, port = entry[1:].partition("]")
            if port and not (port[0] == ":" and port[1:].isdigit() and len(port) <= 6):
                raise MalformedForwarded(f"entry {n} has a bad port: {entry!r}")
        elif entry.count(":") == 1:  # IPv4 with a port
            host, _, port = entry.partition(":")
            if not (port.isdigit() and 0 < len(port) <= 5):
                raise MalformedForwarded(f"entry {n} has a bad port: {entry!r}")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise MalformedForwarded(f"entry {n} is not an IP address: {entry[:60]!r}") from None
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        hops.append(str(mapped or ip))
    return hops
