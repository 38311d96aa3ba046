"""Order actions an agent approved (cancel, address change, return, exchange), applied to the order.

The shop policy's status rules (``settings.orders.action_statuses``) are checked again at the
moment of applying, inside the same transaction as the change, with a conditional UPDATE
(``... WHERE status = <the status just read>``): an order that shipped after the customer asked,
or while the agent was reading, cannot be cancelled any more, and the agent is told why.

Example:
    >>> orders = OrderService(settings, db)  # doctest: +SKIP
    >>> orders.check("cancel", "#JP1040", "C007").allowed  # doctest: +SKIP
    True
    >>> orders.apply("cancel", "#JP1040", "C007").new_status  # doctest: +SKIP
    'cancelled'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from assistant.config import Settings
from assistant.conversation.orders import OrderDesk
from assistant.services.types import Conflict, Invalid, NotFound
from assistant.store.db import Database
from assistant.store.models import Order

ACTION_LABELS = {
    "cancel": "cancel",
    "address_change": "change the shipping address of",
    "return": "return",
    "exchange": "exchange items of",
}


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
    """Checks and applies order actions against the store, by the shop policy's status rules."""

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
