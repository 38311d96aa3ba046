"""Generate the Juniper & Pine demo shop's orders and behavior events.

The catalog, customers, policy, conversations, reviews and Q&A in
``assistant/demo/data/`` are hand-written. This script derives the two
"transactional" files from them so that every reference stays valid:

* ``orders.json``  - 60 orders between 2026-08-01 and 2026-11-20
* ``events.jsonl`` - view/click/cart/purchase/review events grouped in sessions

It reads ``catalog.json`` and ``customers.json`` (and, if present,
``reviews.jsonl``, so that every review written inside the event window has a
matching ``review`` event) and is
fully deterministic: it uses only the standard library and a single
``random.Random(7)``. Run it from anywhere::

    python scripts/generate_demo_data.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "assistant" / "demo" / "data"
SEED = 7

UTC = UTC
START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
NOW = datetime(2026, 11, 21, tzinfo=UTC)  # the dataset's "today"

APPAREL, FOOTWEAR, CAMPING, KITCHEN, HOME = (
    "Outdoor Apparel", "Footwear", "Camping Gear", "Kitchen", "Home & Bedding",
)

# Each customer's interests (most of their browsing and buying happens here),
# how many orders they placed, and where they sit on the size range
# (0.0 = smallest size offered, 1.0 = largest).
PROFILES = {
    "C001": ([CAMPING, FOOTWEAR], 3, 0.3),
    "C002": ([KITCHEN], 2, 0.7),
    "C003": ([APPAREL, CAMPING], 4, 0.2),
    "C004": ([FOOTWEAR, APPAREL], 2, 0.8),
    "C005": ([KITCHEN, HOME], 2, 0.1),
    "C006": ([HOME], 1, 0.9),
    "C007": ([KITCHEN], 3, 0.3),
    "C008": ([CAMPING, FOOTWEAR], 4, 0.7),
    "C009": ([HOME, KITCHEN], 2, 0.4),
    "C010": ([APPAREL, FOOTWEAR], 2, 0.5),
    "C011": ([HOME], 1, 0.5),
    "C012": ([CAMPING], 3, 0.8),
    "C013": ([KITCHEN, CAMPING], 2, 0.3),
    "C014": ([APPAREL], 2, 0.6),
    "C015": ([APPAREL, FOOTWEAR, HOME], 2, 0.4),
    "C016": ([CAMPING, APPAREL], 2, 0.9),
    "C017": ([HOME, KITCHEN], 2, 0.2),
    "C018": ([FOOTWEAR], 1, 0.6),
    "C019": ([CAMPING, KITCHEN], 3, 0.3),
    "C020": ([FOOTWEAR, APPAREL], 2, 0.7),
    "C021": ([HOME, APPAREL], 2, 0.2),
    "C022": ([KITCHEN], 3, 0.8),
    "C023": ([HOME], 0, 0.5),
    "C024": ([CAMPING, APPAREL, FOOTWEAR], 4, 1.0),
    "C025": ([KITCHEN], 2, 0.1),
    "C026": ([APPAREL, FOOTWEAR], 1, 0.7),
    "C027": ([CAMPING], 2, 0.4),
    "C028": ([HOME, KITCHEN], 0, 0.6),
    "C029": ([HOME], 1, 0.3),
    "C030": ([KITCHEN, HOME], 0, 0.5),
}

# Final status of the 60 orders as of NOW; dates are drawn to fit each status.
STATUS_MIX = (
    ["delivered"] * 37 + ["shipped"] * 7 + ["processing"] * 3
    + ["pending"] * 3 + ["cancelled"] * 5 + ["returned"] * 5
)

# A few orders are shipped to someone else (gifts).
GIFT_ADDRESSES = [
    {"line1": "48 Orchard Lane", "city": "Eugene", "state": "OR", "zip": "97401", "country": "US"},
    {"line1": "1105 Prairie Rose Dr", "city": "Lincoln", "state": "NE", "zip": "68502", "country": "US"},
    {"line1": "9 Harbor View Rd", "city": "Portland", "state": "ME", "zip": "04101", "country": "US"},
    {"line1": "2230 Cypress Point Ave", "city": "Tampa", "state": "FL", "zip": "33606", "country": "US"},
]

SIZE_KEYS = ("size", "waist", "fit", "length", "width", "weight")
CARRIERS = [("UPS", 0.5), ("USPS", 0.3), ("FedEx", 0.2)]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def load_json(name: str):
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return json.load(f)


def load_jsonl(name: str) -> list[dict]:
    path = DATA_DIR / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def random_time(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A random minute between lo and hi, nudged into 13:00-04:00 UTC (US daytime)."""
    lo_day = lo.replace(hour=0, minute=0, second=0)
    days = max(0, (hi - lo_day).days)
    for _ in range(100):
        day = lo_day + timedelta(days=rng.randint(0, days))
        dt = day + timedelta(hours=13, minutes=rng.randint(0, 14 * 60))
        if lo <= dt <= hi:
            return dt
    return lo + (hi - lo) / 2


