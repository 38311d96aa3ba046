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

The **learned** fusion (:class:`LearnedFusion`) is learning to rank over features of the same two
score lists (:func:`fusion_features`): a linear model fitted on a benchmark's training queries. It
needs per-collection training, so the engine does not use it; ``evaluate answers`` reports it.

Example:
    >>> [i for i, _ in fuse_scores([("a", 0.9), ("b", 0.2)], [("b", 3.0), ("a", 0.0)], weight=0.5)]
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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


# --- learned fusion (learning to rank over the two score lists) -----------------------------------

LEARNED_FEATURES: tuple[str, ...] = (
    "z_cos",
    "z_bm25",
    "rr_cos",
    "rr_bm25",
    "minmax_cos",
    "minmax_bm25",
    "z_cos*conf_cos",
    "z_bm25*conf_bm25",
    "z_cos*log_n",
    "z_bm25*log_n",
    "bm25_zero",
    "conf_cos",
    "conf_bm25",
    "log_n",
)
OTHER_FEATURES: tuple[str, ...] = ("z", "rr", "minmax", "z*conf", "z*log_n", "conf")
"""Per further score list (e.g. a second encoder's cosines): the same features as the embedding side."""
LearnedObjective = Literal["pointwise", "pairwise"]
DEFAULT_LEARNED_C = 0.1
DEFAULT_LEARNED_OBJECTIVE: LearnedObjective = "pairwise"
MAX_PAIRS_PER_QUERY = 64


def _minmax(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min()) if len(values) else 0.0
    return np.zeros_like(values) if span < 1e-12 else (values - values.min()) / span


def _reciprocal_ranks(values: np.ndarray) -> np.ndarray:
    """1 / rank (from 1) of each value, best first; ties keep the given (id) order."""
    order = np.argsort(-values, kind="stable")
    rr = np.empty(len(values), dtype=np.float64)
    rr[order] = 1.0 / np.arange(1, len(values) + 1)
    return rr


def feature_names(others: int = 0) -> list[str]:
    """The columns of :func:`fusion_features` with ``others`` further score lists.

    Example:
        >>> feature_names(1)[-6:]
        ['other1_z', 'other1_rr', 'other1_minmax', 'other1_z*conf', 'other1_z*log_n', 'other1_conf']
    """
    return [*LEARNED_FEATURES, *(f"other{k + 1}_{f}" for k in range(others) for f in OTHER_FEATURES)]


def _side_features(raw: np.ndarray, log_n: float) -> list[np.ndarray]:
    z = standardized(raw)
    conf = confidence(z) if z.any() else 0.0
    return [z, _reciprocal_ranks(raw), _minmax(raw), z * conf, z * log_n, conf * np.ones(len(raw))]


def fusion_features(
    cosine: Mapping[str, float], bm25: Mapping[str, float], others: Sequence[Mapping[str, float]] = ()
) -> tuple[list[str], np.ndarray]:
    """(ids sorted, one row of :func:`feature_names` per candidate) from one query's score lists.

    Only the scores are used (no text, no data-set field): each side's z-score, reciprocal rank and
    min-max score, each side's :func:`confidence`, the candidate count, whether BM25 matched at all.
    A candidate missing from a side gets that side's lowest score (BM25: 0), as in
    :func:`adaptive_fusion`. ``others``: further similarity lists (a second encoder's cosines),
    each adding :data:`OTHER_FEATURES` after the first 14 columns.

    Example:
        >>> ids, x = fusion_features({"a": 0.9, "b": 0.1}, {"b": 2.0})
        >>> ids, x.shape
        (['a', 'b'], (2, 14))
        >>> fusion_features({"a": 0.9, "b": 0.1}, {"b": 2.0}, [{"a": 0.2, "b": 0.7}])[1].shape
        (2, 20)
    """
    ids = sorted(set(cosine) | set(bm25) | {i for o in others for i in o})
    if not ids:
        return [], np.zeros((0, len(feature_names(len(others)))))
    lo = min(cosine.values()) if cosine else 0.0
    raw_c = np.asarray([cosine.get(i, lo) for i in ids], dtype=np.float64)
    raw_l = np.asarray([bm25.get(i, 0.0) for i in ids], dtype=np.float64)
    zc, zl = standardized(raw_c), standardized(raw_l)
    conf_c = confidence(zc) if zc.any() else 0.0
    conf_l = confidence(zl) if zl.any() else 0.0
    log_n = float(np.log(len(ids)))
    ones = np.ones(len(ids))
    cols = [
        zc,
        zl,
        _reciprocal_ranks(raw_c),
        _reciprocal_ranks(raw_l),
        _minmax(raw_c),
        _minmax(raw_l),
        zc * conf_c,
        zl * conf_l,
        zc * log_n,
        zl * log_n,
        (raw_l <= 0).astype(np.float64),
        conf_c * ones,
        conf_l * ones,
        log_n * ones,
    ]
    for other in others:
        low = min(other.values()) if other else 0.0
        cols += _side_features(np.asarray([other.get(i, low) for i in ids], dtype=np.float64), log_n)
    return ids, np.stack(cols, axis=1)


