"""Order actions (cancel, address change, return, exchange): what the customer asked for waits as an
``order_action`` draft; an agent approves it (applied to the order, then the customer is told) or
rejects it (the customer is told why). The decision checks the agent role itself, like the desk.

The shop policy's status rules (``settings.orders.action_statuses``) are checked again at the
moment of applying, inside the same transaction as the change, with a conditional UPDATE
(``... WHERE status = <the status just read>``): an order that shipped after the customer asked,
or while the agent was reading, cannot be cancelled any more, and the agent is told why.

Example:
    >>> orders = services.orders  # doctest: +SKIP
    >>> orders.check("cancel", "#JP1040", "C007").allowed  # doctest: +SKIP
    True
    >>> orders.apply("cancel", "#JP1040", "C007").new_status  # doctest: +SKIP
    'cancelled'
    >>> view, sent = orders.decide(user, draft_id, approve=True)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from assistant.config import Settings
from assistant.conversation.orders import OrderDesk
from assistant.services.support_desk import draft_view, post_agent_message, require_role, settle_draft
from assistant.services.types import Conflict, DraftView, Invalid, NotFound, SessionUser
from assistant.store.db import Database
from assistant.store.models import Draft, Order

ACTION_LABELS = {
    "cancel": "cancel",
    "address_change": "change the shipping address of",
    "return": "return",
    "exchange": "exchange items of",
}


def parse_address(text: str) -> dict[str, str]:
    """``"12 Elm St, Portland, OR 97214"`` -> line1, city, state, zip (what is given)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return {}
    out = {"line1": parts[0]}
    if len(parts) > 1:
        out["city"] = parts[1]
    if len(parts) > 2:
        tail = parts[2].split()
        if tail and any(ch.isdigit() for ch in tail[-1]):
            out["zip"] = tail[-1]
            tail = tail[:-1]
        if tail:
            out["state"] = " ".join(tail)
    if len(parts) > 3:
        out["country"] = parts[3]
    return out


@dataclass(frozen=True)
class ActionCheck:
    """Whether the policy allows ``action`` on the order in its current ``status``."""

    action: str
    order_id: str
    status: str
    allowed: bool
    explanation: str


@dataclass(frozen=True)
class AppliedAction:
    action: str
    order_id: str
    old_status: str
    new_status: str
    shipping_address: dict[str, Any]


