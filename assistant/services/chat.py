"""The customer's chat, for every client (HTTP API, chat page, scripts): one place that decides
who may use a conversation and records what the customer saw and clicked.

* Opening a conversation returns a secret **conversation token**; every later read or write of
  that conversation needs it (or an agent/admin session). Only its SHA-256 is stored.
* A customer is known only by verification in the chat (the engine binds the conversation) or
  by a shop-signed **identity token** given when the conversation is opened
  (:func:`assistant.services.users.verify_identity_token`); nobody can claim a customer id.
* Product cards shown with a reply are stored as impressions, and a click as a ``click`` event
  (session ``chat-<conversation id>``), so click-through counts the same for every client.

Example:
    >>> chat = services.chat  # doctest: +SKIP
    >>> started = chat.start()  # doctest: +SKIP
    >>> me = Caller(conversation_token=started.conversation_token)  # doctest: +SKIP
    >>> chat.send(started.conversation_id, me, "How do I return a jacket?").citations  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.conversation.engine import ConversationNotFound
from assistant.ops.recovery import ANSWER_ROLES
from assistant.security.throttle import client_rate_for
from assistant.services.catalog import CatalogService
from assistant.services.types import (
    Caller,
    ClickResult,
    ConversationDetail,
    ConversationStarted,
    Forbidden,
    Invalid,
    MessageView,
    NotFound,
    ProductDetails,
    Recommendation,
    SessionEvent,
    TooManyRequests,
    TurnResult,
)
from assistant.services.users import UsersService
from assistant.store.db import Database
from assistant.store.models import Conversation, ConversationAccess, Event, Impression, Message, Product

if TYPE_CHECKING:
    from assistant.conversation.engine import Assistant
    from assistant.interest.online import InterestService
    from assistant.interest.search import SearchResults

log = logging.getLogger(__name__)
audit = logging.getLogger("assistant.audit")

CHAT_SESSION_PREFIX = "chat-"
ANONYMOUS_PREFIX = "anon:"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: What a customer's own view of a stored message keeps in ``meta``, per role: what the turn's reply
#: (:class:`TurnResult`) and an agent's reply already show them. Everything else there is for staff: a
#: generated draft the guard rejected (unguarded text, possibly quoting another customer), the guard's
#: reasons, a backend error, the handoff reason, draft ids. System messages are the agents' desk
#: events (claims, resolves), except the notice that a message could not be answered.
CUSTOMER_META: dict[str, frozenset[str]] = {
    "customer": frozenset({"delivery", "withheld"}),
    "assistant": frozenset(
        {"language", "handoff", "needs_identity", "refused", "recommendations", "products", "withheld"}
    ),
    "agent": frozenset({"agent", "kind", "product", "withheld"}),
    "system": frozenset({"recovery"}),
}


def customer_view(message: MessageView) -> MessageView | None:
    """The message as its customer may see it (see :data:`CUSTOMER_META`); None for a desk event."""
    meta = message.meta or {}
    if message.role == "system" and not meta.get("recovery"):
        return None
    keep = CUSTOMER_META.get(message.role, frozenset())
    return message.model_copy(update={"meta": {k: v for k, v in meta.items() if k in keep}})


def customer_views(messages: Sequence[MessageView]) -> list[MessageView]:
    return [v for v in map(customer_view, messages) if v is not None]


#: What a conversation's state holds only while its customer is verified, and its value afterwards: the shop's
#: sign-in, the orders (and details on file) the last replies were about, an order question in progress.
_VERIFIED_CONTEXT: dict[str, object] = {
    "signed_in": False,
    "pending": None,
    "pending_action": None,
    "last_order_id": None,
    "shown_orders": [],
    "order_focus": None,
    "about_profile": False,
}


def _duration(seconds: int) -> str:
    """A wait in words: "40 seconds", "3 minutes"."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"


def chat_session_id(conversation_id: str) -> str:
    """The ``session_id`` of events recorded from a conversation (analytics counts ``chat-*`` clicks)."""
    return f"{CHAT_SESSION_PREFIX}{conversation_id}"[:100]


