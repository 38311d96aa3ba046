"""Secrets that must not be stored or shown: passwords inside URLs, payment data typed in chat.

- :func:`mask_url_passwords`: ``postgresql+psycopg://shop:s3cret@db/shop`` →
  ``postgresql+psycopg://shop:***@db/shop`` (``shopassist config show``), also in nested settings.
- :func:`redact_chat_secrets`: card numbers (the ingestion redactor's Luhn-checked recognizer),
  security codes (CVV/CVC/CSC with their number) and passwords ("my password is ...") typed in chat are
  replaced by ``<CARD>``, ``<SECURITY_CODE>`` and ``<PASSWORD>`` before the message is stored: the
  shop's policy says agents never ask for or accept them, so there is no reason to keep them.

Example:
    >>> mask_url_passwords("redis://:hunter2@cache:6379/0")
    'redis://:***@cache:6379/0'
    >>> redact_chat_secrets("card 4111 1111 1111 1111 cvv 123, my password is Tr0ub4dor&3")
    'card <CARD> cvv <SECURITY_CODE>, my password is <PASSWORD>'
"""

from __future__ import annotations

import re
from typing import Any

_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>[^/\s]+)(?P<at>@)", re.I)
_SECURITY_CODE = re.compile(
    r"(?P<label>\b(?:cvv2?|cvc2?|csc|cid|security code|card code|card verification (?:code|value)|安全码)"
    r"(?:\s+(?:is|was|number|no\.?|code))*\s*[:#=]?\s*)(?P<code>\d{3,4})\b",
    re.I,
)
_PASSWORD = re.compile(
    r"(?P<label>(?:\b(?:password|passcode|passwd|pwd|pin)\b|密码)(?:\s+(?:is|was)\s+|\s*[:=：]\s*|\s+[\"'“]|是)[\"'“]?)"
    r"(?P<pw>[^\s\"'”]{3,})",
    re.I,
)


def mask_url_passwords(value: Any) -> Any:
    """``value`` (a string, or dicts/lists of them) with the password of every URL replaced by ``***``."""
    if isinstance(value, str):
        return _URL_PASSWORD.sub(lambda m: m.group("head") + "***" + m.group("at"), value)
    if isinstance(value, dict):
        return {k: mask_url_passwords(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_url_passwords(v) for v in value]
    return value


def redact_chat_secrets(text: str) -> str:
    """``text`` with card numbers, security codes and passwords replaced by placeholders."""
    if not text:
        return text
    out = _SECURITY_CODE.sub(lambda m: m.group("label") + "<SECURITY_CODE>", text)
    out = _PASSWORD.sub(lambda m: m.group("label") + "<PASSWORD>", out)
    if sum(c.isdigit() for c in out) >= 13:
        from ingest.redact import Redactor

        out = Redactor(entities=("CARD",)).redact(out).text
    return out
