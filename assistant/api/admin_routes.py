"""The admin area's data: analytics over time, collection statistics, users (admin session only).

Analytics are computed from what the app already stores: conversations (intent, status),
agent messages and draft decisions (handoffs and reviews), feedback (thumbs), click events
from the chat (``session_id`` starting ``chat-``) and the product cards shown with each
answer (``messages.meta["ui_recommendations"]``, written by the chat UI).

Example:
    >>> a = analytics(services.db, days=30)  # doctest: +SKIP
    >>> a.totals["conversations"]  # doctest: +SKIP
    42
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.api.auth import AdminUser
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft, Event, Feedback, Message, utcnow

log = logging.getLogger(__name__)

CHAT_SESSION_PREFIX = "chat-"


class Analytics(BaseModel):
    """Per-day series (``days`` is the shared x axis, ISO dates) and overall totals."""

    days: list[str]
    conversations_per_intent: dict[str, list[int]]
    handoff_rate: list[float | None] = Field(description="Share of the day's conversations a person joined.")
    feedback_up: list[int]
    feedback_down: list[int]
    recommendation_impressions: list[int]
    recommendation_clicks: list[int]
    click_through: list[float | None]
    decisions: dict[str, int] = Field(description="Draft decisions: approved / edited / rejected / pending.")
    totals: dict[str, float]


def _day(dt: datetime | None) -> date | None:
    return dt.date() if dt is not None else None


def analytics(db: Database, days: int = 30, now: datetime | None = None) -> Analytics:
    """Conversations per intent, handoff rate, feedback and recommendation click-through, per day."""
    end = (now or utcnow()).date()
    start = end - timedelta(days=days - 1)
    axis = [start + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(axis)}
    since = datetime.combine(start, datetime.min.time())

    per_intent: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    convs_per_day = [0] * days
    human_per_day = [0] * days
    up = [0] * days
    down = [0] * days
    shown = [0] * days
    clicks = [0] * days
    with db.session() as s:
        human_convs = set(
            s.scalars(select(Message.conversation_id).where(Message.role == "agent").distinct()).all()
        )
        for c in s.scalars(select(Conversation).where(Conversation.created_at >= since)).all():
            i = index.get(_day(c.created_at))  # type: ignore[arg-type]
            if i is None:
                continue
            convs_per_day[i] += 1
            per_intent[c.intent or "unknown"][i] += 1
            if c.status == "handoff" or c.id in human_convs:
                human_per_day[i] += 1
        for f in s.scalars(select(Feedback).where(Feedback.created_at >= since)).all():
            i = index.get(_day(f.created_at))  # type: ignore[arg-type]
            if i is not None:
                (up if f.rating > 0 else down)[i] += 1
        for m in s.scalars(
            select(Message).where(Message.role == "assistant", Message.created_at >= since)
        ).all():
            n = len((m.meta or {}).get("ui_recommendations") or [])
            i = index.get(_day(m.created_at))  # type: ignore[arg-type]
            if n and i is not None:
                shown[i] += n
        for e in s.scalars(
            select(Event).where(
                Event.event_type == "click",
                Event.session_id.like(f"{CHAT_SESSION_PREFIX}%"),
                Event.timestamp >= since,
            )
        ).all():
            i = index.get(_day(e.timestamp))  # type: ignore[arg-type]
            if i is not None:
                clicks[i] += 1
        decisions = Counter(s.scalars(select(Draft.status)).all())

    def rate(num: list[int], den: list[int]) -> list[float | None]:
        return [(n / d if d else None) for n, d in zip(num, den, strict=True)]

    total_convs = sum(convs_per_day)
    return Analytics(
        days=[d.isoformat() for d in axis],
        conversations_per_intent=dict(sorted(per_intent.items())),
        handoff_rate=rate(human_per_day, convs_per_day),
        feedback_up=up,
        feedback_down=down,
        recommendation_impressions=shown,
        recommendation_clicks=clicks,
        click_through=rate(clicks, shown),
        decisions={k: int(decisions.get(k, 0)) for k in ("approved", "edited", "rejected", "pending")},
        totals={
            "conversations": float(total_convs),
            "handoff_rate": (sum(human_per_day) / total_convs) if total_convs else 0.0,
            "thumbs_up": float(sum(up)),
            "thumbs_down": float(sum(down)),
            "click_through": (sum(clicks) / sum(shown)) if sum(shown) else 0.0,
        },
    )


def collection_stats(settings: Any) -> dict[str, Any]:
    """Counts per vector collection, SQL table and source (``shopassist stats``)."""
    from ingest.stats import collect_stats

    result: dict[str, Any] = collect_stats(settings)
    return result


# --- JSON routes -----------------------------------------------------------------------------------

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/analytics", response_model=Analytics)
def get_analytics(request: Request, user: AdminUser, days: int = 30) -> Analytics:
    """Per-day analytics for the last ``days`` days (1-365)."""
    return analytics(request.app.state.services.db, days=max(1, min(days, 365)))


@router.get("/stats")
def get_stats(request: Request, user: AdminUser) -> dict[str, Any]:
    return collection_stats(request.app.state.services.settings)


@router.get("/users")
def get_users(request: Request, user: AdminUser) -> list[dict[str, Any]]:
    from assistant.users import list_users

    return [{"username": u.username, "role": u.role} for u in list_users(request.app.state.services.db)]
