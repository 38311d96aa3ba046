"""The personalized search box: text relevance finds the candidates, the customer's interests rank them.

One search (seed §3.4, issue 18):

1. **Relevance.** The query is embedded once (with its phrases, for the reasons) and compared with
   every product's text embedding; BM25 scores the product texts. The best ``search.pool`` of each,
   plus the products of a catalog category the query names, form the pool, and the product's
   adaptive fusion (:func:`assistant.retrieval.fusion.adaptive_fusion`) turns the two score lists
   into one relevance score; a named category adds ``search.category_bonus``.
2. **Ranking.**
   * ``personalized`` (a customer, or a guest conversation, with events): the chat-aware interest
     model scores the pool with the query as the chat request, under the served blend
     (:meth:`InterestService.served_scores`, the panel's ranking; the model's score alone for a
     checkpoint without blend weights); the result order is that score
     plus ``search.relevance_weight`` x the relevance (both standardised over the pool). Reasons
     come from the model's own attribution ("Because you bought X and searched for "...""). Under
     an untrained service the model is its text-profile fallback (see :mod:`online`).
   * ``guest`` (nobody known, or no events yet): relevance plus ``search.popularity_weight`` x
     popularity (log event counts, standardised).
   * ``text``: relevance alone: the plain ranking the search box can toggle to.

Example:
    >>> search = ProductSearch.of(services.interest)  # doctest: +SKIP
    >>> res = search.search("stapler", customer_id="C001")  # doctest: +SKIP
    >>> [(h.name, h.reason) for h in res.hits[:3]]  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import torch
from sqlalchemy import func, select

from assistant.config import SearchSettings
from assistant.interest.data import CategoryMatcher, leaf_category
from assistant.interest.online import InterestService, _Chat, _Evt
from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.fusion import adaptive_fusion
from assistant.retrieval.text import tokenize
from assistant.store.models import Event
from assistant.types import SessionEvent

SearchMode = Literal["personalized", "guest", "text"]


class SearchError(ValueError):
    """A search that cannot run as asked (empty or over-long query); the message says why."""


@dataclass(frozen=True)
class SearchHit:
    product_id: str
    name: str
    category: str
    price: float | None
    available: bool
    score: float  # what the results are ordered by
    relevance: float  # the text relevance alone (the plain ranking's score)
    reason: str


@dataclass(frozen=True)
class SearchResults:
    query: str
    mode: SearchMode
    hits: list[SearchHit]
    millis: float


def _z(x: np.ndarray) -> np.ndarray:
    if len(x) < 2:
        return np.zeros_like(x)
    sd = float(x.std())
    return np.zeros_like(x) if sd < 1e-9 else (x - x.mean()) / sd


def _matvec(m: torch.Tensor, v: np.ndarray) -> np.ndarray:
    """``m @ v`` on torch's thread pool, not numpy's BLAS.

    On a small machine the two pools fight: after a numpy BLAS call OpenBLAS's worker threads keep
    spinning for a while, and the next MiniLM query embedding (torch, OpenMP) then shares the cores
    with them; that, not the encoder, was the search's tail latency (p95 ~100 ms for a ~10 ms
    encode on 2 cores). Keeping every product-sized product on torch leaves one pool busy.
    """
    out: np.ndarray = torch.mv(m, torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))).numpy()
    return out


class _CatalogIndex:
    """BM25, category names and torch views of the vectors of one catalog snapshot (rebuilt when
    the service reloads it)."""

    def __init__(self, svc: InterestService) -> None:
        cat = svc.catalog
        self.catalog = cat
        self.item_text = torch.from_numpy(np.ascontiguousarray(svc.item_text, dtype=np.float32))
        self.item_vecs_src = svc.item_vecs
        self.item_vecs = torch.from_numpy(np.ascontiguousarray(svc.item_vecs, dtype=np.float32))
        self.bm25 = BM25Index(
            cat.ids[1:],
            [f"{n}. {t}" for n, t in zip(cat.names[1:], cat.texts[1:], strict=True)],
            [{} for _ in cat.ids[1:]],
        )
        self.matcher = CategoryMatcher(cat.categories)


class ProductSearch:
    """Personalized product search over an :class:`InterestService`'s catalog and model."""

    _instances: ClassVar[weakref.WeakKeyDictionary[InterestService, ProductSearch]] = weakref.WeakKeyDictionary()
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, interest: InterestService, settings: SearchSettings | None = None) -> None:
        self.interest = interest
        self.cfg = settings or interest.settings.search
        self._index: _CatalogIndex | None = None
        self._pop: tuple[float, object, np.ndarray] | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, interest: InterestService) -> ProductSearch:
        """The search over ``interest`` (one per service, so its indexes are built once)."""
        with cls._instances_lock:
            found = cls._instances.get(interest)
            if found is None:
                found = cls._instances[interest] = cls(interest)
            return found

    # --- cached per catalog ------------------------------------------------------------------
    def _catalog_index(self) -> _CatalogIndex:
        with self._lock:
            if (
                self._index is None
                or self._index.catalog is not self.interest.catalog
                or self._index.item_vecs_src is not self.interest.item_vecs
            ):
                self._index = _CatalogIndex(self.interest)
            return self._index

    def _popularity(self) -> np.ndarray:
        """log(1 + event count) per catalog position, re-read after ``popularity_ttl_s``."""
        svc = self.interest
        now = time.monotonic()
        with self._lock:
            if self._pop is not None and self._pop[1] is svc.catalog and now - self._pop[0] < self.cfg.popularity_ttl_s:
                return self._pop[2]
        with svc.db.session() as s:
            rows = s.execute(select(Event.product_id, func.count()).group_by(Event.product_id)).all()
        counts = np.zeros(len(svc.catalog.ids), dtype=np.float64)
        for pid, n in rows:
            i = svc.catalog.index.get(pid)
            if i is not None:
                counts[i] = n
        pop = np.log1p(counts)
        with self._lock:
            self._pop = (now, svc.catalog, pop)
        return pop

    # --- search ------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        customer_id: str | None = None,
        *,
        k: int | None = None,
        personalized: bool = True,
        session_events: Sequence[SessionEvent] = (),
    ) -> SearchResults:
        """Search the catalog; ``personalized=False`` gives the plain text ranking."""
        t0 = time.perf_counter()
        q = (query or "").strip()
        if not q:
            raise SearchError("q: the search query is empty")
        if len(q) > self.cfg.max_query_chars:
            raise SearchError(f"q: the search query is longer than {self.cfg.max_query_chars} characters")
        k = self.cfg.results if k is None else max(1, min(k, 100))
        svc = self.interest
        idx = self._catalog_index()
        n_items = len(idx.catalog.ids)
        if n_items <= 1:
            return SearchResults(q, "text", [], (time.perf_counter() - t0) * 1000)
        chat = svc._chat(q)
        assert chat is not None  # q is not empty
        cos = _matvec(idx.item_text, chat.vec)
        cos[0] = -np.inf
        lex = idx.bm25.scores(q)  # position i-1 is catalog item i
        pool_set: set[int] = set(np.argsort(-cos, kind="stable")[: self.cfg.pool].tolist())
        positive = np.flatnonzero(lex > 0)
        pool_set.update((positive[np.argsort(-lex[positive], kind="stable")[: self.cfg.pool]] + 1).tolist())
        named_items = idx.matcher.items(q)
        if named_items is not None:
            pool_set.update(named_items[np.argsort(-cos[named_items], kind="stable")[: self.cfg.pool]].tolist())
        pool_set.discard(0)
        pool = np.asarray(sorted(pool_set), dtype=np.int64)
        ids = [idx.catalog.ids[i] for i in pool]
        fused = adaptive_fusion(
            {pid: float(cos[i]) for pid, i in zip(ids, pool, strict=True)},
            {pid: float(lex[i - 1]) for pid, i in zip(ids, pool, strict=True) if lex[i - 1] > 0},
            self.cfg.fusion_weight,
        )
        relevance = np.asarray([fused[pid] for pid in ids], dtype=np.float64)
        if named_items is not None:
            relevance = relevance + self.cfg.category_bonus * np.isin(pool, named_items)

        evts = svc._events_for(customer_id, session_events) if personalized else []
        mode: SearchMode = "text" if not personalized else ("personalized" if evts else "guest")
        loo = np.zeros((0, svc.item_vecs.shape[1]), dtype=np.float32)
        model_scores = np.zeros(len(pool))
        if mode == "personalized":
            h = min(len(evts), svc.cfg.explain_history)
            variants = [evts[:j] + evts[j + 1 :] for j in range(len(evts) - h, len(evts))] if svc.model else []
            both = svc.blend is not None  # the blend reads the behavior-only vector too (same forward pass)
            uv = svc._user_vectors([evts, *variants], chat.vec, behavior_too=both)
            ub = uv[-1] if both else None
            uv = uv[:-1] if both else uv
            loo = uv[1:]
            model_scores = _matvec(idx.item_vecs[torch.from_numpy(pool)], uv[0])
            # The served blend ranks the pool as it ranks the panel (the model's score when none is loaded).
            served = svc.served_scores(evts, uv[0], True, None if named_items is None else len(named_items), ub)
            ranking = model_scores if served is None else served[pool]
            order_score = _z(ranking) + self.cfg.relevance_weight * _z(relevance)
        elif mode == "guest":
            order_score = _z(relevance) + self.cfg.popularity_weight * _z(self._popularity()[pool])
        else:
            order_score = relevance
        # Best first; ties by text relevance, then by catalog position.
        top_pos = np.lexsort((pool, -relevance, -order_score))[:k]
        top = pool[top_pos]
        reasons = self._reasons(mode, top, model_scores[top_pos], evts, chat, loo, q, named_items)
        hits = [
            SearchHit(
                product_id=idx.catalog.ids[i],
                name=idx.catalog.names[i],
                category=idx.catalog.categories[i],
                price=idx.catalog.prices[i],
                available=bool(idx.catalog.available[i]),
                score=round(float(order_score[p]), 4),
                relevance=round(float(relevance[p]), 4),
                reason=reason,
            )
            for i, p, reason in zip(top, top_pos, reasons, strict=True)
        ]
        return SearchResults(q, mode, hits, (time.perf_counter() - t0) * 1000)

    def _reasons(
        self,
        mode: SearchMode,
        top: np.ndarray,
        model_scores: np.ndarray,
        evts: list[_Evt],
        chat: _Chat,
        loo: np.ndarray,
        query: str,
        named_items: np.ndarray | None,
    ) -> list[str]:
        svc = self.interest
        if mode == "personalized" and len(top):
            recs = svc._explain(top, model_scores.astype(np.float32), evts, chat, loo)
            return [r.reason.replace("asked about", "searched for") for r in recs]
        words = set(tokenize(query))
        pop = self._popularity() if mode == "guest" else None
        named = set(named_items.tolist()) if named_items is not None else set()
        out = []
        for i in top:
            if int(i) in named:
                why = f"In {leaf_category(svc.catalog.categories[i]) or 'the category you named'}"
            else:
                common = [w for w in tokenize(f"{svc.catalog.names[i]} {svc.catalog.texts[i]}") if w in words]
                why = (
                    "Mentions " + ", ".join(f'"{w}"' for w in dict.fromkeys(common))
                    if common
                    else f'Close in meaning to "{query}"'
                )
            if pop is not None and pop[i] > 0:
                why += f"; popular ({round(float(np.expm1(pop[i])))} customer actions)"
            out.append(why)
        return out
