"""The served blend's terms (issue 18; `assistant.interest.blend`, what InterestService ranks by and the
evaluation reports as ``ours_online``): co-occurrence, last-item co-occurrence, log popularity (with the
cold prior for items without events), the leaf-category probability mass of the behavior-only /
with-request model; each weight chosen on validation, the request-free ones also for the no-request
blend (which the category filters rank by)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from assistant.interest.blend import (
    ALL_TERMS,
    BEHAVIOR_TERMS,
    Blend,
    BlendStats,
    ItemKNN,
    ServedBlend,
    fill_cold,
    leaf_ids,
    leaf_mass,
    log_popularity,
    popularity,
    top_ndcg,
    tune_blend,
)
from assistant.interest.data import Catalog
from assistant.interest.metrics import mask_history, ranking_metrics, target_ranks
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
    leaf = leaf_ids(cats)
    assert leaf[1] == leaf[2] != leaf[3] and leaf[5] == 0
    # The same grouping as the training's catalog tree (the in-category loss's leaf nodes).
    tree = torch.from_numpy(category_groups(_catalog(cats), ["leaf"])[1][0])
    assert all(bool((leaf == leaf[i]).equal(tree == tree[i])) for i in range(1, 6) if leaf[i] > 0)
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


def test_blend_terms_offer_request_free_terms_and_the_request_terms_separately() -> None:
    cats = ["", "A, X", "A, X", "A, Y", "A, Y"]
    train = [np.array([1, 2, 3]), np.array([3, 4]), np.array([1, 2])]
    stats = BlendStats.fit(train, cats, neighbors=10, cold_prior=False)
    hist = [np.array([1]), np.array([3])]
    beh = torch.tensor([[-torch.inf, 0.0, 3.0, 0.0, 0.0], [-torch.inf, 0.0, 0.0, 0.0, 3.0]])
    req = torch.tensor([[-torch.inf, 0.0, 0.0, 0.0, 3.0], [-torch.inf, 3.0, 0.0, 0.0, 0.0]])
    only_beh = stats.terms(hist, beh)
    assert set(only_beh) == set(BEHAVIOR_TERMS)
    both = stats.terms(hist, beh, req)
    assert set(both) == set(ALL_TERMS) and torch.equal(both["behavior"], beh)
    # Behavior points user 0 at leaf X (item 2), the request at leaf Y (item 4): the two masses disagree.
    assert both["leaf_mass"][0, 2] == 1.0 and both["leaf_mass"][0, 4] < 1.0
    assert both["request_leaf_mass"][0, 4] == 1.0 and both["request_leaf_mass"][0, 2] < 1.0
    assert torch.equal(both["popularity"][1], log_popularity(popularity(train, 4)))
    assert torch.equal(both["transition"], stats.knn.last_item(hist))
    assert torch.equal(both["cooccurrence"], stats.knn.normalized(hist))


def test_an_item_without_events_takes_its_leafs_mean_in_the_count_terms() -> None:
    """The cold prior: a new product is not ranked last by popularity and co-occurrence for having no
    events; it gets what the items of its leaf have (and 0 with cold_prior off, or in an empty leaf)."""
    cats = ["", "A, X", "A, X", "A, X", "A, Y", "A, Z"]
    train = [np.array([1, 2]), np.array([1, 4]), np.array([1, 2, 4])]  # items 3 (leaf X) and 5 never seen
    stats = BlendStats.fit(train, cats, neighbors=10)
    off = BlendStats.fit(train, cats, neighbors=10, cold_prior=False)
    hist = [np.array([4])]
    beh = torch.zeros(1, 6)
    on_t, off_t = stats.terms(hist, beh), off.terms(hist, beh)
    lp = log_popularity(popularity(train, 5))
    assert off_t["popularity"][0, 3] == 0 and off_t["cooccurrence"][0, 3] == 0
    assert torch.isclose(on_t["popularity"][0, 3], (lp[1] + lp[2]) / 2)
    assert torch.isclose(on_t["cooccurrence"][0, 3], (off_t["cooccurrence"][0, 1] + off_t["cooccurrence"][0, 2]) / 2)
    assert on_t["popularity"][0, 5] == 0  # its leaf has no item with events
    for name in ("cooccurrence", "transition", "popularity"):  # items with events are unchanged
        assert torch.equal(on_t[name][0, [1, 2, 4]], off_t[name][0, [1, 2, 4]])
    assert torch.equal(fill_cold(off_t["transition"], stats.leaf, stats.warm), on_t["transition"])


def test_blend_refuses_a_weight_without_its_term() -> None:
    model = torch.zeros(2, 4)
    assert Blend().apply(model, {}).equal(model)
    with pytest.raises(ValueError, match="transition"):
        Blend(transition=1.0).apply(model, {})
    terms = {"transition": torch.ones(2, 4)}
    assert Blend(transition=2.0).apply(model, terms).eq(2.0).all()


def test_top_ndcg_ranks_like_the_reported_metric() -> None:
    rng = np.random.default_rng(1)
    s = torch.from_numpy(rng.integers(0, 6, size=(300, 30)).astype(np.float32))  # many ties
    hist = [rng.integers(1, 30, 3) for _ in range(300)]
    s = mask_history(s, hist)
    t = torch.from_numpy(rng.integers(1, 30, 300))
    want = ranking_metrics(target_ranks(s, t).numpy())["ndcg@10"]
    assert abs(float(top_ndcg(s, t).mean()) - want) < 1e-6


def test_tune_blend_takes_a_useful_term_and_leaves_a_useless_one_at_zero() -> None:
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
    terms = {"transition": transition, "popularity": noise}
    blend, v = tune_blend(model, terms, hist, targets)
    assert blend.transition > 0 and blend.leaf_mass == 0 and blend.request_leaf_mass == 0
    ranks = target_ranks(mask_history(blend.apply(model, terms), hist), torch.from_numpy(targets))
    assert abs(v - ranking_metrics(ranks.numpy())["ndcg@10"]) < 1e-6
    base, base_v = tune_blend(model, {}, hist, targets)
    assert base.transition == 0 and v > base_v + 0.3


def test_tune_blend_inside_a_hard_filter_counts_hidden_targets_as_misses() -> None:
    rng = np.random.default_rng(5)
    n, m = 150, 20
    model = torch.from_numpy(rng.normal(size=(n, m + 1)).astype(np.float32))
    targets = rng.integers(1, m + 1, n)
    keep = torch.from_numpy(rng.random((n, m + 1)) < 0.5)
    keep[:, 0] = False
    hist = [np.array([], dtype=np.int64) for _ in range(n)]
    _, v = tune_blend(model, {}, hist, targets, keep)
    s = mask_history(model.clone(), hist)
    s[~keep] = -torch.inf
    ranks = target_ranks(s, torch.from_numpy(targets)).numpy()
    shown = keep[torch.arange(n), torch.from_numpy(targets)].numpy()
    assert abs(v - ranking_metrics(np.where(shown, ranks, 10))["ndcg@10"]) < 1e-6


def test_served_blend_applies_each_rows_kind_and_round_trips_through_a_checkpoint_dict() -> None:
    rng = np.random.default_rng(4)
    n, m = 6, 8
    model = torch.from_numpy(rng.normal(size=(n, m + 1)).astype(np.float32))
    terms = {k: torch.from_numpy(rng.random((n, m + 1)).astype(np.float32)) for k in ALL_TERMS}
    served = ServedBlend(
        Blend(popularity=1.0),
        {"narrow": Blend(behavior=2.0), "broad": Blend(cooccurrence=4.0), "none": Blend(request_leaf_mass=0.5)},
        narrow_max=10,
    )
    assert [served.kind(x) for x in (None, 3, 10, 11)] == ["none", "narrow", "narrow", "broad"]
    kinds = ["narrow", "broad", "none", "none", "broad", "narrow"]
    out = served.scores(model, terms, kinds)
    for r, k in enumerate(kinds):
        one = {name: t[r : r + 1] for name, t in terms.items()}
        assert torch.allclose(out[r], served.kinds[k].apply(model[r : r + 1], one)[0])
    assert torch.allclose(served.scores(model, terms), model + terms["popularity"])  # no request
    again = ServedBlend.from_dict(json.loads(json.dumps(served.to_dict())))
    assert again == served
    bad = served.to_dict()
    bad["kinds"]["broad"] = {"cooccurence": 1.0}  # a misspelt weight
    with pytest.raises(ValueError, match=r"blend\.kinds\.broad"):
        ServedBlend.from_dict(bad, where="ckpt.pt")
    bad = served.to_dict()
    del bad["narrow_max"]
    with pytest.raises(ValueError, match="narrow_max"):
        ServedBlend.from_dict(bad, where="ckpt.pt")


def test_the_evaluation_offers_request_free_terms_to_the_behavior_blend(
    tmp_path: Path, office_items: dict[str, dict[str, str]]
) -> None:
    """End to end on a small shop whose purchases follow popularity alone (real encoder, real training):
    validation must give log popularity a weight in the no-request blend (``ours_behavior``, which the
    category filters rank by) and the request terms, which read the request, must never reach it."""
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
    served = report["meta"]["ours"]["served_blend"]
    assert served["behavior_blend"]["popularity"] > 0, served["behavior_blend"]
    assert served["behavior_blend"]["request_leaf_mass"] == 0 and served["behavior_blend"]["behavior"] == 0
    assert all(set(ALL_TERMS) == set(b) for b in served["kinds"].values())
    nxt = report["next_item"]
    assert nxt["ours_behavior"]["ndcg@10"] > nxt["ours_behavior_model"]["ndcg@10"]
