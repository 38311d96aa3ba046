"""A fourth shop, written for the tests: Northgate Cycles, a British bike shop (see ``shops/northgate-cycles``).

Pounds (``conversation.currency = "GBP"``), UK postcodes asked for as "postcode"
(``security.postal_code_name``), order numbers with a hyphen and no "#" ("NG-20431"), frame sizes and colours as
options. Ingested from plain files as a shop would ingest its own; ``suites/bike-shop.jsonl`` runs against it.
Needs nothing outside the repository, so it runs everywhere.
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
SHOP = HERE / "shops" / "northgate-cycles"


def bike_settings(settings: Settings) -> Settings:
    """The shop's own settings: its name, currency and word for a postal code (identity as by default: name +
    postcode, or email + postcode)."""
    conversation = settings.conversation.model_copy(update={"shop_name": "Northgate Cycles", "currency": "GBP"})
    security = settings.security.model_copy(update={"postal_code_name": "postcode"})
    return settings.model_copy(update={"conversation": conversation, "security": security})


def test_bike_shop_suite_passes(settings: Settings, embedder: Embedder) -> None:
    settings = bike_settings(settings)
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    files = sorted(p for p in SHOP.iterdir() if p.suffix in (".json", ".jsonl", ".md") and p.name != "README.md")
    report = ingest_paths(files, "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok and report.rejections_total == 0

    suite = load_suite(HERE / "suites" / "bike-shop.jsonl")
    summary = evaluate(suite, settings).summary()
    failures = [f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:300]}" for f in summary["failures"]]
    assert not failures, "\n".join(failures)
    assert summary["turns"]["passed"] == suite.turn_count
