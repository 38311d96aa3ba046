"""Load time of the chat page in a real browser, as a customer meets it.

Builds the demo shop (unless built), starts `shopassist serve` as a subprocess, loads the page once to
warm the server's caches, then loads it ``--runs`` times more, each in a fresh Chromium context (nothing
cached in the browser), and prints, per load, the time from navigation until the message box is ready
and until the search box and the product-card column are shown too; then min, median and max of each.
Exits 1 when the best load of the message box takes longer than ``--target-s``.

Needs Chromium (``/usr/bin/chromium``, as the browser tests) and Playwright.

Usage:
    python benchmarks/page_load.py [--data-dir DIR] [--port 7998] [--runs 5] [--target-s 2.0]
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

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PARTS = ("#search-box input", "#recommendations")


def _serve(cli: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)


def _load(browser: object, url: str) -> tuple[float, float]:
    """Seconds until the message box is ready, and until the page's other parts are shown too."""
    ctx = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        start = time.perf_counter()
        page.goto(url)
        page.locator("#message textarea").wait_for()
        box = time.perf_counter() - start
        for selector in PARTS:
            page.locator(selector).first.wait_for()
        return box, time.perf_counter() - start
    finally:
        ctx.close()


def _row(name: str, values: list[float]) -> str:
    return f"{name:<34} min {min(values):5.2f} s   median {statistics.median(values):5.2f} s   max {max(values):5.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=7998)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target-s", type=float, default=2.0, help="Exit 1 when the best message-box load is slower.")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shopassist-bench-")) / "data"
    env = {**os.environ, "SHOPASSIST_DATA_DIR": str(data_dir), "SHOPASSIST_PORT": str(args.port)}
    cli = [sys.executable, "-m", "assistant.cli"]
    subprocess.run([*cli, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    base = f"http://127.0.0.1:{args.port}"
    proc = _serve(cli, env, base)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                first = _load(browser, base)  # warms the server's caches
                runs = [_load(browser, base) for _ in range(args.runs)]
            finally:
                browser.close()
    finally:
        stop_processes([proc], timeout=30)
    boxes, whole = [r[0] for r in runs], [r[1] for r in runs]
    print(f"first load (cold server caches):   {first[0]:5.2f} s to the message box, {first[1]:5.2f} s to all parts")
    for i, (box, all_parts) in enumerate(runs, 1):
        print(f"load {i} (fresh browser context):   {box:5.2f} s to the message box, {all_parts:5.2f} s to all parts")
    print(_row(f"message box ready ({args.runs} loads)", boxes) + f"   (target: best < {args.target_s:g} s)")
    print(_row(f"search box and cards shown ({args.runs})", whole))
    return 0 if min(boxes) < args.target_s else 1


if __name__ == "__main__":
    sys.exit(main())
