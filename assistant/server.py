"""The whole web app: the JSON API (:func:`assistant.api.app.create_app`) with the browser UI
(:func:`ui.pages.mount_ui`): the customer chat at ``/``, the agent console at ``/agent``, the admin
area at ``/admin``. ``shopassist serve`` and ``shopassist demo`` run it.

This is the one module that knows both: the API never imports the UI, and the UI talks to the
services only.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.services import Services
    >>> app = create_server(Services.build(Settings(data_dir="/tmp/shop")))  # doctest: +SKIP
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.services import Services


def create_server(services: Services, *, with_ui: bool = True) -> FastAPI:
    """The API app, with the three Gradio pages mounted unless ``with_ui`` is False."""
    app = create_app(services)
    if not with_ui:
        return app
    from ui.pages import mount_ui  # customer chat at /, agent console at /agent, admin at /admin

    mounted: FastAPI = mount_ui(app, services)
    return mounted
