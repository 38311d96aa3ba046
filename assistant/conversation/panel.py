"""The recommendation panel: the same state as the answer, ranked by the fused interest model.

With a shopping need, the panel is filtered by the need's hard constraints (price range, category)
and ranked with the need's text as the chat request (u = W·[x; y] + b over behavior and text). On
service turns (returns, orders, complaints) the message is not read as shopping interest: the
panel is ranked by behavior alone. Reasons are built from the state and the history, never by
quoting the message: "Fits your request: warm jacket under $150 · you bought the Basalt Boot".

Example:
    >>> behavior_part('Because you bought Basalt Boot and asked about "boots"')
    'you bought Basalt Boot'
    >>> behavior_part('Because you asked about "returns"') is None
    True
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from assistant.conversation.state import Need
from assistant.conversation.types import Recommendation, SessionEvent

if TYPE_CHECKING:
    from assistant.interest.online import InterestService

log = logging.getLogger(__name__)

_BEHAVIOR = re.compile(r"^Because (you .+?)(?: and asked about .*)?$")
_REASON_TEXT = {
    "fits": {"en": "Fits your request: {need}", "zh": "符合您的需求：{need}"},
    "popular": {"en": "Popular with other customers", "zh": "其他顾客常买"},
    "similar": {"en": "Similar to what you've looked at", "zh": "与您浏览过的商品相似"},
    "related": {"en": "Related to what you asked about", "zh": "与您询问的内容相关"},
}


def fits_need(need: Need, product_id: str, category: str | None, listed: Sequence[str] = ()) -> bool:
    """Whether a panel product is of the kind the need asks for, so that "Fits your request" is true of it: one of
    the reply itself put forward (``listed``), else one of the need's typed products when it has any (a doormat is
    no blanket), else of the need's other names of the kind or its category; a need of neither ("something for my
    dog" answered with "nothing for dogs") fits only what the reply listed.

    Example:
        >>> blanket = Need(product_type="blanket", type_products=["P1"], category="Bedding")
        >>> fits_need(blanket, "P1", "Bedding"), fits_need(blanket, "P9", "Home")
        (True, False)
        >>> fits_need(Need(category="Bedding"), "P2", "Bedding"), fits_need(Need(audience="dog"), "P3", "Home")
        (True, False)
        >>> fits_need(Need(attributes=["warm"]), "P3", "Home", listed=["P3"])
        True
    """
    if product_id in listed:
        return True
    if need.type_products:
        return product_id in need.type_products
    if product_id in need.kind_products:
        return True
    # (a kind the catalog names otherwise, "a warm jacket": its category's other warm layers are listed for it)
    return bool(need.category) and category == need.category


def behavior_part(reason: str) -> str | None:
    """The history half of an interest-model reason ("you bought X"), without any chat quote."""
    m = _BEHAVIOR.match(reason.strip())
    if not m:
        return None
    part = m.group(1).strip()
    return None if part.startswith("you asked about") or '"' in part else part


def _text(key: str, language: str, **kw: str) -> str:
    table = _REASON_TEXT[key]
    return table.get(language, table["en"]).format(**kw)


class Panel:
    """Builds the panel of one turn from the interest service and the conversation state."""

    def __init__(self, interest: InterestService | None, k: int, currency: str) -> None:
        self.interest = interest
        self.k = k
        self.currency = currency

    def recommend(
        self,
        conversation_id: str,
        customer_id: str | None,
        need: Need | None,
        events: Sequence[SessionEvent],
        language: str,
        shopping: bool,
        listed: Sequence[str] = (),
    ) -> list[Recommendation]:
        """The panel of one turn; ``listed``: the products the reply put forward (a need naming no kind or
        category fits only those)."""
        if self.interest is None or self.k == 0:
            return []
        from assistant.interest.online import RecFilters

        now = datetime.now(UTC)
        live: list[SessionEvent] = []
        try:
            for e in events:
                if customer_id is not None:
                    # A known customer's events are stored, so later sessions remember them too.
                    self.interest.record_event(customer_id, e.product_id, e.event_type, e.session_id or conversation_id)
                else:
                    live.append(e if e.timestamp else e.model_copy(update={"timestamp": now}))
            filters = None
            chat = ""
            if shopping and need is not None:
                filters = RecFilters(category=need.category, min_price=need.price_min, max_price=need.price_max)
                chat = need.query
            recs = self.interest.recommend(customer_id, chat_text=chat, session_events=live, k=self.k, filters=filters)
            if not recs and filters is not None and filters.category:
                filters = RecFilters(
                    min_price=need.price_min if need else None, max_price=need.price_max if need else None
                )
                recs = self.interest.recommend(
                    customer_id, chat_text=chat, session_events=live, k=self.k, filters=filters
                )
        except Exception as exc:  # recommendations are an extra: never lose the reply over them
            log.error("recommendations failed for %s: %s", conversation_id, exc)
            return []
        out = []
        fits = (
            _text("fits", language, need=need.describe(language, currency=self.currency))
            if (shopping and need is not None)
            else ""
        )
        for r in recs:
            contrib: dict[str, float] = {}
            for label, weight in list(r.contributions or []):
                if str(label).startswith('"'):
                    continue  # a chat phrase: the customer's words stay out of the panel
                contrib[str(label)] = contrib.get(str(label), 0.0) + float(weight)
            # ("Fits your request: warm blanket" only under a blanket, not under the doormat ranked beside it)
            fitting = fits and need is not None and fits_need(need, str(r.product_id), r.category, listed)
            bits = [fits] if fitting else []
            behavior = behavior_part(r.reason)
            if behavior:
                bits.append(behavior)
            if not bits and r.reason.startswith("Popular"):
                bits.append(_text("popular", language))
            elif not bits and fits:
                bits.append(_text("related", language))  # ranked by the request's text, not of its kind
            elif not bits:
                bits.append(_text("similar", language))
            out.append(
                Recommendation(
                    product_id=str(r.product_id),
                    name=r.name,
                    category=r.category,
                    price=r.price,
                    score=float(r.score),
                    reason=" · ".join(bits),
                    contributions=contrib,
                )
            )
        return out
