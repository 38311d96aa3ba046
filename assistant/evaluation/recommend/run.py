"""``shopassist evaluate recommend``: our models against baselines that cannot be flattered.

Evaluation machinery only: nothing here is imported to serve a shop (see docs/interest.md).

Protocol (RecBole's): leave-one-out by time, full ranking over every item, the user's input
history masked (for test that includes the validation item); HR/NDCG/MRR at 10 and AUC over the
full catalog for every method.

Chat-aware requests come in variants, each reported on its own (see docs/interest.md):

* ``leaf``: the target's leaf category in the configured template ("I'm looking for {leaf}");
* ``parent``: the category one level up in the same template (a vaguer request);
* ``paraphrase``: the leaf category in one of :data:`HELDOUT_TEMPLATES`, phrasings never used in
  training (training draws from :data:`TRAIN_TEMPLATES` and both levels);
* ``mixed``: one of the three above per user, at random.

Chat-aware baselines include the category filters: keep the items of the category the request
names (the longest catalog category name it contains), rank them by popularity, item-kNN or our
behavior-only model; with no category named, the whole catalog. Ours is ``ours_online``, what the
product serves for a chat request: the category our request parser reads as a hard filter, ranked
inside by the served blend (:class:`~assistant.interest.blend.ServedBlend`, the function
:class:`~assistant.interest.online.InterestService` ranks by, with the weights the training code
chose on validation users). ``ours_filter_model`` is the same filter ranked by the model's score
alone (served until the blend was). Cold start: a second model is
trained with 10% of the items withheld from training entirely, and the chat-aware methods are
reported on the test users whose target is one of those items.

Example:
    >>> report = run_evaluation(Path("/work/shared/data/amazon-office"), Settings())  # doctest: +SKIP
    >>> report["chat_aware"]["leaf"]["ours_online"]["ndcg@10"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from assistant.config import InterestSettings, Settings
from assistant.evaluation.recommend.baselines import ItemKNN, rank_scorer, text_scores
from assistant.interest.blend import (
    BlendStats,
    ServedBlend,
    Terms,
    category_filter,
    fit_served_blend,
    row_max_norm,
    shown_filter,
)
from assistant.interest.data import (
    HELDOUT_TEMPLATES,
    REQUEST_LEVELS,
    TRAIN_TEMPLATES,
    CategoryMatcher,
    DataError,
    InteractionData,
    RequestTemplate,
    Split,
    category_at,
    leave_one_out,
    load_amazon_lcrec,
)
from assistant.interest.metrics import candidate_counts, mask_history, ranking_metrics, target_ranks
from assistant.interest.models import InterestModel
from assistant.interest.text import TextEncoder
from assistant.interest.training import (
    ItemFeatures,
    TrainResult,
    train_model,
    user_score_batches,
)

Metrics = dict[str, float]
Scorer = Callable[[list[int]], torch.Tensor]

VARIANTS = ("leaf", "parent", "paraphrase", "mixed")
CHAT_METHODS = (
    "text_only",
    "late_fusion",
    "category_filter_popularity",
    "category_filter_itemknn",
    "category_filter_behavior",
    "parsed_filter_behavior",
    "ours_behavior",
    "ours_fused_model",
    "ours_filter_model",
    "ours_online",
)
# How the reports name a method where its key alone would mislead (the JSON keeps the keys).
METHOD_LABELS = {
    "ours_online": "ours_online (served)",
    "ours_filter_model": "ours_filter_model (filter + model alone)",
}
# The k of HR/NDCG/MRR@k (ranking_metrics' default): a hard filter's hidden target is a miss at it.
CUTOFF = 10
# The RecBole SASRec figure of the last run that finished (docs/interest.md, seed 42, same protocol
# and data): shown, labelled as such, only when the RecBole step neither runs nor has a cache.
SASREC_RECBOLE_LAST_KNOWN = {
    "dataset": "Office",
    "metrics": {"hr@10": 0.1062, "ndcg@10": 0.0589, "mrr@10": 0.0446},
    "source": "docs/interest.md: RecBole 1.2.1 SASRec, 43 epochs, early-stopped, history-masked test ranking",
}


def _log(msg: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {msg}")


def _recbole(
    data: InteractionData, settings: Settings, epochs: int | None, seed: int, *, run: bool = True
) -> tuple[Any, str | None]:
    """Run (or fetch from cache) RecBole's SASRec; never fake a number. ``run=False``: the cache only
    (a figure measured earlier on exactly this data and configuration), nothing is trained."""
    try:
        from assistant.evaluation.recommend import recbole as recbole_baseline
    except ImportError as exc:
        return None, f"recbole baseline module unavailable: {exc}"
    sequences = {u: [data.catalog.ids[i] for i in s] for u, s in zip(data.users, data.items, strict=True)}
    if not run:
        hit = recbole_baseline.cached_sasrec_recbole(
            sequences, settings.data_dir / "recbole-cache", epochs=epochs, seed=seed
        )
        return (hit, None) if hit is not None else (None, "not cached for this data; pass --with-recbole to run it")
    try:
        res = recbole_baseline.run_sasrec_recbole(
            sequences, settings.data_dir / "recbole-cache", epochs=epochs, seed=seed
        )
    except Exception as exc:  # a broken third-party run must not sink our evaluation
        return None, f"RecBole run failed: {exc.__class__.__name__}: {exc}"
    if res.metrics is None:
        return None, res.error or "RecBole returned no metrics"
    return res, None


# --- requests ---------------------------------------------------------------------------------


@dataclass
class Requests:
    """One chat request per evaluated user: its text and its sentence embedding."""

    text: list[str]
    emb: np.ndarray  # (U, 384)
    kind: list[str]  # the variant each user got (differs from the variant name only for "mixed")


def _render(category: str, level: str, template: RequestTemplate) -> str:
    name = category_at(category, level)
    return template.render(name) if name else ""


class RequestBank:
    """Embeddings of every evaluation request a catalog can produce, computed in one cached call
    (the configured template on both levels, the held-out phrasings on the leaf), plus the training
    requests of :class:`ItemFeatures` for validation."""

    def __init__(self, data: InteractionData, feats: ItemFeatures, template: str, encoder: TextEncoder) -> None:
        self.data = data
        self.feats = feats
        self.base = RequestTemplate(template)
        strings: set[str] = set()
        for cat in data.catalog.categories[1:]:
            strings.update(_render(cat, level, self.base) for level in REQUEST_LEVELS)
            strings.update(_render(cat, "leaf", t) for t in HELDOUT_TEMPLATES)
        uniq = sorted(strings)
        emb = encoder.encode_many(uniq)
        self.vec = {t: emb[i] for i, t in enumerate(uniq)}
        self.train_variants = [(lv, t) for lv in REQUEST_LEVELS for t in TRAIN_TEMPLATES]

    def make(self, targets: np.ndarray, variant: str, rng: np.random.Generator) -> Requests:
        """Requests of ``variant`` for the items ``targets`` (from their category, never their name)."""
        cats = self.data.catalog.categories
        kinds = [variant] * len(targets)
        if variant == "mixed":
            kinds = [str(k) for k in rng.choice(["leaf", "parent", "paraphrase"], len(targets))]
        texts: list[str] = []
        embs: list[np.ndarray] = []
        for t, kind in zip(targets, kinds, strict=True):
            if kind == "train_mix":
                assert self.feats.train_request_text is not None
                v = int(rng.integers(len(self.train_variants)))
                level, tpl = self.train_variants[v]
                texts.append(_render(cats[t], level, tpl))
                embs.append(self.feats.train_request_text[v, t])
                continue
            if kind == "leaf":
                text = _render(cats[t], "leaf", self.base)
            elif kind == "parent":
                text = _render(cats[t], "parent", self.base)
            elif kind == "paraphrase":
                text = _render(cats[t], "leaf", HELDOUT_TEMPLATES[int(rng.integers(len(HELDOUT_TEMPLATES)))])
            else:
                raise ValueError(f"unknown request variant {kind!r}")
            texts.append(text)
            embs.append(self.vec[text] if text else np.zeros(self.feats.item_text.shape[1], np.float32))
        emb = np.stack(embs).astype(np.float32) if embs else np.zeros((0, self.feats.item_text.shape[1]), np.float32)
        return Requests(texts, emb, kinds)


# --- scorers ----------------------------------------------------------------------------------


@torch.no_grad()
def model_scores_many(
    model: InterestModel,
    inputs: list[np.ndarray],
    events: list[np.ndarray],
    cfg: InterestSettings,
    requests: list[np.ndarray | None],
) -> list[torch.Tensor]:
    """(U, M+1) scores of the model for every user under each request set (``None``: behavior
    only); histories are batched by length and each is encoded once for all request sets."""
    device = str(next(model.parameters()).device)
    out = [torch.zeros(len(inputs), model.num_items + 1) for _ in requests]
    for rows, scores in user_score_batches(model, inputs, events, cfg, requests, device):
        idx = torch.from_numpy(rows)
        for j, s in enumerate(scores):
            out[j][idx] = s.cpu()
    return out


def model_scores(
    model: InterestModel,
    inputs: list[np.ndarray],
    events: list[np.ndarray],
    cfg: InterestSettings,
    request_emb: np.ndarray | None,
) -> torch.Tensor:
    """(U, M+1) scores of the model for every user (behavior only when ``request_emb`` is None)."""
    return model_scores_many(model, inputs, events, cfg, [request_emb])[0]


def filter_mask(matcher: CategoryMatcher, requests: list[str], num_items: int) -> tuple[torch.Tensor, float]:
    """(U, M+1) bool: the items of the category each request names (all items when it names none),
    and the share of requests that named a category."""
    mask, sizes = category_filter(matcher, requests, num_items)
    return mask, sum(s is not None for s in sizes) / max(len(requests), 1)


def prefer(base: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Scores where every kept item ranks above every other one, each group ordered by ``base``."""
    finite = torch.where(torch.isfinite(base), base, torch.zeros_like(base))
    span = (finite.max(1, keepdim=True).values - finite.min(1, keepdim=True).values) + 1.0
    return torch.where(keep, base, base - span)


