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
#: What the demo shop's policy (data/policy.md, "Identity verification") accepts as proof of identity: the
#: email address alone, or the full name plus a zip. ``security.identity_methods`` requires two details by
#: default; the demo opts in to its policy's wording in its own settings file (:func:`write_shop_settings`).
DEMO_IDENTITY_METHODS = ("email", "name_zip")

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
    write_shop_settings(settings)
    return reports


def write_shop_settings(settings: Settings) -> Path:
    """The demo shop's own settings file (``<data_dir>/shopassist.toml``, read by every later process of this
    shop unless the environment or ``./shopassist.toml`` says otherwise): its policy's identity methods."""
    from assistant.config import SHOP_CONFIG_FILE

    path = settings.data_dir / SHOP_CONFIG_FILE
    methods = ", ".join(f'"{m}"' for m in DEMO_IDENTITY_METHODS)
    path.write_text(
        "# The demo shop's own settings, kept with its data. Its policy (Identity verification) accepts the\n"
        "# email address on the order alone, or the full name plus the zip code.\n"
        f"[security]\nidentity_methods = [{methods}]\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path
