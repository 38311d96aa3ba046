"""Answer candidates and approved answers: SQL rows (versioned) and the ``answers`` vector collection.

Approving a candidate writes a new :class:`~assistant.store.models.ApprovedAnswer` version (who,
when, the text as approved), marks older versions inactive and upserts one entry per candidate,
``answer-<candidate id>``, in the ``answers`` collection. Rejecting (or retiring) removes that
entry and deactivates the versions. The SQL rows are the truth: :func:`sync_answers` rebuilds the
collection from them (after a Chroma rebuild, or on a store that lost it).

What the assistant retrieves (``vectors.collection("answers")``), per entry:

- document: the approved answer text, with placeholders (:data:`~assistant.knowledge.distill.PLACEHOLDERS`)
  the assistant fills only from the current customer's verified data, or answers without;
- embedding: the mean of the question and its variants (as queries), so a customer's question
  finds it;
- metadata: ``kind="answer"``, ``source="approved-answers"``, ``candidate_id``, ``version``,
  ``topic``, ``title`` ("Our answer on <topic>": the citation), ``question``, ``intent``,
  ``approved_by``, ``approved_at`` (ISO), ``placeholders`` (comma-separated names used).

Example:
    >>> approve(db, vectors, [3], "ana")  # doctest: +SKIP
    [ApprovedAnswer(candidate_id=3, version=1, ...)]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import func, select, update

from assistant.knowledge.distill import PLACEHOLDER_RE
from assistant.store.db import Database
from assistant.store.models import AnswerCandidate, ApprovedAnswer, utcnow
from assistant.vectors import ANSWERS_COLLECTION, MetadataValue, VectorStore

ANSWERS_SOURCE = "approved-answers"
EXAMPLES_EMBEDDED = 6


class KnowledgeError(ValueError):
    """A knowledge request that cannot be applied; ``kind`` is not_found, conflict or invalid."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def entry_id(candidate_id: int) -> str:
    return f"answer-{candidate_id}"


def citation_title(topic: str) -> str:
    return f"Our answer on {topic}"


# --- reading -------------------------------------------------------------------------------------


def list_candidates(
    db: Database, status: str | None = "pending", limit: int = 200, offset: int = 0
) -> list[AnswerCandidate]:
    """Candidates, most conversations first (``status`` None: all)."""
    with db.session() as s:
        q = select(AnswerCandidate)
        if status:
            q = q.where(AnswerCandidate.status == status)
        q = q.order_by(AnswerCandidate.n_conversations.desc(), AnswerCandidate.id).limit(limit).offset(offset)
        return list(s.scalars(q))


def count_candidates(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(AnswerCandidate.status, func.count()).group_by(AnswerCandidate.status))
        return {str(status): int(n) for status, n in rows}


def get_candidate(db: Database, candidate_id: int) -> AnswerCandidate:
    with db.session() as s:
        row = s.get(AnswerCandidate, candidate_id)
        if row is None:
            raise KnowledgeError(f"no answer candidate {candidate_id}", "not_found")
        return row


def list_answers(db: Database, active_only: bool = True, candidate_id: int | None = None) -> list[ApprovedAnswer]:
    """Approved answer versions, newest first (``active_only``: the live version of each)."""
    with db.session() as s:
        q = select(ApprovedAnswer)
        if active_only:
            q = q.where(ApprovedAnswer.active.is_(True))
        if candidate_id is not None:
            q = q.where(ApprovedAnswer.candidate_id == candidate_id)
        return list(s.scalars(q.order_by(ApprovedAnswer.approved_at.desc(), ApprovedAnswer.id.desc())))


# --- writing -------------------------------------------------------------------------------------


def _clean(text: str | None, field: str, limit: int) -> str | None:
    if text is None:
        return None
    text = "\n".join(line.rstrip() for line in str(text).strip().splitlines())
    if not text:
        raise KnowledgeError(f"{field} must not be empty")
    if len(text) > limit:
        raise KnowledgeError(f"{field} is too long ({len(text)} characters, at most {limit})")
    return text


def edit_candidate(
    db: Database,
    vectors: VectorStore,
    candidate_id: int,
    editor: str,
    *,
    answer: str | None = None,
    topic: str | None = None,
    question: str | None = None,
) -> AnswerCandidate:
    """Change a candidate's text. On an approved candidate the edit is a new approved version."""
    answer = _clean(answer, "answer", 8000)
    topic = _clean(topic, "topic", 200)
    question = _clean(question, "question", 2000)
    with db.session() as s:
        row = s.get(AnswerCandidate, candidate_id)
        if row is None:
            raise KnowledgeError(f"no answer candidate {candidate_id}", "not_found")
        if row.status == "rejected":
            raise KnowledgeError(f"answer candidate {candidate_id} was rejected; it cannot be edited", "conflict")
        row.answer = answer if answer is not None else row.answer
        row.topic = topic if topic is not None else row.topic
        row.question = question if question is not None else row.question
        row.edited_by = editor
        approved = row.status == "approved"
    if approved:
        approve(db, vectors, [candidate_id], editor)
    return get_candidate(db, candidate_id)


