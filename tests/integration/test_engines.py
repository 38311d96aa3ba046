"""Ingestion, chat, handoff, the agent's decision and interest training on PostgreSQL + Chroma server + Redis.

Two ``shopassist serve`` processes (different ports, different data dirs: nothing shared on local
disk) serve the same shop: a conversation started on one continues on the other, a handoff made
on one is in the other's agent queue and is decided there, sign-in throttling, per-client limits
and logout hold across both.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.ops.processes import stop_processes
from tests.live_server import free_port

pytestmark = pytest.mark.integration


def test_ingestion_into_postgres_and_chroma_server(engines_settings: Settings) -> None:
    from assistant.demo.build import build_demo
    from assistant.ops.startup import check_database, check_vectors, open_vectors
    from ingest.stats import collect_stats

    first = collect_stats(engines_settings)
    assert first["sql"]["products"] > 0 and first["vectors"]["policies"] > 0
    assert first["sql"]["vector_chunks"] == sum(first["vectors"].values())
    assert check_database(engines_settings).engine.dialect.name == "postgresql"
    check_vectors(engines_settings, check_database(engines_settings), open_vectors(engines_settings))
    reports = build_demo(engines_settings)  # the same files again: nothing changes
    assert all(sum(c.get("written", 0) for c in r["counts"].values()) == 0 for r in reports.values())
    assert collect_stats(engines_settings) == first


def test_interest_encoder_trains_from_postgres(engines_settings: Settings, tmp_path: Path) -> None:
    from assistant.interest.data import leave_one_out, load_from_store
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures, load_checkpoint, save_checkpoint, train_model
    from assistant.store.db import Database

    db = Database(engines_settings)
    data = load_from_store(db, max_chars=engines_settings.interest.item_text_max_chars)
    split = leave_one_out(data)
    assert len(split.eval_users) > 0
    cfg = engines_settings.interest
    feats = ItemFeatures.build(data.catalog, cfg, TextEncoder(engines_settings.embedding_model, tmp_path / "cache"))
    res = train_model(cfg.model, cfg, data, split, feats, device="cpu", epochs=3, progress=False)
    path = save_checkpoint(tmp_path / "pg.pt", res, data, feats)
    assert res.best_valid["score"] > 0.0
    assert load_checkpoint(path).item_ids == data.catalog.ids


def _serve(env: dict[str, str], data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env={**env, "SHOPASSIST_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"worker exited {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not start in {timeout}s")


@pytest.fixture(scope="module")
def two_workers(
    engines_settings: Settings, engines_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
    env.update(engines_env)
    env["SHOPASSIST_LOGIN_RATE_LIMIT"] = "3/15 minutes"
    # Per-client limits are counted in Redis; the test names its clients through a trusted proxy's
    # X-Forwarded-For (the loopback plays the proxy), new addresses every run: counts outlive the test.
    env["SHOPASSIST_SECURITY__SEARCHES_PER_CLIENT"] = "3/minute"
    env["SHOPASSIST_SECURITY__TRUSTED_PROXIES"] = '["127.0.0.1"]'
    # An agent account, created through the command line like an operator would.
    add = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "user", "add", "--role", "agent", "--password", "s3cret-pass!", "ana"],
        env={**env, "SHOPASSIST_DATA_DIR": str(engines_settings.data_dir)},
        capture_output=True, text=True, timeout=300,
    )
    assert add.returncode == 0, add.stderr
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        procs.append(_serve(env, tmp_path_factory.mktemp(f"worker{i}") / "data", port))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for proc, url in zip(procs, urls, strict=True):
            _wait_ready(proc, url)
        yield urls[0], urls[1]
    finally:
        stop_processes(procs, timeout=20)


def _login(client: httpx.Client, url: str, password: str = "s3cret-pass!", user: str = "ana") -> httpx.Response:
    return client.post(f"{url}/api/auth/login", json={"username": user, "password": password})


def test_two_workers_share_conversations_handoffs_decisions_sessions_and_throttling(
    two_workers: tuple[str, str],
) -> None:
    a, b = two_workers
    customer = httpx.Client(timeout=120)
    # A conversation started on A ...
    started = customer.post(f"{a}/api/conversations", json={}).json()
    cid, token = started["conversation_id"], started["conversation_token"]
    head = {"X-Conversation-Token": token}
    first = customer.post(
        f"{a}/api/conversations/{cid}/messages", json={"text": "How long do I have to return an item?"}, headers=head
    )
    assert first.status_code == 200, first.text
    assert first.json()["citations"], "the policy answer cites the policy"
    # ... continues on B, which sees A's turn in the history.
    second = customer.post(f"{b}/api/conversations/{cid}/messages", json={"text": "And do you ship to Canada?"},
                           headers=head)
    assert second.status_code == 200, second.text
    history = customer.get(f"{b}/api/conversations/{cid}", headers=head).json()["messages"]
    texts = [m["text"] for m in history]
    assert "How long do I have to return an item?" in texts and "And do you ship to Canada?" in texts
    assert len(history) >= 4

    # A handoff made on A is in B's agent queue, and B's agent decides its draft.
    handed = customer.post(f"{a}/api/conversations/{cid}/handoff", json={"reason": "wants a person"}, headers=head)
    assert handed.status_code == 200, handed.text
    agent = httpx.Client(timeout=60)
    assert _login(agent, b).status_code == 200
    queue = agent.get(f"{b}/api/agent/queue")
    assert queue.status_code == 200 and cid in [q["id"] for q in queue.json()]
    reply = agent.post(f"{b}/api/agent/conversations/{cid}/reply", json={"text": "Hello from a person on worker B."})
    assert reply.status_code == 200, reply.text
    on_a = customer.get(f"{a}/api/conversations/{cid}", headers=head).json()["messages"]
    assert any(m["text"] == "Hello from a person on worker B." for m in on_a)

    # Logout on A ends the session on B too (the cookie is signed with the shared secret).
    cookie = agent.cookies.get("shopassist_session")
    assert cookie and agent.get(f"{a}/api/auth/me").status_code == 200
    assert agent.post(f"{a}/api/auth/logout").status_code == 200
    replay = httpx.Client(timeout=30, cookies={"shopassist_session": cookie})
    assert replay.get(f"{b}/api/auth/me").status_code == 401

    # Failed sign-ins on A count on B (limit 3 per 15 minutes, kept in Redis). The name tried is new
    # to every run: the count outlives the test in Redis and must not lock out the next run's agent.
    thief, name = httpx.Client(timeout=30), f"intruder-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        assert _login(thief, a, password="wrong", user=name).status_code == 401
    blocked = _login(thief, b, password="s3cret-pass!", user=name)
    assert blocked.status_code == 429, blocked.text


def _new_client() -> dict[str, str]:
    """A client address no earlier run used (counts outlive the test in Redis), named by the trusted proxy."""
    return {"X-Forwarded-For": f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}


def test_two_workers_count_one_clients_searches_together(two_workers: tuple[str, str]) -> None:
    """``security.searches_per_client`` (3 a minute here) holds across workers: three searches spread over
    A and B use it up, the fourth is refused on either, and another client is not affected."""
    a, b = two_workers
    client, other = _new_client(), _new_client()
    with httpx.Client(timeout=60) as http:
        codes = [http.get(f"{url}/api/search", params={"q": "tent"}, headers=client).status_code for url in (a, b, a)]
        assert codes == [200, 200, 200]
        refused = http.get(f"{b}/api/search", params={"q": "tent"}, headers=client)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0, refused.text
        assert http.get(f"{a}/api/search", params={"q": "tent"}, headers=client).status_code == 429
        assert http.get(f"{b}/api/search", params={"q": "tent"}, headers=other).status_code == 200
        # A malformed X-Forwarded-For from the proxy is ignored: the client is the proxy itself, not the string.
        junk = http.get(f"{a}/api/search", params={"q": "tent"}, headers={"X-Forwarded-For": "made-up"})
        assert junk.status_code in (200, 429)
