"""The customer's HTTP API: conversations, messages (streamed or not), feedback, handoff, clicks.

Creating a conversation returns a secret ``conversation_token`` (and sets it as an HttpOnly,
SameSite=Strict cookie for browsers); every other route of that conversation needs it, as the
``X-Conversation-Token`` header or that cookie, or an agent/admin session. A customer is known
only by a shop-signed ``identity_token`` given at creation (or by verifying in the chat):
``customer_id`` cannot be claimed.

Example:
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.include_router(router)
    >>> "/api/conversations" in app.openapi()["paths"]
    True
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import iterate_in_threadpool

from assistant.api.auth import AgentUser
from assistant.api.deps import (
    ConversationCaller,
    ServiceRoute,
    ServicesDep,
    caller_for,
    conversation_cookie,
    conversation_token_scheme,
    staff_session,
)
from assistant.services.types import (
    ClickResult,
    ConversationDetail,
    ConversationStarted,
    DraftView,
    MessageView,
    Recommendation,
    SessionEvent,
    SessionUser,
    TurnResult,
)

router = APIRouter(prefix="/api", tags=["conversations"], route_class=ServiceRoute)

# Pydantic's own bound on a message; the configured limit (conversation.max_message_chars) is checked
# by the chat service, which answers 422 with the limit in the message.
HARD_MESSAGE_LIMIT = 100_000


class CreateConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identity_token: str | None = Field(
        default=None,
        max_length=512,
        description="Shop-signed proof of the signed-in customer (see docs/ui.md); omit for a guest.",
    )
    customer_id: str | None = Field(
        default=None, description="Not accepted: a customer id cannot be claimed. Send identity_token instead."
    )

    @model_validator(mode="after")
    def _no_claims(self) -> CreateConversation:
        if self.customer_id is not None:
            raise ValueError(
                "customer_id cannot be set by the caller; pass a shop-signed identity_token for a signed-in customer"
            )
        return self


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=HARD_MESSAGE_LIMIT)
    session_events: list[SessionEvent] = Field(default_factory=list, max_length=200)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=64)
    message_id: int = Field(ge=1)
    rating: Literal[-1, 1]
    comment: str = Field(default="", max_length=2000)


class FeedbackOut(BaseModel):
    ok: bool = True


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="customer request", max_length=500)


class HandoffOut(BaseModel):
    handed_off: bool
    result: TurnResult | None = None


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=64)


class StreamEvent(BaseModel):
    """One NDJSON line of a streamed reply: ``delta`` lines, then one ``result`` line."""

    type: Literal["delta", "result", "error"]
    text: str | None = None
    result: TurnResult | None = None


@router.post("/conversations", response_model=ConversationStarted, status_code=201)
def create_conversation(
    services: ServicesDep, request: Request, response: Response, body: CreateConversation | None = None
) -> ConversationStarted:
    """Open a conversation (as a guest, or as the customer an ``identity_token`` proves).

    The response holds the ``conversation_token`` every later call of this conversation needs;
    browsers also get it as an HttpOnly cookie. One client address may open
    ``security.conversations_per_client`` conversations (429 with Retry-After beyond).
    """
    client = request.client.host if request.client else ""
    started = services.chat.start(identity_token=body.identity_token if body else None, client=client)
    settings = services.settings
    response.set_cookie(
        conversation_cookie(started.conversation_id),
        started.conversation_token,
        max_age=settings.conversation_cookie_days * 86400,
        httponly=True,
        samesite="strict",
        secure=settings.session_cookie_secure,
        path="/api",
    )
    return started


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=TurnResult,
    responses={
        200: {
            "content": {"application/x-ndjson": {"schema": StreamEvent.model_json_schema()}},
            "description": "The reply; with ?stream=true, NDJSON StreamEvent lines.",
        }
    },
)
def send_message(
    conversation_id: str,
    body: SendMessage,
    services: ServicesDep,
    caller: ConversationCaller,
    stream: Annotated[bool, Query(description="Stream NDJSON deltas, then the final result.")] = False,
) -> Any:
    """Send a customer message; the reply cites its sources as [n] markers. One client address may send
    ``security.messages_per_client`` messages (429 with Retry-After beyond)."""
    if not stream:
        return services.chat.send(conversation_id, caller, body.text, body.session_events)
    # Checks (token, length) run here, so a refusal is a 4xx before the 200 streaming response starts.
    items = services.chat.stream(conversation_id, caller, body.text, body.session_events)

    def lines() -> Iterator[str]:
        try:
            for item in items:
                if isinstance(item, TurnResult):
                    yield StreamEvent(type="result", result=item).model_dump_json() + "\n"
                else:
                    yield json.dumps({"type": "delta", "text": item}) + "\n"
        except Exception as exc:  # the status line is already sent: report in-band
            yield json.dumps({"type": "error", "text": f"{type(exc).__name__}"}) + "\n"

    return StreamingResponse(iterate_in_threadpool(lines()), media_type="application/x-ndjson")


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, services: ServicesDep, caller: ConversationCaller) -> ConversationDetail:
    """A conversation with its full history (it can be resumed any time). One client address may read
    ``security.transcripts_per_client`` transcripts (429 with Retry-After beyond)."""
    return services.chat.detail(conversation_id, caller)


@router.post("/conversations/{conversation_id}/handoff", response_model=HandoffOut)
def request_handoff(
    conversation_id: str, services: ServicesDep, caller: ConversationCaller, body: HandoffIn | None = None
) -> HandoffOut:
    """Move the conversation to the agents' queue. One client address may ask
    ``security.handoffs_per_client`` times (429 with Retry-After beyond)."""
    result = services.chat.request_handoff(conversation_id, caller, body.reason if body else "customer request")
    return HandoffOut(handed_off=True, result=result)


@router.post("/conversations/{conversation_id}/clicks", response_model=ClickResult)
def post_click(conversation_id: str, body: ClickIn, services: ServicesDep, caller: ConversationCaller) -> ClickResult:
    """The customer opened a product card: recorded (click-through, interests); returns the product
    and the recommendations that follow from it."""
    return services.chat.click(conversation_id, caller, body.product_id)


@router.get("/conversations/{conversation_id}/recommendations", response_model=list[Recommendation])
def get_recommendations(
    conversation_id: str,
    services: ServicesDep,
    caller: ConversationCaller,
    k: Annotated[int, Query(ge=1, le=50)] = 3,
) -> list[Recommendation]:
    """Products for this conversation's customer now (recorded as shown)."""
    return services.chat.recommendations(conversation_id, caller, k=k)


