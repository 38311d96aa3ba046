"""Start-up and first-answer time of the demo app, as a user meets them.

Builds the demo shop (unless built), starts `shopassist serve` as a subprocess, and measures:
  * start-up: process start until /healthz answers (stores already built);
  * first answer: the first POST of a returns question, end to end over HTTP;
  * the next answers (median of 5).

Usage:
    python benchmarks/startup.py [--data-dir DIR] [--port 7999]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.ops.processes import stop_processes

QUESTIONS = [
    "How do I return a jacket that doesn't fit?",
    "How long does shipping take?",
    "Can I pay with PayPal?",
    "My tent arrived damaged, what can I do?",
    "Do you price match?",
    "How do I change my password?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=7999)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shopassist-bench-")) / "data"
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(data_dir), "SHOPASSIST_PORT": str(args.port)}
    cli = [sys.executable, "-m", "assistant.cli"]

    t0 = time.perf_counter()
    subprocess.run([*cli, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    print(f"demo build (first run or check):   {time.perf_counter() - t0:6.2f} s")

    t0 = time.perf_counter()
    proc = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{args.port}"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        startup = time.perf_counter() - t0
        timings = []
        for question in QUESTIONS:
            conv = httpx.post(f"{base}/api/conversations", json={}, timeout=30).json()["conversation_id"]
            t1 = time.perf_counter()
            r = httpx.post(f"{base}/api/conversations/{conv}/messages", json={"text": question}, timeout=60)
            r.raise_for_status()
            timings.append(time.perf_counter() - t1)
        print(f"start-up with stores built:         {startup:6.2f} s   (target < 30 s)")
        print(f"first answer:                       {timings[0]:6.2f} s   (target < 3 s)")
        print(f"next answers, median of {len(timings) - 1}:          {statistics.median(timings[1:]):6.2f} s")
    finally:
        stop_processes([proc], timeout=30)


if __name__ == "__main__":
    main()
