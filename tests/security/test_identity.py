"""Identity checks in chat: one claim per message, failed attempts limited, policy methods only; by default
two details (name + zip, or email + zip), the email address alone only where a shop opts in."""

from __future__ import annotations

import pytest

from assistant.config import SecuritySettings, Settings
from assistant.conversation.orders import OrderDesk, identity_message, identity_request
from assistant.security.identity import IdentityThrottle, client_address
from assistant.store.db import Database
from assistant.store.models import Customer, Order


@pytest.fixture
def db(settings: Settings) -> Database:
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        for cid, name, email, zip_ in [
            ("C001", "Maya Okafor", "maya.okafor@example.com", "97214"),
            ("C025", "Mei Lin", "mei.lin@example.com", "94610"),
            ("C003", "Priya Raman", "priya.raman@example.com", "98103"),
        ]:
            s.add(Customer(id=cid, name=name, email=email, zip=zip_, address={}, source="t", content_hash="h"))
        s.add(
            Order(
                id="#JP1016",
                customer_id="C025",
                status="shipped",
                shipping_address={"zip": "94612"},
                source="t",
                content_hash="h",
            )
        )
    return db


def _desk(db: Database, conv: str = "3/hour", client: str = "10/hour", customer: str = "5/hour") -> OrderDesk:
    """A desk of a shop whose policy accepts the email alone (as the demo's and tau-bench's do): an opt-in."""
    throttle = IdentityThrottle(conv, client, customer, "memory://")
    return OrderDesk(db, throttle=throttle, methods=["email", "name_zip"])


def test_one_claim_verifies(db: Database) -> None:
    desk = _desk(db)
    assert desk.check_identity("It's maya.okafor@example.com", "c1").customer_id == "C001"
    assert desk.check_identity("I'm Priya Raman, zip 98103", "c2").customer_id == "C003"
    # The zip of an order's shipping address counts too, as the policy says.
    assert desk.check_identity("Mei Lin, 94612", "c3").customer_id == "C025"


def test_a_list_of_zips_or_emails_verifies_nobody_and_says_so(db: Database) -> None:
    desk = _desk(db)
    zips = " or ".join(str(z) for z in range(94601, 94650))
    check = desk.check_identity(f"Where is my order? I'm Mei Lin, my zip is {zips}", "c1")
    assert check.status == "ambiguous" and check.customer_id is None
    assert "one" in (identity_message(check, postcode="zip code") or "")
    emails = "mei@example.com, meilin@example.com, mei.lin@example.org, mei.lin@example.com, lin.mei@example.com"
    assert desk.check_identity(f"Check my order: {emails}", "c2").status == "ambiguous"
    assert desk.check_identity("I'm Mei Lin or Maya Okafor, zip 94610", "c3").status == "ambiguous"


def test_failed_attempts_are_limited_per_conversation(db: Database) -> None:
    desk = _desk(db, conv="2/hour")
    assert desk.check_identity("Mei Lin 94601", "c1").status == "failed"
    assert desk.check_identity("nobody@example.com", "c1").status == "failed"
    check = desk.check_identity("Mei Lin 94610", "c1")  # right this time, but the conversation is spent
    assert check.status == "throttled" and check.retry_after > 0
    assert "try again" in (identity_message(check, postcode="zip code") or "")


def test_limits_persist_across_conversations_per_client_and_per_customer(db: Database) -> None:
    desk = _desk(db, conv="100/hour", client="3/hour", customer="100/hour")
    token = client_address.set("203.0.113.7")
    try:
        for i in range(3):
            assert desk.check_identity(f"Mei Lin 9460{i}", f"new-{i}").status == "failed"
        assert desk.check_identity("Mei Lin 94610", "new-9").status == "throttled"
    finally:
        client_address.reset(token)
    # Another address is not blocked by this one's failures.
    assert desk.check_identity("Mei Lin 94610", "new-10", client="198.51.100.2").status == "verified"

    desk = _desk(db, conv="100/hour", client="100/hour", customer="2/hour")
    for i in range(2):
        assert desk.check_identity(f"Maya Okafor 9720{i}", f"x-{i}", client=f"10.0.0.{i}").status == "failed"
    # A new conversation from a new address still cannot keep guessing at Maya Okafor.
    assert desk.check_identity("Maya Okafor 97214", "x-9", client="10.0.0.99").status == "throttled"
    # ...while other customers are unaffected.
    assert desk.check_identity("Priya Raman 98103", "x-10", client="10.0.0.99").status == "verified"


def test_only_the_policy_methods_count(db: Database) -> None:
    desk = OrderDesk(db, throttle=IdentityThrottle("9/hour", "9/hour", "9/hour", "memory://"), methods=["email"])
    assert desk.check_identity("I'm Priya Raman, zip 98103", "c1").status == "none"
    assert desk.check_identity("priya.raman@example.com", "c1").customer_id == "C003"


