"""Full-ranking metrics (HR, NDCG, MRR at K) with RecBole's history masking.

Ranks are 0-based: the number of items scoring strictly higher than the target, plus tied items
of lower index (a stable sort), after masked items are set to -inf.

Example:
    >>> import numpy as np
    >>> ranks = np.array([0, 1, 10])
    >>> round(ranking_metrics(ranks, k=10)["ndcg@10"], 4)
    0.5436
"""

from __future__ import annotations

import numpy as np
import torch


def target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """0-based rank of each row's target among all columns (scores already masked)."""
    tgt = scores.gather(1, targets[:, None])
    higher = (scores > tgt).sum(1)
    cols = torch.arange(scores.shape[1], device=scores.device)[None, :]
    ties_before = ((scores == tgt) & (cols < targets[:, None])).sum(1)
    return higher + ties_before


def mask_history(scores: torch.Tensor, histories: list[np.ndarray]) -> torch.Tensor:
    """Set padding (column 0) and each row's history items to -inf, in place, and return scores."""
    scores[:, 0] = -torch.inf
    if histories:
        rows = np.concatenate([np.full(len(h), r, dtype=np.int64) for r, h in enumerate(histories)])
        cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in histories])
        scores[torch.from_numpy(rows), torch.from_numpy(cols)] = -torch.inf
    return scores


def ranking_metrics(ranks: np.ndarray, k: int = 10, candidates: np.ndarray | None = None) -> dict[str, float]:
    """HR@k, NDCG@k and MRR@k averaged over users, from 0-based target ranks.

    With ``candidates`` (per user, the number of rankable items: the catalog less the masked
    history) also AUC: the share of the other candidates ranked below the target, averaged over
    users (1 = the target first, 0.5 = a random ranking).

    Example:
        >>> ranking_metrics(np.array([0, 9]), candidates=np.array([11, 11]))["auc"]
        0.55
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    hit = ranks < k
    out = {
        f"hr@{k}": float(hit.mean()) if len(ranks) else 0.0,
        f"ndcg@{k}": float((hit / np.log2(ranks + 2)).mean()) if len(ranks) else 0.0,
        f"mrr@{k}": float((hit / (ranks + 1)).mean()) if len(ranks) else 0.0,
    }
    if candidates is not None:
        others = np.maximum(np.asarray(candidates, dtype=np.float64) - 1.0, 1.0)
        out["auc"] = float(((others - ranks) / others).mean()) if len(ranks) else 0.0
    return out


def candidate_counts(histories: list[np.ndarray], num_items: int) -> np.ndarray:
    """Per user, the items left to rank once the history is masked (padding is never an item)."""
    return np.asarray([num_items - len(np.unique(h[h > 0])) for h in histories], dtype=np.int64)
