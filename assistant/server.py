"""The whole web app: the JSON API (:func:`assistant.api.app.create_app`) with the browser UI
(:func:`ui.pages.mount_ui`): the customer chat at ``/``, the agent console at ``/agent``, the admin
area at ``/admin``. ``shopassist serve`` and ``shopassist demo`` run it.

This is the one module that knows both: the API never imports the UI, and the UI talks to the
services only.

``shopassist serve --workers N`` runs N uvicorn worker processes on one port through the
import-string factory :func:`app_factory`: each worker reads the settings from the environment,
opens the stores with the start-up checks, sets its torch threads (``serve_torch_threads``) and
warms up before it accepts requests. :func:`workers_problem` says why a configuration cannot run
several workers (embedded Chroma is one process only; sign-in throttles need a shared store).

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> app = create_server(Services.build(Settings(data_dir="/tmp/shop")))  # doctest: +SKIP
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services

#: The ``uvicorn`` import string of one worker's app (``factory=True``).
APP_FACTORY = "assistant.server:app_factory"


def create_server(services: Services, *, with_ui: bool = True) -> FastAPI:
    """The API app, with the three Gradio pages mounted unless ``with_ui`` is False."""
    app = create_app(services)
    if not with_ui:
        return app
    from ui.pages import mount_ui  # customer chat at /, agent console at /agent, admin at /admin

    mounted: FastAPI = mount_ui(app, services)
    return mounted


def settle_heap() -> None:
    """Collect once, then move every object alive after warm-up out of the collector's reach
    (:func:`gc.freeze`): models, indexes and the catalog are never garbage, and without this a full
    collection in a warmed-up worker walks all of them (about 0.6 s on the demo shop) in the middle
    of some customer's turn."""
    import gc

    gc.collect()
    gc.freeze()


def workers_problem(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve this configuration (one line), or None when they can.

    Several workers on one machine share SQLite safely (WAL, one file) or PostgreSQL; they cannot
    share an embedded Chroma directory (each process keeps its own index in memory, and two
    writers corrupt it), and ``memory://`` sign-in throttles would count per process.
    """
    if workers <= 1:
        return None
    missing = []
    if not settings.chroma_host:
        missing.append("SHOPASSIST_CHROMA_HOST (a Chroma server: embedded Chroma is one process only)")
    if settings.rate_limit_storage.startswith("memory://"):
        missing.append("SHOPASSIST_RATE_LIMIT_STORAGE=redis://... (memory:// counts sign-in failures per process)")
    if not missing:
        return None
    return f"--workers {workers} needs " + " and ".join(missing) + "; or run one worker"


def app_factory() -> FastAPI:
    """One worker's app (``uvicorn assistant.server:app_factory --factory``): settings from the
    environment, stores opened with the start-up checks, torch threads set, models warmed up."""
    from assistant.config import load_settings
    from assistant.ops.startup import open_services

    app = create_server(open_services(load_settings()))
    settle_heap()
    return app
