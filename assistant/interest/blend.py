"""The served ranking: the interest model's score blended with behavior terms, weights from validation.

What :class:`~assistant.interest.online.InterestService` ranks by (the chat panel, recommendations,
the personalized search box) and what ``shopassist evaluate recommend`` reports as ``ours_online``:
one implementation, :meth:`ServedBlend.scores`, applied after the hard filters.

Terms (each a (users x items) matrix on a [0, 1] scale, :meth:`BlendStats.terms`):

* ``behavior``: the model's behavior-only score (with a request only);
* ``cooccurrence``: item-kNN over the whole history, over its row maximum;
* ``transition``: item-kNN of the newest history item only, over its row maximum;
* ``popularity``: log(1 + count) over its maximum;
* ``leaf_mass``: the probability the behavior-only model's softmax (history masked) puts on the
  candidate's leaf category, over its row maximum;
* ``request_leaf_mass``: the same for the with-request model (with a request only).

**Items without events** (new products; the cold-start evaluation's withheld items) have no count and
no co-occurrence, so the count terms would put them last. With ``cold_prior`` such an item takes, in
each count term, the mean over the items of its leaf category that have events (0 when none has):
what the shop knows about products of that kind, until the item's own events arrive.

The weights are chosen on validation users by training (:func:`fit_served_blend`, called by
:class:`~assistant.services.training.TrainingService` and by the evaluation) and stored in the
checkpoint; the counts are computed from the stored events when the model loads (see
docs/interest.md, *Online use*).

Example:
    >>> stats = BlendStats.fit([np.array([1, 2]), np.array([1, 2, 3])], ["", "A, B", "A, B", "A, C"], 10)
    >>> t = stats.terms([np.array([1])], torch.zeros(1, 4))
    >>> t["cooccurrence"].argmax(1).tolist(), [round(x, 2) for x in t["popularity"][0].tolist()]
    ([2], [0.0, 1.0, 1.0, 0.63])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch

from assistant.interest.data import (
    REQUEST_LEVELS,
    TRAIN_TEMPLATES,
    Catalog,
    CategoryMatcher,
    Split,
    category_at,
    category_path,
)
from assistant.interest.metrics import mask_history

Terms = dict[str, torch.Tensor]

#: Terms that do not read the request: offered to the no-request blend (which the category-filter
#: baselines rank by too) and to the with-request blends.
BEHAVIOR_TERMS = ("cooccurrence", "transition", "popularity", "leaf_mass")
#: Terms only a request has: the behavior-only score beside the with-request one, and the
#: with-request model's leaf mass.
REQUEST_TERMS = ("behavior", "request_leaf_mass")
ALL_TERMS = BEHAVIOR_TERMS + REQUEST_TERMS
#: Kinds of request, by what the request parser reads in it (:meth:`ServedBlend.kind`).
REQUEST_KINDS = ("narrow", "broad", "none")

_TERM_GRID = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
GRIDS: dict[str, tuple[float, ...]] = {
    "behavior": (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    **{name: _TERM_GRID for name in ALL_TERMS if name != "behavior"},
}
#: A kind with fewer validation requests than this uses the blend tuned on all of them.
MIN_KIND_ROWS = 100


# --- the terms --------------------------------------------------------------------------------


def popularity(train: Sequence[np.ndarray], num_items: int) -> torch.Tensor:
    """(M+1,) interaction counts over the training sequences."""
    seqs = [np.asarray(s, dtype=np.int64) for s in train if len(s)]
    flat = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
    return torch.from_numpy(np.bincount(flat, minlength=num_items + 1).astype(np.float32))


def log_popularity(counts: torch.Tensor) -> torch.Tensor:
    """(M+1,) ``log(1 + count)`` over its maximum: popularity on a [0, 1] scale that a blend can add."""
    lp = torch.log1p(counts.float())
    return lp / lp.max().clamp(min=1e-9)


class ItemKNN:
    """Item-based CF: cosine similarity of item co-occurrence (per user) keeping top-k neighbors.

    Dense (M+1)^2 similarity: fine for shop catalogs up to ~20k items.

    Example:
        >>> knn = ItemKNN.fit([np.array([1, 2]), np.array([1, 2, 3])], num_items=3, neighbors=10)
        >>> knn.scores([np.array([1])]).argmax(1).tolist()
        [2]
    """

    def __init__(self, sim: torch.Tensor) -> None:
        self.sim = sim

    @classmethod
    def fit(cls, train: Sequence[np.ndarray], num_items: int, neighbors: int) -> ItemKNN:
        from scipy import sparse  # type: ignore[import-untyped]

        seqs = [np.unique(np.asarray(s, dtype=np.int64)) for s in train]
        rows = np.concatenate([np.full(len(s), u) for u, s in enumerate(seqs)]) if seqs else np.zeros(0, np.int64)
        cols = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        # Customers x items as a sparse 0/1 matrix (a shop's customers would not fit densely); the
        # co-occurrence counts are exact integers either way.
        x = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(seqs), num_items + 1))
        co = torch.from_numpy(np.asarray((x.T @ x).todense(), dtype=np.float32))
        norm = co.diagonal().clamp(min=1.0).sqrt()
        sim = co / norm[:, None] / norm[None, :]
        sim.fill_diagonal_(0.0)
        if neighbors < num_items:
            # Keep each item's k most similar items (RecBole's ItemKNN 'k'); the rest are noise.
            top = sim.topk(neighbors, dim=1)
            pruned = torch.zeros_like(sim)
            pruned.scatter_(1, top.indices, top.values)
            sim = pruned
        return cls(sim)

    def scores(self, histories: Sequence[np.ndarray]) -> torch.Tensor:
        if len(histories) == 1:  # serving one customer: sum the history's rows, no (M+1)^2 product
            s = np.unique(np.asarray(histories[0], dtype=np.int64))
            return self.sim[torch.from_numpy(s)].sum(0, keepdim=True) if len(s) else torch.zeros(1, self.sim.shape[0])
        h = torch.zeros(len(histories), self.sim.shape[0])
        for r, s in enumerate(histories):
            if len(s):
                h[r, torch.from_numpy(np.unique(np.asarray(s, dtype=np.int64)))] = 1.0
        return h @ self.sim

    def normalized(self, histories: Sequence[np.ndarray]) -> torch.Tensor:
        """Scores divided by each row's maximum, so they are on the [0, 1] scale of a cosine."""
        return row_max_norm(self.scores(histories))

    def last_item(self, histories: Sequence[np.ndarray]) -> torch.Tensor:
        """Co-occurrence with each history's newest item only, over the row maximum (an empty history:
        all 0): what follows the last thing the customer touched, which the whole-history sum dilutes."""
        s = torch.zeros(len(histories), self.sim.shape[0])
        rows = [r for r, h in enumerate(histories) if len(h)]
        if rows:
            last = torch.tensor([int(histories[r][-1]) for r in rows])
            s[torch.tensor(rows)] = self.sim[last]
        return row_max_norm(s)


