"""Fusing one query's embedding and BM25 rankings: weighted RRF and adaptive score fusion.

Plain RRF gives both rankings equal say. When one ranking is much better than the other (on
near-duplicate support tickets the embedding ranking is almost perfect and BM25 is not) equal
weights pull good first hits down, so the embedding side gets weight ``w`` and BM25 ``1 - w``;
``w`` can be chosen on a validation fold with :func:`choose_fusion_weight`.

The **adaptive** fusion (:func:`adaptive_fusion`) works on the scores, not the ranks, and decides
per query how much each side says, from the shape of that side's own score distribution: a side
whose best candidate stands clearly above its runner-up is confident, a flat side (no query word
in any candidate, near-identical cosines) is not. Its two hyper-parameters (``weight``, ``sharpness``) are
tuned on training queries (:func:`choose_fusion_params`); nothing in it is specific to a data set.

Example:
    >>> [i for i, _ in fuse_scores([("a", 0.9), ("b", 0.2)], [("b", 3.0), ("a", 0.0)], weight=0.5)]
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

DEFAULT_FUSION_WEIGHT = 0.7
DEFAULT_RRF_K = 10
DEFAULT_SHARPNESS = 1.0
WEIGHT_GRID: tuple[float, ...] = tuple(float(w) for w in np.round(np.arange(0.0, 1.01, 0.1), 2))
SHARPNESS_GRID: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)

FusionMethod = Literal["rrf", "adaptive"]
FUSION_METHODS: tuple[FusionMethod, ...] = ("rrf", "adaptive")


def weighted_rrf(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = DEFAULT_RRF_K
) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum of ``w / (k + rank)`` (rank from 1) over rankings.

    Example:
        >>> s = weighted_rrf([["a", "b"], ["b", "a"]], [0.7, 0.3], k=10)
        >>> s["a"] > s["b"]
        True
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    if k < 0:
        raise ValueError("k must be >= 0")
    out: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            out[doc_id] = out.get(doc_id, 0.0) + w / (k + rank)
    return out


def standardized(values: np.ndarray) -> np.ndarray:
    """(x - mean) / std over one query's candidates; all zeros when the scores do not vary."""
    if len(values) < 2:
        return np.zeros_like(values)
    std = float(values.std())
    return np.zeros_like(values) if std < 1e-9 else (values - values.mean()) / std


def confidence(z: np.ndarray) -> float:
    """How clearly one side's best candidate beats its runner-up, in [0, 1]: the gap between the top
    two standardized scores over the largest gap ``n`` standardized scores allow (``sqrt(n)``, one
    candidate above n - 1 equal ones). 1 for a single clear winner, 0 for a tie at the top or a
    flat list; evenly spread scores sit in between.
    """
    n = len(z)
    if n < 2:
        return 0.0
    top2 = np.partition(z, n - 2)[n - 2 :]
    return float(np.clip((top2[1] - top2[0]) / np.sqrt(n), 0.0, 1.0))


def adaptive_fusion(
    cosine: Mapping[str, float],
    bm25: Mapping[str, float],
    weight: float = DEFAULT_FUSION_WEIGHT,
    sharpness: float = DEFAULT_SHARPNESS,
) -> dict[str, float]:
    """Fuse one query's two score lists with weights read off their own score distributions.

    Each side's scores over the union of candidates are standardized (z-scores; a candidate missing
    from a side gets that side's lowest score, BM25's missing score is 0). For this query each side
    is then weighted by its :func:`confidence` raised to ``sharpness``, times its share (``weight``
    for the embedding, ``1 - weight`` for BM25): ``sharpness`` 0 is a fixed-weight z-score fusion,
    larger values hand the query more and more to whichever side has a clear winner; a side whose
    scores do not vary carries no weight at any sharpness.

    Example:
        >>> s = adaptive_fusion({"a": 0.9, "b": 0.5, "c": 0.4}, {"b": 0.0}, weight=0.5)
        >>> max(s, key=s.get)
        'a'
    """
    if sharpness < 0:
        raise ValueError("sharpness must be >= 0")
    ids = sorted(set(cosine) | set(bm25))
    if not ids:
        return {}
    lo = min(cosine.values()) if cosine else 0.0
    cos = standardized(np.asarray([cosine.get(i, lo) for i in ids], dtype=np.float64))
    lex = standardized(np.asarray([bm25.get(i, 0.0) for i in ids], dtype=np.float64))
    conf_cos = confidence(cos) ** sharpness if cos.any() else 0.0
    conf_lex = confidence(lex) ** sharpness if lex.any() else 0.0
    fused = weight * conf_cos * cos + (1.0 - weight) * conf_lex * lex
    return {i: float(v) for i, v in zip(ids, fused, strict=True)}


