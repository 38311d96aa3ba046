"""Suggested answers' JSON routes (``/api/knowledge/*``): agents and admins review, admins re-mine.

Thin: each route calls :class:`~assistant.services.knowledge.KnowledgeService`, which also checks
the role; its errors become 404 / 403 / 409 / 422 (:class:`~assistant.api.deps.ServiceRoute`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from assistant.api.auth import AdminUser, AgentUser
from assistant.api.deps import ServiceRoute, ServicesDep
from assistant.knowledge.mining import MiningReport
from assistant.services.knowledge import AnswerView, CandidateStatus, CandidateView, DecisionResult

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"], route_class=ServiceRoute)


class EditBody(BaseModel):
    answer: str | None = Field(None, min_length=1, max_length=8000)
    topic: str | None = Field(None, min_length=1, max_length=200)
    question: str | None = Field(None, min_length=1, max_length=2000)


class IdsBody(BaseModel):
    ids: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=1000)


class RejectBody(IdsBody):
    reason: str = Field("", max_length=2000)


class MineBody(BaseModel):
    sources: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100, description="Ingested sources to mine; empty: all."
    )


@router.get("/candidates", response_model=list[CandidateView])
def get_candidates(
    services: ServicesDep,
    user: AgentUser,
    status: Annotated[CandidateStatus | None, Query(description="pending (default), approved or rejected")] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CandidateView]:
    """Answer candidates mined from past conversations, most conversations first."""
    return services.knowledge.candidates(user, status, limit, offset)


@router.get("/candidates/{candidate_id}", response_model=CandidateView)
def get_candidate(candidate_id: int, services: ServicesDep, user: AgentUser) -> CandidateView:
    return services.knowledge.candidate(user, candidate_id)


@router.patch("/candidates/{candidate_id}", response_model=CandidateView)
def patch_candidate(candidate_id: int, body: EditBody, services: ServicesDep, user: AgentUser) -> CandidateView:
    """Edit the answer, topic or question (on an approved answer: a new approved version)."""
    return services.knowledge.edit(user, candidate_id, answer=body.answer, topic=body.topic, question=body.question)


@router.post("/candidates/approve", response_model=DecisionResult)
def post_approve(body: IdsBody, services: ServicesDep, user: AgentUser) -> DecisionResult:
    """Approve candidates in bulk: the assistant answers from them, citing "Our answer on <topic>"."""
    return services.knowledge.approve(user, body.ids)


@router.post("/candidates/reject", response_model=DecisionResult)
def post_reject(body: RejectBody, services: ServicesDep, user: AgentUser) -> DecisionResult:
    """Reject candidates in bulk (approved ones are retired); re-mining never proposes them again."""
    return services.knowledge.reject(user, body.ids, body.reason)


@router.get("/answers", response_model=list[AnswerView])
def get_answers(
    services: ServicesDep,
    user: AgentUser,
    all_versions: Annotated[bool, Query(description="Every version, not only the live ones.")] = False,
) -> list[AnswerView]:
    """Approved answers: who approved each version and when."""
    return services.knowledge.answers(user, active_only=not all_versions)


@router.post("/mine", response_model=MiningReport)
def post_mine(body: MineBody, services: ServicesDep, user: AdminUser) -> MiningReport:
    """Re-mine the conversations already ingested (admins)."""
    return services.knowledge.mine(user, body.sources or None)
