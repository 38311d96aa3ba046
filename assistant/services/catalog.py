"""The shop's data: ingestion runs (CLI, HTTP upload and admin page all go through here), removing a
source, product details, collection statistics, and refreshing what caches the data.

After any run that changes products, customers or events, the interest service reloads its
catalog and item vectors (and forgets cached event histories), so a new product is recommendable
at once; after any run that changes a vector collection, the BM25 indexes are rebuilt on next use.

Example:
    >>> report = services.catalog.ingest([Path("catalog.json")], "auto")  # doctest: +SKIP
    >>> services.catalog.product_details("JP-001").name  # doctest: +SKIP
    'Alder Rain Shell'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from assistant.config import Settings
from assistant.services.types import Conflict, NotFound, ProductDetails
from assistant.store.db import Database
from assistant.store.models import Product, Review
from assistant.vectors import VectorStore
from ingest.pipeline import ProgressEvent, RunReport, ingest_paths, remove_source

if TYPE_CHECKING:
    from assistant.conversation.engine import Assistant
    from assistant.interest.online import InterestService

log = logging.getLogger(__name__)

#: Record kinds the interest service reads (its catalog, customers' histories).
INTEREST_KINDS = frozenset({"product", "customer", "event", "order", "review"})


def _changed_kinds(report: RunReport) -> set[str]:
    return {kind for kind, c in report.counts.items() if c.written or c.replaced}


class CatalogService:
    """Ingestion and the caches that depend on the ingested data (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        vectors: VectorStore,
        loaded_engine: Callable[[], Assistant | None],
        loaded_interest: Callable[[], InterestService | None],
    ) -> None:
        self.settings = settings
        self.db = db
        self.vectors = vectors
        self._engine = loaded_engine
        self._interest = loaded_interest
        # One ingestion at a time per process: two runs over one source would race on its records.
        self.lock = threading.Lock()

    # --- ingestion --------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        fmt: str = "auto",
        *,
        source: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
        progress: Callable[[ProgressEvent], None] | None = None,
        wait: bool = True,
    ) -> RunReport:
        """Ingest files or folders into the stores, then refresh the caches that depend on what changed.

        ``wait=False`` raises :class:`Conflict` at once when another run is in progress.
        """
        if not self.lock.acquire(blocking=wait):
            raise Conflict("Another ingestion run is in progress. Try again when it finishes.")
        try:
            report = ingest_paths(
                list(paths),
                fmt,
                settings=self.settings,
                source=source,
                dry_run=dry_run,
                strict=strict,
                progress=progress,
                db=self.db,
                vectors=self.vectors,
            )
        finally:
            self.lock.release()
        if not dry_run:
            changed = _changed_kinds(report)
            if changed:
                self.refresh(interest=bool(changed & INTEREST_KINDS))
        return report

    def remove_source(self, source: str) -> dict[str, int]:
        """Remove everything one source brought in (both stores), then refresh the caches."""
        with self.lock:
            removed = remove_source(source, settings=self.settings, db=self.db, vectors=self.vectors)
        if any(removed.values()):
            self.refresh()
        return removed

    def refresh(self, *, interest: bool = True, retrieval: bool = True) -> None:
        """Make loaded caches see the stores as they are now (engines not loaded yet need nothing)."""
        svc = self._interest()
        if interest and svc is not None:
            try:
                svc.refresh()
            except Exception:
                log.exception("refreshing the interest service after ingestion failed")
        engine = self._engine()
        if retrieval and engine is not None:
            refresh = getattr(engine, "refresh", None)
            if callable(refresh):
                refresh()
            else:
                invalidated: set[int] = set()
                for retriever in getattr(engine, "retrievers", {}).values():
                    cache = getattr(retriever, "bm25", None)
                    if cache is not None and id(cache) not in invalidated:
                        cache.invalidate()
                        invalidated.add(id(cache))

    # --- reading ----------------------------------------------------------------------------
    def product_details(self, product_id: str) -> ProductDetails:
        """The product and a summary of its reviews (average, count, the best and the worst)."""
        with self.db.session() as s:
            p = s.get(Product, product_id)
            if p is None:
                raise NotFound("That product is no longer in the catalog.")
            avg, count = s.execute(
                select(func.avg(Review.rating), func.count()).where(Review.product_id == product_id)
            ).one()
            reviews = s.scalars(
                select(Review).where(Review.product_id == product_id).order_by(Review.rating.desc()).limit(50)
            ).all()
            picks = ([reviews[0]] + ([reviews[-1]] if len(reviews) > 1 else [])) if reviews else []
            return ProductDetails(
                product_id=p.id,
                name=p.name,
                category=p.category,
                price=p.price,
                available=bool(p.available),
                description=p.description or "",
                review_count=int(count or 0),
                review_average=float(avg) if avg is not None else None,
                review_quotes=[((r.title + ": " if r.title else "") + r.text, r.rating) for r in picks],
            )

    def stats(self) -> dict[str, Any]:
        """Counts per vector collection, SQL table and source (``shopassist stats``)."""
        from ingest.stats import collect_stats

        result: dict[str, Any] = collect_stats(self.settings)
        return result
