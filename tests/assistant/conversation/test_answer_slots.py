"""Approved answers' ``{customer_name}``-style slots: a verified customer's own details, else neutral words."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.config import Settings
from assistant.conversation.slots import verified_slot_values
from assistant.knowledge.repository import approve
from assistant.services import Services
from assistant.store.models import AnswerCandidate, Customer, Order

ANSWER = (
    "Hi {customer_name}, refunds reach your card within 5-7 business days. "
    "We send the confirmation to {email} as soon as the refund is issued."
)
QUESTION = "How long does a refund take to reach my card?"


def _shop(settings: Settings) -> Services:
    svc = Services.build(settings)
    with svc.db.session() as s:
        s.add(Customer(id="C1", name="Maya Okafor", email="maya.okafor@example.com", zip="97214",
                       address={"line1": "2214 SE Larch Ave", "city": "Portland", "zip": "97214"},
                       source="t", content_hash="h"))
        s.add(Customer(id="C2", name="Mei Lin", email="mei.lin@example.com", zip="94610", address={},
                       source="t", content_hash="h"))
        s.add(Order(id="#JP1053", customer_id="C1", status="shipped", tracking_number="9400478245040008838737",
                    created_at=datetime(2026, 11, 2, tzinfo=UTC), total=84.5,
                    shipping_address={"line1": "2214 SE Larch Ave", "zip": "97214"}, source="t", content_hash="h"))
        s.add(Order(id="#JP1001", customer_id="C2", status="delivered", source="t", content_hash="h"))
        cand = AnswerCandidate(key="refund-timing", topic="refund timing", question=QUESTION, answer=ANSWER,
                               examples=["when will my refund show up on my card?"])
        s.add(cand)
        s.flush()
        cid = cand.id
    approve(svc.db, svc.vectors, [cid], "admin")
    return svc


def test_slot_values_are_the_verified_customers_own(settings: Settings) -> None:
    svc = _shop(settings)
    values = verified_slot_values(svc.db, "C1", "#JP1053")
    assert values["customer_name"] == "Maya" and values["email"] == "maya.okafor@example.com"
    assert values["order_number"] == "#JP1053" and values["tracking_number"] == "9400478245040008838737"
    assert values["amount"] == "84.50" and values["date"] == "2026-11-02" and "2214 SE Larch Ave" in values["address"]
    # Another customer's order never fills a slot; an unknown customer has no values.
    assert "order_number" not in verified_slot_values(svc.db, "C1", "#JP1001")
    assert verified_slot_values(svc.db, "nobody") == {}


def test_a_verified_customer_reads_their_own_details_a_guest_neutral_words(settings: Settings) -> None:
    svc = _shop(settings)
    bot = svc.assistant
    verified = bot.send(bot.start_conversation("C1", signed_in=True), QUESTION)
    assert "5-7 business days" in verified.text, verified.text
    assert "Hi Maya" in verified.text and "maya.okafor@example.com" in verified.text, verified.text
    assert "{" not in verified.text

    guest = bot.send(bot.start_conversation(), QUESTION)
    assert "5-7 business days" in guest.text, guest.text
    assert "Maya" not in guest.text and "maya.okafor" not in guest.text and "{" not in guest.text
    assert "your email address" in guest.text, guest.text
