"""The shop's catalog as the conversation sees it: facts per product, vocabulary, need matching.

Built from the shop's own data (products, variants, product Q&A and reviews), so it works for any
catalog: product types are the words of product names, attributes are the words of product text
and tags, categories are the catalog's categories. Product vectors come from the configured
encoder (cached on disk, shared with the interest model's cache), so a search costs one query
embedding (already computed for retrieval) and a matrix product.

Example:
    >>> idx = CatalogIndex(db, encoder)  # doctest: +SKIP
    >>> idx.named_in("how much is the Hollow Ridge Wool Beanie?").name  # doctest: +SKIP
    'Hollow Ridge Wool Beanie'
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assistant.retrieval.text import has_cjk, split_sentences, tokenize
from assistant.store.db import Database
from assistant.store.models import Product, Review

log = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def stem(word: str) -> str:
    """The catalog's word folding (the retrieval tokenizer's, so "socks" ~ "sock")."""
    toks = tokenize(word)
    return toks[0] if toks else word.lower()


def cjk_bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        out.update([run] if len(run) == 1 else {run[i : i + 2] for i in range(len(run) - 1)})
    return out


@dataclass(frozen=True)
class ProductFacts:
    """One product's own facts, as the shop states them."""

    product_id: str
    name: str
    category: str
    brand: str
    description: str
    price: float | None
    available: bool
    tags: tuple[str, ...]
    variants: tuple[tuple[dict[str, str], float | None, bool], ...]
    qa: tuple[tuple[str, str, str], ...]  # (id, question, answer)
    source: str = ""
    name_words: frozenset[str] = field(default_factory=frozenset)
    words: frozenset[str] = field(default_factory=frozenset)  # name, category, tags, description
    extra: frozenset[str] = field(default_factory=frozenset)  # Q&A and review words, CJK bigrams

    @property
    def text(self) -> str:
        parts = [self.name, self.brand, self.category, self.description, " ".join(self.tags)]
        return ". ".join(p for p in parts if p)

    def sentences(self) -> list[str]:
        return [s for s in split_sentences(self.description) if len(s) > 3]


@dataclass(frozen=True)
class Match:
    product: ProductFacts
    score: float
    attributes_met: int


