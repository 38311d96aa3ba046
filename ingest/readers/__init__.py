"""Format registry and ``--format auto`` detection.

Example:
    >>> from pathlib import Path
    >>> p = Path("/tmp/_c.jsonl")
    >>> _ = p.write_text('{"conversation_id": "1", "turns": [{"role": "customer", "text": "Hi"}]}\\n')
    >>> reader, reason = detect(p)
    >>> reader.name, reason
    ('conversations-jsonl', "JSON records with a 'turns' list")
"""

from __future__ import annotations

from pathlib import Path

from ingest.readers import (  # noqa: F401  (importing registers each reader)
    abcd,
    amazon_lcrec,
    amazon_qa,
    bitext,
    catalog_json,
    conversations,
    conversations_csv,
    customers_json,
    events,
    orders_json,
    policy_md,
    qa_jsonl,
    reviews,
    subjqa,
    tau_retail,
)
from ingest.readers.base import REGISTRY, ReadContext, Reader, ReadResult, format_names, get_reader, register
from ingest.textio import csv_header, first_json_record, head_text

__all__ = [
    "REGISTRY",
    "ReadContext",
    "ReadResult",
    "Reader",
    "UnknownFormat",
    "detect",
    "detect_dir",
    "format_names",
    "get_reader",
    "register",
]

# Specific adapters first: their signatures are narrower than the generic formats'.
_SNIFF_ORDER = (
    "tau-retail",
    "abcd",
    "amazon-lcrec",
    "amazon-qa",
    "bitext",
    "subjqa",
    "conversations-jsonl",
    "conversations-csv",
    "orders-json",
    "catalog-json",
    "events-jsonl",
    "events-csv",
    "reviews-jsonl",
    "reviews-csv",
    "qa-jsonl",
    "customers-json",
    "policy-md",
)


class UnknownFormat(ValueError):
    """``--format auto`` found no reader for a file."""


def _sniff_order() -> list[Reader]:
    ordered = [REGISTRY[n] for n in _SNIFF_ORDER if n in REGISTRY]
    return ordered + [r for n, r in sorted(REGISTRY.items()) if n not in _SNIFF_ORDER]


def detect(path: Path) -> tuple[Reader, str]:
    """The reader for one file, with the reason it was chosen; raises UnknownFormat."""
    head = head_text(path)
    if not head.strip():
        # Empty/binary files still get a reader by extension, so the reader's own clear message
        # ("file is empty", "binary file ...") reaches the report.
        by_ext = {".md": "policy-md", ".csv": "conversations-csv", ".jsonl": "conversations-jsonl",
                  ".json": "conversations-jsonl"}
        name = by_ext.get(path.suffix.lower())
        if name:
            return get_reader(name), f"no content to sniff; guessed from the extension {path.suffix}"
        raise UnknownFormat(f"{path.name}: empty or not text, and the extension says nothing")
    stripped = head.lstrip("\ufeff \t\r\n")
    first = first_json_record(head) if stripped[:1] in "[{" else None
    header = csv_header(head) if first is None and stripped[:1] not in "[{#" else []
    for reader in _sniff_order():
        reason = reader.sniff(path, head, first, header)
        if reason:
            return reader, reason
    if first is not None:
        raise UnknownFormat(
            f"{path.name}: JSON records with keys {sorted(k for k in first if not k.startswith('__'))[:10]} "
            "match no known format; pass --format"
        )
    raise UnknownFormat(f"{path.name}: could not detect the format; pass --format ({', '.join(format_names())})")


def detect_dir(path: Path) -> tuple[Reader, str] | None:
    """A reader that takes the whole directory, if one recognises it."""
    for reader in _sniff_order():
        reason = reader.sniff_dir(path)
        if reason:
            return reader, reason
    return None