def _ranks(scores: torch.Tensor, hist: list[np.ndarray], targets: np.ndarray, bs: int) -> np.ndarray:
    return rank_scorer(lambda rows: scores[rows], hist, targets, bs)


def hard_filter_ranks(
    scores: torch.Tensor, keep: torch.Tensor, hist: list[np.ndarray], targets: np.ndarray, bs: int, k: int = CUTOFF
) -> np.ndarray:
    """0-based target ranks of a hard filter ranked by ``scores`` (history masked): the kept items in
    score order; a target outside the filter is never shown, so it counts as a miss at ``k`` (rank at
    least ``k``) however few items the filter keeps. For AUC, the items outside the filter follow the
    kept ones in score order (what the customer gets on dropping the filter).

    Example:
        >>> s = torch.tensor([[0.0, 3.0, 2.0, 1.0, 0.5]])
        >>> keep = torch.tensor([[False, False, True, True, False]])
        >>> hard_filter_ranks(s, keep, [np.array([], dtype=np.int64)], np.array([3]), 8, k=2).tolist()
        [1]
        >>> hard_filter_ranks(s, keep, [np.array([], dtype=np.int64)], np.array([1]), 8, k=10).tolist()
        [10]
    """
    ranks = _ranks(prefer(scores, keep), hist, targets, bs)
    shown = keep[torch.arange(len(targets)), torch.from_numpy(np.asarray(targets, dtype=np.int64))].numpy()
    out: np.ndarray = np.where(shown, ranks, np.maximum(ranks, k))
    return out


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Fitted:
    """Everything fitted on one training split (the full one, or the cold-start one)."""

    split: Split
    stats: BlendStats  # co-occurrence and counts of the training part (what the served terms read)
    late_weight: float
    model: TrainResult
    served: ServedBlend  # the served ranking's weights, chosen on validation by the training code
    parser: CategoryMatcher  # our request parser (customer forms); the filters use the exact-name matcher
    tune_seconds: float = 0.0  # validation scoring and blend tuning after training

    @property
    def pop(self) -> torch.Tensor:
        return self.stats.counts

    @property
    def knn(self) -> ItemKNN:
        return self.stats.knn

    def behavior_terms(self, hist: list[np.ndarray], behavior: torch.Tensor) -> Terms:
        """The served terms that do not read the request."""
        return self.stats.terms(hist, behavior)

    def serve_behavior(self, behavior: torch.Tensor, terms: Terms) -> torch.Tensor:
        """``ours_behavior``: the served no-request ranking (what the category filters rank by)."""
        return self.served.scores(behavior, terms, None)


