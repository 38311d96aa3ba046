"""The HTTP ingestion endpoint (auth, NDJSON stream) and the typer commands' exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ingest_helpers import conversation, jsonl
from pydantic import SecretStr
from typer.testing import CliRunner

from assistant import cli_ingest as commands
from assistant.api.ingest_routes import ingest_settings, router
from assistant.config import Settings
from assistant.embeddings import Embedder

WriteFile = Callable[[str, str | bytes], Path]
POLICY = b"# Help\n\n## Returns\n\nReturns are accepted within 30 days of delivery.\n"


def client(settings: Settings) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[ingest_settings] = lambda: settings
    return TestClient(app)


def test_endpoint_disabled_without_admin_token(settings: Settings) -> None:
    r = client(settings).post("/api/ingest", files={"files": ("p.md", POLICY)})
    assert r.status_code == 503


def test_endpoint_rejects_missing_or_wrong_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", device="cpu", admin_token=SecretStr("s3cret"))
    c = client(settings)
    assert c.post("/api/ingest", files={"files": ("p.md", POLICY)}).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert c.post("/api/ingest", files={"files": ("p.md", POLICY)}, headers=bad).status_code == 401


def test_endpoint_streams_progress_then_report(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(data_dir=tmp_path / "d", device="cpu", admin_token=SecretStr("s3cret"))
    r = client(settings).post(
        "/api/ingest",
        files=[("files", ("../../policy.md", POLICY)), ("files", ("bad.jsonl", b"{oops\n"))],
        data={"format": "auto", "source": "upload"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines[0]["type"] == "progress" and lines[-1]["type"] == "report"
    report = lines[-1]["report"]
    assert report["ok"] and report["counts"]["policy"]["written"] == 1 and report["rejections_total"] == 1
    assert report["rejections"][0]["file"] == "bad.jsonl"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SHOPASSIST_DEVICE", "cpu")
    app = typer.Typer()
    app.command("ingest")(commands.ingest)
    app.command("remove-source")(commands.remove_source)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_cli_exit_codes(cli: Callable[..., object], write_file: WriteFile, embedder: Embedder) -> None:
    good = write_file("c.jsonl", jsonl([conversation(1)]) + "{broken\n")
    r = cli("ingest", good, "--dry-run")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert cli("ingest", good, "--dry-run", "--strict").exit_code == 1  # type: ignore[attr-defined]
    assert cli("ingest", write_file("e.jsonl", ""), "--format", "conversations-jsonl").exit_code == 1  # type: ignore[attr-defined]
    assert cli("ingest", good, "--format", "nope").exit_code == 2  # type: ignore[attr-defined]
    assert cli("ingest", good, "--source", "s1").exit_code == 0  # type: ignore[attr-defined]
    assert cli("remove-source", "s1").exit_code == 0  # type: ignore[attr-defined]
