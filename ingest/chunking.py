"""Chunk stage: records -> texts to embed, with the metadata retrieval filters on.

Conversations that fit ``MAX_CHUNK_CHARS`` stay whole. Longer ones are cut into windows of
*exchanges*: an exchange is the customer's turn(s) plus the agent/system turns that answer them,
so a question is never separated from its answer. Windows are packed greedily; an exchange
longer than the limit is a window on its own (the embedder truncates, the stored text is whole).

Chunk ids are content hashes of (source, kind, record id, position, text): stable across runs,
different as soon as the text changes.

Example:
    >>> from ingest.records import ConversationRecord
    >>> rec = ConversationRecord(conversation_id="c1", intent="refund", turns=[
    ...     {"role": "customer", "text": "Refund?"}, {"role": "agent", "text": "Within 2 days."}])
    >>> [c.text for c in chunk_record(rec, source="demo", language="en")]
    ['Customer: Refund?\\nAgent: Within 2 days.']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from assistant.vectors import CollectionName, MetadataValue
from ingest.records import (
    ConversationRecord,
    PolicyPassage,
    ProductRecord,
    QARecord,
    Record,
    ReviewRecord,
    Turn,
    iso,
)

MAX_CHUNK_CHARS = 1200
ROLE_LABELS = {"customer": "Customer", "agent": "Agent", "system": "System"}

COLLECTION_OF: dict[str, CollectionName] = {
    "conversation": "conversations",
    "policy": "policies",
    "review": "reviews",
    "qa": "reviews",
    "product": "products",
}


@dataclass(slots=True)
class Chunk:
    id: str
    collection: CollectionName
    text: str
    metadata: dict[str, MetadataValue] = field(default_factory=dict)


def chunk_id(source: str, kind: str, record_id: str, index: int, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((source, kind, record_id, str(index), text)).encode("utf-8"))
    return f"{kind}-{digest.hexdigest()[:32]}"


def render(turns: list[Turn]) -> str:
    return "\n".join(f"{ROLE_LABELS[t.role]}: {t.text}" for t in turns)


def exchanges(turns: list[Turn]) -> list[list[Turn]]:
    """Group turns so each group starts at a customer turn that follows a reply.

    Agent greetings before the first customer turn join the first exchange.
    """
    groups: list[list[Turn]] = []
    for turn in turns:
        last = groups[-1] if groups else []
        starts_new = (
            turn.role == "customer"
            and any(t.role == "customer" for t in last)
            and last[-1].role != "customer"
        )
        if not groups or starts_new:
            groups.append([turn])
        else:
            groups[-1].append(turn)
    return groups


def windows(turns: list[Turn], limit: int = MAX_CHUNK_CHARS) -> list[list[Turn]]:
    """The conversation whole when it fits, else greedy windows of whole exchanges."""
    if len(render(turns)) <= limit:
        return [turns]
    out: list[list[Turn]] = []
    current: list[Turn] = []
    for ex in exchanges(turns):
        if current and len(render(current + ex)) > limit:
            out.append(current)
            current = []
        current = current + ex
    if current:
        out.append(current)
    return out


def chunk_record(record: Record, *, source: str, language: str = "") -> list[Chunk]:
    """The chunks of one (already redacted) record; records stored only in SQL give none."""
    kind = record.kind
    rid = record.record_id
    base: dict[str, MetadataValue] = {"source": source, "kind": kind}
    chunks: list[Chunk] = []

    def add(text: str, meta: dict[str, MetadataValue]) -> None:
        i = len(chunks)
        chunks.append(Chunk(chunk_id(source, kind, rid, i, text), COLLECTION_OF[kind], text, {**base, **meta}))

    if isinstance(record, ConversationRecord):
        for i, window in enumerate(windows(record.turns)):
            add(
                render(window),
                {
                    "conversation_id": rid,
                    "intent": record.intent,
                    "category": record.category,
                    "resolution": record.resolution,
                    "customer_id": record.customer_id,
                    "product_ids": ",".join(record.product_ids),
                    "timestamp": iso(next((t.timestamp for t in window if t.timestamp), record.timestamp)),
                    "language": language or "unknown",
                    "chunk_index": i,
                    "question": "\n".join(t.text for t in window if t.role == "customer"),
                    "answer": "\n".join(t.text for t in window if t.role == "agent"),
                },
            )
    elif isinstance(record, PolicyPassage):
        add(f"{record.title}\n\n{record.text}", {"title": record.title, "section": record.section, "doc": record.doc})
    elif isinstance(record, ReviewRecord):
        text = f"{record.title}\n{record.text}" if record.title and record.text else record.title or record.text
        add(
            text,
            {
                "product_id": record.product_id,
                "rating": float(record.rating or 0.0),
                "record_id": rid,
                "author_id": record.author_id or "",
                "timestamp": iso(record.timestamp),
            },
        )
    elif isinstance(record, QARecord):
        add(
            f"Q: {record.question}\nA: {record.answer}",
            {
                "product_id": record.product_id,
                "rating": 0.0,
                "record_id": rid,
                "author_id": "",
                "timestamp": iso(record.timestamp),
            },
        )
    elif isinstance(record, ProductRecord):
        add(
            record.text,
            {
                "product_id": rid,
                "name": record.name,
                "category": record.category,
                "price": float(record.price or 0.0),
                "available": bool(record.available),
            },
        )
    return chunks
