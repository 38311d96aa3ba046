"""What every route shares: the services, who the caller is, and service errors as HTTP statuses.

Routers built with ``APIRouter(route_class=ServiceRoute)`` answer a service's
:class:`~assistant.services.types.NotFound` with 404, ``Forbidden`` 403, ``Conflict`` 409,
``Invalid`` 422 and ``TooManyRequests`` 429 (with ``Retry-After``), each with the service's message as
``detail``.

Credentials (each shows in the OpenAPI schema as a security scheme):

* ``X-Conversation-Token`` header, or the HttpOnly ``shopassist_conversation_<id>`` cookie set
  when the conversation was created: the customer who started that conversation;
* ``shopassist_session`` cookie: a signed-in agent or admin (``/api/auth/login``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, APIKeyHeader

from assistant.services import Services
from assistant.services.types import (
    Caller,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    SessionUser,
    TooManyRequests,
)
from assistant.services.users import SESSION_COOKIE

CONVERSATION_TOKEN_HEADER = "X-Conversation-Token"
CONVERSATION_COOKIE_PREFIX = "shopassist_conversation_"

conversation_token_scheme = APIKeyHeader(
    name=CONVERSATION_TOKEN_HEADER,
    auto_error=False,
    scheme_name="ConversationToken",
    description="The conversation_token returned when the conversation was created "
    "(browsers send it as the HttpOnly shopassist_conversation_<id> cookie instead).",
)
session_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="AgentSession",
    description="The agent/admin session cookie set by POST /api/auth/login.",
)

STATUS = ((NotFound, 404), (Forbidden, 403), (Conflict, 409), (Invalid, 422))


def http_error(exc: ServiceError) -> HTTPException:
    if isinstance(exc, TooManyRequests):
        return HTTPException(429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)})
    for kind, code in STATUS:
        if isinstance(exc, kind):
            return HTTPException(code, detail=str(exc))
    return HTTPException(400, detail=str(exc))


class ServiceRoute(APIRoute):
    """An API route whose handler's :class:`ServiceError` becomes its HTTP status (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                raise http_error(exc) from None

        return route


def get_services(request: Request) -> Services:
    """The app's services (``app.state.services``, set by :func:`assistant.api.app.create_app`)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise HTTPException(503, "the services are not configured on this server")
    return services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def staff_session(
    request: Request, services: ServicesDep, _cookie: Annotated[str | None, Security(session_cookie_scheme)] = None
) -> SessionUser | None:
    """The signed-in agent/admin, or None."""
    return services.users.session_from_request(request)


def conversation_cookie(conversation_id: str) -> str:
    """The cookie that carries one conversation's token in a browser."""
    return f"{CONVERSATION_COOKIE_PREFIX}{conversation_id}"


def caller_for(request: Request, conversation_id: str, header_token: str | None, staff: SessionUser | None) -> Caller:
    """The caller of a conversation route: its token (header, else cookie) and any staff session."""
    token = header_token or request.cookies.get(conversation_cookie(conversation_id))
    client = request.client.host if request.client else ""
    return Caller(conversation_token=token, staff=staff, client=client)


def conversation_caller(
    conversation_id: str,
    request: Request,
    staff: Annotated[SessionUser | None, Depends(staff_session)],
    token: Annotated[str | None, Security(conversation_token_scheme)] = None,
) -> Caller:
    """Dependency of the ``/api/conversations/{conversation_id}/...`` routes."""
    return caller_for(request, conversation_id, token, staff)


ConversationCaller = Annotated[Caller, Depends(conversation_caller)]
