"""Hybrid retrieval: embedding similarity fused with BM25 by weighted reciprocal rank fusion.

Plain RRF gives both rankings equal say. When one ranking is much better than the other (on
near-duplicate support tickets the embedding ranking is almost perfect and BM25 is not) equal
weights pull good first hits down, so the embedding side gets weight ``w`` and BM25 ``1 - w``;
``w`` can be chosen on a validation fold with :func:`choose_fusion_weight`.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.vectors import VectorStore
    >>> retriever = HybridRetriever(store=VectorStore(Settings(data_dir="/tmp/shop")),
    ...                             collection="policies", k=3)  # doctest: +SKIP
    >>> [d.metadata["title"] for d in retriever.invoke("how long do refunds take")]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from assistant.retrieval.bm25 import BM25Cache
from assistant.vectors import CollectionName, VectorStore

log = logging.getLogger(__name__)

RetrievalMode = Literal["hybrid", "embedding", "bm25"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("hybrid", "embedding", "bm25")

DEFAULT_FUSION_WEIGHT = 0.7
DEFAULT_RRF_K = 10


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with the evidence of how it was ranked."""

    id: str
    collection: str
    text: str
    metadata: Mapping[str, Any]
    score: float
    cosine: float | None = None
    bm25: float | None = None
    ranks: Mapping[str, int] = field(default_factory=dict)

    def to_document(self) -> Document:
        meta = dict(self.metadata)
        meta.update({"id": self.id, "collection": self.collection, "score": self.score, "cosine": self.cosine})
        return Document(page_content=self.text, metadata=meta, id=self.id)


def weighted_rrf(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = DEFAULT_RRF_K
) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum of ``w / (k + rank)`` (rank from 1) over rankings.

    Example:
        >>> s = weighted_rrf([["a", "b"], ["b", "a"]], [0.7, 0.3], k=10)
        >>> s["a"] > s["b"]
        True
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    if k < 0:
        raise ValueError("k must be >= 0")
    out: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            out[doc_id] = out.get(doc_id, 0.0) + w / (k + rank)
    return out


FusionMethod = Literal["rrf", "adaptive"]
FUSION_METHODS: tuple[FusionMethod, ...] = ("rrf", "adaptive")


def _standardized(values: np.ndarray) -> np.ndarray:
    """(x - mean) / std over one query's candidates; all zeros when the scores do not vary."""
    if len(values) < 2:
        return np.zeros_like(values)
    std = float(values.std())
    return np.zeros_like(values) if std < 1e-9 else (values - values.mean()) / std


def adaptive_fusion(
    cosine: Mapping[str, float], bm25: Mapping[str, float], weight: float = DEFAULT_FUSION_WEIGHT
) -> dict[str, float]:
    """Fuse one query's two score lists with weights read off their own score distributions.

    Each side's scores over the union of candidates are standardized (z-scores; a candidate missing
    from a side gets that side's lowest score, BM25's missing score is 0). Each side is then
    weighted, for this query, by how far its best candidate stands out: the z-score of its top
    candidate, divided by the square root of the candidate count, clipped to [0, 1]. A side whose
    scores do not vary (no query term in any candidate, say) carries no weight, a side with one
    clear winner carries its full weight; ``weight`` is the embedding side's share on top of that.

    Example:
        >>> s = adaptive_fusion({"a": 0.9, "b": 0.5, "c": 0.4}, {"b": 0.0}, weight=0.5)
        >>> max(s, key=s.get)
        'a'
    """
    ids = sorted(set(cosine) | set(bm25))
    if not ids:
        return {}
    lo = min(cosine.values()) if cosine else 0.0
    cos = _standardized(np.asarray([cosine.get(i, lo) for i in ids], dtype=np.float64))
    lex = _standardized(np.asarray([bm25.get(i, 0.0) for i in ids], dtype=np.float64))
    root = np.sqrt(len(ids))
    conf_cos = float(np.clip(cos.max() / root, 0.0, 1.0))
    conf_lex = float(np.clip(lex.max() / root, 0.0, 1.0))
    fused = weight * conf_cos * cos + (1.0 - weight) * conf_lex * lex
    return {i: float(v) for i, v in zip(ids, fused, strict=True)}


