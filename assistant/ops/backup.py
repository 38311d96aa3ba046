"""``shopassist backup DIR`` and ``shopassist restore DIR``: a consistent snapshot of SQL and vectors.

What a backup holds (``DIR``, created 0700, files 0600):

* ``shopassist.db``: SQLite's online backup of the SQL store, taken page by page while the app
  keeps serving (readers and writers are not stopped). With PostgreSQL, ``postgres.dump`` made by
  ``pg_dump --format=custom`` when ``pg_dump`` is on the PATH (else the manifest says to run it);
* ``vectors/<collection>.jsonl`` + ``.npy``: every vector entry (id, text, metadata, embedding),
  cut to the entries the SQL snapshot records in ``vector_chunks``. SQL is copied first and
  vectors second, and ingestion writes Chroma before SQL, so every chunk SQL names is in Chroma
  when it is read; an entry deleted in between is re-embedded from its SQL text on restore;
* ``checkpoints/``: the interest encoder's checkpoints; ``session_secret`` when it is a file;
* ``manifest.json``: when, from which stores, the embedding model, and the count of every table
  and collection. Restore checks its result against these counts.

Example:
    >>> from assistant.config import Settings
    >>> m = backup(Settings(data_dir="/tmp/shop"), Path("/tmp/shop-backup"))  # doctest: +SKIP
    >>> restore(Settings(data_dir="/tmp/shop2"), Path("/tmp/shop-backup")).vectors == m.vectors  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.config import Settings
from assistant.store.db import Database, private_dir
from assistant.store.models import VectorChunk
from assistant.vectors import COLLECTIONS, CollectionName, VectorStore

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
EXCLUDED_TABLES = ("alembic_version",)


class BackupError(RuntimeError):
    """The backup or restore cannot proceed; the message says why and what to do."""


class Manifest(BaseModel):
    """What a backup holds; restore compares its result with these counts."""

    format_version: int = FORMAT_VERSION
    created_at: str
    database: str  # "sqlite" | "postgresql"
    sql_file: str | None  # shopassist.db | postgres.dump | None (PostgreSQL without pg_dump)
    embedding_model: str
    sql: dict[str, int]
    vectors: dict[str, int]
    reembedded_on_restore: dict[str, int] = Field(default_factory=dict)
    checkpoints: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = Field(default_factory=list)


def _libpq_url(url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg://`` as the ``postgresql://`` pg_dump understands."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else url


def _sqlite_backup(src: Path, dest: Path, pages: int = 1024) -> None:
    """SQLite's online backup API: consistent copy while other connections read and write."""
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        with target:
            source.backup(target, pages=pages, sleep=0.005)
    finally:
        target.close()
        source.close()


def _table_counts(db: Database) -> dict[str, int]:
    return {t: n for t, n in sorted(db.table_counts().items()) if t not in EXCLUDED_TABLES}


def _chunk_ids(db: Database) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {name: set() for name in COLLECTIONS}
    with db.session() as s:
        for col, cid in s.execute(select(VectorChunk.collection, VectorChunk.id)):
            out.setdefault(col, set()).add(cid)
    return out


def backup(
    settings: Settings, dest: Path, *, db: Database | None = None, vectors: VectorStore | None = None
) -> Manifest:
    """Snapshot the configured stores into ``dest`` (must not exist or be empty)."""
    t0 = time.perf_counter()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest}: not empty; give a new folder for the backup")
    private_dir(dest)
    db = db or Database(settings)
    db.migrate()
    notes: list[str] = []
    # 1. SQL first (see the module docstring for why this order is consistent).
    if db.engine.dialect.name == "sqlite":
        _sqlite_backup(Path(db.engine.url.database or settings.sqlite_path), dest / "shopassist.db")
        snap = Database(settings.model_copy(update={"database_url": f"sqlite:///{dest / 'shopassist.db'}"}))
        database, sql_file = "sqlite", "shopassist.db"
    else:
        database, snap = "postgresql", db
        if shutil.which("pg_dump"):
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(dest / "postgres.dump"),
                 _libpq_url(db.url)],
                check=True, capture_output=True, timeout=3600,
            )
            sql_file = "postgres.dump"
        else:
            sql_file = None
            notes.append("pg_dump not found: back up PostgreSQL with `pg_dump --format=custom` yourself")
    sql_counts = _table_counts(snap)
    wanted = _chunk_ids(snap)
    if snap is not db:
        snap.engine.dispose()
    # 2. Vectors, cut to what the SQL snapshot records.
    vectors = vectors or VectorStore(settings)
    vdir = private_dir(dest / "vectors")
    vec_counts: dict[str, int] = {}
    for name in COLLECTIONS:
        ids, docs, metas, embs = vectors.export(name)
        keep = [i for i, cid in enumerate(ids) if cid in wanted[name]] if wanted[name] else list(range(len(ids)))
        with (vdir / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for i in keep:
                fh.write(json.dumps({"id": ids[i], "document": docs[i], "metadata": metas[i]}, ensure_ascii=False))
                fh.write("\n")
        np.save(vdir / f"{name}.npy", embs[keep] if keep else np.zeros((0, embs.shape[1]), dtype=np.float32))
        vec_counts[name] = len(keep)
    # 3. Checkpoints and the session key.
    ckpts: list[str] = []
    if settings.checkpoint_dir.is_dir():
        cdir = private_dir(dest / "checkpoints")
        for f in sorted(settings.checkpoint_dir.glob("*.pt")):
            shutil.copy2(f, cdir / f.name)
            ckpts.append(f.name)
    secret = settings.data_dir / "session_secret"
    if secret.is_file():
        shutil.copy2(secret, dest / "session_secret")
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=database,
        sql_file=sql_file,
        embedding_model=settings.embedding_model,
        sql=sql_counts,
        vectors=vec_counts,
        checkpoints=ckpts,
        seconds=round(time.perf_counter() - t0, 2),
        notes=notes,
    )
    (dest / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(src: Path) -> Manifest:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path}: no manifest; is {src} a ShopAssist backup?")
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path}: unreadable manifest ({exc.__class__.__name__})") from None
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {manifest.format_version}, expected {FORMAT_VERSION}")
    return manifest


