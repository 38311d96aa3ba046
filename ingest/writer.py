"""Write stage: Chroma first, then SQL in one transaction per batch; plus reconcile and removal.

Crash safety rests on the order of the writes. Chunk ids are deterministic, so re-upserting a
batch is harmless. A batch's SQL rows (domain rows and the ``SourceRecord`` rows that claim the
chunk ids) commit in one transaction *after* the Chroma upsert, and stale chunks of replaced
records are deleted only after that commit. Whatever instant a run dies at, Chroma holds at most
some chunks no ``SourceRecord`` claims; :meth:`Writer.reconcile` deletes those when the next run
starts (and re-queues records whose claimed chunks are missing), so a resumed run ends exactly
where a clean run would.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.store.db import Database
    >>> from assistant.vectors import VectorStore
    >>> s = Settings(data_dir="/tmp/shop-w")
    >>> db = Database(s); db.migrate()
    >>> Writer(db, VectorStore(s), run_id="r1").reconcile("demo")
    {'orphan_chunks_deleted': 0, 'records_requeued': 0}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assistant.store.db import Database, delete_chunks, save_chunks
from assistant.store.models import (
    Customer,
    Event,
    Order,
    OrderItem,
    Product,
    ProductVariant,
    Review,
    SourceRecord,
    VectorChunk,
)
from assistant.vectors import COLLECTIONS, CollectionName, VectorStore
from ingest.chunking import Chunk
from ingest.normalize import Normalized
from ingest.records import (
    CustomerRecord,
    EventRecord,
    OrderRecord,
    ProductRecord,
    Record,
    ReviewRecord,
    short_hash,
)

SQL_CHUNK = 500  # ids per IN (...) clause: far below SQLite's variable limit


@dataclass(slots=True)
class Previous:
    content_hash: str
    collection: str | None
    chunk_ids: list[str]


@dataclass(slots=True)
class Prepared:
    """One record ready to write: normalised, redacted, chunked."""

    item: Normalized
    record: Record
    chunks: list[Chunk] = field(default_factory=list)
    previous: Previous | None = None


def _chunks(seq: Sequence[Any], n: int = SQL_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def event_row_id(source: str, record_id: str) -> str:
    # Event ids are scoped by source: two sources may log the very same event.
    return short_hash(source, record_id)


def domain_row(record: Record, source: str, content_hash: str) -> Any:
    """The SQL row a record becomes (None for kinds that live only in Chroma)."""
    if isinstance(record, ProductRecord):
        return Product(
            id=record.product_id,
            name=record.name,
            category=record.category,
            brand=record.brand,
            description=record.description,
            price=record.price,
            available=bool(record.available),
            tags=list(record.tags),
            source=source,
            content_hash=content_hash,
            variants=[
                ProductVariant(id=v.variant_id, options=dict(v.options), price=v.price, available=v.available)
                for v in record.variants
            ],
        )
    if isinstance(record, CustomerRecord):
        return Customer(
            id=record.customer_id,
            name=record.name,
            email=record.email,
            zip=record.zip,
            address=dict(record.address),
            source=source,
            content_hash=content_hash,
        )
    if isinstance(record, OrderRecord):
        return Order(
            id=record.order_id,
            customer_id=record.customer_id,
            created_at=record.created_at,
            status=record.status,
            tracking_carrier=record.tracking_carrier,
            tracking_number=record.tracking_number,
            shipping_address=dict(record.shipping_address),
            total=record.total,
            source=source,
            content_hash=content_hash,
            items=[
                OrderItem(product_id=i.product_id, variant_id=i.variant_id, name=i.name, quantity=i.quantity,
                          price=i.price)
                for i in record.items
            ],
        )
    if isinstance(record, EventRecord):
        return Event(
            id=event_row_id(source, record.record_id),
            customer_id=record.customer_id,
            product_id=record.product_id,
            event_type=record.event_type,
            timestamp=record.timestamp,
            session_id=record.session_id,
            source=source,
        )
    if isinstance(record, ReviewRecord):
        return Review(
            id=record.review_id,
            product_id=record.product_id,
            rating=record.rating,
            title=record.title,
            text=record.text,
            author_id=record.author_id,
            timestamp=record.timestamp,
            source=source,
            content_hash=content_hash,
        )
    return None


class Writer:
    """Writes prepared batches of one run to both stores."""

    def __init__(self, db: Database, vectors: VectorStore, run_id: str) -> None:
        self.db = db
        self.vectors = vectors
        self.run_id = run_id

    # --- reading back -----------------------------------------------------------------------
    def lookup(self, source: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Previous]:
        """What earlier runs stored for these (kind, record id) keys of ``source``."""
        out: dict[tuple[str, str], Previous] = {}
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, rid in keys:
            by_kind[kind].append(rid)
        with self.db.session() as s:
            for kind, ids in by_kind.items():
                for part in _chunks(ids):
                    rows = s.execute(
                        select(SourceRecord.record_id, SourceRecord.content_hash, SourceRecord.collection,
                               SourceRecord.chunk_ids).where(
                            SourceRecord.source == source, SourceRecord.kind == kind,
                            SourceRecord.record_id.in_(part),
                        )
                    )
                    for rid, h, col, cids in rows:
                        out[(kind, rid)] = Previous(h, col, list(cids or []))
        return out

    def known_customers(self, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        found: set[str] = set()
        with self.db.session() as s:
            for part in _chunks(wanted):
                found.update(s.scalars(select(Customer.id).where(Customer.id.in_(part))))
        return found

    # --- writing ----------------------------------------------------------------------------
    def write(
        self,
        source: str,
        batch: Sequence[Prepared],
        embeddings: np.ndarray,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """Upsert the batch's chunks, commit its SQL rows, then drop chunks it made stale."""
        by_col: dict[CollectionName, list[int]] = defaultdict(list)
        flat: list[Chunk] = [c for p in batch for c in p.chunks]
        for i, c in enumerate(flat):
            by_col[c.collection].append(i)
        for col, idx in by_col.items():
            self.vectors.upsert(
                col,
                [flat[i].id for i in idx],
                [flat[i].text for i in idx],
                [flat[i].metadata for i in idx],
                embeddings=embeddings[idx],
            )
        if before_commit is not None:
            before_commit()
        self._commit_sql(source, batch)
        stale: dict[str, list[str]] = defaultdict(list)
        for p in batch:
            if p.previous and p.previous.collection:
                keep = {c.id for c in p.chunks}
                stale[p.previous.collection].extend(i for i in p.previous.chunk_ids if i not in keep)
        for name, ids in stale.items():
            for col in COLLECTIONS:
                if col == name and ids:
                    self.vectors.delete(col, ids=ids)
                    with self.db.session() as s:
                        delete_chunks(s, col, ids)

    def _commit_sql(self, source: str, batch: Sequence[Prepared]) -> None:
        with self.db.session() as s:
            for p in batch:
                row = domain_row(p.record, source, p.item.content_hash)
                if row is not None:
                    if isinstance(row, Event) and p.previous is None:
                        s.add(row)  # source-scoped id: cannot exist without its SourceRecord
                    else:
                        s.merge(row)
            self._upsert_source_records(s, source, batch)
            by_col: dict[str, list[Chunk]] = defaultdict(list)  # what `shopassist reindex` rebuilds from
            for c in (c for p in batch for c in p.chunks):
                by_col[c.collection].append(c)
            for col, cs in by_col.items():
                save_chunks(s, col, source, [c.id for c in cs], [c.text for c in cs], [c.metadata for c in cs])

    def _upsert_source_records(self, s: Session, source: str, batch: Sequence[Prepared]) -> None:
        for p in batch:
            collection = p.chunks[0].collection if p.chunks else None
            values = {
                "content_hash": p.item.content_hash,
                "collection": collection,
                "chunk_ids": [c.id for c in p.chunks],
                "run_id": self.run_id,
            }
            if p.previous is not None:
                s.execute(
                    update(SourceRecord)
                    .where(SourceRecord.source == source, SourceRecord.kind == p.record.kind,
                           SourceRecord.record_id == p.record.record_id)
                    .values(**values)
                )
            else:
                s.add(SourceRecord(source=source, kind=p.record.kind, record_id=p.record.record_id, **values))

    # --- recovery and removal ---------------------------------------------------------------
    def reconcile(self, source: str) -> dict[str, int]:
        """Make Chroma agree with the SQL claims of ``source`` after an interrupted run."""
        claimed: dict[str, set[str]] = defaultdict(set)
        owners: dict[str, tuple[str, str]] = {}
        with self.db.session() as s:
            rows = s.execute(
                select(SourceRecord.kind, SourceRecord.record_id, SourceRecord.collection, SourceRecord.chunk_ids)
                .where(SourceRecord.source == source, SourceRecord.collection.is_not(None))
            )
            for kind, rid, col, cids in rows:
                for cid in cids or []:
                    claimed[col].add(cid)
                    owners[cid] = (kind, rid)
        orphans = 0
        requeue: set[tuple[str, str]] = set()
        for col in COLLECTIONS:
            present = set(self.vectors.collection(col).get(where={"source": source}, include=[])["ids"])
            extra = sorted(present - claimed.get(col, set()))
            if extra:
                for part in _chunks(extra, 5000):
                    self.vectors.delete(col, ids=list(part))
                    with self.db.session() as s:
                        delete_chunks(s, col, list(part))
                orphans += len(extra)
            missing = claimed.get(col, set()) - present
            requeue.update(owners[c] for c in missing)
        if requeue:
            # Claimed chunks that Chroma lost: forget the hash so the next pass rewrites them.
            with self.db.session() as s:
                for kind, rid in requeue:
                    s.execute(
                        update(SourceRecord)
                        .where(SourceRecord.source == source, SourceRecord.kind == kind,
                               SourceRecord.record_id == rid)
                        .values(content_hash="")
                    )
        return {"orphan_chunks_deleted": orphans, "records_requeued": len(requeue)}