def _fit(
    data: InteractionData,
    split: Split,
    feats: ItemFeatures,
    cfg: InterestSettings,
    settings: Settings,
    bank: RequestBank,
    matcher: CategoryMatcher,
    *,
    epochs: int | None,
    progress: bool,
    label: str,
) -> _Fitted:
    stats = BlendStats.fit(
        split.train_items, data.catalog.categories, cfg.itemknn_neighbors, cold_prior=cfg.blend_cold_prior
    )
    users = split.eval_users
    valid_in = [split.train_items[u] for u in users]
    # Validation requests come from the training phrasings and levels only.
    val_req = bank.make(split.valid_target, "train_mix", np.random.default_rng(cfg.seed + 1))
    knn_valid = stats.knn.normalized(valid_in)
    text_valid = text_scores(val_req.emb, feats.item_text)
    late_w, best_v = 0.0, -1.0
    text_valid = mask_history(text_valid, valid_in)  # once for every weight: masked items stay -inf
    valid_tgt = torch.from_numpy(split.valid_target)
    for w in cfg.late_fusion_weights:
        v = ranking_metrics(target_ranks(text_valid + w * knn_valid, valid_tgt).numpy())["ndcg@10"]
        if v > best_v:
            late_w, best_v = w, v
    del text_valid, knn_valid

    t = time.perf_counter()
    res = train_model(cfg.model, cfg, data, split, feats, device=settings.device, epochs=epochs, progress=progress)
    _log(f"{label}: trained in {time.perf_counter() - t:.1f}s ({res.epochs_run} epochs)")
    t = time.perf_counter()
    # The served weights, chosen by the same code `shopassist train` runs, on validation users only.
    assert feats.train_request_text is not None
    device = str(next(res.model.parameters()).device)
    served, _ = fit_served_blend(
        res.model, data.catalog, split, feats.train_request_text, cfg, device=device, stats=stats
    )
    parser = CategoryMatcher(matcher.categories, forms="customer")
    tuned = time.perf_counter() - t
    _log(f"{label}: served blend chosen on validation in {tuned:.1f}s")
    return _Fitted(split, stats, late_w, res, served, parser, tuned)


