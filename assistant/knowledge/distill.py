"""Extractive distillation: a past agent reply becomes a customer-independent answer.

A past reply answered one customer's case at one moment. Before it can become an answer
candidate, every case-specific detail is turned into a placeholder that the assistant fills only
from the current customer's verified data, and every sentence that states the case's state or an
action taken for that customer is removed:

- placeholders (:data:`PLACEHOLDERS`): ``{customer_name}``, ``{order_number}``, ``{amount}``,
  ``{date}``, ``{tracking_number}``, ``{address}``, ``{email}``, ``{phone}``;
- what is detected: the store's own customers and orders (names, emails, order and tracking
  numbers, street addresses), reference ids after "order", "tracking", "#"... (the same patterns
  the ingestion redactor keeps ids by, :mod:`ingest.redact`), emails, phone numbers, cards and
  street addresses (Presidio, through the ingestion redactor), dates, amounts in sentences about
  the customer's case, names in greetings ("Hi Maya,") and agents introducing themselves, and
  Bitext-style ``{{Order Number}}`` slots;
- removed sentences: action claims ("I've issued a refund", "I'm sending ...", "your refund has
  been processed"), sign-in and verification claims ("you're signed in"), and case look-ups
  ("I can see order ...").

Finally, when the trust issue's output guard (:mod:`assistant.security.pii`) is present, its
detector runs over the result as a last pass, and anything it still finds becomes a placeholder.

Example:
    >>> d = Distiller()
    >>> d.distill("Hi Maya, sorry about order #JP1001! I've issued a refund. Refunds take 5-7 days.")
    'Hi {customer_name}, sorry about order {order_number}! Refunds take 5-7 days.'

Over 400 lines on purpose: the placeholder rules and the claim filters must be read together.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from assistant.store.db import Database

log = logging.getLogger(__name__)

#: The placeholders a distilled answer may hold, and what the assistant fills each with.
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the verified customer's name",
    "order_number": "the number of the verified customer's order under discussion",
    "amount": "an amount from the verified customer's order",
    "date": "a date from the verified customer's order",
    "tracking_number": "the tracking number of the verified customer's order",
    "address": "the verified customer's shipping address",
    "email": "the verified customer's email address",
    "phone": "the verified customer's phone number",
}
PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")

# --- sentences that state a case's state or an action taken: removed ----------------------------
_ACTION_VERBS = (
    r"issu|process|refund|cancel|sen[dt]|ship|updat|chang|appl|add|credit|arrang|schedul|email|reset|"
    r"escalat|creat|upgrad|reship|replac|swapp|waiv|reimburs|initiat|submitt|book|reserv|expedit|"
    r"generat|forward|flagg|approv|mark|remov|modif|switch|reactivat|unlock|verif|confirm|authoriz|"
    r"authoris|void|return|exchang|put|plac|hold|held|set|mov|correct|fix|start|pass|transferr|notif|submit"
)
_CLAIM_PATTERNS = [
    # "I've issued", "we have refunded", "I have just cancelled", "I've gone ahead and sent"
    rf"\b(?:i|we)(?:'ve|’ve| have| had)\s+(?:just\s+|already\s+|now\s+|also\s+|gone ahead and\s+)?"
    rf"(?:{_ACTION_VERBS})\w*\b",
    # "I issued", "we just sent", "I went ahead and cancelled"
    rf"\b(?:i|we)\s+(?:just\s+|already\s+|also\s+|went ahead and\s+)?(?:(?:{_ACTION_VERBS})\w*ed|sent|put|held)\b",
    # "I'm sending", "I'll issue", "I will refund", "we're processing", "let me cancel"
    rf"\bi(?:'m|’m| am|'ll|’ll| will| shall)\s+(?:now\s+|also\s+|going to\s+|go(?:ing)? ahead and\s+)?"
    rf"(?:{_ACTION_VERBS})\w*\b",
    rf"\bwe(?:'re|’re| are)\s+(?:now\s+|also\s+)?(?:{_ACTION_VERBS})\w*ing\b",
    rf"\blet me\s+(?:{_ACTION_VERBS})\w*\b",
    rf"\bi can\s+(?:also\s+|now\s+)?(?:{_ACTION_VERBS})\w*\b",
    r"^\W*(?:done|all set|all done)\b",
    r"\b(?:may|shall|should|can) (?:i|we) (?:go ahead|proceed|do that|do it)\b",
    r"\b(?:it|order \S+|your (?:order|refund|return|package|parcel|item|replacement|exchange))\s+(?:is|has)\s+"
    r"(?:now\s+|already\s+|just\s+)?(?:been\s+)?(?:cancel+ed|refunded|issued|shipped|processed|delivered|"
    r"approved|dispatched|on (?:its|the) way)\b",
    r"\b(?:it|your (?:order|package|parcel|item|replacement)|the (?:order|package|parcel))\s+"
    r"(?:shipped|arrived|left|went out|was delivered)\b",
    # "your refund has been issued", "the replacement was shipped", "it's on its way"
    rf"\b(?:has|have|had)\s+(?:now\s+|already\s+|just\s+)?been\s+(?:{_ACTION_VERBS})\w*(?:ed|t|d)\b",
    rf"\b(?:your|the) \w+ (?:was|were) (?:now\s+|already\s+|just\s+)?(?:{_ACTION_VERBS})\w*(?:ed|t)\b",
    r"\b(?:it's|it is|they're|they are|your \w+ is) (?:already |now )?on (?:its|their) way\b",
    r"\b(?:was|were)\s+(?:now\s+|already\s+|just\s+)?(?:issu|refund|cancel|ship|sent|credit|process|reimburs|"
    r"dispatch|approv|void)\w*",
    r"\b(?:ships?|shipped|arrives?|goes out|will (?:arrive|ship|go out))\s+(?:out\s+)?"
    r"(?:today|tomorrow|tonight|this (?:morning|afternoon|evening))\b",
    # sign-in / verification / look-up claims
    r"\byou(?:'re|’re| are)\s+(?:already\s+|now\s+)?(?:signed|logged)\s+in\b",
    r"\b(?:signed|logged)[- ]in,?\s+so\b",
    r"\byou(?:'re|’re| are)\s+(?:already\s+|now\s+)?verified\b",
    r"\bi\s+(?:can\s+)?(?:see|found|located|pulled up|looked up|checked)\s+(?:that\s+)?(?:your\s+|the\s+|an?\s+)?"
    r"(?:\w+\s+)?(?:order|account|purchase|package|parcel|refund|payment|shipment|return|record|subscription|"
    r"booking|ticket|tracking|delivery)",
    r"\bi(?:'ve|’ve| have)\s+(?:checked|looked|found|located|pulled|reviewed)\b",
    r"\b(?:according to|looking at|checking) (?:your|our) (?:records|account|order)\b",
    r"\bthanks? (?:you )?for (?:verifying|confirming)\b",
    # Chinese: "已为您…", "我已经…", "您已登录"
    r"已(?:经)?(?:为您|帮您|给您)",
    r"我(?:已经|已)(?:为|帮|给|处理|办理|发|退|取消|安排)",
    r"您已(?:经)?登录",
    r"身份已验证",
]
CLAIM_RE = re.compile("|".join(f"(?:{p})" for p in _CLAIM_PATTERNS), re.IGNORECASE)
# After placeholders: a sentence describing the state of one customer's order is that case's, not an answer.
CASE_STATE_RE = re.compile(
    r"\{order_number\}[^.!?\n]*\b(?:has|had|was|were|is|shipped|delivered|arrived|contains|left|went)\b"
    r"|\{tracking_number\}[^.!?\n]*\b(?:shows|says|was|is)\b",
    re.IGNORECASE,
)

# "Ana here", "my name is Ana", "this is Ana from ...": an agent's own name.
_AGENT_NAME_RE = re.compile(
    r"\b(?:my name is|this is|i am|i'm)\s+[A-Z][a-z]+\b(?:\s+(?:from|with|at|on)\b)?|\b[A-Z][a-z]+\s+here\b[,.!]?"
)
_GREETING_NAME_RE = re.compile(
    r"\b(Hi|Hello|Hey|Dear|Thanks|Thank you|Sorry|Good (?:morning|afternoon|evening)|Welcome back)"
    r"(,?\s+)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b"
)
_NOT_NAMES = frozenset(
    {"there", "team", "all", "everyone", "again", "so", "for", "you", "very", "much", "folks", "friend",
     "customer", "sir", "madam", "guys"}
)

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE_RE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+\d{{4}})?"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日",
    re.IGNORECASE,
)
AMOUNT_RE = re.compile(
    r"(?:[$€£¥]|US\$|USD\s?|EUR\s?|GBP\s?|RMB\s?|CNY\s?)\s?\d[\d,]*(?:\.\d{1,2})?"
    r"|\b\d[\d,]*(?:\.\d{1,2})?\s?(?:dollars|euros|pounds|USD|EUR|GBP|元|块)",
    re.IGNORECASE,
)
# Amounts are only the customer's when the sentence is about their case ("your refund of $42").
_CASE_WORDS_RE = re.compile(
    r"\b(?:you|your|you've|you're|refund(?:ed)?|charged?|paid|total|credit(?:ed)?|balance|owe)\b|您|你",
    re.IGNORECASE,
)
_TRACKING_KEYWORD_RE = re.compile(r"(?:tracking|shipment|parcel|package|awb)\W*(?:\w+\W+){0,3}$", re.IGNORECASE)
_UPS_RE = re.compile(r"\b1Z\s?[0-9A-Z]{3}\s?[0-9A-Z]{3}\s?[0-9A-Z]{2}\s?[0-9A-Z]{4}\s?[0-9A-Z]{4}\b", re.IGNORECASE)
_LONG_DIGITS_RE = re.compile(r"(?<![\w{])\#?\d{6,}(?![\w}])")
_TOKEN_RE = re.compile(r"(?<![\w{])#?[A-Za-z0-9][A-Za-z0-9-]{3,}(?![\w}])")
_BITEXT_SLOT_RE = re.compile(r"\{\{\s*([^{}]{1,60}?)\s*\}\}")
_SENTENCE_RE = re.compile(r"[^\n]*?(?:[.!?]+[\"')\]]*(?=\s|$)|[。！？]+|\n|$)")
_REDACTED = {"<EMAIL>": "{email}", "<PHONE>": "{phone}", "<ADDRESS>": "{address}"}
_GUARD_MASKS = {
    "[email hidden]": "{email}",
    "[phone hidden]": "{phone}",
    "[name hidden]": "{customer_name}",
    "[address hidden]": "{address}",
    "[zip hidden]": "{address}",
    "[order number hidden]": "{order_number}",
    "[tracking number hidden]": "{tracking_number}",
}


def bitext_slot(name: str) -> str | None:
    """Our placeholder for a Bitext-style ``{{Slot Name}}`` about the customer's case, else None.

    Example:
        >>> bitext_slot("Purchase ID Anonymized"), bitext_slot("Website Name")
        ('{order_number}', None)
    """
    n = name.lower()
    if "tracking" in n:
        return "{tracking_number}"
    if ("order" in n or "purchase" in n or "invoice" in n) and any(w in n for w in ("number", "id", "#")):
        return "{order_number}"
    if "support" in n or "company" in n or "website" in n or "store" in n:
        return None
    if "name" in n and any(w in n for w in ("customer", "client", "first", "last", "full", "person", "user")):
        return "{customer_name}"
    if any(w in n for w in ("amount", "refund value", "total", "price", "balance", "money")):
        return "{amount}"
    if "date" in n:
        return "{date}"
    if "address" in n and "email" not in n:
        return "{address}"
    if "email" in n:
        return "{email}"
    if "phone" in n:
        return "{phone}"
    if "account" in n and any(w in n for w in ("number", "id")):
        return "{order_number}" if "order" in n else None
    return None


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (newlines kept as their own pieces)."""
    return [m.group(0) for m in _SENTENCE_RE.finditer(text) if m.group(0)]


