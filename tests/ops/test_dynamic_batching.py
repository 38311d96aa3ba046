"""Encoder calls from concurrent turns share model runs, and each caller gets its own rows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from assistant.embeddings import Embedder

QUESTIONS = [f"Question {i}: can I return item number {i} after {i % 7 + 1} weeks?" for i in range(48)]


def test_concurrent_queries_are_batched_and_match_one_by_one(embedder: Embedder) -> None:
    alone = np.vstack([embedder.encode([q], is_query=True) for q in QUESTIONS])
    before = (embedder.stats.requests, embedder.stats.runs)
    with ThreadPoolExecutor(16) as pool:
        together = np.vstack(list(pool.map(lambda q: embedder.encode([q], is_query=True), QUESTIONS)))
    requests = embedder.stats.requests - before[0]
    runs = embedder.stats.runs - before[1]
    assert requests == len(QUESTIONS)
    assert runs < requests, "concurrent calls should share model runs"
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_a_big_call_and_an_empty_call(embedder: Embedder) -> None:
    texts = [f"passage {i}" for i in range(embedder.max_dynamic_batch + 5)]
    assert embedder.encode(texts).shape == (len(texts), embedder.dim)
    assert embedder.encode([]).shape == (0, embedder.dim)
