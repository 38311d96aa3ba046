"""Backup (pg_dump + vectors from the Chroma server) and restore into a fresh database and Chroma database."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from assistant.config import Settings
from assistant.ops.backup import backup, restore
from ingest.stats import collect_stats

pytestmark = pytest.mark.integration


def test_backup_and_restore_on_postgres_and_chroma_server(
    engines_settings: Settings, chroma_server: tuple[str, int, str], tmp_path: Path
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed (Debian: postgresql-client)")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    before = collect_stats(engines_settings)
    manifest = backup(engines_settings, tmp_path / "backup")
    assert manifest.database == "postgresql" and manifest.sql_file == "postgres.dump"
    assert manifest.vectors == before["vectors"]

    # An empty database and an empty Chroma database to restore into.
    url = engines_settings.database_url
    assert url is not None
    name = f"shopassist_it_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    host, port, _ = chroma_server
    chroma_admin = chromadb.AdminClient(
        ChromaSettings(chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=host,
                       chroma_server_http_port=port, anonymized_telemetry=False)
    )
    chroma_admin.create_database(name)
    target = engines_settings.model_copy(
        update={
            "database_url": urlsplit(url)._replace(path=f"/{name}").geturl(),
            "chroma_database": name,
            "data_dir": tmp_path / "restored",
        }
    )
    try:
        restore(target, tmp_path / "backup")
        assert collect_stats(target) == before
    finally:
        from assistant.store.db import Database

        Database(target).engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
