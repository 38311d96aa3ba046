"""The evaluation blend's extra terms (issue 18, session 7; `ours_fused`, not served online):
last-item co-occurrence, log popularity and the leaf-category probability mass of the behavior-only /
with-request model; each offered to the blends and chosen on validation, the request-free ones also
to the behavior blend (the filters')."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from assistant.evaluation.recommend.baselines import ItemKNN, log_popularity, popularity
from assistant.evaluation.recommend.run import (
    BEHAVIOR_TERMS,
    EXTRA_TERMS,
    Blend,
    _ranks,
    blend_terms,
    leaf_mass,
    tune_blend,
    tune_kind_blend,
)
from assistant.interest.data import Catalog
from assistant.interest.metrics import ranking_metrics
from assistant.interest.training import category_groups


def _catalog(categories: list[str]) -> Catalog:
    n = len(categories)
    ids = [f"p{i}" for i in range(n)]
    return Catalog(ids, ids, categories, [""] * n, [None] * n, [True] * n)


def test_last_item_cooccurrence_is_the_newest_items_row_and_empty_history_is_zero() -> None:
    train = [np.array([1, 2]), np.array([1, 2, 3]), np.array([3, 4]), np.array([4, 5])]
    knn = ItemKNN.fit(train, num_items=5, neighbors=10)
    hist = [np.array([1, 4]), np.array([4, 1]), np.array([], dtype=np.int64)]
    t = knn.last_item(hist)
    assert t.shape == (3, 6)
    # Row 0 follows item 4 only (item 1's neighbours do not count); row 1 follows item 1.
    assert torch.allclose(t[0], knn.sim[4] / knn.sim[4].max())
    assert torch.allclose(t[1], knn.sim[1] / knn.sim[1].max())
    assert t[0].argmax().item() in (3, 5) and t[1].argmax().item() == 2
    assert t[2].eq(0).all()
    # The whole-history sum of the two rows is the same for both orders: the term is what differs.
    assert torch.allclose(knn.normalized(hist[:1]), knn.normalized(hist[1:2]))


def test_log_popularity_is_monotone_on_a_unit_scale() -> None:
    counts = popularity([np.array([1, 1, 1, 2]), np.array([1, 3])], num_items=4)
    lp = log_popularity(counts)
    assert lp.tolist()[0] == 0.0 and lp[4] == 0.0 and lp.max() == 1.0 and lp[1] == 1.0
    assert lp[1] > lp[2] == lp[3] > 0
    assert abs(lp[2].item() - np.log(2) / np.log(5)) < 1e-6


def test_leaf_mass_is_the_softmax_mass_of_each_candidates_leaf_with_the_history_masked() -> None:
    gel, roller = "Office, Pens, Gel Pens", "Office, Pens, Rollerball Pens"
    cats = ["", gel, gel, roller, "Office, Paper", ""]
    leaf = torch.from_numpy(category_groups(_catalog(cats), ["leaf"])[1][0])
    assert leaf[1] == leaf[2] != leaf[3] and leaf[5] == 0
    rng = np.random.default_rng(0)
    scores = torch.from_numpy(rng.normal(size=(3, 6)).astype(np.float32))
    scores[:, 0] = -torch.inf
    hist = [np.array([1]), np.array([4]), np.array([2, 3])]
    got = leaf_mass(scores, hist, leaf, bs=2)  # two batches
    for r, h in enumerate(hist):
        s = scores[r].clone()
        s[torch.from_numpy(h)] = -torch.inf
        p = torch.softmax(s, 0)
        mass = {i: p[(leaf == leaf[i]) & (leaf > 0)].sum() for i in range(1, 6)}
        want = torch.tensor([0.0] + [float(mass[i]) if leaf[i] > 0 else 0.0 for i in range(1, 6)])
        assert torch.allclose(got[r], want / want.max(), atol=1e-6)
    # A history item's own probability is gone: in row 0 the gel-pen leaf holds only item 2's mass.
    assert got[0, 5] == 0.0 and got[2].max() == 1.0


def test_blend_terms_offer_request_free_terms_and_the_request_leaf_mass_separately() -> None:
    cats = ["", "A, X", "A, X", "A, Y", "A, Y"]
    train = [np.array([1, 2, 3]), np.array([3, 4]), np.array([1, 2])]
    knn = ItemKNN.fit(train, num_items=4, neighbors=10)
    pop = popularity(train, 4)
    leaf = torch.from_numpy(category_groups(_catalog(cats), ["leaf"])[1][0])
    hist = [np.array([1]), np.array([3])]
    beh = torch.tensor([[-torch.inf, 0.0, 3.0, 0.0, 0.0], [-torch.inf, 0.0, 0.0, 0.0, 3.0]])
    req = torch.tensor([[-torch.inf, 0.0, 0.0, 0.0, 3.0], [-torch.inf, 3.0, 0.0, 0.0, 0.0]])
    only_beh = blend_terms(knn, pop, leaf, hist, beh)
    assert set(only_beh) == set(BEHAVIOR_TERMS) and "request_leaf_mass" not in only_beh
    both = blend_terms(knn, pop, leaf, hist, beh, req)
    assert set(both) == set(EXTRA_TERMS)
    # Behavior points user 0 at leaf X (item 2), the request at leaf Y (item 4): the two masses disagree.
    assert both["leaf_mass"][0, 2] == 1.0 and both["leaf_mass"][0, 4] < 1.0
    assert both["request_leaf_mass"][0, 4] == 1.0 and both["request_leaf_mass"][0, 2] < 1.0
    assert torch.equal(both["popularity"][1], log_popularity(pop))
    assert torch.equal(both["transition"], knn.last_item(hist))


def test_blend_refuses_a_weight_without_its_term() -> None:
    model = torch.zeros(2, 4)
    knn = torch.zeros(2, 4)
    assert Blend().apply(model, None, knn).equal(model)
    with pytest.raises(ValueError, match="transition"):
        Blend(transition=1.0).apply(model, None, knn)
    terms = {"transition": torch.ones(2, 4)}
    assert Blend(transition=2.0).apply(model, None, knn, None, terms).eq(2.0).all()


def test_tune_blend_takes_a_useful_extra_term_and_leaves_a_useless_one_at_zero() -> None:
    """The target is the newest history item's neighbour for every user: validation must pick the
    transition weight, never offered terms stay at 0, and the value reported is the blend's own NDCG."""
    rng = np.random.default_rng(3)
    n_users, m = 200, 40
    model = torch.from_numpy(rng.normal(size=(n_users, m + 1)).astype(np.float32))
    model[:, 0] = -torch.inf
    targets = rng.integers(1, m + 1, n_users)
    hist = [np.array([(t % m) + 1]) for t in targets]
    transition = torch.from_numpy(rng.random((n_users, m + 1)).astype(np.float32) * 0.3)
    transition[torch.arange(n_users), torch.from_numpy(targets)] = 1.0
    noise = torch.from_numpy(rng.random((n_users, m + 1)).astype(np.float32))
    knn = torch.zeros(n_users, m + 1)
    extra = {"transition": transition, "popularity": noise}
    blend, v = tune_blend(model, None, knn, hist, targets, 64, extra=extra)
    assert blend.transition > 0 and blend.leaf_mass == 0 and blend.request_leaf_mass == 0
    assert v == ranking_metrics(_ranks(blend.apply(model, None, knn, None, extra), hist, targets, 64))["ndcg@10"]
    base, base_v = tune_blend(model, None, knn, hist, targets, 64)
    assert base.transition == 0 and v > base_v + 0.3