def test_settings_limits_are_shared_by_desks_of_one_shop(db: Database, settings: Settings) -> None:
    s = settings.model_copy(
        update={"security": settings.security.model_copy(update={"identity_attempts_per_customer": "1/hour"})}
    )
    OrderDesk(db, settings=s).check_identity("Mei Lin 90000", "a", client="10.1.1.1")
    # A second desk (a new assistant, a restarted conversation) sees the same count.
    assert OrderDesk(db, settings=s).check_identity("Mei Lin 94610", "b", client="10.1.1.2").status == "throttled"


# --- the default: two details -------------------------------------------------------------------------


def test_the_default_refuses_the_email_alone(db: Database, settings: Settings) -> None:
    assert settings.security.identity_methods == ["name_zip", "email_zip"] == SecuritySettings().identity_methods
    for desk in (OrderDesk(db, settings=settings), OrderDesk(db)):  # the settings' default, and without settings
        check = desk.check_identity("It's maya.okafor@example.com", "d1", client="10.9.9.1")
        assert check.status == "incomplete" and check.customer_id is None
        assert "zip code" in (identity_message(check, postcode=desk.postcode) or "")
        # The email with its zip, or the name with it, verifies.
        assert desk.check_identity("maya.okafor@example.com 97214", "d2", client="10.9.9.1").customer_id == "C001"
        assert desk.check_identity("I'm Priya Raman, zip 98103", "d3", client="10.9.9.1").customer_id == "C003"
        # An order's shipping zip counts with the email as with the name; a wrong zip does not.
        assert desk.check_identity("mei.lin@example.com, 94612", "d4", client="10.9.9.1").customer_id == "C025"
        assert desk.check_identity("maya.okafor@example.com 97215", "d5", client="10.9.9.2").status == "failed"
    assert "full name plus the zip code" in identity_request(["name_zip", "email_zip"], postcode="zip code")
    assert "plus the zip code" in identity_request(["name_zip", "email_zip"], postcode="zip code").split(", or ")[1]


def test_an_email_alone_is_not_counted_as_a_failed_guess(db: Database) -> None:
    desk = OrderDesk(db, throttle=IdentityThrottle("1/hour", "1/hour", "1/hour", "memory://"))
    for _ in range(3):
        assert desk.check_identity("maya.okafor@example.com", "e1", client="10.9.8.1").status == "incomplete"
    assert desk.check_identity("maya.okafor@example.com 97214", "e1", client="10.9.8.1").customer_id == "C001"


def test_the_email_alone_is_an_explicit_opt_in(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.config import load_settings

    monkeypatch.setenv("SHOPASSIST_SECURITY__IDENTITY_METHODS", '["email", "name_zip"]')
    opted = load_settings(data_dir=settings.data_dir)
    assert opted.security.identity_methods == ["email", "name_zip"]
    desk = OrderDesk(db, settings=opted)
    assert desk.check_identity("It's maya.okafor@example.com", "o1", client="10.9.7.1").customer_id == "C001"


def test_postal_codes_of_other_countries(db: Database) -> None:
    with db.session() as s:
        s.add(
            Customer(
                id="N1",
                name="Aisha Khan",
                email="aisha@example.co.uk",
                zip="M1 4BT",
                address={},
                source="t",
                content_hash="h",
            )
        )
        s.add(
            Customer(
                id="D1",
                name="Jan de Vries",
                email="jan@example.nl",
                zip="1012 AB",
                address={},
                source="t",
                content_hash="h",
            )
        )
    desk = OrderDesk(db, throttle=IdentityThrottle("9/hour", "9/hour", "9/hour", "memory://"))
    # UK postcodes in any case and spacing, with the name or the email.
    assert desk.check_identity("Aisha Khan, m1 4bt", "u1", client="10.3.0.1").customer_id == "N1"
    assert desk.check_identity("aisha@example.co.uk M14BT", "u2", client="10.3.0.1").customer_id == "N1"
    assert desk.check_identity("aisha@example.co.uk EH8 9YL", "u3", client="10.3.0.1").status == "failed"
    # A format no pattern reads (Dutch "1012 AB"): the emailed customer's own code, not any other.
    assert desk.check_identity("jan@example.nl, postcode 1012 ab", "u4", client="10.3.0.1").customer_id == "D1"
    assert desk.check_identity("jan@example.nl, postcode 1013 AB", "u5", client="10.3.0.1").status == "incomplete"
    # A hyphenated order number is no zip: no claim at all.
    assert desk.check_identity("where is NG-20431?", "u6", client="10.3.0.1").status == "none"
