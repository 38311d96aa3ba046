"""Fixtures of the HTTP API tests: the demo shop with one agent and one admin, served in-process.

``services``, ``app`` and ``client`` are per test module (a module's tests share one shop, and no
module sees another's writes); a module that needs a smaller shop overrides ``services``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services
from assistant.users import add_user

AGENT = ("ana", "agent-pass-123")
ADMIN = ("root", "admin-pass-123")


@pytest.fixture(scope="module")
def services(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A private copy of the demo shop with the agent ``ana`` and the admin ``root``."""
    target = tmp_path_factory.mktemp("api-shop") / "data"
    shutil.copytree(demo_template, target)
    svc = Services.build(Settings(data_dir=target, device="cpu"))
    add_user(svc.db, *AGENT, "agent")
    add_user(svc.db, *ADMIN, "admin")
    return svc


@pytest.fixture(scope="module")
def app(services: Services) -> FastAPI:
    return create_app(services, warm=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def sign_in() -> Callable[[TestClient, str, str], None]:
    """``sign_in(client, username, password)``: a session cookie on that client, or the test fails."""

    def login(client: TestClient, username: str, password: str) -> None:
        r = client.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text

    return login