def is_claim(sentence: str) -> bool:
    """Whether a sentence states an action taken, a sign-in/verification, or a look-up of a case."""
    return bool(CLAIM_RE.search(sentence))


@dataclass
class KnownDetails:
    """The store's own customer and order details: exact matches are always case-specific."""

    names: set[str] = field(default_factory=set)  # full names and single tokens, case-sensitive
    refs: dict[str, str] = field(default_factory=dict)  # normalised id -> placeholder
    phrases: dict[str, str] = field(default_factory=dict)  # lower-cased address lines / emails -> placeholder

    @classmethod
    def from_db(cls, db: Database | None) -> KnownDetails:
        from assistant.store.models import Customer, Order

        out = cls()
        if db is None:
            return out
        with db.session() as s:
            for name, email, address in s.execute(select(Customer.name, Customer.email, Customer.address)):
                out.add_name(name or "")
                if email:
                    out.phrases[email.lower()] = "{email}"
                out.add_address(address)
            for oid, tracking, shipping in s.execute(
                select(Order.id, Order.tracking_number, Order.shipping_address)
            ):
                out.add_ref(oid, "{order_number}")
                if tracking:
                    out.add_ref(tracking, "{tracking_number}")
                out.add_address(shipping)
        return out

    def add_name(self, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            return
        self.names.add(name)
        for token in name.split():
            if len(token) >= 3 and token[0].isupper() and token.lower() not in _NOT_NAMES:
                self.names.add(token)

    def add_ref(self, value: str, placeholder: str) -> None:
        key = _norm_ref(value)
        if len(key) >= 4 and any(c.isdigit() for c in key):
            self.refs[key] = placeholder

    def add_address(self, address: Any) -> None:
        values: Iterable[Any] = address.values() if isinstance(address, dict) else [address]
        for v in values:
            if isinstance(v, str) and len(v) >= 6 and any(c.isdigit() for c in v) and " " in v.strip():
                self.phrases[v.strip().lower()] = "{address}"


def _norm_ref(raw: str) -> str:
    return re.sub(r"[\s#-]", "", raw).upper()


class Distiller:
    """Turns replies into customer-independent text (module docstring). Reusable across many texts."""

    def __init__(self, known: KnownDetails | None = None, guard: Any = None, max_chars: int = 2000) -> None:
        self.known = known or KnownDetails()
        self.guard = guard
        self.max_chars = max_chars
        self._name_re: re.Pattern[str] | None = None
        if self.known.names:
            alternatives = sorted(self.known.names, key=len, reverse=True)
            self._name_re = re.compile(r"(?<![\w{])(?:" + "|".join(map(re.escape, alternatives)) + r")(?![\w}])")
        self._phrase_re: re.Pattern[str] | None = None
        if self.known.phrases:
            alternatives = sorted(self.known.phrases, key=len, reverse=True)
            self._phrase_re = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)

    @classmethod
    def for_store(cls, settings: Any, db: Database | None) -> Distiller:
        """A distiller that knows the store's customers and orders, with the output guard when present."""
        guard = None
        if db is not None:
            try:
                pii = importlib.import_module("assistant.security.pii")
                guard = pii.guard_for(settings, db)
            except (ImportError, AttributeError):  # the trust guard is optional here
                guard = None
        return cls(KnownDetails.from_db(db), guard, max_chars=settings.knowledge.max_answer_chars)

    # --- the passes ---------------------------------------------------------------------------
    def distill(self, text: str, *, drop_claims: bool = True) -> str:
        """The customer-independent version of one reply (or question, with ``drop_claims=False``)."""
        text = _BITEXT_SLOT_RE.sub(lambda m: bitext_slot(m.group(1)) or m.group(0), text or "")
        text = self._redact(text)
        for token, placeholder in _REDACTED.items():  # what ingestion already redacted
            text = text.replace(token, placeholder)
        out: list[str] = []
        size = 0
        for sentence in sentences(text):
            if "<CARD>" in sentence and drop_claims:
                continue  # never keep a sentence about someone's card
            if drop_claims and sentence.strip() and is_claim(sentence):
                continue
            if drop_claims and _AGENT_NAME_RE.search(sentence):
                sentence = _AGENT_NAME_RE.sub("", sentence)
                if not re.search(r"\w", sentence):
                    continue
            sentence = self._placeholders(sentence)
            if drop_claims and CASE_STATE_RE.search(sentence):
                continue
            if size and size + len(sentence) > self.max_chars:
                break
            out.append(sentence)
            size += len(sentence)
        result = _tidy("".join(out))
        return self._guard_pass(result)

    def _redact(self, text: str) -> str:
        if "@" not in text and not re.search(r"\d", text):
            return text
        from ingest.redact import get_redactor

        redacted = str(get_redactor().redact(text).text)
        for token, placeholder in _REDACTED.items():
            redacted = redacted.replace(token, placeholder)
        return redacted

    def _placeholders(self, s: str) -> str:
        if self._phrase_re is not None:
            s = self._phrase_re.sub(lambda m: self.known.phrases.get(m.group(0).lower(), "{address}"), s)
        s = self._reference_ids(s)
        s = _UPS_RE.sub("{tracking_number}", s)
        s = DATE_RE.sub("{date}", s)
        if _CASE_WORDS_RE.search(s):
            s = AMOUNT_RE.sub("{amount}", s)
        s = _GREETING_NAME_RE.sub(
            lambda m: m.group(0) if m.group(3).split()[0].lower() in _NOT_NAMES else f"{m.group(1)}{m.group(2)}"
            "{customer_name}",
            s,
        )
        if self._name_re is not None:
            s = self._name_re.sub("{customer_name}", s)
        s = _LONG_DIGITS_RE.sub(lambda m: self._ref_placeholder(s, m.start(), m.group(0)), s)
        if self.known.refs:
            s = _TOKEN_RE.sub(lambda m: self.known.refs.get(_norm_ref(m.group(0)), m.group(0)), s)
        return s

    def _ref_placeholder(self, s: str, start: int, value: str) -> str:
        known = self.known.refs.get(_norm_ref(value))
        if known:
            return known
        return "{tracking_number}" if _TRACKING_KEYWORD_RE.search(s[max(0, start - 40) : start]) else "{order_number}"

    def _reference_ids(self, s: str) -> str:
        from ingest.redact import _reference_id_spans

        spans = sorted(_reference_id_spans(s))
        if not spans:
            return s
        out: list[str] = []
        pos = 0
        for start, end in spans:
            if start < pos:
                continue
            value = s[start:end]
            if "{" in value or "}" in value:
                continue
            before = s[max(0, start - 40) : start]
            if re.search(r"(?:model|version|ver|firmware|build|release|sku|item|part|product|asin|upc|ean|"
                         r"gtin|isbn|serial|imei)\W*$", before, re.IGNORECASE):
                continue  # catalog facts, not the customer's case
            out.append(s[pos:start])
            known = self.known.refs.get(_norm_ref(value))
            if known:
                out.append(known)
            elif _TRACKING_KEYWORD_RE.search(before):
                out.append("{tracking_number}")
            else:
                out.append("{order_number}")
            pos = end
        out.append(s[pos:])
        return "".join(out)

    def _guard_pass(self, text: str) -> str:
        if self.guard is None or not text:
            return text
        try:
            result = self.guard.scrub(text, None, keep_own=False)
        except Exception:  # the last pass must never lose the answer; log and keep ours
            log.warning("output guard failed on a distilled answer", exc_info=True)
            return text
        out = str(result.text)
        for mask, placeholder in _GUARD_MASKS.items():
            out = out.replace(mask, placeholder)
        return _tidy(out)

    def remaining_details(self, text: str, claims: bool = True) -> list[str]:
        """Personal details still in ``text`` by this module's own detectors (placeholders excepted);
        with ``claims``, claims too (answers: yes; customers' questions may say "I placed an order")."""
        found: list[str] = []
        plain = PLACEHOLDER_RE.sub(" ", text)
        if self._name_re is not None and self._name_re.search(plain):
            found.append("name")
        if self._phrase_re is not None and self._phrase_re.search(plain):
            found.append("address/email")
        if any(_norm_ref(m.group(0)) in self.known.refs for m in re.finditer(r"#?[A-Za-z0-9-]{4,}", plain)):
            found.append("order/tracking")
        if DATE_RE.search(plain):
            found.append("date")
        if _UPS_RE.search(plain) or _LONG_DIGITS_RE.search(plain):
            found.append("reference")
        if claims and any(is_claim(s) for s in sentences(plain)):
            found.append("claim")
        from ingest.redact import get_redactor

        found.extend(k.lower() for k in get_redactor().redact(plain).found)
        return found


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.!?])", r"\1", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"^\s*[,;:]\s*", "", text)
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


