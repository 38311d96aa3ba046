"""Chunk stage: records -> texts to embed, with the metadata retrieval filters on.

Conversations that fit ``MAX_CHUNK_CHARS`` stay whole. Longer ones are cut into windows of
*exchanges*: an exchange is the customer's turn(s) plus the agent/system turns that answer them,
so a question is never separated from its answer. Windows are packed greedily; an exchange
longer than the limit is a window on its own (the embedder truncates, the stored text is whole).

Reviews longer than ``passage_chars`` (the ``review_passage_chars`` setting) are stored as
passages of whole sentences (:func:`assistant.retrieval.text.split_passages`), each chunk keeping
the review's ``record_id`` and its ``chunk_index``: the encoder reads 256 word pieces at most, and
an answer is usually one span of a long review. The retriever ranks a review by its best passage
(``HybridRetriever.group_by``), so results stay one per review.

Chunk ids are content hashes of (source, kind, record id, position, text): stable across runs,
different as soon as the text changes (a re-ingested review's old passages are then deleted).

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

from assistant.retrieval.text import split_passages, text_weight
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


def review_passages(title: str, text: str, passage_chars: int) -> list[str]:
    """A review's chunk texts: title and text whole when they fit in ``passage_chars`` (or it is 0, or
    the text makes one passage), else the text's sentence passages with the title before the first
    one. The text is split once.

    Example:
        >>> review_passages("Loud", "Great bass. Battery lasts a day. The case cracked.", 30)
        ['Loud\\nGreat bass.', 'Battery lasts a day.', 'The case cracked.']
    """
    whole = f"{title}\n{text}" if title and text else title or text
    if passage_chars <= 0 or not text or text_weight(whole) <= passage_chars:
        return [whole]
    parts = split_passages(text, passage_chars)  # the one split: the text's, the title goes before it
    if len(parts) == 1:
        return [whole]
    if title:
        parts[0] = f"{title}\n{parts[0]}"
    return parts


def chunk_record(record: Record, *, source: str, language: str = "", passage_chars: int = 0) -> list[Chunk]:
    """The chunks of one (already redacted) record; records stored only in SQL give none.

    ``passage_chars`` > 0: a longer review becomes several passages (:func:`review_passages`)."""
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
        for i, text in enumerate(review_passages(record.title, record.text, passage_chars)):
            add(
                text,
                {
                    "product_id": record.product_id,
                    "rating": float(record.rating or 0.0),
                    "record_id": rid,
                    "author_id": record.author_id or "",
                    "timestamp": iso(record.timestamp),
                    "chunk_index": i,
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