def row_max_norm(s: torch.Tensor) -> torch.Tensor:
    return s / s.max(1, keepdim=True).values.clamp(min=1e-9)


def leaf_ids(categories: Sequence[str]) -> torch.Tensor:
    """(M+1,) an id per distinct leaf category path (0: padding or no category).

    Example:
        >>> leaf_ids(["", "A, B", "A, C", "A, B", ""]).tolist()
        [0, 1, 2, 1, 0]
    """
    node: dict[tuple[str, ...], int] = {}
    out = np.zeros(len(categories), dtype=np.int64)
    for i, cat in enumerate(categories):
        path = tuple(category_path(cat)) if i else ()
        if path:
            out[i] = node.setdefault(path, len(node) + 1)
    return torch.from_numpy(out)


def leaf_mass(scores: torch.Tensor, hist: Sequence[np.ndarray], leaf: torch.Tensor, bs: int = 1024) -> torch.Tensor:
    """(U, M+1): the probability a model's softmax over the catalog (history masked) puts on each
    candidate's leaf category, over the row maximum; 0 for items without a category (``leaf`` 0).

    Where the model spreads its mass over several items of one leaf, a candidate of that leaf gains,
    however it ranks alone: a leaf-level prior from the same model.

    Example:
        >>> s = torch.tensor([[-torch.inf, 2.0, 0.0, 0.0, 1.0]])
        >>> (leaf_mass(s, [np.array([4])], torch.tensor([0, 1, 2, 2, 1])) * 1000).round().int().tolist()
        [[0, 1000, 271, 271, 1000]]
    """
    n_nodes = int(leaf.max()) + 1
    out = torch.zeros_like(scores, dtype=torch.float32)
    for i in range(0, len(hist), bs):
        rows = slice(i, min(i + bs, len(hist)))
        p = torch.softmax(mask_history(scores[rows].clone().float(), list(hist[rows])), 1)
        mass = torch.zeros(p.shape[0], n_nodes).index_add_(1, leaf, p)
        mass[:, 0] = 0.0
        out[rows] = row_max_norm(mass[:, leaf])
    return out