class OrderService:
    """Checks and applies order actions against the store, by the shop policy's status rules, and
    decides the order actions waiting for an agent."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.desk = OrderDesk(db, settings=settings)

    def allowed_statuses(self, action: str) -> list[str]:
        rules = self.settings.orders.action_statuses
        if action not in rules:
            raise Invalid(f"Unknown order action {action!r}; the policy knows {', '.join(sorted(rules))}.")
        return list(rules[action])

    def _explain(self, action: str, order_id: str, status: str, allowed: bool) -> str:
        label = ACTION_LABELS.get(action, action.replace("_", " "))
        if allowed:
            return f"Order {order_id} is {status}: the policy allows agents to {label} it."
        ok = " or ".join(self.allowed_statuses(action)) or "no"
        return f"Order {order_id} is now {status}; the policy only lets us {label} {ok} orders."

    def check(self, action: str, order_id: str, customer_id: str) -> ActionCheck:
        """The policy's verdict on the order as it is now (the order must belong to ``customer_id``)."""
        facts, missing = self.desk.orders_of(customer_id, (order_id,))
        if missing or not facts:
            raise NotFound(f"Order {order_id} is not on customer {customer_id}'s account.")
        status = facts[0].status
        allowed = status in self.allowed_statuses(action)
        return ActionCheck(action, facts[0].order_id, status, allowed, self._explain(action, order_id, status, allowed))

    def apply(
        self, action: str, order_id: str, customer_id: str, *, new_address: dict[str, Any] | None = None
    ) -> AppliedAction:
        """Apply the action if the policy allows it on the order's status at this moment, else :class:`Conflict`."""
        allowed = self.allowed_statuses(action)
        if action == "address_change" and not new_address:
            raise Invalid("Give the new shipping address to change it.")
        with self.db.session() as s:
            order = s.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(f"Order {order_id} is not on customer {customer_id}'s account.")
            old = order.status
            if old not in allowed:
                raise Conflict(self._explain(action, order_id, old, False))
            values: dict[str, Any] = {}
            new_status = self.settings.orders.action_results.get(action, old)
            if new_status != old:
                values["status"] = new_status
            address = dict(order.shipping_address or {})
            if action == "address_change" and new_address:
                address = {**address, **new_address}
                values["shipping_address"] = address
            if values:
                done = s.execute(
                    update(Order)
                    .where(Order.id == order_id, Order.status == old)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if getattr(done, "rowcount", 0) != 1:
                    s.rollback()
                    raise Conflict(f"Order {order_id} changed while this was being applied; look at it again.")
            return AppliedAction(action, order_id, old, new_status, address)

    # --- the order actions waiting for an agent (drafts of kind ``order_action``) ----------------
    def _action_draft(self, draft_id: int) -> tuple[str, str | None, str, dict[str, Any]]:
        """(status, reviewer, conversation id, payload) of an order-action draft."""
        with self.db.session() as s:
            d = s.get(Draft, draft_id)
            if d is None or d.kind != "order_action":
                raise NotFound("That order action no longer exists.")
            return d.status, d.reviewer, d.conversation_id, dict(d.payload or {})

    def draft_check(self, user: SessionUser, draft_id: int) -> ActionCheck:
        """What the shop policy says about the pending order action right now."""
        require_role(user)
        *_, p = self._action_draft(draft_id)
        return self.check(str(p.get("action")), str(p.get("order_id")), str(p.get("customer_id")))

    def decide(
        self,
        user: SessionUser,
        draft_id: int,
        approve: bool,
        *,
        message: str = "",
        reason: str = "",
        new_address: str = "",
    ) -> tuple[DraftView, str]:
        """Approve (apply to the order, policy re-checked now, then tell the customer) or reject (tell
        the customer why). Returns the decided draft and the text the customer received.

        :class:`Conflict` when the policy no longer allows the action (the draft stays pending, so
        the agent can reject it with that reason) or the draft was decided already."""
        reviewer = require_role(user).username
        status, decided_by, conversation_id, p = self._action_draft(draft_id)
        if status != "pending":
            raise Conflict(f"That order action was already {status} by {decided_by or 'someone'}.")
        action, order_id = str(p.get("action")), str(p.get("order_id"))
        label = action.replace("_", " ")
        if not approve and not reason.strip():
            raise Invalid("Please give the reason, so the customer knows why.")
        applied_text = ""
        if approve:
            address = parse_address(new_address) if new_address.strip() else None
            done = self.apply(action, order_id, str(p.get("customer_id")), new_address=address)
            if action == "address_change":
                a = done.shipping_address
                applied_text = f"Order {order_id} will now ship to {', '.join(str(v) for v in a.values() if v)}."
            elif done.new_status != done.old_status:
                applied_text = f"Order {order_id} is now {done.new_status.replace('_', ' ')}."
            sent = (message.strip() or f"Done: your request to {label} order {order_id} is approved.")
            if applied_text and applied_text not in sent:
                sent = f"{sent}\n\n{applied_text}"
            status = "approved"
            p = {**p, "applied": {"old_status": done.old_status, "new_status": done.new_status}}
        else:
            sent = message.strip() or f"Sorry, we could not {label} order {order_id}: {reason.strip()}"
            if reason.strip() not in sent:
                sent = f"{sent}\n\nReason: {reason.strip()}"
            status = "rejected"
        with self.db.session() as s:
            settle_draft(s, draft_id, "That order action was just decided by someone else.",
                         status=status, reason=reason.strip(), payload={**p, "sent_text": sent}, reviewer=reviewer)
            post_agent_message(s, conversation_id, sent, reviewer, draft_id)
            decided = s.get(Draft, draft_id)
            assert decided is not None
            s.refresh(decided)
            return draft_view(decided), sent