def approve(db: Database, vectors: VectorStore, candidate_ids: Sequence[int], user: str) -> list[ApprovedAnswer]:
    """Approve candidates (a new version each) and publish them to the ``answers`` collection."""
    ids = _unique(candidate_ids)
    now = utcnow()
    out: list[ApprovedAnswer] = []
    with db.session() as s:
        rows = {r.id: r for r in s.scalars(select(AnswerCandidate).where(AnswerCandidate.id.in_(ids)))}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise KnowledgeError(f"no answer candidate {missing[0]}", "not_found")
        for i in ids:
            row = rows[i]
            if not row.answer.strip():
                raise KnowledgeError(f"answer candidate {i} has no answer text to approve")
            version = int(s.scalar(select(func.max(ApprovedAnswer.version)).where(
                ApprovedAnswer.candidate_id == i)) or 0) + 1
            s.execute(update(ApprovedAnswer).where(ApprovedAnswer.candidate_id == i).values(active=False))
            ans = ApprovedAnswer(candidate_id=i, version=version, topic=row.topic or "a common question",
                                 question=row.question, text=row.answer, approved_by=user, approved_at=now,
                                 active=True)
            s.add(ans)
            row.status, row.decided_by, row.decided_at, row.reason = "approved", user, now, ""
            out.append(ans)
        s.flush()
        examples = {i: [str(e) for e in (rows[i].examples or [])][:EXAMPLES_EMBEDDED] for i in ids}
        intents = {i: rows[i].intent for i in ids}
    publish(vectors, out, examples, intents)
    return out


def reject(db: Database, vectors: VectorStore, candidate_ids: Sequence[int], user: str, reason: str = "") -> int:
    """Reject candidates (approved ones are retired: their answer leaves the collection)."""
    ids = _unique(candidate_ids)
    now = utcnow()
    with db.session() as s:
        found = set(s.scalars(select(AnswerCandidate.id).where(AnswerCandidate.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise KnowledgeError(f"no answer candidate {missing[0]}", "not_found")
        s.execute(
            update(AnswerCandidate)
            .where(AnswerCandidate.id.in_(ids))
            .values(status="rejected", decided_by=user, decided_at=now, reason=(reason or "").strip()[:2000])
        )
        s.execute(update(ApprovedAnswer).where(ApprovedAnswer.candidate_id.in_(ids)).values(active=False))
    vectors.delete(ANSWERS_COLLECTION, ids=[entry_id(i) for i in ids])
    return len(ids)


def _unique(candidate_ids: Sequence[int]) -> list[int]:
    ids: list[int] = []
    for i in candidate_ids:
        if not isinstance(i, int) or isinstance(i, bool) or i < 1:
            raise KnowledgeError(f"candidate ids are positive integers, got {i!r}")
        if i not in ids:
            ids.append(i)
    if not ids:
        raise KnowledgeError("no candidate ids given")
    return ids


# --- the vector collection -------------------------------------------------------------------------


def _metadata(ans: ApprovedAnswer, intent: str) -> dict[str, MetadataValue]:
    approved_at: datetime = ans.approved_at
    return {
        "source": ANSWERS_SOURCE,
        "kind": "answer",
        "candidate_id": int(ans.candidate_id),
        "version": int(ans.version),
        "topic": ans.topic,
        "title": citation_title(ans.topic),
        "question": ans.question,
        "intent": intent,
        "approved_by": ans.approved_by,
        "approved_at": approved_at.isoformat(),
        "placeholders": ",".join(sorted(set(PLACEHOLDER_RE.findall(ans.text)))),
    }


def publish(
    vectors: VectorStore,
    answers: Sequence[ApprovedAnswer],
    examples: dict[int, list[str]],
    intents: dict[int, str],
) -> None:
    """Upsert the live version of each answer, embedded by its question and question variants."""
    if not answers:
        return
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for ans in answers:
        qs = [q for q in [ans.question, *examples.get(ans.candidate_id, [])] if q.strip()] or [ans.topic]
        spans.append((len(texts), len(texts) + len(qs)))
        texts.extend(qs)
    emb = vectors.embedder.encode(texts, is_query=True, batch_size=vectors.settings.embedding_batch_size)
    vecs = []
    for a, b in spans:
        v = emb[a:b].mean(axis=0)
        vecs.append(v / max(float(np.linalg.norm(v)), 1e-12))
    vectors.upsert(
        ANSWERS_COLLECTION,
        [entry_id(a.candidate_id) for a in answers],
        [a.text for a in answers],
        [_metadata(a, intents.get(a.candidate_id, "")) for a in answers],
        embeddings=np.asarray(vecs, dtype=np.float32),
    )


def sync_answers(db: Database, vectors: VectorStore) -> dict[str, int]:
    """Make the ``answers`` collection hold exactly the live approved answers (SQL is the truth)."""
    live = list_answers(db, active_only=True)
    with db.session() as s:
        cands = {c.id: c for c in s.scalars(select(AnswerCandidate).where(
            AnswerCandidate.id.in_([a.candidate_id for a in live])))} if live else {}
    wanted = {entry_id(a.candidate_id) for a in live}
    present = set(vectors.collection(ANSWERS_COLLECTION).get(include=[])["ids"])
    stale = sorted(present - wanted)
    vectors.delete(ANSWERS_COLLECTION, ids=stale)
    publish(
        vectors,
        live,
        {i: [str(e) for e in (c.examples or [])][:EXAMPLES_EMBEDDED] for i, c in cands.items()},
        {i: c.intent for i, c in cands.items()},
    )
    return {"published": len(live), "removed": len(stale)}