def fill_cold(term: torch.Tensor, leaf: torch.Tensor, warm: torch.Tensor) -> torch.Tensor:
    """``term`` (U, M+1) with every item that is not ``warm`` (no events) given, per row, the mean of
    the term over the warm items of its leaf category (0 when the leaf has none, or no category).

    Example:
        >>> t = torch.tensor([[0.0, 1.0, 0.5, 0.0, 0.25]])
        >>> fill_cold(t, torch.tensor([0, 1, 1, 1, 2]), torch.tensor([False, True, True, False, True])).tolist()
        [[0.0, 1.0, 0.5, 0.75, 0.25]]
    """
    n_nodes = int(leaf.max()) + 1
    w = warm.float()
    total = torch.zeros(term.shape[0], n_nodes).index_add_(1, leaf, term * w)
    n = torch.zeros(n_nodes).index_add_(0, leaf, w)
    mean = total / n.clamp(min=1.0)
    mean[:, 0] = 0.0
    return torch.where(warm[None, :], term, mean[:, leaf])


@dataclass
class BlendStats:
    """What the count terms need, from one set of event sequences (a training split, or the shop's
    stored events): co-occurrence, counts, each item's leaf, which items have events."""

    knn: ItemKNN
    counts: torch.Tensor  # (M+1,)
    leaf: torch.Tensor  # (M+1,) leaf ids
    cold_prior: bool = True
    warm: torch.Tensor = field(init=False)
    _pop: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.warm = self.counts > 0
        self.warm[0] = False
        pop = log_popularity(self.counts)[None]
        self._pop = (fill_cold(pop, self.leaf, self.warm) if self.cold_prior else pop)[0]

    @classmethod
    def fit(
        cls, sequences: Sequence[np.ndarray], categories: Sequence[str], neighbors: int, *, cold_prior: bool = True
    ) -> BlendStats:
        m = len(categories) - 1
        return cls(ItemKNN.fit(sequences, m, neighbors), popularity(sequences, m), leaf_ids(categories), cold_prior)

    def _count_term(self, t: torch.Tensor) -> torch.Tensor:
        return fill_cold(t, self.leaf, self.warm) if self.cold_prior else t

    def terms(
        self, hist: Sequence[np.ndarray], behavior: torch.Tensor, with_request: torch.Tensor | None = None
    ) -> Terms:
        """The terms for users with input histories ``hist``: :data:`BEHAVIOR_TERMS` from ``behavior``
        (the model's scores without a request), plus :data:`REQUEST_TERMS` given ``with_request``."""
        out: Terms = {
            "cooccurrence": self._count_term(self.knn.normalized(hist)),
            "transition": self._count_term(self.knn.last_item(hist)),
            "popularity": self._pop[None].expand(len(hist), -1),
            "leaf_mass": leaf_mass(behavior, hist, self.leaf),
        }
        return out if with_request is None else self.with_request(out, hist, behavior, with_request)

    def with_request(
        self, terms: Terms, hist: Sequence[np.ndarray], behavior: torch.Tensor, with_request: torch.Tensor
    ) -> Terms:
        """``terms`` (:data:`BEHAVIOR_TERMS` of these users) plus the :data:`REQUEST_TERMS` of a request
        whose with-request scores are ``with_request`` (the behavior terms are computed once per user)."""
        return {**terms, "behavior": behavior, "request_leaf_mass": leaf_mass(with_request, hist, self.leaf)}


# --- the blend --------------------------------------------------------------------------------