def _chat_methods(
    fitted: _Fitted,
    feats: ItemFeatures,
    cfg: InterestSettings,
    matcher: CategoryMatcher,
    req: Requests,
    test_in: list[np.ndarray],
    test_ev: list[np.ndarray],
    targets: np.ndarray,
    num_items: int,
    beh: torch.Tensor,
    beh_terms: Terms,
) -> tuple[dict[str, Metrics], float]:
    """Every chat-aware method on one request variant: metrics (with AUC) and the share named.
    ``beh_terms``: :meth:`_Fitted.behavior_terms` of these users."""
    bs = cfg.eval_batch_size
    cand = candidate_counts(test_in, num_items)
    knn_raw = fitted.knn.scores(test_in)
    knn_norm = row_max_norm(knn_raw)
    text = text_scores(req.emb, feats.item_text)
    named, share = filter_mask(matcher, req.text, num_items)
    parsed, sizes = category_filter(fitted.parser, req.text, num_items)
    fused = model_scores(fitted.model.model, test_in, test_ev, cfg, req.emb)
    beh_served = fitted.serve_behavior(beh, beh_terms)
    scores = {
        "text_only": text,
        "late_fusion": text + fitted.late_weight * knn_norm,
        "category_filter_popularity": prefer(fitted.pop.expand(len(test_in), -1), named),
        "category_filter_itemknn": prefer(knn_raw, named),
        "category_filter_behavior": prefer(beh_served, named),
        "parsed_filter_behavior": prefer(beh_served, parsed),
        "ours_behavior": beh_served,
        "ours_fused_model": fused,
    }
    out = {k: ranking_metrics(_ranks(s, test_in, targets, bs), candidates=cand) for k, s in scores.items()}
    # What the product serves: the parsed category as a hard filter (as the product applies it), ranked
    # inside by the served blend, through the product's own function (ServedBlend.scores).
    keep = shown_filter(parsed, test_in)
    served = fitted.served.scores(
        fused, fitted.stats.with_request(beh_terms, test_in, beh, fused), [fitted.served.kind(n) for n in sizes]
    )
    out["ours_online"] = ranking_metrics(hard_filter_ranks(served, keep, test_in, targets, bs), candidates=cand)
    # The same filter ranked by the model's score alone (what was served before the blend).
    out["ours_filter_model"] = ranking_metrics(hard_filter_ranks(fused, keep, test_in, targets, bs), candidates=cand)
    return {m: out[m] for m in CHAT_METHODS}, share


