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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from assistant.retrieval.bm25 import BM25Cache, BM25Index
from assistant.retrieval.fusion import DEFAULT_FUSION_WEIGHT as DEFAULT_FUSION_WEIGHT
from assistant.retrieval.fusion import DEFAULT_RRF_K as DEFAULT_RRF_K
from assistant.retrieval.fusion import FUSION_METHODS as FUSION_METHODS
from assistant.retrieval.fusion import FusionMethod as FusionMethod
from assistant.retrieval.fusion import adaptive_fusion as adaptive_fusion
from assistant.retrieval.fusion import choose_fusion_weight as choose_fusion_weight
from assistant.retrieval.fusion import fuse_scores as fuse_scores
from assistant.retrieval.fusion import weighted_rrf as weighted_rrf
from assistant.vectors import CollectionName, VectorStore

log = logging.getLogger(__name__)

RetrievalMode = Literal["hybrid", "embedding", "bm25"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("hybrid", "embedding", "bm25")


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


def record_key(doc_id: str, metadata: Mapping[str, Any], key: str) -> str:
    """The record a chunk belongs to: its ``key`` metadata value within its source and kind (a review
    and a Q&A of one source may share an id), or the chunk id when it has none."""
    value = metadata.get(key)
    if value in (None, ""):
        return doc_id
    return "\x1f".join((key, str(metadata.get("source", "")), str(metadata.get("kind", "")), str(value)))


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
    group_by: str | None = "record_id"
    """Chunks sharing this metadata value (a long review's passages share its ``record_id``) are one
    result: the chunks are ranked (and fused) as passages, and each record is kept once, at the place
    of its best-ranked chunk, which it is cited by. Chunks without the field stand alone; None:
    every chunk is a result of its own."""

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
        assert self.bm25 is not None
        index = self.bm25.get(self.collection)
        if mode in ("embedding", "hybrid"):
            vec = query_embedding if query_embedding is not None else self._encode(query)
            if index.embeddings is not None:  # a small collection: its vectors are in memory
                emb = index.nearest(vec, n_cand, where=flt or None)
            else:
                emb = self.store.query(self.collection, vec, n_cand, where=flt or None)
        if mode in ("bm25", "hybrid"):
            lex = index.search(query, n_cand, where=flt or None)
        if self.screen is not None:
            emb, lex = self._screened(emb, lex, index)
        return self._fuse(emb, lex, mode, k, index)

    def _screened(
        self, emb: list[tuple[str, str, dict[str, Any], float]], lex: list[tuple[str, float]], index: BM25Index
    ) -> tuple[list[tuple[str, str, dict[str, Any], float]], list[tuple[str, float]]]:
        assert self.screen is not None
        texts = {i: t for i, t, _, _ in emb}
        bad: set[str] = set()
        for doc_id in {i for i, *_ in emb} | {i for i, _ in lex}:
            if doc_id not in texts:
                texts[doc_id] = index.document(doc_id)[0]
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
        index: BM25Index,
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
        records: set[str] = set()
        for doc_id, score in order:
            if len(out) >= k:
                break
            if doc_id in texts:
                text, meta = texts[doc_id]
            else:
                text, meta = index.document(doc_id)
            if self.group_by is not None:  # a record's later (worse) chunks are not results
                record = record_key(doc_id, meta, self.group_by)
                if record in records:
                    continue
                records.add(record)
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

