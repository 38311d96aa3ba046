"""The output guard: no other customer's personal details in anything shown to a customer.

Every reply, recommendation reason, suggestion and draft a customer will read passes through
:meth:`ForeignPIIGuard.scrub` with the id of the customer the conversation is verified or signed in
as (None for a guest). It masks:

- any detail the store holds (customers: full names, first/last names, emails, phone numbers, zip
  codes, street addresses; orders: numbers, tracking numbers, shipping zips and addresses) that does
  not belong to that customer;
- any other email address (a pattern) or phone number (python-phonenumbers' ``PhoneNumberMatcher``
  over ``security.phone_regions``; every ``+CC`` number), unless it is the customer's own, the shop's
  public contact (``security.public_contacts``) or an address at the shop's domain. Numbers written as
  a reference id ("order 9876543210", "#1234567") are not read as phones. No NER model runs: a scrub
  of a reply costs well under a millisecond;
- sentences that claim "you're signed in" when the customer is not, or "you're verified" when the
  conversation is not verified (past agent replies say so; they were true for someone else then);
- links to hosts off the allow-list (:mod:`assistant.security.links`), shown as plain text.

The index is rebuilt from the store when customers, orders or ingestion runs change (checked at
most every ``security.pii_refresh_seconds``; :meth:`ForeignPIIGuard.invalidate` forces it).

Example:
    >>> guard = ForeignPIIGuard.from_settings(settings, db)  # doctest: +SKIP
    >>> guard.scrub("You're signed in, so I can see order #JP1001.", None)  # doctest: +SKIP
    ScrubResult(text='', removed=['claim'])
    >>> guard.scrub("Order #JP1053 (maya.okafor@example.com) shipped.", "C001").removed  # doctest: +SKIP
    []

Over 400 lines on purpose: one cohesive guard (the store index, the generic detectors and the
masking that must agree with each other); its parts are not used apart.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import phonenumbers
from sqlalchemy import func, select

from assistant.security.links import LinkPolicy

if TYPE_CHECKING:
    from assistant.store.db import Database

Kind = Literal["email", "phone", "name", "address", "zip", "order", "tracking", "claim", "link"]

PLACEHOLDER: dict[str, str] = {
    "email": "[email hidden]",
    "phone": "[phone hidden]",
    "name": "[name hidden]",
    "address": "[address hidden]",
    "zip": "[zip hidden]",
    "order": "[order number hidden]",
    "tracking": "[tracking number hidden]",
}

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Reference-like tokens: order ids, tracking numbers, zips (at least one digit).
_REF = re.compile(r"(?:#\s?)?[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)
_DIGITS_RUN = re.compile(r"(?:\+|\(\+?)?\d[\d\s().-]{5,}\d")
_CJK = re.compile(r"[\u3400-\u9fff]")
# A number right after one of these words (or a "#") is an id, not a phone number.
_ID_BEFORE = re.compile(
    r"(?:\b(?:order|purchase|invoice|receipt|confirmation|tracking|shipment|parcel|package|rma|ticket|"
    r"transaction|ref|reference|sku|serial|model|item|part|customer|account|acct|member|case|claim)s?"
    r"(?:\s+(?:id|no|nr|num|number|code))?\.?(?:\s+(?:is|was))?\s*[:#]{0,2}|#)\s*$|订单号?[:：]?\s*$",
    re.I,
)
_DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "CN", "AU")
_SENTENCE = re.compile(r"[^.!?。！？\n]*(?:[.!?。！？]+|\n|$)")

# Past replies say these; they are only true for the customer who was signed in or verified then.
_SIGNED_IN_CLAIM = re.compile(
    r"\b(you('| a)re|you are) (already |now )?(signed|logged) in\b|\bsee (that )?you('| a)re (signed|logged) in\b|"
    r"\b(signed|logged)[- ]in,? so\b|\bi (can )?see you('| a)re (signed|logged) in\b|已登录",
    re.I,
)
_VERIFIED_CLAIM = re.compile(
    r"\byou('| a)re (already |now )?verified\b|\bno (need|extra verification) (to verify|needed)\b|"
    r"\bno (extra |further )?verification (is )?needed\b|\bthat matches\b|身份已验证",
    re.I,
)

# Single name tokens that are everyday words are only masked as part of a full name.
_COMMON_WORDS = frozenset(
    [
        "may",
        "june",
        "april",
        "august",
        "will",
        "mark",
        "bill",
        "hope",
        "joy",
        "summer",
        "autumn",
        "dawn",
        "rose",
        "lily",
        "iris",
        "amber",
        "ruby",
        "pearl",
        "jade",
        "sky",
        "river",
        "brook",
        "forest",
        "stone",
        "wood",
        "hill",
        "park",
        "lane",
        "king",
        "young",
        "long",
        "white",
        "black",
        "brown",
        "green",
        "gray",
        "grey",
        "page",
        "cook",
        "baker",
        "day",
        "ray",
        "love",
        "price",
        "sale",
        "rich",
        "case",
        "north",
        "south",
        "east",
        "west",
        "hunter",
        "chase",
        "art",
        "van",
        "dr",
        "ms",
        "mr",
        "mrs",
        "the",
        "and",
        "grant",
        "rush",
        "miles",
        "frank",
        "earl",
        "guy",
        "pat",
        "sue",
        "gene",
        "don",
        "ben",
        "max",
        "faith",
        "honor",
        "star",
        "glen",
        "dale",
        "cliff",
        "rock",
        "bay",
    ]
)


@dataclass(frozen=True)
class ScrubResult:
    """The text safe to show, and the kinds of detail removed from it (one entry per removal)."""

    text: str
    removed: list[str] = field(default_factory=list)


@dataclass
class _Index:
    refs: dict[str, tuple[str, frozenset[str | None]]] = field(default_factory=dict)  # ORDER/TRACKING/ZIP
    emails: dict[str, frozenset[str | None]] = field(default_factory=dict)
    phones: dict[str, frozenset[str | None]] = field(default_factory=dict)  # last 10 digits
    phrases: dict[str, list[tuple[tuple[str, ...], str, frozenset[str | None]]]] = field(default_factory=dict)
    name_tokens: dict[str, frozenset[str | None]] = field(default_factory=dict)  # case-sensitive
    cjk_names: dict[str, frozenset[str | None]] = field(default_factory=dict)
    cjk_pattern: re.Pattern[str] | None = None  # one alternation of every CJK name, longest first
    own_phrases: dict[str | None, list[str]] = field(default_factory=dict)


def _norm_ref(raw: str) -> str:
    return re.sub(r"[\s#-]", "", raw).upper()


def _words(text: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(text)]


class _Builder:
    def __init__(self) -> None:
        self.refs: dict[str, tuple[str, set[str | None]]] = {}
        self.emails: dict[str, set[str | None]] = {}
        self.phones: dict[str, set[str | None]] = {}
        self.phrases: dict[tuple[str, ...], tuple[str, set[str | None]]] = {}
        self.name_tokens: dict[str, set[str | None]] = {}
        self.cjk: dict[str, set[str | None]] = {}

    def ref(self, value: Any, kind: str, owner: str | None) -> None:
        key = _norm_ref(str(value or ""))
        if len(key) < 4 or not any(c.isdigit() for c in key):
            return
        _, owners = self.refs.setdefault(key, (kind, set()))
        owners.add(owner)

    def email(self, value: Any, owner: str | None) -> None:
        v = str(value or "").strip().lower()
        if "@" in v:
            self.emails.setdefault(v, set()).add(owner)

    def phone(self, value: Any, owner: str | None) -> None:
        digits = re.sub(r"\D", "", str(value or ""))
        if len(digits) >= 7:
            self.phones.setdefault(digits[-10:], set()).add(owner)

    def phrase(self, value: Any, kind: str, owner: str | None, min_words: int = 2) -> None:
        text = " ".join(str(value or "").split())
        if not text:
            return
        if _CJK.search(text):
            self.cjk.setdefault(text.replace(" ", ""), set()).add(owner)
            return
        words = tuple(_words(text))
        if len(words) >= min_words:
            self.phrases.setdefault(words, (kind, set()))[1].add(owner)

    def name(self, value: Any, owner: str | None, catalog_words: set[str]) -> None:
        self.phrase(value, "name", owner)
        for m in _WORD.finditer(str(value or "")):
            tok = m.group(0)
            if len(tok) >= 3 and tok[0].isupper() and tok.lower() not in _COMMON_WORDS | catalog_words:
                self.name_tokens.setdefault(tok, set()).add(owner)

    def address(self, addr: Any, owner: str | None) -> None:
        if not isinstance(addr, dict):
            return
        for key, val in addr.items():
            k = str(key).lower()
            if k in ("zip", "postcode", "postal_code", "zip_code"):
                self.ref(val, "zip", owner)
            elif k.startswith("line") or k in ("street", "address", "address1", "address2"):
                self.phrase(val, "address", owner)
            elif "phone" in k:
                self.phone(val, owner)
            elif "email" in k:
                self.email(val, owner)

    def build(self) -> _Index:
        idx = _Index()
        idx.refs = {k: (kind, frozenset(o)) for k, (kind, o) in self.refs.items()}
        idx.emails = {k: frozenset(o) for k, o in self.emails.items()}
        idx.phones = {k: frozenset(o) for k, o in self.phones.items()}
        for words, (kind, owners) in self.phrases.items():
            idx.phrases.setdefault(words[0], []).append((words, kind, frozenset(owners)))
        for cands in idx.phrases.values():
            cands.sort(key=lambda c: -len(c[0]))
        idx.name_tokens = {k: frozenset(o) for k, o in self.name_tokens.items()}
        idx.cjk_names = {k: frozenset(o) for k, o in self.cjk.items()}
        if idx.cjk_names:
            idx.cjk_pattern = re.compile("|".join(re.escape(n) for n in sorted(idx.cjk_names, key=len, reverse=True)))
        return idx


class ForeignPIIGuard:
    """Masks personal details that do not belong to the conversation's own customer (module docstring)."""

    def __init__(
        self,
        db: Database | None,
        *,
        links: LinkPolicy | None = None,
        public_contacts: Iterable[str] = (),
        shop_domains: Iterable[str] = (),
        refresh_seconds: float = 5.0,
        generic: bool = True,
        phone_regions: Iterable[str] = _DEFAULT_PHONE_REGIONS,
        memo_size: int = 0,
    ) -> None:
        self.db = db
        self.links = links
        self.refresh_seconds = refresh_seconds
        self.generic = generic
        self.shop_domains = tuple(d.strip().lower().removeprefix("www.") for d in shop_domains if d.strip())
        self._public_emails = {c.strip().lower() for c in public_contacts if "@" in c}
        self._public_phones = {
            re.sub(r"\D", "", c)[-10:] for c in public_contacts if "@" not in c and len(re.sub(r"\D", "", c)) >= 7
        }
        self._lock = threading.Lock()
        self._index = _Index()
        self._signature: tuple[Any, ...] | None = None
        self._checked = 0.0
        self.phone_regions = tuple(r.strip().upper() for r in phone_regions if r.strip()) or ("ZZ",)
        # Results by (text, customer, flags) for the index they were computed with: a scrub is a pure
        # function of those, and the same stored passages are cited turn after turn.
        self.memo_size = memo_size
        self._memo_lock = threading.Lock()
        self._memo: dict[tuple[str, str | None, bool, bool], ScrubResult] = {}
        self._memo_index: _Index | None = None

    @classmethod
    def from_settings(cls, settings: Any, db: Database | None) -> ForeignPIIGuard:
        sec = settings.security
        return cls(
            db,
            links=LinkPolicy.from_settings(settings),
            public_contacts=sec.public_contacts,
            shop_domains=[sec.shop_domain] if sec.shop_domain else [],
            refresh_seconds=sec.pii_refresh_seconds,
            phone_regions=sec.phone_regions,
            memo_size=sec.pii_scrub_memo_size,
        )

    # --- the index --------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Rebuild the index on the next scrub (call after customers or orders change)."""
        with self._lock:
            self._signature = None
            self._checked = 0.0

    def _store_signature(self) -> tuple[Any, ...]:
        from assistant.store.models import Customer, IngestionRun, Order

        assert self.db is not None
        with self.db.session() as s:
            return (
                s.scalar(select(func.count()).select_from(Customer)),
                s.scalar(select(func.count()).select_from(Order)),
                s.scalar(select(func.count()).select_from(IngestionRun)),
                s.scalar(select(func.max(IngestionRun.started_at))),
                s.scalar(select(func.max(IngestionRun.finished_at))),
            )

    def refresh(self, force: bool = False) -> None:
        """Rebuild the index if the store changed (cheap signature query, at most every refresh_seconds)."""
        if self.db is None:
            return
        now = time.monotonic()
        built = self._signature is not None
        if not force and built and now - self._checked < self.refresh_seconds:
            return
        # One thread checks the store while the others scrub with the index they have (it is at most
        # refresh_seconds old anyway): under load, no scrub waits behind the check's SQL.
        if not self._lock.acquire(blocking=force or not built):
            if self._signature is not None:
                return
            self._lock.acquire()  # invalidated meanwhile: wait for the index that sees the change
        try:
            if not force and self._signature is not None and now - self._checked < self.refresh_seconds:
                return
            signature = self._store_signature()
            self._checked = now
            if not force and signature == self._signature:
                return
            self._index = self._build()
            self._signature = signature
        finally:
            self._lock.release()

    def _build(self) -> _Index:
        from assistant.store.models import Customer, Order, Product

        assert self.db is not None
        b = _Builder()
        with self.db.session() as s:
            catalog_words: set[str] = set()
            for name, category in s.execute(select(Product.name, Product.category)):
                catalog_words.update(_words(f"{name} {category}"))
            for c in s.scalars(select(Customer)):
                b.name(c.name, c.id, catalog_words)
                b.email(c.email, c.id)
                b.ref(c.zip, "zip", c.id)
                b.address(c.address, c.id)
            for o in s.scalars(select(Order)):
                owner = o.customer_id
                b.ref(o.id, "order", owner)
                b.ref(o.tracking_number, "tracking", owner)
                b.address(o.shipping_address, owner)
        return b.build()

    # --- scrubbing --------------------------------------------------------------------------------

    def scrub(
        self,
        text: str,
        own_customer_id: str | None,
        *,
        signed_in: bool = False,
        keep_own: bool = True,
    ) -> ScrubResult:
        """``text`` without details of customers other than ``own_customer_id`` (None: a guest).

        ``signed_in``: the customer is signed in through the shop (else "you're signed in" claims
        go). ``keep_own=False`` masks the customer's own details too (for text others may read).
        """
        if not text:
            return ScrubResult(text or "", [])
        self.refresh()
        idx = self._index
        if not self.memo_size:
            return self._scrub(text, idx, own_customer_id, signed_in=signed_in, keep_own=keep_own)
        key = (text, own_customer_id, signed_in, keep_own)
        with self._memo_lock:
            if self._memo_index is not idx:  # the index was rebuilt: earlier results may be stale
                self._memo.clear()
                self._memo_index = idx
            hit = self._memo.get(key)
        if hit is not None:
            return ScrubResult(hit.text, list(hit.removed))
        res = self._scrub(text, idx, own_customer_id, signed_in=signed_in, keep_own=keep_own)
        with self._memo_lock:
            if self._memo_index is idx:
                if len(self._memo) >= self.memo_size:
                    del self._memo[next(iter(self._memo))]  # the oldest entry
                self._memo[key] = ScrubResult(res.text, list(res.removed))
        return res

    def _scrub(
        self, text: str, idx: _Index, own_customer_id: str | None, *, signed_in: bool, keep_own: bool
    ) -> ScrubResult:
        """:meth:`scrub` of ``text`` against the index ``idx``."""
        own = own_customer_id if keep_own else object()
        removed: list[str] = []

        def foreign(owners: frozenset[str | None]) -> bool:
            return own not in owners

        text = self._drop_claims(text, verified=own_customer_id is not None, signed_in=signed_in, removed=removed)
        spans: list[tuple[int, int, str]] = []  # to mask
        protect: list[tuple[int, int]] = []  # own or public details: the generic pass leaves them alone

        for m in _EMAIL.finditer(text):
            email = m.group(0).lower()
            owners = idx.emails.get(email)
            public = email in self._public_emails or self._shop_email(email)
            if (owners is not None and not foreign(owners)) or (owners is None and public):
                protect.append(m.span())
            elif owners is not None:
                spans.append((*m.span(), "email"))
        taken = _Taken(spans)
        for m in _REF.finditer(text):
            start, end = m.span()
            if taken.overlaps(start, end):
                continue
            raw = m.group(0)
            keys = [_norm_ref(raw)]
            if "-" in raw:
                keys.append(_norm_ref(raw.split("-")[0]))
            for key in keys:
                hit = idx.refs.get(key)
                if hit is None:
                    continue
                kind, owners = hit
                if foreign(owners):
                    spans.append((start, end, kind))
                    taken.add(start, end)
                else:
                    protect.append((start, end))
                break
        for m in _DIGITS_RUN.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            owners = idx.phones.get(digits[-10:]) if len(digits) >= 7 else None
            if owners is None:
                if digits[-10:] in self._public_phones:
                    protect.append(m.span())
                continue
            if foreign(owners) and not taken.overlaps(*m.span()):
                spans.append((*m.span(), "phone"))
                taken.add(*m.span())
            elif not foreign(owners):
                protect.append(m.span())
        words = list(_WORD.finditer(text))
        lower = [w.group(0).lower() for w in words]
        i = 0
        while i < len(words):
            matched = 0
            for phrase, kind, owners in idx.phrases.get(lower[i], ()):
                n = len(phrase)
                if tuple(lower[i : i + n]) == phrase:
                    start, end = words[i].start(), words[i + n - 1].end()
                    if foreign(owners):
                        if not taken.overlaps(start, end):
                            spans.append((start, end, kind))
                            taken.add(start, end)
                    else:
                        protect.append((start, end))
                    matched = n
                    break
            if matched:
                i += matched
                continue
            tok = words[i].group(0)
            owners_tok = idx.name_tokens.get(tok)
            if owners_tok is not None and foreign(owners_tok) and not taken.overlaps(*words[i].span()):
                spans.append((*words[i].span(), "name"))
                taken.add(*words[i].span())
            i += 1
        if idx.cjk_pattern is not None and _CJK.search(text):
            for m in idx.cjk_pattern.finditer(text):
                if foreign(idx.cjk_names[m.group(0)]):
                    if not taken.overlaps(*m.span()):
                        spans.append((*m.span(), "name"))
                        taken.add(*m.span())
                else:
                    protect.append(m.span())

        out, kept = _apply(text, spans, protect, removed)
        if self.generic:
            out = self._generic(out, removed)
        for i, value in enumerate(kept):
            out = out.replace(_sentinel(i), value)
        if self.links is not None:
            neutral = self.links.neutralize(out)
            out = neutral.text
            removed.extend(["link"] * neutral.count)
        return ScrubResult(out, removed)

    def scrub_many(self, texts: Sequence[str], own_customer_id: str | None, **kw: Any) -> list[ScrubResult]:
        return [self.scrub(t, own_customer_id, **kw) for t in texts]

    def _shop_email(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1]
        return any(domain == d or domain.endswith("." + d) for d in self.shop_domains)

    @staticmethod
    def _drop_claims(text: str, *, verified: bool, signed_in: bool, removed: list[str]) -> str:
        if signed_in:
            return text
        out = []
        for m in _SENTENCE.finditer(text):
            sentence = m.group(0)
            if not sentence:
                continue
            if _SIGNED_IN_CLAIM.search(sentence) or (not verified and _VERIFIED_CLAIM.search(sentence)):
                removed.append("claim")
                if sentence.endswith("\n"):
                    out.append("\n")
                continue
            out.append(sentence)
        return re.sub(r"^[ \t]+", "", "".join(out)) if removed else text

    def _generic(self, text: str, removed: list[str]) -> str:
        """Emails and phone numbers the store does not know (a pattern; python-phonenumbers)."""
        has_at = "@" in text
        if not has_at and sum(c.isdigit() for c in text) < 7:
            return text
        spans: list[tuple[int, int, str]] = []
        if has_at:
            for m in _EMAIL.finditer(text):
                email = m.group(0).lower()
                if email not in self._public_emails and not self._shop_email(email):
                    spans.append((*m.span(), "email"))
        taken = _Taken(spans)
        for region in self.phone_regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                start, end = match.start, match.end
                if taken.overlaps(start, end) or _ID_BEFORE.search(text, max(0, start - 40), start):
                    continue
                digits = re.sub(r"\D", "", match.raw_string)
                if digits[-10:] in self._public_phones:
                    continue
                spans.append((start, end, "phone"))
                taken.add(start, end)
        if not spans:
            return text
        out, _ = _apply(text, spans, [], removed)
        return out


