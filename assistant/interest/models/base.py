"""Shared pieces of every interest model: the abstract base and the causal sequence encoder.

A model maps a customer (behavior sequence and/or chat text) to a vector ``u`` and every catalog
item to a vector ``v``; the score of an item is their dot product (scaled by a temperature for
cosine models). Index 0 is the padding item: its score is always -inf.

Example:
    >>> import torch
    >>> enc = CausalSequenceEncoder(dim=16, layers=1, heads=2, dropout=0.0, max_len=5, num_event_types=6)
    >>> items = torch.randn(2, 5, 16); valid = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]).bool()
    >>> enc(items, torch.ones(2, 5, dtype=torch.long), valid).shape
    torch.Size([2, 5, 16])
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from assistant.config import InterestSettings


@dataclass
class ModelInputs:
    """A batch: left-padded item/event sequences and optional chat-text embeddings.

    ``text`` is (B, 384) for one query per customer or (B, L, 384) for one per position (training);
    ``has_text`` says where the text is real, so absent text is distinguishable from any text.
    """

    items: Tensor  # (B, L) int64, 0 = padding
    events: Tensor  # (B, L) int64, 0 = padding
    text: Tensor | None = None
    has_text: Tensor | None = None  # (B,) or (B, L) bool
    # Training only: the catalog-tree node the request at each position names (0: none); see
    # :meth:`InterestModel.loss` and ``InterestSettings.category_loss_weight``.
    request_group: Tensor | None = None  # (B, L) int64


class CausalBlock(nn.Module):
    """Pre-norm transformer block; attention may only look back (and at itself)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)
        self.attn_dropout = dropout

    def forward(self, h: Tensor, allowed: Tensor) -> Tensor:
        b, length, d = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(b, length, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(
            q, k, v, attn_mask=allowed, dropout_p=self.attn_dropout if self.training else 0.0
        )
        h = h + self.drop(self.proj(att.transpose(1, 2).reshape(b, length, d)))
        out: Tensor = h + self.drop(self.ff(self.ln2(h)))
        return out


class CausalSequenceEncoder(nn.Module):
    """SASRec-style encoder: item vectors + position (+ event type) embeddings, causal attention."""

    def __init__(self, dim: int, layers: int, heads: int, dropout: float, max_len: int, num_event_types: int) -> None:
        super().__init__()
        self.dim = dim
        self.pos = nn.Embedding(max_len, dim)
        self.event = nn.Embedding(num_event_types, dim, padding_idx=0) if num_event_types else None
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([CausalBlock(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)

    def forward(self, item_vecs: Tensor, events: Tensor | None, valid: Tensor) -> Tensor:
        """(B, L, d) inputs, (B, L) validity -> (B, L) outputs; padded positions come out as zeros."""
        length = item_vecs.shape[1]
        # Positions count back from the newest event so "most recent" means the same at any length.
        pos = self.pos.weight[-length:][None]
        h = item_vecs * math.sqrt(self.dim) + pos
        if self.event is not None and events is not None:
            h = h + self.event(events)
        h = self.drop(h * valid[..., None])
        causal = torch.ones(length, length, dtype=torch.bool, device=h.device).tril()
        eye = torch.eye(length, dtype=torch.bool, device=h.device)
        # Padding keys are hidden; each query still sees itself so no row is fully masked (NaN).
        allowed = ((causal[None] & valid[:, None, :]) | eye[None])[:, None]
        for block in self.blocks:
            h = block(h, allowed)
        out: Tensor = self.ln(h) * valid[..., None]
        return out


class InterestModel(nn.Module, ABC):
    """Abstract base: item vectors, user vectors, scores over the whole catalog, training loss."""

    uses_text: bool = False
    item_text: Tensor
    item_has_history: Tensor

    def __init__(self, cfg: InterestSettings, item_text: Tensor, item_has_history: Tensor) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_items = item_text.shape[0] - 1
        self.register_buffer("item_text", item_text.float(), persistent=False)
        self.register_buffer("item_has_history", item_has_history.bool(), persistent=False)

    @abstractmethod
    def item_vectors(self) -> Tensor:
        """(M+1, d) vectors of every catalog item; row 0 is padding."""

    @abstractmethod
    def user_vectors(self, batch: ModelInputs, *, all_positions: bool = False) -> Tensor:
        """(B, d) customer vectors from the newest position, or (B, L, d) for every position."""

    @abstractmethod
    def score_pairs(self, users: Tensor, items: Tensor) -> Tensor:
        """Scores of user vectors (N, d) against item vectors (K, d) -> (N, K)."""

    def user_vectors_many(self, batch: ModelInputs, texts: list[Tensor | None]) -> list[Tensor]:
        """(B, d) customer vectors of one batch of histories under each of several requests, one
        per row (``None``: behavior only). Models with a separate behavior path encode it once."""
        out = []
        for text in texts:
            has = None if text is None else torch.ones(text.shape[0], dtype=torch.bool, device=text.device)
            out.append(self.user_vectors(ModelInputs(batch.items, batch.events, text, has)))
        return out

    def scores(self, batch: ModelInputs, item_vecs: Tensor | None = None) -> Tensor:
        """(B, M+1) scores over the whole catalog; the padding column is -inf."""
        v = self.item_vectors() if item_vecs is None else item_vecs
        s = self.score_pairs(self.user_vectors(batch), v)
        s[:, 0] = -torch.inf
        return s

    def loss(
        self, batch: ModelInputs, targets: Tensor, log_q: Tensor | None = None, item_groups: Tensor | None = None
    ) -> Tensor:
        """Next-item cross-entropy at every valid position.

        Full softmax over the catalog, or (when ``log_q`` is given, for big catalogs) a sampled
        softmax over ``cfg.num_negatives`` items drawn from ``exp(log_q)`` with logQ correction.

        With ``item_groups`` ((M+1, D) ids of every catalog-tree node above each item, 0 = none) and
        ``batch.request_group``, full-softmax training adds ``cfg.category_loss_weight`` times the
        cross-entropy over only the items under the node each position's request names: the request
        already says which category; this term teaches which item inside it.
        """
        u = self.user_vectors(batch, all_positions=True)
        valid = targets > 0
        u, tgt = u[valid], targets[valid]
        v = self.item_vectors()
        if log_q is None:
            logits = self.score_pairs(u, v)
            logits[:, 0] = -torch.inf
            loss = F.cross_entropy(logits, tgt)
            weight = self.cfg.category_loss_weight
            if weight > 0 and item_groups is not None and batch.request_group is not None:
                group = batch.request_group[valid]
                rows = group > 0
                if bool(rows.any()):
                    member = (item_groups[None] == group[rows][:, None, None]).any(-1)
                    inside = logits[rows].masked_fill(~member, -torch.inf)
                    loss = loss + weight * F.cross_entropy(inside, tgt[rows])
            return loss
        neg = torch.multinomial(log_q.exp(), self.cfg.num_negatives, replacement=True)
        pos_logit = (self.score_pairs(u, v[tgt]).diagonal() - log_q[tgt])[:, None]
        neg_logits = self.score_pairs(u, v[neg]) - log_q[neg][None]
        neg_logits = neg_logits.masked_fill(neg[None] == tgt[:, None], -torch.inf)  # accidental hits
        logits = torch.cat([pos_logit, neg_logits], 1)
        return F.cross_entropy(logits, torch.zeros(len(tgt), dtype=torch.long, device=tgt.device))

    def describe(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "params": sum(p.numel() for p in self.parameters())}
