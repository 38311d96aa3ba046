"""Store statistics: vectors per collection, rows per table, and what each source contributed.

Bookkeeping of runs (``ingestion_runs``) is left out on purpose: it grows with every run, and
these statistics must be identical after ingesting the same file once or twice.

Example:
    >>> from assistant.config import Settings
    >>> stats = collect_stats(Settings(data_dir="/tmp/shop-s"))
    >>> sorted(stats)
    ['sources', 'sql', 'vectors']
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import Customer, Event, Order, Product, Review, SourceRecord
from assistant.vectors import COLLECTIONS, VectorStore

EXCLUDED_TABLES = ("ingestion_runs", "alembic_version")
SOURCE_TABLES: tuple[tuple[str, Any], ...] = (
    ("products", Product),
    ("customers", Customer),
    ("orders", Order),
    ("events", Event),
    ("reviews", Review),
)


def collect_stats(
    settings: Settings, *, db: Database | None = None, vectors: VectorStore | None = None
) -> dict[str, Any]:
    """``{"vectors": {collection: n}, "sql": {table: n}, "sources": {source: {collection|table: n}}}``."""
    db = db or Database(settings)
    db.migrate()
    vectors = vectors or VectorStore(settings)
    sql = {t: n for t, n in db.table_counts().items() if t not in EXCLUDED_TABLES}
    with db.session() as s:
        names = sorted(s.scalars(select(SourceRecord.source).distinct()))
        per_source: dict[str, dict[str, int]] = {name: {} for name in names}
        for table, model in SOURCE_TABLES:
            for src, n in s.execute(select(model.source, func.count()).group_by(model.source)):
                per_source.setdefault(src, {})[table] = int(n)
        for src, n in s.execute(select(SourceRecord.source, func.count()).group_by(SourceRecord.source)):
            per_source.setdefault(src, {})["source_records"] = int(n)
    for src in list(per_source):
        for col in COLLECTIONS:
            n = len(vectors.collection(col).get(where={"source": src}, include=[])["ids"])
            if n:
                per_source[src][col] = n
    return {
        "vectors": vectors.counts(),
        "sql": dict(sorted(sql.items())),
        "sources": {k: dict(sorted(v.items())) for k, v in sorted(per_source.items())},
    }