def remove_source_data(source: str, db: Database, vectors: VectorStore) -> dict[str, int]:
    """Delete everything ``source`` brought in, from Chroma and SQL; counts per collection/table."""
    removed: dict[str, int] = {}
    for col in COLLECTIONS:
        ids = vectors.collection(col).get(where={"source": source}, include=[])["ids"]
        for part in _chunks(list(ids), 5000):
            vectors.delete(col, ids=list(part))
        removed[col] = len(ids)
    with db.session() as s:
        own_customers = select(Customer.id).where(Customer.source == source)
        # Orders of *other* sources that point at this source's customers keep existing.
        s.execute(
            update(Order)
            .where(Order.customer_id.in_(own_customers), Order.source != source)
            .values(customer_id=None)
        )
        for model, table in (
            (Event, "events"),
            (Review, "reviews"),
            (Order, "orders"),
            (Product, "products"),
            (Customer, "customers"),
        ):
            ids = list(s.scalars(select(model.id).where(model.source == source)))
            for part in _chunks(ids):
                if model is Order:
                    s.execute(delete(OrderItem).where(OrderItem.order_id.in_(part)))
                if model is Product:
                    s.execute(delete(ProductVariant).where(ProductVariant.product_id.in_(part)))
                s.execute(delete(model).where(model.id.in_(part)))
            removed[table] = len(ids)
        s.execute(delete(VectorChunk).where(VectorChunk.source == source))
        res = s.execute(delete(SourceRecord).where(SourceRecord.source == source))
        removed["source_records"] = int(getattr(res, "rowcount", 0) or 0)
    return removed
