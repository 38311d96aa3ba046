"""Redact stage: every free text written by customers or agents goes through ``ingest.redact``.

What is redacted: conversation turns, review titles and texts, Q&A questions and answers.
What is not: policy passages and catalog text (written by the shop, and the contact details in
them are meant to be given out), and customer identity fields (kept on purpose: the order
lookup checks name, email and zip).

Example:
    >>> from ingest.records import ReviewRecord
    >>> recs, found = redact_records([ReviewRecord(review_id="r", product_id="p",
    ...     text="Mail me at jo@example.com")])
    >>> recs[0].text, dict(found)
    ('Mail me at <EMAIL>', {'EMAIL': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ingest.records import ConversationRecord, QARecord, Record, ReviewRecord, Turn


def redact_records(records: Sequence[Record]) -> tuple[list[Record], Counter[str]]:
    """Redacted copies of ``records`` (one batched redactor call) and the PII counts found."""
    from ingest.redact import get_redactor

    texts: list[str] = []
    for rec in records:
        if isinstance(rec, ConversationRecord):
            texts.extend(t.text for t in rec.turns)
        elif isinstance(rec, ReviewRecord):
            texts.extend((rec.title, rec.text))
        elif isinstance(rec, QARecord):
            texts.extend((rec.question, rec.answer))
    if not texts:
        return list(records), Counter()
    results = get_redactor().redact_many(texts)
    found: Counter[str] = Counter()
    for res in results:
        found.update(res.found)
    out: list[Record] = []
    it = iter(r.text for r in results)
    for rec in records:
        if isinstance(rec, ConversationRecord):
            turns = [Turn(role=t.role, text=next(it), timestamp=t.timestamp) for t in rec.turns]
            out.append(rec.model_copy(update={"turns": turns}))
        elif isinstance(rec, ReviewRecord):
            out.append(rec.model_copy(update={"title": next(it), "text": next(it)}))
        elif isinstance(rec, QARecord):
            out.append(rec.model_copy(update={"question": next(it), "answer": next(it)}))
        else:
            out.append(rec)
    return out, found
