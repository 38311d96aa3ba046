"""Time per foreign-PII scrub of realistic replies: the Presidio-based generic pass (before) vs the
pattern-based one (after), on a synthetic store of any size (no shop data needed).

    .venv/bin/python benchmarks/pii_scrub.py --customers 2000 --repeat 5

Prints one JSON object: ms per scrub (p50, mean) for both, and whether both masked the same kinds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder is first on sys.path and its ingest.py would shadow the ingest package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from assistant.config import Settings  # noqa: E402
from assistant.security.pii import PLACEHOLDER, ForeignPIIGuard, ScrubResult  # noqa: E402
from assistant.store.db import Database  # noqa: E402
from assistant.store.models import Customer, Order, Product  # noqa: E402

FIRST = ["Maya", "Mei", "Grace", "Omar", "Lucia", "Tobias", "Priya", "Kenji", "Amara", "Felix", "Ingrid", "Rafael"]
LAST = ["Okafor", "Lin", "Whitfield", "Haddad", "Moreno", "Brandt", "Raman", "Sato", "Nwosu", "Lindqvist", "Costa"]
STREETS = ["Larch Ave", "Lakeshore Crest", "Ponce Ct", "Elm Street", "Harbor Road", "Maple Drive"]


def build_store(path: Path, customers: int, seed: int = 7) -> Database:
    rng = random.Random(seed)
    settings = Settings(database_url=f"sqlite:///{path}")
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Product(id="P1", name="Alder Rain Shell", category="Outdoor Apparel", source="b", content_hash="h"))
        for i in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            zip_ = f"{rng.randint(10000, 99999)}"
            line1 = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
            phone = f"(510) 555-{i % 10000:04d}"
            s.add(
                Customer(
                    id=f"C{i:05d}",
                    name=f"{first} {last}{i}",
                    email=f"{first.lower()}.{last.lower()}{i}@example.com",
                    zip=zip_,
                    address={"line1": line1, "zip": zip_, "phone": phone},
                    source="b",
                    content_hash="h",
                )
            )
            s.add(
                Order(
                    id=f"#JP{10000 + i}",
                    customer_id=f"C{i:05d}",
                    status="shipped",
                    tracking_number=f"1ZAB{i:014d}",
                    shipping_address={"line1": line1, "zip": zip_},
                    source="b",
                    content_hash="h",
                )
            )
    return db


def replies(customers: int) -> list[str]:
    other = customers // 2
    base = [
        "Thanks for waiting! Your order #JP10001 shipped with UPS and should arrive on Thursday.",
        f"I'm sorry, I can't share details about order #JP{10000 + other}; it belongs to another account.",
        "Our Alder Rain Shell is waterproof and packs into its own pocket. Would you like the size guide?",
        f"We emailed {FIRST[0].lower()}.{LAST[0].lower()}{other}@example.com and called (510) 555-{other:04d}.",
        "You can reach us at help@shop.example or +1 415 555 0132, Monday to Friday. Write to a.b@c.org too.",
        "Returns are free within 30 days. Start one from your orders page and print the label at home.",
        "您的订单已发货，预计周四送达。如需帮助请联系我们。",
        "Tracking 1ZAB00000000000001 shows it left the depot this morning; delivery 2026-12-03 by 8pm.",
    ]
    return [*base, " ".join(base[:6] * 3)]  # and one long answer (~1.5 kB)


def time_scrubs(
    guard: ForeignPIIGuard, texts: list[str], repeat: int, extra: Any = None
) -> tuple[list[float], list[ScrubResult]]:
    times: list[float] = []
    results: list[ScrubResult] = []
    for r in range(repeat):
        for t in texts:
            start = time.perf_counter()
            out = guard.scrub(t, "C00001")
            if extra is not None:
                out = extra(out)
            times.append((time.perf_counter() - start) * 1000)
            if r == 0:
                results.append(out)
    return times, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(Path(tmp) / "b.db", args.customers)
        texts = replies(args.customers)

        after_guard = ForeignPIIGuard(db, public_contacts=["help@shop.example"], shop_domains=["shop.example"])
        after_guard.refresh(force=True)
        t0 = time.perf_counter()
        after_guard.scrub("A first reply: call 415 555 0132 or write to a@b.co.", None)
        after_cold_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        from ingest.redact import Redactor

        redactor = Redactor(entities=("EMAIL", "PHONE"))
        redactor.redact("A first reply: call 415 555 0132 or write to a@b.co.")
        before_cold_ms = (time.perf_counter() - t0) * 1000

        def presidio(out: ScrubResult) -> ScrubResult:  # the generic pass the guard ran before
            result = redactor.redact(out.text)
            removed = list(out.removed)
            for kind, n in result.found.items():
                removed.extend([kind.lower()] * n)
            text = str(result.text).replace("<EMAIL>", PLACEHOLDER["email"]).replace("<PHONE>", PLACEHOLDER["phone"])
            return ScrubResult(text, removed)

        before_guard = ForeignPIIGuard(
            db, public_contacts=["help@shop.example"], shop_domains=["shop.example"], generic=False
        )
        t0 = time.perf_counter()
        before_guard.refresh(force=True)
        build_ms = (time.perf_counter() - t0) * 1000
        presidio(ScrubResult("warm up a@b.co 415 555 0132", []))
        after_guard.scrub("warm up a@b.co 415 555 0132", None)
        before, b_out = time_scrubs(before_guard, texts, args.repeat, presidio)
        after, a_out = time_scrubs(after_guard, texts, args.repeat)
    report = {
        "customers": args.customers,
        "scrubs": len(before),
        "index_build_ms": round(build_ms, 1),
        "first_scrub_in_a_process_ms": {
            "before_presidio": round(before_cold_ms),
            "after_patterns": round(after_cold_ms, 1),
        },
        "before_presidio_ms": {"p50": round(statistics.median(before), 3), "mean": round(statistics.fmean(before), 3)},
        "after_patterns_ms": {"p50": round(statistics.median(after), 3), "mean": round(statistics.fmean(after), 3)},
        "same_kinds_removed": [sorted(b.removed) == sorted(a.removed) for b, a in zip(b_out, a_out, strict=True)],
        "after_texts": [a.text for a in a_out[:-1]],
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
