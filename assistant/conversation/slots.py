"""The values an approved answer's ``{order_number}``-style slots may show: the verified customer's own.

Only a conversation's *verified* customer gets values (their name, email, phone, address and, when
the conversation is about one of their orders, that order's number, tracking number, date and total);
every other slot is worded neutrally by :func:`assistant.knowledge.distill.fill_placeholders`.

Example:
    >>> verified_slot_values(db, "C001", "#JP1053")  # doctest: +SKIP
    {'customer_name': 'Maya', 'email': 'maya.okafor@example.com', 'order_number': '#JP1053', ...}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.store.models import Customer, Order

if TYPE_CHECKING:
    from assistant.store.db import Database

_ADDRESS_SKIP = ("phone", "email", "name")


def address_text(addr: Any) -> str:
    """A stored address as one line ("986 Sunset Drive, Suite 259, Denver, CO, 80279, USA")."""
    if not isinstance(addr, dict):
        return ""
    parts = [str(v).strip() for k, v in addr.items() if v and not any(s in str(k).lower() for s in _ADDRESS_SKIP)]
    return ", ".join(p for p in parts if p)


def _first_name(name: str) -> str:
    name = " ".join(name.split())
    return name.split(" ")[0] if " " in name else name


def verified_slot_values(db: Database, customer_id: str, order_id: str | None = None) -> dict[str, str]:
    """Slot values from ``customer_id``'s stored details (and ``order_id`` when it is theirs)."""
    values: dict[str, str] = {}
    with db.session() as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return values
        addr = customer.address if isinstance(customer.address, dict) else {}
        values["customer_name"] = _first_name(customer.name or "")
        values["email"] = customer.email or ""
        values["phone"] = str(addr.get("phone") or "")
        values["address"] = address_text(addr)
        order = s.get(Order, order_id) if order_id else None
        if order is not None and order.customer_id == customer_id:
            values["order_number"] = order.id
            values["tracking_number"] = order.tracking_number or ""
            values["date"] = order.created_at.date().isoformat() if order.created_at else ""
            values["amount"] = f"{order.total:.2f}" if order.total is not None else ""
            values["address"] = address_text(order.shipping_address) or values["address"]
    return {k: v for k, v in values.items() if v}
