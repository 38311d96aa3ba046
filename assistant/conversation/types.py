"""The typed values the conversation API takes and returns (pydantic, frozen).

Example:
    >>> Citation(n=1, collection="policies", doc_id="p1", title="Returns", snippet="30 days", source="demo")
    Citation(n=1, collection='policies', doc_id='p1', title='Returns', snippet='30 days', source='demo')
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import EventType, SessionEvent

__all__ = [
    "Citation",
    "DraftView",
    "EventType",
    "MessageView",
    "ProductRef",
    "Recommendation",
    "SessionEvent",
    "TurnResult",
]



class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    """A passage (or store record) a reply used; ``n`` matches the ``[n]`` marker in the text."""

    n: int = Field(ge=1)
    collection: str
    doc_id: str
    title: str = ""
    snippet: str = ""
    source: str = ""


class Recommendation(_Frozen):
    """A product suggestion with the reason it was suggested."""

    product_id: str
    name: str = ""
    category: str = ""
    price: float | None = None
    score: float = 0.0
    reason: str = ""
    contributions: dict[str, float] = Field(default_factory=dict)


class ProductRef(_Frozen):
    """A product the reply itself puts forward (listed, or the product the answer is about)."""

    product_id: str
    name: str = ""
    price: float | None = None
    category: str = ""


class TurnResult(_Frozen):
    """The assistant's answer to one customer message.

    ``products`` are the products the reply text puts forward (not the side panel, which is
    ``recommendations``); ``asks_identity`` and ``handed_off`` are the evaluator-facing names of
    ``needs_identity`` and ``handoff`` (both kept for older clients); ``language`` is the reply's.
    """

    message_id: int
    conversation_id: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    intent: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    language: str = "en"
    handoff: bool = False
    needs_identity: bool = False
    recommendations: list[Recommendation] = Field(default_factory=list)
    refused: bool = False
    products: list[ProductRef] = Field(default_factory=list)
    asks_identity: bool = False
    handed_off: bool = False


class MessageView(_Frozen):
    """One stored message of a conversation."""

    id: int
    role: Literal["customer", "assistant", "agent", "system"]
    text: str
    citations: list[Citation] = Field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    created_at: datetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class DraftView(_Frozen):
    """A suggestion waiting for (or decided by) an agent: a reply, a recommendation or an order action."""

    id: int
    conversation_id: str
    kind: Literal["reply", "recommendation", "order_action"]
    content: str
    payload: dict[str, Any] = Field(default_factory=dict)
    sources: list[Any] = Field(default_factory=list)
    status: Literal["pending", "approved", "edited", "rejected"] = "pending"
    reviewer: str | None = None
    reason: str = ""
    created_at: datetime | None = None
    decided_at: datetime | None = None
