"""Start-up checks: every store is reachable, readable and in step, or one line says which setting is wrong.

A corrupt SQLite file, a wrong database URL, an unreachable Chroma server or Redis, a vector store
that lost its files or is behind SQL: each ends the command with one line naming the setting and
the cause (exit status 2), instead of a traceback or a server that answers every question with a
refusal.

Example:
    >>> from assistant.config import Settings
    >>> services = open_services(Settings(data_dir="/tmp/shop-start"))  # doctest: +SKIP
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import VectorChunk

if TYPE_CHECKING:
    from assistant.services import Services
    from assistant.vectors import VectorStore


class StartupError(RuntimeError):
    """A store cannot be used; ``str()`` is the one line to print: ``SETTING: cause``."""

    def __init__(self, setting: str, cause: str) -> None:
        self.setting = setting
        self.cause = " ".join(cause.split())  # one line, whatever the driver said
        super().__init__(f"{setting}: {self.cause}")


def _db_setting(settings: Settings) -> str:
    return "SHOPASSIST_DATABASE_URL" if settings.database_url else "SHOPASSIST_DATA_DIR"


def _cause(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {first[0] if first else ''}"


def check_database(settings: Settings, db: Database | None = None) -> Database:
    """Open the SQL store, check it is a readable database and migrate it to the newest schema."""
    where = settings.effective_database_url if settings.database_url else str(settings.sqlite_path)
    try:
        db = db or Database(settings)
    except (OSError, SQLAlchemyError, ValueError) as exc:
        raise StartupError(_db_setting(settings), f"cannot open {where}: {_cause(exc)}") from exc
    try:
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "sqlite":
                # Reads the schema page: "file is not a database" shows here, not on first request.
                conn.execute(text("PRAGMA schema_version")).scalar()
            else:
                conn.execute(text("SELECT 1")).scalar()
        db.migrate()
    except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
        cause = f"cannot use the database at {_redact(where)}: {_cause(exc)}"
        raise StartupError(_db_setting(settings), cause) from exc
    return db


def _redact(url: str) -> str:
    """A URL without its password, fit to print."""
    if "://" in url and "@" in url.split("://", 1)[1]:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def open_vectors(settings: Settings) -> VectorStore:
    """Connect to the vector store (embedded folder or Chroma server) and prove it answers."""
    from assistant.vectors import VectorStore

    if settings.chroma_host:
        where, setting = f"http://{settings.chroma_host}:{settings.chroma_port}", "SHOPASSIST_CHROMA_HOST"
    else:
        where, setting = str(settings.chroma_path), "SHOPASSIST_DATA_DIR"
    try:
        vectors = VectorStore(settings)
        vectors.client.heartbeat()
        vectors.client.list_collections()
    except Exception as exc:  # chromadb raises plain Exception/ValueError/httpx errors for all of these
        raise StartupError(setting, f"cannot reach the vector store at {where}: {_cause(exc)}") from exc
    return vectors


def check_vectors(settings: Settings, db: Database, vectors: VectorStore) -> dict[str, tuple[int, int]]:
    """Compare each collection with the chunks SQL says it holds; ``{name: (in_sql, in_chroma)}``.

    Raises StartupError naming ``shopassist reindex`` when a collection lacks entries SQL records
    (a lost or replaced Chroma folder, a restore of SQL alone) or was built with another model.
    Chroma holding *more* than SQL is what an interrupted ingestion leaves; its next run reconciles it.
    """
    from assistant.vectors import COLLECTIONS

    setting = "SHOPASSIST_CHROMA_HOST" if settings.chroma_host else "SHOPASSIST_DATA_DIR"
    with db.session() as s:
        in_sql = dict(
            s.execute(select(VectorChunk.collection, func.count()).group_by(VectorChunk.collection)).tuples().all()
        )
    out: dict[str, tuple[int, int]] = {}
    behind: list[str] = []
    for name in COLLECTIONS:
        try:
            n = vectors.count(name)
        except ValueError as exc:  # built with another embedding model
            raise StartupError("SHOPASSIST_EMBEDDING_MODEL", f"{exc}; run `shopassist reindex`") from exc
        want = int(in_sql.get(name, 0))
        out[name] = (want, n)
        if n < want:
            behind.append(f"{name} {n}/{want}")
    # Approved answers: SQL's live answers are the truth (the knowledge review writes them, not ingestion).
    from assistant.knowledge.repository import list_answers
    from assistant.vectors import ANSWERS_COLLECTION

    live = len(list_answers(db, active_only=True))
    try:
        n_answers = vectors.count(ANSWERS_COLLECTION)
    except ValueError as exc:
        raise StartupError("SHOPASSIST_EMBEDDING_MODEL", f"{exc}; run `shopassist reindex`") from exc
    out[ANSWERS_COLLECTION] = (live, n_answers)
    if n_answers < live:
        behind.append(f"{ANSWERS_COLLECTION} {n_answers}/{live}")
    if behind:
        missing = all(out[name][1] == 0 for name in COLLECTIONS)
        what = "is empty or missing" if missing else "is out of step with SQL"
        raise StartupError(
            setting,
            f"the vector store {what} ({', '.join(behind)} entries); run `shopassist reindex` to rebuild it from SQL",
        )
    return out


def check_rate_limit_storage(settings: Settings) -> None:
    """A Redis (or memcached) rate-limit store must answer before the first sign-in."""
    uri = settings.rate_limit_storage
    if uri.startswith("memory://"):
        return
    try:
        from limits.storage import storage_from_string

        ok = storage_from_string(uri).check()
    except Exception as exc:
        raise StartupError("SHOPASSIST_RATE_LIMIT_STORAGE", f"cannot use {_redact(uri)}: {_cause(exc)}") from exc
    if not ok:
        raise StartupError("SHOPASSIST_RATE_LIMIT_STORAGE", f"{_redact(uri)} does not answer")


def open_services(settings: Settings) -> Services:
    """Every check above, then the app's services over the checked stores."""
    from assistant.services import Services

    if settings.serve_torch_threads:
        import torch

        torch.set_num_threads(settings.serve_torch_threads)
        from threadpoolctl import threadpool_limits

        # numpy's BLAS threads spin after each product and take the cores from the next turn's encode
        threadpool_limits(limits=settings.serve_torch_threads, user_api="blas")
    db = check_database(settings)
    vectors = open_vectors(settings)
    check_vectors(settings, db, vectors)
    check_rate_limit_storage(settings)
    return Services(settings=settings, db=db, vectors=vectors)


def services_or_exit(settings: Settings) -> Services:
    """:func:`open_services`, or print its one line to stderr and exit with status 2."""
    import typer
    from rich.console import Console
    from rich.markup import escape

    try:
        return open_services(settings)
    except StartupError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
