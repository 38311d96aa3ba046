"""The agent console's data: the queue, a conversation with its drafts, and decisions on drafts.

The functions here are what both the JSON routes (``/api/agent/*``, agent or admin session
required) and the Gradio agent console call. Every decision is written to ``drafts`` (status,
reviewer, reason, decided_at) and, when something is sent, to ``messages`` as an ``agent``
message, which the customer's open chat picks up.

Example:
    >>> items = agent_queue(services.db)  # doctest: +SKIP
    >>> detail = conversation_detail(services.db, items[0].id)  # doctest: +SKIP
    >>> decide_draft(services.db, detail.drafts[0].id, "edit", "ana", text="Hi! ...")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from assistant.api.auth import AgentUser
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft, Event, Message, Product, utcnow

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.5
Decision = Literal["approve", "edit", "reject"]


class QueueItem(BaseModel):
    id: str
    status: str
    intent: str | None
    customer_id: str | None
    confidence: float | None = Field(description="Of the assistant's latest answer.")
    pending_drafts: int
    preview: str
    updated_at: datetime
    reason: str = Field(description="Why it is in the queue: handoff, low confidence, or pending draft.")


class MessageOut(BaseModel):
    id: int
    role: str
    text: str
    intent: str | None = None
    confidence: float | None = None
    citations: list[Any] = Field(default_factory=list)
    created_at: datetime


class DraftOut(BaseModel):
    id: int
    conversation_id: str
    kind: str
    content: str
    payload: dict[str, Any]
    sources: list[Any]
    status: str
    reviewer: str | None
    reason: str
    created_at: datetime
    decided_at: datetime | None


class ConversationDetail(BaseModel):
    id: str
    status: str
    intent: str | None
    language: str | None
    customer_id: str | None
    verified_customer_id: str | None
    summary: str
    messages: list[MessageOut]
    drafts: list[DraftOut]


class DecisionBody(BaseModel):
    action: Decision
    text: str | None = Field(None, description="The edited reply (action=edit).")
    reason: str = Field("", description="Why (required for action=reject).")


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class ProfileOut(BaseModel):
    customer_id: str
    top_categories: list[tuple[str, float]]
    history: list[tuple[datetime | None, str, list[tuple[str, float]]]]
    recent_events: list[dict[str, Any]]


class AgentError(ValueError):
    """A decision that cannot be made (unknown draft, already decided, missing reason)."""


def _draft_out(d: Draft) -> DraftOut:
    return DraftOut.model_validate(d, from_attributes=True)


def waiting_counts(db: Database) -> tuple[int, int]:
    """(conversations handed off, reply drafts waiting for review): two cheap counts for polling."""
    with db.session() as s:
        handoffs = s.scalar(select(func.count()).select_from(Conversation).where(Conversation.status == "handoff"))
        drafts = s.scalar(
            select(func.count()).select_from(Draft).where(Draft.status == "pending", Draft.kind == "reply")
        )
    return int(handoffs or 0), int(drafts or 0)


def agent_queue(db: Database, *, low_confidence: float = LOW_CONFIDENCE, limit: int = 50) -> list[QueueItem]:
    """Conversations needing a person: handoffs first, then low-confidence answers, newest first."""
    with db.session() as s:
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
            last_answer = s.scalar(
                select(Message)
                .where(Message.conversation_id == c.id, Message.role == "assistant")
                .order_by(Message.id.desc())
                .limit(1)
            )
            last_customer = s.scalar(
                select(Message.text)
                .where(Message.conversation_id == c.id, Message.role == "customer")
                .order_by(Message.id.desc())
                .limit(1)
            )
            confidence = last_answer.confidence if last_answer is not None else None
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
                customer_id=c.customer_id,
                confidence=confidence,
                pending_drafts=n_pending,
                preview=(last_customer or "")[:140],
                updated_at=c.updated_at,
                reason=reason,
            )
            # Within a rank, the least confident first, then the most recent.
            items.append((rank, confidence if confidence is not None else 1.0, item))
        items.sort(key=lambda t: (t[0], t[1], -t[2].updated_at.timestamp()))
        return [t[2] for t in items[:limit]]


def conversation_detail(db: Database, conversation_id: str) -> ConversationDetail | None:
    """The transcript, intent and every draft of one conversation (None if unknown)."""
    with db.session() as s:
        c = s.get(Conversation, conversation_id)
        if c is None:
            return None
        drafts = s.scalars(
            select(Draft).where(Draft.conversation_id == conversation_id).order_by(Draft.id)
        ).all()
        return ConversationDetail(
            id=c.id,
            status=c.status,
            intent=c.intent,
            language=c.language,
            customer_id=c.customer_id,
            verified_customer_id=c.verified_customer_id,
            summary=c.summary,
            messages=[
                MessageOut(
                    id=m.id,
                    role=m.role,
                    text=m.text,
                    intent=m.intent,
                    confidence=m.confidence,
                    citations=list(m.citations or []),
                    created_at=m.created_at,
                )
                for m in c.messages
            ],
            drafts=[_draft_out(d) for d in drafts],
        )


def _post_agent_message(s: Any, conversation_id: str, text: str, reviewer: str, draft_id: int | None) -> None:
    s.add(
        Message(
            conversation_id=conversation_id,
            role="agent",
            text=text,
            meta={"agent": reviewer, "draft_id": draft_id},
        )
    )
    conv = s.get(Conversation, conversation_id)
    if conv is not None:
        conv.updated_at = utcnow()


def _recommendation_text(d: Draft) -> str:
    p = d.payload or {}
    price = p.get("price")
    price_txt = f" ({'$'}{float(price):,.2f})" if isinstance(price, int | float) else ""
    reason = p.get("reason") or d.content
    return f"Our team thinks you may like **{p.get('name', 'this product')}**{price_txt}. {reason}".strip()


def decide_draft(
    db: Database,
    draft_id: int,
    action: Decision,
    reviewer: str,
    *,
    text: str | None = None,
    reason: str = "",
) -> DraftOut:
    """Approve (send as is), edit (send ``text``) or reject (with ``reason``) a pending draft.

    The original draft text stays in ``content``; what was actually sent goes to
    ``payload["sent_text"]``, so analytics can compare the two.
    """
    with db.session() as s:
        d = s.get(Draft, draft_id, with_for_update=True)
        if d is None:
            raise AgentError("That draft no longer exists.")
        if d.status != "pending":
            raise AgentError(f"That draft was already {d.status} by {d.reviewer or 'someone'}.")
        if action == "reject":
            if not reason.strip():
                raise AgentError("Please give a reason for rejecting.")
            d.status = "rejected"
            d.reason = reason.strip()
        else:
            if action == "edit":
                sent = (text or "").strip()
                if not sent:
                    raise AgentError("The edited reply is empty.")
                d.status = "approved" if sent == d.content.strip() else "edited"
            else:
                sent = _recommendation_text(d) if d.kind == "recommendation" else d.content
                d.status = "approved"
            d.reason = reason.strip()
            d.payload = {**(d.payload or {}), "sent_text": sent}
            _post_agent_message(s, d.conversation_id, sent, reviewer, d.id)
        d.reviewer = reviewer
        d.decided_at = utcnow()
        s.flush()
        return _draft_out(d)


def send_reply(db: Database, conversation_id: str, text: str, reviewer: str) -> DraftOut:
    """An agent's own reply with no draft to start from (stored as an ``edited`` empty draft)."""
    text = text.strip()
    if not text:
        raise AgentError("The reply is empty.")
    with db.session() as s:
        if s.get(Conversation, conversation_id) is None:
            raise AgentError("That conversation no longer exists.")
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
        _post_agent_message(s, conversation_id, text, reviewer, d.id)
        s.flush()
        return _draft_out(d)


