"""Latency of the online interest API: one update (new message or event) plus top-10.

Builds a synthetic 2,500-product store in a temp dir, trains nothing (or loads --checkpoint), then
times ``recommend`` right after a new chat message / a new session event. Prints p50/p95.

    python benchmarks/interest_online.py [--items 2500] [--runs 200] [--checkpoint PATH | --trained] [--threads 2]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import torch

from assistant.config import Settings
from assistant.embeddings import get_embedder
from assistant.interest.online import InterestService
from assistant.store.db import Database
from assistant.store.models import Event, Product
from assistant.types import SessionEvent

WORDS = [
    "waterproof",
    "light",
    "warm",
    "merino",
    "trail",
    "road",
    "camp",
    "steel",
    "wool",
    "cotton",
    "compact",
    "travel",
    "kids",
    "winter",
    "summer",
    "classic",
    "pro",
    "ultra",
    "soft",
    "quick-dry",
    "insulated",
]
KINDS = [
    "jacket",
    "shoe",
    "sock",
    "stove",
    "pot",
    "tent",
    "lamp",
    "bag",
    "bottle",
    "glove",
    "hat",
    "pants",
    "shirt",
    "chair",
    "mat",
]


def build_store(root: Path, n_items: int, n_customers: int, seed: int) -> tuple[Settings, Database]:
    rng = random.Random(seed)
    settings = Settings(data_dir=root, device="cpu")
    db = Database(settings)
    db.migrate()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for i in range(n_items):
            kind = rng.choice(KINDS)
            adj = " ".join(rng.sample(WORDS, 2))
            s.add(
                Product(
                    id=f"P{i:05d}",
                    name=f"{adj.title()} {kind.title()} {i}",
                    category=f"Outdoor > {kind}s",
                    brand=rng.choice(["Juniper", "Stride", "FlameOn"]),
                    description=f"A {adj} {kind}.",
                    price=round(rng.uniform(5, 300), 2),
                    available=rng.random() > 0.1,
                    tags=[],
                    source="bench",
                    content_hash=str(i),
                )
            )
        for c in range(n_customers):
            for j in range(rng.randint(5, 40)):
                s.add(
                    Event(
                        id=f"e{c}-{j}",
                        customer_id=f"C{c}",
                        product_id=f"P{rng.randrange(n_items):05d}",
                        event_type=rng.choice(["view", "view", "click", "cart", "purchase"]),
                        timestamp=t0 + timedelta(minutes=j),
                        source="bench",
                    )
                )
    return settings, db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2500)
    ap.add_argument("--customers", type=int, default=50)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--trained", action="store_true", help="Train 1 epoch on the synthetic store first.")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    get_embedder("minilm", "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        settings, db = build_store(Path(tmp), args.items, args.customers, seed=0)
        if args.trained and args.checkpoint is None:
            from assistant.interest.data import leave_one_out, load_from_store
            from assistant.interest.text import TextEncoder
            from assistant.interest.training import ItemFeatures, save_checkpoint, train_model

            data = load_from_store(db)
            feats = ItemFeatures.build(
                data.catalog, settings.interest, TextEncoder("minilm", settings.data_dir / "cache" / "interest")
            )
            res = train_model("fusion", settings.interest, data, leave_one_out(data), feats, epochs=1, progress=False)
            save_checkpoint(settings.checkpoint_dir / "bench.pt", res, data, feats)
            if args.threads:  # training sets its own thread count
                torch.set_num_threads(args.threads)
        t = time.perf_counter()
        svc = InterestService(settings, db, checkpoint=args.checkpoint)
        print(
            f"mode={svc.mode} ({svc.mode_reason}); startup {time.perf_counter() - t:.1f}s, "
            f"{svc.catalog.num_items} items, torch threads {torch.get_num_threads()}"
        )
        rng = random.Random(1)
        # one short message: the cost that the chat-text cache saves on every later call
        emb = get_embedder("minilm", "cpu")
        raw = []
        for i in range(30):
            t = time.perf_counter()
            emb.encode([f"do you have a warm {rng.choice(KINDS)} number {i}"], is_query=True)
            raw.append((time.perf_counter() - t) * 1000)
        print(f"MiniLM, one short message: p50 {np.percentile(raw, 50):.1f} ms, p95 {np.percentile(raw, 95):.1f} ms")
        for c in range(5):  # warm the per-customer event cache, as a live chat would have
            svc.recommend(f"C{c}", k=10)
        lat_msg, lat_evt = [], []
        chats: dict[str, list[str]] = {f"C{c}": [] for c in range(5)}
        for i in range(args.runs):
            cust = f"C{i % 5}"
            msg = f"I need a {rng.choice(WORDS)} {rng.choice(KINDS)} for {rng.choice(['camp', 'trail', 'city'])} {i}"
            chats[cust] = [*chats[cust], msg][-5:]  # the conversation so far, newest last
            t = time.perf_counter()  # new message (never seen: real embedding) + top-10 with reasons
            svc.recommend(cust, chats[cust], k=10)
            lat_msg.append((time.perf_counter() - t) * 1000)
            pid = f"P{rng.randrange(args.items):05d}"
            ev = [SessionEvent(product_id=pid, event_type="click", timestamp=datetime.now(UTC))]
            t = time.perf_counter()  # new event in the same conversation + top-10 with reasons
            svc.recommend(cust, chats[cust], session_events=ev, k=10)
            lat_evt.append((time.perf_counter() - t) * 1000)
        for name, lat in (("new message + top-10", lat_msg), ("new event + top-10", lat_evt)):
            print(f"{name:>24}: p50 {np.percentile(lat, 50):6.1f} ms   p95 {np.percentile(lat, 95):6.1f} ms")


if __name__ == "__main__":
    main()