def fuse_scores(
    cosine: Sequence[tuple[str, float]],
    bm25: Sequence[tuple[str, float]],
    *,
    weight: float = DEFAULT_FUSION_WEIGHT,
    method: FusionMethod = "rrf",
    rrf_k: int = DEFAULT_RRF_K,
) -> list[tuple[str, float]]:
    """One query's hybrid ranking from the embedding and BM25 candidate lists (each best first).

    ``rrf``: weighted reciprocal rank fusion of the two orders (BM25 candidates scoring 0 carry no
    rank). ``adaptive``: :func:`adaptive_fusion` of the scores. Ties go to the higher cosine, then
    the smaller id, so the order is deterministic.
    """
    cos = dict(cosine)
    if method == "adaptive":
        fused = adaptive_fusion(cos, dict(bm25), weight)
    elif method == "rrf":
        fused = weighted_rrf(
            [[i for i, _ in cosine], [i for i, s in bm25 if s > 0]], [weight, 1.0 - weight], k=rrf_k
        )
        for i, _ in bm25:  # zero-scored BM25 candidates still belong to the pool
            fused.setdefault(i, 0.0)
    else:
        raise ValueError(f"fusion method must be one of {FUSION_METHODS}")
    return sorted(fused.items(), key=lambda kv: (-kv[1], -cos.get(kv[0], -1.0), kv[0]))


