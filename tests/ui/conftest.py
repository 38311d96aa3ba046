"""Harness of the browser suite: the real app under uvicorn on a free port, Chromium via Playwright.

The demo shop is copied from the session's ``demo_settings`` into a fresh temp dir (the browser
flows write conversations, users and ingested files, and ``demo_settings`` is read-only).
Screenshots go to ``artifacts/screenshots/`` in the repo root, or ``$UI_ARTIFACTS_DIR``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from tests.live_server import serving

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


def build_app(services: Any) -> Any:
    from assistant.server import create_server

    return create_server(services)


@dataclass
class LiveApp:
    url: str
    settings: Settings
    services: Any


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
    add_user(services.db, *AGENT, "agent")
    add_user(services.db, *ADMIN, "admin")
    with serving(build_app(services)) as url:
        yield LiveApp(url=url, settings=ui_settings, services=services)


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
