"""Loading and saving conversations, messages, drafts and feedback (the engine's only SQL).

Example:
    >>> repo = ConversationRepository(db)  # doctest: +SKIP
    >>> cid = repo.create("C001", signed_in=True)  # doctest: +SKIP
    >>> repo.load(cid).verified_id  # doctest: +SKIP
    'C001'
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from assistant.conversation.state import ConversationState
from assistant.conversation.templates import TEMPLATES
from assistant.conversation.types import Citation, DraftView, MessageView, SessionEvent
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft, Feedback, Impression, Message

audit = logging.getLogger("assistant.audit")


class ConversationNotFound(KeyError):
    """No conversation with that id."""


#: ``meta`` key of a message written while its conversation was verified (in chat or by the shop's sign-in):
#: the customer it was written for. Read back after that verification ended, such a message is shown only
#: once the same customer is verified again if it holds personal details (``ChatService``; issue 11). Messages
#: stored before the stamp existed hold ``true`` (migration 0006): written for a customer unknown now, so
#: hidden whenever they hold personal details the customer verified now (or nobody) may not see.
VERIFIED_FOR = "verified_for"
NO_DRAFT_BASES = frozenset({"none", "refusal", "small_talk", "identity", "profile"})
"""Answers that are the assistant's own process (it found nothing, refused, asked who the customer is,
said it cannot change an account): no start for an agent's reply."""


def agent_draft(text: str, meta: Mapping[str, Any]) -> str:
    """The assistant's last answer as the start of the agent's reply after a handoff: without the offer
    to connect the customer to a person (the agent is that person), and empty when the answer was only
    the assistant's own process (:data:`NO_DRAFT_BASES`), which an agent would not send.

    Example:
        >>> offer = TEMPLATES["offer_handoff"]["en"]
        >>> agent_draft(f"Returns are free within 30 days. [1] {offer}", {"basis": "policy"})
        'Returns are free within 30 days. [1]'
        >>> agent_draft("I'm sorry, I couldn't find an answer to that.", {"basis": "none"})
        ''
    """
    if meta.get("basis") in NO_DRAFT_BASES or meta.get("refused"):
        return ""
    for offer in TEMPLATES["offer_handoff"].values():
        text = text.replace(offer, "")
    return text.strip()

@dataclass
class Loaded:
    """A conversation as a turn starts: who, where it stands, what was said."""

    conversation_id: str
    customer_id: str | None
    verified_id: str | None
    signed_in: bool
    status: str
    intent: str | None
    language: str | None
    summary: str
    state: ConversationState
    history: list[tuple[str, str]]
    customer_text: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SavedReply:
    """What :meth:`ConversationRepository.save_reply` writes besides the message itself."""

    text: str
    citations: list[dict[str, Any]]
    intent: str | None
    confidence: float
    meta: dict[str, Any]
    language: str
    summary: str
    verified_id: str | None
    state: ConversationState
    handoff: bool
    draft: dict[str, Any] | None  # content, payload, sources of the agent draft on a new handoff
    impressions: tuple[str, ...] = ()  # product ids of the cards shown with the reply