@router.get("/conversations/{conversation_id}/agent-messages", response_model=list[MessageView])
def get_agent_messages(
    conversation_id: str,
    services: ServicesDep,
    caller: ConversationCaller,
    after: Annotated[int, Query(ge=0, description="Only messages with a larger id.")] = 0,
) -> list[MessageView]:
    """Replies from the shop's team (what an open chat polls for). One client address may poll
    ``security.agent_polls_per_client`` times (429 with Retry-After beyond)."""
    return services.chat.agent_replies(conversation_id, caller, after)


@router.post("/feedback", response_model=FeedbackOut)
def post_feedback(
    body: FeedbackIn,
    services: ServicesDep,
    request: Request,
    staff: Annotated[SessionUser | None, Depends(staff_session)],
    token: Annotated[str | None, Security(conversation_token_scheme)] = None,
) -> FeedbackOut:
    """Thumbs up/down on an assistant message (needs that conversation's token)."""
    caller = caller_for(request, body.conversation_id, token, staff)
    services.chat.feedback(body.conversation_id, caller, body.message_id, body.rating, body.comment)
    return FeedbackOut()


@router.get("/suggestions", response_model=list[DraftView], tags=["agent"])
def list_suggestions(
    services: ServicesDep,
    user: AgentUser,
    status: Annotated[
        Literal["pending", "approved", "edited", "rejected", "all"], Query(description="Filter by status.")
    ] = "pending",
) -> list[DraftView]:
    """Drafts waiting for agents: handoff replies and order-action requests (agent or admin session)."""
    return services.support_desk.drafts(user, None if status == "all" else status)
