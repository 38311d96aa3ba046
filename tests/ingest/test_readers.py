"""Readers on small fixtures, format detection, and the bad-input messages of issue 3 (7)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import DEMO_DATA, conversation, jsonl, shared_data_path

from ingest.readers import ReadContext, UnknownFormat, detect, detect_dir, get_reader
from ingest.records import RawItem, Record, Rejection, validate

WriteFile = Callable[[str, str | bytes], Path]


def run_reader(fmt: str, path: Path) -> tuple[list[Record], list[Rejection]]:
    records: list[Record] = []
    rejections: list[Rejection] = []
    from ingest.pipeline import _safe_items

    for item in _safe_items(get_reader(fmt), path, ReadContext()):
        if isinstance(item, Rejection):
            rejections.append(item)
            continue
        assert isinstance(item, RawItem)
        v = validate(item)
        (rejections if isinstance(v, Rejection) else records).append(v)  # type: ignore[arg-type]
    return records, rejections


# --- each loader on a small fixture ---------------------------------------------------------

def test_conversations_jsonl_and_json_array(write_file: WriteFile) -> None:
    recs = [conversation(i) for i in range(3)]
    a, ra = run_reader("conversations-jsonl", write_file("c.jsonl", jsonl(recs)))
    b, rb = run_reader("conversations-json", write_file("c.json", json.dumps(recs, indent=2)))
    assert [r.record_id for r in a] == [r.record_id for r in b] == ["c0", "c1", "c2"]
    assert not ra and not rb


def test_conversations_csv_turn_rows_and_pair_rows(write_file: WriteFile) -> None:
    turns = "conversation_id,role,text,intent\nx1,customer,Where is it?,delivery\nx1,agent,On its way.,\n" \
            "x2,user,Refund please,refund\nx2,assistant,Done.,\nx1,customer,again,\n"
    recs, rej = run_reader("conversations-csv", write_file("t.csv", turns))
    assert [(r.record_id, len(r.turns)) for r in recs] == [("x1", 2), ("x2", 2)]  # type: ignore[union-attr]
    assert rej and rej[0].line == 6 and "consecutive" in rej[0].message
    pairs, rej2 = run_reader("conversations-csv", write_file("p.csv", "question;answer\nHi?;Hello!\n"))
    assert len(pairs) == 1 and not rej2


def test_policy_md_heading_paths(write_file: WriteFile) -> None:
    md = "# Shop policy\n\nIntro text.\n\n## Returns\n\n30 days.\n\n### Refund timing\n\n2 days.\n\n" \
         "```\n# not a heading\n```\n\n## Shipping\n\nFree over $50.\n"
    recs, _ = run_reader("policy-md", write_file("p.md", md))
    assert [r.title for r in recs] == ["Shop policy", "Returns", "Returns > Refund timing", "Shipping"]  # type: ignore[union-attr]
    assert "# not a heading" in recs[2].text  # type: ignore[union-attr]


def test_catalog_customers_orders_events(write_file: WriteFile) -> None:
    cat = [{"product_id": "P1", "name": "Shell", "price": 10, "tags": ["rain"],
            "variants": [{"variant_id": "P1-S", "options": {"size": "S"}, "price": 9.5, "available": False}]}]
    prods, _ = run_reader("catalog-json", write_file("catalog.json", json.dumps(cat)))
    assert prods[0].variants[0].options == {"size": "S"} and prods[0].available is False  # type: ignore[union-attr]
    cust, _ = run_reader("customers-json", write_file("cu.json", json.dumps(
        [{"customer_id": "C1", "name": "Ann", "email": "Ann@X.org", "address": {"zip": "12345"}}])))
    assert cust[0].email == "ann@x.org" and cust[0].zip == "12345"  # type: ignore[union-attr]
    orders, _ = run_reader("orders-json", write_file("o.json", json.dumps([
        {"order_id": "#1", "customer_id": "C1", "status": "Shipped", "tracking": None,
         "items": [{"product_id": "P1", "quantity": 2, "price": 3.0}]}])))
    assert orders[0].status == "shipped" and orders[0].total == 6.0  # type: ignore[union-attr]
    ev, rej = run_reader("events-jsonl", write_file("e.jsonl", jsonl([
        {"customer_id": "C1", "product_id": "P1", "event_type": "add_to_cart", "timestamp": 1700000000},
        {"customer_id": "C1", "product_id": "P1", "event_type": "teleport", "timestamp": "2024-01-01"}])))
    assert ev[0].event_type == "cart" and rej[0].field == "event_type" and rej[0].line == 2  # type: ignore[union-attr]
    evc, _ = run_reader("events-csv", write_file("e.csv", "customer_id,product_id,event_type,timestamp,session_id\n"
                                                  "C1,P1,view,2024-01-01T10:00:00Z,S1\n"))
    assert evc[0].session_id == "S1"  # type: ignore[union-attr]


def test_a_description_loses_the_markup_a_catalog_export_carries(write_file: WriteFile) -> None:
    # Amazon's "A+" descriptions carry their style sheet inline (HTML-escaped in the LC-Rec files):
    # no reader may store it as text a customer reads. A description without markup is kept as is.
    css = ("&lt;!-- .headerM {color:#000000;font-family:Arial,Verdana,sans-serif;font-size:24px;} --&gt;"
           "div.aplusAnnotate {font-size: 13px;}<p>Crisp black text, fade-resistant.</p>")
    items = {"1": {"title": "HP 60 Black Ink", "description": css},
             "2": {"title": "Pen", "description": "Writes {smoothly} at 0.7 mm: <3 colours."}}
    prods, rej = run_reader("amazon-lcrec", write_file("Shop.item.json", json.dumps(items, indent=1)))
    assert not rej
    assert [p.description for p in prods] == [  # type: ignore[union-attr]
        "Crisp black text, fade-resistant.",
        "Writes {smoothly} at 0.7 mm: <3 colours.",
    ]


def test_reviews_and_qa(write_file: WriteFile) -> None:
    rv, _ = run_reader("reviews-jsonl", write_file("r.jsonl", jsonl([
        {"review_id": "r1", "product_id": "P1", "rating": 4, "title": "Nice", "text": "Warm.", "author_id": "C1",
         "timestamp": "2024-02-01"}])))
    assert rv[0].rating == 4.0  # type: ignore[union-attr]
    rc, rej = run_reader("reviews-csv", write_file("r.csv", "review_id,product_id,rating,text\nr1,P1,five,ok\n"))
    assert not rc and rej[0].field == "rating" and rej[0].line == 2
    qa_line = jsonl([{"product_id": "P1", "question": "Q?", "answer": "A."}])
    qa, _ = run_reader("qa-jsonl", write_file("q.jsonl", qa_line))
    assert qa[0].record_id.startswith("qa-")


# --- detection ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [("catalog.json", "catalog-json"), ("customers.json", "customers-json"), ("orders.json", "orders-json"),
     ("events.jsonl", "events-jsonl"), ("policy.md", "policy-md"), ("reviews.jsonl", "reviews-jsonl"),
     ("conversations.jsonl", "conversations-jsonl"), ("qa.jsonl", "qa-jsonl")],
)
def test_detects_demo_files(name: str, expected: str) -> None:
    path = DEMO_DATA / name
    if not path.exists():
        pytest.skip(f"demo file {name} not written yet")
    reader, reason = detect(path)
    assert reader.name == expected and reason


def test_detection_explains_unknown(write_file: WriteFile) -> None:
    with pytest.raises(UnknownFormat, match="match no known format"):
        detect(write_file("x.json", '[{"foo": 1}]'))


# --- bad input: every case gets a clear message, never a traceback --------------------------

def test_empty_file(write_file: WriteFile) -> None:
    _, rej = run_reader("conversations-jsonl", write_file("e.jsonl", ""))
    assert [r.message for r in rej] == ["file is empty"]


def test_utf8_bom_csv(write_file: WriteFile) -> None:
    data = "\ufeffinstruction,response,intent,category\nHi,Hello,greet,ACCOUNT\n".encode()
    recs, rej = run_reader("bitext", write_file("b.csv", data))
    assert len(recs) == 1 and not rej


def test_latin1_file(write_file: WriteFile) -> None:
    data = "instruction,response,intent,category\nCafé crème?,Très bien,order,ORDER\n".encode("latin-1")
    recs, rej = run_reader("bitext", write_file("b.csv", data))
    assert not rej and "Café crème?" in recs[0].turns[0].text  # type: ignore[union-attr]


def test_wrong_delimiter_is_detected_or_explained(write_file: WriteFile) -> None:
    ok, _ = run_reader("bitext", write_file("s.csv", "instruction;response;intent\nHi;Hello;greet\n"))
    assert len(ok) == 1
    _, rej = run_reader("bitext", write_file("w.csv", "instruction:response:intent\nHi:Hello:greet\n"))
    assert "lacks column" in rej[0].message


def test_ten_megabyte_single_line(write_file: WriteFile) -> None:
    big = '{"conversation_id": "big", "turns": [{"role": "customer", "text": "' + "x" * 10_000_000 + '"}]}\n'
    path = write_file("big.jsonl", jsonl([conversation(1)]) + big + jsonl([conversation(2)]))
    recs, rej = run_reader("conversations-jsonl", path)
    assert [r.record_id for r in recs] == ["c1", "c2"]
    assert rej[0].line == 2 and "longer than" in rej[0].message


def test_binary_file(write_file: WriteFile) -> None:
    _, rej = run_reader("catalog-json", write_file("x.json", b"\x00\x01\x02binary\xff" * 100))
    assert "binary file" in rej[0].message
    _, rej = run_reader("catalog-json", write_file("y.json", b"\x1f\x8b\x08\x00" + b"\x00" * 50))
    assert "gzip" in rej[0].message


def test_truncated_json_keeps_records_before(write_file: WriteFile) -> None:
    text = json.dumps([conversation(i) for i in range(3)])
    recs, rej = run_reader("conversations-json", write_file("t.json", text[: len(text) - 40]))
    assert [r.record_id for r in recs] == ["c0", "c1"]
    assert len(rej) == 1 and "truncated" in rej[0].message


def test_malformed_jsonl_line_reports_line(write_file: WriteFile) -> None:
    path = write_file("m.jsonl", jsonl([conversation(1)]) + "{not json\n" + jsonl([conversation(2)]))
    recs, rej = run_reader("conversations-jsonl", path)
    assert len(recs) == 2 and rej[0].line == 2 and "invalid JSON" in rej[0].message


def test_missing_field_named(write_file: WriteFile) -> None:
    _, rej = run_reader("conversations-jsonl", write_file("f.jsonl", jsonl([{"conversation_id": "x", "turns": [
        {"role": "customer"}]}])))
    assert rej[0].field == "turns.0.text" and rej[0].line == 1


def test_single_object_file_explained(write_file: WriteFile) -> None:
    _, rej = run_reader("catalog-json", write_file("one.json", '{\n "product_id": "P1",\n "name": "x"\n}'))
    assert "one JSON object" in rej[0].message


# --- the real public data -------------------------------------------------------------------

REAL = [
    ("bitext-customer-support/Bitext_Sample_Customer_Support_Training_Dataset.csv", "bitext", {"conversation": 4514}),
    ("abcd-policy/guidelines.json", "abcd", {"policy": 55}),
    ("abcd-policy/kb.json", "abcd", {"policy": 55}),
    ("tau-bench-retail/products.json", "tau-retail", {"product": 50}),
    ("tau-bench-retail/users.json", "tau-retail", {"customer": 500}),
    ("tau-bench-retail/orders.json", "tau-retail", {"order": 1000}),
    ("tau-bench-retail/wiki.md", "tau-retail", {"policy": 9}),
    ("amazon-office/Office.item.json", "amazon-lcrec", {"product": 2420}),
    ("amazon-office/Office.inter.json", "amazon-lcrec", {"event": 53258}),
    ("amazon-qa-appliances/qa_Appliances.json", "amazon-qa", {"qa": 9008}),
    ("subjqa-electronics/dev.csv", "subjqa", {"review": 261, "qa": 99}),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("rel", "fmt", "expected"), REAL, ids=[r[0].split("/")[-1] for r in REAL])
def test_real_files_read_and_detect(rel: str, fmt: str, expected: dict[str, int]) -> None:
    path = shared_data_path() / rel
    if not path.exists():
        pytest.skip(f"public data not found at {path} (set SHOPASSIST_SHARED_DATA)")
    if path.suffix != ".md":
        assert detect(path)[0].name == fmt
    recs, rej = run_reader(fmt, path)
    counts: dict[str, int] = {}
    for r in recs:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    for kind, n in expected.items():
        assert counts.get(kind, 0) == n, (kind, counts, [x.describe() for x in rej[:5]])
    # The Amazon QA dump has 3 lines that are neither JSON nor Python literals: reported, skipped.
    assert len(rej) == (3 if fmt == "amazon-qa" else 0), [x.describe() for x in rej[:5]]


@pytest.mark.shared_data
def test_real_directories_detected() -> None:
    base = shared_data_path()
    if not base.is_dir():
        pytest.skip(f"public data not found at {base} (set SHOPASSIST_SHARED_DATA)")
    for folder, fmt in (("tau-bench-retail", "tau-retail"), ("abcd-policy", "abcd"), ("amazon-office", "amazon-lcrec")):
        hit = detect_dir(base / folder)
        assert hit is not None and hit[0].name == fmt


def test_abcd_folder_leaves_out_the_agent_console_steps(tmp_path: Path) -> None:
    # kb.json lists console buttons ("pull up account, validate purchase"): not text for customers.
    for name in ("guidelines.json", "kb.json", "abcd_sample.json", "ontology.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    reader = get_reader("abcd")
    assert [p.name for p in reader.expand(tmp_path)] == ["guidelines.json", "abcd_sample.json"]
    assert [p.name for p in reader.expand(tmp_path / "kb.json")] == ["kb.json"]  # named: still read
