"""Fixtures for the ingestion tests: stores on the session's real embedder, small data files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.vectors import VectorStore


@pytest.fixture
def stores(settings: Settings, embedder: Embedder) -> tuple[Database, VectorStore]:
    """A migrated SQLite database and a Chroma store in the test's temp dir, sharing the model."""
    db = Database(settings)
    db.migrate()
    return db, VectorStore(settings, embedder)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a fixture file under tmp_path/in/ and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
