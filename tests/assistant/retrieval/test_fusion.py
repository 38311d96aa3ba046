"""Adaptive fusion and BM25 over every candidate (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.fusion import (
    LEARNED_FEATURES,
    LearnedFusion,
    adaptive_fusion,
    choose_fusion_params,
    confidence,
    feature_names,
    fuse_scores,
    fusion_features,
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


Query = tuple[dict[str, float], dict[str, float], set[str]]


def _synthetic_queries(rng: np.random.Generator, n_queries: int, cos_noise: float, lex_noise: float) -> list[Query]:
    """Queries of 20 candidates, one relevant; each side scores it ``+1`` over the others plus its own
    independent noise (a huge noise = an uninformative side). BM25 scores are non-negative."""
    out = []
    for q in range(n_queries):
        ids = [f"q{q}-d{i:02d}" for i in range(20)]
        gold = ids[int(rng.integers(20))]
        signal = np.asarray([float(i == gold) for i in ids])
        cos = signal * 0.3 + rng.normal(0.0, 0.3 * cos_noise, 20)
        lex = np.clip(signal * 3.0 + rng.normal(0.0, 3.0 * lex_noise, 20) + 5.0, 0.0, None)
        out.append((dict(zip(ids, cos.tolist(), strict=True)), dict(zip(ids, lex.tolist(), strict=True)), {gold}))
    return out


def _mrr(order: list[str], gold: set[str]) -> float:
    return next((1.0 / (r + 1) for r, d in enumerate(order) if d in gold), 0.0)


@pytest.mark.parametrize("objective", ["pairwise", "pointwise"])
def test_learned_fusion_learns_which_side_is_informative_and_beats_both_when_both_are(objective: str) -> None:
    rng = np.random.default_rng(7)

    def held_out_mrr(fusion: LearnedFusion, queries: list[Query]) -> dict[str, float]:
        per: dict[str, list[float]] = {"learned": [], "embedding": [], "bm25": []}
        for cos, lex, gold in queries:
            per["learned"].append(_mrr([i for i, _ in fusion.rank(list(cos.items()), list(lex.items()))], gold))
            per["embedding"].append(_mrr(sorted(cos, key=lambda i: (-cos[i], i)), gold))
            per["bm25"].append(_mrr(sorted(lex, key=lambda i: (-lex[i], i)), gold))
        return {k: float(np.mean(v)) for k, v in per.items()}

    # Only the embedding side carries signal: the learned ranker follows it, BM25 noise is ignored.
    train = _synthetic_queries(rng, 300, cos_noise=0.5, lex_noise=100.0)
    fusion = LearnedFusion.fit(train, objective=objective)  # type: ignore[arg-type]
    assert fusion.weights()["z_cos"] + fusion.weights()["minmax_cos"] > 0
    got = held_out_mrr(fusion, _synthetic_queries(rng, 300, cos_noise=0.5, lex_noise=100.0))
    assert got["learned"] >= got["embedding"] - 0.02 and got["learned"] > got["bm25"] + 0.3

    # Both sides informative with independent noise: the learned combination beats each side.
    train = _synthetic_queries(rng, 300, cos_noise=0.8, lex_noise=0.8)
    fusion = LearnedFusion.fit(train, objective=objective)  # type: ignore[arg-type]
    got = held_out_mrr(fusion, _synthetic_queries(rng, 300, cos_noise=0.8, lex_noise=0.8))
    assert got["learned"] > max(got["embedding"], got["bm25"]) + 0.05, got


def test_learned_fusion_features_and_errors() -> None:
    ids, x = fusion_features({"a": 0.9, "b": 0.1}, {"b": 2.0})
    assert ids == ["a", "b"] and x.shape == (2, len(LEARNED_FEATURES))
    row = dict(zip(LEARNED_FEATURES, x[0], strict=True))
    assert row["rr_cos"] == 1.0 and row["rr_bm25"] == 0.5 and row["bm25_zero"] == 1.0 and row["minmax_bm25"] == 0.0
    assert fusion_features({}, {})[1].shape == (0, len(LEARNED_FEATURES))
    with pytest.raises(ValueError, match="relevant"):
        LearnedFusion.fit([({"a": 1.0}, {}, {"a"}), ({"b": 1.0, "c": 0.0}, {}, set())])
    with pytest.raises(ValueError, match="objective"):
        LearnedFusion.fit([({"a": 1.0, "b": 0.0}, {}, {"a"})], objective="listwise")  # type: ignore[arg-type]


def test_learned_fusion_with_a_further_score_list_uses_it_when_it_is_informative() -> None:
    rng = np.random.default_rng(11)

    def with_second(queries: list[Query], noise: float) -> list[list[dict[str, float]]]:
        out = []
        for cos, _, gold in queries:
            out.append([{i: float(i in gold) * 0.3 + float(rng.normal(0.0, 0.3 * noise)) for i in cos}])
        return out

    train = _synthetic_queries(rng, 300, cos_noise=1.0, lex_noise=1.0)
    fusion = LearnedFusion.fit(train, others=with_second(train, 0.4))
    two = LearnedFusion.fit(train)
    assert fusion.others == 1 and set(fusion.weights()) == set(feature_names(1))
    assert fusion.weights()["other1_z"] + fusion.weights()["other1_minmax"] > 0
    test = _synthetic_queries(rng, 300, cos_noise=1.0, lex_noise=1.0)
    more = with_second(test, 0.4)
    three_list = np.mean(
        [
            _mrr([i for i, _ in fusion.rank(list(c.items()), list(x.items()), [list(m[0].items())])], g)
            for (c, x, g), m in zip(test, more, strict=True)
        ]
    )
    two_list = np.mean([_mrr([i for i, _ in two.rank(list(c.items()), list(x.items()))], g) for c, x, g in test])
    assert three_list > two_list + 0.05
    # the number of lists is part of the model
    with pytest.raises(ValueError, match="further score list"):
        fusion.scores(train[0][0], train[0][1])
    with pytest.raises(ValueError, match="others"):
        LearnedFusion.fit(train[:2], others=[[{}], []])
    ids, x = fusion_features({"a": 0.9}, {}, [{"b": 0.5, "a": 0.1}])
    row = dict(zip(feature_names(1), x[ids.index("a")], strict=True))
    assert ids == ["a", "b"] and row["other1_rr"] == 0.5 and row["other1_minmax"] == 0.0
