"""Load benchmark: N concurrent chat sessions of M turns each, over HTTP on loopback.

Starts ``shopassist serve --workers K`` itself on a built shop (K uvicorn worker processes on one
port), or drives ``--url`` servers already running (loopback only, sessions spread round-robin).
Every session opens a conversation and sends its M questions back to back; every reply is checked
(200, non-empty text, a message id), and afterwards every conversation is read back to check that
each of its turns was stored (customer message and reply). Bounded: ``--max-seconds`` ends it.

Prints turns/s, p50/p95/max latency, errors, lost turns, and where a turn's time goes: the same
questions are run in this process with the engine's stages timed (embedding, vector query, BM25,
SQL, recommendations), and the encoder alone is timed on the batch of queries.

Usage:
    python benchmarks/load.py --data-dir /tmp/shop --sessions 50 --turns 5 --unique
    # several workers need a Chroma server and Redis (see docs/deployment.md):
    SHOPASSIST_CHROMA_HOST=... SHOPASSIST_RATE_LIMIT_STORAGE=redis://... python benchmarks/load.py --workers 2 ...
    python benchmarks/load.py --url http://127.0.0.1:7860 --sessions 50 --turns 5
    # PostgreSQL + Chroma server: export SHOPASSIST_DATABASE_URL / SHOPASSIST_CHROMA_HOST ... first
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from assistant.ops.processes import stop_processes

# Run as a script, this folder comes first on sys.path, and benchmarks/ingest.py would shadow the
# ingest package: the repository root goes first instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

QUESTIONS = [
    "How long do I have to return an item?",
    "Do you ship to Canada?",
    "How long does shipping take?",
    "Can I pay with PayPal?",
    "My tent arrived damaged, what can I do?",
    "Is the rain jacket waterproof?",
    "Do you price match?",
    "What is your warranty on tents?",
    "I need a warm sleeping bag for winter camping",
    "How do I change the delivery address?",
]


UNIQUE = False


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def _session(
    client: httpx.AsyncClient, base: str, index: int, turns: int, deadline: float, out: dict[str, Any]
) -> None:
    try:
        r = await client.post(f"{base}/api/conversations", json={})
        r.raise_for_status()
        started = r.json()
    except Exception as exc:
        out["errors"].append(f"session {index}: start: {exc!r}")
        return
    cid, head = started["conversation_id"], {"X-Conversation-Token": started["conversation_token"]}
    sent: list[str] = []
    for t in range(turns):
        if time.monotonic() > deadline:
            out["errors"].append(f"session {index}: time limit before turn {t}")
            break
        text = QUESTIONS[(index + t) % len(QUESTIONS)]
        if UNIQUE:  # no two turns send the same text: no cache anywhere can answer from a previous turn
            text = f"{text} (ref {index}-{t})"
        t0 = time.perf_counter()
        try:
            r = await client.post(f"{base}/api/conversations/{cid}/messages", json={"text": text}, headers=head)
            dt = time.perf_counter() - t0
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            if r.status_code != 200 or not body.get("text") or not body.get("message_id"):
                out["errors"].append(f"session {index} turn {t}: HTTP {r.status_code} {str(body)[:120]}")
                continue
        except Exception as exc:
            out["errors"].append(f"session {index} turn {t}: {exc!r}")
            continue
        out["latencies"].append(dt)
        sent.append(text)
    out["conversations"].append((base, cid, head, sent))


async def _check_stored(client: httpx.AsyncClient, conversations: list[Any]) -> tuple[int, list[str]]:
    lost, problems = 0, []
    for base, cid, head, sent in conversations:
        r = await client.get(f"{base}/api/conversations/{cid}", headers=head)
        if r.status_code != 200:
            lost += len(sent)
            problems.append(f"{cid}: HTTP {r.status_code}")
            continue
        msgs = r.json()["messages"]
        customer = [m["text"] for m in msgs if m["role"] == "customer"]
        replies = [m for m in msgs if m["role"] == "assistant"]
        missing = len(sent) - sum(1 for s in sent if s in customer)
        unanswered = max(0, len(sent) - len(replies))
        if missing or unanswered:
            lost += max(missing, unanswered)
            problems.append(f"{cid}: {missing} messages missing, {unanswered} replies missing")
    return lost, problems


async def drive(urls: list[str], sessions: int, turns: int, max_seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"latencies": [], "errors": [], "conversations": []}
    limits = httpx.Limits(max_connections=sessions + 10, max_keepalive_connections=sessions + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(max_seconds), limits=limits) as client:
        # Warm-up, not timed: one turn per worker loads what the first turn loads lazily.
        warm: dict[str, Any] = {"latencies": [], "errors": [], "conversations": []}
        await asyncio.gather(*[_session(client, url, 0, 1, time.monotonic() + max_seconds, warm) for url in urls])
        if warm["errors"]:
            out["errors"].extend(f"warm-up: {e}" for e in warm["errors"])
        deadline = time.monotonic() + max_seconds
        t0 = time.perf_counter()
        await asyncio.gather(*[
            _session(client, urls[i % len(urls)], i, turns, deadline, out) for i in range(sessions)
        ])
        wall = time.perf_counter() - t0
        lost, problems = await _check_stored(client, out["conversations"])
    lat = out["latencies"]
    return {
        "sessions": sessions,
        "turns_per_session": turns,
        "turns_ok": len(lat),
        "wall_s": round(wall, 2),
        "turns_per_s": round(len(lat) / wall, 2) if wall else 0.0,
        "p50_s": round(_pct(lat, 0.5), 3),
        "p95_s": round(_pct(lat, 0.95), 3),
        "max_s": round(max(lat), 3) if lat else None,
        "errors": len(out["errors"]),
        "error_examples": out["errors"][:5],
        "lost_turns": lost,
        "lost_examples": problems[:5],
    }


# --- where a turn's time goes (in this process) -----------------------------------------------
class StageTimer:
    """Wraps the engine's collaborators to sum wall time per stage (nested time counted once)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.texts = 0
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, owner: Any, attr: str, stage: str) -> None:
        fn: Callable[..., Any] = getattr(owner, attr)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(timer._local, "depth", 0)
            if depth:
                return fn(*args, **kwargs)
            timer._local.depth = 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with timer._lock:
                    timer.seconds[stage] += time.perf_counter() - t0
                    timer.calls[stage] += 1
                    if stage == "embedding" and len(args) > 1:
                        timer.texts += len(args[1])
                timer._local.depth = 0

        setattr(owner, attr, timed)


