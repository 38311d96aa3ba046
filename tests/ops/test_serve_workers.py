"""`shopassist serve --workers N` refuses what several processes cannot share, in one line, exit 2.

Running two workers for real (SQLite + a Chroma server + Redis) is
``tests/integration/test_workers_one_port.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.server import settle_heap, workers_problem


def test_workers_problem_names_what_is_missing(tmp_path: Path) -> None:
    local = Settings(data_dir=tmp_path)
    assert workers_problem(local, 1) is None
    problem = workers_problem(local, 2)
    assert problem is not None and "\n" not in problem
    assert "SHOPASSIST_CHROMA_HOST" in problem and "SHOPASSIST_RATE_LIMIT_STORAGE" in problem
    served = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", rate_limit_storage="redis://127.0.0.1:6379/0")
    assert workers_problem(served, 4) is None  # SQLite (WAL) is fine: one file, several processes
    only_chroma = Settings(data_dir=tmp_path, chroma_host="127.0.0.1")
    assert "SHOPASSIST_CHROMA_HOST" not in (workers_problem(only_chroma, 2) or "x")


def test_serve_refuses_several_workers_on_embedded_chroma(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
    env["SHOPASSIST_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "serve", "--workers", "2", "--port", "1"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2, run.stderr
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, run.stderr
    assert "--workers 2 needs SHOPASSIST_CHROMA_HOST" in lines[0] and "embedded Chroma" in lines[0]
    assert not (tmp_path / "data").exists()  # refused before any store was opened


def test_settle_heap_moves_the_warm_objects_out_of_the_collectors_reach() -> None:
    import gc

    warm = [{"model": i} for i in range(1000)]  # stands for models and indexes loaded by warm-up
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(warm)
    finally:
        gc.unfreeze()
