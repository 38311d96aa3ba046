"""Fixtures of the operations tests: private copies of the demo shop, one per test."""

from __future__ import annotations

import pytest

from assistant.config import Settings


@pytest.fixture
def shop(demo_copy: Settings) -> Settings:
    """A private, writable copy of the demo shop (``demo_copy`` of tests/conftest.py)."""
    return demo_copy


# Questions whose answers must survive a backup/restore or a reindex unchanged.
FIXED_QUESTIONS = (
    "How long do I have to return an item?",
    "Do you ship to Canada?",
    "Is the rain jacket waterproof?",
    "What is your warranty on tents?",
)


def answers(settings: Settings, questions: tuple[str, ...] = FIXED_QUESTIONS) -> list[tuple[str, list[str]]]:
    """Each question in a fresh conversation: (reply text, cited source ids)."""
    from assistant.conversation.engine import Assistant
    from assistant.interest.online import InterestService
    from assistant.store.db import Database
    from assistant.vectors import VectorStore

    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings)
    bot = Assistant(settings, db, vectors, interest=InterestService(settings, db))
    out = []
    for q in questions:
        result = bot.send(bot.start_conversation(None), q)
        out.append((result.text, [f"{c.collection}/{c.doc_id}" for c in result.citations]))
    db.engine.dispose()
    return out


def nearest(settings: Settings, questions: tuple[str, ...] = FIXED_QUESTIONS, k: int = 5) -> list[list[str]]:
    """Each question's nearest entries in every collection, as ``collection/id@score`` (4 decimals)."""
    from assistant.vectors import COLLECTIONS, VectorStore

    vectors = VectorStore(settings)
    out = []
    for q in questions:
        vec = vectors.embedder.encode([q], is_query=True)[0]
        out.append(
            [f"{c}/{i}@{score:.4f}" for c in COLLECTIONS for i, _t, _m, score in vectors.query(c, vec, k)]
        )
    return out


def assert_same_nearest(after: list[list[str]], before: list[list[str]], tol: float = 5e-4) -> None:
    """Re-embedded entries (a reindex) are the same entries in the same order, their scores equal up to
    ``tol``: the encoder's batches differ from ingestion's, which moves a score in its 5th decimal
    (seen: 0.6993 before, 0.6994 after)."""

    def split(rows: list[list[str]]) -> tuple[list[list[str]], list[list[float]]]:
        parts = [[entry.rsplit("@", 1) for entry in row] for row in rows]
        return [[p[0] for p in row] for row in parts], [[float(p[1]) for p in row] for row in parts]

    (ids_after, scores_after), (ids_before, scores_before) = split(after), split(before)
    assert ids_after == ids_before
    for row_after, row_before in zip(scores_after, scores_before, strict=True):
        assert all(abs(a - b) <= tol for a, b in zip(row_after, row_before, strict=True)), (row_after, row_before)

