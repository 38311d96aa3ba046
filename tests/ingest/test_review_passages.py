"""Long reviews stored as sentence passages: the chunker, and re-ingestion on real stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import jsonl

from assistant.config import Settings
from assistant.retrieval.text import split_passages, text_weight
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest import chunking
from ingest.chunking import chunk_record, review_passages
from ingest.pipeline import ingest_paths
from ingest.records import ReviewRecord

WriteFile = Callable[[str, str | bytes], Path]

SENTENCES = [
    "The kettle boils a full litre in about three minutes.",
    "Its handle stays cool even when the water is at a rolling boil.",
    "The lid hinge feels flimsy and started to squeak after a month.",
    "Limescale builds up quickly in our hard water area, so descale it often.",
    "The blue light is bright enough to read by at night.",
    "Customer service replaced the base when the switch failed in week six.",
]
LONG = " ".join(SENTENCES)


def test_split_passages_packs_whole_sentences_up_to_the_size() -> None:
    parts = split_passages(LONG, 140)
    assert len(parts) > 1 and " ".join(parts) == LONG
    assert all(text_weight(p) <= 140 for p in parts)
    assert all(any(p.startswith(s) for s in SENTENCES) for p in parts)  # passages start at a sentence
    assert split_passages("Short and sweet.", 140) == ["Short and sweet."]
    assert split_passages(LONG, 0) == [LONG]
    # a sentence longer than the size is cut at spaces; no word is lost
    run_on = " ".join(["word"] * 100)
    assert all(text_weight(p) <= 60 for p in split_passages(run_on, 60))
    assert " ".join(split_passages(run_on, 60)).split() == run_on.split()


def test_split_passages_cuts_cjk_at_full_stops_and_weighs_cjk_characters() -> None:
    text = "这个水壶烧水很快。把手不烫手。盖子的铰链有点松。灯光很亮。" * 2
    assert text_weight("水壶") == 8
    parts = split_passages(text, 60)
    assert len(parts) > 1 and "".join(parts) == text
    assert all(p.endswith("。") for p in parts) and all(text_weight(p) <= 60 for p in parts)


def test_a_long_review_becomes_passages_of_one_record() -> None:
    rec = ReviewRecord(review_id="R1", product_id="P1", rating=4, title="Fast kettle", text=LONG)
    chunks = chunk_record(rec, source="s", passage_chars=140)
    assert len(chunks) == len(review_passages("Fast kettle", LONG, 140)) > 1
    assert chunks[0].text.startswith("Fast kettle\n") and not chunks[1].text.startswith("Fast kettle")
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))
    assert {c.metadata["record_id"] for c in chunks} == {"R1"} and {c.collection for c in chunks} == {"reviews"}
    assert len({c.id for c in chunks}) == len(chunks)
    # whole (setting 0, or a review that fits): one chunk, the same id either way
    [whole] = chunk_record(rec, source="s")
    assert whole.text == f"Fast kettle\n{LONG}" and whole.metadata["chunk_index"] == 0
    short = rec.model_copy(update={"text": SENTENCES[0]})
    assert [c.id for c in chunk_record(short, source="s", passage_chars=140)] == [
        c.id for c in chunk_record(short, source="s")
    ]


def test_a_long_review_is_split_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = split_passages

    def counted(text: str, size: int) -> list[str]:
        calls.append(text)
        return real(text, size)

    monkeypatch.setattr(chunking, "split_passages", counted)
    parts = review_passages("Fast kettle", LONG, 140)
    assert calls == [LONG]  # the text, once (not the title and text first)
    assert parts == [f"Fast kettle\n{real(LONG, 140)[0]}", *real(LONG, 140)[1:]]
    calls.clear()
    # fits whole (title included): no split at all; a text over the size that packs into one passage
    # (its short tail joins the passage before) stays whole with its title
    assert review_passages("Fast kettle", SENTENCES[0], 140) == [f"Fast kettle\n{SENTENCES[0]}"] and calls == []
    tail = f"{SENTENCES[1]} Ok."
    assert len(real(tail, 64)) == 1 and text_weight(tail) > 64
    assert review_passages("T", tail, 64) == [f"T\n{tail}"] and calls == [tail]


def test_reingesting_an_edited_long_review_replaces_its_passages(
    settings: Settings, stores: tuple[Database, VectorStore], write_file: WriteFile
) -> None:
    db, vs = stores
    cfg = settings.model_copy(update={"review_passage_chars": 140})
    reviews = [
        {"review_id": "R1", "product_id": "P1", "rating": 4, "text": LONG},
        {"review_id": "R2", "product_id": "P1", "rating": 5, "text": "Boils fast."},
    ]
    path = write_file("reviews.jsonl", jsonl(reviews))

    def chunks_of(rid: str) -> list[str]:
        got = vs.collection("reviews").get(where={"record_id": rid}, include=["metadatas"])
        return sorted(got["ids"])

    first = ingest_paths([path], settings=cfg, source="s", db=db, vectors=vs)
    assert first.ok
    passages = chunks_of("R1")
    assert len(passages) == len(review_passages("", LONG, 140)) > 1 and len(chunks_of("R2")) == 1
    assert vs.count("reviews") == len(passages) + 1
    again = ingest_paths([path], settings=cfg, source="s", db=db, vectors=vs)  # unchanged: nothing new
    assert again.total("unchanged") == 2 and chunks_of("R1") == passages and vs.count("reviews") == len(passages) + 1
    edited = " ".join([*SENTENCES[3:], "The new base works perfectly."])
    write_file("reviews.jsonl", jsonl([{**reviews[0], "text": edited}, reviews[1]]))
    ingest_paths([path], settings=cfg, source="s", db=db, vectors=vs)
    now = chunks_of("R1")
    expected = chunk_record(
        ReviewRecord(review_id="R1", product_id="P1", rating=4, text=edited), source="s", passage_chars=140
    )
    assert now == sorted(c.id for c in expected) and not set(now) & set(passages)
    assert vs.count("reviews") == len(now) + 1
    docs = vs.collection("reviews").get(ids=now, include=["documents"])["documents"] or []
    assert " ".join(sorted(docs, key=edited.find)) == edited