def pick_variant(rng: random.Random, product: dict, fit: float, only_available: bool) -> dict:
    variants = [v for v in product["variants"] if v["available"] or not only_available]
    if not variants:
        variants = product["variants"]
    key = next((k for k in SIZE_KEYS if k in variants[0]["options"]), None)
    if key is None or key in ("weight",):
        return rng.choice(variants)
    sizes = []
    for v in product["variants"]:  # catalog lists sizes small -> large
        s = v["options"].get(key)
        if s not in sizes:
            sizes.append(s)
    target = fit * (len(sizes) - 1)
    offered = sorted({sizes.index(v["options"][key]) for v in variants}, key=lambda i: (abs(i - target), i))
    best = sizes[offered[0]]
    return rng.choice([v for v in variants if v["options"][key] == best])


def tracking_number(rng: random.Random, carrier: str) -> str:
    digits = "0123456789"
    alnum = "ABCDEFGHJKLMNPRSTVWXY0123456789"
    if carrier == "UPS":
        head = "".join(rng.choice(alnum) for _ in range(6))
        return "1Z" + head + "03" + "".join(rng.choice(digits) for _ in range(8))
    if carrier == "USPS":
        return "9400" + "".join(rng.choice(digits) for _ in range(18))
    return "".join(rng.choice(digits) for _ in range(12))


def order_date(rng: random.Random, status: str) -> datetime:
    if status == "pending":
        return random_time(rng, END - timedelta(days=1), END)
    if status == "processing":
        return random_time(rng, END - timedelta(days=3), END - timedelta(days=1))
    if status == "shipped":
        return random_time(rng, END - timedelta(days=8), END - timedelta(days=2))
    if status == "returned":
        return random_time(rng, START, END - timedelta(days=30))
    if status == "delivered":
        return random_time(rng, START, END - timedelta(days=7))
    return random_time(rng, START, END)  # cancelled


def make_orders(rng: random.Random, catalog: list[dict], customers: list[dict]) -> list[dict]:
    by_cat: dict[str, list[dict]] = {}
    for p in catalog:
        by_cat.setdefault(p["category"], []).append(p)
    cust = {c["customer_id"]: c for c in customers}

    slots = [cid for cid, (_, n, _) in PROFILES.items() for _ in range(n)]
    assert len(slots) == len(STATUS_MIX) == 60, (len(slots), len(STATUS_MIX))
    statuses = STATUS_MIX[:]
    rng.shuffle(statuses)

    drafts = []
    bought: dict[str, set[str]] = {}  # customer -> products already ordered (no repeat purchases)
    popularity: dict[str, int] = {}  # spread orders over the catalog
    for cid, status in zip(slots, statuses, strict=True):
        interests, _, fit = PROFILES[cid]
        created = order_date(rng, status)
        n_items = rng.choices([1, 2, 3], weights=[55, 33, 12])[0]
        items, seen = [], bought.setdefault(cid, set())
        while len(items) < n_items:
            pool = by_cat[rng.choice(interests)] if rng.random() < 0.85 else catalog
            pool = [p for p in pool if p["product_id"] not in seen]
            if not pool:
                continue
            weights = [1.0 / (1 + popularity.get(p["product_id"], 0)) for p in pool]
            product = rng.choices(pool, weights=weights)[0]
            seen.add(product["product_id"])
            popularity[product["product_id"]] = popularity.get(product["product_id"], 0) + 1
            # Older delivered orders may contain variants that have sold out since.
            variant = pick_variant(rng, product, fit, only_available=status not in ("delivered", "returned"))
            qty = 2 if variant["price"] < 40 and rng.random() < 0.3 else 1
            items.append({"product_id": product["product_id"], "variant_id": variant["variant_id"],
                          "quantity": qty, "price": variant["price"]})
        tracking = None
        if status in ("shipped", "delivered", "returned"):
            carrier = rng.choices([c for c, _ in CARRIERS], weights=[w for _, w in CARRIERS])[0]
            tracking = {"carrier": carrier, "tracking_number": tracking_number(rng, carrier)}
        address = dict(cust[cid]["address"])
        if rng.random() < 0.06:
            address = dict(rng.choice(GIFT_ADDRESSES))
        drafts.append({"customer_id": cid, "created_at": created, "status": status,
                       "items": items, "tracking": tracking, "shipping_address": address})

    drafts.sort(key=lambda o: o["created_at"])
    orders = []
    for i, d in enumerate(drafts):
        orders.append({"order_id": f"#JP{1001 + i}", "customer_id": d["customer_id"],
                       "created_at": iso(d["created_at"]), "status": d["status"], "items": d["items"],
                       "tracking": d["tracking"], "shipping_address": d["shipping_address"]})
    return orders


