"""Data migrations on SQLite (the same checks run on PostgreSQL in tests/integration/test_pg_migrations.py)."""

from __future__ import annotations

from pathlib import Path

from tests.assistant.store.migration_checks import check_unstamped_messages_backfill


def test_messages_stored_before_verification_stamps_are_marked(tmp_path: Path) -> None:
    check_unstamped_messages_backfill(f"sqlite:///{tmp_path / 'shop.db'}")
