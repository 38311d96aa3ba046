"""`shopassist serve --workers 2` on one port: SQLite (WAL, one file) + a Chroma server + Redis.

Two uvicorn worker processes, each with its own services built by ``assistant.server:app_factory``,
share one data dir's SQLite file: both answer (``/healthz`` names a random id per worker process),
conversations continue whichever worker takes the next connection, and a burst of concurrent turns
is answered and stored in full.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.ops.processes import stop_processes
from tests.integration.conftest import chroma_database
from tests.live_server import free_port


@pytest.fixture(scope="module")
def sqlite_chroma_shop(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, embedder: Embedder
) -> Iterator[dict[str, str]]:
    """The demo shop in a SQLite file, its vectors in a Chroma database of its own on the server."""
    from assistant.demo.build import build_demo

    with chroma_database("shopassist_workers") as (host, port, name):
        data_dir: Path = tmp_path_factory.mktemp("workers") / "data"
        build_demo(
            Settings(
                data_dir=data_dir, chroma_host=host, chroma_port=port, chroma_database=name,
                rate_limit_storage=redis_url, device="cpu",
            )
        )
        yield {
            "SHOPASSIST_DATA_DIR": str(data_dir),
            "SHOPASSIST_CHROMA_HOST": host,
            "SHOPASSIST_CHROMA_PORT": str(port),
            "SHOPASSIST_CHROMA_DATABASE": name,
            "SHOPASSIST_RATE_LIMIT_STORAGE": redis_url,
            "SHOPASSIST_DEVICE": "cpu",
        }


def _fresh(url: str, path: str, **kw: object) -> httpx.Response:
    """One request on a new connection, so the kernel may hand it to either worker."""
    with httpx.Client(timeout=120, headers={"Connection": "close"}) as c:
        return c.request(str(kw.pop("method", "GET")), f"{url}{path}", **kw)  # type: ignore[arg-type]


def test_serve_two_workers_on_one_port_share_sqlite(sqlite_chroma_shop: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
    env.update(sqlite_chroma_shop)
    # A burst of 12 customers from one test address: the per-address limits (30 messages a minute) are
    # for real clients, and are tested in tests/assistant/api/test_rate_limits.py.
    env.update(SHOPASSIST_SECURITY__CONVERSATIONS_PER_CLIENT="off", SHOPASSIST_SECURITY__MESSAGES_PER_CLIENT="off")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        workers: set[str] = set()
        deadline = time.monotonic() + 300
        while len(workers) < 2:  # both worker processes answer on the one port
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise AssertionError(f"serve --workers 2 exited {proc.returncode}: {err[-2000:]}")
            assert time.monotonic() < deadline, f"only {workers} answered in 300 s"
            try:
                r = _fresh(url, "/healthz")
                if r.status_code == 200:
                    workers.add(r.json()["worker"])
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert len(workers) == 2

        # One conversation, each turn on a new connection: whichever worker takes it continues it.
        started = _fresh(url, "/api/conversations", method="POST", json={}).json()
        cid, head = started["conversation_id"], {"X-Conversation-Token": started["conversation_token"]}
        questions = ["How long do I have to return an item?", "Do you ship to Canada?", "Can I pay with PayPal?"]
        for q in questions:
            r = _fresh(url, f"/api/conversations/{cid}/messages", method="POST", json={"text": q}, headers=head)
            assert r.status_code == 200, r.text
            assert r.json()["text"] and r.json()["message_id"]
        msgs = _fresh(url, f"/api/conversations/{cid}", headers=head).json()["messages"]
        assert [m["text"] for m in msgs if m["role"] == "customer"] == questions
        assert sum(m["role"] == "assistant" for m in msgs) == len(questions)

        # A burst of concurrent sessions over both workers: every turn answered and stored (SQLite WAL).
        def session(i: int) -> tuple[int, int]:
            s = _fresh(url, "/api/conversations", method="POST", json={}).json()
            h = {"X-Conversation-Token": s["conversation_token"]}
            ok = 0
            for t in range(3):
                text = f"{questions[(i + t) % 3]} (ref {i}-{t})"
                r = _fresh(url, f"/api/conversations/{s['conversation_id']}/messages", method="POST",
                           json={"text": text}, headers=h)
                ok += r.status_code == 200 and bool(r.json().get("text"))
            got = _fresh(url, f"/api/conversations/{s['conversation_id']}", headers=h).json()["messages"]
            return ok, sum(m["role"] == "assistant" for m in got)

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(session, range(12)))
        assert results == [(3, 3)] * 12
        seen = {_fresh(url, "/healthz").json()["worker"] for _ in range(20)}
        assert seen <= workers and len(seen) == 2  # the same two processes served it all
    finally:
        stop_processes([proc], timeout=30)
