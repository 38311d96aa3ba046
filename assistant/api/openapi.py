"""The OpenAPI document says what each route needs: its security schemes, and the role on top.

FastAPI lists a route's security schemes (``ConversationToken``, ``AgentSession``, ``AdminToken``)
from the credentials its dependencies read. A session cookie says who is signed in, not what they
may do, so :func:`document_access` also marks every operation behind a role check with
``x-required-role: agent|admin`` and a sentence in its description; a route that reads a
credential only when given (the search box) lists the empty requirement ``{}`` as well, which is
how OpenAPI says "optional".

Example:
    >>> from fastapi import FastAPI
    >>> from assistant.api import admin_routes
    >>> app = FastAPI()
    >>> app.include_router(admin_routes.router)
    >>> document_access(app)
    >>> app.openapi()["paths"]["/api/admin/users"]["get"]["x-required-role"]
    'admin'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

ROLE_KEY = "x-required-role"


def role_checks() -> dict[Callable[..., Any], str]:
    """Every dependency that refuses a caller without a role, and that role."""
    from assistant.api import auth, ingest_routes

    return {auth.require_agent: "agent", auth.require_admin: "admin", ingest_routes.require_admin: "admin"}


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    out: set[Callable[..., Any]] = set()
    for dep in dependant.dependencies:
        if dep.call is not None:
            out.add(dep.call)
        out |= _calls(dep)
    return out


def required_role(route: APIRoute) -> str | None:
    """The role a route's dependencies demand (``admin`` over ``agent``), or None."""
    checks = role_checks()
    roles = {checks[c] for c in _calls(route.dependant) if c in checks}
    return "admin" if "admin" in roles else ("agent" if roles else None)


def api_routes(app: FastAPI) -> Iterator[tuple[APIRoute, str, set[str]]]:
    """Every documented API route of ``app`` with its full path and methods (included routers too)."""
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and ctx.include_in_schema and ctx.path_format:
            yield route, str(ctx.path_format), set(ctx.methods or ())


def document_access(app: FastAPI) -> None:
    """Mark role-checked operations in ``app.openapi()`` (see the module docstring)."""
    build = app.openapi
    marked: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's own, rebuilt when the routes change
        if marked and marked[-1] == id(schema):
            return schema
        for route, path, methods in api_routes(app):
            role = required_role(route)
            if role is None:
                continue
            for method in methods:
                op = schema.get("paths", {}).get(path, {}).get(method.lower())
                if op is None:
                    continue
                op[ROLE_KEY] = role
                schemes = {k for req in op.get("security", []) for k in req}
                note = (
                    "Needs the admin bearer token (SHOPASSIST_ADMIN_TOKEN)."
                    if "AdminToken" in schemes
                    else f"Needs the session of a signed-in {role}{' or admin' if role == 'agent' else ''}."
                )
                op["description"] = f"{op.get('description', '').rstrip()}\n\n{note}".lstrip()
        marked[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
