"""End-to-end ingestion on real stores (Chroma + SQLite in tmp) with the real embedding model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import DEMO_DATA, conversation, jsonl, shared_data_path
from sqlalchemy import select

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import Review, SourceRecord
from assistant.vectors import VectorStore
from ingest.pipeline import ingest_paths, remove_source
from ingest.stats import collect_stats

WriteFile = Callable[[str, str | bytes], Path]
Stores = tuple[Database, VectorStore]

CONTRACT = {
    "conversations": {"source", "kind", "conversation_id", "intent", "category", "resolution", "customer_id",
                      "product_ids", "timestamp", "language", "chunk_index", "question", "answer"},
    "policies": {"source", "kind", "title", "section", "doc"},
    "reviews": {"source", "kind", "product_id", "rating", "record_id", "author_id", "timestamp"},
    "products": {"source", "kind", "product_id", "name", "category", "price", "available"},
}


def demo_files() -> tuple[list[Path], list[Path]]:
    """(SQL-heavy files ingested whole, text-heavy files ingested in part to save embedding time)."""
    files = sorted(p for p in DEMO_DATA.iterdir() if p.suffix in (".json", ".jsonl", ".md"))
    partial = {"conversations.jsonl", "reviews.jsonl", "qa.jsonl"}
    return [p for p in files if p.name not in partial], [p for p in files if p.name in partial]


def ingest_demo(settings: Settings, db: Database, vs: VectorStore) -> tuple[int, int, int]:
    whole, part = demo_files()
    a = ingest_paths(whole, settings=settings, source="demo", db=db, vectors=vs)
    b = ingest_paths(part, settings=settings, source="demo", db=db, vectors=vs, limit=12)
    assert a.ok and a.rejections_total == 0, [r.describe() for r in a.rejections]
    assert b.ok and b.rejections_total == 0, [r.describe() for r in b.rejections]
    return tuple(a.total(f) + b.total(f) for f in ("written", "replaced", "unchanged"))  # type: ignore[return-value]


def test_demo_formats_idempotent_with_metadata_contract(settings: Settings, stores: Stores) -> None:
    db, vs = stores
    written, _, _ = ingest_demo(settings, db, vs)
    assert written > 0
    before = collect_stats(settings, db=db, vectors=vs)
    assert ingest_demo(settings, db, vs) == (0, 0, written)
    assert collect_stats(settings, db=db, vectors=vs) == before
    for name, keys in CONTRACT.items():
        got = vs.collection(name).get(include=["metadatas"])  # type: ignore[arg-type]
        assert got["ids"], name
        for meta in got["metadatas"] or []:
            assert keys <= set(meta), (name, keys - set(meta))
            assert all(v is not None for v in meta.values())
    assert before["sources"]["demo"]["products"] == before["vectors"]["products"] > 0


def test_edit_replaces_and_counts(settings: Settings, stores: Stores, write_file: WriteFile) -> None:
    db, vs = stores
    recs = [conversation(i) for i in range(4)]
    path = write_file("conv.jsonl", jsonl(recs))
    r1 = ingest_paths([path], "conversations-jsonl", settings=settings, db=db, vectors=vs)
    assert r1.source == "conversations-jsonl:conv" and r1.counts["conversation"].written == 4
    old = set(vs.collection("conversations").get(where={"conversation_id": "c2"}, include=[])["ids"])
    recs[2]["turns"][1]["text"] = "The parcel was re-routed to the depot; it arrives Friday."
    path.write_text(jsonl(recs))
    r2 = ingest_paths([path], "conversations-jsonl", settings=settings, db=db, vectors=vs)
    c = r2.counts["conversation"]
    assert (c.written, c.replaced, c.unchanged) == (0, 1, 3)
    got = vs.collection("conversations").get(where={"conversation_id": "c2"}, include=["documents"])
    assert not old & set(got["ids"]) and "Friday" in (got["documents"] or [""])[0]
    assert vs.count("conversations") == 4


def test_remove_source_removes_both_stores(settings: Settings, stores: Stores, write_file: WriteFile) -> None:
    db, vs = stores
    a = write_file("a.jsonl", jsonl([conversation(i) for i in range(3)]))
    reviews = [{"review_id": f"r{i}", "product_id": "P1", "rating": 5, "text": f"Great kettle {i}"} for i in range(3)]
    b = write_file("b.jsonl", jsonl(reviews))
    ingest_paths([a], settings=settings, source="A", db=db, vectors=vs)
    ingest_paths([b], settings=settings, source="B", db=db, vectors=vs)
    removed = remove_source("B", settings=settings, db=db, vectors=vs)
    assert removed["reviews"] == 3 and removed["source_records"] == 3
    stats = collect_stats(settings, db=db, vectors=vs)
    assert "B" not in stats["sources"] and stats["sql"]["reviews"] == 0 and stats["vectors"]["reviews"] == 0
    assert stats["sources"]["A"]["conversations"] == 3


def test_pii_redacted_before_storage(settings: Settings, stores: Stores, write_file: WriteFile) -> None:
    db, vs = stores
    conv = {"conversation_id": "p1", "turns": [
        {"role": "customer", "text": "I am jane.doe@example.com, call +1 415 555 0132 about order #W2378156"},
        {"role": "agent", "text": "Thanks, I see order #W2378156."}]}
    review = {"review_id": "rv", "product_id": "P9", "rating": 2, "text": "Email me at jane.doe@example.com"}
    ingest_paths([write_file("c.jsonl", jsonl([conv])), write_file("r.jsonl", jsonl([review]))],
                 settings=settings, source="pii", db=db, vectors=vs)
    doc = vs.collection("conversations").get(include=["documents", "metadatas"])
    blob = json.dumps(doc["documents"]) + json.dumps(doc["metadatas"])
    assert "jane.doe@example.com" not in blob and "555" not in blob and "#W2378156" in blob
    with db.session() as s:
        assert "example.com" not in (s.scalar(select(Review.text)) or "")


def test_dry_run_writes_nothing(settings: Settings, write_file: WriteFile) -> None:
    path = write_file("c.jsonl", jsonl([conversation(1)]) + "{broken\n")
    report = ingest_paths([path], settings=settings, dry_run=True)
    assert report.ok and report.counts["conversation"].valid == 1 and report.rejections_total == 1
    assert not settings.sqlite_path.exists() and not settings.chroma_path.exists()
    strict = ingest_paths([path], settings=settings, dry_run=True, strict=True)
    assert not strict.ok


def test_nothing_ingestible_is_not_ok(settings: Settings, stores: Stores, write_file: WriteFile) -> None:
    db, vs = stores
    report = ingest_paths([write_file("x.jsonl", "")], "conversations-jsonl", settings=settings, db=db, vectors=vs)
    assert not report.ok and report.rejections[0].message == "file is empty"


def test_order_with_unknown_customer_rejected(settings: Settings, stores: Stores, write_file: WriteFile) -> None:
    db, vs = stores
    orders = [{"order_id": "#9", "customer_id": "ghost", "status": "pending", "items": []}]
    report = ingest_paths([write_file("o.json", json.dumps(orders))], settings=settings, db=db, vectors=vs)
    assert report.rejections[0].field == "customer_id" and "ingest customers first" in report.rejections[0].message
    with db.session() as s:
        assert s.scalar(select(SourceRecord.id)) is None


REAL_SUBSETS = [
    ("bitext-customer-support", "bitext", 30),
    ("abcd-policy", "abcd", 15),
    ("tau-bench-retail", "tau-retail", None),
    ("amazon-office", "amazon-lcrec", 200),
    ("amazon-qa-appliances/qa_Appliances.json", "amazon-qa", 20),
    ("subjqa-electronics/dev.csv", "subjqa", 20),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("rel", "fmt", "limit"), REAL_SUBSETS, ids=[r[1] for r in REAL_SUBSETS])
def test_real_data_ingests(rel: str, fmt: str, limit: int | None, settings: Settings, stores: Stores) -> None:
    path = shared_data_path() / rel
    if not path.exists():
        pytest.skip(f"public data not found at {path} (set SHOPASSIST_SHARED_DATA)")
    db, vs = stores
    if path.is_dir() and fmt == "bitext":
        path = next(path.glob("*.csv"))
    report = ingest_paths([path], "auto", settings=settings, db=db, vectors=vs, limit=limit)
    assert fmt in report.format.split(", ")
    assert report.ok and report.rejections_total == 0, [r.describe() for r in report.rejections[:5]]
    stats = collect_stats(settings, db=db, vectors=vs)
    assert stats["sources"][report.source]
