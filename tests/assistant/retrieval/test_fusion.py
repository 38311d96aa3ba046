"""Adaptive fusion and BM25 over every candidate (issue 18)."""

from __future__ import annotations

from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.hybrid import adaptive_fusion, fuse_scores


def test_bm25_ranks_every_candidate_when_asked_with_ties_by_id() -> None:
    idx = BM25Index(
        ["d3", "d1", "d2", "x"], ["free returns", "we ship", "ship to canada", "ship"], [{"p": 1}] * 3 + [{"p": 2}]
    )
    assert [d for d, _ in idx.search("ship", 5, where={"p": 1})] == ["d1", "d2"]
    everything = idx.search("ship", 5, where={"p": 1}, include_zero=True)
    assert [d for d, _ in everything] == ["d1", "d2", "d3"] and everything[-1][1] == 0.0
    # No query word anywhere: all candidates tie at 0 and come back in id order.
    assert [d for d, _ in idx.search("zebra", 5, where={"p": 1}, include_zero=True)] == ["d1", "d2", "d3"]


def test_adaptive_fusion_ignores_a_flat_side_and_follows_a_decisive_one() -> None:
    cos = {"a": 0.50, "b": 0.49, "c": 0.48, "d": 0.47}
    # BM25 found nothing: the order is the embedding order, whatever the weight.
    flat = adaptive_fusion(cos, {}, weight=0.1)
    assert sorted(flat, key=lambda i: -flat[i]) == ["a", "b", "c", "d"]
    # BM25 has one clear winner and the embedding side is nearly flat: the winner goes first.
    sharp = adaptive_fusion(cos, {"d": 9.0}, weight=0.5)
    assert max(sharp, key=lambda i: sharp[i]) == "d"
    assert adaptive_fusion({}, {}) == {}


def test_fuse_scores_methods_agree_on_extremes_and_are_deterministic() -> None:
    emb = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    lex = [("c", 5.0), ("b", 1.0), ("a", 0.0)]
    for method in ("rrf", "adaptive"):
        assert fuse_scores(emb, lex, weight=1.0, method=method)[0][0] == "a"
        assert fuse_scores(emb, lex, weight=0.0, method=method)[0][0] == "c"
        assert fuse_scores(emb, lex, weight=0.5, method=method) == fuse_scores(emb, lex, weight=0.5, method=method)
    # rrf keeps zero-scored BM25 candidates in the pool without giving them a rank
    assert {i for i, _ in fuse_scores([("a", 0.9)], [("z", 0.0)], method="rrf")} == {"a", "z"}
