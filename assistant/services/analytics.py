"""The admin's view over time: conversations per intent, handoff rate, feedback, recommendation
click-through and draft decisions, computed from what the app already stores.

Impressions are the product cards stored by :class:`~assistant.services.chat.ChatService` for
every client (plus ``messages.meta["ui_recommendations"]`` of older databases); clicks are ``click``
events of chat sessions (``session_id`` starting ``chat-``).

Example:
    >>> a = services.analytics.summary(admin, days=30)  # doctest: +SKIP
    >>> a.totals["conversations"]  # doctest: +SKIP
    42.0
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select

from assistant.config import Settings
from assistant.services.chat import CHAT_SESSION_PREFIX
from assistant.services.support_desk import require_role
from assistant.services.types import Analytics, SessionUser
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft, Event, Feedback, Impression, Message, utcnow

MAX_DAYS = 365


def _day(dt: datetime | None) -> date | None:
    return dt.date() if dt is not None else None


class AnalyticsService:
    """Per-day analytics for admins."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def summary(self, user: SessionUser, days: int = 30, now: datetime | None = None) -> Analytics:
        """The last ``days`` days (clamped to 1-365), one value per day and totals."""
        require_role(user, "admin")
        days = max(1, min(int(days), MAX_DAYS))
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

        def slot(dt: datetime | None) -> int | None:
            d = _day(dt)
            return index.get(d) if d is not None else None

        with self.db.session() as s:
            human_convs = set(
                s.scalars(select(Message.conversation_id).where(Message.role == "agent").distinct()).all()
            )
            for c in s.scalars(select(Conversation).where(Conversation.created_at >= since)).all():
                i = slot(c.created_at)
                if i is None:
                    continue
                convs_per_day[i] += 1
                per_intent[c.intent or "unknown"][i] += 1
                if c.status == "handoff" or c.id in human_convs:
                    human_per_day[i] += 1
            for f in s.scalars(select(Feedback).where(Feedback.created_at >= since)).all():
                i = slot(f.created_at)
                if i is not None:
                    (up if f.rating > 0 else down)[i] += 1
            for t in s.scalars(select(Impression.created_at).where(Impression.created_at >= since)).all():
                i = slot(t)
                if i is not None:
                    shown[i] += 1
            for m in s.scalars(select(Message).where(Message.role == "assistant", Message.created_at >= since)).all():
                n = len((m.meta or {}).get("ui_recommendations") or [])  # written by older versions of the page
                i = slot(m.created_at)
                if n and i is not None:
                    shown[i] += n
            for e in s.scalars(
                select(Event).where(
                    Event.event_type == "click",
                    Event.session_id.like(f"{CHAT_SESSION_PREFIX}%"),
                    Event.timestamp >= since,
                )
            ).all():
                i = slot(e.timestamp)
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
