"""MiniLM's direct forward pass gives sentence-transformers' ``encode`` vectors (real model)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from assistant.embeddings import Embedder, MiniLMEmbedder

TEXTS = [
    "How long do I have to return an item?",
    "Do you ship to Canada? (ref 12-3)",
    "我想退货，请问怎么办？",
    "a",
    "Is the rain jacket waterproof " * 80,  # well over 256 word pieces: truncated like encode does
    "  spaces  and\ttabs\nand new lines  ",
]


def _reference(emb: MiniLMEmbedder, texts: list[str]) -> np.ndarray:
    out = emb.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(out, dtype=np.float32)


def test_direct_forward_matches_sentence_transformers_encode(embedder: Embedder) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    for batch in ([TEXTS[0]], TEXTS[:3], TEXTS):  # one query, a few, mixed lengths padded together
        got = embedder._forward(batch)
        want = _reference(embedder, batch)
        assert got.shape == want.shape == (len(batch), 384) and got.dtype == np.float32
        assert float(np.abs(got - want).max()) < 1e-6
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_small_calls_take_the_direct_path_and_big_ones_sentence_transformers(embedder: Embedder) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    with mock.patch.object(embedder.model, "encode", wraps=embedder.model.encode) as st_encode:
        one = embedder.encode([TEXTS[1]], is_query=True)
        assert st_encode.call_count == 0  # a chat turn's query: no per-call eval() and device walk
        many = embedder.encode([f"{TEXTS[0]} #{i}" for i in range(70)], batch_size=32)
        assert st_encode.call_count == 1  # bigger than a batch: length-sorted batches of encode
    assert float(np.abs(one - _reference(embedder, [TEXTS[1]])).max()) < 1e-6
    ref = _reference(embedder, [f"{TEXTS[0]} #{i}" for i in range(70)])
    assert float(np.abs(many - ref).max()) < 1e-6
    assert not embedder.model.training


@pytest.mark.parametrize("text", ["", "x"])
def test_degenerate_texts_still_give_unit_vectors(embedder: Embedder, text: str) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    got = embedder._forward([text])
    assert float(np.abs(got - _reference(embedder, [text])).max()) < 1e-6
    assert abs(float(np.linalg.norm(got[0])) - 1.0) < 1e-5
