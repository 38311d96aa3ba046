"""The output guard's memo of scrub results: the same answers as scrubbing anew, never stale (real SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

from assistant.config import Settings
from assistant.security.links import LinkPolicy
from assistant.security.pii import ForeignPIIGuard
from assistant.store.db import Database
from assistant.store.models import Customer, IngestionRun, Order

TEXTS = [
    "Order #JP1001 for Mei Lin shipped with UPS 1ZABBVAN0323201098 to 4127 Lakeshore Crest, 94610.",
    "We emailed mei.lin@example.com and called (510) 555-0199; Maya Okafor's order #JP1053 is on its way.",
    "You're signed in, so I can see your orders. Returns are free within 30 days.",
    "Write to stranger@gmail.com or visit https://evil.example/login; help@juniperandpine.com answers.",
    "Ask Tomas Berg at tb@example.com about the Alder Rain Shell.",
]


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
        s.add(_customer("C001", "Maya Okafor", "maya.okafor@example.com", "97214", "2214 SE Larch Ave"))
        s.add(_customer("C025", "Mei Lin", "mei.lin@example.com", "94610", "4127 Lakeshore Crest", "(510) 555-0199"))
        s.add(
            Order(
                id="#JP1001",
                customer_id="C025",
                status="delivered",
                tracking_number="1ZABBVAN0323201098",
                shipping_address={"line1": "4127 Lakeshore Crest", "zip": "94610"},
                source="t",
                content_hash="h",
            )
        )
        s.add(Order(id="#JP1053", customer_id="C001", status="shipped", source="t", content_hash="h"))
    return db


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
        for text in TEXTS:
            for own, signed, keep in cases:
                want = fresh.scrub(text, own, signed_in=signed, keep_own=keep)
                got = memo.scrub(text, own, signed_in=signed, keep_own=keep)
                assert (got.text, got.removed) == (want.text, want.removed), (text, own, signed, keep)
    # Mei's own details stay for Mei, and are masked for a guest and for Maya, memo or not.
    assert "mei.lin@example.com" in memo.scrub(TEXTS[1], "C025").text
    for own in (None, "C001"):
        out = memo.scrub(TEXTS[1], own).text
        assert "mei.lin@" not in out and "555-0199" not in out
    assert "JP1053" in memo.scrub(TEXTS[1], "C001").text  # Maya's own order


def test_a_memo_hit_runs_no_scrub_and_returns_its_own_copy(store: Database) -> None:
    guard = _guard(store, 64)
    first = guard.scrub(TEXTS[0], None)
    with mock.patch.object(guard, "_scrub", wraps=guard._scrub) as inner:
        again = guard.scrub(TEXTS[0], None)
        assert inner.call_count == 0
        guard.scrub(TEXTS[0], "C025")  # another customer: scrubbed for them
        assert inner.call_count == 1
    assert again == first and again.removed is not first.removed
    again.removed.append("tampered")
    assert "tampered" not in guard.scrub(TEXTS[0], None).removed


def test_a_new_customer_is_masked_in_a_text_scrubbed_before(store: Database) -> None:
    """The memo belongs to the index it was computed with: a rebuilt index starts afresh."""
    guard = _guard(store, 64)
    assert "Tomas Berg" in guard.scrub(TEXTS[4], None).text
    with store.session() as s:
        s.add(_customer("C777", "Tomas Berg", "tb@example.com", "11111", "1 Fjord Way"))
        s.add(IngestionRun(id="r1", source="t", format="json", path="x", started_at=datetime.now(UTC)))
    out = guard.scrub(TEXTS[4], None).text
    assert "Tomas" not in out and "tb@example.com" not in out and "Alder Rain Shell" in out
    guard.invalidate()
    assert guard.scrub(TEXTS[4], "C777").text == TEXTS[4]


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
