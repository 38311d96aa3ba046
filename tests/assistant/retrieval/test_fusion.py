"""Adaptive fusion and BM25 over every candidate (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.fusion import (
    adaptive_fusion,
    choose_fusion_params,
    confidence,
    fuse_scores,
    standardized,
)


def test_bm25_ranks_every_candidate_when_asked_with_ties_by_id() -> None:
    idx = BM25Index(
        ["d3", "d1", "d2", "x"], ["free returns", "we ship", "ship to canada", "ship"], [{"p": 1}] * 3 + [{"p": 2}]
    )
    assert [d for d, _ in idx.search("ship", 5, where={"p": 1})] == ["d1", "d2"]
    everything = idx.search("ship", 5, where={"p": 1}, include_zero=True)
    assert [d for d, _ in everything] == ["d1", "d2", "d3"] and everything[-1][1] == 0.0
    # No query word anywhere: all candidates tie at 0 and come back in id order.
    assert [d for d, _ in idx.search("zebra", 5, where={"p": 1}, include_zero=True)] == ["d1", "d2", "d3"]


def test_confidence_is_one_for_a_single_winner_and_zero_for_a_flat_list() -> None:
    assert confidence(standardized(np.array([5.0, 0.0, 0.0, 0.0]))) == pytest.approx(1.0)
    assert confidence(standardized(np.array([1.0, 1.0, 1.0]))) == 0.0
    assert confidence(standardized(np.array([4.0, 4.0, 1.0, 1.0]))) == 0.0  # a tie at the top
    spread = confidence(standardized(np.array([4.0, 3.0, 2.0, 1.0])))
    assert 0.0 < spread < confidence(standardized(np.array([4.0, 1.0, 1.0, 1.0])))


def test_adaptive_fusion_ignores_a_flat_side_and_follows_a_decisive_one() -> None:
    cos = {"a": 0.50, "b": 0.49, "c": 0.48, "d": 0.47}
    # BM25 found nothing: the order is the embedding order, whatever the weight or sharpness.
    for sharpness in (0.0, 1.0, 2.0):
        flat = adaptive_fusion(cos, {}, weight=0.1, sharpness=sharpness)
        assert sorted(flat, key=lambda i: -flat[i]) == ["a", "b", "c", "d"]
    # BM25 has one clear winner and the embedding side is evenly spread: the winner goes first.
    sharp = adaptive_fusion(cos, {"d": 9.0}, weight=0.5)
    assert max(sharp, key=lambda i: sharp[i]) == "d"
    assert adaptive_fusion({}, {}) == {}
    with pytest.raises(ValueError, match="sharpness"):
        adaptive_fusion(cos, {}, sharpness=-1.0)


def test_sharpness_zero_is_a_plain_weighted_z_score_sum() -> None:
    cos = {"a": 0.9, "b": 0.6, "c": 0.5}
    lex = {"a": 0.0, "b": 2.0, "c": 1.0}
    got = adaptive_fusion(cos, lex, weight=0.4, sharpness=0.0)
    zc = standardized(np.array([0.9, 0.6, 0.5]))
    zl = standardized(np.array([0.0, 2.0, 1.0]))
    want = 0.4 * zc + 0.6 * zl
    assert [got[i] for i in "abc"] == pytest.approx(want.tolist())
    # With sharpness the more decisive side (the cosine's lone leader) gains say.
    assert adaptive_fusion(cos, lex, weight=0.4, sharpness=2.0)["a"] > got["a"]


def test_fuse_scores_methods_agree_on_extremes_and_are_deterministic() -> None:
    emb = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    lex = [("c", 5.0), ("b", 1.0), ("a", 0.0)]
    for method in ("rrf", "adaptive"):
        assert fuse_scores(emb, lex, weight=1.0, method=method)[0][0] == "a"
        assert fuse_scores(emb, lex, weight=0.0, method=method)[0][0] == "c"
        assert fuse_scores(emb, lex, weight=0.5, method=method) == fuse_scores(emb, lex, weight=0.5, method=method)
    # rrf keeps zero-scored BM25 candidates in the pool without giving them a rank
    assert {i for i, _ in fuse_scores([("a", 0.9)], [("z", 0.0)], method="rrf")} == {"a", "z"}
    # exact ties are broken by id, as for the single rankers
    assert [i for i, _ in fuse_scores([("b", 0.5), ("a", 0.5)], [], method="adaptive")] == ["a", "b"]


def test_choose_fusion_params_prefers_the_defaults_on_a_flat_curve() -> None:
    (w, s), curve = choose_fusion_params(lambda w, s: 1.0)
    assert (w, s) == (0.7, 1.0) and len(curve) == 44
    (w, s), _ = choose_fusion_params(lambda w, s: float(w == 0.2 and s == 0.5))
    assert (w, s) == (0.2, 0.5)