def _subset(values: list[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    return [values[i] for i in np.flatnonzero(keep)]


def cold_split(data: InteractionData, split: Split, cold: np.ndarray) -> Split:
    """``split`` with the ``cold`` items removed from every training sequence and validation target."""
    is_cold = np.zeros(data.catalog.num_items + 1, dtype=bool)
    is_cold[cold] = True
    tr_i = [s[~is_cold[s]] for s in split.train_items]
    tr_e = [e[~is_cold[s]] for s, e in zip(split.train_items, split.train_events, strict=True)]
    ok = ~is_cold[split.valid_target] & np.asarray([len(tr_i[u]) > 0 for u in split.eval_users], dtype=bool)
    return Split(tr_i, tr_e, split.eval_users[ok], split.valid_target[ok], split.test_target[ok])


def run_evaluation(
    data_dir: Path,
    settings: Settings,
    *,
    with_recbole: bool = False,
    epochs: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    max_users: int | None = None,
    cold_start: bool = True,
    sasrec_ours: bool = True,
) -> dict[str, Any]:
    t_start = time.perf_counter()
    cfg = settings.interest if seed is None else settings.interest.model_copy(update={"seed": seed})
    data = load_amazon_lcrec(data_dir, max_chars=cfg.item_text_max_chars)
    if max_users is not None and max_users < len(data.users):
        keep = np.sort(np.random.default_rng(cfg.seed).choice(len(data.users), max_users, replace=False))
        data = InteractionData(
            data.name,
            data.catalog,
            [data.users[i] for i in keep],
            [data.items[i] for i in keep],
            [data.events[i] for i in keep],
        )
    split = leave_one_out(data)
    if len(split.eval_users) == 0:
        raise DataError(f"{data_dir}: no user has 3 or more interactions; leave-one-out needs them")
    m = data.catalog.num_items
    _log(f"{data.name}: {len(data.users)} users, {m} items, {len(split.eval_users)} evaluated")

    t = time.perf_counter()
    encoder = TextEncoder(settings.embedding_model, settings.data_dir / "cache" / "interest")
    feats = ItemFeatures.build(data.catalog, cfg, encoder)
    matcher = CategoryMatcher(data.catalog.categories)
    users = split.eval_users
    test_in = [data.items[u][:-1] for u in users]
    test_ev = [data.events[u][:-1] for u in users]
    rng = np.random.default_rng(cfg.seed + 2)
    bank = RequestBank(data, feats, cfg.request_template, encoder)
    requests = {v: bank.make(split.test_target, v, rng) for v in VARIANTS}
    timing = {"embed_s": time.perf_counter() - t}
    _log(f"embedded item texts and requests in {timing['embed_s']:.1f}s")

    meta: dict[str, Any] = {"absent": {}, "notes": {}}
    fitted = _fit(data, split, feats, cfg, settings, bank, matcher, epochs=epochs, progress=progress, label="ours")
    res = fitted.model
    timing["train_ours_s"] = res.seconds
    timing["tune_ours_s"] = fitted.tune_seconds
    bs = cfg.eval_batch_size
    cand = candidate_counts(test_in, m)

    t = time.perf_counter()
    next_item: dict[str, Metrics | None] = {}
    next_item["popularity"] = ranking_metrics(
        _ranks(fitted.pop.expand(len(test_in), -1), test_in, split.test_target, bs), candidates=cand
    )
    next_item["itemknn"] = ranking_metrics(
        rank_scorer(lambda rows: fitted.knn.scores([test_in[r] for r in rows]), test_in, split.test_target, bs),
        candidates=cand,
    )
    beh = model_scores(res.model, test_in, test_ev, cfg, None)
    next_item["ours_behavior_model"] = ranking_metrics(_ranks(beh, test_in, split.test_target, bs), candidates=cand)
    beh_terms = fitted.behavior_terms(test_in, beh)
    next_item["ours_behavior"] = ranking_metrics(
        _ranks(fitted.serve_behavior(beh, beh_terms), test_in, split.test_target, bs), candidates=cand
    )

    chat: dict[str, dict[str, Metrics]] = {}
    named_share: dict[str, float] = {}
    for v in VARIANTS:
        chat[v], named_share[v] = _chat_methods(
            fitted, feats, cfg, matcher, requests[v], test_in, test_ev, split.test_target, m, beh, beh_terms
        )
    # The held-out phrasings that still contain the category's exact name: where the filters work.
    para = requests["paraphrase"]
    has_name = np.asarray([matcher.named(t) is not None for t in para.text], dtype=bool)
    if has_name.any():
        sub_in, sub_ev = _subset(test_in, has_name), _subset(test_ev, has_name)
        sub_req = Requests([t for t, k in zip(para.text, has_name, strict=True) if k], para.emb[has_name], para.kind)
        sub_rows = torch.from_numpy(np.flatnonzero(has_name))
        sub_terms = {k: v[sub_rows] for k, v in beh_terms.items()}
        chat["paraphrase_named"], named_share["paraphrase_named"] = _chat_methods(
            fitted,
            feats,
            cfg,
            matcher,
            sub_req,
            sub_in,
            sub_ev,
            split.test_target[has_name],
            m,
            beh[has_name],
            sub_terms,
        )
    del beh, beh_terms
    timing["rank_s"] = time.perf_counter() - t

    rec, reason = _recbole(data, settings, epochs, cfg.seed, run=with_recbole)
    if rec is not None:
        next_item["sasrec_recbole"] = dict(rec.metrics)
        own = rec.unmasked_metrics or {}
        meta["notes"]["sasrec_recbole"] = (
            f"RecBole 1.2.1 SASRec, {rec.epochs_run} epochs, stopped by {rec.stopped_by}, "
            f"train {rec.train_seconds:.0f}s, cached={rec.cached}; ranked with history masked like every method "
            f"(RecBole's own unmasked test NDCG@10 {own.get('ndcg@10', float('nan')):.4f})"
        )
        meta["sasrec_recbole"] = {
            "epochs_run": rec.epochs_run,
            "stopped_by": rec.stopped_by,
            "train_seconds": rec.train_seconds,
            "recbole_unmasked": rec.unmasked_metrics,
            "valid_unmasked": rec.valid_metrics,
        }
    else:
        next_item["sasrec_recbole"] = None
        meta["absent"]["sasrec_recbole"] = reason
        if data.name == SASREC_RECBOLE_LAST_KNOWN["dataset"] and max_users is None:
            meta["sasrec_recbole_last_known"] = SASREC_RECBOLE_LAST_KNOWN
        if sasrec_ours:
            # Random id embeddings learn slowly on sparse data: RecBole-like patience, not ours.
            cfg_s = cfg.model_copy(update={"patience": cfg.sasrec_patience})
            res_s = train_model(
                "sasrec",
                cfg_s,
                data,
                split,
                feats,
                device=settings.device,
                epochs=epochs or cfg.sasrec_epochs,
                progress=progress,
            )
            timing["train_sasrec_ours_s"] = res_s.seconds
            s_scores = model_scores(res_s.model, test_in, test_ev, cfg, None)
            next_item["sasrec_ours"] = ranking_metrics(
                _ranks(s_scores, test_in, split.test_target, bs), candidates=cand
            )
            meta["notes"]["sasrec_ours"] = (
                "our SASRec re-implementation (id embeddings only, RecBole defaults: 2 layers, 2 heads, "
                f"d={cfg.sasrec_hidden_dim}, dropout {cfg.sasrec_dropout}, CE loss), stands in for RecBole: {reason}"
            )
            _log(f"sasrec_ours trained in {res_s.seconds:.1f}s ({res_s.epochs_run} epochs)")

    cold: dict[str, Any] = {}
    if cold_start:
        t = time.perf_counter()
        cold = _cold_start(
            data,
            split,
            feats,
            cfg,
            settings,
            bank,
            matcher,
            requests,
            test_in,
            test_ev,
            # The epoch count validation chose for the main model: the patience epochs after it are not repeated.
            epochs=epochs or max(1, int(res.best_valid.get("epoch", res.epochs_run))),
            progress=progress,
        )
        timing["cold_start_s"] = time.perf_counter() - t

    timing["total_s"] = time.perf_counter() - t_start
    meta["timing"] = timing
    meta["protocol"] = (
        "leave-one-out by time; full ranking over all items; user's input history masked "
        "(test: includes the validation item); ties broken by item index; AUC over the unmasked catalog"
    )
    meta["ours"] = {
        "model": cfg.model,
        "epochs_run": res.epochs_run,
        "best_valid": res.best_valid,
        "served_blend": fitted.served.to_dict(),
    }
    meta["late_fusion_weight"] = fitted.late_weight
    meta["request_template"] = cfg.request_template
    meta["train_templates"] = [t.text for t in TRAIN_TEMPLATES]
    meta["heldout_templates"] = [t.text for t in HELDOUT_TEMPLATES]
    meta["category_named_share"] = named_share
    meta["request_examples"] = {v: requests[v].text[:3] for v in VARIANTS}
    meta["torch_threads"] = torch.get_num_threads()
    meta["max_users"] = max_users
    return {
        "dataset": data.name,
        "users": len(data.users),
        "items": m,
        "next_item": next_item,
        "chat_aware": chat,
        "cold_start": cold,
        "meta": meta,
    }


def _cold_start(
    data: InteractionData,
    split: Split,
    feats: ItemFeatures,
    cfg: InterestSettings,
    settings: Settings,
    bank: RequestBank,
    matcher: CategoryMatcher,
    requests: dict[str, Requests],
    test_in: list[np.ndarray],
    test_ev: list[np.ndarray],
    *,
    epochs: int,
    progress: bool,
) -> dict[str, Any]:
    """Withhold 10% of the items from training entirely; chat-aware methods on cold test targets."""
    m = data.catalog.num_items
    rng = np.random.default_rng(cfg.seed + 3)
    cold_items = np.sort(rng.choice(np.arange(1, m + 1), max(1, round(0.1 * m)), replace=False))
    csplit = cold_split(data, split, cold_items)
    # Cold items have no id vector and no co-occurrence: only their text can place them.
    fitted = _fit(
        data, csplit, feats, cfg, settings, bank, matcher, epochs=epochs, progress=progress, label="cold-start"
    )
    is_cold_target = np.isin(split.test_target, cold_items)
    if not is_cold_target.any():
        return {"n_users": 0, "cold_items": len(cold_items)}
    sub_in, sub_ev = _subset(test_in, is_cold_target), _subset(test_ev, is_cold_target)
    targets = split.test_target[is_cold_target]
    beh = model_scores(fitted.model.model, sub_in, sub_ev, cfg, None)
    beh_terms = fitted.behavior_terms(sub_in, beh)
    out: dict[str, Any] = {
        "n_users": int(is_cold_target.sum()),
        "cold_items": len(cold_items),
        "epochs_run": fitted.model.epochs_run,
        "train_seconds": fitted.model.seconds,
        "tune_seconds": fitted.tune_seconds,
        "best_valid": fitted.model.best_valid,
        "served_blend": fitted.served.to_dict(),
    }
    for v in VARIANTS:
        r = requests[v]
        sub = Requests([t for t, k in zip(r.text, is_cold_target, strict=True) if k], r.emb[is_cold_target], r.kind)
        out[v], _ = _chat_methods(fitted, feats, cfg, matcher, sub, sub_in, sub_ev, targets, m, beh, beh_terms)
    return out


# --- report -----------------------------------------------------------------------------------


SERVED = "ours_online"  # what the product serves for a chat request
TARGET_METHODS = (SERVED,)


def targets_check(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets, each with the figures compared and whether it holds. The chat-aware
    targets are checked for :data:`TARGET_METHODS`: ``ours_online`` (what customers get); each entry
    names its ``method``."""
    out: dict[str, dict[str, Any]] = {}
    chat = report["chat_aware"]
    cold = report.get("cold_start") or {}

    def nd(variant: str, method: str) -> float:
        return float(chat[variant][method]["ndcg@10"])

    rivals = (
        "text_only",
        "late_fusion",
        "category_filter_popularity",
        "category_filter_itemknn",
        "category_filter_behavior",
    )
    for ours in TARGET_METHODS:
        if ours not in chat["leaf"]:
            continue  # a report written before the method existed
        served = ours == SERVED
        out[f"leaf: {ours} >= category_filter_behavior"] = {
            "method": ours,
            "served": served,
            "ours": nd("leaf", ours),
            "other": nd("leaf", "category_filter_behavior"),
            "holds": nd("leaf", ours) >= nd("leaf", "category_filter_behavior"),
        }
        for v in ("parent", "paraphrase"):
            best = max(rivals, key=lambda k: nd(v, k))
            out[f"{v}: {ours} >= 1.2 x best rival"] = {
                "method": ours,
                "served": served,
                "ours": nd(v, ours),
                "best_rival": best,
                "other": nd(v, best),
                "ratio": nd(v, ours) / max(nd(v, best), 1e-9),
                "holds": nd(v, ours) >= 1.2 * nd(v, best),
            }
        for v in ("leaf", "parent", "paraphrase"):
            if "parsed_filter_behavior" in chat[v]:
                # Not an issue target: how much of the gain over the filters is the parser's, not the model's.
                out[f"{v}: {ours} vs parsed_filter_behavior (information)"] = {
                    "method": ours,
                    "served": served,
                    "ours": nd(v, ours),
                    "other": nd(v, "parsed_filter_behavior"),
                    "ratio": nd(v, ours) / max(nd(v, "parsed_filter_behavior"), 1e-9),
                    "holds": nd(v, ours) >= nd(v, "parsed_filter_behavior"),
                    "target": False,
                }
        if "leaf" in cold and ours in cold["leaf"]:
            out[f"cold (leaf): {ours} >= text_only"] = {
                "method": ours,
                "served": served,
                "ours": cold["leaf"][ours]["ndcg@10"],
                "other": cold["leaf"]["text_only"]["ndcg@10"],
                "holds": cold["leaf"][ours]["ndcg@10"] >= cold["leaf"]["text_only"]["ndcg@10"],
            }
    nxt = report["next_item"]
    ours_b = nxt["ours_behavior"]["ndcg@10"]
    out["behavior: ours_behavior >= itemknn"] = {
        "ours": ours_b,
        "other": nxt["itemknn"]["ndcg@10"],
        "holds": ours_b >= nxt["itemknn"]["ndcg@10"],
    }
    sas = nxt.get("sasrec_recbole")
    label = "sasrec_recbole"
    if sas is None and report["meta"].get("sasrec_recbole_last_known"):
        sas, label = report["meta"]["sasrec_recbole_last_known"]["metrics"], "sasrec_recbole (last known, not rerun)"
    if sas is not None:
        out[f"behavior: ours_behavior >= {label}"] = {
            "ours": ours_b,
            "other": sas["ndcg@10"],
            "holds": ours_b >= sas["ndcg@10"],
        }
    return out


def _fmt(m: Metrics | None) -> list[str]:
    if m is None:
        return ["—"] * 4
    auc = f"{m['auc']:.4f}" if "auc" in m else "—"  # the last known RecBole figure has none
    return [f"{m['hr@10']:.4f}", f"{m['ndcg@10']:.4f}", f"{m['mrr@10']:.4f}", auc]


def _verdict(check: dict[str, Any], *, rich: bool = False) -> str:
    """holds / MISSED for an issue target; above / below for an information line."""
    if not check.get("target", True):
        return "above" if check["holds"] else "below"
    if rich:
        return "[green]holds[/green]" if check["holds"] else "[red]MISSED[/red]"
    return "holds" if check["holds"] else "**MISSED**"


def _target_label(name: str, check: dict[str, Any]) -> str:
    """A target's name, saying which of our rankings it checks (served today or the blend)."""
    method = check.get("method")
    return name.replace(method, METHOD_LABELS[method], 1) if method in METHOD_LABELS else name


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{report['dataset']}: {report['users']} users, {report['items']} items — next item (test)")
    for col in ("method", "HR@10", "NDCG@10", "MRR@10", "AUC"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for method, m in report["next_item"].items():
        if m is None:
            table.add_row(method, "—", "—", "—", f"absent: {report['meta']['absent'].get(method, 'absent')}")
        else:
            table.add_row(method, *_fmt(m))
    last = report["meta"].get("sasrec_recbole_last_known")
    if last:
        table.add_row("sasrec_recbole (last known, NOT rerun)", *_fmt(last["metrics"]))
    console.print(table)
    for title, block in (("chat-aware NDCG@10 (AUC)", report["chat_aware"]), ("cold start", report["cold_start"])):
        variants = [v for v in block if isinstance(block[v], dict) and "text_only" in block[v]]
        if not variants:
            continue
        t = Table(title=title + (f" — {block['n_users']} users with a cold target" if "n_users" in block else ""))
        t.add_column("method")
        for v in variants:
            t.add_column(v, justify="right")
        for method in CHAT_METHODS:
            t.add_row(
                METHOD_LABELS.get(method, method),
                *(f"{block[v][method]['ndcg@10']:.4f} ({block[v][method]['auc']:.3f})" for v in variants),
            )
        console.print(t)
    for name, c in targets_check(report).items():
        console.print(f"{_verdict(c, rich=True)}  {_target_label(name, c)}: {c['ours']:.4f} vs {c['other']:.4f}")


def _provenance(report: dict[str, Any]) -> list[str]:
    """Which trained model each table comes from, and where the run's time went."""
    meta = report["meta"]
    ours = meta.get("ours", {})
    best = ours.get("best_valid", {})
    out = [
        f"Next-item and chat-aware tables: our `{ours.get('model', '?')}` model trained on every training item, "
        f"{ours.get('epochs_run', '?')} epochs (best validation at epoch {int(best.get('epoch', 0)) or '?'}).",
    ]
    cold = report.get("cold_start") or {}
    if cold.get("n_users"):
        out.append(
            f"Cold-start table: a second model trained with {cold['cold_items']} items (10%) withheld from training "
            f"entirely, {cold.get('epochs_run', '?')} epochs; every baseline refitted without them."
        )
    timing = meta.get("timing", {})
    if timing:
        out.append("Time (s): " + ", ".join(f"{k.removesuffix('_s')} {v:.0f}" for k, v in timing.items()) + ".")
    return [*out, ""]


def markdown_report(report: dict[str, Any]) -> str:
    """The tables of ``report`` as Markdown (written beside the JSON)."""
    lines = [f"# {report['dataset']}: {report['users']} users, {report['items']} items", ""]
    lines += _provenance(report)
    lines += [
        "## Next item (test split)",
        "",
        "| method | HR@10 | NDCG@10 | MRR@10 | AUC |",
        "|---|---:|---:|---:|---:|",
    ]
    for method, m in report["next_item"].items():
        reason = report["meta"]["absent"].get(method, "")
        lines.append(f"| {method} | " + " | ".join(_fmt(m)) + (f" (absent: {reason})" if m is None else "") + " |")
    last = report["meta"].get("sasrec_recbole_last_known")
    if last:
        lines.append(
            "| sasrec_recbole (last known, NOT rerun: "
            + last["source"]
            + ") | "
            + " | ".join(_fmt(last["metrics"]))
            + " |"
        )
    for title, block in (
        ("Chat-aware, NDCG@10 / AUC", report["chat_aware"]),
        ("Cold start, NDCG@10 / AUC", report["cold_start"]),
    ):
        variants = [v for v in block if isinstance(block[v], dict) and "text_only" in block[v]]
        if not variants:
            continue
        extra = (
            f" ({block['n_users']} test users whose target was withheld from training)" if "n_users" in block else ""
        )
        lines += [
            "",
            f"## {title}{extra}",
            "",
            "| method | " + " | ".join(variants) + " |",
            "|---|" + "---:|" * len(variants),
        ]
        for method in CHAT_METHODS:
            cells = [f"{block[v][method]['ndcg@10']:.4f} / {block[v][method]['auc']:.3f}" for v in variants]
            lines.append(f"| {METHOD_LABELS.get(method, method)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "`ours_online` is what the product serves for a chat request: the category our request parser "
        "reads as a hard filter (a target outside it is a miss), ranked inside by the served blend (the "
        "model's score plus behavior score, co-occurrence, popularity and leaf-mass terms, weights chosen on "
        "validation users by the training code and stored in the checkpoint), through the function "
        "InterestService ranks by. `ours_filter_model`: the same filter ranked by the model's score alone.",
        "",
        "## Targets",
    ]
    checks = targets_check(report)
    groups = (
        ("Served (`ours_online`)", lambda c: c.get("method") == SERVED),
        ("Behavior only (next item)", lambda c: "method" not in c),
    )
    for heading, pick in groups:
        chosen = [(n, c) for n, c in checks.items() if pick(c)]
        if chosen:
            lines += ["", f"### {heading}", ""]
            lines += [f"- {_verdict(c)}: {n} ({c['ours']:.4f} vs {c['other']:.4f})" for n, c in chosen]
    share = report["meta"].get("category_named_share", {})
    if share:
        lines += [
            "",
            "Share of requests that contain a catalog category name (where the filters apply): "
            + ", ".join(f"{k} {v:.2f}" for k, v in share.items()),
        ]
    return "\n".join(lines) + "\n"


def plot_report(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chat = report["chat_aware"]
    variants = [v for v in chat if "text_only" in chat[v]]
    fig, axes = plt.subplots(1, 2, figsize=(15, 4.8), gridspec_kw={"width_ratios": [1, 3]})
    names = [k for k, v in report["next_item"].items() if v is not None]
    vals = [report["next_item"][k]["ndcg@10"] for k in names]
    axes[0].bar(names, vals, color=["#dd8452" if k.startswith("ours") else "#4c72b0" for k in names])
    axes[0].set_title("next item — NDCG@10")
    axes[0].tick_params(axis="x", rotation=35)
    width = 0.8 / len(CHAT_METHODS)
    cmap = plt.get_cmap("tab10")
    for j, method in enumerate(CHAT_METHODS):
        xs = [i + (j - len(CHAT_METHODS) / 2) * width for i in range(len(variants))]
        axes[1].bar(
            xs,
            [chat[v][method]["ndcg@10"] for v in variants],
            width,
            label=METHOD_LABELS.get(method, method),
            color=cmap(j),
        )
    cold = report.get("cold_start") or {}
    if "leaf" in cold:
        variants_c = [*variants, "cold (leaf)"]
        for j, method in enumerate(CHAT_METHODS):
            x = len(variants) + (j - len(CHAT_METHODS) / 2) * width
            axes[1].bar([x], [cold["leaf"][method]["ndcg@10"]], width, color=cmap(j))
    else:
        variants_c = variants
    axes[1].set_xticks(range(len(variants_c)), variants_c)
    axes[1].set_title("chat-aware — NDCG@10 per request variant")
    axes[1].legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.08))  # below: bars stay visible
    fig.suptitle(f"{report['dataset']} ({report['users']} users, {report['items']} items)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(report: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {**report, "targets": targets_check(report)}
    out.write_text(json.dumps(report, indent=2, default=float))
    out.with_suffix(".md").write_text(markdown_report(report))
    png = out.with_suffix(".png")
    plot_report(report, png)
    return png
