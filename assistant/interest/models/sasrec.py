"""Our faithful SASRec (Kang & McAuley, 2018) as RecBole configures it: id embeddings only.

No product text, no event types, no chat; item embeddings are shared between input and output and
scored by dot product, trained with full-softmax cross-entropy (RecBole's ``loss_type: CE``).
Reported as ``sasrec_ours`` when RecBole itself cannot run.

Example:
    >>> import torch
    >>> from assistant.config import InterestSettings
    >>> m = SASRecModel(InterestSettings(max_seq_len=4), torch.zeros(6, 384), torch.ones(6, dtype=torch.bool))
    >>> m.scores(ModelInputs(torch.tensor([[0, 1, 2, 3]]), torch.zeros(1, 4, dtype=torch.long))).shape
    torch.Size([1, 6])
"""

from __future__ import annotations

from torch import Tensor, nn

from assistant.config import InterestSettings
from assistant.interest.models.base import CausalSequenceEncoder, InterestModel, ModelInputs


class SASRecModel(InterestModel):
    def __init__(self, cfg: InterestSettings, item_text: Tensor, item_has_history: Tensor) -> None:
        super().__init__(cfg, item_text, item_has_history)
        d = cfg.sasrec_hidden_dim
        self.item_emb = nn.Embedding(self.num_items + 1, d, padding_idx=0)
        nn.init.normal_(self.item_emb.weight, std=0.02)
        self.encoder = CausalSequenceEncoder(d, cfg.num_layers, cfg.num_heads, cfg.sasrec_dropout, cfg.max_seq_len, 0)
        # RecBole initialises every embedding with N(0, 0.02); torch's default N(0, 1) position
        # vectors would drown the small id vectors.
        nn.init.normal_(self.encoder.pos.weight, std=0.02)

    def item_vectors(self) -> Tensor:
        return self.item_emb.weight

    def user_vectors(self, batch: ModelInputs, *, all_positions: bool = False) -> Tensor:
        valid = batch.items > 0
        # RecBole feeds embeddings unscaled; the encoder scales by sqrt(d), so undo that here.
        h: Tensor = self.encoder(self.item_emb(batch.items) / self.encoder.dim**0.5, None, valid)
        return h if all_positions else h[:, -1]

    def score_pairs(self, users: Tensor, items: Tensor) -> Tensor:
        return users @ items.T
