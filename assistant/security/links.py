"""Links in text shown to customers: only hosts on the shop's allow-list stay clickable.

Retrieved passages (past replies, reviews, Q&A) are written by outsiders, so a phishing link planted
in one must not reach a customer as something to click. Every link to a host that is not the shop's
own domain (``security.shop_domain``) or on ``security.allowed_link_hosts`` (subdomains included) is
rewritten to plain text: Markdown links and HTML anchors keep their label followed by the address in
a code span without its scheme, bare URLs become that code span, images from such hosts are reduced
to their alt text. A code span is never turned into a link by Markdown renderers (Gradio's included).

Example:
    >>> policy = LinkPolicy(["juniperandpine.com"])
    >>> policy.neutralize("Track it at https://www.juniperandpine.com/track or [here](http://evil.example/x)").text
    'Track it at https://www.juniperandpine.com/track or here (`evil.example/x`)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

_URL_BODY = r"[^\s<>()\[\]\"'`]+"
_MD_LINK = re.compile(
    r"(!?)\[([^\]\n]{0,300})\]\(\s*<?((?:https?://|mailto:|//|www\.)[^\s)>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)", re.I
)
_HTML_A = re.compile(r"<a\b[^>]*?\bhref\s*=\s*[\"']?([^\"'\s>]+)[\"']?[^>]*>(.*?)</a\s*>", re.I | re.S)
_HTML_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)[\"']?[^>]*>", re.I)
_BARE = re.compile(r"(?<![\w@/`])((?:https?://|ftp://|www\.)" + _URL_BODY + ")", re.I)
_TRAILING = ".,;:!?)]}'\""


def _host(url: str) -> str:
    raw = url.strip()
    if raw.lower().startswith("mailto:"):
        return raw.split("@", 1)[-1].split("?", 1)[0].lower().rstrip(".")
    if raw.startswith("//"):
        raw = "http:" + raw
    elif not re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.I):
        raw = "http://" + raw
    try:
        host = urlsplit(raw).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


def _plain(url: str) -> str:
    """The address without its scheme, in a code span (never rendered as a link)."""
    shown = re.sub(r"^(?:[a-z][a-z0-9+.-]*:)?//", "", url.strip(), flags=re.I).replace("`", "")
    shown = re.sub(r"^mailto:", "", shown, flags=re.I)
    return f"`{shown}`"


@dataclass(frozen=True)
class Neutralized:
    """Text with disallowed links made plain, and how many were."""

    text: str
    count: int


class LinkPolicy:
    """Which hosts may be linked to; ``neutralize`` rewrites every other link to plain text."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        hosts = set()
        for h in allowed_hosts:
            host = _host(h) if ("/" in h or ":" in h) else h.strip().lower().rstrip(".")
            host = host.removeprefix("www.")
            if host:
                hosts.add(host)
        self.allowed_hosts = frozenset(hosts)

    @classmethod
    def from_settings(cls, settings: object) -> LinkPolicy:
        """The allow-list of ``settings.security``: the shop's domain plus ``allowed_link_hosts``."""
        sec = getattr(settings, "security", settings)
        hosts = list(getattr(sec, "allowed_link_hosts", []) or [])
        domain = getattr(sec, "shop_domain", None)
        if domain:
            hosts.append(str(domain))
        return cls(hosts)

    def allowed(self, url: str) -> bool:
        host = _host(url)
        if not host:
            return False
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)

    def neutralize(self, text: str) -> Neutralized:
        count = 0

        def md(m: re.Match[str]) -> str:
            nonlocal count
            image, label, url = m.group(1), m.group(2), m.group(3)
            if self.allowed(url):
                return m.group(0)
            count += 1
            if image:
                return label
            return f"{label} ({_plain(url)})" if label.strip() else _plain(url)

        def html_a(m: re.Match[str]) -> str:
            nonlocal count
            url, label = m.group(1), re.sub(r"<[^>]+>", "", m.group(2))
            if self.allowed(url):
                return m.group(0)
            count += 1
            return f"{label} ({_plain(url)})" if label.strip() else _plain(url)

        def html_img(m: re.Match[str]) -> str:
            nonlocal count
            if self.allowed(m.group(1)):
                return m.group(0)
            count += 1
            alt = re.search(r"\balt\s*=\s*[\"']([^\"']*)", m.group(0), re.I)
            return alt.group(1) if alt else ""

        def bare(m: re.Match[str]) -> str:
            nonlocal count
            url = m.group(1)
            tail = ""
            while url and url[-1] in _TRAILING:
                tail = url[-1] + tail
                url = url[:-1]
            if not url or self.allowed(url):
                return m.group(0)
            count += 1
            return _plain(url) + tail

        out = _MD_LINK.sub(md, text)
        out = _HTML_A.sub(html_a, out)
        out = _HTML_IMG.sub(html_img, out)
        # Bare URLs outside code spans (the ones made plain above already sit in one).
        parts = re.split(r"(`[^`\n]*`)", out)
        out = "".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1 else _BARE.sub(bare, p) for p in parts)
        return Neutralized(out, count)
