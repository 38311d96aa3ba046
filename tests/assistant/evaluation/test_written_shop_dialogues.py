"""Shops written for the tests, unlike the demo in every way that matters to routing, each ingested from plain
files as a shop would ingest its own and run against its own suite. They need nothing outside the repository, so
they run everywhere.

- ``shops/leaf-and-kettle`` (``suites/tea-shop.jsonl``): a German tea shop selling in euros
  (``conversation.currency = "EUR"``), identity as by default (name + zip, or email + zip).
- ``shops/northgate-cycles`` (``suites/bike-shop.jsonl``): a British bike shop, pounds, UK postcodes asked for as
  "postcode" (``security.postal_code_name``), order numbers with a hyphen and no "#" ("NG-20431"), frame sizes and
  a "colour" option.
- ``shops/maple-circuit`` (``suites/electronics-shop.jsonl``): a Canadian electronics-accessories shop, Canadian
  dollars, postal codes ("H2X 1Y4"), order numbers of digits only ("#1042", written "order 1042" too), a customer's
  name with an accent, products sold by phone model and colour, compatibility in the products' own text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.evaluation.dialogues import load_suite
from assistant.evaluation.dialogues.runner import evaluate
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest.pipeline import ingest_paths

HERE = Path(__file__).parent

# (shop folder, suite, the shop's own settings: conversation and security fields)
SHOPS = [
    ("leaf-and-kettle", "tea-shop.jsonl", {"shop_name": "Leaf & Kettle", "currency": "EUR"}, {}),
    (
        "northgate-cycles",
        "bike-shop.jsonl",
        {"shop_name": "Northgate Cycles", "currency": "GBP"},
        {"postal_code_name": "postcode"},
    ),
    (
        "maple-circuit",
        "electronics-shop.jsonl",
        {"shop_name": "Maple Circuit", "currency": "CAD"},
        {"postal_code_name": "postal code"},
    ),
]


@pytest.mark.parametrize(("shop", "suite_file", "conversation", "security"), SHOPS, ids=[s[0] for s in SHOPS])
def test_written_shop_suite_passes(
    settings: Settings,
    embedder: Embedder,
    shop: str,
    suite_file: str,
    conversation: dict[str, str],
    security: dict[str, str],
) -> None:
    settings = settings.model_copy(
        update={
            "conversation": settings.conversation.model_copy(update=conversation),
            "security": settings.security.model_copy(update=security),
        }
    )
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder)
    folder = HERE / "shops" / shop
    files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".jsonl", ".md") and p.name != "README.md")
    report = ingest_paths(files, "auto", settings=settings, db=db, vectors=vectors)
    assert report.ok and report.rejections_total == 0

    suite = load_suite(HERE / "suites" / suite_file)
    summary = evaluate(suite, settings).summary()
    failures = [f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:300]}" for f in summary["failures"]]
    assert not failures, "\n".join(failures)
    assert summary["turns"]["passed"] == suite.turn_count
