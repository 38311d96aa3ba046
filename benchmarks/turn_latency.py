"""One session's turn latency on the demo shop, through the engine, stage by stage.

Replays the dialogue suite's customer messages (or a built-in script) in fresh conversations,
one session at a time, and prints p50/p95 of the whole turn and of each stage beside the time of
one query embedding alone (the physical floor of a turn: every turn embeds its message once).
Each message gets a unique suffix so no cache answers it. Run it on a quiet machine, without
``nice``, after a warm-up:

    python benchmarks/turn_latency.py [--data-dir DIR] [--suite ../shared/dialogues/demo-shop.jsonl]
                                      [--rounds 3] [--json reports/turn_latency.json]

Without ``--data-dir`` the demo shop is built in a temporary folder first (about a minute).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder is first on sys.path and its ingest.py would shadow the ingest package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCRIPT = [
    ["How long do I have to return boots?", "and who pays for the return shipping?", "what if they arrived damaged?"],
    ["I'm looking for a warm jacket for hiking under $150", "something cheaper?"],
    ["Do you have a tent?", "how much does it weigh?", "and is it freestanding?"],
    ["hi there!", "Do you have wool socks?", "thanks a lot"],
    ["Where is my order?", "It's maya.okafor@example.com"],
    ["退货期限是多久？", "Thanks! Do you ship to Canada?"],
]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _dialogues(suite: Path | None) -> list[list[str]]:
    if suite is None or not suite.is_file():
        return SCRIPT
    out = []
    for line in suite.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append([t["say"] for t in json.loads(line)["turns"]])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="A built demo shop (copied, never modified).")
    ap.add_argument("--suite", type=Path, default=Path("../shared/dialogues/demo-shop.jsonl"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args()

    from assistant.config import Settings
    from assistant.conversation import Assistant
    from assistant.store.db import Database
    from assistant.vectors import VectorStore

    work = Path(tempfile.mkdtemp(prefix="turn-latency-"))
    data = work / "data"
    if args.data_dir is not None:
        shutil.copytree(args.data_dir, data)
        settings = Settings(data_dir=data, device="cpu")
    else:
        from assistant.demo.build import build_demo

        settings = Settings(data_dir=data, device="cpu")
        print("building the demo shop…", flush=True)
        build_demo(settings)
    bot = Assistant(settings, Database(settings), VectorStore(settings))
    embedder = bot.vectors.embedder
    dialogues = _dialogues(args.suite)

    # Warm-up: models, caches of the catalog and of the stored passages' screening.
    for turns in dialogues[:3]:
        cid = bot.start_conversation()
        for text in turns:
            bot.send(cid, text)

    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    embed: list[float] = []
    n = 0
    for r in range(args.rounds):
        for d, turns in enumerate(dialogues):
            cid = bot.start_conversation()
            for text in turns:
                n += 1
                # A unique tail defeats every cache (query embeddings, chat vectors) without changing meaning.
                unique = f"{text} ({r}.{d}.{n})"
                start = time.perf_counter()
                embedder.encode([f"{unique} floor"], is_query=True)
                embed.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                bot.send(cid, unique)
                totals.append((time.perf_counter() - start) * 1000)
                for stage, ms in bot.last_timings.items():
                    stages.setdefault(stage, []).append(ms)
    result: dict[str, Any] = {
        "turns": len(totals),
        "turn_ms": {"p50": round(statistics.median(totals), 1), "p95": round(_pct(totals, 0.95), 1)},
        "embedding_call_ms": {"p50": round(statistics.median(embed), 1), "p95": round(_pct(embed, 0.95), 1)},
        "stages_ms": {
            k: {"p50": round(statistics.median(v), 1), "p95": round(_pct(v, 0.95), 1)}
            for k, v in sorted(stages.items())
        },
    }
    print(f"turns: {result['turns']} (one session at a time, {args.rounds} rounds)")
    print(f"{'stage':<14}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'turn (total)':<14}{result['turn_ms']['p50']:>10}{result['turn_ms']['p95']:>10}")
    print(f"{'embedding':<14}{result['embedding_call_ms']['p50']:>10}{result['embedding_call_ms']['p95']:>10}")
    for k, v in result["stages_ms"].items():
        print(f"  {k:<12}{v['p50']:>10}{v['p95']:>10}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
