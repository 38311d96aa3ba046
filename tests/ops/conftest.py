"""Fixtures of the operations tests: a demo shop built once, private copies per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder


@pytest.fixture(scope="session")
def ops_demo_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    from assistant.demo.build import build_demo

    root = tmp_path_factory.mktemp("ops-demo") / "data"
    build_demo(Settings(data_dir=root, device="cpu"))
    return root


@pytest.fixture
def shop(ops_demo_template: Path, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a private, writable copy of the demo shop."""
    target = tmp_path / "shop"
    shutil.copytree(ops_demo_template, target)
    yield Settings(data_dir=target, device="cpu")


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