def _sentinel(i: int) -> str:
    # Private-use characters: no recognizer reads them as an email or a phone digit.
    return f"\ue000{chr(0xE100 + i)}\ue001"


def _apply(
    text: str, spans: list[tuple[int, int, str]], protect: list[tuple[int, int]], removed: list[str]
) -> tuple[str, list[str]]:
    """Mask ``spans`` with placeholders and swap ``protect`` for sentinels; returns (text, protected values)."""
    edits: list[tuple[int, int, str | None]] = [(a, b, k) for a, b, k in spans]
    for a, b in sorted(set(protect)):
        if not any(a < e and s < b for s, e, _ in edits):
            edits.append((a, b, None))
    edits.sort(key=lambda e: e[0])
    out: list[str] = []
    kept: list[str] = []
    pos = 0
    for start, end, kind in edits:
        if start < pos:
            continue
        out.append(text[pos:start])
        if kind is None:
            out.append(_sentinel(len(kept)))
            kept.append(text[start:end])
        else:
            out.append(PLACEHOLDER[kind])
            removed.append(kind)
        pos = end
    out.append(text[pos:])
    return "".join(out), kept


class _Taken:
    def __init__(self, spans: Iterable[tuple[int, int, str]] = ()) -> None:
        self.spans = [(a, b) for a, b, _ in spans]

    def overlaps(self, start: int, end: int) -> bool:
        return any(start < b and a < end for a, b in self.spans)

    def add(self, start: int, end: int) -> None:
        self.spans.append((start, end))


_guards: dict[str, ForeignPIIGuard] = {}
_guards_lock = threading.Lock()


def guard_for(settings: Any, db: Database) -> ForeignPIIGuard:
    """The shop's output guard (one per database URL), built on first use."""
    key = str(getattr(settings, "effective_database_url", id(db)))
    with _guards_lock:
        guard = _guards.get(key)
        if guard is None or guard.db is not db:
            guard = _guards[key] = ForeignPIIGuard.from_settings(settings, db)
        return guard