@dataclass
class Blend:
    """Weights of the served score: ``model + sum(weight * term)`` (0: the term is not used)."""

    behavior: float = 0.0
    cooccurrence: float = 0.0
    transition: float = 0.0
    popularity: float = 0.0
    leaf_mass: float = 0.0
    request_leaf_mass: float = 0.0

    def apply(self, model: torch.Tensor, terms: Terms) -> torch.Tensor:
        s = model.clone()
        for name in ALL_TERMS:
            w = getattr(self, name)
            if w:
                if name not in terms:
                    raise ValueError(f"blend weight {name}={w} but no {name!r} term was given")
                s = s + w * terms[name]
        return s


def _rows(terms: Terms, rows: torch.Tensor) -> Terms:
    return {k: v[rows] for k, v in terms.items()}


@dataclass
class ServedBlend:
    """The served ranking's weights: one :class:`Blend` without a request (``behavior_blend``) and one
    per request kind (``kinds``: the request names a category of at most ``narrow_max`` items, a
    larger one, or none), each chosen on validation users."""

    behavior_blend: Blend
    kinds: dict[str, Blend]
    narrow_max: float
    cold_prior: bool = True
    validation: dict[str, float] = field(default_factory=dict)  # validation NDCG@10 of each blend

    def kind(self, category_items: int | None) -> str:
        """The kind of a request whose category holds ``category_items`` items (None: names none)."""
        if category_items is None:
            return "none"
        return "narrow" if category_items <= self.narrow_max else "broad"

    def scores(self, model: torch.Tensor, terms: Terms, kinds: Sequence[str] | None = None) -> torch.Tensor:
        """The served score of every item for each row: the with-request model's scores under each
        row's kind blend, or (``kinds`` None: no request) the behavior-only model's scores under the
        no-request blend. Hard filters are applied by the caller (a kept item's order is this)."""
        if kinds is None:
            return self.behavior_blend.apply(model, terms)
        out = torch.empty_like(model)
        arr = np.asarray(list(kinds))
        for kind in set(arr.tolist()):
            rows = torch.from_numpy(np.flatnonzero(arr == kind))
            out[rows] = self.kinds[kind].apply(model[rows], _rows(terms, rows))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "behavior_blend": vars(self.behavior_blend),
            "kinds": {k: vars(b) for k, b in self.kinds.items()},
            "narrow_max": self.narrow_max,
            "cold_prior": self.cold_prior,
            "validation": dict(self.validation),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "checkpoint") -> ServedBlend:
        """Rebuild from :meth:`to_dict`; a malformed entry raises ValueError naming the field."""
        names = {f.name for f in fields(Blend)}

        def blend(x: Any, key: str) -> Blend:
            if not isinstance(x, dict) or not set(x) <= names:
                raise ValueError(f"{where}: blend.{key}: expected weights named {sorted(names)}, got {x!r}")
            return Blend(**{k: float(v) for k, v in x.items()})

        try:
            kinds = d["kinds"]
            missing = [k for k in REQUEST_KINDS if k not in kinds]
            if missing:
                raise ValueError(f"{where}: blend.kinds: missing {missing}")
            return cls(
                blend(d["behavior_blend"], "behavior_blend"),
                {k: blend(kinds[k], f"kinds.{k}") for k in REQUEST_KINDS},
                float(d["narrow_max"]),
                bool(d.get("cold_prior", True)),
                {str(k): float(v) for k, v in dict(d.get("validation") or {}).items()},
            )
        except KeyError as exc:
            raise ValueError(f"{where}: blend: missing field {exc.args[0]!r}") from None


# --- choosing the weights on validation -------------------------------------------------------


def top_ndcg(scores: torch.Tensor, targets: torch.Tensor, k: int = 10) -> torch.Tensor:
    """Per row, NDCG@k of the target (``1 / log2(rank + 2)`` when its 0-based rank is under ``k``,
    else 0), the rank as :func:`~assistant.interest.metrics.target_ranks` counts it (items scored
    strictly higher, then tied items of lower index). Ties are counted only on the rows that can
    still score, so tuning's few hundred evaluations cost one comparison pass each.

    Example:
        >>> s = torch.tensor([[0.0, 3.0, 2.0, 2.0], [0.0, 1.0, 1.0, 5.0]])
        >>> top_ndcg(s, torch.tensor([3, 2]), k=2).tolist()
        [0.0, 0.0]
        >>> [round(x, 4) for x in top_ndcg(s, torch.tensor([2, 2]), k=10).tolist()]
        [0.6309, 0.5]
    """
    tgt_s = scores.gather(1, targets[:, None])
    rank = (scores > tgt_s).float().sum(1)
    rows = torch.nonzero(rank < k).flatten()
    if len(rows):
        cols = torch.arange(scores.shape[1])[None, :]
        ties = ((scores[rows] == tgt_s[rows]) & (cols < targets[rows, None])).float().sum(1)
        rank[rows] += ties
    return torch.where(rank < k, 1.0 / torch.log2(rank + 2.0), torch.zeros_like(rank))