def test_kind_blend_slices_the_extra_terms_per_kind() -> None:
    """Each kind's blend sees its own rows of every term: the kind-wise result equals applying each
    row's blend to that row alone."""
    rng = np.random.default_rng(4)
    kinds = ["narrow"] * 120 + ["broad"] * 120
    n, m = len(kinds), 30
    model = torch.from_numpy(rng.normal(size=(n, m + 1)).astype(np.float32))
    targets = rng.integers(1, m + 1, n)
    named = torch.zeros(n, m + 1, dtype=torch.bool)
    named[torch.arange(n), torch.from_numpy(targets)] = True
    rlm = torch.from_numpy(rng.random((n, m + 1)).astype(np.float32) * 0.2)
    rlm[torch.arange(120, n), torch.from_numpy(targets[120:])] = 1.0  # useful for broad rows only
    named[120:] = torch.from_numpy(rng.random((120, m + 1)) < 0.5)  # broad: a weak category
    extra = {"request_leaf_mass": rlm}
    behavior = torch.zeros(n, m + 1)
    knn = torch.zeros(n, m + 1)
    hist = [np.array([], dtype=np.int64) for _ in range(n)]
    kb = tune_kind_blend(model, named, knn, behavior, kinds, hist, targets, 64, extra=extra)
    assert kb.blends["broad"].request_leaf_mass > 0
    out = kb.apply(model, named, knn, behavior, kinds, extra)
    for r in (0, 119, 120, n - 1):
        b = kb.blends[kinds[r]]
        one = {"request_leaf_mass": rlm[r : r + 1]}
        row = b.apply(model[r : r + 1], named[r : r + 1], knn[r : r + 1], behavior[r : r + 1], one)
        assert torch.allclose(out[r], row[0])
    # Without the term no blend can use it.
    plain = tune_kind_blend(model, named, knn, behavior, kinds, hist, targets, 64)
    assert all(b.request_leaf_mass == 0 for b in plain.blends.values())


def test_the_evaluation_offers_request_free_terms_to_the_behavior_blend(
    tmp_path: Path, office_items: dict[str, dict[str, str]]
) -> None:
    """End to end on a small shop whose purchases follow popularity alone (real encoder, real training):
    validation must give log popularity a weight in ``ours_behavior`` — the blend the category filters
    rank by — and the with-request leaf mass, which reads the request, must never reach it."""
    from assistant.config import Settings
    from assistant.evaluation.recommend.run import run_evaluation

    rng = np.random.default_rng(0)
    items = office_items
    ids = list(items)
    weights = 1.0 / np.arange(1, len(ids) + 1) ** 1.5
    p = weights / weights.sum()
    inter = {}
    for u in range(240):
        inter[f"U{u}"] = [ids[j] for j in rng.choice(len(ids), int(rng.integers(4, 7)), replace=False, p=p)]
    (tmp_path / "Shop.inter.json").write_text(json.dumps(inter))
    (tmp_path / "Shop.item.json").write_text(json.dumps(items))
    small = {"hidden_dim": 32, "num_heads": 2, "num_layers": 1, "max_seq_len": 8, "batch_size": 64}
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    settings = settings.model_copy(update={"interest": settings.interest.model_copy(update=small)})
    report = run_evaluation(tmp_path, settings, epochs=1, progress=False, cold_start=False, sasrec_ours=False)
    ours = report["meta"]["ours"]
    assert ours["behavior_blend"]["popularity"] > 0, ours["behavior_blend"]
    assert ours["behavior_blend"]["request_leaf_mass"] == 0
    assert all(set(EXTRA_TERMS) <= set(b) for b in ours["fused_blend"].values())
    nxt = report["next_item"]
    assert nxt["ours_behavior"]["ndcg@10"] > nxt["ours_behavior_model"]["ndcg@10"]
