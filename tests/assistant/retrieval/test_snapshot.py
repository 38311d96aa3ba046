"""Small collections are searched in memory: the snapshot gives what a Chroma query gives, and stays fresh."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.retrieval import HybridRetriever
from assistant.retrieval.bm25 import BM25Cache, BM25Index
from assistant.vectors import VectorStore

TEXTS = {
    "p-returns": ("Items can be returned within 30 days of delivery for a full refund.", "P0"),
    "p-ship": ("We ship to the United States and Canada; standard delivery takes 3-5 days.", "P0"),
    "p-pay": ("We accept Visa, Mastercard and PayPal at checkout.", "P0"),
    "p-warranty": ("Tents carry a two-year warranty against manufacturing defects.", "P1"),
    "p-price": ("We match a lower advertised price from an authorised retailer.", "P1"),
    "p-address": ("The delivery address can be changed until the order ships.", "P1"),
}
QUERIES = ["how long do I have to send something back", "do you deliver to Canada", "PayPal?", "tent broke"]


@pytest.fixture
def store(settings: Settings, embedder: Embedder) -> VectorStore:
    vs = VectorStore(settings, embedder=embedder)
    ids = list(TEXTS)
    vs.upsert(
        "policies",
        ids,
        [TEXTS[i][0] for i in ids],
        [{"source": "t", "group": TEXTS[i][1], "title": i} for i in ids],
    )
    return vs


def test_nearest_in_memory_equals_the_chroma_query(store: VectorStore, embedder: Embedder) -> None:
    index = BM25Cache(store.collection, vectors_max_items=100).get("policies")  # type: ignore[arg-type]
    assert index.embeddings is not None and index.embeddings.shape == (len(TEXTS), embedder.dim)
    for q in QUERIES:
        vec = embedder.encode([q], is_query=True)[0]
        for where in (None, {"group": "P1"}, {"$and": [{"group": "P0"}, {"title": {"$ne": "p-pay"}}]}):
            chroma = store.query("policies", vec, 4, where=where)
            memory = index.nearest(vec, 4, where=where)
            assert [i for i, *_ in memory] == [i for i, *_ in chroma], (q, where)
            for (_, t1, m1, c1), (_, t2, m2, c2) in zip(memory, chroma, strict=True):
                assert (t1, m1) == (t2, m2)
                assert c1 == pytest.approx(c2, abs=1e-4)


def test_hybrid_search_is_the_same_with_and_without_the_snapshot(store: VectorStore) -> None:
    def run(max_items: int) -> list[list[tuple[str, float, float | None]]]:
        cache = BM25Cache(store.collection, vectors_max_items=max_items)  # type: ignore[arg-type]
        r = HybridRetriever(store=store, collection="policies", k=3, bm25=cache)
        assert (cache.get("policies").embeddings is not None) == (max_items > 0)
        return [[(p.id, round(p.score, 6), round(p.cosine or 0, 4)) for p in r.search(q)] for q in QUERIES]

    assert run(100) == run(0)


def test_snapshot_is_refreshed_when_the_collection_changes(store: VectorStore, embedder: Embedder) -> None:
    clock = [1000.0]
    cache = BM25Cache(
        store.collection,  # type: ignore[arg-type]
        vectors_max_items=100,
        max_age=60.0,
        clock=lambda: clock[0],
    )
    first = cache.get("policies")
    assert cache.get("policies") is first  # unchanged: no rebuild
    # Another process adds a document: the count differs, the next get sees it at once.
    store.upsert("policies", ["p-gift"], ["Gift cards never expire."], [{"source": "t", "group": "P2"}])
    added = cache.get("policies")
    assert added is not first and "p-gift" in added.ids
    vec = embedder.encode(["do gift cards expire"], is_query=True)[0]
    assert added.nearest(vec, 1)[0][0] == "p-gift"
    # A document changed in place keeps the count: seen once the snapshot is older than max_age.
    store.upsert("policies", ["p-gift"], ["Gift cards expire after one year."], [{"source": "t", "group": "P2"}])
    assert cache.get("policies").document("p-gift")[0] == "Gift cards never expire."
    clock[0] += 61.0
    assert cache.get("policies").document("p-gift")[0] == "Gift cards expire after one year."
    cache.invalidate("policies")
    assert cache.get("policies") is not added


def test_large_collections_are_left_to_the_vector_store(store: VectorStore) -> None:
    cache = BM25Cache(store.collection, vectors_max_items=len(TEXTS) - 1)  # type: ignore[arg-type]
    assert cache.get("policies").embeddings is None
    with pytest.raises(ValueError, match="no embeddings"):
        cache.get("policies").nearest(np.ones(384, dtype=np.float32), 3)


def test_nearest_orders_exactly_and_filters() -> None:
    vecs = np.asarray([[1, 0], [0.8, 0.6], [0, 1], [-1, 0]], dtype=np.float32)
    metas = [{"g": 1}, {"g": 2}, {"g": 1}, {"g": 1}]
    idx = BM25Index(["a", "b", "c", "d"], ["x", "y", "z", "w"], metas, embeddings=vecs)
    got = idx.nearest(np.asarray([1.0, 0.0]), 3)
    assert [i for i, *_ in got] == ["a", "b", "c"]
    assert [round(c, 3) for *_, c in got] == [1.0, 0.8, 0.0]
    assert [i for i, *_ in idx.nearest(np.asarray([1.0, 0.0]), 5, where={"g": 1})] == ["a", "c", "d"]
    assert idx.nearest(np.asarray([1.0, 0.0]), 2, where={"g": 9}) == []
    with pytest.raises(ValueError):
        BM25Index(["a"], ["x"], [{}], embeddings=vecs)


def test_a_check_in_progress_does_not_hold_other_turns(store: VectorStore) -> None:
    clock = [0.0]
    cache = BM25Cache(store.collection, vectors_max_items=100, check_seconds=1.0, clock=lambda: clock[0])  # type: ignore[arg-type]
    first = cache.get("policies")
    store.upsert("policies", ["p-new"], ["Store credit never expires."], [{"source": "t", "group": "P2"}])
    clock[0] += 2.0  # time to read the size again
    builder = cache._builders["policies"]
    with builder:  # another thread is checking or rebuilding: this one goes on with what it has
        assert cache.get("policies") is first
    assert "p-new" in cache.get("policies").ids  # the next check sees the new document