def make_events(rng: random.Random, catalog: list[dict], orders: list[dict], reviews: list[dict]) -> list[dict]:
    by_cat: dict[str, list[str]] = {}
    for p in catalog:
        by_cat.setdefault(p["category"], []).append(p["product_id"])
    category = {p["product_id"]: p["category"] for p in catalog}

    sessions: list[tuple[str, list[tuple[datetime, str, str]]]] = []  # (customer, [(ts, product, type)])

    # 1. Every order comes from a session that ends in one purchase event per item.
    for o in orders:
        created = parse(o["created_at"])
        pids = [it["product_id"] for it in o["items"]]
        steps: list[tuple[str, str]] = []
        for n, pid in enumerate(pids):
            if n == 0 or rng.random() < 0.7:
                steps.append((pid, "view"))
            if rng.random() < 0.3:
                steps.append((pid, "click"))
            steps.append((pid, "cart"))
        # Trim optional steps (clicks first, then later views) so the session,
        # purchases included, has at most 8 events; it always opens with a view.
        while len(steps) + len(pids) > 8:
            clicks = [i for i, s in enumerate(steps) if s[1] == "click"]
            views = [i for i, s in enumerate(steps) if s[1] == "view" and i > 0]
            steps.pop((clicks or views)[-1])
        # Sometimes a related product is looked at first and not bought.
        if len(steps) + len(pids) < 6 and rng.random() < 0.2:
            extra = rng.choice(by_cat[category[pids[0]]])
            if extra not in pids:
                steps.insert(0, (extra, "view"))
        t = created - timedelta(minutes=sum(rng.randint(1, 6) for _ in steps))
        events = []
        for pid, kind in steps:
            events.append((t, pid, kind))
            t += timedelta(minutes=rng.randint(1, 6))
        for pid in pids:
            events.append((created, pid, "purchase"))
        sessions.append((o["customer_id"], events))

    # 2. Browsing sessions without a purchase, mostly inside the customer's interests.
    #    Customers with few orders browse more.
    for cid, (interests, n_orders, _) in PROFILES.items():
        n_browse = {0: 2, 1: 1}.get(n_orders, int(rng.random() < 0.2))
        for _ in range(n_browse):
            t = random_time(rng, START, END - timedelta(hours=2))
            length = rng.randint(2, 3)
            events, cart_done = [], False
            for _ in range(length):
                pool = by_cat[rng.choice(interests)] if rng.random() < 0.85 else list(category)
                pid = rng.choice(pool)
                events.append((t, pid, "view"))
                t += timedelta(minutes=rng.randint(1, 5))
                if len(events) < length and rng.random() < 0.3:
                    kind = "cart" if not cart_done and rng.random() < 0.4 else "click"
                    cart_done = cart_done or kind == "cart"
                    events.append((t, pid, kind))
                    t += timedelta(minutes=rng.randint(1, 5))
            sessions.append((cid, events[:8]))

    # 3. Each review is written in a short session that opens the product page first.
    #    The event log starts at START; older reviews predate it and have no events.
    for r in reviews:
        t = parse(r["timestamp"])
        if not START <= t <= END:
            continue
        sessions.append((r["author_id"], [(t - timedelta(minutes=rng.randint(2, 9)), r["product_id"], "view"),
                                          (t, r["product_id"], "review")]))

    # Number sessions per customer in time order and flatten.
    sessions.sort(key=lambda s: (s[0], s[1][0][0]))
    counters: dict[str, int] = {}
    rows = []
    for cid, events in sessions:
        counters[cid] = counters.get(cid, 0) + 1
        sid = f"S-{cid}-{counters[cid]:03d}"
        for ts, pid, kind in events:
            rows.append({"customer_id": cid, "product_id": pid, "event_type": kind,
                         "timestamp": iso(ts), "session_id": sid})
    rows.sort(key=lambda e: (e["timestamp"], e["session_id"]))
    return rows


def main() -> None:
    rng = random.Random(SEED)
    catalog = load_json("catalog.json")
    customers = load_json("customers.json")
    reviews = load_jsonl("reviews.jsonl")

    orders = make_orders(rng, catalog, customers)
    events = make_events(rng, catalog, orders, reviews)

    with open(DATA_DIR / "orders.json", "w", encoding="utf-8") as f:
        json.dump(orders, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(DATA_DIR / "events.jsonl", "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"wrote {len(orders)} orders and {len(events)} events to {DATA_DIR}")


if __name__ == "__main__":
    main()
