"""The agents' side: the queue, a conversation with its drafts, decisions on drafts, agent replies,
product suggestions, release and resolve. Every method takes the signed-in ``user`` and checks
the agent role itself, so no screen is the only protection. Order actions (cancel, address change,
return, exchange) are decided through :mod:`assistant.services.orders`, on the same drafts.

Every decision is written to ``drafts`` (status, reviewer, reason, decided_at) and, when something
is sent, to ``messages`` as an ``agent`` message, which the customer's open chat picks up. A
decision is one conditional UPDATE (``... WHERE status = 'pending'``): of several agents deciding
one draft at once, exactly one wins and the customer receives one message.

Example:
    >>> desk = services.support_desk  # doctest: +SKIP
    >>> item = desk.queue(user)[0]  # doctest: +SKIP
    >>> detail = desk.conversation(user, item.id)  # doctest: +SKIP
    >>> desk.decide(user, detail.drafts[0].id, "edit", text="Hi! ...")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.conversation.repository import VERIFIED_FOR
from assistant.conversation.types import Citation
from assistant.money import money
from assistant.retrieval.text import snippet
from assistant.services.types import (
    Conflict,
    ConversationDetail,
    Decision,
    DraftView,
    Forbidden,
    Invalid,
    MessageView,
    NotFound,
    ProfileView,
    QueueItem,
    SessionUser,
)
from assistant.store.db import Database
from assistant.store.models import Conversation, Customer, Draft, Event, Message, Product, utcnow

if TYPE_CHECKING:
    from assistant.interest.online import InterestService

log = logging.getLogger(__name__)

# What each desk event says in the transcript, after the agent's name.
EVENT_TEXT = {
    "claim": "claimed the conversation",
    "unclaim": "released the claim",
    "resolve": "resolved the conversation",
    "reopen": "reopened the conversation",
}


def draft_view(d: Draft) -> DraftView:
    return DraftView(
        id=d.id,
        conversation_id=d.conversation_id,
        kind=d.kind,
        content=d.content,
        payload=dict(d.payload or {}),
        sources=list(d.sources or []),
        status=d.status,
        reviewer=d.reviewer,
        reason=d.reason,
        created_at=d.created_at,
        decided_at=d.decided_at,
    )


def message_view(m: Message) -> MessageView:
    citations = []
    for c in m.citations or []:
        try:
            citations.append(Citation.model_validate(c))
        except ValueError:
            continue
    return MessageView(
        id=m.id,
        role=m.role,
        text=m.text,
        citations=citations,
        intent=m.intent,
        confidence=m.confidence,
        created_at=m.created_at,
        meta=dict(m.meta or {}),
    )


PREVIEW_CHARS = 140
PREVIEW_MESSAGES = 4
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def request_preview(said: Sequence[str], *, enough: int = 4) -> str:
    """What the customer wants, for a queue line: their last message, led by the ones before it while
    it is too short to say anything ("yes", "ok please" after a fault report), oldest first. Length is
    counted in words, two CJK characters making one.

    Example:
        >>> request_preview(["The zipper on my jacket broke after two weeks", "yes"])
        'The zipper on my jacket broke after two weeks … yes'
        >>> request_preview(["hi", "where is my order 1042?"])
        'where is my order 1042?'
        >>> request_preview(["我的帐篷杆断了", "好的"])
        '我的帐篷杆断了 … 好的'
        >>> request_preview([])
        ''
        >>> long = request_preview(["word " * 50, "yes"])  # the long one shortened, the last kept
        >>> long.endswith("word… … yes"), len(long) <= PREVIEW_CHARS
        (True, True)
    """
    kept: list[str] = []
    words = 0
    for text in reversed(said):
        kept.insert(0, " ".join(text.split()))
        words += len(text.split()) + len(CJK.findall(text)) // 2
        if words >= enough:
            break
    if not kept:
        return ""
    last = kept[-1][:PREVIEW_CHARS]
    lead = " … ".join(kept[:-1])
    room = PREVIEW_CHARS - len(last) - len(" … ")
    if not lead or room < 10:
        return last
    # A long message before a short last one is shortened, never the last one cut off ("… yes").
    return f"{snippet(lead, room - 1)} … {last}"


def require_role(user: SessionUser | None, role: str = "agent") -> SessionUser:
    """The user if signed in with ``role`` (admins hold agent too), else :class:`Forbidden`."""
    if user is None:
        raise Forbidden("Please sign in.")
    if not user.can(role):
        raise Forbidden(f"This needs the {role} role.")
    return user


def post_agent_message(
    s: Session, conversation_id: str, text: str, reviewer: str, draft_id: int | None, **meta: Any
) -> None:
    """Send ``text`` to the customer as the agent ``reviewer`` (the customer's open chat picks it up). Written
    while the conversation is verified, it is stamped with that customer (:data:`VERIFIED_FOR`)."""
    conv = s.get(Conversation, conversation_id)
    stamp = {VERIFIED_FOR: conv.verified_customer_id} if conv is not None and conv.verified_customer_id else {}
    s.add(
        Message(
            conversation_id=conversation_id,
            role="agent",
            text=text,
            meta={"agent": reviewer, "draft_id": draft_id, **meta, **stamp},
        )
    )
    if conv is not None:
        conv.updated_at = utcnow()


def settle_draft(s: Session, draft_id: int, lost: str, **values: Any) -> None:
    """Decide a pending draft with one conditional UPDATE (``... WHERE status = 'pending'``), so of
    several agents deciding it at once exactly one wins; the others get :class:`Conflict` (``lost``)."""
    won = s.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.status == "pending")
        .values(decided_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        s.rollback()
        raise Conflict(lost)


class SupportDeskService:
    """What agents (and admins) do with conversations handed to people (see the module docstring)."""

    def __init__(self, settings: Settings, db: Database, interest: Callable[[], InterestService]) -> None:
        self.settings = settings
        self.db = db
        self._interest = interest

    # --- the queue ----------------------------------------------------------------------------
    def queue(self, user: SessionUser, limit: int = 50) -> list[QueueItem]:
        """Conversations needing a person: handoffs first, then low-confidence answers
        (below ``conversation.low_confidence``), then pending drafts; the least confident first."""
        require_role(user)
        low_confidence = self.settings.conversation.low_confidence
        with self.db.session() as s:
            pending = dict(
                s.execute(
                    select(Draft.conversation_id, func.count())
                    .where(Draft.status == "pending")
                    .group_by(Draft.conversation_id)
                ).all()
            )
            convs = s.scalars(
                select(Conversation).where(Conversation.status != "closed").order_by(Conversation.updated_at.desc())
            ).all()
            items: list[tuple[int, float, QueueItem]] = []
            for c in convs:
                confidence = s.scalar(
                    select(Message.confidence)
                    .where(Message.conversation_id == c.id, Message.role == "assistant")
                    .order_by(Message.id.desc())
                    .limit(1)
                )
                last_customer = s.scalars(
                    select(Message.text)
                    .where(Message.conversation_id == c.id, Message.role == "customer")
                    .order_by(Message.id.desc())
                    .limit(PREVIEW_MESSAGES)
                ).all()
                n_pending = int(pending.get(c.id, 0))
                if c.status == "handoff":
                    rank, reason = 0, "asked for a person"
                elif confidence is not None and confidence < low_confidence:
                    rank, reason = 1, f"low confidence ({confidence:.2f})"
                elif n_pending:
                    rank, reason = 2, "draft waiting for review"
                else:
                    continue
                item = QueueItem(
                    id=c.id,
                    status=c.status,
                    intent=c.intent,
                    customer_id=c.verified_customer_id or c.customer_id,
                    confidence=confidence,
                    pending_drafts=n_pending,
                    preview=request_preview(list(reversed(last_customer))),
                    updated_at=c.updated_at,
                    reason=reason,
                )
                items.append((rank, confidence if confidence is not None else 1.0, item))
            items.sort(key=lambda t: (t[0], t[1], -t[2].updated_at.timestamp()))
            return [t[2] for t in items[:limit]]

    def conversation(self, user: SessionUser, conversation_id: str) -> ConversationDetail:
        """The transcript, intent and every draft of one conversation."""
        require_role(user)
        with self.db.session() as s:
            c = s.get(Conversation, conversation_id)
            if c is None:
                raise NotFound("No such conversation.")
            drafts = s.scalars(select(Draft).where(Draft.conversation_id == conversation_id).order_by(Draft.id)).all()
            return ConversationDetail(
                id=c.id,
                status=c.status,
                intent=c.intent,
                language=c.language,
                customer_id=c.customer_id,
                verified_customer_id=c.verified_customer_id,
                summary=c.summary,
                messages=[message_view(m) for m in c.messages],
                drafts=[draft_view(d) for d in drafts],
            )

    def drafts(
        self, user: SessionUser, status: str | None = "pending", kind: str | None = None
    ) -> list[DraftView]:
        """Drafts, newest first; ``status=None`` lists every status, ``kind=None`` every kind."""
        require_role(user)
        with self.db.session() as s:
            q = select(Draft).order_by(Draft.id.desc())
            if status is not None:
                q = q.where(Draft.status == status)
            if kind is not None:
                q = q.where(Draft.kind == kind)
            return [draft_view(d) for d in s.scalars(q).all()]

    # --- decisions ----------------------------------------------------------------------------
    def _recommendation_text(self, d: Draft) -> str:
        p = d.payload or {}
        price = p.get("price")
        currency = self.settings.conversation.currency
        price_txt = f" ({money(float(price), 'en', currency)})" if isinstance(price, int | float) else ""
        reason = p.get("reason") or d.content
        return f"Our team thinks you may like **{p.get('name', 'this product')}**{price_txt}. {reason}".strip()

    def decide(
        self, user: SessionUser, draft_id: int, action: Decision, *, text: str | None = None, reason: str = ""
    ) -> DraftView:
        """Approve (send as is), edit (send ``text``) or reject (with ``reason``) a pending draft.

        The original draft text stays in ``content``; what was actually sent goes to
        ``payload["sent_text"]``, so analytics can compare the two. :class:`Conflict` when the
        draft is gone, already decided (also by a concurrent decision), or the input is missing.
        """
        reviewer = require_role(user).username
        if action not in ("approve", "edit", "reject"):
            raise Invalid("action must be approve, edit or reject")
        with self.db.session() as s:
            d = s.get(Draft, draft_id)
            if d is None:
                raise Conflict("That draft no longer exists.")
            if d.status != "pending":
                raise Conflict(f"That draft was already {d.status} by {d.reviewer or 'someone'}.")
            sent: str | None = None
            if action == "reject":
                if not reason.strip():
                    raise Conflict("Please give a reason for rejecting.")
                new_status = "rejected"
            elif action == "edit":
                sent = (text or "").strip()
                if not sent:
                    raise Conflict("The edited reply is empty.")
                new_status = "approved" if sent == d.content.strip() else "edited"
            else:
                sent = self._recommendation_text(d) if d.kind == "recommendation" else d.content
                new_status = "approved"
            payload = {**(d.payload or {}), "sent_text": sent} if sent is not None else dict(d.payload or {})
            settle_draft(s, draft_id, "That draft was just decided by someone else.",
                         status=new_status, reason=reason.strip(), payload=payload, reviewer=reviewer)
            if sent is not None:
                post_agent_message(s, d.conversation_id, sent, reviewer, d.id)
            s.flush()
            s.refresh(d)
            return draft_view(d)

    def reply(self, user: SessionUser, conversation_id: str, text: str) -> DraftView:
        """An agent's own reply with no draft to start from (stored as an ``edited`` empty draft)."""
        reviewer = require_role(user).username
        text = text.strip()
        if not text:
            raise Invalid("The reply is empty.")
        with self.db.session() as s:
            if s.get(Conversation, conversation_id) is None:
                raise NotFound("That conversation no longer exists.")
            d = Draft(
                conversation_id=conversation_id,
                kind="reply",
                content="",
                payload={"sent_text": text},
                status="edited",
                reviewer=reviewer,
                decided_at=utcnow(),
            )
            s.add(d)
            s.flush()
            post_agent_message(s, conversation_id, text, reviewer, d.id)
            s.flush()
            return draft_view(d)

    def _set_status(self, user: SessionUser, conversation_id: str, status: str, *events: str) -> None:
        """Set the conversation's status and log each desk event (``claim``, ``resolve``, ...) as ``user``."""
        me = require_role(user).username
        with self.db.session() as s:
            c = s.get(Conversation, conversation_id)
            if c is None:
                raise NotFound("That conversation no longer exists.")
            c.status = status
            c.updated_at = utcnow()
            for event in events:
                self._log_event(s, conversation_id, event, me, f"{me} {EVENT_TEXT[event]}")

    def release(self, user: SessionUser, conversation_id: str) -> None:
        """Hand the conversation back to the assistant (it leaves the handoff part of the queue)."""
        self._set_status(user, conversation_id, "open")

    def resolve(self, user: SessionUser, conversation_id: str) -> None:
        """Close the conversation (it leaves the queue)."""
        self._set_status(user, conversation_id, "closed")

    # --- suggestions and the customer's interests ---------------------------------------------
    def suggestions(self, user: SessionUser, conversation_id: str, k: int | None = None) -> list[DraftView]:
        """Pending product suggestions for a conversation, created from the interest model if none exist."""
        require_role(user)
        k = k or self.settings.conversation.recommendations_k or 3
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise NotFound("That conversation no longer exists.")
            existing = s.scalars(
                select(Draft).where(Draft.conversation_id == conversation_id, Draft.kind == "recommendation")
            ).all()
            if existing:
                return [draft_view(d) for d in existing if d.status == "pending"]
            customer_id = conv.verified_customer_id or conv.customer_id
            # What the customer said they are looking for (the conversation's parsed need), not every
            # message: a complaint, an order question or an address is no interest, and a suggestion
            # "because you asked about 'the zipper on my jacket broke'" would read as mockery.
            need = (conv.state or {}).get("need") or {}
            chat_text = [str(need["query"])] if isinstance(need, dict) and need.get("query") else []
        try:
            recs = self._interest().recommend(customer_id or "", chat_text=chat_text, k=k)
        except Exception:
            log.exception("recommendations for conversation %s failed", conversation_id)
            return []
        out: list[DraftView] = []
        with self.db.session() as s:
            for r in recs:
                d = Draft(
                    conversation_id=conversation_id,
                    kind="recommendation",
                    content=str(r.reason),
                    payload={
                        "product_id": r.product_id,
                        "name": r.name,
                        "category": r.category,
                        "price": r.price,
                        "score": float(r.score),
                        "reason": str(r.reason),
                    },
                    status="pending",
                )
                s.add(d)
                s.flush()
                out.append(draft_view(d))
        return out

    def recent_events(self, user: SessionUser, customer_id: str, limit: int = 15) -> list[dict[str, Any]]:
        require_role(user)
        return self._recent_events(customer_id, limit)

    def _recent_events(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Event, Product.name, Product.category)
                .join(Product, Product.id == Event.product_id, isouter=True)
                .where(Event.customer_id == customer_id)
                .order_by(Event.timestamp.desc())
                .limit(limit)
            ).all()
            return [
                {
                    "time": e.timestamp,
                    "event": e.event_type,
                    "product_id": e.product_id,
                    "product": name or e.product_id,
                    "category": category or "",
                }
                for e, name, category in rows
            ]

    def _profile_from_events(self, customer_id: str) -> ProfileView:
        """A decayed category mix from the event log (``interest.event_weights``, ``interest.profile_decay``);
        used when the interest model is unavailable."""
        cfg = self.settings.interest
        events = list(reversed(self._recent_events(customer_id, limit=cfg.max_seq_len)))
        mix: dict[str, float] = {}
        history: list[tuple[datetime | None, str, list[tuple[str, float]]]] = []
        for e in events:
            for cat in list(mix):
                mix[cat] *= cfg.profile_decay
            key = e["category"] or "other"
            mix[key] = mix.get(key, 0.0) + cfg.event_weights.get(e["event"], 1.0)
            total = sum(mix.values()) or 1.0
            snapshot = [(c, w / total) for c, w in sorted(mix.items(), key=lambda kv: -kv[1])[:5]]
            history.append((e["time"], f"{e['event']} {e['product']}", snapshot))
        total = sum(mix.values()) or 1.0
        return ProfileView(
            customer_id=customer_id,
            top_categories=[(c, w / total) for c, w in sorted(mix.items(), key=lambda kv: -kv[1])[:6]],
            history=history,
            recent_events=list(reversed(events))[:15],
        )

    def profile(self, user: SessionUser, customer_id: str, chat_text: str | Sequence[str] = "") -> ProfileView:
        """The interest profile (top categories, how they moved) with the customer's recent events."""
        require_role(user)
        try:
            p = self._interest().profile(customer_id, chat_text=chat_text)
            top = [(str(c), float(w)) for c, w in p.top_categories if not math.isnan(float(w))]
            history = [(t, str(label), [(str(c), float(w)) for c, w in cats]) for t, label, cats in p.history]
            return ProfileView(
                customer_id=customer_id,
                top_categories=top,
                history=history,
                recent_events=self._recent_events(customer_id, 15),
            )
        except Exception:
            # The trained encoder may be missing or still loading; the event log still tells a story.
            log.warning("interest profile unavailable for %s; using the event log", customer_id, exc_info=True)
            return self._profile_from_events(customer_id)

    # --- the agent console (issue 14): a queue of people waiting, claims, order actions ----------
    def agent_name(self, username: str | None) -> str:
        """How an agent is named to customers (the account name, capitalised)."""
        name = (username or "").strip()
        return name[:1].upper() + name[1:] if name else "Support team"

    def _events(self, s: Session, conversation_id: str) -> list[Message]:
        return list(
            s.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.role == "system")
                .order_by(Message.id)
            ).all()
        )

    @staticmethod
    def _log_event(s: Session, conversation_id: str, event: str, by: str, text: str) -> None:
        """Desk events (claim, resolve, reopen) are system messages: the engine and the customer skip them."""
        s.add(Message(conversation_id=conversation_id, role="system", text=text, meta={"desk": event, "by": by}))

    def _claimed_by(self, s: Session, conversation_id: str) -> str | None:
        claimed: str | None = None
        for m in self._events(s, conversation_id):
            event = (m.meta or {}).get("desk")
            if event == "claim":
                claimed = str((m.meta or {}).get("by") or "") or None
            elif event in ("unclaim", "resolve"):
                claimed = None
        return claimed

    def desk_queue(self, user: SessionUser, view: str = "waiting", limit: int = 100) -> list[DeskItem]:
        """Conversations for the console.

        ``waiting``: someone waits for a person (a handoff, a draft or order action to decide, or a
        low-confidence answer) and no agent has answered since; longest wait first. ``replied``: an
        agent answered last and the conversation is not resolved. ``resolved``: closed, newest first.
        """
        require_role(user)
        if view not in ("waiting", "replied", "resolved"):
            raise Invalid("view must be waiting, replied or resolved")
        low_confidence = self.settings.conversation.low_confidence
        now = utcnow()
        out: list[DeskItem] = []
        with self.db.session() as s:
            q = select(Conversation).order_by(Conversation.updated_at.desc())
            q = q.where(Conversation.status == "closed") if view == "resolved" else q.where(
                Conversation.status != "closed"
            )
            for c in s.scalars(q.limit(limit * 5 if view != "resolved" else limit)).all():
                msgs = [m for m in c.messages if m.role != "system"]
                drafts = s.scalars(
                    select(Draft).where(
                        Draft.conversation_id == c.id, Draft.status == "pending", Draft.kind != "recommendation"
                    )
                ).all()
                last_agent = max((m.id for m in msgs if m.role == "agent"), default=0)
                last_agent_at = max((m.created_at for m in msgs if m.role == "agent"), default=None)
                # A reply draft written before an agent's last message is stale: the agent has answered.
                drafts = [d for d in drafts
                          if d.kind == "order_action" or last_agent_at is None or d.created_at > last_agent_at]
                unanswered = [m for m in msgs if m.role == "customer" and m.id > last_agent]
                last_assistant = next((m for m in reversed(msgs) if m.role == "assistant"), None)
                low = (
                    last_assistant is not None
                    and last_assistant.id > last_agent
                    and last_assistant.confidence is not None
                    and last_assistant.confidence < low_confidence
                )
                actions = [d for d in drafts if d.kind == "order_action"]
                if actions:
                    p = actions[-1].payload or {}
                    what = str(p.get("action", "order change")).replace("_", " ").capitalize()
                    need = f"{what} order {p.get('order_id', '')}"
                    reason = "order action to decide"
                elif c.status == "handoff":
                    need, reason = "", "asked for a person"
                elif drafts:
                    need, reason = "", "draft to review"
                elif low:
                    need, reason = "", f"low confidence ({last_assistant.confidence:.2f})" if last_assistant else ""
                else:
                    need, reason = "", ""
                asked = c.status == "handoff" and not last_agent  # pressed "Talk to a human", nobody answered
                waiting = bool(reason) and (bool(unanswered) or bool(drafts) or asked)
                if view == "waiting" and not waiting:
                    continue
                if view == "replied" and (waiting or not last_agent):
                    continue
                if not need:
                    need = (c.intent or "").replace("_", " ").capitalize() or "Question"
                since_candidates = [m.created_at for m in unanswered] + [d.created_at for d in drafts]
                since = min(since_candidates) if since_candidates else c.updated_at
                since = since if since.tzinfo else since.replace(tzinfo=now.tzinfo)
                customer_id = c.verified_customer_id or c.customer_id
                name = s.scalar(select(Customer.name).where(Customer.id == customer_id)) if customer_id else None
                said = [m.text for m in msgs if m.role == "customer"][-PREVIEW_MESSAGES:]
                out.append(
                    DeskItem(
                        id=c.id,
                        customer_name=name or (f"Customer {customer_id}" if customer_id else "Guest"),
                        customer_id=customer_id,
                        verified=bool(c.verified_customer_id),
                        need=need,
                        reason=reason or ("replied" if view == "replied" else "resolved"),
                        preview=request_preview(said),
                        waiting_since=since,
                        waiting_seconds=max(0.0, (now - since).total_seconds()),
                        claimed_by=self._claimed_by(s, c.id),
                        status=c.status,
                        open_drafts=len(drafts),
                    )
                )
        if view == "resolved":
            return out[:limit]
        out.sort(key=lambda i: -i.waiting_seconds)
        return out[:limit]

    def desk_counts(self, user: SessionUser) -> tuple[int, int]:
        """(conversations waiting for a person, replies and order actions waiting for a decision)."""
        items = self.desk_queue(user, "waiting")
        return len(items), sum(i.open_drafts for i in items)

    def claim(self, user: SessionUser, conversation_id: str, *, take_over: bool = False) -> str:
        """Claim a conversation for the signed-in agent; :class:`Conflict` if a colleague holds it."""
        me = require_role(user).username
        with self.db.session() as s:
            if s.get(Conversation, conversation_id) is None:
                raise NotFound("That conversation no longer exists.")
            holder = self._claimed_by(s, conversation_id)
            if holder == me:
                return me
            if holder and not take_over:
                raise Conflict(f"{holder} has already claimed this conversation.")
            self._log_event(s, conversation_id, "claim", me, f"{me} {EVENT_TEXT['claim']}")
        return me

    def unclaim(self, user: SessionUser, conversation_id: str) -> None:
        me = require_role(user).username
        with self.db.session() as s:
            if s.get(Conversation, conversation_id) is None:
                raise NotFound("That conversation no longer exists.")
            self._log_event(s, conversation_id, "unclaim", me, f"{me} {EVENT_TEXT['unclaim']}")

    def close(self, user: SessionUser, conversation_id: str) -> None:
        """Resolve: the conversation leaves the queue (its claim ends) until it is reopened."""
        self._set_status(user, conversation_id, "closed", "resolve")

    def reopen(self, user: SessionUser, conversation_id: str) -> None:
        """Reopen a resolved conversation: back to a person (``handoff``), claimed by whoever reopened it."""
        self._set_status(user, conversation_id, "handoff", "reopen", "claim")

    def send_reply(self, user: SessionUser, conversation_id: str, draft_id: int | None, text: str) -> DraftView:
        """Send exactly ``text`` (the editor's content): decides the pending reply draft if there is one."""
        if draft_id is None:
            return self.reply(user, conversation_id, text)
        return self.decide(user, draft_id, "edit", text=text)

    def send_suggestion(self, user: SessionUser, draft_id: int, note: str = "") -> DraftView:
        """Send a product suggestion as a product card with the agent's own ``note``."""
        reviewer = require_role(user).username
        with self.db.session() as s:
            d = s.get(Draft, draft_id)
            if d is None or d.kind != "recommendation":
                raise NotFound("That suggestion no longer exists.")
            if d.status != "pending":
                raise Conflict(f"That suggestion was already {d.status} by {d.reviewer or 'someone'}.")
            p = dict(d.payload or {})
            text = note.strip() or f"I think you may like {p.get('name', 'this product')}."
            settle_draft(s, draft_id, "That suggestion was just decided by someone else.",
                         status="approved", payload={**p, "sent_text": text, "note": note.strip()}, reviewer=reviewer)
            product = {k: p.get(k) for k in ("product_id", "name", "category", "price")}
            post_agent_message(s, d.conversation_id, text, reviewer, draft_id, kind="suggestion", product=product)
            s.flush()
            s.refresh(d)
            return draft_view(d)


@dataclass
class DeskItem:
    """One row of the agent console's queue."""

    id: str
    customer_name: str
    customer_id: str | None
    verified: bool
    need: str
    reason: str
    preview: str
    waiting_since: datetime
    waiting_seconds: float
    claimed_by: str | None
    status: str
    open_drafts: int