@dataclass(frozen=True)
class LearnedFusion:
    """A linear ranker over :func:`fusion_features`, learned from training queries (learning to rank).

    ``pointwise``: logistic regression of "is this candidate relevant" (classes balanced);
    ``pairwise``: logistic regression on feature differences of (relevant, irrelevant) candidate
    pairs of the same query (at most :data:`MAX_PAIRS_PER_QUERY` per query, seeded), so only the
    order within a query is learned. Features are standardised over the training rows; ``c`` is the
    inverse L2 strength. Scoring is a dot product (numpy only); scikit-learn is needed only to fit.

    Example:
        >>> q = [({"a": 0.9, "b": 0.1}, {"b": 2.0}, {"a"}), ({"c": 0.2, "d": 0.8}, {"c": 3.0}, {"d"})]
        >>> f = LearnedFusion.fit(q)
        >>> max(f.scores({"x": 0.9, "y": 0.1}, {"y": 2.0}).items(), key=lambda kv: kv[1])[0]
        'x'
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    objective: LearnedObjective = DEFAULT_LEARNED_OBJECTIVE
    others: int = 0
    """How many further score lists (beyond embedding and BM25) it was fitted with."""

    @classmethod
    def fit(
        cls,
        queries: Sequence[tuple[Mapping[str, float], Mapping[str, float], set[str]]],
        *,
        objective: LearnedObjective = DEFAULT_LEARNED_OBJECTIVE,
        c: float = DEFAULT_LEARNED_C,
        seed: int = 0,
        others: Sequence[Sequence[Mapping[str, float]]] | None = None,
    ) -> LearnedFusion:
        """Learn from (cosine scores, BM25 scores, relevant ids) per training query; ``others``, when
        given, holds each query's further score lists (the same number for every query).

        Queries with no relevant candidate, or nothing but relevant ones, carry no ranking
        information and are skipped; raises ``ValueError`` when none is left."""
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

        if objective not in ("pointwise", "pairwise"):
            raise ValueError("objective must be pointwise or pairwise")
        if c <= 0:
            raise ValueError("c must be > 0")
        extra: Sequence[Sequence[Mapping[str, float]]] = others if others is not None else [()] * len(queries)
        if len(extra) != len(queries) or len({len(o) for o in extra}) > 1:
            raise ValueError("others: one list of further score lists per query, the same number for each")
        n_others = len(extra[0]) if extra else 0
        rows: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        for (cos, lex, relevant), more in zip(queries, extra, strict=True):
            ids, x = fusion_features(cos, lex, more)
            y = np.asarray([i in relevant for i in ids], dtype=bool)
            if 0 < y.sum() < len(y):
                rows.append(x)
                labels.append(y)
        if not rows:
            raise ValueError("no training query has both relevant and irrelevant candidates")
        stacked = np.concatenate(rows)
        mean = stacked.mean(axis=0)
        scale = stacked.std(axis=0)
        scale[scale < 1e-9] = 1.0
        if objective == "pointwise":
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            model.fit((stacked - mean) / scale, np.concatenate(labels))
            coef = np.asarray(model.coef_[0], dtype=np.float64)
        else:
            rng = np.random.default_rng(seed)
            diffs: list[np.ndarray] = []
            for x, y in zip(rows, labels, strict=True):
                xs = (x - mean) / scale
                pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
                pairs = np.stack(np.meshgrid(pos, neg, indexing="ij"), axis=-1).reshape(-1, 2)
                if len(pairs) > MAX_PAIRS_PER_QUERY:
                    pairs = pairs[rng.choice(len(pairs), MAX_PAIRS_PER_QUERY, replace=False)]
                diffs.append(xs[pairs[:, 0]] - xs[pairs[:, 1]])
            d = np.concatenate(diffs)
            # each pair both ways: a symmetric problem without an intercept
            model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
            model.fit(np.concatenate([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))])
            coef = np.asarray(model.coef_[0], dtype=np.float64)
        return cls(mean=mean, scale=scale, coef=coef, objective=objective, others=n_others)

    def scores(
        self, cosine: Mapping[str, float], bm25: Mapping[str, float], others: Sequence[Mapping[str, float]] = ()
    ) -> dict[str, float]:
        """One query's fused scores (higher is better) for every candidate of any list."""
        if len(others) != self.others:
            raise ValueError(f"fitted with {self.others} further score list(s), got {len(others)}")
        ids, x = fusion_features(cosine, bm25, others)
        fused = ((x - self.mean) / self.scale) @ self.coef if ids else np.zeros(0)
        return {i: float(v) for i, v in zip(ids, fused, strict=True)}

    def rank(
        self,
        cosine: Sequence[tuple[str, float]],
        bm25: Sequence[tuple[str, float]],
        others: Sequence[Sequence[tuple[str, float]]] = (),
    ) -> list[tuple[str, float]]:
        """Candidates best first, ties to the smaller id (as :func:`fuse_scores`)."""
        fused = self.scores(dict(cosine), dict(bm25), [dict(o) for o in others])
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))

    def weights(self) -> dict[str, float]:
        """The learned weight of each (standardised) feature, for the report."""
        return {n: round(float(w), 4) for n, w in zip(feature_names(self.others), self.coef, strict=True)}