def _is_empty(settings: Settings, db: Database, vectors: VectorStore) -> bool:
    counts = _table_counts(db)
    return not any(counts.values()) and not any(vectors.counts().values())


def restore(settings: Settings, src: Path, *, force: bool = False) -> Manifest:
    """Bring a backup back into the configured (empty) stores; returns the manifest, checked.

    Raises BackupError when the target already holds data (unless ``force``), when the backup's
    embedding model differs from ``SHOPASSIST_EMBEDDING_MODEL``, or when counts do not match.
    """
    manifest = read_manifest(src)
    if manifest.embedding_model != settings.embedding_model:
        raise BackupError(
            f"the backup's vectors were made with {manifest.embedding_model!r}; set "
            f"SHOPASSIST_EMBEDDING_MODEL={manifest.embedding_model} to restore it (then `shopassist reindex "
            f"--embedding-model ...` to change model)"
        )
    private_dir(settings.data_dir)
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings)
    if not force and not _is_empty(settings, db, vectors):
        raise BackupError(
            f"the target stores ({settings.effective_database_url if settings.database_url else settings.data_dir}) "
            "are not empty; restore into an empty data dir / database, or pass --force to replace them"
        )
    # 1. SQL.
    if manifest.database == "sqlite" and db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        _sqlite_backup(src / "shopassist.db", Path(db.engine.url.database or settings.sqlite_path))
        db = Database(settings)
        db.migrate()  # a backup from an older schema is brought up to date
    elif manifest.database == "postgresql" and db.engine.dialect.name == "postgresql":
        if manifest.sql_file is None:
            raise BackupError("this backup holds no SQL dump; restore PostgreSQL with pg_restore first")
        if not shutil.which("pg_restore"):
            raise BackupError("pg_restore not found: install the PostgreSQL client tools")
        db.engine.dispose()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", _libpq_url(db.url),
             str(src / manifest.sql_file)],
            check=True, capture_output=True, timeout=3600,
        )
        db = Database(settings)
        db.migrate()
    else:
        raise BackupError(
            f"the backup is of a {manifest.database} database, the target is {db.engine.dialect.name}; "
            "move data between engines with `shopassist ingest`, not restore"
        )
    # 2. Vectors: saved embeddings; anything SQL records that the backup lacks is embedded again.
    wanted = _chunk_ids(db)
    reembedded: dict[str, int] = {}
    for name in COLLECTIONS:
        vectors.drop(name)
        ids, docs, metas = [], [], []
        with (src / "vectors" / f"{name}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                ids.append(row["id"])
                docs.append(row["document"])
                metas.append(row["metadata"])
        embs = np.load(src / "vectors" / f"{name}.npy")
        for start in range(0, len(ids), 2000):
            vectors.upsert(name, ids[start : start + 2000], docs[start : start + 2000], metas[start : start + 2000],
                           embeddings=embs[start : start + 2000])
        missing = sorted(wanted[name] - set(ids))
        if missing:
            reembedded[name] = _reembed(db, vectors, name, missing)
    # 3. Checkpoints and the session key.
    if (src / "checkpoints").is_dir():
        cdir = private_dir(settings.checkpoint_dir)
        for f in sorted((src / "checkpoints").glob("*.pt")):
            shutil.copy2(f, cdir / f.name)
    if (src / "session_secret").is_file() and not (settings.data_dir / "session_secret").exists():
        shutil.copy2(src / "session_secret", settings.data_dir / "session_secret")
    # 4. Check.
    got_sql = _table_counts(db)
    got_vec = vectors.counts()
    expected_vec = {k: v + reembedded.get(k, 0) for k, v in manifest.vectors.items()}
    bad = [f"{t}: {got_sql.get(t)} != {n}" for t, n in manifest.sql.items() if got_sql.get(t) != n]
    bad += [f"{c}: {got_vec.get(c)} != {n}" for c, n in expected_vec.items() if got_vec.get(c) != n]
    if bad:
        raise BackupError("restored counts differ from the manifest: " + "; ".join(bad))
    return manifest.model_copy(update={"reembedded_on_restore": reembedded})


def _reembed(db: Database, vectors: VectorStore, name: CollectionName, ids: list[str]) -> int:
    done = 0
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        with db.session() as s:
            rows = list(s.scalars(select(VectorChunk).where(VectorChunk.collection == name, VectorChunk.id.in_(part))))
        vectors.upsert(name, [r.id for r in rows], [r.text for r in rows], [dict(r.meta) for r in rows])
        done += len(rows)
    return done


def describe(manifest: Manifest) -> dict[str, Any]:
    """A short summary for the command line."""
    return {
        "database": manifest.database,
        "sql_rows": sum(manifest.sql.values()),
        "vectors": sum(manifest.vectors.values()),
        "checkpoints": len(manifest.checkpoints),
        "seconds": manifest.seconds,
    }
