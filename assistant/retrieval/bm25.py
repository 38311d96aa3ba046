"""Okapi BM25 over a whole Chroma collection, with Chroma-style metadata filters applied at query time.

One index per collection keeps the IDF statistics global: a filter such as
``{"product_id": "P1"}`` restricts which documents are ranked, not what "rare" means. Ranking the few
reviews of one product with IDF computed from those reviews alone would be noisy.

Example:
    >>> idx = BM25Index(["d1", "d2"], ["free returns within 30 days", "we ship to Canada"],
    ...                 [{"kind": "policy"}, {"kind": "policy"}])
    >>> [doc_id for doc_id, _ in idx.search("return window", k=1)]
    ['d1']
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from assistant.retrieval.text import tokenize

Where = Mapping[str, Any]
MASK_CACHE_SIZE = 256  # distinct metadata filters remembered per index (one per product, say)


def _unit_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim != 2:
        raise ValueError("embeddings must be a 2-d array")
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    out: np.ndarray = m / np.maximum(norms, 1e-12)
    out.setflags(write=False)
    return out


def matches(metadata: Mapping[str, Any], where: Where | None) -> bool:
    """Evaluate a Chroma ``where`` filter ($and, $or, $eq, $ne, $in, $nin, $gt.. on numbers) in Python."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(metadata, c) for c in cond):
                return False
            continue
        if key == "$or":
            if not any(matches(metadata, c) for c in cond):
                return False
            continue
        value = metadata.get(key)
        if not isinstance(cond, Mapping):
            cond = {"$eq": cond}
        for op, arg in cond.items():
            if not _compare(op, value, arg):
                return False
    return True


def _compare(op: str, value: Any, arg: Any) -> bool:
    if op == "$eq":
        return bool(value == arg)
    if op == "$ne":
        return bool(value != arg)
    if op == "$in":
        return value in arg
    if op == "$nin":
        return value not in arg
    if value is None:
        return False
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b,
        "$lt": lambda a, b: a < b,
        "$lte": lambda a, b: a <= b,
    }
    if op not in ops:
        raise ValueError(f"unsupported filter operator {op!r}")
    return ops[op](value, arg)


