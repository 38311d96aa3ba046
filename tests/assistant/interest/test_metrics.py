"""Ranking metrics and history masking against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from assistant.evaluation.recommend.baselines import ItemKNN, popularity, rank_scorer
from assistant.interest.metrics import mask_history, ranking_metrics, target_ranks


def test_metrics_hand_computed() -> None:
    ranks = np.array([0, 2, 9, 10, 50])
    m = ranking_metrics(ranks, k=10)
    assert m["hr@10"] == pytest.approx(3 / 5)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4) + 1 / math.log2(11)) / 5)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 10) / 5)


def test_target_ranks_strict_and_ties_by_index() -> None:
    s = torch.tensor([[-torch.inf, 0.9, 0.5, 0.5, 0.1]])
    assert target_ranks(s, torch.tensor([2])).tolist() == [1]
    assert target_ranks(s, torch.tensor([3])).tolist() == [2]  # tie with item 2 goes first
    assert target_ranks(s, torch.tensor([1])).tolist() == [0]


def test_history_masking_lifts_target() -> None:
    s = torch.tensor([[0.0, 0.9, 0.8, 0.1], [0.0, 0.9, 0.8, 0.1]])
    masked = mask_history(s.clone(), [np.array([1]), np.array([], dtype=np.int64)])
    assert target_ranks(masked, torch.tensor([2, 2])).tolist() == [0, 1]
    assert torch.isinf(masked[:, 0]).all()  # padding is never recommended


def test_popularity_and_itemknn_on_toy_data() -> None:
    train = [np.array([1, 2]), np.array([1, 2]), np.array([1, 3])]
    pop = popularity(train, 3)
    assert pop.tolist() == [0.0, 3.0, 2.0, 1.0]
    knn = ItemKNN.fit(train, 3, neighbors=10)
    # item 2 co-occurs twice with item 1 (cosine 2/sqrt(3*2)), item 3 once (1/sqrt(3*1))
    assert knn.sim[1, 2].item() == pytest.approx(2 / math.sqrt(6))
    assert knn.sim[1, 3].item() == pytest.approx(1 / math.sqrt(3))
    ranks = rank_scorer(lambda rows: knn.scores([np.array([1])] * len(rows)), [np.array([1])], np.array([2]))
    assert ranks.tolist() == [0]
