"""A long review stored as passages is ranked and cited once, by its best passage (real Chroma, real model)."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.retrieval import HybridRetriever
from assistant.vectors import VectorStore
from ingest.chunking import chunk_record
from ingest.records import ReviewRecord

LONG = (
    "I bought this kettle for the office kitchen. It looks nice on the counter and the cord is long enough. "
    "The lid opens with a button that is easy to press. After a month the water started to taste of plastic, "
    "which worried me. Limescale also builds up fast in our hard water, so plan to descale every week. "
    "The blue light is pretty. Overall it boils water, which is what a kettle is for."
)


@pytest.fixture
def retriever(settings: Settings, embedder: Embedder) -> HybridRetriever:
    vs = VectorStore(settings, embedder=embedder)
    records = [
        ReviewRecord(review_id="R1", product_id="P1", text=LONG),
        ReviewRecord(review_id="R2", product_id="P1", text="Boils fast and the handle stays cool."),
        ReviewRecord(review_id="R3", product_id="P1", text="Pretty colour, matches my toaster."),
    ]
    chunks = [c for r in records for c in chunk_record(r, source="t", passage_chars=120)]
    assert sum(c.metadata["record_id"] == "R1" for c in chunks) >= 3
    vs.upsert("reviews", [c.id for c in chunks], [c.text for c in chunks], [c.metadata for c in chunks])
    return HybridRetriever(store=vs, collection="reviews", k=10)


@pytest.mark.parametrize("mode", ["hybrid", "embedding", "bm25"])
def test_results_are_one_per_review_and_cite_its_best_passage(retriever: HybridRetriever, mode: str) -> None:
    got = retriever.search("does the water taste of plastic", mode=mode)  # type: ignore[arg-type]
    records = [p.metadata["record_id"] for p in got]
    assert len(records) == len(set(records)), records
    assert records[0] == "R1"
    assert "taste of plastic" in got[0].text and len(got[0].text) < len(LONG)


def test_without_grouping_a_review_can_fill_several_places(retriever: HybridRetriever) -> None:
    flat = retriever.model_copy(update={"group_by": None})
    records = [p.metadata["record_id"] for p in flat.search("kettle water limescale plastic", mode="bm25")]
    assert records.count("R1") >= 2
    grouped = [p.metadata["record_id"] for p in retriever.search("kettle water limescale plastic", mode="bm25")]
    assert grouped.count("R1") == 1