class BM25Index:
    """A sparse BM25 weight matrix; a query's scores are one sparse column sum."""

    def __init__(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        embeddings: np.ndarray | None = None,
    ) -> None:
        if not (len(ids) == len(texts) == len(metadatas)):
            raise ValueError("ids, texts and metadatas must have the same length")
        if embeddings is not None and embeddings.shape[0] != len(ids):
            raise ValueError("one embedding per document")
        if k1 <= 0 or not 0.0 <= b <= 1.0:
            raise ValueError("need k1 > 0 and 0 <= b <= 1")
        self.ids = list(ids)
        self.texts = list(texts)
        self.metadatas = [dict(m) for m in metadatas]
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(ids), dtype=np.float32)
        for row, text in enumerate(self.texts):
            toks = tokenize(text)
            lengths[row] = len(toks)
            counts: dict[int, int] = {}
            for tok in toks:
                col = self.vocab.setdefault(tok, len(self.vocab))
                counts[col] = counts.get(col, 0) + 1
            rows.extend([row] * len(counts))
            cols.extend(counts.keys())
            vals.extend(counts.values())
        n = max(len(ids), 1)
        tf = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(ids), max(len(self.vocab), 1))
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        avgdl = float(lengths.mean()) if len(ids) else 1.0
        norm = k1 * (1.0 - b + b * lengths / max(avgdl, 1e-6))
        coo = tf.tocoo()
        weights = coo.data * (k1 + 1.0) / (coo.data + norm[coo.row]) * idf[coo.col]
        self._weights = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=tf.shape)
        self.embeddings = _unit_rows(embeddings) if embeddings is not None else None
        self._masks: OrderedDict[str, np.ndarray] = OrderedDict()
        self._masks_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where no term matches)."""
        cols = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not cols or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        # Repeated query terms count once per occurrence, as in Okapi BM25 with qtf=1 per token.
        sub = self._weights[:, cols]
        return np.asarray(sub.sum(axis=1)).ravel()

    def search(
        self, query: str, k: int, where: Where | None = None, *, include_zero: bool = False
    ) -> list[tuple[str, float]]:
        """Top-``k`` (id, score) among documents matching ``where``, best first, ties by id.

        Only positively scored documents unless ``include_zero``: then every matching document is
        ranked (zero scores after the others), as an evaluation of BM25 against other rankers needs.
        """
        if k < 1:
            raise ValueError("k must be >= 1")
        scores = self.scores(query)
        mask = self.mask(where)
        pool = np.flatnonzero(mask if include_zero else mask & (scores > 0))
        if pool.size == 0:
            return []
        ids = np.asarray(self.ids, dtype=str)[pool]
        top = pool[np.lexsort((ids, -scores[pool]))[:k]]
        return [(self.ids[i], float(scores[i])) for i in top]

    def mask(self, where: Where | None) -> np.ndarray:
        """Which documents match ``where`` (memoised per filter: the index never changes)."""
        if not where:
            return np.ones(len(self.ids), dtype=bool)
        key = json.dumps(where, sort_keys=True, default=str)
        with self._masks_lock:
            hit = self._masks.get(key)
            if hit is not None:
                self._masks.move_to_end(key)
                return hit
        mask = np.fromiter((matches(m, where) for m in self.metadatas), dtype=bool, count=len(self.ids))
        mask.setflags(write=False)
        with self._masks_lock:
            self._masks[key] = mask
            while len(self._masks) > MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask

    def nearest(
        self, query_embedding: np.ndarray, k: int, where: Where | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Exact cosine nearest neighbours among documents matching ``where``: (id, text, metadata, cosine).

        What :meth:`assistant.vectors.VectorStore.query` returns, computed on the snapshot's vectors
        (exact, where Chroma's HNSW graph is approximate). Needs ``embeddings``.
        """
        if self.embeddings is None:
            raise ValueError("this index holds no embeddings")
        if k < 1:
            raise ValueError("k must be >= 1")
        if not self.ids:
            return []
        q = np.asarray(query_embedding, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        sims = self.embeddings @ q
        pool = np.flatnonzero(self.mask(where)) if where else np.arange(len(self.ids))
        if pool.size == 0:
            return []
        sub = sims[pool]
        if pool.size > k:
            part = np.argpartition(-sub, k - 1)[:k]
            pool, sub = pool[part], sub[part]
        order = np.argsort(-sub, kind="stable")
        return [
            (self.ids[i], self.texts[i], dict(self.metadatas[i]), float(sub[j]))
            for j, i in zip(order, pool[order], strict=True)
        ]

    def document(self, doc_id: str) -> tuple[str, dict[str, Any]]:
        i = self._positions()[doc_id]
        return self.texts[i], self.metadatas[i]

    def _positions(self) -> dict[str, int]:
        if not hasattr(self, "_pos"):
            self._pos = {d: i for i, d in enumerate(self.ids)}
        return self._pos


class BM25Cache:
    """BM25 indexes of Chroma collections; for collections up to ``vectors_max_items`` entries, with
    their vectors too, so a query's nearest neighbours come from memory (:meth:`BM25Index.nearest`).

    Freshness: the collection's size is read from the store at most every ``check_seconds`` (0: on
    every :meth:`get`), so documents another worker adds or deletes are seen within that time; an
    index older than ``max_age`` seconds is rebuilt (a document another worker changed in place is
    seen by then); :meth:`invalidate` drops indexes at once (the process's own ingestions and
    approvals call it).

    Example:
        >>> cache = BM25Cache(lambda name: vectors.collection(name))  # doctest: +SKIP
        >>> cache.get("policies").search("refund", k=3)  # doctest: +SKIP
    """

    def __init__(
        self,
        collection_getter: Callable[[str], Any],
        page_size: int = 5000,
        *,
        vectors_max_items: int = 0,
        max_age: float | None = None,
        check_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        if vectors_max_items < 0 or (max_age is not None and max_age <= 0) or check_seconds < 0:
            raise ValueError("need vectors_max_items >= 0, max_age > 0 and check_seconds >= 0")
        self._getter = collection_getter
        self._page = page_size
        self.vectors_max_items = vectors_max_items
        self.max_age = max_age
        self.check_seconds = check_seconds
        self._clock = clock
        self._indexes: dict[str, tuple[int, float, BM25Index]] = {}
        self._checked: dict[str, float] = {}  # when each collection's size was last read
        self._builders: dict[str, threading.Lock] = {}  # one checker/builder per collection at a time
        self._generation = 0  # bumped by invalidate(): an index built across it is not kept
        self._lock = threading.Lock()
        self.builds = 0  # indexes built so far (tests and benchmarks read it)

    def get(self, name: str) -> BM25Index:
        now = self._clock()
        with self._lock:
            cached = self._indexes.get(name)
            generation = self._generation
            if cached is not None and self._fresh(name, cached, now):
                return cached[2]
        # One thread checks (and rebuilds) while the others go on with the index they have: under
        # load a rebuild must not hold every turn behind it. Without an index, everyone waits.
        builder = self._builders.setdefault(name, threading.Lock())
        if not builder.acquire(blocking=cached is None):
            assert cached is not None
            return cached[2]
        try:
            with self._lock:  # another thread may have finished the work while this one waited
                cached = self._indexes.get(name)
                if cached is not None and self._fresh(name, cached, now):
                    return cached[2]
            col = self._getter(name)
            count = int(col.count())
            if cached is not None and cached[0] == count and (self.max_age is None or now - cached[1] < self.max_age):
                with self._lock:
                    self._checked[name] = now
                return cached[2]
            index = self._build(col, count)
            with self._lock:
                if self._generation == generation:  # not invalidated while it was built
                    self._indexes[name] = (count, now, index)
                    self._checked[name] = now
                self.builds += 1
            return index
        finally:
            builder.release()

    def _fresh(self, name: str, cached: tuple[int, float, BM25Index], now: float) -> bool:
        young = self.max_age is None or now - cached[1] < self.max_age
        return young and now - self._checked.get(name, -1e18) < self.check_seconds

    def _build(self, col: Any, count: int) -> BM25Index:
        with_vectors = self.vectors_max_items > 0 and count <= self.vectors_max_items
        include = ["documents", "metadatas", "embeddings"] if with_vectors else ["documents", "metadatas"]
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        vecs: list[np.ndarray] = []
        for offset in range(0, count, self._page):
            res = col.get(include=include, limit=self._page, offset=offset)
            ids.extend(res["ids"])
            docs.extend(d or "" for d in (res["documents"] or []))
            metas.extend(dict(m or {}) for m in (res["metadatas"] or []))
            if with_vectors:
                got = res.get("embeddings")
                rows = np.asarray(got if got is not None else [], dtype=np.float32)
                vecs.append(rows.reshape(len(res["ids"]), -1))
        embeddings = (np.vstack(vecs) if vecs else np.zeros((0, 1), np.float32)) if with_vectors else None
        return BM25Index(ids, docs, metas, embeddings=embeddings)

    def invalidate(self, name: str | None = None) -> None:
        with self._lock:
            self._generation += 1
            if name is None:
                self._indexes.clear()
                self._checked.clear()
            else:
                self._indexes.pop(name, None)
                self._checked.pop(name, None)