def tune_blend(
    model_s: torch.Tensor,
    terms: Terms,
    hist: Sequence[np.ndarray],
    targets: np.ndarray,
    keep: torch.Tensor | None = None,
    rounds: int = 3,
    starts: Sequence[Blend] = (),
) -> tuple[Blend, float]:
    """Coordinate ascent over the weights of the terms given, by validation NDCG@10 of the ranking
    inside the hard filter ``keep`` ((U, M+1) bool, None: the whole catalog), history masked. Each
    weight's grid includes 0 (the term unused); users whose target the filter hides are misses under
    every weight, so they count as such and the choice is made on the others. The ascent runs from
    the model alone and from each of ``starts``; the best end point wins."""
    free = [name for name in ALL_TERMS if name in terms]
    tgt_all = torch.from_numpy(np.asarray(targets, dtype=np.int64))
    n_all = len(targets)
    rows = torch.arange(n_all)
    if keep is not None:
        rows = torch.from_numpy(np.flatnonzero(keep[torch.arange(n_all), tgt_all].numpy()))
    # The history mask and the filter are the same for every candidate blend: applied once to the
    # model's scores, they hold for any blend (a masked item stays -inf whatever finite terms add).
    masked = mask_history(model_s[rows].clone().float(), [hist[int(r)] for r in rows])
    if keep is not None:
        masked[~keep[rows]] = -torch.inf
    sub = _rows(terms, rows)
    tgt = tgt_all[rows]

    def ndcg(scores: torch.Tensor) -> float:
        # The hidden targets' users are misses: the sum over the others, the mean over all users.
        return float(top_ndcg(scores, tgt).sum()) / max(n_all, 1)

    best_all, best_all_v = Blend(), -1.0
    for start in [Blend(), *starts]:
        best = start
        best_v = ndcg(best.apply(masked, sub))
        for _ in range(rounds):
            changed = False
            for name in free:
                # Along one coordinate only that term's weight changes: blend the others once, then
                # each grid value costs one add and one rank pass.
                rest = Blend(**{**vars(best), name: 0.0}).apply(masked, sub)
                t = sub[name]
                for v in GRIDS[name]:
                    if v == getattr(best, name):
                        continue
                    cv = ndcg(torch.add(rest, t, alpha=v) if v else rest)
                    if cv > best_v + 1e-9:
                        best, best_v, changed = Blend(**{**vars(best), name: v}), cv, True
            if not changed:
                break
        best_v = ndcg(best.apply(masked, sub))  # as applied (the same sum in apply's order)
        if best_v > best_all_v:
            best_all, best_all_v = best, best_v
    return best_all, best_all_v


def category_filter(
    parser: CategoryMatcher, requests: Sequence[str], num_items: int
) -> tuple[torch.Tensor, list[int | None]]:
    """(U, M+1) bool: the items of the category the parser reads in each request (all items when it
    reads none; padding never), and each request's category size (None: names none)."""
    keep = torch.zeros(len(requests), num_items + 1, dtype=torch.bool)
    sizes: list[int | None] = []
    for r, text in enumerate(requests):
        items = parser.items(text)
        if items is None:
            keep[r, 1:] = True
            sizes.append(None)
        else:
            keep[r, torch.from_numpy(items)] = True
            sizes.append(len(items))
    return keep, sizes


def shown_filter(keep: torch.Tensor, hist: Sequence[np.ndarray]) -> torch.Tensor:
    """``keep`` as the product applies it: a row whose filter holds only history items gets the whole
    catalog (the panel asks again without the category when the filtered list is empty)."""
    out = keep.clone()
    out[:, 0] = False
    for r, h in enumerate(hist):
        free = out[r].clone()
        if len(h):
            free[torch.from_numpy(np.asarray(h, dtype=np.int64))] = False
        if not bool(free.any()):
            out[r, 1:] = True
    return out


