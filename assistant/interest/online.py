"""Online interest profiles and explained recommendations for the conversation engine and UI.

Two modes, reported by :attr:`InterestService.mode`:

* ``trained``: the newest checkpoint in ``settings.checkpoint_dir`` (or the one given) scores items;
  products added after training are scored from their text alone (cold start);
* ``untrained``: no checkpoint. The chat text is matched to product text, and the history acts
  through a recency- and event-weighted mean of the product-text vectors of the items it touched.

Trained, the products that pass the hard filters are ranked by the served blend
(:mod:`assistant.interest.blend`): the model's score plus co-occurrence, popularity and leaf-mass
terms, with the weights training chose on validation customers and stored in the checkpoint; the
counts come from the stored events (recomputed in the background every
``interest.blend_stats_seconds``). A checkpoint without blend weights (written before they existed)
is served by the model's score alone, and :attr:`InterestService.mode_reason` says so.

Example:
    >>> svc = InterestService(Settings(data_dir="data"), Database(Settings(data_dir="data")))  # doctest: +SKIP
    >>> svc.mode  # doctest: +SKIP
    'untrained'
    >>> for r in svc.recommend("C001", "a warm jacket for hiking", k=3):  # doctest: +SKIP
    ...     print(r.name, r.reason)

Over 400 lines on purpose: one cohesive service (profiles, scoring and the explanations that must
read the same scores); the model and training code live elsewhere.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from sqlalchemy import func, select

from assistant.config import Settings
from assistant.interest.blend import BlendStats, ServedBlend
from assistant.interest.data import EVENT_INDEX, Catalog, catalog_from_products
from assistant.interest.models import InterestModel, ModelInputs
from assistant.interest.text import TextEncoder
from assistant.interest.training import load_checkpoint
from assistant.store.db import Database
from assistant.store.models import EVENT_TYPES, Event, Product
from assistant.types import SessionEvent

log = logging.getLogger(__name__)

#: Said (mode_reason, log) when a checkpoint has no blend weights: how it is served instead.
NO_BLEND = (
    "no blend weights in this checkpoint (trained before they were stored): ranked by the model's score "
    "alone; retrain (shopassist train) to serve the blend"
)

# What the customer did to a product, as a phrase around its name ("you put X in your cart").
_DID = {
    "view": "viewed {}",
    "click": "looked at {}",
    "cart": "put {} in your cart",
    "purchase": "bought {}",
    "review": "reviewed {}",
}
_PHRASE_SPLIT = re.compile(r"[.!?;,\n]+|\s+(?:and|but|also)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class RecFilters:
    """Hard filters applied before ranking (category: case-insensitive substring of the path)."""

    category: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock_only: bool = False


@dataclass(frozen=True)
class ScoredItem:
    """The encoder's raw top-k entry. The panel turns it into the public ``Recommendation``
    (assistant.conversation.types), whose reason is built from the conversation state."""

    product_id: str
    name: str
    category: str
    price: float | None
    score: float
    reason: str
    contributions: list[tuple[str, float]]  # (history product name or chat phrase, weight)


@dataclass(frozen=True)
class Profile:
    customer_id: str | None
    top_categories: list[tuple[str, float]]
    history: list[tuple[datetime, str, list[tuple[str, float]]]]  # (time, label, category weights after)


#: What the live chat gives the profile: one message, or the recent customer messages oldest first.
ChatText = str | Sequence[str]


@dataclass(frozen=True)
class _Chat:
    """The chat as the scorer sees it: one request vector, and the phrases that explain it."""

    vec: np.ndarray  # (d,) unit vector, recency-weighted over messages
    phrases: list[str]  # newest message's phrases first
    phrase_vecs: np.ndarray  # (len(phrases), d)


@dataclass
class _Evt:
    time: datetime
    item: int
    etype: str


class InterestService:
    """Customer profiles and top-k products from stored events plus the live chat.

    Example:
        >>> svc = InterestService(settings, db)  # doctest: +SKIP
        >>> svc.record_event("C001", "JP-001", "view")  # doctest: +SKIP
        >>> svc.recommend("C001", "something for rain", k=5, filters=RecFilters(max_price=150))  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, db: Database, checkpoint: Path | None = None) -> None:
        self.settings = settings
        self.cfg = settings.interest
        self.db = db
        self.encoder = TextEncoder(settings.embedding_model, settings.data_dir / "cache" / "interest")
        self._lock = threading.RLock()
        self._events: dict[str, list[_Evt]] = {}
        self._popular_counts: tuple[float, np.ndarray] | None = None  # (monotonic time read, counts)
        self._popular_generation = 0  # bumped by every event recorded here: a read begun before is not kept
        self.model: InterestModel | None = None
        self.blend: ServedBlend | None = None  # the served ranking's weights (None: the model's score alone)
        self._stats: tuple[float, BlendStats] | None = None  # (monotonic time computed, counts)
        self._stats_thread: threading.Thread | None = None
        self.mode: Literal["trained", "untrained"] = "untrained"
        self.mode_reason = ""
        self.checkpoint: Path | None = None
        self.refresh_catalog(checkpoint)

    # --- catalog and model -------------------------------------------------------------------
    def refresh_catalog(self, checkpoint: Path | None = None) -> None:
        """(Re)load products and item vectors; call after a catalog ingestion."""
        with self.db.session() as s:
            products = list(s.scalars(select(Product).order_by(Product.id)))
            self.catalog: Catalog = catalog_from_products(products, max_chars=self.cfg.item_text_max_chars)
        self.item_text = self.encoder.encode_many(self.catalog.texts)
        self.categories = np.asarray(self.catalog.categories, dtype=object)
        self.prices = np.asarray([np.nan if p is None else p for p in self.catalog.prices], dtype=np.float64)
        self.available = np.asarray(self.catalog.available, dtype=bool)
        path = checkpoint or self._newest_checkpoint()
        self.model, self.checkpoint, self.blend, self._stats = None, None, None, None
        if path is None:
            self.mode = "untrained"
            self.mode_reason = f"no checkpoint in {self.settings.checkpoint_dir}; text similarity only"
        else:
            self._load_model(path)
        self.item_vecs = self._item_vectors()
        self._popular_counts = None  # catalog positions may have changed
        self._popular_generation += 1

    def refresh(self) -> None:
        """Reload after the stores changed (an ingestion): catalog, item vectors and cached histories.

        The checkpoint in use stays in use (an activated one stays active) unless it was deleted.
        """
        with self._lock:
            keep = self.checkpoint if self.checkpoint is not None and self.checkpoint.is_file() else None
            self.refresh_catalog(checkpoint=keep)
            # Cached histories hold catalog positions, which a new catalog renumbers.
            self._events.clear()

    def _newest_checkpoint(self) -> Path | None:
        d = self.settings.checkpoint_dir
        found = sorted(d.glob("*.pt"), key=lambda p: p.stat().st_mtime) if d.is_dir() else []
        return found[-1] if found else None

    def _load_model(self, path: Path) -> None:
        ck = load_checkpoint(path)
        old = {pid: i for i, pid in enumerate(ck.item_ids) if i > 0}
        trained = ck.model
        # Rebuild the model over today's catalog: known items keep their learned id vector,
        # new ones are scored from their text only (their id vector stays zero and unused).
        has_hist = np.zeros(len(self.catalog.ids), dtype=bool)
        remap = np.zeros(len(self.catalog.ids), dtype=np.int64)
        old_hist = trained.item_has_history.cpu().numpy()
        for i, pid in enumerate(self.catalog.ids):
            j = old.get(pid)
            if i > 0 and j is not None:
                remap[i] = j
                has_hist[i] = bool(old_hist[j])
        model = type(trained)(trained.cfg, torch.from_numpy(self.item_text), torch.from_numpy(has_hist))
        state = trained.state_dict()
        for key in [k for k in state if k.endswith("item_id.weight") or k.endswith("item_emb.weight")]:
            state[key] = state[key][torch.from_numpy(remap)] * torch.from_numpy(has_hist)[:, None]
        model.load_state_dict(state)
        model.eval()
        raw = ck.meta.get("blend")
        blend = None if raw is None else ServedBlend.from_dict(raw, where=str(path))
        self.model, self.checkpoint, self.blend = model, path, blend
        self.mode = "trained"
        self.mode_reason = f"checkpoint {path.name} (data {ck.fingerprint}, {ck.meta.get('dataset')})"
        if blend is None:
            self.mode_reason += f"; {NO_BLEND}"
            log.warning("%s: %s", path.name, NO_BLEND)
        else:
            self._stats = (time.monotonic(), self._compute_stats())

    @torch.inference_mode()
    def _item_vectors(self) -> np.ndarray:
        if self.model is None:
            return self.item_text
        v = self.model.item_vectors().float()
        out: np.ndarray = (v / v.norm(dim=1, keepdim=True).clamp(min=1e-9)).numpy()
        return out

    # --- the served blend's counts ------------------------------------------------------------
    def _compute_stats(self) -> BlendStats:
        """Co-occurrence and counts of the blend from every stored event (time order per customer)."""
        with self.db.session() as s:
            rows = s.execute(
                select(Event.customer_id, Event.product_id).order_by(Event.customer_id, Event.timestamp, Event.id)
            ).all()
        seqs: dict[str, list[int]] = {}
        for cid, pid in rows:
            i = self.catalog.index.get(pid)
            if i is not None:
                seqs.setdefault(cid, []).append(i)
        cold_prior = self.blend.cold_prior if self.blend is not None else self.cfg.blend_cold_prior
        return BlendStats.fit(
            [np.asarray(v, dtype=np.int64) for v in seqs.values()],
            self.catalog.categories,
            self.cfg.itemknn_neighbors,
            cold_prior=cold_prior,
        )

    def _blend_stats(self) -> BlendStats:
        """The counts in use; once older than ``blend_stats_seconds`` a background thread recomputes
        them while these keep serving (0: recomputed here, on every call)."""
        cached = self._stats
        ttl = self.cfg.blend_stats_seconds
        if cached is None or ttl == 0:
            stats = self._compute_stats()
            self._stats = (time.monotonic(), stats)
            return stats
        if time.monotonic() - cached[0] >= ttl:
            with self._lock:
                if self._stats_thread is None or not self._stats_thread.is_alive():
                    catalog = self.catalog

                    def work() -> None:
                        stats = self._compute_stats()
                        if self.catalog is catalog:  # not replaced by a catalog reload meanwhile
                            self._stats = (time.monotonic(), stats)

                    self._stats_thread = threading.Thread(target=work, name="interest-blend-stats", daemon=True)
                    self._stats_thread.start()
        return cached[1]

    def category_size(self, category: str | None) -> int | None:
        """How many products a category filter (case-insensitive substring of the path) keeps; None:
        no category. Decides the request's blend kind (:meth:`ServedBlend.kind`)."""
        if not category:
            return None
        needle = category.lower()
        return sum(needle in c.lower() for c in self.catalog.categories[1:])

    @torch.inference_mode()
    def served_scores(
        self,
        evts: list[_Evt],
        u: np.ndarray,
        with_request: bool,
        category_items: int | None,
        behavior_u: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """(M+1,) the served blend's score of every product for a customer whose unit vector is ``u``
        (with the request, when ``with_request``; ``behavior_u``: the behavior-only one, computed here
        when not given) and whose history is ``evts``; the request names a category of
        ``category_items`` products (None: none). None when no blend is loaded (the caller ranks by
        the model's score). Hard filters are the caller's; the order inside them is this.

        The same function as the evaluation's ``ours_online`` (:meth:`ServedBlend.scores`)."""
        if self.blend is None or self.model is None:
            return None
        tau = self.model.cfg.score_temperature
        vecs = torch.from_numpy(self.item_vecs)
        model = (vecs @ torch.from_numpy(np.ascontiguousarray(u, dtype=np.float32)) / tau)[None]
        model[:, 0] = -torch.inf
        if with_request:
            ub = self._user_vectors([evts], None)[0] if behavior_u is None else behavior_u
            behavior = (vecs @ torch.from_numpy(np.ascontiguousarray(ub, dtype=np.float32)) / tau)[None]
            behavior[:, 0] = -torch.inf
        else:
            behavior = model
        hist = [np.asarray([e.item for e in evts], dtype=np.int64)]
        stats = self._blend_stats()
        terms = stats.terms(hist, behavior, model if with_request else None)
        kinds = [self.blend.kind(category_items)] if with_request else None
        out: np.ndarray = self.blend.scores(model, terms, kinds)[0].numpy()
        return out

    # --- events ------------------------------------------------------------------------------
    def _stored_events(self, customer_id: str) -> list[_Evt]:
        with self._lock:
            hit = self._events.get(customer_id)
            if hit is not None:
                return hit
            with self.db.session() as s:
                rows = s.execute(
                    select(Event.timestamp, Event.product_id, Event.event_type)
                    .where(Event.customer_id == customer_id)
                    .order_by(Event.timestamp, Event.id)
                ).all()
            evts = [_Evt(t, self.catalog.index[p], e) for t, p, e in rows if p in self.catalog.index]
            self._events[customer_id] = evts
            return evts

    def _events_for(self, customer_id: str | None, session_events: Sequence[SessionEvent]) -> list[_Evt]:
        evts = list(self._stored_events(customer_id)) if customer_id else []
        for e in session_events:
            i = self.catalog.index.get(e.product_id)
            if i is not None:
                evts.append(_Evt(e.timestamp or datetime.now(UTC), i, e.event_type))
        return evts[-self.cfg.max_seq_len :]

    def record_event(self, customer_id: str, product_id: str, event_type: str, session_id: str | None = None) -> None:
        """Store an event and update the cached profile (the next recommend sees it)."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"event_type: expected one of {EVENT_TYPES}, got {event_type!r}")
        if product_id not in self.catalog.index:
            raise ValueError(f"product_id: unknown product {product_id!r}")
        now = datetime.now(UTC)
        with self.db.session() as s:
            s.add(
                Event(
                    id=uuid.uuid4().hex,
                    customer_id=customer_id,
                    product_id=product_id,
                    event_type=event_type,
                    timestamp=now,
                    session_id=session_id,
                    source="online",
                )
            )
        with self._lock:
            evts = self._stored_events(customer_id)
            evts.append(_Evt(now, self.catalog.index[product_id], event_type))
            self._popular_generation += 1
            self._popular_counts = None

    # --- scoring -----------------------------------------------------------------------------
    def _chat(self, chat_text: ChatText) -> _Chat | None:
        """Embed the chat: each message and phrase once (memoised), all new ones in one model call.

        A new message thus costs one short encoder call however long the conversation is; the
        request vector is the recency-weighted mean of the recent messages' vectors.
        """
        raw = [chat_text] if isinstance(chat_text, str) else list(chat_text)
        messages = [m.strip() for m in raw if m and m.strip()][-self.cfg.chat_messages :]
        if not messages:
            return None
        phrases: list[str] = []
        for m in reversed(messages):
            for ph in self._phrases(m):
                if ph not in phrases:
                    phrases.append(ph)
        phrases = phrases[: self.cfg.explain_phrases]
        vecs = self.encoder.encode_queries([*messages, *phrases])
        weights = self.cfg.chat_decay ** np.arange(len(messages) - 1, -1, -1, dtype=np.float32)
        v = (weights[:, None] * vecs[: len(messages)]).sum(0)
        v = (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)
        return _Chat(v, phrases, vecs[len(messages) :])

    @torch.inference_mode()
    def _user_vectors(self, seqs: list[list[_Evt]], chat: np.ndarray | None, behavior_too: bool = False) -> np.ndarray:
        """(S, d) unit customer vectors, one per event sequence (all with the same chat). ``behavior_too``
        (a trained model and a chat): one more row, the first sequence's behavior-only vector, from
        the same pass through the behavior encoder (what the served blend's behavior terms read)."""
        if self.model is None:
            out = []
            for evts in seqs:
                v = np.zeros(self.item_text.shape[1], dtype=np.float32)
                n = len(evts)
                for j, e in enumerate(evts):
                    w = self.cfg.event_weights.get(e.etype, 1.0) * self.cfg.profile_decay ** (n - 1 - j)
                    v += w * self.item_text[e.item]
                nv = float(np.linalg.norm(v))
                v = v / nv if nv > 0 else v
                if chat is not None:
                    # The request is what they want now: it weighs as much as the whole history.
                    v = v + chat
                out.append(v)
            return np.stack(out).astype(np.float32)
        length = max(1, max(len(s) for s in seqs))
        items = torch.zeros(len(seqs), length, dtype=torch.long)
        events = torch.zeros(len(seqs), length, dtype=torch.long)
        for r, evts in enumerate(seqs):
            if evts:
                items[r, length - len(evts) :] = torch.tensor([e.item for e in evts])
                events[r, length - len(evts) :] = torch.tensor([EVENT_INDEX.get(e.etype, 1) for e in evts])
        batch = ModelInputs(items, events)
        if chat is not None:
            batch.text = torch.from_numpy(np.broadcast_to(chat, (len(seqs), chat.shape[0])).copy())
            batch.has_text = torch.ones(len(seqs), dtype=torch.bool)
        if chat is not None and behavior_too:
            with_text, alone = self.model.user_vectors_many(ModelInputs(items, events), [batch.text, None])
            u = torch.cat([with_text, alone[:1]]).float()
        else:
            u = self.model.user_vectors(batch).float()
        unit: np.ndarray = (u / u.norm(dim=1, keepdim=True).clamp(min=1e-9)).numpy()
        return unit

    def _allowed(self, filters: RecFilters | None, excluded: set[int]) -> np.ndarray:
        ok = np.ones(len(self.catalog.ids), dtype=bool)
        ok[0] = False
        if filters is not None:
            if filters.category:
                needle = filters.category.lower()
                ok &= np.fromiter((needle in c.lower() for c in self.catalog.categories), bool, len(ok))
            if filters.min_price is not None:
                ok &= ~np.isnan(self.prices) & (self.prices >= filters.min_price)
            if filters.max_price is not None:
                ok &= ~np.isnan(self.prices) & (self.prices <= filters.max_price)
            if filters.in_stock_only:
                ok &= self.available
        if excluded:
            ok[list(excluded)] = False
        return ok

    def recommend(
        self,
        customer_id: str | None,
        chat_text: ChatText = "",
        session_events: Sequence[SessionEvent] = (),
        k: int = 5,
        filters: RecFilters | None = None,
        include_purchased: bool = False,
    ) -> list[ScoredItem]:
        """Top-k products for the customer now, each with a reason and its top contributions.

        ``chat_text`` is the latest message, or the recent customer messages oldest first.
        """
        evts = self._events_for(customer_id, session_events)
        chat = self._chat(chat_text)
        if not evts and chat is None:
            return self._popular(k, filters)
        h = min(len(evts), self.cfg.explain_history)
        variants: list[list[_Evt]] = []
        if self.model is not None:
            # The leave-one-out variants for the explanations ride along in the same forward pass.
            variants = [evts[:j] + evts[j + 1 :] for j in range(len(evts) - h, len(evts))]
        both = self.blend is not None and chat is not None  # the blend reads the behavior-only vector too
        uv = self._user_vectors([evts, *variants], chat.vec if chat else None, behavior_too=both)
        ub = uv[-1] if both else None
        uv = uv[:-1] if both else uv
        u, loo = uv[0], uv[1:]
        scores = self.item_vecs @ u
        excluded = set() if include_purchased else {e.item for e in evts if e.etype == "purchase"}
        ok = self._allowed(filters, excluded)
        cand = np.flatnonzero(ok)
        if len(cand) == 0:
            return []
        # The hard filters, then the served blend (the model's score when no blend is loaded).
        category_items = self.category_size(filters.category if filters else None)
        served = self.served_scores(evts, u, chat is not None, category_items, ub)
        order = scores if served is None else served
        top = cand[np.argsort(-order[cand], kind="stable")[:k]]
        recs = self._explain(top, scores[top], evts, chat, loo)
        if served is None:
            return recs
        return [replace(r, score=float(served[i])) for r, i in zip(recs, top, strict=True)]

    def _popular(self, k: int, filters: RecFilters | None) -> list[ScoredItem]:
        """Nobody to personalise for: most-interacted products (by stored events) pass the filters."""
        counts = self._event_counts()
        cand = np.flatnonzero(self._allowed(filters, set()))
        top = cand[np.argsort(-counts[cand], kind="stable")[:k]]
        return [
            ScoredItem(
                self.catalog.ids[i],
                self.catalog.names[i],
                self.catalog.categories[i],
                self.catalog.prices[i],
                float(counts[i]),
                "Popular with other customers",
                [],
            )
            for i in top
        ]

    def _event_counts(self) -> np.ndarray:
        """Stored events per catalog position, read at most every ``popular_cache_seconds``."""
        cached = self._popular_counts
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.cfg.popular_cache_seconds:
            return cached[1]
        generation = self._popular_generation
        with self.db.session() as s:  # counted by the database: one row per product, not per event
            rows = s.execute(select(Event.product_id, func.count()).group_by(Event.product_id)).all()
        counts = np.zeros(len(self.catalog.ids))
        for p, n in rows:
            i = self.catalog.index.get(p)
            if i is not None:
                counts[i] += n
        with self._lock:
            if generation == self._popular_generation:
                self._popular_counts = (now, counts)
        return counts

    # --- explanations ------------------------------------------------------------------------
    @staticmethod
    def _phrases(message: str) -> list[str]:
        parts = [p.strip() for p in _PHRASE_SPLIT.split(message) if p and len(p.strip()) > 2]
        return parts or ([message.strip()] if message.strip() else [])

    def _explain(
        self,
        top: np.ndarray,
        top_scores: np.ndarray,
        evts: list[_Evt],
        chat: _Chat | None,
        loo: np.ndarray,
    ) -> list[ScoredItem]:
        # History: leave-one-out over the newest events; the score drop when an event is removed
        # is that event's contribution (one batched forward pass).
        h = min(len(evts), self.cfg.explain_history)
        hist_contrib = np.zeros((0, len(top)), dtype=np.float32)
        if h and self.model is None:
            # The untrained score is linear in the history, so its exact decomposition is used
            # (leave-one-out would be distorted by the renormalisation of the mean).
            n, start = len(evts), len(evts) - h
            w = np.array(
                [
                    self.cfg.event_weights.get(e.etype, 1.0) * self.cfg.profile_decay ** (n - 1 - j)
                    for j, e in enumerate(evts)
                ],
                dtype=np.float32,
            )
            hist_vec = (w[:, None] * self.item_text[[e.item for e in evts]]).sum(0)
            norm = max(float(np.linalg.norm(hist_vec)), 1e-9)
            sims = self.item_text[[e.item for e in evts[start:]]] @ self.item_text[top].T
            hist_contrib = w[start:, None] * sims / norm
        elif h:
            # Leave-one-out: the score drop when an event is removed is that event's contribution.
            hist_contrib = top_scores[None, :] - loo @ self.item_vecs[top].T  # (h, k)
        phrases, phrase_sim = [], np.zeros((0, len(top)), dtype=np.float32)
        if chat is not None:
            phrases = chat.phrases
            phrase_sim = chat.phrase_vecs @ self.item_text[top].T  # (p, k)
        recs = []
        for c, item in enumerate(top):
            per_product: dict[int, tuple[float, str]] = {}
            for j in range(h):
                e = evts[len(evts) - h + j]
                acc, et = per_product.get(e.item, (0.0, e.etype))
                if self.cfg.event_weights.get(e.etype, 0) > self.cfg.event_weights.get(et, 0):
                    et = e.etype
                per_product[e.item] = (acc + float(hist_contrib[j, c]), et)
            hist = sorted(per_product.items(), key=lambda kv: -kv[1][0])
            contribs: list[tuple[str, float]] = [(self.catalog.names[i], round(w, 4)) for i, (w, _) in hist]
            best_phrase = ""
            if phrases:
                order = np.argsort(-phrase_sim[:, c])
                best_phrase = phrases[int(order[0])]
                contribs += [(f'"{phrases[int(p)]}"', round(float(phrase_sim[p, c]), 4)) for p in order]
            contribs.sort(key=lambda t: -t[1])
            bits = []
            # "Because you viewed X" about X itself says nothing: cite the best other item.
            others = [(i, we) for i, we in hist if i != item and we[0] > 0]
            top_weight = max((w for _, w in contribs), default=0.0)
            if others and others[0][1][0] >= 0.25 * top_weight:  # don't cite a marginal event
                name, etype = self.catalog.names[others[0][0]], others[0][1][1]
                bits.append("you " + _DID.get(etype, _DID["view"]).format(name))
            elif hist and hist[0][0] == item and hist[0][1][0] > 0:
                bits.append("you " + _DID.get(hist[0][1][1], _DID["view"]).format("it") + " before")
            if best_phrase:
                bits.append(f'{"" if bits else "you "}asked about "{best_phrase}"')
            reason = (
                ("Because " + " and ".join(bits))
                if bits
                else f"Matches your interest in {self.catalog.categories[item]}"
            )
            recs.append(
                ScoredItem(
                    product_id=self.catalog.ids[item],
                    name=self.catalog.names[item],
                    category=self.catalog.categories[item],
                    price=self.catalog.prices[item],
                    score=float(top_scores[c]),
                    reason=reason,
                    contributions=contribs[:5],
                )
            )
        return recs

    # --- profile -----------------------------------------------------------------------------
    def _category_weights(self, u: np.ndarray, n: int = 5) -> list[list[tuple[str, float]]]:
        """Predicted interest per category: softmax over item scores, summed by category."""
        s = (u @ self.item_vecs.T)[:, 1:] / self.cfg.profile_temperature
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        cats = self.categories[1:]
        names, inv = np.unique(cats, return_inverse=True)
        out = []
        for row in p:
            agg = np.bincount(inv, weights=row, minlength=len(names))
            order = np.argsort(-agg)[:n]
            out.append([(str(names[i]), round(float(agg[i]), 4)) for i in order])
        return out

    def profile(
        self, customer_id: str | None, chat_text: ChatText = "", session_events: Sequence[SessionEvent] = ()
    ) -> Profile:
        """Top categories now, and how they moved after each of the recent events."""
        evts = self._events_for(customer_id, session_events)
        chat = self._chat(chat_text)
        if not evts and chat is None:
            return Profile(customer_id, [], [])
        prefixes = [evts[: j + 1] for j in range(len(evts))]
        now = self._user_vectors([evts], chat.vec if chat else None)
        weights = self._category_weights(now)[0]
        history: list[tuple[datetime, str, list[tuple[str, float]]]] = []
        if prefixes:
            steps = self._category_weights(self._user_vectors(prefixes, None), n=3)
            for e, w in zip(evts, steps, strict=True):
                label = f"{e.etype}: {self.catalog.names[e.item]}"
                history.append((e.time, label, w))
        return Profile(customer_id, weights, history)
