"""The online API on a real temp SQLite store with the real sentence encoder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.config import Settings
from assistant.interest.online import InterestService, RecFilters
from assistant.store.db import Database
from assistant.store.models import Event, Product
from assistant.types import SessionEvent

PRODUCTS = [
    ("P1", "Alder Rain Shell", "Apparel > Jackets", "Juniper", "Waterproof rain jacket with hood", 129.0, True),
    ("P2", "Summit Down Parka", "Apparel > Jackets", "Juniper", "Warm down parka for winter cold", 249.0, True),
    ("P3", "Trail Runner Shoe", "Footwear > Running", "Stride", "Light trail running shoe with grip", 119.0, True),
    ("P4", "Road Runner Shoe", "Footwear > Running", "Stride", "Cushioned road running shoe", 99.0, False),
    ("P5", "Merino Hiking Socks", "Footwear > Socks", "Wool Co", "Merino wool socks for hiking boots", 19.0, True),
    ("P6", "Camp Stove", "Camping > Cooking", "FlameOn", "Compact gas stove for camping", 59.0, True),
    ("P7", "Titanium Pot", "Camping > Cooking", "FlameOn", "Light titanium cooking pot for camp stoves", 45.0, True),
    ("P8", "Rain Pants", "Apparel > Pants", "Juniper", "Waterproof over-trousers for rain", 89.0, True),
]


def _store(tmp_path: Path) -> tuple[Settings, Database]:
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    db = Database(settings)
    db.migrate()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for pid, name, cat, brand, desc, price, avail in PRODUCTS:
            s.add(
                Product(
                    id=pid,
                    name=name,
                    category=cat,
                    brand=brand,
                    description=desc,
                    price=price,
                    available=avail,
                    tags=[],
                    source="test",
                    content_hash=pid,
                )
            )
        events = [
            ("C1", "P6", "view"),
            ("C1", "P6", "purchase"),
            ("C1", "P7", "view"),
            ("C2", "P3", "view"),
            ("C2", "P3", "cart"),
            ("C2", "P3", "purchase"),
        ]
        for n, (c, p, e) in enumerate(events):
            s.add(
                Event(
                    id=f"e{n}",
                    customer_id=c,
                    product_id=p,
                    event_type=e,
                    timestamp=t0 + timedelta(minutes=n),
                    source="test",
                )
            )
    return settings, db


def test_untrained_service_recommends_explains_and_filters(tmp_path: Path) -> None:
    settings, db = _store(tmp_path)
    svc = InterestService(settings, db)
    assert svc.mode == "untrained" and "no checkpoint" in svc.mode_reason

    recs = svc.recommend("C1", "something to cook dinner at the campsite", k=3)
    assert [r.product_id for r in recs][:1] == ["P7"]  # P6 was bought: excluded by default
    assert all(r.product_id != "P6" for r in recs)
    assert "Camp Stove" in recs[0].reason and "asked about" in recs[0].reason
    assert any(name == "Camp Stove" for name, _ in recs[0].contributions)
    with_bought = svc.recommend("C1", "camping stove", k=8, include_purchased=True)
    assert "P6" in [r.product_id for r in with_bought]

    # text only (anonymous), with filters
    rain = svc.recommend(None, "waterproof gear for the rain", k=5, filters=RecFilters(max_price=100))
    assert rain and rain[0].product_id == "P8" and all((r.price or 0) <= 100 for r in rain)
    shoes = svc.recommend(None, "running shoes", k=5, filters=RecFilters(category="running", in_stock_only=True))
    assert [r.product_id for r in shoes] == ["P3"]

    # several messages: the newest leads, and each message is embedded once
    newest_rain = svc.recommend(None, ["running shoes please", "actually, waterproof gear for the rain"], k=1)
    newest_shoes = svc.recommend(None, ["actually, waterproof gear for the rain", "running shoes please"], k=1)
    assert newest_rain[0].product_id in {"P1", "P8"} and newest_shoes[0].product_id in {"P3", "P4"}
    assert '"running shoes please"' in [c for c, _ in newest_shoes[0].contributions]
    cached = len(svc.encoder._lru)
    svc.recommend(None, ["running shoes please", "actually, waterproof gear for the rain"], k=1)
    assert len(svc.encoder._lru) == cached

    # behavior only, then a live session event moves the profile
    prof = svc.profile("C2")
    assert prof.top_categories[0][0] == "Footwear > Running" and len(prof.history) == 3
    sess = [
        SessionEvent(product_id="P1", event_type="view", timestamp=datetime.now(UTC)),
        SessionEvent(product_id="P2", event_type="view", timestamp=datetime.now(UTC)),
    ]
    after = svc.profile("C2", session_events=sess)
    assert len(after.history) == 5

    def jackets(weights: list[tuple[str, float]]) -> float:
        return dict(weights).get("Apparel > Jackets", 0.0)

    assert jackets(after.history[-1][2]) > jackets(after.history[2][2])  # browsing jackets shows


def test_record_event_writes_row_and_updates_profile(tmp_path: Path) -> None:
    settings, db = _store(tmp_path)
    svc = InterestService(settings, db)
    before = svc.recommend("C3", "", k=3)  # unknown customer, no chat: popular products
    assert before and before[0].reason.startswith("Popular")
    svc.record_event("C3", "P5", "purchase", session_id="s1")
    with db.session() as s:
        rows = s.scalars(select(Event).where(Event.customer_id == "C3")).all()
    assert [(r.product_id, r.event_type) for r in rows] == [("P5", "purchase")]
    recs = svc.recommend("C3", k=3)
    assert "P5" not in [r.product_id for r in recs]
    assert svc.profile("C3").top_categories[0][0] == "Footwear > Socks"
    with pytest.raises(ValueError, match="event_type"):
        svc.record_event("C3", "P5", "like")


def test_trained_service_from_store_checkpoint(tmp_path: Path) -> None:
    """`train` on the store's events writes a checkpoint that the service then loads."""
    from assistant.interest.data import leave_one_out, load_from_store
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures, save_checkpoint, train_model

    settings, db = _store(tmp_path)
    cfg = settings.interest.model_copy(update={"hidden_dim": 32, "epochs": 2, "num_layers": 1})
    data = load_from_store(db)
    feats = ItemFeatures.build(data.catalog, cfg, TextEncoder("minilm", settings.data_dir / "cache"))
    res = train_model("fusion", cfg, data, leave_one_out(data), feats, device="cpu", progress=False)
    save_checkpoint(settings.checkpoint_dir / "interest-test.pt", res, data, feats)
    with db.session() as s:  # a product added after training: cold start from its text
        s.add(
            Product(
                id="P9",
                name="Ultralight Camp Kettle",
                category="Camping > Cooking",
                brand="FlameOn",
                description="Titanium kettle for camp stoves",
                price=39.0,
                available=True,
                tags=[],
                source="test",
                content_hash="P9",
            )
        )
    svc = InterestService(settings, db)
    assert svc.mode == "trained" and "interest-test.pt" in svc.mode_reason
    recs = svc.recommend("C1", "a kettle for my camp stove", k=8)
    assert len(recs) == 8 and all(r.reason for r in recs)  # 9 products, P6 bought
    assert "P9" in [r.product_id for r in recs]
    assert svc.profile("C1", "kettle").top_categories
