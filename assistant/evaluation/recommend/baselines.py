"""Non-neural baselines scored over the full catalog: popularity, item-kNN, text-only, late fusion.

Every scorer maps a batch of users (their input histories and, for text scorers, request
embeddings) to a (B, M+1) score matrix; :func:`rank_scorer` masks history and ranks the target,
exactly as for our models.

Example:
    >>> import numpy as np
    >>> knn = ItemKNN.fit([np.array([1, 2]), np.array([1, 2, 3])], num_items=3, neighbors=10)
    >>> knn.scores([np.array([1])]).argmax(1).tolist()
    [2]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from assistant.interest.metrics import mask_history, target_ranks

Scorer = Callable[[list[int]], torch.Tensor]


def rank_scorer(scorer: Scorer, histories: list[np.ndarray], targets: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """0-based ranks of ``targets`` under ``scorer(rows)`` with each row's history masked."""
    out = []
    for i in range(0, len(histories), batch_size):
        rows = list(range(i, min(i + batch_size, len(histories))))
        s = scorer(rows).clone().float()
        s = mask_history(s, [histories[r] for r in rows])
        out.append(target_ranks(s, torch.from_numpy(targets[rows])).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def popularity(train: list[np.ndarray], num_items: int) -> torch.Tensor:
    """(M+1,) interaction counts over the training part."""
    counts = np.bincount(np.concatenate(train), minlength=num_items + 1).astype(np.float32)
    return torch.from_numpy(counts)


def log_popularity(counts: torch.Tensor) -> torch.Tensor:
    """(M+1,) ``log(1 + count)`` over its maximum: popularity on a [0, 1] scale that a blend can add."""
    lp = torch.log1p(counts.float())
    return lp / lp.max().clamp(min=1e-9)


class ItemKNN:
    """Item-based CF: cosine similarity of item co-occurrence (per user) keeping top-k neighbors.

    Dense (M+1)^2 similarity: fine for shop catalogs up to ~20k items.
    """

    def __init__(self, sim: torch.Tensor) -> None:
        self.sim = sim

    @classmethod
    def fit(cls, train: list[np.ndarray], num_items: int, neighbors: int) -> ItemKNN:
        rows = np.concatenate([np.full(len(np.unique(s)), u) for u, s in enumerate(train)])
        cols = np.concatenate([np.unique(s) for s in train])
        x = torch.zeros(len(train), num_items + 1)
        x[torch.from_numpy(rows), torch.from_numpy(cols)] = 1.0
        co = x.T @ x
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

    def scores(self, histories: list[np.ndarray]) -> torch.Tensor:
        h = torch.zeros(len(histories), self.sim.shape[0])
        for r, s in enumerate(histories):
            h[r, torch.from_numpy(np.unique(s))] = 1.0
        return h @ self.sim

    def normalized(self, histories: list[np.ndarray]) -> torch.Tensor:
        """Scores divided by each row's maximum, so they are on the [0, 1] scale of a cosine."""
        s = self.scores(histories)
        return s / s.max(1, keepdim=True).values.clamp(min=1e-9)

    def last_item(self, histories: list[np.ndarray]) -> torch.Tensor:
        """Co-occurrence with each history's newest item only, over the row maximum (an empty history:
        all 0): what follows the last thing the customer touched, which the whole-history sum dilutes."""
        s = torch.zeros(len(histories), self.sim.shape[0])
        rows = [r for r, h in enumerate(histories) if len(h)]
        if rows:
            last = torch.tensor([int(histories[r][-1]) for r in rows])
            s[torch.tensor(rows)] = self.sim[last]
        return s / s.max(1, keepdim=True).values.clamp(min=1e-9)


def text_scores(requests: np.ndarray, item_text: np.ndarray) -> torch.Tensor:
    """Cosine of each request embedding with each item's text embedding (both L2-normalised)."""
    return torch.from_numpy(requests) @ torch.from_numpy(item_text).T