def fuse_scores(
    cosine: Sequence[tuple[str, float]],
    bm25: Sequence[tuple[str, float]],
    *,
    weight: float = DEFAULT_FUSION_WEIGHT,
    method: FusionMethod = "adaptive",
    rrf_k: int = DEFAULT_RRF_K,
    sharpness: float = DEFAULT_SHARPNESS,
) -> list[tuple[str, float]]:
    """One query's hybrid ranking from the embedding and BM25 candidate lists (each best first).

    ``rrf``: weighted reciprocal rank fusion of the two orders (BM25 candidates scoring 0 carry no
    rank). ``adaptive``: :func:`adaptive_fusion` of the scores. Ties go to the smaller id, as for
    the single rankers, so the order is deterministic.
    """
    if method == "adaptive":
        fused = adaptive_fusion(dict(cosine), dict(bm25), weight, sharpness)
    elif method == "rrf":
        fused = weighted_rrf(
            [[i for i, _ in cosine], [i for i, s in bm25 if s > 0]], [weight, 1.0 - weight], k=rrf_k
        )
        for i, _ in bm25:  # zero-scored BM25 candidates still belong to the pool
            fused.setdefault(i, 0.0)
    else:
        raise ValueError(f"fusion method must be one of {FUSION_METHODS}")
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def choose_fusion_weight(
    evaluate: Callable[[float], float], grid: Sequence[float] = WEIGHT_GRID
) -> tuple[float, dict[float, float]]:
    """Pick the fusion weight that maximises ``evaluate(weight)`` (e.g. MRR on a validation fold).

    Ties go to the weight closest to the default, so a flat validation curve keeps the default.

    Example:
        >>> choose_fusion_weight(lambda w: 1 - abs(w - 0.6))[0]
        0.6
    """
    if not grid:
        raise ValueError("empty grid")
    results = {float(w): float(evaluate(float(w))) for w in grid}
    best = max(results.items(), key=lambda kv: (round(kv[1], 6), -abs(kv[0] - DEFAULT_FUSION_WEIGHT)))
    return best[0], results


def choose_fusion_params(
    evaluate: Callable[[float, float], float],
    weights: Sequence[float] = WEIGHT_GRID,
    sharpness: Sequence[float] = SHARPNESS_GRID,
) -> tuple[tuple[float, float], dict[str, float]]:
    """The (weight, sharpness) of the adaptive fusion maximising ``evaluate`` on training queries.

    Ties go to the default sharpness, then to the weight closest to the default.

    Example:
        >>> choose_fusion_params(lambda w, s: -abs(w - 0.3) - abs(s - 2.0))[0]
        (0.3, 2.0)
    """
    if not weights or not sharpness:
        raise ValueError("empty grid")
    results = {(float(w), float(s)): float(evaluate(float(w), float(s))) for s in sharpness for w in weights}
    best = max(
        results.items(),
        key=lambda kv: (
            round(kv[1], 6),
            -abs(kv[0][1] - DEFAULT_SHARPNESS),
            -abs(kv[0][0] - DEFAULT_FUSION_WEIGHT),
        ),
    )
    return best[0], {f"w={w},s={s}": v for (w, s), v in results.items()}
