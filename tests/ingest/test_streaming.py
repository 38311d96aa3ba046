"""Issue 3 (9): readers stream; peak memory does not grow with the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from assistant.config import Settings
from ingest.pipeline import ingest_paths


def write_conversations(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            turns = [{"role": "customer", "text": f"Where is order #{i}? It was due last week."},
                     {"role": "agent", "text": "It left our warehouse today; tracking follows by email."}]
            fh.write(json.dumps({"conversation_id": f"c{i}", "turns": turns}) + "\n")
    return path


def peak_bytes(path: Path, settings: Settings, fmt: str) -> int:
    tracemalloc.start()
    try:
        report = ingest_paths([path], fmt, settings=settings, dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok and report.rejections_total == 0
    return peak


def test_peak_memory_flat_as_file_grows(tmp_path: Path, settings: Settings) -> None:
    small = write_conversations(tmp_path / "small.jsonl", 2_000)
    large = write_conversations(tmp_path / "large.jsonl", 20_000)
    peak_bytes(small, settings, "conversations-jsonl")  # first use loads langdetect profiles
    p_small = peak_bytes(small, settings, "conversations-jsonl")
    p_large = peak_bytes(large, settings, "conversations-jsonl")
    # 10x the records (~2 MB -> ~20 MB of file): the peak may wobble, not scale.
    assert p_large < p_small * 1.5 + 2_000_000, (p_small, p_large)
    # The same holds for one big JSON array, parsed incrementally.
    arr = tmp_path / "large.json"
    arr.write_text("[" + ",".join(line for line in large.read_text().splitlines()) + "]")
    assert peak_bytes(arr, settings, "conversations-json") < p_small * 1.5 + 3_000_000
