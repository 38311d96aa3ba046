"""The typed state of one turn, shared by the stages, and small helpers they share.

Example:
    >>> list(deltas("Hello there"))
    ['Hello ', 'there']
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from assistant.conversation.catalog import ProductFacts
from assistant.conversation.intent import IntentPrediction
from assistant.conversation.repository import Loaded
from assistant.conversation.state import ConversationState
from assistant.conversation.types import ProductRef, SessionEvent
from assistant.conversation.understand import NeedPhrase
from assistant.retrieval.hybrid import Passage


@dataclass
class Turn:
    """Working state of one turn (mutable while the stages run)."""

    loaded: Loaded
    text: str
    language: str
    events: tuple[SessionEvent, ...]
    verified_id: str | None
    intent: IntentPrediction = field(default_factory=lambda: IntentPrediction(None, 0.0))
    needs_identity: bool = False
    refused: bool = False
    shopping: bool = False  # the panel reads the need; else behavior only
    handoff_reason: str | None = None
    handoff_announced: bool = False
    offer_handoff: bool = False
    confidence: float = 0.0
    guard: dict[str, Any] = field(default_factory=dict)
    products: list[ProductFacts] = field(default_factory=list)
    cite_products: list[ProductFacts] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    order_first: bool = False
    ask_first: bool = False  # an order action carried over from a question: offered, never passed on unasked
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    # "back to the jackets" after a detour, to the kind the need was for: its budget and what it said of it hold
    returning_to_need: bool = False
    # The message and what it asks "instead" of the last request (``ShoppingStages._instead``), read once
    instead: tuple[str, tuple[NeedPhrase | None, str] | None] | None = None

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time spent in the block to ``timings[stage]`` (ms)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + (time.perf_counter() - start) * 1000

    @property
    def state(self) -> ConversationState:
        """The conversation's state, updated in place by the stages and saved at the end."""
        return self.loaded.state

    @property
    def conversation_id(self) -> str:
        return self.loaded.conversation_id

    @property
    def customer(self) -> str | None:
        return self.verified_id or self.loaded.customer_id


def deltas(text: str) -> Iterator[str]:
    for m in re.finditer(r"\S+\s*|\s+", text):
        yield m.group(0)


def passage_title(p: Passage) -> str:
    m = p.metadata
    for key in ("title", "name"):
        if m.get(key):
            return str(m[key])
    if p.collection == "reviews":
        return "Customer Q&A" if m.get("kind") == "qa" else "Customer review"
    return p.collection


def passage_source(p: Passage) -> dict[str, Any]:
    return {
        "collection": p.collection,
        "doc_id": p.id,
        "source": str(p.metadata.get("source", "")),
        "title": passage_title(p),
    }


def product_ref(p: ProductFacts) -> ProductRef:
    return ProductRef(product_id=p.product_id, name=p.name, price=p.price, category=p.category)


def jsonable(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return str(obj)


class Unsupported(Exception):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)
