"""Data migrations on a real PostgreSQL (the same checks as tests/assistant/store/test_migrations.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from tests.assistant.store.migration_checks import check_unstamped_messages_backfill


@pytest.fixture
def empty_pg_url(pg_url: str) -> Iterator[str]:
    """An empty database of its own beside the session's (migrations start from nothing)."""
    name = f"shopassist_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield urlsplit(pg_url)._replace(path=f"/{name}").geturl()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_messages_stored_before_verification_stamps_are_marked_on_postgres(empty_pg_url: str) -> None:
    check_unstamped_messages_backfill(empty_pg_url)
