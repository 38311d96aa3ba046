"""The typed values the services take and return, defined once for the API, the UI and the CLI.

The conversation's own values (a turn's result, stored messages, drafts, session events and
recommendations) are defined in :mod:`assistant.conversation.types` and re-exported here, so a
caller of the services needs this one module.

Example:
    >>> ConversationDetail(id="c1", status="open", messages=[]).verified
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from assistant.conversation.types import (
    Citation,
    DraftView,
    MessageView,
    Recommendation,
    SessionEvent,
    TurnResult,
)

__all__ = [
    "Analytics",
    "Caller",
    "CheckpointInfo",
    "Citation",
    "ClickResult",
    "Conflict",
    "ConversationDetail",
    "ConversationStarted",
    "Decision",
    "DraftView",
    "Forbidden",
    "Invalid",
    "MessageView",
    "NotFound",
    "ProductDetails",
    "ProfileView",
    "QueueItem",
    "Recommendation",
    "ServiceError",
    "SessionEvent",
    "SessionUser",
    "TooManyRequests",
    "TrainingResult",
    "TurnResult",
]

ROLE_RANK = {"agent": 1, "admin": 2}
Decision = Literal["approve", "edit", "reject"]


# --- errors: the API maps them to 404 / 403 / 409 / 422 / 429, the UI to a sentence ----------------------


class ServiceError(Exception):
    """A use case refused the request; the message is safe to show to the caller."""


class NotFound(ServiceError):
    """No such conversation, draft, product or checkpoint (or the caller may not know it exists)."""


class Forbidden(ServiceError):
    """The caller lacks the token, session or role the use case needs."""


class Conflict(ServiceError):
    """The request cannot be applied in the current state (a draft already decided, a job running)."""


class Invalid(ServiceError, ValueError):
    """The input is malformed or out of bounds (an empty reply, an expired identity token)."""


class TooManyRequests(ServiceError):
    """The caller's client address used up its rate (conversations opened, messages sent): try again in
    ``retry_after`` seconds (the API answers 429 with a Retry-After header)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


# --- who is calling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionUser:
    """A verified, current agent or admin session."""

    username: str
    role: str
    expires: float
    stamp: str = ""  # the account's credential stamp when the session began (a password reset ends it)

    def can(self, role: str) -> bool:
        """Admins can do what agents can; agents cannot do admin work."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Caller:
    """What a request proves: the conversation's secret token, and/or a staff session.

    Example:
        >>> Caller(conversation_token="s3cret").is_staff
        False
    """

    conversation_token: str | None = None
    staff: SessionUser | None = None
    client: str = ""

    @property
    def is_staff(self) -> bool:
        return self.staff is not None and self.staff.can("agent")


# --- chat ------------------------------------------------------------------------------------------


class ConversationStarted(BaseModel):
    """A new conversation and the secret that proves who started it (keep it; it is shown once)."""

    conversation_id: str
    conversation_token: str = Field(
        description="Send it back as the X-Conversation-Token header (browsers get it as an HttpOnly cookie)."
    )
    customer_id: str | None = Field(
        default=None, description="The customer proven by a shop-signed identity token; null for a guest."
    )


class ConversationDetail(BaseModel):
    """A conversation with its transcript; ``drafts`` are filled for agents only."""

    id: str
    status: Literal["open", "handoff", "closed"]
    intent: str | None = None
    language: str | None = None
    customer_id: str | None = None
    verified_customer_id: str | None = None
    summary: str = ""
    messages: list[MessageView]
    drafts: list[DraftView] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        """The customer proved who they are (in the chat, or by a shop-signed identity token)."""
        return self.verified_customer_id is not None


class ProductDetails(BaseModel):
    """A product with a summary of its reviews (what a product card opens)."""

    product_id: str
    name: str
    category: str = ""
    price: float | None = None
    available: bool = True
    description: str = ""
    review_count: int = 0
    review_average: float | None = None
    review_quotes: list[tuple[str, float | None]] = Field(
        default_factory=list, description="(text, rating): the best and the worst review."
    )


class ClickResult(BaseModel):
    """A recorded click: the product opened and the recommendations it leads to."""

    product: ProductDetails
    recommendations: list[Recommendation]


# --- support desk ----------------------------------------------------------------------------------


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


class ProfileView(BaseModel):
    customer_id: str
    top_categories: list[tuple[str, float]]
    history: list[tuple[datetime | None, str, list[tuple[str, float]]]]
    recent_events: list[dict[str, Any]]


# --- analytics -------------------------------------------------------------------------------------


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


# --- training --------------------------------------------------------------------------------------


class CheckpointInfo(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    name: str
    modified: datetime
    size_bytes: int
    active: bool = False


class TrainingResult(BaseModel):
    """A finished training run: where its checkpoint is and its validation metrics."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    checkpoint: Path
    model_name: str
    epochs_run: int
    seconds: float
    customers: int
    products: int
    fingerprint: str
    best_valid: dict[str, float]
    history: list[dict[str, float]] = Field(default_factory=list)
    activated: bool = False