def validation_requests(catalog: Catalog, targets: np.ndarray, seed: int) -> tuple[list[str], np.ndarray]:
    """One training request per validation target (a category level x training phrasing, seeded):
    its text, and its index into :attr:`~assistant.interest.training.ItemFeatures.train_request_text`."""
    n_var = len(REQUEST_LEVELS) * len(TRAIN_TEMPLATES)
    variant = np.random.default_rng(seed).integers(0, n_var, len(targets))
    texts = []
    for t, v in zip(targets, variant, strict=True):
        level, tpl = REQUEST_LEVELS[v // len(TRAIN_TEMPLATES)], TRAIN_TEMPLATES[v % len(TRAIN_TEMPLATES)]
        name = category_at(catalog.categories[int(t)], level)
        texts.append(tpl.render(name) if name else "")
    return texts, variant


def tune_served_blend(
    model_s: torch.Tensor,
    behavior_s: torch.Tensor,
    stats: BlendStats,
    parser: CategoryMatcher,
    requests: Sequence[str],
    hist: Sequence[np.ndarray],
    targets: np.ndarray,
) -> ServedBlend:
    """Choose every weight of the served ranking on validation users: the no-request blend on the
    behavior-only scores (whole catalog), and per request kind the blend of the with-request scores
    inside the parsed category's hard filter (as served)."""
    terms = stats.terms(hist, behavior_s, model_s)
    beh_terms = {k: terms[k] for k in BEHAVIOR_TERMS}
    beh_blend, beh_v = tune_blend(behavior_s, beh_terms, hist, targets)
    keep, sizes = category_filter(parser, requests, model_s.shape[1] - 1)
    keep = shown_filter(keep, hist)
    named = [s for s in sizes if s is not None]
    narrow_max = float(np.median(named)) if named else 0.0
    served = ServedBlend(beh_blend, {}, narrow_max, stats.cold_prior, {"behavior": beh_v})
    kinds = np.asarray([served.kind(s) for s in sizes])
    overall: Blend | None = None  # tuned only when a kind needs it
    for kind in REQUEST_KINDS:
        rows = np.flatnonzero(kinds == kind)
        if len(rows) < MIN_KIND_ROWS:
            if overall is None:
                overall, served.validation["all"] = tune_blend(model_s, terms, hist, targets, keep)
            served.kinds[kind] = overall
            continue
        r = torch.from_numpy(rows)
        served.kinds[kind], served.validation[kind] = tune_blend(
            model_s[r], _rows(terms, r), [hist[int(i)] for i in rows], targets[rows], keep[r]
        )
    return served


def fit_served_blend(
    model: Any,
    catalog: Catalog,
    split: Split,
    train_request_text: np.ndarray,
    cfg: Any,
    *,
    device: str = "cpu",
    stats: BlendStats | None = None,
) -> tuple[ServedBlend, BlendStats]:
    """Choose the served weights for a trained model on the validation users of ``split`` only: the
    counts come from the training part, each validation user gets one training request (seeded;
    ``train_request_text`` (V, M+1, 384) from :class:`~assistant.interest.training.ItemFeatures`).
    ``stats``: the training part's counts when the caller has them already."""
    from assistant.interest.training import user_score_batches

    users = split.eval_users
    hist = [split.train_items[u] for u in users]
    events = [split.train_events[u] for u in users]
    texts, variant = validation_requests(catalog, split.valid_target, cfg.seed + 1)
    req = train_request_text[variant, split.valid_target]
    m = catalog.num_items
    beh = torch.zeros(len(users), m + 1)
    fused = torch.zeros(len(users), m + 1)
    for rows, (b, f) in user_score_batches(model, hist, events, cfg, [None, req], device):
        idx = torch.from_numpy(rows)
        beh[idx], fused[idx] = b.cpu(), f.cpu()
    if stats is None:
        stats = BlendStats.fit(
            split.train_items, catalog.categories, cfg.itemknn_neighbors, cold_prior=cfg.blend_cold_prior
        )
    parser = CategoryMatcher(catalog.categories, forms="customer")
    return tune_served_blend(fused, beh, stats, parser, texts, hist, split.valid_target), stats
