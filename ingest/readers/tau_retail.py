"""``tau-retail``: τ-bench's retail back office: catalog, customers, orders, purchase events, policy.

``products.json`` -> products (variants keyed by item id), ``users.json`` -> customers,
``orders.json`` -> orders (tracking from fulfilments) plus one ``purchase`` event per item,
``wiki.md`` -> policy passages. The path may be the directory or any of these files. τ-bench
orders carry no time: events get a synthetic timestamp (2024-01-01 plus one minute per order in
file order), so purchase histories keep a stable order.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("tau-retail").kinds
    ('product', 'customer', 'order', 'event', 'policy')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.readers.policy_md import PolicyMarkdown
from ingest.records import Kind, RawItem, Rejection
from ingest.textio import iter_json_records, open_text

FILES = ("products.json", "users.json", "orders.json", "wiki.md")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _options_summary(variants: Mapping[str, Any]) -> str:
    options: dict[str, list[str]] = {}
    for v in variants.values():
        if isinstance(v, Mapping) and isinstance(v.get("options"), Mapping):
            for k, val in v["options"].items():
                vals = options.setdefault(str(k), [])
                if str(val) not in vals:
                    vals.append(str(val))
    return "; ".join(f"{k}: {', '.join(vs[:12])}" for k, vs in options.items())


def product(value: dict[str, Any]) -> dict[str, Any]:
    variants = _mapping(value.get("variants"))
    return {
        "product_id": value.get("product_id"),
        "name": value.get("name"),
        "category": value.get("name"),
        "description": "Options: " + _options_summary(variants) if variants else "",
        "variants": [
            {"variant_id": v.get("item_id", k), "options": v.get("options"), "price": v.get("price"),
             "available": v.get("available", True)}
            for k, v in variants.items() if isinstance(v, Mapping)
        ],
    }


def customer(key: str, value: dict[str, Any]) -> dict[str, Any]:
    addr = _mapping(value.get("address"))
    return {
        "customer_id": key,
        "name": value.get("name"),
        "email": value.get("email"),
        "address": {
            "line1": addr.get("address1"), "line2": addr.get("address2"), "city": addr.get("city"),
            "state": addr.get("state"), "zip": addr.get("zip"), "country": addr.get("country"),
        },
    }


def order(value: dict[str, Any]) -> dict[str, Any]:
    addr = _mapping(value.get("address"))
    tracking = None
    for f in value.get("fulfillments") or []:
        if isinstance(f, Mapping) and f.get("tracking_id"):
            ids = f["tracking_id"]
            tracking = {"carrier": "", "tracking_number": ids[0] if isinstance(ids, list) else ids}
            break
    return {
        "order_id": value.get("order_id"),
        "customer_id": value.get("user_id"),
        "status": value.get("status"),
        "items": [
            {"product_id": i.get("product_id"), "variant_id": i.get("item_id"), "name": i.get("name"),
             "price": i.get("price"), "quantity": 1}
            for i in value.get("items") or [] if isinstance(i, Mapping)
        ],
        "tracking": tracking,
        "shipping_address": {
            "line1": addr.get("address1"), "line2": addr.get("address2"), "city": addr.get("city"),
            "state": addr.get("state"), "zip": addr.get("zip"), "country": addr.get("country"),
        },
    }


@register
class TauRetail(Reader):
    name: ClassVar[str] = "tau-retail"
    aliases: ClassVar[tuple[str, ...]] = ("tau", "tau-bench")
    kinds: ClassVar[tuple[Kind, ...]] = ("product", "customer", "order", "event", "policy")
    description = "τ-bench retail: products, users, orders JSON and wiki.md policy"
    order = 5

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and first.get("__keyed__"):
            if "variants" in first and "product_id" in first and isinstance(first.get("variants"), dict):
                return "τ-bench products.json (variants keyed by item id)"
            if "payment_methods" in first and "orders" in first:
                return "τ-bench users.json"
            if "order_id" in first and "user_id" in first and "fulfillments" in first:
                return "τ-bench orders.json"
        return None

    def sniff_dir(self, path: Path) -> str | None:
        if all((path / f).is_file() for f in ("products.json", "users.json", "orders.json")):
            return "directory with products.json, users.json and orders.json (τ-bench retail)"
        return None

    def expand(self, path: Path) -> list[Path]:
        if path.is_dir():
            return [path / f for f in FILES if (path / f).is_file()]
        return [path]

    def default_source(self, path: Path) -> str:
        # One source for the folder and its files, so ingesting them one by one matches the folder.
        folder = path if path.is_dir() else path.parent
        return f"{self.name}:{folder.name}"

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if path.suffix.lower() == ".md":
            yield from PolicyMarkdown().read(path, ctx)
            return
        with ctx.attach(open_text(path)) as tf:
            n_order = 0
            for line, key, value in iter_json_records(tf):
                if isinstance(value, Rejection):
                    yield value
                    continue
                if not isinstance(value, dict):
                    yield Rejection(file=path.name, line=line, message="expected a JSON object")
                    continue
                if "variants" in value and "product_id" in value:
                    yield RawItem(kind="product", data=product(value), file=path.name, line=line)
                elif "order_id" in value:
                    data = order(value)
                    yield RawItem(kind="order", data=data, file=path.name, line=line)
                    when = (EPOCH + timedelta(minutes=n_order)).isoformat()
                    n_order += 1
                    for item in data["items"]:
                        yield RawItem(
                            kind="event",
                            data={"customer_id": data["customer_id"], "product_id": item["product_id"],
                                  "event_type": "purchase", "timestamp": when, "session_id": data["order_id"]},
                            file=path.name,
                            line=line,
                        )
                elif "email" in value or "payment_methods" in value:
                    yield RawItem(kind="customer", data=customer(str(key), value), file=path.name, line=line)
                else:
                    yield Rejection(file=path.name, line=line, message="not a τ-bench product, user or order")
