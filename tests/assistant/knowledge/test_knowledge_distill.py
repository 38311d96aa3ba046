"""Distillation: past replies lose every case-specific detail and every claim (real Presidio redactor)."""

from __future__ import annotations

import re

from assistant.config import Settings
from assistant.knowledge.distill import Distiller, KnownDetails, bitext_slot, is_claim
from assistant.store.db import Database
from assistant.store.models import Customer, Order

PLANTED = (
    "Hi Maria, thanks for waiting. I've issued a refund of $42.50 for order #W2378156 to your original card. "
    "Refunds reach your card within 5-7 business days."
)


def test_a_planted_name_order_number_and_action_claim_are_gone() -> None:
    out = Distiller().distill(PLANTED)
    assert "Maria" not in out and "W2378156" not in out and "42.50" not in out
    assert not re.search(r"I've issued|refund of", out)
    assert "Refunds reach your card within 5-7 business days." in out
    assert out.startswith("Hi {customer_name}")


def test_store_customers_and_orders_become_placeholders(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Customer(id="C9", name="Ingrid Holmqvist", email="ingrid@example.org", address={"line1": "14 Birch Lane"},
                       source="t", content_hash="h"))
        s.add(Order(id="JP7731", customer_id="C9", status="shipped", tracking_number="9400111899223100001234",
                    source="t", content_hash="h"))
    d = Distiller(KnownDetails.from_db(db))
    out = d.distill("Ingrid Holmqvist asked to ship JP7731 to 14 Birch Lane; the label reads 9400111899223100001234. "
                    "Holmqvist can write to ingrid@example.org.")
    for detail in ("Ingrid", "Holmqvist", "JP7731", "Birch Lane", "9400111899223100001234", "ingrid@example.org"):
        assert detail not in out, out
    assert {"{customer_name}", "{order_number}", "{address}", "{tracking_number}", "{email}"} <= set(
        re.findall(r"\{\w+\}", out)
    ), out
    assert d.remaining_details(out) == []


def test_claims_of_sign_in_actions_and_case_state_are_removed_but_policy_stays() -> None:
    d = Distiller()
    text = (
        "You're signed in, so I can see order #JP1001 with the pillow. "
        "I'm sending the doormat by Expedited today at no charge. "
        "Done, #JP1004 is cancelled. "
        "Order #JP1002 was delivered on March 3, 2026. "
        "Pillows can't be returned once the sealed packaging has been opened. "
        "Orders over $50 ship free."
    )
    out = d.distill(text)
    assert out == "Pillows can't be returned once the sealed packaging has been opened. Orders over $50 ship free."
    assert is_claim("I've issued it to your original card.")
    assert is_claim("我已经为您办理退款。")
    assert not is_claim("We process refunds within 5 business days.")


def test_questions_keep_their_wording_with_ids_as_placeholders() -> None:
    d = Distiller()
    assert d.distill("how can I cancel purchase 113542617735902?", drop_claims=False) == (
        "how can I cancel purchase {order_number}?"
    )
    assert d.distill("Email me at jo@example.com or call (415) 555-0132", drop_claims=False) == (
        "Email me at {email} or call {phone}"
    )


def test_bitext_slots_map_to_placeholders_and_shop_slots_stay() -> None:
    assert bitext_slot("Order Number") == "{order_number}"
    assert bitext_slot("Purchase ID Anonymized") == "{order_number}"
    assert bitext_slot("Tracking Number") == "{tracking_number}"
    assert bitext_slot("Refund Amount") == "{amount}"
    assert bitext_slot("Customer Support Phone Number") is None
    assert bitext_slot("Website Name") is None
    out = Distiller().distill("Find {{Order Number}} on {{Website Name}}.")
    assert out == "Find {order_number} on {{Website Name}}."
