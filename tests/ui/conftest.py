"""Harness of the browser suite: the real app under uvicorn on a free port, Chromium via Playwright.

The demo shop is copied from the session's ``demo_settings`` into a fresh temp dir (the browser
flows write conversations, users and ingested files, and ``demo_settings`` is read-only).
Screenshots go to ``artifacts/screenshots/`` in the repo root, or ``$UI_ARTIFACTS_DIR``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR") or REPO_ROOT / "artifacts" / "screenshots")
AGENT = ("ana", "agent-pass-123")
ADMIN = ("root", "admin-pass-123")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_app(services: Any) -> Any:
    """The lead's ``create_app`` with this issue's routers and UI, whether or not they are wired yet."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.api import admin_routes, agent_routes, auth
    from ui.app import MOUNT_KWARGS, build_ui

    try:
        from assistant.api.app import create_app

        app = create_app(services, with_ui=False)
    except ImportError:
        # Other parts of the app are still landing; the UI's own routes are enough to test it.
        app = FastAPI()
        app.state.services = services
    paths = set(app.openapi()["paths"])
    for router in (auth.router, agent_routes.router, admin_routes.router):
        if not any(p.startswith(str(router.prefix)) for p in paths):
            app.include_router(router)
    return gr.mount_gradio_app(app, build_ui(services), path="/", **MOUNT_KWARGS)


@dataclass
class LiveApp:
    url: str
    settings: Settings
    services: Any


def serve(app: Any) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 90
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="session")
def ui_settings(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A writable copy of the demo shop."""
    target = tmp_path_factory.mktemp("ui-shop") / "data"
    shutil.copytree(demo_settings.data_dir, target)
    return Settings(data_dir=target, device="cpu")


@pytest.fixture(scope="session")
def live_app(ui_settings: Settings) -> Iterator[LiveApp]:
    from assistant.services import Services
    from assistant.users import add_user

    services = Services.build(ui_settings)
    try:
        import assistant.interest.online  # noqa: F401
    except ImportError:
        # The interest encoder's online API has not landed: run the engine without it (the UI
        # falls back to same-category cards) instead of failing every chat turn.
        from assistant.conversation.engine import Assistant

        services._assistant = Assistant(ui_settings, services.db, services.vectors)
    add_user(services.db, *AGENT, "agent")
    add_user(services.db, *ADMIN, "admin")
    url, server, thread = serve(build_app(services))
    yield LiveApp(url=url, settings=ui_settings, services=services)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Any:
    """``shot(page, "step")`` saves ``<test name>--<step>.png`` under the artifacts dir."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = request.node.name.removeprefix("test_")

    def take(page: Any, step: str, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{test}--{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture(autouse=True)
def _close_contexts() -> Iterator[None]:
    from tests_ui_helpers import OPEN_CONTEXTS

    yield
    while OPEN_CONTEXTS:
        with contextlib.suppress(Exception):
            OPEN_CONTEXTS.pop().close()