class QueryEncoder:
    """Query embeddings with a small LRU cache: one turn queries several collections with one text."""

    def __init__(self, store: VectorStore, size: int = 256) -> None:
        self._store = store
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec: np.ndarray = np.asarray(self._store.embedder.encode([text], is_query=True)[0])
        with self._lock:
            self._cache[text] = vec
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vec


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over one collection: ``embedding``, ``bm25`` or ``hybrid`` ranking.

    ``where`` is a Chroma metadata filter applied to both rankers. ``search`` returns typed
    :class:`Passage` objects; ``invoke`` returns LangChain ``Document`` objects.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: VectorStore
    collection: CollectionName
    k: int = Field(default=4, ge=1, le=200)
    mode: RetrievalMode = "hybrid"
    fusion_weight: float = Field(default=DEFAULT_FUSION_WEIGHT, ge=0.0, le=1.0)
    rrf_k: int = Field(default=DEFAULT_RRF_K, ge=0, le=1000)
    candidates: int = Field(default=50, ge=1, le=2000)
    fusion: FusionMethod = "rrf"
    """``rrf`` (weighted reciprocal rank fusion) or ``adaptive`` (per-query weights from the scores)."""
    where: dict[str, Any] | None = None
    bm25: BM25Cache | None = None
    encoder: Callable[[str], np.ndarray] | None = None
    screen: Callable[[str], bool] | None = None
    """Drops a candidate (before fusion, so the others' ranks are unaffected) when it returns True."""

    @model_validator(mode="after")
    def _defaults(self) -> HybridRetriever:
        if self.bm25 is None:
            self.bm25 = BM25Cache(self.store.collection)  # type: ignore[arg-type]
        if self.encoder is None:
            self.encoder = QueryEncoder(self.store)
        return self

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [p.to_document() for p in self.search(query)]

    def search(
        self,
        query: str,
        *,
        where: Mapping[str, Any] | None = None,
        k: int | None = None,
        mode: RetrievalMode | None = None,
        query_embedding: np.ndarray | None = None,
    ) -> list[Passage]:
        """Rank the collection's passages for ``query``; best first, at most ``k``."""
        k = k or self.k
        mode = mode or self.mode
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"mode must be one of {RETRIEVAL_MODES}")
        flt = dict(where) if where is not None else self.where
        n_cand = max(self.candidates, k)
        emb: list[tuple[str, str, dict[str, Any], float]] = []
        lex: list[tuple[str, float]] = []
        if mode in ("embedding", "hybrid"):
            vec = query_embedding if query_embedding is not None else self._encode(query)
            emb = self.store.query(self.collection, vec, n_cand, where=flt or None)
        if mode in ("bm25", "hybrid"):
            assert self.bm25 is not None
            lex = self.bm25.get(self.collection).search(query, n_cand, where=flt or None)
        if self.screen is not None:
            emb, lex = self._screened(emb, lex)
        return self._fuse(emb, lex, mode, k)

    def _screened(
        self, emb: list[tuple[str, str, dict[str, Any], float]], lex: list[tuple[str, float]]
    ) -> tuple[list[tuple[str, str, dict[str, Any], float]], list[tuple[str, float]]]:
        assert self.screen is not None
        texts = {i: t for i, t, _, _ in emb}
        bad: set[str] = set()
        for doc_id in {i for i, *_ in emb} | {i for i, _ in lex}:
            if doc_id not in texts:
                assert self.bm25 is not None
                texts[doc_id] = self.bm25.get(self.collection).document(doc_id)[0]
            if self.screen(texts[doc_id]):
                bad.add(doc_id)
        for doc_id in sorted(bad):
            log.warning("dropped retrieved passage %s/%s: reads like instructions", self.collection, doc_id)
        return [e for e in emb if e[0] not in bad], [x for x in lex if x[0] not in bad]

    def _encode(self, query: str) -> np.ndarray:
        assert self.encoder is not None
        return self.encoder(query)

    def _fuse(
        self,
        emb: list[tuple[str, str, dict[str, Any], float]],
        lex: list[tuple[str, float]],
        mode: RetrievalMode,
        k: int,
    ) -> list[Passage]:
        cos = {i: c for i, _, _, c in emb}
        bm = dict(lex)
        emb_rank = {i: r for r, (i, *_rest) in enumerate(emb, start=1)}
        lex_rank = {i: r for r, (i, _) in enumerate(lex, start=1)}
        if mode == "embedding":
            order = [(i, c) for i, _, _, c in emb]
        elif mode == "bm25":
            order = list(lex)
        else:
            order = fuse_scores(
                [(i, c) for i, _, _, c in emb],
                lex,
                weight=self.fusion_weight,
                method=self.fusion,
                rrf_k=self.rrf_k,
            )
        texts = {i: (t, m) for i, t, m, _ in emb}
        out: list[Passage] = []
        for doc_id, score in order[:k]:
            if doc_id in texts:
                text, meta = texts[doc_id]
            else:
                assert self.bm25 is not None
                text, meta = self.bm25.get(self.collection).document(doc_id)
            ranks = {}
            if doc_id in emb_rank:
                ranks["embedding"] = emb_rank[doc_id]
            if doc_id in lex_rank:
                ranks["bm25"] = lex_rank[doc_id]
            out.append(
                Passage(
                    id=doc_id,
                    collection=self.collection,
                    text=text,
                    metadata=meta,
                    score=float(score),
                    cosine=cos.get(doc_id),
                    bm25=bm.get(doc_id),
                    ranks=ranks,
                )
            )
        return out


def choose_fusion_weight(
    evaluate: Callable[[float], float], grid: Sequence[float] = tuple(np.round(np.arange(0.0, 1.01, 0.1), 2))
) -> tuple[float, dict[float, float]]:
    """Pick the fusion weight that maximises ``evaluate(weight)`` (e.g. MRR on a validation fold).

    Ties go to the weight closest to the default, so a flat validation curve keeps the default.

    Example:
        >>> choose_fusion_weight(lambda w: 1 - abs(w - 0.6))[0]
        0.6
    """
    if not grid:
        raise ValueError("empty grid")
    results = {float(w): float(evaluate(float(w))) for w in grid}
    best = max(results.items(), key=lambda kv: (round(kv[1], 6), -abs(kv[0] - DEFAULT_FUSION_WEIGHT)))
    return best[0], results