class FairGate:
    """At most ``slots`` holders at once; the others are let in strictly in arrival order.

    A released slot is handed directly to the longest waiter (``threading.Semaphore`` wakes an
    arbitrary one, and a thread that just released could take the slot again before it). Under
    load this keeps a web server's request threads from all sharing the interpreter lock at once:
    a few turns run, the rest wait on their own lock without touching the interpreter lock, and
    each turn's latency is its place in the queue rather than the luck of the thread switches.

    Example:
        >>> gate = FairGate(2)
        >>> with gate:
        ...     gate.in_use
        1
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._waiters: deque[threading.Lock] = deque()

    @property
    def in_use(self) -> int:
        return self.slots - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiters.append(baton)
        baton.acquire()  # released by the holder that hands its slot over: the slot is ours

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()  # the slot passes on; _free unchanged
            else:
                self._free += 1

    def __enter__(self) -> FairGate:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class _Owner:
    """Who the conversation's events belong to."""

    customer_id: str | None  # proven: verified in the chat or by a signed identity token
    interest_id: str  # the customer, or ``anon:<conversation id>``


class ChatService:
    """Conversations of customers with the assistant (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        users: UsersService,
        catalog: CatalogService,
        engine: Callable[[], Assistant],
        interest: Callable[[], InterestService],
    ) -> None:
        self.settings = settings
        self.db = db
        self.users = users
        self.catalog = catalog
        self._engine = engine
        self._interest = interest
        # The extractive backend's turn is all local CPU work: a few at a time, first come first served
        # (serve_turn_concurrency). An LLM backend's turn mostly waits on the model: not gated.
        slots = settings.serve_turn_concurrency
        self.turn_gate = FairGate(slots) if slots and settings.answer_backend == "extractive" else None

    def _turn_slot(self) -> AbstractContextManager[object]:
        """One of the gate's slots for the CPU work of a turn (nothing when turns are not gated)."""
        return self.turn_gate if self.turn_gate is not None else nullcontext()

    @property
    def max_message_chars(self) -> int:
        return self.settings.conversation.max_message_chars

    # --- ownership --------------------------------------------------------------------------
    def start(self, identity_token: str | None = None, client: str = "") -> ConversationStarted:
        """Open a conversation: as a guest, or as the customer a shop-signed ``identity_token`` proves.

        Raises :class:`Invalid` for a forged, expired or malformed identity token, and
        :class:`TooManyRequests` once ``client`` (the caller's address; empty inside the process) opened
        ``security.conversations_per_client`` conversations.
        """
        customer_id = self.users.verify_identity(identity_token) if identity_token else None
        wait = client_rate_for(self.settings, "conversations").take(client)
        if wait:
            raise TooManyRequests(
                f"Too many new conversations from your connection. Please wait {_duration(wait)} and try "
                "again, or carry on in the conversation you have open.",
                wait,
            )
        # The shop vouches for a signed-in customer: the conversation is theirs, verified.
        conversation_id = self._engine().start_conversation(customer_id, signed_in=customer_id is not None)
        token = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ConversationAccess(conversation_id=conversation_id, token_hash=token_hash(token)))
        return ConversationStarted(conversation_id=conversation_id, conversation_token=token, customer_id=customer_id)

    def authorize(self, conversation_id: str, caller: Caller) -> _Owner:
        """Check the caller may use this conversation; :class:`NotFound` or :class:`Forbidden` if not."""
        return self._authorize(conversation_id, caller)[0]

    def _authorize(self, conversation_id: str, caller: Caller) -> tuple[_Owner, bool]:
        """:meth:`authorize`, and whether the conversation may hold an unanswered customer message
        (its last message is not an answer), read in the same transaction."""
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id) if conversation_id else None
            if conv is None:
                raise NotFound("No such conversation.")
            access = s.get(ConversationAccess, conversation_id)
            stored = access.token_hash if access is not None else None
            last_role = s.scalar(
                select(Message.role)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(1)
            )
            if not caller.is_staff:
                given = caller.conversation_token
                if not given or stored is None or not hmac.compare_digest(token_hash(given), stored):
                    raise Forbidden("This conversation needs its conversation token (or an agent session).")
                if conv.verified_customer_id is not None:
                    self._expire_verification(s, conv)
            customer = conv.verified_customer_id
        # A message followed by an answer (assistant, agent or system) is answered, and so is every
        # earlier one: only a conversation ending in something else can need recovery.
        unanswered = last_role is not None and last_role not in ANSWER_ROLES
        return _Owner(customer, customer or f"{ANONYMOUS_PREFIX}{conversation_id}"), unanswered

    def _expire_verification(self, s: Session, conv: Conversation) -> None:
        """End the conversation's identity check (in chat, or the shop's sign-in it was opened with) once its
        customer has written nothing for ``security.verification_idle_minutes``: whoever holds the browser
        later must verify again before order details are shown. The binding and the order context go; the
        transcript stays the conversation's."""
        last = s.scalar(
            select(func.max(Message.created_at)).where(Message.conversation_id == conv.id, Message.role == "customer")
        )
        active = last or conv.created_at
        if active is None:
            return
        if active.tzinfo is None:  # SQLite hands back naive UTC
            active = active.replace(tzinfo=UTC)
        idle = datetime.now(UTC) - active
        if idle <= timedelta(minutes=self.settings.security.verification_idle_minutes):
            return
        state = dict(conv.state or {})
        for key, value in _VERIFIED_CONTEXT.items():
            if key in state:
                state[key] = value
        conv.state = state
        audit.info(
            json.dumps(
                {
                    "event": "identity_expired",
                    "conversation_id": conv.id,
                    "customer_id": conv.verified_customer_id,
                    "idle_minutes": round(idle.total_seconds() / 60),
                }
            )
        )
        conv.verified_customer_id = None

    def _open(self, conversation_id: str, caller: Caller) -> _Owner:
        """:meth:`authorize`, then :meth:`_recover` when the conversation may need it (one read per turn)."""
        owner, unanswered = self._authorize(conversation_id, caller)
        if unanswered:
            self._recover(conversation_id)
        return owner

    def _recover(self, conversation_id: str) -> None:
        """Mark customer messages a crashed worker left unanswered as failed, and tell the customer."""
        from assistant.ops.recovery import recover_unanswered

        try:
            recover_unanswered(self.db, conversation_id, grace_seconds=self.settings.unanswered_grace_seconds)
        except Exception:  # opening the conversation matters more than the notice
            log.exception("recovering unanswered messages of %s failed", conversation_id)

    # --- turns ------------------------------------------------------------------------------
    def _check_text(self, text: str) -> str:
        text = (text or "").strip()
        if not text:
            raise Invalid("The message is empty.")
        if len(text) > self.max_message_chars:
            raise Invalid(f"Please keep messages under {self.max_message_chars:,} characters.")
        from assistant.security.secrets import redact_chat_secrets  # cards, CVVs, passwords never stored (issue 11)

        return redact_chat_secrets(text)

    def send(
        self, conversation_id: str, caller: Caller, text: str, session_events: Sequence[SessionEvent] = ()
    ) -> TurnResult:
        """Answer one customer message (blocking)."""
        result: TurnResult | None = None
        with self._turn_slot():  # the checks, the read and the turn: all of it local work
            for item in self._items(conversation_id, caller, text, session_events):
                if isinstance(item, TurnResult):
                    result = item
        assert result is not None
        return result

    def stream(
        self, conversation_id: str, caller: Caller, text: str, session_events: Sequence[SessionEvent] = ()
    ) -> Iterator[str | TurnResult]:
        """Text deltas, then the final :class:`TurnResult`. Checks run before the first item is asked for.

        With a gated (extractive) backend the whole turn runs, reply stored, when the first item is
        asked for, inside one slot of :attr:`turn_gate`; the items are handed out after the slot is
        released, so a slow reader never holds a slot.
        """
        items = self._items(conversation_id, caller, text, session_events)
        if self.turn_gate is None:
            return items
        return self._gated(items)

    def _gated(self, items: Iterator[str | TurnResult]) -> Iterator[str | TurnResult]:
        with self._turn_slot():
            done = list(items)
        yield from done

    def _items(
        self, conversation_id: str, caller: Caller, text: str, session_events: Sequence[SessionEvent] = ()
    ) -> Iterator[str | TurnResult]:
        text = self._check_text(text)
        self._open(conversation_id, caller)
        wait = client_rate_for(self.settings, "messages").take(caller.client)
        if wait:
            raise TooManyRequests(
                f"You're sending messages faster than we can take them. Please wait {_duration(wait)} and "
                "send it again.",
                wait,
            )
        events = tuple(e if isinstance(e, SessionEvent) else SessionEvent.model_validate(e) for e in session_events)
        return self._stream(conversation_id, text, events, caller.client)

    def _stream(
        self, conversation_id: str, text: str, events: tuple[SessionEvent, ...], client: str = ""
    ) -> Iterator[str | TurnResult]:
        if client:  # identity checks count failures per client address (issue 11)
            from assistant.security.identity import client_address

            client_address.set(client)
        try:
            yield from self._engine().stream(conversation_id, text, events)  # impressions saved with the reply
        except ConversationNotFound:
            raise NotFound("No such conversation.") from None

    def request_handoff(
        self, conversation_id: str, caller: Caller, reason: str = "customer request"
    ) -> TurnResult | None:
        """Move the conversation to the agents' queue; None if it already is there. At most
        ``security.handoffs_per_client`` requests per client address.

        The agents' note reads ``reason`` as the customer's own words, quoted on one line: a caller cannot
        write lines of the note that look like the shop's ("Customer verified: yes (C001)").
        """
        self.authorize(conversation_id, caller)
        self._take("handoffs", caller, "You're asking for a person faster than we can queue it.")
        words = " ".join((reason or "").split())[:300].replace('"', "'")
        note = "customer request" if words in ("", "customer request") else f'customer request: "{words}"'
        try:
            return self._engine().request_handoff(conversation_id, note)
        except ConversationNotFound:
            raise NotFound("No such conversation.") from None

    def _take(self, kind: str, caller: Caller, refusal: str) -> None:
        """Count one ``kind`` request of the caller's address (``security.<kind>_per_client``); over the limit
        :class:`TooManyRequests` with ``refusal`` and how long to wait. Staff and in-process callers are not
        counted."""
        if caller.is_staff:
            return
        wait = client_rate_for(self.settings, kind).take(caller.client)
        if wait:
            raise TooManyRequests(f"{refusal} Please wait {_duration(wait)} and try again.", wait)

    def feedback(self, conversation_id: str, caller: Caller, message_id: int, rating: int, comment: str = "") -> None:
        """Thumbs up (+1) or down (-1) on one of the assistant's messages of this conversation (at most
        ``security.feedback_per_client`` per client address)."""
        self.authorize(conversation_id, caller)
        self._take("feedback", caller, "You're sending feedback faster than we can take it.")
        try:
            self._engine().feedback(conversation_id, message_id, rating, comment)
        except ConversationNotFound:
            raise NotFound("No such message in this conversation.") from None
        except ValueError as exc:
            raise Invalid(str(exc)) from None

    # --- reading ----------------------------------------------------------------------------
    def _readable(self, conversation_id: str, messages: Sequence[MessageView]) -> list[MessageView]:
        """The messages as the conversation's customer may read them back now.

        A message written while the conversation was verified (or signed in) as a customer
        (``meta.verified_for``) that holds personal details (what the output guard would mask for whoever the
        conversation is verified as now: an order number, tracking, an address, a name, a zip) is replaced by a
        notice once that verification has ended (``security.verification_idle_minutes``) or is another
        customer's, until the same customer verifies again. A message stored before the stamp existed
        (``verified_for: true``, migration 0006) is nobody's known customer's: hidden whenever it holds personal
        details the customer verified now (or nobody) may not see. Fails closed: text the guard cannot check is
        withheld. Staff read the stored text (callers skip this for them)."""
        from assistant.conversation.repository import VERIFIED_FOR
        from assistant.conversation.templates import say
        from assistant.security.pii import guard_for

        stamped = [m for m in messages if (m.meta or {}).get(VERIFIED_FOR)]
        if not stamped:
            return list(messages)
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            viewer = conv.verified_customer_id if conv is not None else None
            signed_in = bool((conv.state or {}).get("signed_in")) if conv is not None else False
            language = (conv.language if conv is not None else None) or "en"
        if all(m.meta[VERIFIED_FOR] == viewer for m in stamped):
            return list(messages)
        guard = guard_for(self.settings, self.db)

        def personal(text: str) -> bool:
            try:
                removed = guard.scrub(text, viewer, signed_in=signed_in).removed
            except Exception:
                log.exception("PII guard failed on a transcript message; the message is withheld")
                return True
            return any(kind != "link" for kind in removed)

        out = []
        for m in messages:
            meta = m.meta or {}
            owner = meta.get(VERIFIED_FOR)
            if owner and owner != viewer and m.text and personal(m.text):
                notice = say("withheld_verify_again", str(meta.get("language") or language))
                kept = {k: meta[k] for k in ("language", "agent") if k in meta}
                m = m.model_copy(update={"text": notice, "citations": [], "meta": {**kept, "withheld": True}})
            out.append(m)
        return out

    def history(self, conversation_id: str, caller: Caller) -> list[MessageView]:
        self._open(conversation_id, caller)
        self._take_transcript(caller)
        try:
            messages = self._engine().history(conversation_id)
        except ConversationNotFound:
            raise NotFound("No such conversation.") from None
        return customer_views(self._readable(conversation_id, messages)) if not caller.is_staff else messages

    def detail(self, conversation_id: str, caller: Caller) -> ConversationDetail:
        """The conversation with its whole transcript (it can be resumed any time). At most
        ``security.transcripts_per_client`` reads per client address."""
        self._open(conversation_id, caller)
        self._take_transcript(caller)
        try:
            info = self._engine().conversation(conversation_id)
            messages = self._engine().history(conversation_id)
        except ConversationNotFound:
            raise NotFound("No such conversation.") from None
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            verified = conv.verified_customer_id if conv is not None else None
        return ConversationDetail(
            id=str(info["id"]),
            status=info["status"],
            intent=info.get("intent"),
            language=info.get("language"),
            customer_id=info.get("customer_id"),
            verified_customer_id=verified,
            # The summary is the agents' handoff note ("Handoff reason: negative sentiment. ..."): staff only.
            summary=str(info.get("summary") or "") if caller.is_staff else "",
            messages=customer_views(self._readable(conversation_id, messages)) if not caller.is_staff else messages,
        )

    def _take_transcript(self, caller: Caller) -> None:
        self._take("transcripts", caller, "You're reading this conversation faster than we can show it.")

    def agent_replies(self, conversation_id: str, caller: Caller, after_id: int = 0) -> list[MessageView]:
        """The agents' messages newer than ``after_id`` (what an open chat polls for). At most
        ``security.agent_polls_per_client`` polls per client address."""
        self.authorize(conversation_id, caller)
        self._take("agent_polls", caller, "You're checking for replies faster than we can answer.")
        with self.db.session() as s:
            rows = s.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.role == "agent", Message.id > after_id)
                .order_by(Message.id)
            ).all()
            views = [
                MessageView(id=m.id, role="agent", text=m.text, created_at=m.created_at, meta=dict(m.meta or {}))
                for m in rows
            ]
        readable = views if caller.is_staff else self._readable(conversation_id, views)
        return customer_views(readable)

    def last_message_id(self, conversation_id: str, caller: Caller) -> int:
        self.authorize(conversation_id, caller)
        with self.db.session() as s:
            value = s.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id))
        return int(value or 0)

    # --- products ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        caller: Caller,
        conversation_id: str | None = None,
        *,
        k: int | None = None,
        personalized: bool = True,
    ) -> SearchResults:
        """The search box: products for ``query``, ranked for the conversation's customer when
        ``conversation_id`` is given (the caller must own it), else as a guest. At most
        ``security.searches_per_client`` searches per client address; :class:`Invalid` for an empty or too long
        query."""
        from assistant.interest.search import ProductSearch, SearchError

        customer = self.authorize(conversation_id, caller).interest_id if conversation_id else None
        self._take("searches", caller, "You're searching faster than we can look.")
        try:
            return ProductSearch.of(self._interest()).search(query, customer, k=k, personalized=personalized)
        except SearchError as exc:
            raise Invalid(str(exc)) from None

    def recommendations(
        self, conversation_id: str, caller: Caller, *, k: int | None = None, message_id: int | None = None
    ) -> list[Recommendation]:
        """Products for this conversation's customer now (stored history, clicks, chat); shown = recorded.
        At most ``security.recommendations_per_client`` reads per client address."""
        owner = self.authorize(conversation_id, caller)
        self._take("recommendations", caller, "You're asking for recommendations faster than we can show them.")
        recs = self._recommend(conversation_id, owner, k or self.settings.conversation.recommendations_k)
        self.record_impressions(conversation_id, message_id, recs)
        return recs

    def click(self, conversation_id: str, caller: Caller, product_id: str, *, k: int | None = None) -> ClickResult:
        """Record a click on a product card; returns the product and the recommendations it leads to.
        At most ``security.clicks_per_client`` clicks per client address."""
        owner = self.authorize(conversation_id, caller)
        self._take("clicks", caller, "You're opening products faster than we can show them.")
        product = self.shown_details(self.catalog.product_details(product_id), owner.customer_id)  # NotFound: unknown
        session_id = chat_session_id(conversation_id)
        try:
            self._interest().record_event(owner.interest_id, product_id, "click", session_id)
        except Exception:
            log.warning("interest service could not record the click; writing the event directly", exc_info=True)
            with self.db.session() as s:
                s.add(
                    Event(
                        id=uuid.uuid4().hex,
                        customer_id=owner.interest_id,
                        product_id=product_id,
                        event_type="click",
                        timestamp=datetime.now(UTC),
                        session_id=session_id,
                        source="chat",
                    )
                )
        recs = self._recommend(conversation_id, owner, k or self.settings.conversation.recommendations_k)
        self.record_impressions(conversation_id, None, recs)
        return ClickResult(product=product, recommendations=recs)

    def shown_details(self, details: ProductDetails, customer_id: str | None) -> ProductDetails:
        """Product details as the customer ``customer_id`` (None: a guest) may read them: the review quotes
        and the description pass the same guards as a reply (details of other customers masked, links off
        the allow-list made plain text); a quote addressing an assistant with instructions is left out.
        Fails closed: text the guard could not check is not shown."""
        from assistant.conversation.safety import InjectionScreen
        from assistant.security.pii import guard_for

        guard, screen = guard_for(self.settings, self.db), InjectionScreen()

        def guarded(text: str) -> str:
            try:
                return str(guard.scrub(text, customer_id).text) if text else ""
            except Exception:
                log.exception("PII guard failed on product details; the text is withheld")
                return ""

        quotes = [(guarded(text), rating) for text, rating in details.review_quotes if not screen.is_suspicious(text)]
        return details.model_copy(
            update={"description": guarded(details.description), "review_quotes": [q for q in quotes if q[0]]}
        )

    def record_impressions(self, conversation_id: str, message_id: int | None, recs: Sequence[Recommendation]) -> None:
        """Store the product cards shown (the denominator of click-through)."""
        if not recs:
            return
        try:
            with self.db.session() as s:
                for r in recs:
                    s.add(Impression(conversation_id=conversation_id, message_id=message_id, product_id=r.product_id))
        except Exception:
            log.warning("could not store recommendation impressions", exc_info=True)

    def _chat_text(self, conversation_id: str) -> list[str]:
        with self.db.session() as s:
            rows = s.scalars(
                select(Message.text)
                .where(Message.conversation_id == conversation_id, Message.role == "customer")
                .order_by(Message.id)
            ).all()
        return [str(t) for t in rows]

    def _recommend(self, conversation_id: str, owner: _Owner, k: int) -> list[Recommendation]:
        chat_text = self._chat_text(conversation_id)
        try:
            recs = self._interest().recommend(owner.interest_id, chat_text=chat_text, k=k)
        except Exception:
            log.warning("interest service could not recommend; using same-category products", exc_info=True)
            return self._fallback(owner.interest_id, k)
        out = []
        for r in recs:
            contributions: dict[str, float] = {}
            for label, weight in r.contributions or []:
                contributions[str(label)] = contributions.get(str(label), 0.0) + float(weight)
            out.append(
                Recommendation(
                    product_id=str(r.product_id),
                    name=r.name,
                    category=r.category,
                    price=r.price,
                    score=float(r.score),
                    reason=r.reason,
                    contributions=contributions,
                )
            )
        return out

    def _fallback(self, interest_id: str, k: int) -> list[Recommendation]:
        """Same-category products as the last click, when the interest service cannot answer."""
        with self.db.session() as s:
            last = s.scalar(
                select(Event.product_id)
                .where(Event.customer_id == interest_id)
                .order_by(Event.timestamp.desc())
                .limit(1)
            )
            seen = set(s.scalars(select(Event.product_id).where(Event.customer_id == interest_id)).all())
            category = s.scalar(select(Product.category).where(Product.id == last)) if last else None
            q = select(Product).where(Product.available.is_(True))
            if category:
                q = q.where(Product.category == category)
            rows = [p for p in s.scalars(q.order_by(Product.id).limit(k + len(seen))).all() if p.id not in seen]
            return [
                Recommendation(
                    product_id=p.id,
                    name=p.name,
                    category=p.category,
                    price=p.price,
                    reason="Similar to what you just looked at." if category else "Popular in our shop.",
                )
                for p in rows[:k]
            ]
