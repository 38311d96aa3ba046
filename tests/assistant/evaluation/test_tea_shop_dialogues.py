"""A third shop, written for the tests: Leaf & Kettle, a tea shop selling in euros (see ``shops/leaf-and-kettle``).

The demo shop's words (jackets, tents, dollars) are nowhere in it: its catalog, policy, customers and orders are
ingested from plain files as a shop would ingest its own, with ``conversation.currency = "EUR"``, and
``suites/tea-shop.jsonl`` runs against it. Needs nothing outside the repository, so it runs everywhere.
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.evaluation.dialogues import load_suite
from assistant.evaluation.dialogues.runner import evaluate
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest.pipeline import ingest_paths

HERE = Path(__file__).parent
SHOP = HERE / "shops" / "leaf-and-kettle"


def tea_settings(settings: Settings) -> Settings:
    """The shop's own settings: its name and currency (identity as by default: name + zip, or email + zip)."""
    conversation = settings.conversation.model_copy(update={"shop_name": "Leaf & Kettle", "currency": "EUR"})
    return settings.model_copy(update={"conversation": conversation})


def test_tea_shop_suite_passes(settings: Settings, embedder: Embedder) -> None:
    settings = tea_settings(settings)
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    files = sorted(p for p in SHOP.iterdir() if p.suffix in (".json", ".jsonl", ".md") and p.name != "README.md")
    report = ingest_paths(files, "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok and report.rejections_total == 0

    suite = load_suite(HERE / "suites" / "tea-shop.jsonl")
    summary = evaluate(suite, settings).summary()
    failures = [f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:300]}" for f in summary["failures"]]
    assert not failures, "\n".join(failures)
    assert summary["turns"]["passed"] == suite.turn_count
