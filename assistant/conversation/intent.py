"""Intent classification by the nearest labelled examples among ingested past conversations.

Example:
    >>> clf = IntentClassifier(retriever)  # doctest: +SKIP
    >>> clf.classify("where is my parcel?")  # doctest: +SKIP
    IntentPrediction(intent='order_status', confidence=0.83, neighbours=(...))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.retrieval.hybrid import HybridRetriever, Passage, RetrievalMode


@dataclass(frozen=True)
class IntentPrediction:
    """The winning intent, its vote share in [0, 1], and the neighbours that voted."""

    intent: str | None
    confidence: float
    neighbours: tuple[Passage, ...] = ()


class IntentClassifier:
    """k-nearest-neighbour vote over the ``conversations`` collection's ``intent`` labels.

    Each neighbour votes with its fused retrieval score; the confidence is the winner's share of
    the votes times how close the nearest example is (``cosine / min_similarity`` capped at 1), so
    a question far from every example gets a low confidence even when its neighbours agree.
    """

    def __init__(
        self,
        retriever: HybridRetriever,
        *,
        neighbours: int = 10,
        mode: RetrievalMode = "embedding",
        min_similarity: float = 0.5,
        where: Mapping[str, Any] | None = None,
    ) -> None:
        if retriever.collection != "conversations":
            raise ValueError("the intent classifier needs a retriever over 'conversations'")
        if neighbours < 1:
            raise ValueError("neighbours must be >= 1")
        if not 0.0 < min_similarity <= 1.0:
            raise ValueError("min_similarity must be in (0, 1]")
        self.retriever = retriever
        self.neighbours = neighbours
        self.mode = mode
        self.min_similarity = min_similarity
        self.where = dict(where) if where else None

    def classify(self, text: str) -> IntentPrediction:
        hits = [
            p
            for p in self.retriever.search(text, k=self.neighbours, mode=self.mode, where=self.where)
            if p.metadata.get("intent")
        ]
        if not hits:
            return IntentPrediction(None, 0.0)
        votes: dict[str, float] = {}
        for rank, p in enumerate(hits, start=1):
            # Rank-discounted votes: with near-duplicate examples the first few neighbours are the
            # informative ones, further ones mostly add noise from neighbouring intents.
            weight = max(p.cosine or 0.0, 0.0) / rank if self.mode != "bm25" else 1.0 / rank
            label = str(p.metadata["intent"])
            votes[label] = votes.get(label, 0.0) + weight
        total = sum(votes.values()) or 1.0
        intent, best = max(votes.items(), key=lambda kv: kv[1])
        nearest = max((p.cosine or 0.0) for p in hits)
        closeness = min(1.0, max(nearest, 0.0) / self.min_similarity)
        return IntentPrediction(intent, round(best / total * closeness, 4), tuple(hits))
