"""The agent console's JSON routes (``/api/agent/*``, agent or admin session required).

Thin: each route calls :class:`~assistant.services.support_desk.SupportDeskService`, which also
checks the role.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.api.auth import AgentUser
from assistant.api.deps import ServiceRoute, ServicesDep
from assistant.services.types import ConversationDetail, Decision, DraftView, ProfileView, QueueItem

router = APIRouter(prefix="/api/agent", tags=["agent"], route_class=ServiceRoute)


class DecisionBody(BaseModel):
    action: Decision
    text: str | None = Field(None, max_length=10_000, description="The edited reply (action=edit).")
    reason: str = Field("", max_length=2000, description="Why (required for action=reject).")


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class Ok(BaseModel):
    ok: bool = True


@router.get("/queue", response_model=list[QueueItem])
def get_queue(services: ServicesDep, user: AgentUser) -> list[QueueItem]:
    """Conversations waiting for an agent, handoffs first."""
    return services.support_desk.queue(user)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, services: ServicesDep, user: AgentUser) -> ConversationDetail:
    """A conversation with its transcript and every draft."""
    return services.support_desk.conversation(user, conversation_id)


@router.post("/drafts/{draft_id}/decision", response_model=DraftView)
def post_decision(draft_id: int, body: DecisionBody, services: ServicesDep, user: AgentUser) -> DraftView:
    """Approve, edit-then-send, or reject (with a reason) a draft; 409 when it was already decided."""
    return services.support_desk.decide(user, draft_id, body.action, text=body.text, reason=body.reason)


@router.post("/conversations/{conversation_id}/reply", response_model=DraftView)
def post_reply(conversation_id: str, body: ReplyBody, services: ServicesDep, user: AgentUser) -> DraftView:
    """Send the customer a reply written from scratch."""
    return services.support_desk.reply(user, conversation_id, body.text)


@router.post("/conversations/{conversation_id}/release", response_model=Ok)
def post_release(conversation_id: str, services: ServicesDep, user: AgentUser) -> Ok:
    """Hand the conversation back to the assistant."""
    services.support_desk.release(user, conversation_id)
    return Ok()


@router.post("/conversations/{conversation_id}/resolve", response_model=Ok)
def post_resolve(conversation_id: str, services: ServicesDep, user: AgentUser) -> Ok:
    """Close the conversation (it leaves the queue)."""
    services.support_desk.resolve(user, conversation_id)
    return Ok()


@router.post("/conversations/{conversation_id}/suggestions", response_model=list[DraftView])
def post_suggestions(conversation_id: str, services: ServicesDep, user: AgentUser) -> list[DraftView]:
    """Product suggestions for this customer (created once, then reviewed like drafts)."""
    return services.support_desk.suggestions(user, conversation_id)


@router.get("/suggestions", response_model=list[DraftView])
def get_suggestions(services: ServicesDep, user: AgentUser) -> list[DraftView]:
    """Pending product suggestions of every conversation."""
    return services.support_desk.drafts(user, "pending", kind="recommendation")


@router.get("/customers/{customer_id}/profile", response_model=ProfileView)
def get_profile(customer_id: str, services: ServicesDep, user: AgentUser) -> ProfileView:
    """The customer's interest profile and recent events."""
    return services.support_desk.profile(user, customer_id)
