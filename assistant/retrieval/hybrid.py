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

import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from assistant.config import Settings
from assistant.embeddings import MULTILINGUAL_MODELS
from assistant.retrieval.bm25 import BM25Cache, BM25Index
from assistant.retrieval.fusion import DEFAULT_FUSION_WEIGHT as DEFAULT_FUSION_WEIGHT
from assistant.retrieval.fusion import DEFAULT_RRF_K as DEFAULT_RRF_K
from assistant.retrieval.fusion import DEFAULT_SHARPNESS as DEFAULT_SHARPNESS
from assistant.retrieval.fusion import FUSION_METHODS as FUSION_METHODS
from assistant.retrieval.fusion import FusionMethod as FusionMethod
from assistant.retrieval.fusion import adaptive_fusion as adaptive_fusion
from assistant.retrieval.fusion import choose_fusion_weight as choose_fusion_weight
from assistant.retrieval.fusion import fuse_scores as fuse_scores
from assistant.retrieval.fusion import weighted_rrf as weighted_rrf
from assistant.retrieval.text import coverage, has_cjk
from assistant.vectors import CollectionName, VectorStore

log = logging.getLogger(__name__)

RetrievalMode = Literal["hybrid", "embedding", "bm25"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("hybrid", "embedding", "bm25")
POOL_GROWTH = 4
"""How much larger each further candidate pool is when grouping left fewer than ``k`` records."""

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


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


def first_per_record(items: Iterable[T], record: Callable[[T], K], limit: int | None = None) -> list[tuple[T, K]]:
    """Items ranked best first, each record once at its best (first) item, with its record; at most
    ``limit`` (items after that are not looked at). The retriever's grouping and the answers
    evaluation's ranking of records both use it.

    Example:
        >>> [r for _, r in first_per_record(["a#0", "b", "a#1", "c"], lambda i: i.split("#")[0])]
        ['a', 'b', 'c']
    """
    seen: set[K] = set()
    out: list[tuple[T, K]] = []
    for item in items:
        if limit is not None and len(out) >= limit:
            break
        key = record(item)
        if key not in seen:
            seen.add(key)
            out.append((item, key))
    return out


def serving(settings: Settings) -> dict[str, Any]:
    """The retriever fields the product serves with, from :class:`assistant.config.Settings` (the
    conversation engine builds its retrievers with them, and ``evaluate answers`` reports its
    ``hybrid`` rows through a retriever built with them, so the two cannot drift apart).

    Example:
        >>> from assistant.config import Settings
        >>> sorted(serving(Settings()))
        ['fusion', 'fusion_weight', 'pool_rounds', 'rrf_k', 'sharpness']
    """
    cfg = settings.conversation
    return {
        "fusion": cfg.fusion_method,
        "fusion_weight": cfg.fusion_weight,
        "rrf_k": cfg.rrf_k,
        "sharpness": cfg.fusion_sharpness,
        "pool_rounds": settings.retrieval_pool_rounds,
    }


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
    sharpness: float = Field(default=DEFAULT_SHARPNESS, ge=0.0, le=8.0)
    """The adaptive fusion's sharpness (:func:`adaptive_fusion`); unused by ``rrf``."""
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
    lexical_when_unread: bool = False
    """When the store's encoder cannot read the query (Chinese for an English-only model, whose
    cosines on it are noise that still clears every threshold), rank by BM25 alone and give each
    passage, as its ``cosine``, the share of the query's tokens it contains (:func:`coverage`), so
    the callers' relevance thresholds keep their meaning. The conversation engine turns it on; an
    evaluation comparing the modes leaves it off."""
    pool_rounds: int = Field(default=2, ge=0, le=8)
    """When grouping leaves fewer than ``k`` records (one long record's chunks filled most of the
    candidate pool), search again with a pool :data:`POOL_GROWTH` times larger, on both rankers, at
    most this many times or until the collection (under ``where``) is exhausted (the
    ``retrieval_pool_rounds`` setting)."""

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
        if mode != "bm25" and self.lexical_when_unread and not self.reads(query):
            found = self.search(query, where=where, k=k, mode="bm25")
            return [replace(p, cosine=coverage(query, p.text)) for p in found]
        flt = dict(where) if where is not None else self.where
        n_cand = max(self.candidates, k)
        assert self.bm25 is not None
        index = self.bm25.get(self.collection)
        vec = None
        if mode in ("embedding", "hybrid"):
            vec = query_embedding if query_embedding is not None else self._encode(query)
        for round_ in itertools.count():
            emb: list[tuple[str, str, dict[str, Any], float]] = []
            lex: list[tuple[str, float]] = []
            if vec is not None:
                if index.embeddings is not None:  # a small collection: its vectors are in memory
                    emb = index.nearest(vec, n_cand, where=flt or None)
                else:
                    emb = self.store.query(self.collection, vec, n_cand, where=flt or None)
            if mode in ("bm25", "hybrid"):
                lex = index.search(query, n_cand, where=flt or None)
            more = len(emb) >= n_cand or len(lex) >= n_cand  # a ranker may hold more than the pool
            if self.screen is not None:
                emb, lex = self._screened(emb, lex, index)
            out, grouped_away = self._fuse(emb, lex, mode, k, index)
            if len(out) >= k or not grouped_away or not more or round_ >= self.pool_rounds:
                return out
            n_cand *= POOL_GROWTH
        raise AssertionError("unreachable")

    def reads(self, query: str) -> bool:
        """Whether the store's encoder reads ``query``: English-only encoders do not read Chinese."""
        return not has_cjk(query) or self.store.settings.embedding_model in MULTILINGUAL_MODELS

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
    ) -> tuple[list[Passage], bool]:
        """The best ``k`` results, and whether grouping passed over a chunk of a record already taken."""
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
                sharpness=self.sharpness,
            )
        texts = {i: (t, m) for i, t, m, _ in emb}

        def resolve(doc_id: str) -> tuple[str, Mapping[str, Any]]:
            return texts[doc_id] if doc_id in texts else index.document(doc_id)

        if self.group_by is None:
            chosen = order[:k]
        else:  # a record's later (worse) chunks are not results
            group_by = self.group_by
            firsts = first_per_record(order, lambda it: record_key(it[0], resolve(it[0])[1], group_by), k)
            chosen = [item for item, _ in firsts]
        out: list[Passage] = []
        for doc_id, score in chosen:
            text, meta = resolve(doc_id)
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
        return out, len(out) < min(k, len(order))
