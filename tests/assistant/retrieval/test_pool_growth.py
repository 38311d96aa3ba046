"""A long review's passages filling the candidate pool still leave ``k`` reviews (real Chroma, real model)."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.retrieval import HybridRetriever
from assistant.retrieval.bm25 import BM25Cache
from assistant.retrieval.hybrid import Passage, first_per_record
from assistant.vectors import VectorStore
from ingest.chunking import chunk_record
from ingest.records import ReviewRecord

TOPICS = ["commute", "gym", "flight", "office", "kitchen", "garden", "train", "desk", "sofa", "car"]
# One long review about the battery: every passage of it matches a battery question well.
LONG = " ".join(
    f"On the {t} the battery lasted {h} hours, and the battery charged back to full in {h // 2 + 1} hours."
    for h, t in enumerate(TOPICS * 3, start=4)
)
SHORT = {
    "R2": "Battery life is fine for a day of music.",
    "R3": "The battery died after a year, sadly.",
    "R4": "Sound is warm and the battery charges quickly.",
    "R5": "Comfortable fit, decent battery.",
    "R6": "The case is scratched but it works.",
}
QUERY = "how many hours does the battery last"


@pytest.fixture(params=["chroma", "memory"])
def retriever(request: pytest.FixtureRequest, settings: Settings, embedder: Embedder) -> HybridRetriever:
    vs = VectorStore(settings, embedder=embedder)
    records = [ReviewRecord(review_id="R1", product_id="P1", text=LONG)]
    records += [ReviewRecord(review_id=rid, product_id="P1", text=text) for rid, text in SHORT.items()]
    records.append(ReviewRecord(review_id="X1", product_id="P2", text="Battery lasts ten hours."))
    chunks = [c for r in records for c in chunk_record(r, source="t", passage_chars=120)]
    assert sum(c.metadata["record_id"] == "R1" for c in chunks) >= 20
    vs.upsert("reviews", [c.id for c in chunks], [c.text for c in chunks], [c.metadata for c in chunks])
    bm25 = BM25Cache(vs.collection, vectors_max_items=10_000 if request.param == "memory" else 0)  # type: ignore[arg-type]
    return HybridRetriever(store=vs, collection="reviews", k=4, candidates=8, bm25=bm25)


def _records(got: list[Passage]) -> list[str]:
    return [str(p.metadata["record_id"]) for p in got]


@pytest.mark.parametrize("mode", ["hybrid", "embedding", "bm25"])
def test_a_long_review_filling_the_pool_still_leaves_k_reviews(retriever: HybridRetriever, mode: str) -> None:
    # the pool of 8 chunks is (nearly) all the long review's: one pool gives fewer than k reviews
    once = retriever.model_copy(update={"pool_rounds": 0}).search(QUERY, mode=mode)  # type: ignore[arg-type]
    assert len(once) < 4
    got = retriever.search(QUERY, mode=mode)  # type: ignore[arg-type]
    records = _records(got)
    assert len(records) == 4 and len(set(records)) == 4 and "R1" in records, records
    if mode != "hybrid":  # (a fusion's ranks depend on the pool: a larger one may reorder it a little)
        # the same reviews, at the same best passages, as one pool holding the whole collection
        whole = retriever.model_copy(update={"candidates": 2000}).search(QUERY, mode=mode)  # type: ignore[arg-type]
        assert [p.id for p in got] == [p.id for p in whole]


def test_the_search_stops_when_the_collection_is_exhausted(retriever: HybridRetriever) -> None:
    # product P1 holds 6 reviews, but only the long one and 4 short ones mention the battery:
    # BM25 runs out of matching chunks, the embedding side lists every chunk of P1
    got = retriever.search(QUERY, where={"product_id": "P1"}, k=10, mode="bm25")
    assert sorted(_records(got)) == ["R1", "R2", "R3", "R4", "R5"]
    got = retriever.search(QUERY, where={"product_id": "P1"}, k=10, mode="hybrid")
    assert sorted(_records(got)) == ["R1", "R2", "R3", "R4", "R5", "R6"]


def test_first_per_record_keeps_each_record_at_its_first_item() -> None:
    items = [("a#2", 0.9), ("b", 0.8), ("a#0", 0.7), ("c#1", 0.6), ("c#0", 0.5)]
    got = list(first_per_record(items, lambda it: it[0].split("#")[0]))
    assert got == [(("a#2", 0.9), "a"), (("b", 0.8), "b"), (("c#1", 0.6), "c")]