def stage_profile(data_env: dict[str, str], n_turns: int) -> dict[str, Any]:
    """Run ``n_turns`` turns in this process with the stages timed; also the encoder alone."""
    os.environ.update(data_env)
    from assistant.config import load_settings
    from assistant.embeddings import Embedder
    from assistant.interest.online import InterestService
    from assistant.retrieval import bm25
    from assistant.services import Services
    from assistant.store.db import Database
    from assistant.vectors import VectorStore

    settings = load_settings()
    if settings.serve_torch_threads:
        import torch

        torch.set_num_threads(settings.serve_torch_threads)
    services = Services.build(settings)
    services.warm_up()
    timer = StageTimer()
    timer.wrap(Embedder, "encode", "embedding")
    timer.wrap(VectorStore, "query", "vector query")
    timer.wrap(bm25.BM25Index, "nearest", "vector query")  # small collections: exact search in memory
    for name in dir(bm25):
        obj = getattr(bm25, name)
        if isinstance(obj, type) and hasattr(obj, "search") and obj is not bm25.BM25Cache:
            timer.wrap(obj, "search", "bm25")
    timer.wrap(InterestService, "recommend", "recommendations")
    timer.wrap(Database, "session", "sql (session open)")
    chat = services.chat
    t0 = time.perf_counter()
    done = 0
    while done < n_turns:
        started = chat.start()
        caller = _caller(started)
        for t in range(min(5, n_turns - done)):
            text = f"{QUESTIONS[(done + t) % len(QUESTIONS)]} (ref p-{done + t})"  # unique: no cache hits
            chat.send(started.conversation_id, caller, text)
        done += min(5, n_turns - done)
    total = time.perf_counter() - t0
    seconds, calls, texts = dict(timer.seconds), dict(timer.calls), timer.texts  # before timing the encoder alone
    emb = services.vectors.embedder
    qs = [QUESTIONS[i % len(QUESTIONS)] + f" #{i}" for i in range(50)]
    t1 = time.perf_counter()
    for q in qs:
        emb.encode([q], is_query=True)
    one_by_one = (time.perf_counter() - t1) / len(qs)
    t1 = time.perf_counter()
    emb.encode(qs, is_query=True)
    batched = (time.perf_counter() - t1) / len(qs)
    stages = {k: round(v / n_turns * 1000, 1) for k, v in sorted(seconds.items())}
    return {
        "turns": n_turns,
        "ms_per_turn": round(total / n_turns * 1000, 1),
        # Wall time inside each stage per turn; stages the engine runs in threads overlap, so the sum
        # may exceed the turn's time.
        "ms_per_turn_by_stage": stages,
        "calls_per_turn": {k: round(v / n_turns, 2) for k, v in sorted(calls.items())},
        "encoded_texts_per_turn": round(texts / n_turns, 2),
        "encoder_ms_per_query_one_by_one": round(one_by_one * 1000, 2),
        "encoder_ms_per_query_batched_50": round(batched * 1000, 2),
        "encoder_only_ceiling_turns_per_s": round(1 / batched, 1) if batched else None,
    }


def _caller(started: Any) -> Any:
    from assistant.services.types import Caller

    return Caller(conversation_token=started.conversation_token)


