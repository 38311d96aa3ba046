"""Forget a customer: ``shopassist forget-customer ID``, and the function an admin route calls.

Deleted: the customer's profile row, their live conversations (by ``customer_id`` or verified
identity) with every row that hangs off a conversation (messages, feedback, drafts, and any table
added later with a ``conversation_id`` column), every row of any table with a ``customer_id``
column (events and whatever later work adds), and the vectors of their ingested past conversations
(Chroma entries whose metadata names them, and their ``vector_chunks`` source text).

Kept, stripped: orders (the demo policy keeps order records for tax reasons) lose the customer link
and the shipping address; reviews lose their author id.

The ``source_records`` bookkeeping rows stay, with the conversation chunks they claimed emptied: an
unchanged source file ingested again finds them "unchanged" and does not bring the customer back.
Removing the customer from the source file itself is the shop's job.

On SQLite the file is then VACUUMed (and the WAL truncated), so deleted text does not linger in
free pages; an embedded Chroma's SQLite file is vacuumed too.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> result = forget_customer(Services.build(Settings(data_dir="/tmp/shop")), "C001")  # doctest: +SKIP
    >>> result.conversations, result.orders_stripped  # doctest: +SKIP
    (2, 3)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, text, update

from assistant.store.models import Base, Conversation, Customer, Order, Review, SourceRecord, VectorChunk

if TYPE_CHECKING:
    from assistant.interest.online import InterestService
    from assistant.store.db import Database
    from assistant.vectors import VectorStore


class UnknownCustomer(KeyError):
    """No trace of this customer id in any store."""


@dataclass(frozen=True)
class ForgetResult:
    """What :func:`forget_customer` deleted or stripped (counts of rows / vector entries)."""

    customer_id: str
    profile_deleted: bool
    conversations: int
    deleted_rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    orders_stripped: int = 0
    reviews_stripped: int = 0
    vectors_deleted: int = 0
    vacuumed: bool = False

    @property
    def total(self) -> int:
        return int(self.profile_deleted) + sum(self.deleted_rows.values()) + self.vectors_deleted


def _chroma_vacuum(vectors: VectorStore) -> bool:
    path = vectors.settings.chroma_path / "chroma.sqlite3"
    if vectors.settings.chroma_host or not path.is_file():
        return False
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return True


def forget_customer(
    db: Database,
    vectors: VectorStore,
    customer_id: str,
    *,
    interest: InterestService | None = None,
    vacuum: bool = True,
) -> ForgetResult:
    """Delete or strip everything about ``customer_id``; raises UnknownCustomer if nothing was found."""
    deleted: dict[str, int] = {}
    # 1. Vectors of their ingested conversations (Chroma first: SQL still says what to delete on a retry).
    col = vectors.collection("conversations")
    chunk_ids = list(col.get(where={"customer_id": customer_id}, include=[])["ids"])
    for start in range(0, len(chunk_ids), 5000):
        vectors.delete("conversations", ids=chunk_ids[start : start + 5000])
    gone = set(chunk_ids)
    with db.session() as s:
        # Chunks SQL records for them (also those Chroma had already lost).
        rows = s.execute(select(VectorChunk.id, VectorChunk.meta).where(VectorChunk.collection == "conversations"))
        for cid, meta in rows:
            if isinstance(meta, dict) and meta.get("customer_id") == customer_id:
                gone.add(cid)
        if gone:
            ids = sorted(gone)
            for start in range(0, len(ids), 500):
                s.execute(delete(VectorChunk).where(VectorChunk.collection == "conversations",
                                                    VectorChunk.id.in_(ids[start : start + 500])))
            for rec in s.scalars(select(SourceRecord).where(SourceRecord.collection == "conversations")):
                if rec.chunk_ids and gone.intersection(rec.chunk_ids):
                    rec.chunk_ids = [c for c in rec.chunk_ids if c not in gone]
                    if not rec.chunk_ids:
                        rec.collection = None

        # 2. Live conversations and everything hanging off them.
        conv_ids = list(
            s.scalars(
                select(Conversation.id).where(
                    (Conversation.customer_id == customer_id) | (Conversation.verified_customer_id == customer_id)
                )
            )
        )
        tables = list(reversed(Base.metadata.sorted_tables))  # children before parents
        if conv_ids:
            for table in tables:
                if table.name != "conversations" and "conversation_id" in table.c:
                    n = 0
                    for start in range(0, len(conv_ids), 500):
                        res = s.execute(delete(table).where(table.c.conversation_id.in_(conv_ids[start : start + 500])))
                        n += int(getattr(res, "rowcount", 0) or 0)
                    if n:
                        deleted[table.name] = deleted.get(table.name, 0) + n
            for start in range(0, len(conv_ids), 500):
                s.execute(delete(Conversation).where(Conversation.id.in_(conv_ids[start : start + 500])))
            deleted["conversations"] = len(conv_ids)

        # 3. Every other table keyed by customer (events, and what later work adds), orders excepted.
        for table in tables:
            if table.name in ("orders", "customers", "conversations") or "customer_id" not in table.c:
                continue
            res = s.execute(delete(table).where(table.c.customer_id == customer_id))
            n = int(getattr(res, "rowcount", 0) or 0)
            if n:
                deleted[table.name] = deleted.get(table.name, 0) + n

        # 4. Orders kept, stripped; reviews kept, anonymous; then the profile.
        orders = s.execute(
            update(Order).where(Order.customer_id == customer_id).values(customer_id=None, shipping_address={})
        )
        reviews = s.execute(update(Review).where(Review.author_id == customer_id).values(author_id=None))
        profile = s.execute(delete(Customer).where(Customer.id == customer_id))
        profile_deleted = bool(getattr(profile, "rowcount", 0))
        n_orders = int(getattr(orders, "rowcount", 0) or 0)
        n_reviews = int(getattr(reviews, "rowcount", 0) or 0)

    if not (profile_deleted or deleted or gone or n_orders or n_reviews):
        raise UnknownCustomer(customer_id)
    # 5. Caches of this process (other workers re-read histories from SQL: see docs/deployment.md).
    if interest is not None:
        _drop_from_interest(interest, customer_id)
    vacuumed = False
    if vacuum:
        vacuumed = vacuum_stores(db, vectors)
    return ForgetResult(
        customer_id=customer_id,
        profile_deleted=profile_deleted,
        conversations=len(conv_ids),
        deleted_rows=dict(sorted(deleted.items())),
        orders_stripped=n_orders,
        reviews_stripped=n_reviews,
        vectors_deleted=len(gone),
        vacuumed=vacuumed,
    )


def _drop_from_interest(interest: Any, customer_id: str) -> None:
    lock = getattr(interest, "_lock", None)
    events = getattr(interest, "_events", None)
    if isinstance(events, dict):
        if lock is not None:
            with lock:
                events.pop(customer_id, None)
        else:
            events.pop(customer_id, None)


def vacuum_stores(db: Database, vectors: VectorStore) -> bool:
    """VACUUM the SQLite files (SQL store and an embedded Chroma), so deleted text leaves the disk.

    PostgreSQL: deleted rows disappear from the heap at the next (auto)vacuum; run
    ``VACUUM FULL`` on the affected tables for an immediate rewrite.
    """
    if db.engine.dialect.name != "sqlite":
        return False
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        conn.execute(text("VACUUM"))
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    _chroma_vacuum(vectors)
    return True
