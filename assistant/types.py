"""Value types shared across the packages: one definition each, imported everywhere else.

``SessionEvent`` is what a client reports the customer did during this session; the conversation
engine, the services and the interest encoder all take it as is.

Example:
    >>> SessionEvent(product_id="JP-001", event_type="cart").event_type
    'cart'
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal["view", "click", "cart", "purchase", "review"]


class SessionEvent(BaseModel):
    """Something the customer did on the shop during this session (what the widget reports).

    ``timestamp`` may be omitted by a client: the receiver takes the time it arrived.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str = Field(min_length=1, max_length=64)
    event_type: EventType = "view"
    timestamp: datetime | None = None
    session_id: str | None = None
