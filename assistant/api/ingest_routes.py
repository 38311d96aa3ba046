"""``POST /api/ingest``: upload files to ingest; progress streams back as NDJSON, then the report.

Protected by ``Authorization: Bearer <SHOPASSIST_ADMIN_TOKEN>``: 401 without or with a wrong
token, 503 when no admin token is configured (the endpoint is off until one is set). The run goes
through :meth:`~assistant.services.catalog.CatalogService.ingest`, like the CLI and the admin page,
so the caches depending on the data are refreshed afterwards.

Each response line is one JSON object: ``{"type": "progress", ...ProgressEvent}`` while the run
goes, then ``{"type": "report", "report": RunReport}`` (or ``{"type": "error", "message"}``).

Example:
    $ curl -H "Authorization: Bearer $SHOPASSIST_ADMIN_TOKEN" -F format=auto \\
        -F files=@conversations.jsonl -F files=@policy.md http://127.0.0.1:7860/api/ingest
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, Security, UploadFile
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.config import Settings, get_settings
from assistant.services import Services
from ingest.pipeline import ProgressEvent
from ingest.readers import format_names

router = APIRouter(tags=["admin"])

UPLOAD_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_standalone: dict[str, Services] = {}
_standalone_lock = threading.Lock()


def ingest_settings(request: Request) -> Settings:
    """The app's settings (``app.state.settings``), else the process-wide ones."""
    state_settings = getattr(request.app.state, "settings", None)
    return state_settings if isinstance(state_settings, Settings) else get_settings()


def ingest_services(request: Request, settings: Annotated[Settings, Depends(ingest_settings)]) -> Services:
    """The app's services; a router mounted alone (tests, scripts) gets services of ``settings``."""
    services = getattr(request.app.state, "services", None)
    if isinstance(services, Services):
        return services
    key = f"{settings.data_dir}|{settings.effective_database_url}"
    with _standalone_lock:
        if key not in _standalone:
            _standalone[key] = Services.build(settings)
        return _standalone[key]


#: The admin bearer token, declared in the OpenAPI document (``securitySchemes.AdminToken``) so clients
#: and schema-driven testers can tell the route needs it; the check itself is :func:`require_admin`'s.
admin_token_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="Authorization: Bearer <SHOPASSIST_ADMIN_TOKEN> (the ingestion endpoint is off until one is set).",
)


def require_admin(
    settings: Annotated[Settings, Depends(ingest_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(admin_token_scheme)] = None,
) -> None:
    """401 unless the bearer token matches ``admin_token``; 503 when none is configured."""
    if settings.admin_token is None or not settings.admin_token.get_secret_value():
        raise HTTPException(503, "ingestion endpoint disabled: set SHOPASSIST_ADMIN_TOKEN")
    token = credentials.credentials if credentials is not None and credentials.scheme.lower() == "bearer" else ""
    expected = settings.admin_token.get_secret_value()
    if not token or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})


def safe_filename(name: str | None, index: int) -> str:
    """The upload's base name, stripped of paths and odd characters (format detection reads it)."""
    base = Path(name or "").name
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or f"upload-{index}"
    return cleaned[:150]


@router.post("/api/ingest", dependencies=[Depends(require_admin)])
async def ingest_upload(
    services: Annotated[Services, Depends(ingest_services)],
    files: Annotated[list[UploadFile], File(description="One or more files to ingest.")],
    format: Annotated[str, Form()] = "auto",
    source: Annotated[str | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
    strict: Annotated[bool, Form()] = False,
) -> StreamingResponse:
    """Ingest the uploaded files; streams NDJSON progress lines then the final report."""
    if format not in ("auto", *format_names()):
        raise HTTPException(422, f"unknown format {format!r}; known: auto, {', '.join(format_names())}")
    if not files:
        raise HTTPException(422, "no files uploaded")
    tmp = Path(tempfile.mkdtemp(prefix="shopassist-upload-"))
    paths: list[Path] = []
    try:
        for i, upload in enumerate(files):
            name = safe_filename(upload.filename, i)
            target = tmp / f"{i:03d}" / name
            target.parent.mkdir(parents=True)
            with target.open("wb") as out:
                while chunk := await upload.read(UPLOAD_CHUNK):
                    out.write(chunk)
            paths.append(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def put(line: str | None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, line)

    def on_progress(ev: ProgressEvent) -> None:
        put(json.dumps({"type": "progress", **ev.model_dump()}))

    def work() -> None:
        try:
            report = services.catalog.ingest(
                paths, format, source=source, dry_run=dry_run, strict=strict, progress=on_progress
            )
            put(json.dumps({"type": "report", "report": report.model_dump(mode="json")}))
        except Exception as exc:  # the stream must end with a line the client can read
            put(json.dumps({"type": "error", "message": f"{type(exc).__name__}: {exc}"[:1000]}))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            put(None)

    threading.Thread(target=work, name="ingest-upload", daemon=True).start()

    async def stream() -> AsyncIterator[bytes]:
        while (line := await queue.get()) is not None:
            yield (line + "\n").encode("utf-8")

    return StreamingResponse(stream(), media_type="application/x-ndjson")
