"""Request phrasings, category names in requests, category filters and AUC (issue 18)."""

from __future__ import annotations

import numpy as np
import torch

from assistant.evaluation.recommend.run import _ranks, prefer
from assistant.interest.blend import Blend, ServedBlend, category_filter, tune_blend
from assistant.interest.data import (
    HELDOUT_TEMPLATES,
    TRAIN_TEMPLATES,
    CategoryMatcher,
    category_at,
    customer_form,
    singular,
)
from assistant.interest.metrics import candidate_counts, ranking_metrics


def _ids(items: np.ndarray | None) -> list[int] | None:
    return None if items is None else [int(i) for i in items]


def test_twenty_phrasings_half_held_out_and_levels() -> None:
    train = {t.text for t in TRAIN_TEMPLATES}
    held = {t.text for t in HELDOUT_TEMPLATES}
    assert len(train) == len(held) == 10 and not train & held
    assert singular("Rollerball Pens") == "rollerball pen" and singular("Boxes") == "box"
    assert singular("Labels & Stickers") == "label & sticker" and singular("Glass") == "glass"
    path = "Office Products, Office & School Supplies, Pens & Refills, Rollerball Pens"
    assert category_at(path, "leaf") == "Rollerball Pens" and category_at(path, "parent") == "Pens & Refills"
    assert category_at("Paper", "parent") == "Paper"


def test_category_matcher_names_the_most_specific_category() -> None:
    cats = ["", "Office, Pens, Rollerball Pens", "Office, Pens, Gel Pens", "Office, Paper", "Office, Pens"]
    m = CategoryMatcher(cats)
    assert m.named("Do you have any ROLLERBALL PENS?") == "rollerball pens"
    assert _ids(m.items("any rollerball pens?")) == [1]
    assert _ids(m.items("show me pens")) == [1, 2, 4]
    assert m.kind("any gel pens") == "leaf" and m.kind("office stuff") == "broader" and m.kind("a stapler") == "none"
    assert m.items("a rollerball pen") is None  # not the category's name: the filter falls back
    assert m.items("spent on papers") is None  # whole words only


def test_customer_forms_parser_reads_singular_and_and() -> None:
    cats = [
        "",
        "Office, Pens & Refills, Rollerball Pens",
        "Office, Binding Covers & Paper",
        "Office, Paper",
        "Office, Boxes",
    ]
    exact, ours = CategoryMatcher(cats), CategoryMatcher(cats, forms="customer")
    assert customer_form("Binding Covers & Paper") == "binding cover and paper"
    # The exact rule (the filters') misses a customer's wording or takes a shorter, wrong name ...
    assert exact.items("I'd like to get a rollerball pen") is None
    assert exact.named("I need a binding cover & paper") == "paper"
    # ... our parser reads the same request as the category it means, at any level of the path.
    assert _ids(ours.items("I'd like to get a rollerball pen")) == [1]
    assert _ids(ours.items("I need a binding cover & paper")) == [2]
    assert _ids(ours.items("show me pens and refills")) == [1] and ours.kind("show me pens and refills") == "broader"
    assert _ids(ours.items("any boxes?")) == [4] and _ids(ours.items("a box, please")) == [4]
    assert ours.items("a stapler") is None and ours.kind("a stapler") == "none"
    try:
        CategoryMatcher(cats, forms="fuzzy")
    except ValueError as exc:
        assert "fuzzy" in str(exc)
    else:
        raise AssertionError("an unknown form must be refused")


def test_auc_and_candidate_counts() -> None:
    hist = [np.array([1, 2]), np.array([3])]
    cand = candidate_counts(hist, num_items=10)
    assert cand.tolist() == [8, 9]
    m = ranking_metrics(np.array([0, 8]), candidates=cand)
    assert abs(m["auc"] - (1.0 + 0.0) / 2) < 1e-9  # first of 8, last of 9


def test_prefer_puts_kept_items_first_in_base_order() -> None:
    base = torch.tensor([[-torch.inf, 5.0, 1.0, 3.0, 4.0]])
    keep = torch.tensor([[False, False, True, True, False]])
    order = prefer(base, keep)[0, 1:].argsort(descending=True) + 1
    assert order.tolist() == [3, 2, 1, 4]


def test_request_kinds_split_by_the_size_of_the_named_category() -> None:
    cats = ["", "Office, Pens, Gel Pens", "Office, Pens, Gel Pens", "Office, Pens, Rollerball Pens", "Office, Paper"]
    parser = CategoryMatcher(cats, forms="customer")
    requests = ["any gel pens?", "a rollerball pen", "show me pens", "paper please", "a stapler"]
    keep, sizes = category_filter(parser, requests, 4)
    # Named sizes 2, 1, 3, 1 (the stapler names nothing: the whole catalog, padding never).
    assert sizes == [2, 1, 3, 1, None]
    assert keep[4, 1:].all() and not keep[:, 0].any() and keep[0].tolist() == [False, True, True, False, False]
    served = ServedBlend(Blend(), {}, narrow_max=float(np.median([2, 1, 3, 1])))  # 1.5
    assert [served.kind(n) for n in sizes] == ["broad", "narrow", "broad", "narrow", "none"]


def test_tune_blend_value_is_the_masked_ranking_of_its_blend() -> None:
    """tune_blend masks the history once and ranks whole matrices: the value it reports must be the
    NDCG@10 of its chosen blend ranked the way every method is (per batch, history masked after
    blending), with histories that include the target, and the caller's scores left untouched."""
    rng = np.random.default_rng(5)
    n_users, m = 300, 60
    model = torch.from_numpy(rng.normal(size=(n_users, m + 1)).astype(np.float32))
    model[:, 0] = -torch.inf
    behavior = torch.from_numpy(rng.normal(size=(n_users, m + 1)).astype(np.float32))
    behavior[:, 0] = -torch.inf
    knn = torch.from_numpy(rng.random((n_users, m + 1)).astype(np.float32))
    targets = rng.integers(1, m + 1, n_users)
    knn[torch.arange(n_users), torch.from_numpy(targets)] += 0.5
    hist = [rng.integers(1, m + 1, int(rng.integers(1, 6))) for _ in range(n_users)]
    hist[0] = np.array([targets[0]])
    before = model.clone()
    terms = {"behavior": behavior, "cooccurrence": knn}
    blend, v = tune_blend(model, terms, hist, targets)
    assert torch.equal(model, before)
    ref = ranking_metrics(_ranks(blend.apply(model, terms), hist, targets, 32))["ndcg@10"]
    assert abs(v - ref) < 1e-6 and v > ranking_metrics(_ranks(model, hist, targets, 32))["ndcg@10"]
