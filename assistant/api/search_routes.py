"""``GET /api/search?q=``: the personalized search box over HTTP (same results as the chat page's box).

A guest searches with no credential. Within a conversation, pass its ``conversation_id`` and its token
(``X-Conversation-Token`` header or the conversation cookie): results are then ranked for that
conversation's customer (a signed-in customer's history, or the guest conversation's own clicks).
``plain=true`` gives the plain text ranking. See :mod:`assistant.interest.search`.

Example:
    $ curl 'http://localhost:8000/api/search?q=stapler&k=5'
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Security
from pydantic import BaseModel

from assistant.api.deps import ServiceRoute, ServicesDep, caller_for, conversation_token_scheme, staff_session
from assistant.services.types import Caller, SessionUser

router = APIRouter(prefix="/api", tags=["search"], route_class=ServiceRoute)


class SearchHitView(BaseModel):
    product_id: str
    name: str
    category: str
    price: float | None
    available: bool
    score: float
    relevance: float
    reason: str


class SearchResponse(BaseModel):
    query: str
    mode: str  # personalized | guest | text
    hits: list[SearchHitView]
    millis: float


# The credentials are optional here: ``{}`` in the operation's security says so (OpenAPI).
@router.get("/search", response_model=SearchResponse, openapi_extra={"security": [{}]})
def search(
    request: Request,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=4000, description="What the customer typed.")],
    staff: Annotated[SessionUser | None, Depends(staff_session)],
    conversation_id: Annotated[
        str | None, Query(max_length=100, description="Rank for this conversation's customer.")
    ] = None,
    plain: Annotated[bool, Query(description="The plain text ranking, not personalized.")] = False,
    k: Annotated[int | None, Query(ge=1, le=100, description="Results (default search.results).")] = None,
    token: Annotated[str | None, Security(conversation_token_scheme)] = None,
) -> SearchResponse:
    """Products for ``q``, each with the reason it is shown, best first. One client address may search
    ``security.searches_per_client`` times (429 with Retry-After beyond)."""
    if conversation_id:
        caller = caller_for(request, conversation_id, token, staff)
    else:
        caller = Caller(staff=staff, client=request.client.host if request.client else "")
    res = services.chat.search(q, caller, conversation_id, k=k, personalized=not plain)
    return SearchResponse(
        query=res.query,
        mode=res.mode,
        hits=[SearchHitView(**vars(h)) for h in res.hits],
        millis=round(res.millis, 1),
    )
