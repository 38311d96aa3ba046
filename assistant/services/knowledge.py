"""Suggested answers: list, edit, approve and reject mined answer candidates; list approved answers; mine.

Agents and admins review; only admins re-mine the whole store. Every method takes the signed-in
``user`` and checks the role itself (:class:`~assistant.services.types.Forbidden` otherwise), so
no screen is the only protection. Errors are the services' own: :class:`NotFound`,
:class:`Conflict`, :class:`Invalid` (the API maps them to 404 / 409 / 422).

Example:
    >>> kb = services.knowledge  # doctest: +SKIP
    >>> pending = kb.candidates(user)  # doctest: +SKIP
    >>> kb.approve(user, [c.id for c in pending[:2]])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.knowledge import repository as repo
from assistant.knowledge.distill import PLACEHOLDER_RE
from assistant.knowledge.mining import MiningReport, mine
from assistant.services.types import Conflict, Forbidden, Invalid, NotFound, ServiceError, SessionUser
from assistant.store.db import Database
from assistant.store.models import AnswerCandidate, ApprovedAnswer
from assistant.vectors import VectorStore

CandidateStatus = Literal["pending", "approved", "rejected"]
SOURCES_SHOWN = 20


class CandidateView(BaseModel):
    """A mined answer candidate as reviewers see it."""

    id: int
    topic: str
    intent: str = ""
    question: str
    answer: str
    mined_answer: str = Field(description="The answer as mining distilled it, before any edit.")
    placeholders: list[str] = Field(description="Filled only from the current customer's verified data.")
    examples: list[str] = Field(description="Customers' variants of the question.")
    n_conversations: int = Field(description="Past conversations this answer was mined from.")
    sources: list[dict[str, str]] = Field(description="Some of those conversations (source, conversation id).")
    consistency: float = Field(description="Mean similarity of the agents' replies (1.0: always alike).")
    method: str
    status: CandidateStatus
    edited_by: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str = ""
    created_at: datetime
    updated_at: datetime


class AnswerView(BaseModel):
    """One approved version of an answer (the live one has ``active``)."""

    candidate_id: int
    version: int
    topic: str
    title: str = Field(description='How answers cite it: "Our answer on <topic>".')
    question: str
    text: str
    approved_by: str
    approved_at: datetime
    active: bool


class DecisionResult(BaseModel):
    decided: int
    status: CandidateStatus


def candidate_view(c: AnswerCandidate) -> CandidateView:
    return CandidateView(
        id=c.id,
        topic=c.topic,
        intent=c.intent,
        question=c.question,
        answer=c.answer,
        mined_answer=c.mined_answer,
        placeholders=sorted(set(PLACEHOLDER_RE.findall(c.answer))),
        examples=[str(e) for e in (c.examples or [])],
        n_conversations=c.n_conversations,
        sources=[{k: str(v) for k, v in s.items()} for s in (c.sources or [])[:SOURCES_SHOWN] if isinstance(s, dict)],
        consistency=c.consistency,
        method=c.method,
        status=c.status,
        edited_by=c.edited_by,
        decided_by=c.decided_by,
        decided_at=c.decided_at,
        reason=c.reason,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def answer_view(a: ApprovedAnswer) -> AnswerView:
    return AnswerView(
        candidate_id=a.candidate_id,
        version=a.version,
        topic=a.topic,
        title=repo.citation_title(a.topic),
        question=a.question,
        text=a.text,
        approved_by=a.approved_by,
        approved_at=a.approved_at,
        active=a.active,
    )


def _translate(exc: repo.KnowledgeError) -> ServiceError:
    if exc.kind == "not_found":
        return NotFound(str(exc))
    if exc.kind == "conflict":
        return Conflict(str(exc))
    return Invalid(str(exc))


class KnowledgeService:
    """The review of mined answers (module docstring)."""

    def __init__(
        self, settings: Settings, db: Database, vectors: VectorStore, on_change: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.vectors = vectors
        # Called after the approved answers change, so loaded retrieval caches see them.
        self.on_change = on_change or (lambda: None)

    @staticmethod
    def _require(user: SessionUser | None, role: str = "agent") -> SessionUser:
        if user is None or not user.can(role):
            raise Forbidden(f"this needs an {role} account")
        return user

    def candidates(
        self, user: SessionUser | None, status: CandidateStatus | None = "pending", limit: int = 200, offset: int = 0
    ) -> list[CandidateView]:
        self._require(user)
        if status is not None and status not in ("pending", "approved", "rejected"):
            raise Invalid("status must be pending, approved or rejected")
        if not 1 <= limit <= 1000 or offset < 0:
            raise Invalid("limit must be 1-1000 and offset >= 0")
        return [candidate_view(c) for c in repo.list_candidates(self.db, status, limit, offset)]

    def counts(self, user: SessionUser | None) -> dict[str, int]:
        self._require(user)
        return repo.count_candidates(self.db)

    def candidate(self, user: SessionUser | None, candidate_id: int) -> CandidateView:
        self._require(user)
        try:
            return candidate_view(repo.get_candidate(self.db, candidate_id))
        except repo.KnowledgeError as exc:
            raise _translate(exc) from None

    def edit(
        self,
        user: SessionUser | None,
        candidate_id: int,
        *,
        answer: str | None = None,
        topic: str | None = None,
        question: str | None = None,
    ) -> CandidateView:
        """Change the text; editing an approved answer publishes a new version at once."""
        who = self._require(user)
        try:
            row = repo.edit_candidate(self.db, self.vectors, candidate_id, who.username, answer=answer, topic=topic,
                                      question=question)
        except repo.KnowledgeError as exc:
            raise _translate(exc) from None
        if row.status == "approved":
            self.on_change()
        return candidate_view(row)

    def approve(self, user: SessionUser | None, candidate_ids: Sequence[int]) -> DecisionResult:
        """Approve one or many: each gets a new version in the answers the assistant cites."""
        who = self._require(user)
        try:
            done = repo.approve(self.db, self.vectors, list(candidate_ids), who.username)
        except repo.KnowledgeError as exc:
            raise _translate(exc) from None
        self.on_change()
        return DecisionResult(decided=len(done), status="approved")

    def reject(self, user: SessionUser | None, candidate_ids: Sequence[int], reason: str = "") -> DecisionResult:
        """Reject one or many (an approved one is retired); re-mining never proposes them again."""
        who = self._require(user)
        try:
            n = repo.reject(self.db, self.vectors, list(candidate_ids), who.username, reason)
        except repo.KnowledgeError as exc:
            raise _translate(exc) from None
        self.on_change()
        return DecisionResult(decided=n, status="rejected")

    def answers(
        self, user: SessionUser | None, active_only: bool = True, candidate_id: int | None = None
    ) -> list[AnswerView]:
        self._require(user)
        return [answer_view(a) for a in repo.list_answers(self.db, active_only, candidate_id)]

    def mine(self, user: SessionUser | None, sources: Sequence[str] | None = None) -> MiningReport:
        """Re-mine the stored conversations (admins): new candidates, refreshed pending ones."""
        self._require(user, "admin")
        report = mine(self.settings, self.db, self.vectors, list(sources) if sources else None)
        repo.sync_answers(self.db, self.vectors)
        self.on_change()
        return report

    def sync(self, user: SessionUser | None) -> dict[str, Any]:
        """Rebuild the answers collection from the approved answers (admins)."""
        self._require(user, "admin")
        done = repo.sync_answers(self.db, self.vectors)
        self.on_change()
        return done