# --- filling an approved answer for one customer ----------------------------------------------------

_NEUTRAL: dict[str, str] = {
    "customer_name": "",
    "order_number": "your order",
    "amount": "the amount",
    "date": "the date on your order",
    "tracking_number": "your tracking number",
    "address": "your shipping address",
    "email": "your email address",
    "phone": "your phone number",
}
_LEAD_IN = {
    "order_number": re.compile(
        r"\b(?:your\s+)?(?:order|purchase)(?:\s+(?:number|no\.?|id|#))?\s*[:#]?\s*\{order_number\}", re.IGNORECASE
    ),
    "tracking_number": re.compile(r"\b(?:your\s+)?tracking(?:\s+(?:number|no\.?|id|code))?\s*[:#]?\s*"
                                  r"\{tracking_number\}", re.IGNORECASE),
}


def fill_placeholders(text: str, values: dict[str, str] | None = None) -> str:
    """An approved answer for one customer: placeholders from ``values`` (the current customer's
    *verified* data only), the others turned into neutral words ("your order").

    Example:
        >>> fill_placeholders("Hi {customer_name}, order {order_number} ships in 2 days.")
        'Hi, your order ships in 2 days.'
        >>> fill_placeholders("Hi {customer_name}, order {order_number} ships.", {"customer_name": "Mei",
        ...                   "order_number": "#JP1001"})
        'Hi Mei, order #JP1001 ships.'
    """
    values = {k: v for k, v in (values or {}).items() if k in PLACEHOLDERS and v}
    for name, lead_in in _LEAD_IN.items():
        if name not in values:
            text = lead_in.sub(_NEUTRAL[name], text)
    text = PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), _NEUTRAL[m.group(1)]), text)
    text = re.sub(r"\b(Hi|Hello|Hey|Dear|Thanks|Thank you|Sorry)\s*,?\s+([,.!])", r"\1\2", text)
    return _tidy(text)
