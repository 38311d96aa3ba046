"""The integration suite: real PostgreSQL, a real Chroma server and real Redis.

The servers are found through environment variables (``.ci/run`` starts the servers and sets them):

* ``SHOPASSIST_TEST_POSTGRES_URL``: e.g. ``postgresql+psycopg://shopassist:shopassist@127.0.0.1:5432/shopassist``
  (the user needs CREATEDB: each test session works in a database of its own, dropped afterwards);
* ``SHOPASSIST_TEST_CHROMA_URL``: e.g. ``http://127.0.0.1:8765`` (a Chroma database of its own per session);
* ``SHOPASSIST_TEST_REDIS_URL``: e.g. ``redis://127.0.0.1:6379/0``.

Tests skip, saying which variable is missing, when a server is not configured. By hand (see
docs/deployment.md): ``SHOPASSIST_TEST_...=... .venv/bin/pytest -m integration tests/integration``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder

# Read at import: the suite-wide autouse fixture clears SHOPASSIST_* variables for every test.
POSTGRES_URL = os.environ.get("SHOPASSIST_TEST_POSTGRES_URL")
CHROMA_URL = os.environ.get("SHOPASSIST_TEST_CHROMA_URL")
REDIS_URL = os.environ.get("SHOPASSIST_TEST_REDIS_URL")

pytestmark = pytest.mark.integration


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def _need(name: str, value: str | None) -> str:
    if not value:
        pytest.skip(f"{name} is not set: no server to test against (.ci/run sets it; see docs/deployment.md)")
    return value


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    from sqlalchemy import create_engine, text

    base = _need("SHOPASSIST_TEST_POSTGRES_URL", POSTGRES_URL)
    name = f"shopassist_it_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"SHOPASSIST_TEST_POSTGRES_URL={base}: cannot create a test database ({exc!r})")
    parts = urlsplit(base)
    yield parts._replace(path=f"/{name}").geturl()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextlib.contextmanager
def chroma_database(prefix: str = "shopassist_it") -> Iterator[tuple[str, int, str]]:
    """(host, port, database): a new Chroma database on the test server, deleted afterwards."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    url = urlsplit(_need("SHOPASSIST_TEST_CHROMA_URL", CHROMA_URL))
    host, port = url.hostname or "127.0.0.1", url.port or 8000
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = chromadb.AdminClient(
        ChromaSettings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=host,
            chroma_server_http_port=port,
            anonymized_telemetry=False,
        )
    )
    admin.create_database(name)
    yield host, port, name
    with contextlib.suppress(Exception):  # older servers cannot delete databases; the data is test data
        admin.delete_database(name)


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[tuple[str, int, str]]:
    """(host, port, database): a Chroma database of its own on the server, for this session."""
    with chroma_database() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _need("SHOPASSIST_TEST_REDIS_URL", REDIS_URL)


@pytest.fixture(scope="session")
def engines_env(pg_url: str, chroma_server: tuple[str, int, str], redis_url: str) -> dict[str, str]:
    """The SHOPASSIST_* variables of a shop on the three servers (for `shopassist` subprocesses)."""
    host, port, database = chroma_server
    return {
        "SHOPASSIST_DATABASE_URL": pg_url,
        "SHOPASSIST_CHROMA_HOST": host,
        "SHOPASSIST_CHROMA_PORT": str(port),
        "SHOPASSIST_CHROMA_DATABASE": database,
        "SHOPASSIST_RATE_LIMIT_STORAGE": redis_url,
        "SHOPASSIST_DEVICE": "cpu",
        "SHOPASSIST_SESSION_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
    }


@pytest.fixture(scope="session")
def engines_settings(
    engines_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Settings:
    """Settings of a demo shop built on PostgreSQL + the Chroma server (built once per session)."""
    from assistant.demo.build import build_demo

    data_dir: Path = tmp_path_factory.mktemp("engines") / "data"
    settings = Settings(
        data_dir=data_dir,
        database_url=engines_env["SHOPASSIST_DATABASE_URL"],
        chroma_host=engines_env["SHOPASSIST_CHROMA_HOST"],
        chroma_port=int(engines_env["SHOPASSIST_CHROMA_PORT"]),
        chroma_database=engines_env["SHOPASSIST_CHROMA_DATABASE"],
        rate_limit_storage=engines_env["SHOPASSIST_RATE_LIMIT_STORAGE"],
        device="cpu",
    )
    build_demo(settings)
    return settings
