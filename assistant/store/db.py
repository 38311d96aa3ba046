"""Engine, sessions and schema migration for the relational store.

Example:
    >>> from assistant.config import Settings
    >>> db = Database(Settings(data_dir="/tmp/shop"))
    >>> db.migrate()
    >>> with db.session() as s:
    ...     _ = s.query(Product).count()
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from assistant.config import Settings
from assistant.store.models import Base, Product, VectorChunk

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by this user only, and make new files private too.

    The data dir holds customers' names, addresses and conversations: the directory is 0700 and
    files created by this process from now on are 0600 (umask 077), whichever library writes them
    (SQLite and its WAL, Chroma's segments, checkpoints, backups).
    """
    os.umask(0o077)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if path.stat().st_uid == os.getuid():
        path.chmod(PRIVATE_DIR_MODE)
    return path


def _private_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files copy its mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    elif path.stat().st_uid == os.getuid():
        path.chmod(PRIVATE_FILE_MODE)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web app read while an ingestion run writes; FKs are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            private_dir(Path(path).parent)
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Database:
    """The relational store of one shop (SQLite file by default, PostgreSQL by URL)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.effective_database_url
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (creates it on an empty database)."""
        cfg = alembic_config(self.url)
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def table_counts(self) -> dict[str, int]:
        names = set(inspect(self.engine).get_table_names())
        out: dict[str, int] = {}
        with self.session() as s:
            for table in Base.metadata.sorted_tables:
                if table.name in names:
                    out[table.name] = int(s.scalar(select(func.count()).select_from(table)) or 0)
        return out

    def has_products(self) -> bool:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Product)) != 0


def save_chunks(
    s: Session,
    collection: str,
    source: str,
    ids: Sequence[str],
    texts: Sequence[str],
    metadatas: Sequence[Mapping[str, Any]],
) -> None:
    """Record (upsert) what a vector-store entry was built from, in the caller's transaction.

    Every writer of vectors calls this next to its Chroma upsert: ``vector_chunks`` is what
    ``shopassist reindex`` rebuilds the collections from and what start-up compares them with.
    """
    by_id = {
        i: {"collection": collection, "id": i, "source": source, "text": t, "meta": dict(m)}
        for i, t, m in zip(ids, texts, metadatas, strict=True)
    }
    rows = list(by_id.values())  # one row per id: PostgreSQL refuses to upsert a row twice in one INSERT
    if not rows:
        return
    dialect = s.get_bind().dialect.name
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        if dialect in ("sqlite", "postgresql"):
            ins = (sqlite_insert if dialect == "sqlite" else pg_insert)(VectorChunk).values(part)
            s.execute(
                ins.on_conflict_do_update(
                    index_elements=["collection", "id"],
                    set_={"source": ins.excluded.source, "text": ins.excluded.text, "meta": ins.excluded.meta},
                )
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            for row in part:
                s.merge(VectorChunk(**row))


def delete_chunks(s: Session, collection: str, ids: Sequence[str]) -> None:
    """Forget the source of vector-store entries that were deleted."""
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        s.execute(delete(VectorChunk).where(VectorChunk.collection == collection, VectorChunk.id.in_(part)))
