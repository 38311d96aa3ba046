"""HTTP endpoints of the conversation assistant (mounted by the app under ``/api``).

The router needs ``request.app.state.assistant`` (an :class:`~assistant.conversation.engine.Assistant`).

Example:
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.include_router(router)
    >>> "/api/conversations" in {r.path for r in app.routes}
    True
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool

from assistant.conversation.engine import Assistant, ConversationNotFound
from assistant.conversation.types import DraftView, MessageView, SessionEvent, TurnResult

router = APIRouter(prefix="/api", tags=["conversations"])


def get_assistant(request: Request) -> Assistant:
    """The app's assistant (set by the app factory as ``app.state.assistant``)."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(503, "the assistant is not configured on this server")
    return assistant  # type: ignore[no-any-return]


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


class CreateConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, max_length=64, description="Known customer (not verified).")


class ConversationCreated(BaseModel):
    conversation_id: str


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    session_events: list[SessionEvent] = Field(default_factory=list, max_length=200)


class ConversationDetail(BaseModel):
    id: str
    customer_id: str | None
    verified: bool
    status: Literal["open", "handoff", "closed"]
    intent: str | None
    language: str | None
    summary: str
    messages: list[MessageView]


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


class StreamEvent(BaseModel):
    """One NDJSON line of a streamed reply: ``delta`` lines, then one ``result`` line."""

    type: Literal["delta", "result", "error"]
    text: str | None = None
    result: TurnResult | None = None


def _not_found(exc: Exception) -> HTTPException:
    return HTTPException(404, f"no such conversation: {exc.args[0] if exc.args else ''}")


@router.post("/conversations", response_model=ConversationCreated, status_code=201)
def create_conversation(assistant: AssistantDep, body: CreateConversation | None = None) -> ConversationCreated:
    """Open a conversation."""
    return ConversationCreated(conversation_id=assistant.start_conversation(body.customer_id if body else None))


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
    assistant: AssistantDep,
    stream: Annotated[bool, Query(description="Stream NDJSON deltas, then the final result.")] = False,
) -> Any:
    """Send a customer message; the reply cites its sources as [n] markers."""
    if not stream:
        try:
            return assistant.send(conversation_id, body.text, body.session_events)
        except ConversationNotFound as exc:
            raise _not_found(exc) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    # Fail fast (404) before the 200 streaming response starts.
    try:
        assistant.conversation(conversation_id)
    except ConversationNotFound as exc:
        raise _not_found(exc) from None

    def lines() -> Iterator[str]:
        try:
            for item in assistant.stream(conversation_id, body.text, body.session_events):
                if isinstance(item, TurnResult):
                    yield StreamEvent(type="result", result=item).model_dump_json() + "\n"
                else:
                    yield json.dumps({"type": "delta", "text": item}) + "\n"
        except Exception as exc:  # the status line is already sent: report in-band
            yield json.dumps({"type": "error", "text": f"{type(exc).__name__}"}) + "\n"

    return StreamingResponse(iterate_in_threadpool(lines()), media_type="application/x-ndjson")


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, assistant: AssistantDep) -> ConversationDetail:
    """A conversation with its full history (it can be resumed any time)."""
    try:
        info = assistant.conversation(conversation_id)
        messages = assistant.history(conversation_id)
    except ConversationNotFound as exc:
        raise _not_found(exc) from None
    return ConversationDetail(**info, messages=messages)


@router.post("/conversations/{conversation_id}/handoff", response_model=HandoffOut)
def request_handoff(conversation_id: str, assistant: AssistantDep, body: HandoffIn | None = None) -> HandoffOut:
    """Move the conversation to the agents' queue."""
    try:
        result = assistant.request_handoff(conversation_id, body.reason if body else "customer request")
    except ConversationNotFound as exc:
        raise _not_found(exc) from None
    return HandoffOut(handed_off=True, result=result)


@router.get("/suggestions", response_model=list[DraftView])
def list_suggestions(
    assistant: AssistantDep,
    status: Annotated[
        Literal["pending", "approved", "edited", "rejected", "all"], Query(description="Filter by status.")
    ] = "pending",
) -> list[DraftView]:
    """Drafts waiting for agents: handoff replies and order-action requests."""
    return assistant.suggestions(None if status == "all" else status)


@router.post("/feedback", response_model=FeedbackOut)
def post_feedback(body: FeedbackIn, assistant: AssistantDep) -> FeedbackOut:
    """Thumbs up/down on an assistant message."""
    try:
        assistant.feedback(body.conversation_id, body.message_id, body.rating, body.comment)
    except ConversationNotFound as exc:
        raise _not_found(exc) from None
    return FeedbackOut()
