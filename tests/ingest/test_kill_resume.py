"""Issue 3 (6): a run SIGKILLed at any point, then run again, ends exactly like one clean run.

Real subprocesses are killed (a) by the pipeline's own test hook at batch boundaries (after the
Chroma upsert but before the SQL commit, then, while resuming, right after a commit), and (b) by
the test with SIGKILL after a random number of progress lines. After the rerun, the stores must
equal a clean run's: same statistics, same chunk ids, and SQL ``SourceRecord`` claims equal to
Chroma's contents.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import REPO, conversation, jsonl
from sqlalchemy import select

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.store.models import SourceRecord
from assistant.vectors import COLLECTIONS, VectorStore
from ingest.pipeline import CRASH_ENV, ingest_paths
from ingest.stats import collect_stats

BATCH = 8
CHILD = """
import sys
from pathlib import Path
from assistant.config import Settings
from ingest.pipeline import ingest_paths
settings = Settings(data_dir=sys.argv[1], device="cpu")
paths = [Path(p) for p in sys.argv[2:]]
def progress(ev):
    print("progress", ev.records, flush=True)
ingest_paths(paths, settings=settings, source="kill", batch_size=BATCH, progress=progress)
print("finished", flush=True)
""".replace("BATCH", str(BATCH))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("kill-in")
    convs = [conversation(i, turns=2 + i % 3) for i in range(40)]
    (d / "conv.jsonl").write_text(jsonl(convs))
    products = [{"product_id": f"P{i}", "name": f"Kettle model {i}", "price": 20 + i} for i in range(12)]
    (d / "catalog.json").write_text(json.dumps(products))
    sections = "\n\n".join(f"## Rule {i}\n\nRule number {i} says refunds take {i} days." for i in range(10))
    (d / "policy.md").write_text("# Policy\n\n" + sections + "\n")
    return [d / "catalog.json", d / "conv.jsonl", d / "policy.md"]


def snapshot(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    db, vs = Database(settings), VectorStore(settings, embedder)
    stats = collect_stats(settings, db=db, vectors=vs)
    chroma = {c: sorted(vs.collection(c).get(include=[])["ids"]) for c in COLLECTIONS}
    claimed: dict[str, list[str]] = {c: [] for c in COLLECTIONS}
    with db.session() as s:
        for col, ids in s.execute(select(SourceRecord.collection, SourceRecord.chunk_ids)):
            if col:
                claimed[col].extend(ids)
    assert {c: sorted(v) for c, v in claimed.items()} == chroma, "SQL claims and Chroma disagree"
    db.engine.dispose()
    return {"stats": stats, "ids": chroma}


def child(data_dir: Path, inputs: list[Path], crash: str | None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_") or k == "SHOPASSIST_SHARED_DATA"}
    env["PYTHONPATH"] = str(REPO)
    if crash:
        env[CRASH_ENV] = crash
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), *map(str, inputs)],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, inputs: list[Path], embedder: Embedder) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("clean") / "data", device="cpu")
    report = ingest_paths(inputs, settings=settings, source="kill", batch_size=BATCH,
                          vectors=VectorStore(settings, embedder))
    assert report.ok and report.total("written") == 40 + 12 + 10
    return snapshot(settings, embedder)


def test_killed_at_batch_boundaries_then_resumed(
    inputs: list[Path], clean: dict[str, Any], tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    # Killed before a batch's SQL commit, then (resuming) killed right after one: each process
    # start costs model loading, so one chain covers both boundaries and a crash during resume.
    for crash in ("chroma:2", "sql:2"):
        proc = child(settings.data_dir, inputs, crash)
        proc.communicate(timeout=300)
        assert proc.returncode == -signal.SIGKILL, f"child was not killed at {crash}"
    report = ingest_paths(inputs, settings=settings, source="kill", batch_size=BATCH,
                          vectors=VectorStore(settings, embedder))
    assert report.ok
    assert snapshot(settings, embedder) == clean


def test_killed_at_random_moment_then_resumed(
    inputs: list[Path], clean: dict[str, Any], tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    rng = random.Random(7)
    proc = child(settings.data_dir, inputs, None)
    assert proc.stdout is not None
    kill_after = rng.randint(2, 6)
    seen = 0
    for line in proc.stdout:
        seen += line.startswith("progress")
        if seen >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.communicate(timeout=300)
    report = ingest_paths(inputs, settings=settings, source="kill", batch_size=BATCH,
                          vectors=VectorStore(settings, embedder))
    assert report.ok
    assert snapshot(settings, embedder) == clean