class ConversationRepository:
    """All reads and writes of live conversations."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, customer_id: str | None, *, signed_in: bool = False) -> str:
        if signed_in and not customer_id:
            raise ValueError("signed_in needs a customer_id")
        cid = uuid.uuid4().hex
        with self.db.session() as s:
            s.add(
                Conversation(
                    id=cid,
                    customer_id=customer_id,
                    verified_customer_id=customer_id if signed_in else None,
                    status="open",
                    state=ConversationState(signed_in=signed_in).dump(),
                )
            )
        return cid

    def load(self, conversation_id: str, customer_text: str | None, events: Sequence[SessionEvent] = ()) -> Loaded:
        """The conversation as the turn starts; the customer's message is stored with the reply.

        One transaction per turn (at :meth:`save_reply`) keeps a turn to one commit.
        """
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            history = [(m.role, m.text) for m in conv.messages if m.role != "system"]
            state = ConversationState.load(dict(conv.state or {}))
            return Loaded(
                conversation_id=conversation_id,
                customer_id=conv.customer_id,
                verified_id=conv.verified_customer_id,
                signed_in=state.signed_in,
                status=conv.status,
                intent=conv.intent,
                language=conv.language,
                summary=conv.summary or "",
                state=state,
                history=history,
                customer_text=customer_text,
                events=[e.model_dump(mode="json") for e in events],
            )

    def status(self, conversation_id: str) -> str:
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            return conv.status

    def save_reply(self, loaded: Loaded, reply: SavedReply) -> int:
        """Store the assistant's message, the conversation's new state and the product cards shown with
        it (impressions), in one transaction; a new handoff adds a draft."""
        stamp = {VERIFIED_FOR: reply.verified_id} if reply.verified_id else {}
        with self.db.session() as s:
            conv = s.get(Conversation, loaded.conversation_id)
            assert conv is not None
            if loaded.customer_text is not None:
                s.add(
                    Message(
                        conversation_id=loaded.conversation_id,
                        role="customer",
                        text=loaded.customer_text,
                        meta={"session_events": loaded.events, **stamp},
                    )
                )
            msg = Message(
                conversation_id=loaded.conversation_id,
                role="assistant",
                text=reply.text,
                citations=reply.citations,
                intent=reply.intent,
                confidence=reply.confidence,
                meta={**reply.meta, **stamp},
            )
            s.add(msg)
            conv.summary = reply.summary
            conv.language = reply.language
            if reply.intent:
                conv.intent = reply.intent
            conv.verified_customer_id = reply.verified_id
            conv.state = reply.state.dump()
            if reply.handoff and conv.status != "handoff":
                conv.status = "handoff"
                draft = dict(reply.draft or {})
                if draft.get("from_last_answer"):
                    # "I'm connecting you..." is no draft for the agent: offer the last real answer.
                    last = next(
                        (
                            m
                            for m in reversed(conv.messages)
                            if m.role == "assistant" and m is not msg and not (m.meta or {}).get("handoff")
                        ),
                        None,
                    )
                    draft["content"], draft["sources"] = (
                        (agent_draft(last.text, last.meta or {}), list(last.citations or [])) if last else ("", [])
                    )
                else:
                    draft["content"] = agent_draft(str(draft.get("content") or ""), reply.meta or {})
                payload = dict(draft.get("payload") or {})
                payload.setdefault("intent", conv.intent)
                s.add(
                    Draft(
                        conversation_id=loaded.conversation_id,
                        kind="reply",
                        content=str(draft.get("content") or ""),
                        payload=payload,
                        sources=list(draft.get("sources") or []),
                        status="pending",
                    )
                )
            s.flush()
            s.add_all(
                Impression(conversation_id=loaded.conversation_id, message_id=msg.id, product_id=product_id)
                for product_id in reply.impressions
            )
            return int(msg.id)

    def feedback(self, conversation_id: str, message_id: int, rating: int, comment: str = "") -> None:
        if rating not in (-1, 1):
            raise ValueError("rating must be -1 or 1")
        with self.db.session() as s:
            msg = s.get(Message, message_id)
            if msg is None or msg.conversation_id != conversation_id:
                raise ConversationNotFound(f"{conversation_id}/{message_id}")
            s.add(Feedback(conversation_id=conversation_id, message_id=message_id, rating=rating, comment=comment))
        audit.info(
            json.dumps(
                {"event": "feedback", "conversation_id": conversation_id, "message_id": message_id, "rating": rating}
            )
        )

    def history(self, conversation_id: str) -> list[MessageView]:
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            return [
                MessageView(
                    id=m.id,
                    role=m.role,
                    text=m.text,
                    citations=[Citation.model_validate(c) for c in (m.citations or [])],
                    intent=m.intent,
                    confidence=m.confidence,
                    created_at=m.created_at,
                    meta=dict(m.meta or {}),
                )
                for m in conv.messages
            ]

    def info(self, conversation_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            return {
                "id": conv.id,
                "customer_id": conv.customer_id,
                "verified": conv.verified_customer_id is not None,
                "verified_customer_id": conv.verified_customer_id,
                "status": conv.status,
                "intent": conv.intent,
                "language": conv.language,
                "summary": conv.summary,
            }

    def drafts(self, status: str | None = "pending") -> list[DraftView]:
        with self.db.session() as s:
            q = select(Draft).order_by(Draft.id.desc())
            if status is not None:
                q = q.where(Draft.status == status)
            return [
                DraftView(
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
                )
                for d in s.scalars(q).all()
            ]
