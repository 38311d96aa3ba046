"""The FastAPI application: the JSON API routes (the browser UI is mounted by :mod:`assistant.server`).

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> app = create_app(Services.build(Settings(data_dir="/tmp/shop")), warm=False)
    >>> sorted(p for p in app.openapi()["paths"] if p.startswith("/healthz"))
    ['/healthz']
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.services import Services

log = logging.getLogger(__name__)

WORKER_ID = secrets.token_hex(4)  # one per process


def create_app(services: Services, *, warm: bool = True) -> FastAPI:
    """Build the API. With ``warm``, models are loaded here, so the first request is served warm."""
    from assistant.api import admin_routes, agent_routes, auth, conversation_routes, ingest_routes, security

    if warm:
        services.warm_up()
    app = FastAPI(
        title="ShopAssist",
        version="0.1.0",
        description="Customer-service assistant API: conversations, suggestions, feedback, ingestion. "
        "Each route names the credential it needs: a conversation token (X-Conversation-Token), "
        "an agent/admin session cookie, or the admin bearer token (ingestion).",
    )
    app.state.services = services
    app.state.settings = services.settings
    security.install_security(app, services.settings)  # headers, Origin check, body limits, 4xx for bad input

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        # A stack trace helps an attacker more than a user: log it, answer in plain words.
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "Something went wrong on our side. Please try again."}, status_code=500)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        # ``worker``: a random id of the serving process (not its pid), so `serve --workers N` can be seen.
        return {"status": "ok", "vectors": services.vectors.counts(), "worker": WORKER_ID}

    app.include_router(conversation_routes.router)
    app.include_router(auth.router)
    app.include_router(agent_routes.router)
    app.include_router(admin_routes.router)
    app.include_router(ingest_routes.router)
    from assistant.api import knowledge_routes  # suggested answers (issue 17)

    app.include_router(knowledge_routes.router)
    from assistant.api import search_routes  # the personalized search box (issue 18)

    app.include_router(search_routes.router)
    from assistant.api.openapi import document_access

    document_access(app)  # x-required-role on every role-checked operation
    return app
