"""The foreign-PII output guard on a real SQLite store (no models needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

from assistant.config import Settings
from assistant.security.links import LinkPolicy
from assistant.security.pii import ForeignPIIGuard
from assistant.store.db import Database
from assistant.store.models import Customer, IngestionRun, Order, Product


def _customer(cid: str, name: str, email: str, zip_: str, line1: str, phone: str | None = None) -> Customer:
    addr = {"line1": line1, "city": "Oakland", "zip": zip_}
    if phone:
        addr["phone"] = phone
    return Customer(id=cid, name=name, email=email, zip=zip_, address=addr, source="t", content_hash="h")


@pytest.fixture
def store(settings: Settings) -> Database:
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Product(id="P1", name="Alder Rain Shell", category="Outdoor Apparel", source="t", content_hash="h"))
        s.add(_customer("C001", "Maya Okafor", "maya.okafor@example.com", "97214", "2214 SE Larch Ave"))
        s.add(_customer("C025", "Mei Lin", "mei.lin@example.com", "94610", "4127 Lakeshore Crest", "(510) 555-0199"))
        s.add(_customer("C011", "Grace Whitfield", "grace.w@example.com", "30307", "12 Ponce Ct"))
        s.add(
            Order(
                id="#JP1001",
                customer_id="C025",
                status="delivered",
                tracking_carrier="UPS",
                tracking_number="1ZABBVAN0323201098",
                shipping_address={"line1": "4127 Lakeshore Crest", "zip": "94610"},
                source="t",
                content_hash="h",
            )
        )
        s.add(
            Order(
                id="#JP1053",
                customer_id="C001",
                status="shipped",
                tracking_number="9400478245040008838737",
                shipping_address={"line1": "2214 SE Larch Ave", "zip": "97214"},
                source="t",
                content_hash="h",
            )
        )
    return db


@pytest.fixture
def guard(store: Database) -> ForeignPIIGuard:
    return ForeignPIIGuard(store, links=LinkPolicy(["juniperandpine.com"]), public_contacts=["help@juniperandpine.com"])


def test_foreign_order_tracking_email_and_name_are_masked_for_a_guest(guard: ForeignPIIGuard) -> None:
    text = (
        "I'm so sorry, Mei. Order #JP1001 for Mei Lin shipped with UPS 1ZABBVAN0323201098 to "
        "4127 Lakeshore Crest, Oakland 94610; we emailed mei.lin@example.com and called (510) 555-0199."
    )
    out = guard.scrub(text, None)
    for secret in ("JP1001", "Mei", "1ZABBVAN0323201098", "4127 Lakeshore", "94610", "mei.lin@", "555-0199"):
        assert secret not in out.text, (secret, out.text)
    assert {"order", "name", "tracking", "address", "zip", "email", "phone"} <= set(out.removed)
    assert "shipped with UPS" in out.text


def test_own_details_are_kept_and_others_masked(guard: ForeignPIIGuard) -> None:
    text = "Order #JP1053 (tracking 9400478245040008838737) goes to 2214 SE Larch Ave, 97214. Not #JP1001."
    out = guard.scrub(text, "C001")
    assert "#JP1053" in out.text and "9400478245040008838737" in out.text and "2214 SE Larch Ave" in out.text
    assert "97214" in out.text
    assert "JP1001" not in out.text
    assert out.removed == ["order"]
    # The same text to the other customer: C001's details go, C025's own order stays.
    other = guard.scrub(text, "C025")
    assert "JP1053" not in other.text and "#JP1001" in other.text


def test_signed_in_and_verified_claims_are_dropped_when_untrue(guard: ForeignPIIGuard) -> None:
    past = "No problem. You're signed in, so you're verified. Our return window is 30 days."
    guest = guard.scrub(past, None)
    assert "signed in" not in guest.text and "verified" not in guest.text
    assert "return window is 30 days" in guest.text
    assert "claim" in guest.removed
    verified = guard.scrub("Thank you, you're verified. Order #JP1053 shipped.", "C001")
    assert verified.text.startswith("Thank you, you're verified.")
    signed = guard.scrub(past, "C001", signed_in=True)
    assert signed.text == past


def test_generic_emails_and_phones_unknown_to_the_store_are_masked(guard: ForeignPIIGuard) -> None:
    text = "Write to stranger@gmail.com or call +44 20 7946 0958; we answer at help@juniperandpine.com"
    out = guard.scrub(text, None)
    assert "stranger@gmail.com" not in out.text and "7946 0958" not in out.text
    assert "help@juniperandpine.com" in out.text
    assert out.removed.count("email") == 1 and out.removed.count("phone") == 1


def test_common_words_and_catalog_words_are_not_names(guard: ForeignPIIGuard) -> None:
    text = "The Alder Rain Shell comes in green; Grace period for returns is 30 days."
    out = guard.scrub(text, None)
    assert "Alder Rain Shell" in out.text
    # "Grace" is a customer's first name: a single capitalised token is masked, everyday words are not.
    assert "Grace" not in out.text and "green" in out.text


def test_links_off_the_allow_list_become_plain_text(guard: ForeignPIIGuard) -> None:
    out = guard.scrub("Reset it at [our site](https://juniperandpine.com/reset) or https://evil.example/login.", None)
    assert "[our site](https://juniperandpine.com/reset)" in out.text
    assert "https://evil.example" not in out.text and "`evil.example/login`" in out.text
    assert out.removed == ["link"]


def test_index_refreshes_when_the_store_changes(store: Database) -> None:
    guard = ForeignPIIGuard(store, refresh_seconds=0.0, generic=False)
    assert "Tomas Berg" in guard.scrub("Ask Tomas Berg", None).text
    with store.session() as s:
        s.add(_customer("C777", "Tomas Berg", "tb@example.com", "11111", "1 Fjord Way"))
        s.add(IngestionRun(id="r1", source="t", format="json", path="x", started_at=datetime.now(UTC)))
    assert "Tomas Berg" not in guard.scrub("Ask Tomas Berg", None).text


def test_keep_own_false_masks_the_customers_own_details_too(guard: ForeignPIIGuard) -> None:
    out = guard.scrub("Maya Okafor at 97214 asked about warm jackets", "C001", keep_own=False)
    assert "Maya" not in out.text and "97214" not in out.text
    assert "warm jackets" in out.text


# --- the memo of scrub results (pii_scrub_memo_size): the same answers as scrubbing anew, never stale ---

MEMO_TEXTS = [
    "Order #JP1001 for Mei Lin shipped with UPS 1ZABBVAN0323201098 to 4127 Lakeshore Crest, 94610.",
    "We emailed mei.lin@example.com and called (510) 555-0199; Maya Okafor's order #JP1053 is on its way.",
    "You're signed in, so I can see your orders. Returns are free within 30 days.",
    "Write to stranger@gmail.com or visit https://evil.example/login; help@juniperandpine.com answers.",
    "Ask Tomas Berg at tb@example.com about the Alder Rain Shell.",
]


def _guard(store: Database, memo_size: int) -> ForeignPIIGuard:
    return ForeignPIIGuard(
        store,
        links=LinkPolicy(["juniperandpine.com"]),
        public_contacts=["help@juniperandpine.com"],
        refresh_seconds=0.0,
        memo_size=memo_size,
    )


def test_memoised_results_equal_fresh_scrubs_for_every_customer_and_flag(store: Database) -> None:
    fresh, memo = _guard(store, 0), _guard(store, 64)
    owners = (None, "C001", "C025")
    cases = [(own, signed, keep) for own in owners for signed in (False, True) for keep in (True, False)]
    for _ in range(2):  # the second round is answered from the memo
        for text in MEMO_TEXTS:
            for own, signed, keep in cases:
                want = fresh.scrub(text, own, signed_in=signed, keep_own=keep)
                got = memo.scrub(text, own, signed_in=signed, keep_own=keep)
                assert (got.text, got.removed) == (want.text, want.removed), (text, own, signed, keep)
    # Mei's own details stay for Mei, and are masked for a guest and for Maya, memo or not.
    assert "mei.lin@example.com" in memo.scrub(MEMO_TEXTS[1], "C025").text
    for own in (None, "C001"):
        out = memo.scrub(MEMO_TEXTS[1], own).text
        assert "mei.lin@" not in out and "555-0199" not in out
    assert "JP1053" in memo.scrub(MEMO_TEXTS[1], "C001").text  # Maya's own order


def test_a_memo_hit_runs_no_scrub_and_returns_its_own_copy(store: Database) -> None:
    guard = _guard(store, 64)
    first = guard.scrub(MEMO_TEXTS[0], None)
    with mock.patch.object(guard, "_scrub", wraps=guard._scrub) as inner:
        again = guard.scrub(MEMO_TEXTS[0], None)
        assert inner.call_count == 0
        guard.scrub(MEMO_TEXTS[0], "C025")  # another customer: scrubbed for them
        assert inner.call_count == 1
    assert again == first and again.removed is not first.removed
    again.removed.append("tampered")
    assert "tampered" not in guard.scrub(MEMO_TEXTS[0], None).removed


def test_a_new_customer_is_masked_in_a_text_scrubbed_before(store: Database) -> None:
    """The memo belongs to the index it was computed with: a rebuilt index starts afresh."""
    guard = _guard(store, 64)
    assert "Tomas Berg" in guard.scrub(MEMO_TEXTS[4], None).text
    with store.session() as s:
        s.add(_customer("C777", "Tomas Berg", "tb@example.com", "11111", "1 Fjord Way"))
        s.add(IngestionRun(id="r1", source="t", format="json", path="x", started_at=datetime.now(UTC)))
    out = guard.scrub(MEMO_TEXTS[4], None).text
    assert "Tomas" not in out and "tb@example.com" not in out and "Alder Rain Shell" in out
    guard.invalidate()
    assert guard.scrub(MEMO_TEXTS[4], "C777").text == MEMO_TEXTS[4]


def test_the_memo_is_bounded(store: Database) -> None:
    guard = _guard(store, 3)
    for i in range(10):
        guard.scrub(f"Order #JP1001 number {i}", None)
    assert len(guard._memo) == 3
    assert "JP1001" not in guard.scrub("Order #JP1001 number 9", None).text


def test_the_setting_reaches_the_guard(store: Database, settings: Settings) -> None:
    tuned = settings.model_copy(update={"security": settings.security.model_copy(update={"pii_scrub_memo_size": 7})})
    assert ForeignPIIGuard.from_settings(tuned, store).memo_size == 7
    assert ForeignPIIGuard.from_settings(settings, store).memo_size == settings.security.pii_scrub_memo_size > 0