class CatalogIndex:
    """In-memory view of the catalog for the turn pipeline; reloads when the products change.

    ``encode_many`` embeds product texts (passage side); ``check_seconds`` is how often the store
    is asked whether the catalog changed.
    """

    def __init__(
        self,
        db: Database,
        encode_many: Callable[[Sequence[str]], np.ndarray],
        qa_loader: Callable[[], Sequence[tuple[str, str, str, str]]] = lambda: (),
        check_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.encode_many = encode_many
        self.qa_loader = qa_loader
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._signature: tuple[object, ...] | None = None
        self._checked = 0.0
        self.products: list[ProductFacts] = []
        self.by_id: dict[str, ProductFacts] = {}
        self.vectors = np.zeros((0, 1), dtype=np.float32)
        self.categories: list[str] = []
        self.doc_freq: Counter[str] = Counter()
        self.name_freq: Counter[str] = Counter()
        self.refresh()

    # --- loading -------------------------------------------------------------------------------
    def _store_signature(self) -> tuple[object, ...]:
        with self.db.session() as s:
            row = s.execute(select(func.count(Product.id), func.max(Product.updated_at))).one()
            reviews = s.scalar(select(func.count(Review.id)))
        return (row[0], str(row[1]), reviews)

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._signature is not None and now - self._checked < self.check_seconds:
            return
        self._checked = now
        sig = self._store_signature()
        if sig == self._signature and not force:
            return
        with self._lock:
            self._load()
            self._signature = sig

    def _load(self) -> None:
        qa: dict[str, list[tuple[str, str, str]]] = {}
        extra: dict[str, set[str]] = {}
        with self.db.session() as s:
            rows = list(s.scalars(select(Product).options(selectinload(Product.variants)).order_by(Product.id)))
            for r in s.scalars(select(Review)):
                extra.setdefault(r.product_id, set()).update(tokenize(f"{r.title} {r.text}"))
        for pid, qid, q, a in self.qa_loader():
            qa.setdefault(pid, []).append((qid, q, a))
            extra.setdefault(pid, set()).update(tokenize(f"{q} {a}"))
        products = []
        for p in rows:
            variants = tuple((dict(v.options or {}), v.price, bool(v.available)) for v in p.variants)
            tags = tuple(str(t) for t in (p.tags or []))
            name_words = frozenset(tokenize(p.name))
            words = frozenset(tokenize(f"{p.name} {p.category} {p.description} {' '.join(tags)}"))
            products.append(
                ProductFacts(
                    product_id=p.id,
                    name=p.name,
                    category=p.category or "",
                    brand=p.brand or "",
                    description=p.description or "",
                    price=p.price,
                    available=bool(p.available) and (not variants or any(v[2] for v in variants)),
                    tags=tags,
                    variants=variants,
                    qa=tuple(qa.get(p.id, [])),
                    source=p.source,
                    name_words=name_words,
                    words=words,
                    extra=frozenset(extra.get(p.id, set())),
                )
            )
        self.products = products
        self.by_id = {p.product_id: p for p in products}
        self.categories = sorted({p.category for p in products if p.category})
        self.doc_freq = Counter(w for p in products for w in p.words)
        self.name_freq = Counter(w for p in products for w in p.name_words)
        self.vectors = (
            np.asarray(self.encode_many([p.text for p in products]), dtype=np.float32)
            if products
            else np.zeros((0, 1), dtype=np.float32)
        )
        log.info("catalog index: %d products, %d categories", len(products), len(self.categories))

    # --- lookups -------------------------------------------------------------------------------
    def get(self, product_id: str | None) -> ProductFacts | None:
        return self.by_id.get(product_id) if product_id else None

    def named_in(self, text: str, *, pointed: bool = True) -> ProductFacts | None:
        """The product the message names: most distinctive name words present (at least two, or all),
        else the first word of its name when no other product's text holds it ("the Basalt", "the
        Glowworm": a product's own name, as customers shorten it; not a type word such as "tent")."""
        q = set(tokenize(text))
        own = {p.product_id: p for p in self.products if (w := self._own_name(p)) is not None and w in q}
        # "is the skillet dishwasher safe?": "the" and a word of one product's name only (``pointed``:
        # the caller lets a single such word name a product).
        if pointed:
            words = set(tokenize(" ".join(re.findall(r"\b(?:the|this|that|your)\s+([^\W\d_][\w'-]+)", text, re.I))))
            own.update({p.product_id: p for p in self.products for w in p.name_words & words if self.name_freq[w] == 1})
        best: tuple[float, ProductFacts] | None = None
        for p in self.products:
            overlap = p.name_words & q
            if not overlap:
                continue
            need = min(2, len(p.name_words))
            if len(overlap) < need:
                continue
            # Distinctive words weigh more: "wool" is in several names, "beanie" in one.
            score = sum(1.0 / self.name_freq[w] for w in overlap) + len(overlap) / max(len(p.name_words), 1)
            if best is None or score > best[0]:
                best = (score, p)
        if best is None and len(own) == 1:
            return next(iter(own.values()))
        return best[1] if best else None

    def _own_name(self, product: ProductFacts) -> str | None:
        """The first word of the product's name when it is the product's alone: in no other product's
        name or text, and not a short word."""
        words = tokenize(product.name)
        if not words or len(words) < 2:
            return None
        word = words[0]
        return word if len(word) >= 4 and self.name_freq[word] == 1 and self.doc_freq[word] == 1 else None

    def type_products(self, noun: str) -> list[ProductFacts]:
        """Products whose name carries the noun ("socks" -> the socks; "tent" -> the tents)."""
        s = stem(noun)
        return [p for p in self.products if s in p.name_words]

    def category_named(self, words: Sequence[str]) -> str | None:
        """A category whose name contains one of the words ("kitchen" -> "Kitchen")."""
        stems = {stem(w) for w in words}
        for c in self.categories:
            if stems & set(tokenize(c)):
                return c
        return None

    def is_vocabulary(self, word: str) -> bool:
        return self.doc_freq.get(stem(word), 0) > 0

    def infer_category(self, query_vec: np.ndarray, top: int = 2) -> tuple[str | None, float]:
        """The category whose best products match the query best (mean of its top cosines)."""
        if not len(self.products):
            return None, 0.0
        sims = self.vectors @ query_vec
        best: tuple[str | None, float] = (None, -1.0)
        for c in self.categories:
            idx = [i for i, p in enumerate(self.products) if p.category == c]
            vals = sorted((float(sims[i]) for i in idx), reverse=True)[:top]
            score = float(np.mean(vals)) if vals else -1.0
            if score > best[1]:
                best = (c, score)
        return best

    def similarity(self, query_vec: np.ndarray) -> np.ndarray:
        return self.vectors @ query_vec if len(self.products) else np.zeros(0, dtype=np.float32)

    def search(
        self,
        query_vec: np.ndarray | None,
        *,
        candidates: Sequence[ProductFacts] | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
        attributes: Sequence[str] = (),
        uses: Sequence[str] = (),
        query_text: str = "",
        attribute_weight: float = 0.15,
        exclude: Sequence[str] = (),
    ) -> list[Match]:
        """Rank products: hard price limits, then attributes met, then similarity to the need."""
        pool = list(candidates) if candidates is not None else list(self.products)
        pool = [
            p
            for p in pool
            if p.product_id not in exclude
            and (price_max is None or (p.price is not None and p.price <= price_max))
            and (price_min is None or (p.price is not None and p.price >= price_min))
        ]
        if not pool:
            return []
        sims = self.similarity(query_vec) if query_vec is not None else np.zeros(len(self.products))
        pos = {p.product_id: i for i, p in enumerate(self.products)}
        attr_stems = [stem(a) for a in attributes if self.is_vocabulary(a)]
        use_stems = [stem(u) for u in uses if self.is_vocabulary(u)]
        grams = cjk_bigrams(query_text) if has_cjk(query_text) else set()
        out = []
        for p in pool:
            met = sum(1 for a in attr_stems if a in p.words or a in p.extra)
            used = sum(1 for u in use_stems if u in p.words)
            score = float(sims[pos[p.product_id]]) if len(sims) else 0.0
            score += attribute_weight * (met + 0.5 * used)
            if grams:
                # Text in the customer's language (Chinese Q&A, reviews) about this product.
                score += attribute_weight * len(grams & p.extra)
            out.append(Match(p, score, met))
        best_met = max(m.attributes_met for m in out)
        if attr_stems and best_met > 0:
            # Products with every attribute the best ones have come first; the rest only pad.
            out.sort(key=lambda m: (-(m.attributes_met >= best_met), -m.score))
        else:
            out.sort(key=lambda m: -m.score)
        return out
