"""Build the demo shop's stores from the data files shipped in ``assistant/demo/data``.

The files use the project's generic ingestion formats, so building the demo is an ordinary
ingestion run: a second build finds every record unchanged and adds nothing.

Example:
    >>> from assistant.config import Settings
    >>> report = build_demo(Settings(data_dir="/tmp/shop"))
    >>> report["demo:catalog"]["ok"]
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.store.db import Database
from assistant.vectors import VectorStore

DATA_DIR = Path(__file__).parent / "data"
DEMO_SHOP_NAME = "Juniper & Pine"

# Order matters: orders and events refer to products and customers.
DEMO_FILES: tuple[tuple[str, str], ...] = (
    ("catalog.json", "catalog-json"),
    ("customers.json", "customers-json"),
    ("orders.json", "orders-json"),
    ("events.jsonl", "events-jsonl"),
    ("policy.md", "policy-md"),
    ("policy.zh.md", "policy-md"),  # the same policy for Chinese-speaking customers, with a short FAQ
    ("faq.md", "policy-md"),
    ("conversations.jsonl", "conversations-jsonl"),
    ("reviews.jsonl", "reviews-jsonl"),
    ("qa.jsonl", "qa-jsonl"),
)


def demo_source(filename: str) -> str:
    return f"demo:{Path(filename).stem}"


def build_demo(
    settings: Settings, db: Database | None = None, vectors: VectorStore | None = None
) -> dict[str, dict[str, Any]]:
    """Ingest every demo file; returns each run's report (as a dict) keyed by source name."""
    from ingest.pipeline import ingest_paths

    db = db or Database(settings)
    db.migrate()
    vectors = vectors or VectorStore(settings)
    reports: dict[str, dict[str, Any]] = {}
    for filename, fmt in DEMO_FILES:
        source = demo_source(filename)
        report = ingest_paths(
            [DATA_DIR / filename], fmt, settings=settings, source=source, strict=True, db=db, vectors=vectors
        )
        if not report.ok:
            raise RuntimeError(f"demo file {filename} did not ingest cleanly: {report.rejections[:3]}")
        reports[source] = report.model_dump(mode="json")
    from assistant.demo.images import write_demo_images

    write_demo_images(settings)  # simple product pictures for the chat's cards (issue 14)
    return reports
