"""BM25, weighted RRF and the hybrid LangChain retriever over a real Chroma store."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.retrieval import BM25Index, HybridRetriever, choose_fusion_weight, matches, tokenize, weighted_rrf
from assistant.vectors import CollectionName, VectorStore

DOCS = {
    "p-returns": ("Returns\n\nItems can be returned within 30 days of delivery for a refund.", "policy", "P0"),
    "p-ship": (
        "Shipping\n\nWe ship to the United States and Canada. Standard delivery takes 3-5 days.",
        "policy",
        "P0",
    ),
    "r-1": ("Kept me dry on a rainy bike commute, the hood is great.", "review", "JP-001"),
    "r-2": ("Zipper broke after a week of hiking.", "review", "JP-001"),
    "r-3": ("Perfect for rainy bike rides, very dry.", "review", "JP-002"),
}


@pytest.fixture
def store(settings: Settings, embedder: Embedder) -> VectorStore:
    vs = VectorStore(settings, embedder=embedder)
    pairs: tuple[tuple[CollectionName, str], ...] = (("policies", "policy"), ("reviews", "review"))
    for name, kind in pairs:
        ids = [i for i, (_, k, _) in DOCS.items() if k == kind]
        vs.upsert(
            name,
            ids,
            [DOCS[i][0] for i in ids],
            [{"source": "t", "kind": kind, "product_id": DOCS[i][2]} for i in ids],
        )
    return vs


def test_tokenize_folds_plurals_and_splits_cjk() -> None:
    assert tokenize("Returns of the boots") == ["return", "boot"]
    assert tokenize("退货政策") == ["退货", "货政", "政策"]


def test_bm25_uses_global_idf_under_filters() -> None:
    idx = BM25Index(["a", "b", "c"], ["red boot", "red jacket", "blue boot"], [{"p": 1}, {"p": 1}, {"p": 2}])
    assert [d for d, _ in idx.search("red boot", k=3)] == ["a", "b", "c"]
    assert [d for d, _ in idx.search("boot", k=3, where={"p": 1})] == ["a"]
    assert idx.search("nothing matches", k=3) == []
    with pytest.raises(ValueError):
        idx.search("boot", k=0)


def test_where_filter_semantics() -> None:
    meta = {"kind": "review", "rating": 4, "product_id": "X"}
    assert matches(meta, {"$and": [{"kind": "review"}, {"rating": {"$gte": 4}}]})
    assert not matches(meta, {"product_id": {"$in": ["Y", "Z"]}})
    assert matches(meta, {"$or": [{"kind": "qa"}, {"product_id": {"$ne": "Y"}}]})


def test_weighted_rrf_respects_weights() -> None:
    s = weighted_rrf([["a", "b", "c"], ["c", "b", "a"]], [0.8, 0.2], k=10)
    assert max(s, key=s.__getitem__) == "a"
    s = weighted_rrf([["a", "b", "c"], ["c", "b", "a"]], [0.2, 0.8], k=10)
    assert max(s, key=s.__getitem__) == "c"
    with pytest.raises(ValueError):
        weighted_rrf([["a"]], [0.5, 0.5])


def test_choose_fusion_weight_prefers_default_on_ties() -> None:
    w, curve = choose_fusion_weight(lambda _w: 0.5)
    assert w == 0.7 and len(curve) == 11


@pytest.mark.parametrize("mode", ["hybrid", "embedding", "bm25"])
def test_retriever_modes_find_the_right_passage(store: VectorStore, mode: str) -> None:
    ret = HybridRetriever(store=store, collection="policies", k=2, mode=mode)
    hits = ret.search("how many days do I have to return an item")
    assert hits[0].id == "p-returns"
    assert hits[0].collection == "policies"


def test_retriever_filters_by_product_and_is_a_langchain_retriever(store: VectorStore) -> None:
    ret = HybridRetriever(store=store, collection="reviews", k=3, where={"product_id": "JP-001"})
    docs = ret.invoke("good for cycling in the rain?")
    assert all(isinstance(d, Document) for d in docs)
    assert {d.metadata["product_id"] for d in docs} == {"JP-001"}
    assert docs[0].metadata["id"] == "r-1"
    hits = ret.search("good for rainy bike rides?", where={"product_id": "JP-002"})
    assert [h.id for h in hits] == ["r-3"] and set(hits[0].ranks) == {"embedding", "bm25"}


def test_retriever_validates_its_configuration(store: VectorStore) -> None:
    with pytest.raises(ValueError):
        HybridRetriever(store=store, collection="policies", fusion_weight=1.5)
    with pytest.raises(ValueError):
        HybridRetriever(store=store, collection="policies", k=0)
