"""Property-based: malformed and hostile input to every loader never raises, only rejects."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_record
from ingest.normalize import normalize
from ingest.pipeline import _safe_items
from ingest.readers import REGISTRY, ReadContext, get_reader
from ingest.records import RawItem, Rejection, validate

SUFFIX = {
    "policy-md": ".md", "bitext": ".csv", "subjqa": ".csv", "conversations-csv": ".csv", "events-csv": ".csv",
    "reviews-csv": ".csv", "amazon-lcrec": ".item.json", "amazon-qa": ".json",
}
FIELDS = ["conversation_id", "turns", "role", "text", "timestamp", "product_id", "name", "variants", "price",
          "customer_id", "email", "order_id", "items", "quantity", "event_type", "review_id", "rating", "qa_id",
          "question", "answer", "asin", "instruction", "response", "intent", "subflows", "tracking", "options"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["customer", "agent", "view", "", "2024-13-45", "1e999", "NaN", "\x00", "\ud7ff"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), children, max_size=6),
    ),
    max_leaves=25,
)


def json_text(value: Any, style: int) -> str:
    if style == 0:
        return json.dumps(value)
    if style == 1 and isinstance(value, list):
        return "".join(json.dumps(v) + "\n" for v in value)
    text = json.dumps(value, indent=1)
    return text[: len(text) // 2] if style == 2 else text


csv_text = st.lists(
    st.lists(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), min_size=1, max_size=6),
    min_size=0, max_size=6,
).map(lambda rows: "\n".join(",".join(r) for r in rows))

contents = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.lists(json_values, max_size=5), st.integers(0, 3)).map(lambda v: json_text(*v).encode()),
    st.tuples(json_values, st.integers(0, 3)).map(lambda v: json_text(*v).encode()),
    csv_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\xef\xbb\xbf", b"[", b"{", b'{"a":', b"\x1f\x8b\x08", b"#\n##\n###", b'[{"x": 1}, ',
                     b"\xff\xfe" + "hi".encode("utf-16-le"), b"[" * 5000 + b"]" * 5000, b"{'asin': 1}\n",
                     ("é" * 50).encode("latin-1")]),
)


def exercise(fmt: str, data: bytes) -> None:
    reader = get_reader(fmt)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"input{SUFFIX.get(fmt, '.json')}"
        path.write_bytes(data)
        for item in _safe_items(reader, path, ReadContext()):
            assert isinstance(item, RawItem | Rejection)
            if isinstance(item, Rejection):
                assert item.message
                continue
            result = validate(item)
            if isinstance(result, Rejection):
                assert result.message
                continue
            n = normalize(result, item.file, item.line)
            for c in chunk_record(n.record, source="s", language=n.language):
                assert all(v is not None for v in c.metadata.values())


@pytest.mark.parametrize("fmt", sorted(REGISTRY))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=contents)
def test_every_loader_survives_hostile_input(fmt: str, data: bytes) -> None:
    exercise(fmt, data)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["conversation", "policy", "product", "customer", "order", "event", "review", "qa"]),
       data=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10))
def test_validate_never_raises(kind: str, data: dict[str, Any]) -> None:
    result = validate(RawItem(kind=kind, data=data, file="f", line=1))
    if isinstance(result, Rejection):
        assert result.file == "f" and result.line == 1 and result.message
