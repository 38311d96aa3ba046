"""The demo shop: its data, an idempotent build, and retrieval over it with the real model."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config import Settings
from assistant.demo.build import DATA_DIR, DEMO_FILES, build_demo
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest.stats import collect_stats


def _records(name: str) -> list[dict[str, object]]:
    path = DATA_DIR / name
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    data = json.loads(path.read_text())
    assert isinstance(data, list)
    return data


def test_demo_data_has_the_promised_size() -> None:
    assert all((DATA_DIR / f).is_file() for f, _ in DEMO_FILES)
    products = _records("catalog.json")
    assert 35 <= len(products) <= 50
    assert 4 <= len({p["category"] for p in products}) <= 6
    assert len(_records("customers.json")) >= 30
    assert len(_records("orders.json")) >= 60
    assert len(_records("events.jsonl")) >= 200
    conversations = _records("conversations.jsonl")
    assert len(conversations) >= 60
    intents = {c["intent"] for c in conversations}
    for needed in ("order_status", "return", "refund", "exchange", "shipping", "payment", "account"):
        assert needed in intents
    assert len(_records("reviews.jsonl")) >= 80


def test_second_build_adds_nothing(settings: Settings, embedder: Embedder) -> None:
    db, vectors = Database(settings), VectorStore(settings, embedder=embedder)
    build_demo(settings, db=db, vectors=vectors)
    first = collect_stats(settings)
    reports = build_demo(settings, db=db, vectors=vectors)
    second = collect_stats(settings)
    assert first == second
    assert first["vectors"]["policies"] > 5
    assert first["sql"]["products"] == len(_records("catalog.json"))
    assert first["sql"]["orders"] == len(_records("orders.json"))
    for report in reports.values():
        assert report["ok"]
        assert all(c.get("written", 0) == 0 for c in report["counts"].values()), report["counts"]


def test_returns_question_retrieves_the_returns_policy_first(demo_settings: Settings, embedder: Embedder) -> None:
    vectors = VectorStore(demo_settings, embedder=embedder)
    query = embedder.encode(["How do I send back a jacket that doesn't fit?"], is_query=True)[0]
    top = vectors.query("policies", query, k=3)
    assert "return" in top[0][2]["title"].lower(), [t[2]["title"] for t in top]


def test_demo_store_lives_in_the_data_dir(demo_settings: Settings) -> None:
    assert demo_settings.sqlite_path.is_file()
    assert Path(demo_settings.chroma_path).is_dir()
