"""Order questions: identity verification, the verified customer's own orders, order-action requests.

Order data only ever comes from the verified customer's own rows: every lookup is filtered by
``customer_id == verified_customer_id``, so an order number belonging to someone else reads as
"not found on your account", which reveals nothing about it.

Example:
    >>> desk = OrderDesk(db)  # doctest: +SKIP
    >>> desk.verify("I'm Maya Okafor, zip 97214")  # doctest: +SKIP
    'C001'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assistant.store.db import Database
from assistant.store.models import Customer, Draft, Order, Product

OrderAction = Literal["cancel", "return", "exchange", "address_change"]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ZIP = re.compile(r"(?<![\w#])(\d{5})(?:-\d{4})?(?!\w)|(?<!\w)([A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d)(?!\w)")
ORDER_ID = re.compile(r"#\s?[A-Z]{1,4}\d{3,}|\b[A-Z]{2,4}\d{4,}\b|#\d{4,}", re.IGNORECASE)

_ACTION_CUES: list[tuple[OrderAction, re.Pattern[str]]] = [
    ("cancel", re.compile(r"\bcancel", re.I)),
    ("address_change", re.compile(r"\b(change|update|correct|wrong|new)\b[^.?!]{0,30}\baddress\b", re.I)),
    ("exchange", re.compile(r"\b(exchange|swap|different size|another size|different colou?r)\b", re.I)),
    ("return", re.compile(r"\b(return|send (it|this|them) back)\b", re.I)),
]
# "my order" alone is not a cue: "can I pick up my order in the store?" asks about a policy, not a status.
_STATUS_CUES = re.compile(
    r"\b(where('s| is)|status|track|tracking|shipped|arrive|arriving|delivered|deliver|late|"
    r"hasn't (come|arrived)|not (arrived|received))\b|订单|包裹",
    re.IGNORECASE,
)
_STATUS_INTENTS = ("order_status", "track_order", "delivery_period")
_ACTION_INTENTS: dict[str, OrderAction] = {
    "cancel_order": "cancel",
    "return": "return",
    "exchange": "exchange",
    "change_order": "exchange",
    "change_shipping_address": "address_change",
    "set_up_shipping_address": "address_change",
}


def find_order_ids(text: str) -> list[str]:
    """Order numbers as written by the customer, normalised to ``#XXX`` upper case."""
    out = []
    for m in ORDER_ID.finditer(text):
        raw = m.group(0).replace(" ", "").upper()
        out.append(raw if raw.startswith("#") else "#" + raw)
    return out


@dataclass(frozen=True)
class OrderRequest:
    """What an order-related message asks for."""

    kind: Literal["status", "action"]
    action: OrderAction | None = None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderFacts:
    """One order as shown to its verified owner; ``lines`` are the store facts a reply may state."""

    order_id: str
    status: str
    lines: tuple[str, ...]
    record: dict[str, Any] = field(default_factory=dict)


def detect_order_request(text: str, intent: str | None) -> OrderRequest | None:
    """Decide from the message (cues first) and the classified intent whether it is about an order."""
    ids = tuple(find_order_ids(text))
    mentions_order = bool(ids) or bool(re.search(r"\b(order|purchase|package|parcel|订单)", text, re.I))
    for action, cue in _ACTION_CUES:
        if cue.search(text) and mentions_order:
            return OrderRequest("action", action, ids)
    if intent in _ACTION_INTENTS and ids:
        return OrderRequest("action", _ACTION_INTENTS[intent], ids)
    if ids or (mentions_order and _STATUS_CUES.search(text)) or (intent in _STATUS_INTENTS and mentions_order):
        return OrderRequest("status", None, ids)
    return None


class OrderDesk:
    """Identity checks and order lookups against the relational store."""

    def __init__(self, db: Database, max_orders_listed: int = 3) -> None:
        if max_orders_listed < 1:
            raise ValueError("max_orders_listed must be >= 1")
        self.db = db
        self.max_orders_listed = max_orders_listed

    def verify(self, text: str) -> str | None:
        """The customer id proven by ``text`` (email on file, or full name plus zip), else None."""
        with self.db.session() as s:
            for email in EMAIL.findall(text):
                cust = s.scalar(select(Customer).where(func.lower(Customer.email) == email.lower()))
                if cust is not None:
                    return cust.id
            zips = {(a or b).replace(" ", "").upper() for a, b in ZIP.findall(text)}
            if not zips:
                return None
            low = " ".join(re.sub(r"[^\w\s'-]", " ", text.lower()).split())
            for code in zips:
                candidates = s.scalars(select(Customer).where(func.upper(Customer.zip) == code)).all()
                # Also accept the zip of an order's shipping address, as the policy allows.
                for order in s.scalars(select(Order).where(Order.customer_id.is_not(None))).all():
                    if str((order.shipping_address or {}).get("zip", "")).upper() == code and order.customer:
                        candidates = [*candidates, order.customer]
                for cust in candidates:
                    name = " ".join(cust.name.lower().split())
                    if name and re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", low):
                        return cust.id
        return None

    @staticmethod
    def identity_attempted(text: str) -> bool:
        return bool(EMAIL.search(text) or ZIP.search(text))

    def orders_of(self, customer_id: str, order_ids: tuple[str, ...] = ()) -> tuple[list[OrderFacts], list[str]]:
        """(facts of the requested or latest orders, requested ids not on this customer's account)."""
        with self.db.session() as s:
            q = (
                select(Order)
                .where(Order.customer_id == customer_id)
                .options(selectinload(Order.items))
                .order_by(Order.created_at.desc())
            )
            orders = list(s.scalars(q).all())
            names = {p.id: p.name for p in s.scalars(select(Product)).all()}
        wanted = {o.upper() for o in order_ids}
        if wanted:
            chosen = [o for o in orders if o.id.upper() in wanted]
            missing = sorted(wanted - {o.id.upper() for o in chosen})
        else:
            chosen, missing = orders[: self.max_orders_listed], []
        return [self._facts(o, names) for o in chosen], missing

    @staticmethod
    def _facts(order: Order, names: dict[str, str]) -> OrderFacts:
        items = [f"{it.quantity} × {it.name or names.get(it.product_id, it.product_id)}" for it in order.items]
        lines = [f"Order {order.id}: status **{order.status}**"]
        if order.created_at is not None:
            lines.append(f"placed on {order.created_at:%Y-%m-%d}")
        if items:
            lines.append("items: " + ", ".join(items))
        if order.tracking_number:
            lines.append(f"tracking: {order.tracking_carrier or 'carrier'} {order.tracking_number}")
        record = {
            "order_id": order.id,
            "status": order.status,
            "items": items,
            "tracking_carrier": order.tracking_carrier,
            "tracking_number": order.tracking_number,
        }
        return OrderFacts(order.id, order.status, tuple(lines), record)

    def prepare_action(
        self,
        conversation_id: str,
        customer_id: str,
        action: OrderAction,
        order: OrderFacts,
        request_text: str,
        sources: list[dict[str, Any]],
    ) -> int:
        """Record an order action for an agent to approve (never executed here); returns the draft id."""
        content = f"Customer {customer_id} asks to {action.replace('_', ' ')} order {order.order_id}."
        with self.db.session() as s:
            draft = Draft(
                conversation_id=conversation_id,
                kind="order_action",
                content=content,
                payload={
                    "action": action,
                    "order_id": order.order_id,
                    "customer_id": customer_id,
                    "order_status": order.status,
                    "request": request_text,
                },
                sources=sources,
                status="pending",
            )
            s.add(draft)
            s.flush()
            return int(draft.id)
