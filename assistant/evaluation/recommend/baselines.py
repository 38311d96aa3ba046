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

from assistant.interest.blend import ItemKNN, log_popularity, popularity
from assistant.interest.metrics import mask_history, target_ranks

# Co-occurrence and popularity are the served blend's terms too: one implementation, in the runtime
# package (assistant.interest.blend), re-exported here for the baselines that rank by them alone.
__all__ = ["ItemKNN", "Scorer", "log_popularity", "popularity", "rank_scorer", "text_scores"]

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


def text_scores(requests: np.ndarray, item_text: np.ndarray) -> torch.Tensor:
    """Cosine of each request embedding with each item's text embedding (both L2-normalised)."""
    return torch.from_numpy(requests) @ torch.from_numpy(item_text).T
