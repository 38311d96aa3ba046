"""The FastAPI application: JSON API routes plus the Gradio UI mounted at ``/``.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> app = create_app(Services.build(Settings(data_dir="/tmp/shop")))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/healthz"))
    ['/healthz']
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.services import Services

log = logging.getLogger(__name__)


def create_app(services: Services, *, with_ui: bool = True) -> FastAPI:
    """Build the app. Models are loaded here, so the first request is served warm."""
    from assistant.api import admin_routes, agent_routes, auth, conversation_routes
    from ingest import http as ingest_http

    services.warm_up()
    app = FastAPI(
        title="ShopAssist",
        version="0.1.0",
        description="Customer-service assistant API: conversations, suggestions, feedback, ingestion.",
    )
    app.state.services = services
    app.state.settings = services.settings
    app.state.assistant = services.assistant

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        # A stack trace helps an attacker more than a user: log it, answer in plain words.
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "Something went wrong on our side. Please try again."}, status_code=500)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "vectors": services.vectors.counts()}

    app.include_router(conversation_routes.router)
    app.include_router(auth.router)
    app.include_router(agent_routes.router)
    app.include_router(admin_routes.router)
    app.include_router(ingest_http.router)

    if with_ui:
        import gradio as gr

        from ui.app import MOUNT_KWARGS, build_ui

        app = gr.mount_gradio_app(app, build_ui(services), path="/", **MOUNT_KWARGS)
    return app
