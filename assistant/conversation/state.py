"""The typed conversation state, stored as JSON in ``Conversation.state`` and updated every turn.

It holds what the customer wants (the shopping need), what the assistant showed (products, the
product in focus), the pending identity or order step, the service topic a follow-up continues,
and the customer's language. Both the answer and the recommendation panel read it.

Example:
    >>> st = ConversationState.load({"need": {"product_type": "jacket", "price_max": 150}})
    >>> st.need.describe("en", currency="USD")
    'jacket under $150'
    >>> ConversationState.load({"bogus": 1}).need is None  # unknown or broken state starts afresh
    True
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.conversation.glossary import gloss, in_chinese
from assistant.conversation.templates import joined, plural
from assistant.money import amount

log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Need(_Model):
    """The customer's current shopping need; words come from the customer, matched to the catalog."""

    product_type: str | None = None  # the head noun as said ("jacket", "帽子")
    type_products: list[str] = Field(default_factory=list)  # products whose name carries the type
    # Products whose name carries another name of the type ("parka" for "jacket"): listed first.
    kind_products: list[str] = Field(default_factory=list)
    category: str | None = None  # a catalog category, when the type names one or it was inferred
    category_inferred: bool = False  # inferred from the request's meaning, not named: a soft limit
    attributes: list[str] = Field(default_factory=list)  # catalog words ("warm", "waterproof")
    alternatives: list[str] = Field(default_factory=list)  # other types asked for ("a tent or a sleeping bag")
    # What the weather named calls for ("cold nights": warm): products must state it of themselves.
    conditions: list[str] = Field(default_factory=list)
    uses: list[str] = Field(default_factory=list)  # what it is for ("hiking")
    # Whom (or what) it is for, as a follow-up said it ("what about for kids?"): products must mention it.
    audience: str = ""
    price_min: float | None = None
    price_max: float | None = None
    # The limits are "cheaper"/"more expensive" than a product shown, not a budget said: they stay with its kind.
    price_relative: bool = False
    query: str = ""  # the need as one search text (type, attributes, uses), not the raw message
    language: str = "en"

    def describe(self, language: str, *, currency: str, many: bool = False) -> str:
        """A short description built from the parsed need, not the message: "warm jacket under $150";
        ``many``: the kind in the plural, as a list's heading says it ("Here's what we have for warm jackets");
        ``currency``: the shop's (``conversation.currency``), how a budget is written.

        Example:
            >>> jacket = Need(product_type="jacket", attributes=["warm"], price_max=150)
            >>> jacket.describe("en", currency="USD", many=True)
            'warm jackets under $150'
            >>> Need(product_type="kettle", price_max=50).describe("en", currency="EUR")
            'kettle under €50'
            >>> Need(product_type="sleeping bag", alternatives=["tent"]).describe("en", currency="USD", many=True)
            'tents or sleeping bags'
        """
        # (an attribute a Chinese request implied in English, "waterproof" for rain, is said in Chinese: 防水;
        # English words the customer wrote, "rechargeable headlamp", stay theirs)
        chinese = language == "zh" and not (self.product_type is not None and self.product_type.isascii())
        # (an English word the Chinese kind already says, "green" of 绿茶, is not said twice: not "green绿茶")
        said = set(gloss(self.product_type)) if chinese and self.product_type else set()
        attributes = [in_chinese(a) for a in self.attributes if a not in said] if chinese else self.attributes
        kind = self.product_type
        if kind and many and language != "zh":
            kind = plural(kind, language)
        words = [*attributes, kind or ("商品" if language == "zh" else "products")]
        head = joined((w for w in words if w), language)
        if self.alternatives:  # "tent or sleeping bag"; a list's heading: "tents or sleeping bags"
            others = self.alternatives
            if many and language != "zh":
                others = [plural(a, language) for a in others]
            head = ("或" if language == "zh" else " or ").join([*others, head])
        if self.audience:
            head = f"适合{self.audience}的{head}" if language == "zh" else f"{head} for {self.audience}"
        if self.price_min is not None and self.price_max is not None:
            low, high = amount(self.price_min, language, currency), amount(self.price_max, language, currency)
            head += f"，{self.price_min:g}-{high}" if language == "zh" else f" between {low} and {high}"
        elif self.price_max is not None:
            high = amount(self.price_max, language, currency)
            head += f"，不超过{high}" if language == "zh" else f" under {high}"
        elif self.price_min is not None:
            low = amount(self.price_min, language, currency)
            head += f"，{low}以上" if language == "zh" else f" over {low}"
        return head


class PendingOrder(_Model):
    """An order question waiting for the customer to verify who they are."""

    kind: Literal["status", "action", "profile"] = "status"
    action: str | None = None
    order_ids: list[str] = Field(default_factory=list)
    # The customer name of a name-plus-zip claim that failed, for a reply that corrects only the zip.
    claim: str = ""
    request: str = ""  # the customer's words that asked for the action (an offered action's)


class ConversationState(_Model):
    """Everything a later turn needs to know about the earlier ones."""

    need: Need | None = None
    shown: list[str] = Field(default_factory=list)  # products the last shopping reply listed, in order
    focus: str | None = None  # the product the conversation is about now
    # Products of the kinds the customer said they already have ("I already have a tent"): never listed again.
    owned: list[str] = Field(default_factory=list)
    # The last product reply answered a question about the product in focus alone ("are they
    # waterproof?" after a list): "what sizes?" next is about it, not about the list.
    focus_answered: bool = False
    # The variant options the last answer about the product in focus was limited to ("size 10,
    # waterproof"), so "price?" next is that variant's price.
    variant_choice: dict[str, str] = Field(default_factory=dict)
    pending: PendingOrder | None = None
    pending_action: str | None = None
    # The order action the last reply offered to pass on ("an agent can still change the address…
    # Would you like me to pass this on?"): "yes" passes it on as a request for an agent to review.
    offered_action: PendingOrder | None = None
    # Messages the offered action has been kept through, each a question answered with a reminder of it
    # (at most ``OFFER_KEPT_TURNS``); anything else drops it. Only "yes" passes it on.
    offered_kept: int = 0
    last_order_id: str | None = None
    # The order action the conversation last asked for, passed on or offered ("cancel"): "when will I get my
    # money back?" next asks about the refund of that case (a cancelled order's, not a return's).
    acted: str | None = None
    # The order action the last reply answered about (offered, passed on or refused: "address_change"): "and
    # #LK5002?" next asks the same for that order. Kept for the next message only.
    asked_action: str | None = None
    shown_orders: list[str] = Field(default_factory=list)  # orders the last order reply listed, in order
    # The one order the conversation is about now (the last order reply showed it alone): "it", "that
    # order" next mean it, even while a list of several is still open for "the second one".
    order_focus: str | None = None
    about_profile: bool = False  # the last reply showed the customer's details on file ("update it to …")
    language: str = "en"  # the last confidently detected language
    topic: str = ""  # the last service question, for elliptical follow-ups ("and to Canada?")
    low_streak: int = 0
    declines: int = 0
    handoff_offered: bool = False
    signed_in: bool = False  # the shop vouched for the customer (its login, a signed identity token)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> ConversationState:
        """Parse the stored JSON; a state written by an older version starts afresh (logged)."""
        try:
            return cls.model_validate(raw or {})
        except ValidationError as exc:
            log.warning("conversation state unreadable, starting afresh: %s", exc.errors()[:1])
            return cls()

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