# --- servers ----------------------------------------------------------------------------------
@contextmanager
def servers(env: dict[str, str], workers: int, base_port: int) -> Iterator[list[str]]:
    """``shopassist serve --workers K`` on one port (uvicorn's worker processes share the socket)."""
    url = f"http://127.0.0.1:{base_port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(base_port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        seen: set[str] = set()
        while len(seen) < workers:  # every worker answers (each warms up before it accepts requests)
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            try:
                r = httpx.get(f"{url}/healthz", timeout=2, headers={"Connection": "close"})
                if r.status_code == 200:
                    seen.add(str(r.json().get("worker")))
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url}: {len(seen)} of {workers} workers answered")
            time.sleep(0.5)
        yield [url]
    finally:
        stop_processes([proc], timeout=30)


DEFAULT_MATRIX = (
    "before: 1 worker, 2 torch threads, no batching=1:2:1",
    "1 worker, 1 torch thread=1:1:1",
    "1 worker, 1 torch thread, dynamic batching=1:1:64",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="A built shop (default: the demo, in a temp dir).")
    parser.add_argument("--url", action="append", default=[], help="Drive running server(s) instead (loopback only).")
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers K` (several need a Chroma server).")
    parser.add_argument(
        "--matrix", action="append", default=[],
        help="'label=WORKERS:TORCH_THREADS:DYNAMIC_BATCH', run one after the other in this invocation "
        "(repeat; 'default' runs the before/after set).",
    )
    parser.add_argument("--base-port", type=int, default=7990)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--profile-turns", type=int, default=20, help="Turns timed by stage in-process (0: skip).")
    parser.add_argument("--label", default="")
    parser.add_argument("--unique", action="store_true", help="Make every turn's text unique (defeats caches).")
    parser.add_argument("--json", type=Path, default=None, help="Append each result as one JSON line here.")
    args = parser.parse_args()
    global UNIQUE
    UNIQUE = args.unique
    if args.sessions < 1 or args.turns < 1 or args.sessions > 1000 or args.turns > 100:
        parser.error("--sessions 1..1000, --turns 1..100")
    for url in args.url:
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error(f"--url {url}: loopback only")

    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    # Every simulated session comes from 127.0.0.1: the servers started here do not limit one address's
    # conversations and messages (a server given by --url needs the same two settings).
    env.setdefault("SHOPASSIST_SECURITY__CONVERSATIONS_PER_CLIENT", "off")
    env.setdefault("SHOPASSIST_SECURITY__MESSAGES_PER_CLIENT", "off")
    if not args.url:
        data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shopassist-load-")) / "data"
        env["SHOPASSIST_DATA_DIR"] = str(data_dir)
        subprocess.run([sys.executable, "-m", "assistant.cli", "demo", "--no-serve"], env=env, check=True,
                       capture_output=True)
    configs: list[tuple[str, int, dict[str, str]]] = []
    for spec in [m for item in args.matrix for m in (DEFAULT_MATRIX if item == "default" else (item,))]:
        label, _, nums = spec.rpartition("=")
        workers, threads, batch = (int(x) for x in nums.split(":"))
        configs.append((label, workers, {"SHOPASSIST_SERVE_TORCH_THREADS": str(threads),
                                         "SHOPASSIST_EMBEDDING_DYNAMIC_BATCH": str(batch)}))
    if not configs:
        configs.append((args.label, args.workers, {}))
    store = "postgresql" if env.get("SHOPASSIST_DATABASE_URL", "").startswith("postgresql") else "sqlite"
    vectors = "chroma server" if env.get("SHOPASSIST_CHROMA_HOST") else "embedded chroma"
    results = []
    for label, workers, extra in configs:
        load1 = os.getloadavg()[0]
        if args.url:
            result = asyncio.run(drive(args.url, args.sessions, args.turns, args.max_seconds))
        else:
            with servers({**env, **extra}, workers, args.base_port) as urls:
                result = asyncio.run(drive(urls, args.sessions, args.turns, args.max_seconds))
        result.update(label=label, workers=workers if not args.url else len(args.url), settings=extra,
                      cpus=os.cpu_count(), loadavg_before=round(load1, 2),
                      loadavg_after=round(os.getloadavg()[0], 2), store=store, vectors=vectors)
        results.append(result)
        print(json.dumps(result), flush=True)
        if args.json:
            with args.json.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(result) + "\n")
    if args.profile_turns and not args.url:
        os.environ["SHOPASSIST_SERVE_TORCH_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)
        profile = stage_profile({k: v for k, v in env.items() if k.startswith("SHOPASSIST_")}, args.profile_turns)
        print(json.dumps({"profile": profile}, indent=2))
        if args.json:
            with args.json.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"profile": profile, "store": store, "vectors": vectors}) + "\n")
    print(f"\n{'configuration':58} {'turns/s':>8} {'p50 s':>7} {'p95 s':>7} {'errors':>6} {'lost':>5} {'load':>5}")
    for r in results:
        print(f"{r['label'][:58]:58} {r['turns_per_s']:8.2f} {r['p50_s']:7.3f} {r['p95_s']:7.3f} "
              f"{r['errors']:6d} {r['lost_turns']:5d} {r['loadavg_before']:5.1f}")


if __name__ == "__main__":
    main()
