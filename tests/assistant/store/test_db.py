"""The relational store: migrations build the schema the models describe, on a temp SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import Base, Conversation, Customer, Event, Message, Order, OrderItem, Product


def test_migrate_creates_every_table(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    assert settings.sqlite_path.is_file()


def test_migrations_match_the_models(settings: Settings) -> None:
    """A model change without a migration fails here."""
    db = Database(settings)
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_twice_is_a_no_op(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Product(id="P1", name="Tent", source="t", content_hash="h"))
    db.migrate()
    assert db.table_counts()["products"] == 1
    with db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from alembic_version")).scalar() == 1


def test_order_with_items_round_trips(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(
            Customer(id="C1", name="Ada Lovelace", email="ada@example.com", zip="02139", source="t", content_hash="h")
        )
        order = Order(id="#1", customer_id="C1", status="shipped", tracking_number="1Z", source="t", content_hash="h")
        order.items.append(OrderItem(product_id="P1", quantity=2, price=9.5))
        s.add(order)
    with db.session() as s:
        got = s.get(Order, "#1")
        assert got is not None and got.customer is not None
        assert got.customer.email == "ada@example.com"
        assert [(i.product_id, i.quantity) for i in got.items] == [("P1", 2)]


def test_constraints_reject_bad_rows(settings: Settings) -> None:
    db = Database(settings)
    db.migrate()
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            Event(
                id="e", customer_id="C", product_id="P", event_type="teleport", timestamp=datetime.now(UTC), source="t"
            )
        )
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Message(conversation_id="no-such-conversation", role="customer", text="hi"))
    with db.session() as s:
        s.add(Conversation(id="c1"))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Message(conversation_id="c1", role="robot", text="hi"))
