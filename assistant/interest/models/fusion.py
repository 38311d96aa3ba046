"""The ShopAssist interest encoder: behavior sequence + chat text fused into one customer vector.

* items: ``v_i = P·e_i (+ id_i if item i has history)`` where ``e_i`` is the sentence embedding of
  the product text, so items without history (cold start) are scored from their text alone;
* behavior: causal self-attention over the time-ordered events with event-type embeddings -> ``x``;
* chat: a projection of the sentence embedding of the customer's recent messages -> ``y``;
* fusion: ``u = W·[x; y] + b`` ("fusion") or ``u = g ⊙ W_x x + (1 - g) ⊙ W_y y`` with
  ``g = σ(W_g [x; y])`` ("gated"); scores are ``cos(u, v_i) / τ``.

A missing side (no history, no message) is replaced by a learned "absent" vector, so the same model
serves behavior only, text only, or both.

Example:
    >>> import torch
    >>> from assistant.config import InterestSettings
    >>> cfg = InterestSettings(hidden_dim=16, num_heads=2, max_seq_len=4)
    >>> m = FusionInterestModel(cfg, torch.randn(6, 384), torch.ones(6, dtype=torch.bool))
    >>> b = ModelInputs(torch.tensor([[0, 1, 2, 3]]), torch.tensor([[0, 4, 4, 4]]))
    >>> m.scores(b).shape
    torch.Size([1, 6])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from assistant.config import InterestSettings
from assistant.interest.models.base import CausalSequenceEncoder, InterestModel, ModelInputs
from assistant.store.models import EVENT_TYPES


class FusionInterestModel(InterestModel):
    uses_text = True

    def __init__(self, cfg: InterestSettings, item_text: Tensor, item_has_history: Tensor) -> None:
        super().__init__(cfg, item_text, item_has_history)
        d, t = cfg.hidden_dim, item_text.shape[1]
        self.gated = cfg.model == "gated"
        self.item_proj = nn.Linear(t, d)
        self.item_id = nn.Embedding(self.num_items + 1, d) if cfg.use_id_embedding else None
        if self.item_id is not None:
            # Start from the text vector: the id part only learns what text cannot say.
            nn.init.zeros_(self.item_id.weight)
        self.encoder = CausalSequenceEncoder(
            d, cfg.num_layers, cfg.num_heads, cfg.dropout, cfg.max_seq_len, len(EVENT_TYPES) + 1
        )
        self.text_proj = nn.Sequential(nn.Linear(t, d), nn.GELU(), nn.Linear(d, d))
        self.no_history = nn.Parameter(torch.zeros(d))
        self.no_text = nn.Parameter(torch.zeros(d))
        self.fuse = nn.Linear(2 * d, d)
        if self.gated:
            self.gate = nn.Linear(2 * d, d)
            self.from_text = nn.Linear(d, d)

    def item_vectors(self) -> Tensor:
        v: Tensor = self.item_proj(self.item_text)
        if self.item_id is not None:
            has_id = self.item_has_history
            if self.training and self.cfg.id_dropout > 0:
                # Cold-start training: some items are placed by their text alone this step.
                has_id = has_id & (torch.rand(has_id.shape, device=has_id.device) >= self.cfg.id_dropout)
            v = v + self.item_id.weight * has_id[:, None]
        return v

    def input_vectors(self, items: Tensor) -> Tensor:
        """``item_vectors()[items]``. Serving a few histories (fewer positions than catalog items, not
        training) projects only those rows instead of the whole catalog per forward pass: the same
        values, a fraction of the work on a 2,500-item catalog."""
        if self.training or items.numel() >= self.num_items + 1:
            return self.item_vectors()[items]
        v: Tensor = self.item_proj(self.item_text[items])
        if self.item_id is not None:
            v = v + self.item_id(items) * self.item_has_history[items][..., None]
        return v

    def behavior_vectors(self, items: Tensor, events: Tensor, all_positions: bool) -> Tensor:
        valid = items > 0
        h: Tensor = self.encoder(self.input_vectors(items), events, valid)
        if all_positions:
            return h
        x = h[:, -1]
        empty = ~valid.any(1)
        return torch.where(empty[:, None], self.no_history.expand_as(x), x)

    def text_vectors(self, batch: ModelInputs, shape: torch.Size) -> Tensor:
        if batch.text is None:
            return self.no_text.expand(shape)
        y: Tensor = self.text_proj(batch.text)
        if batch.has_text is not None:
            y = torch.where(batch.has_text[..., None], y, self.no_text.expand_as(y))
        return y

    def fuse_vectors(self, x: Tensor, y: Tensor) -> Tensor:
        xy = torch.cat([x, y], -1)
        if not self.gated:
            fused: Tensor = self.fuse(xy)
            return fused
        g = torch.sigmoid(self.gate(xy))
        gated: Tensor = g * self.fuse(torch.cat([x, torch.zeros_like(y)], -1)) + (1 - g) * self.from_text(y)
        return gated

    def user_vectors(self, batch: ModelInputs, *, all_positions: bool = False) -> Tensor:
        x = self.behavior_vectors(batch.items, batch.events, all_positions)
        return self.fuse_vectors(x, self.text_vectors(batch, x.shape))

    def user_vectors_many(self, batch: ModelInputs, texts: list[Tensor | None]) -> list[Tensor]:
        # The behavior encoder (the costly part) runs once; each request is only fused with it.
        x = self.behavior_vectors(batch.items, batch.events, False)
        out = []
        for text in texts:
            has = None if text is None else torch.ones(text.shape[0], dtype=torch.bool, device=text.device)
            y = self.text_vectors(ModelInputs(batch.items, batch.events, text, has), x.shape)
            out.append(self.fuse_vectors(x, y))
        return out

    def score_pairs(self, users: Tensor, items: Tensor) -> Tensor:
        s: Tensor = F.normalize(users, dim=-1) @ F.normalize(items, dim=-1).T / self.cfg.score_temperature
        return s