def release_conversation(db: Database, conversation_id: str) -> None:
    """Hand the conversation back to the assistant (it leaves the handoff part of the queue)."""
    with db.session() as s:
        c = s.get(Conversation, conversation_id)
        if c is None:
            raise AgentError("That conversation no longer exists.")
        c.status = "open"
        c.updated_at = utcnow()


def pending_suggestions(db: Database, kind: str = "recommendation") -> list[DraftOut]:
    with db.session() as s:
        rows = s.scalars(
            select(Draft).where(Draft.kind == kind, Draft.status == "pending").order_by(Draft.id.desc())
        ).all()
        return [_draft_out(d) for d in rows]


def suggest_recommendations(services: Any, conversation_id: str, k: int = 3) -> list[DraftOut]:
    """Pending product suggestions for a conversation, created from the interest model if none exist."""
    db: Database = services.db
    with db.session() as s:
        conv = s.get(Conversation, conversation_id)
        if conv is None:
            raise AgentError("That conversation no longer exists.")
        existing = s.scalars(
            select(Draft).where(Draft.conversation_id == conversation_id, Draft.kind == "recommendation")
        ).all()
        if existing:
            return [_draft_out(d) for d in existing if d.status == "pending"]
        customer_id = conv.verified_customer_id or conv.customer_id
        chat_text = [m.text for m in conv.messages if m.role == "customer"]
    try:
        recs = services.interest.recommend(customer_id or "", chat_text=chat_text, k=k)
    except Exception:
        log.exception("recommendations for conversation %s failed", conversation_id)
        return []
    out: list[DraftOut] = []
    with db.session() as s:
        for r in recs:
            d = Draft(
                conversation_id=conversation_id,
                kind="recommendation",
                content=str(getattr(r, "reason", "")),
                payload={
                    "product_id": r.product_id,
                    "name": r.name,
                    "category": r.category,
                    "price": r.price,
                    "score": float(r.score),
                    "reason": str(getattr(r, "reason", "")),
                },
                status="pending",
            )
            s.add(d)
            s.flush()
            out.append(_draft_out(d))
    return out


