"""Guests' popular products: event counts read at most every popular_cache_seconds (real SQLite, real encoder)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from assistant.config import InterestSettings, Settings
from assistant.interest.online import InterestService
from assistant.store.db import Database
from assistant.store.models import Event, Product

PRODUCTS = [("P1", "Alder Rain Shell", "Jackets"), ("P2", "Camp Stove", "Cooking"), ("P3", "Trail Shoe", "Shoes")]


def _service(tmp_path: Path, seconds: float) -> tuple[InterestService, Database]:
    settings = Settings(
        data_dir=tmp_path / "data", device="cpu", interest=InterestSettings(popular_cache_seconds=seconds)
    )
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        for pid, name, cat in PRODUCTS:
            s.add(Product(id=pid, name=name, category=cat, description=name, price=10.0, available=True,
                          tags=[], source="t", content_hash=pid))
        for n in range(3):
            s.add(Event(id=f"e{n}", customer_id="C9", product_id="P1", event_type="view",
                        timestamp=datetime.now(UTC), source="t"))
    return InterestService(settings, db), db


def _other_worker_adds(db: Database, product_id: str, n: int) -> None:
    with db.session() as s:
        for i in range(n):
            s.add(Event(id=f"w{product_id}{i}", customer_id="C8", product_id=product_id, event_type="view",
                        timestamp=datetime.now(UTC), source="t"))


def test_counts_are_read_once_per_period_and_at_once_after_an_event_here(tmp_path: Path) -> None:
    svc, db = _service(tmp_path, 60.0)
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P1"]
    with mock.patch.object(svc.db, "session", wraps=svc.db.session) as sessions:
        for _ in range(5):
            assert [r.product_id for r in svc.recommend(None, k=1)] == ["P1"]
        assert sessions.call_count == 0  # within the period: no store read per guest turn
    _other_worker_adds(db, "P3", 5)  # another worker's events: seen after the period
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P1"]
    for _ in range(9):  # this process's events: seen at once
        svc.record_event("C7", "P2", "view")
    assert [r.product_id for r in svc.recommend(None, k=3)] == ["P2", "P3", "P1"]


def test_other_workers_events_are_seen_after_the_period(tmp_path: Path) -> None:
    svc, db = _service(tmp_path, 0.3)
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P1"]
    _other_worker_adds(db, "P3", 5)
    time.sleep(0.35)
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P3"]


def test_zero_reads_on_every_guest_turn(tmp_path: Path) -> None:
    svc, db = _service(tmp_path, 0.0)
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P1"]
    _other_worker_adds(db, "P3", 5)
    assert [r.product_id for r in svc.recommend(None, k=1)] == ["P3"]