def recent_events(db: Database, customer_id: str, limit: int = 15) -> list[dict[str, Any]]:
    with db.session() as s:
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


def _profile_from_events(db: Database, customer_id: str, decay: float = 0.85) -> ProfileOut:
    """A decayed category mix from the event log; used when the interest model is unavailable."""
    events = list(reversed(recent_events(db, customer_id, limit=50)))
    weights = {"view": 1.0, "click": 1.5, "cart": 3.0, "purchase": 5.0, "review": 4.0}
    mix: dict[str, float] = {}
    history: list[tuple[datetime | None, str, list[tuple[str, float]]]] = []
    for e in events:
        for cat in list(mix):
            mix[cat] *= decay
        key = e["category"] or "other"
        mix[key] = mix.get(key, 0.0) + weights.get(e["event"], 1.0)
        total = sum(mix.values()) or 1.0
        snapshot = [(c, w / total) for c, w in sorted(mix.items(), key=lambda kv: -kv[1])[:5]]
        history.append((e["time"], f"{e['event']} {e['product']}", snapshot))
    total = sum(mix.values()) or 1.0
    return ProfileOut(
        customer_id=customer_id,
        top_categories=[(c, w / total) for c, w in sorted(mix.items(), key=lambda kv: -kv[1])[:6]],
        history=history,
        recent_events=list(reversed(events))[:15],
    )


def customer_profile(services: Any, customer_id: str, chat_text: str | Sequence[str] = "") -> ProfileOut:
    """The interest profile (top categories, how they moved) with the customer's recent events."""
    try:
        p = services.interest.profile(customer_id, chat_text=chat_text)
        top = [(str(c), float(w)) for c, w in p.top_categories if not math.isnan(float(w))]
        history = [(t, str(label), [(str(c), float(w)) for c, w in cats]) for t, label, cats in p.history]
        return ProfileOut(
            customer_id=customer_id,
            top_categories=top,
            history=history,
            recent_events=recent_events(services.db, customer_id),
        )
    except Exception:
        # The trained encoder may be missing or still loading; the event log still tells a story.
        log.warning("interest profile unavailable for %s; using the event log", customer_id, exc_info=True)
        return _profile_from_events(services.db, customer_id)


# --- JSON routes -----------------------------------------------------------------------------------

router = APIRouter(prefix="/api/agent", tags=["agent"])


def _svc(request: Request) -> Any:
    return request.app.state.services


@router.get("/queue", response_model=list[QueueItem])
def get_queue(request: Request, user: AgentUser) -> list[QueueItem]:
    """Conversations waiting for an agent, handoffs first."""
    return agent_queue(_svc(request).db)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, request: Request, user: AgentUser) -> ConversationDetail:
    detail = conversation_detail(_svc(request).db, conversation_id)
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such conversation.")
    return detail


@router.post("/drafts/{draft_id}/decision", response_model=DraftOut)
def post_decision(draft_id: int, body: DecisionBody, request: Request, user: AgentUser) -> DraftOut:
    """Approve, edit-then-send, or reject (with a reason) a draft."""
    try:
        return decide_draft(
            _svc(request).db, draft_id, body.action, user.username, text=body.text, reason=body.reason
        )
    except AgentError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None


@router.post("/conversations/{conversation_id}/reply", response_model=DraftOut)
def post_reply(conversation_id: str, body: ReplyBody, request: Request, user: AgentUser) -> DraftOut:
    try:
        return send_reply(_svc(request).db, conversation_id, body.text, user.username)
    except AgentError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None


@router.post("/conversations/{conversation_id}/release")
def post_release(conversation_id: str, request: Request, user: AgentUser) -> dict[str, bool]:
    try:
        release_conversation(_svc(request).db, conversation_id)
    except AgentError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return {"ok": True}


@router.post("/conversations/{conversation_id}/suggestions", response_model=list[DraftOut])
def post_suggestions(conversation_id: str, request: Request, user: AgentUser) -> list[DraftOut]:
    """Product suggestions for this customer (created once, then reviewed like drafts)."""
    try:
        return suggest_recommendations(_svc(request), conversation_id)
    except AgentError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None


@router.get("/suggestions", response_model=list[DraftOut])
def get_suggestions(request: Request, user: AgentUser) -> list[DraftOut]:
    return pending_suggestions(_svc(request).db)


@router.get("/customers/{customer_id}/profile", response_model=ProfileOut)
def get_profile(customer_id: str, request: Request, user: AgentUser) -> ProfileOut:
    return customer_profile(_svc(request), customer_id)
