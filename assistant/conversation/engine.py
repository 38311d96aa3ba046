"""The conversation engine: one customer message in, one cited reply (streamed or not) out.

A turn runs typed stages over a :class:`Turn`: load (repository) → language → routing (small talk,
identity step, scope, orders, product question, shopping need, service question) → answer
(extractive, or a generator behind the groundedness guard) → handoff → recommendation panel →
output guard (no other customer's details) → save. The conversation's typed state
(:class:`~assistant.conversation.state.ConversationState`) carries the need, the products shown,
the product in focus, the pending identity step and the language from turn to turn.

This module is the orchestration; routing cues live in ``understand``, catalog matching in
``catalog``, wording in ``templates`` and ``compose``, the panel in ``panel``, SQL in ``repository``.

Example:
    >>> bot = Assistant(settings, Database(settings), VectorStore(settings))  # doctest: +SKIP
    >>> cid = bot.start_conversation()  # doctest: +SKIP
    >>> print(bot.send(cid, "How long do I have to return boots?").text)  # doctest: +SKIP
    Here is what our policy says about **Returns**: ...
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from assistant.config import Settings
from assistant.conversation import understand as cue
from assistant.conversation.catalog import CatalogIndex, ProductFacts, cjk_bigrams, stem
from assistant.conversation.compose import Composed, ExtractiveComposer, best_sentences, policy_body
from assistant.conversation.generate import GenerationRequest, GroundednessGuard, make_chat_model
from assistant.conversation.generate import Generator as AnswerGenerator
from assistant.conversation.handoff import HandoffPolicy
from assistant.conversation.intent import IntentClassifier, IntentPrediction
from assistant.conversation.language import LanguageDetector
from assistant.conversation.memory import ConversationMemory
from assistant.conversation.orders import OrderDesk, OrderFacts, OrderRequest, detect_order_request, identity_message
from assistant.conversation.panel import Panel
from assistant.conversation.repository import ConversationNotFound, ConversationRepository, Loaded, SavedReply
from assistant.conversation.safety import InjectionScreen, ScopeGuard
from assistant.conversation.state import Need, PendingOrder
from assistant.conversation.templates import say
from assistant.conversation.types import (
    Citation,
    DraftView,
    MessageView,
    ProductRef,
    Recommendation,
    SessionEvent,
    TurnResult,
)
from assistant.retrieval.bm25 import BM25Cache
from assistant.retrieval.hybrid import HybridRetriever, Passage, QueryEncoder
from assistant.retrieval.text import has_cjk, snippet
from assistant.store.db import Database
from assistant.vectors import CollectionName, VectorStore

if TYPE_CHECKING:
    import numpy as np

    from assistant.interest.online import InterestService

__all__ = ["Assistant", "ConversationNotFound"]

log = logging.getLogger(__name__)
audit = logging.getLogger("assistant.audit")


@dataclass
class Turn:
    """Working state of one turn (mutable while the stages run)."""

    loaded: Loaded
    text: str
    language: str
    events: tuple[SessionEvent, ...]
    verified_id: str | None
    intent: IntentPrediction = field(default_factory=lambda: IntentPrediction(None, 0.0))
    needs_identity: bool = False
    refused: bool = False
    shopping: bool = False  # the panel reads the need; else behavior only
    handoff_reason: str | None = None
    handoff_announced: bool = False
    offer_handoff: bool = False
    confidence: float = 0.0
    guard: dict[str, Any] = field(default_factory=dict)
    products: list[ProductFacts] = field(default_factory=list)
    cite_products: list[ProductFacts] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    order_first: bool = False

    @property
    def state(self):  # noqa: ANN201 - the loaded ConversationState, mutated in place
        return self.loaded.state

    @property
    def conversation_id(self) -> str:
        return self.loaded.conversation_id

    @property
    def customer(self) -> str | None:
        return self.verified_id or self.loaded.customer_id


class Assistant:
    """The customer-service assistant of one shop (see the module docstring for an example)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        vectors: VectorStore,
        interest: InterestService | None = None,
        *,
        generator: AnswerGenerator | None = None,
    ) -> None:
        cfg = settings.conversation
        self.settings = settings
        self.cfg = cfg
        self.db = db
        self.vectors = vectors
        self.repo = ConversationRepository(db)
        if interest is None and cfg.recommendations_k > 0:
            from assistant.interest.online import InterestService

            interest = InterestService(settings, db)
        self.interest = interest
        self.panel = Panel(interest, cfg.recommendations_k)
        self.bm25 = BM25Cache(vectors.collection)  # type: ignore[arg-type]
        self.encoder = QueryEncoder(vectors)
        self.screen = InjectionScreen()
        names: list[CollectionName] = ["conversations", "policies", "reviews", "products"]
        if self._has_answers():
            names.append(cast(CollectionName, "answers"))
        self.retrievers: dict[str, HybridRetriever] = {
            name: HybridRetriever(
                store=vectors,
                collection=name,
                k=settings.retrieval_k,
                fusion_weight=cfg.fusion_weight,
                rrf_k=cfg.rrf_k,
                bm25=self.bm25,
                encoder=self.encoder,
                # Past conversations and reviews are written by outsiders; policies, approved answers
                # and the catalog are the shop's own, so only the former are screened.
                screen=self.screen.is_suspicious if name in ("conversations", "reviews") else None,
            )
            for name in names
        }
        self.catalog = CatalogIndex(db, self._encode_products, self._load_qa)
        self.language = LanguageDetector()
        self.intents = IntentClassifier(self.retrievers["conversations"], neighbours=cfg.intent_neighbours)
        self.orders = OrderDesk(db, settings=settings) if hasattr(settings, "security") else OrderDesk(db)
        self.composer = ExtractiveComposer(shop_name=cfg.shop_name, min_policy_cosine=cfg.min_relevance)
        self.scope = ScopeGuard(min_relevance=cfg.min_relevance)
        self.handoffs = HandoffPolicy(cfg.low_confidence, cfg.max_low_turns, cfg.anger_threshold)
        self.memory = ConversationMemory(max_turns=cfg.history_turns, max_chars=cfg.history_chars)
        self.guard = GroundednessGuard(min_policy_overlap=cfg.guard_min_policy_overlap)
        if generator is None and settings.answer_backend != "extractive":
            generator = AnswerGenerator(
                make_chat_model(settings, max_tokens=cfg.max_tokens, temperature=cfg.temperature),
                shop_name=cfg.shop_name,
            )
        self.generator = generator
        self._pii: Any = None

    # --- wiring --------------------------------------------------------------------------------
    @staticmethod
    def _has_answers() -> bool:
        from typing import get_args

        return "answers" in get_args(CollectionName)

    def _encode_products(self, texts: Sequence[str]) -> np.ndarray:
        from assistant.interest.text import TextEncoder

        enc = TextEncoder(self.settings.embedding_model, self.settings.data_dir / "cache" / "interest")
        return enc.encode_many(list(texts))

    def _load_qa(self) -> list[tuple[str, str, str, str]]:
        got = self.vectors.collection("reviews").get(where={"kind": "qa"}, include=["documents", "metadatas"])
        out = []
        for i, doc, meta in zip(got["ids"], got.get("documents") or [], got.get("metadatas") or [], strict=False):
            q, _, a = (doc or "").partition("\nA:")
            pid = str((meta or {}).get("product_id") or "")
            if pid:
                out.append((pid, i, q.removeprefix("Q:").strip(), a.strip()))
        return out

    def refresh(self) -> None:
        """Make the engine see the stores as they are now (after an ingestion run)."""
        self.bm25.invalidate()
        self.catalog.refresh(force=True)

    def _output_guard(self) -> Any:
        if self._pii is None:
            try:
                from assistant.security.pii import guard_for

                self._pii = guard_for(self.settings, self.db)
            except Exception as exc:  # the guard is the trust helper's; without it nothing is masked
                log.warning("PII output guard unavailable: %s", exc)
                self._pii = False
        return self._pii or None

    # --- public API ----------------------------------------------------------------------------
    def start_conversation(self, customer_id: str | None = None, *, signed_in: bool = False) -> str:
        """Open a conversation.

        ``customer_id`` alone personalises recommendations but does not verify identity;
        ``signed_in=True`` says the caller proved it (the shop's own login, a signed identity token),
        so the customer's own orders are shown without asking.
        """
        return self.repo.create(customer_id, signed_in=signed_in)

    def send(self, conversation_id: str, text: str, session_events: Sequence[SessionEvent] = ()) -> TurnResult:
        """Answer one customer message (blocking)."""
        result: TurnResult | None = None
        for item in self.stream(conversation_id, text, session_events):
            if isinstance(item, TurnResult):
                result = item
        assert result is not None
        return result

    def stream(
        self, conversation_id: str, text: str, session_events: Sequence[SessionEvent] = ()
    ) -> Iterator[str | TurnResult]:
        """Text deltas, then the final :class:`TurnResult` (whose ``text`` is authoritative)."""
        text = (text or "").strip()
        if not text:
            raise ValueError("empty message")
        limit = self.cfg.max_message_chars
        if len(text) > limit:
            raise ValueError(f"message longer than {limit} characters")
        events = tuple(e if isinstance(e, SessionEvent) else SessionEvent.model_validate(e) for e in session_events)
        turn = self._begin(conversation_id, text, events)
        if turn.loaded.status == "handoff":
            composed = Composed(say("waiting", turn.language))
            turn.handoff_reason = "already handed off"
            turn.confidence = 1.0
            yield from _deltas(composed.text)
        elif self.generator is None:
            # The extractive reply is built whole, guarded, then streamed.
            composed = self._respond(turn)
            composed = Composed(self._guarded(turn, composed.text), composed.used, composed.facts, composed.meta)
            yield from _deltas(composed.text)
        else:
            composed = yield from self._respond_generated(turn)
        yield self._finish(turn, composed)

    def request_handoff(self, conversation_id: str, reason: str = "customer request") -> TurnResult | None:
        """Move the conversation to the agents' queue; None if it already is there."""
        if self.repo.status(conversation_id) == "handoff":
            return None
        turn = self._begin(conversation_id, None, ())
        turn.handoff_reason = reason
        turn.handoff_announced = True
        turn.confidence = 1.0
        return self._finish(turn, Composed(say("handoff", turn.language)))

    def feedback(self, conversation_id: str, message_id: int, rating: int, comment: str = "") -> None:
        """Record a thumbs up (+1) or down (-1) on one assistant message."""
        self.repo.feedback(conversation_id, message_id, rating, comment)

    def history(self, conversation_id: str) -> list[MessageView]:
        """All stored messages of a conversation, oldest first."""
        return self.repo.history(conversation_id)

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """Status, intent, language and summary of a conversation."""
        return self.repo.info(conversation_id)

    def suggestions(self, status: str | None = "pending") -> list[DraftView]:
        """Drafts for agents (replies, order actions…), newest first; ``status=None`` lists all."""
        return self.repo.drafts(status)

    # --- stages --------------------------------------------------------------------------------
    def _begin(self, conversation_id: str, text: str | None, events: tuple[SessionEvent, ...]) -> Turn:
        loaded = self.repo.load(conversation_id, text, events)
        state = loaded.state
        language = state.language or loaded.language or "en"
        if text is not None:
            detected = self.language.detect_confident(text)
            if detected is None and state.language in ("zh", "ja", "ko") and not has_cjk(text):
                # A message in Latin script after a Chinese one: the customer switched back.
                detected = self.language.detect(text, fallback=self.language.default)
            if detected is not None:
                language = state.language = detected
        return Turn(loaded=loaded, text=text or "", language=language, events=events, verified_id=loaded.verified_id)

    def _respond(self, turn: Turn) -> Composed:
        """Route the message and answer it (extractive)."""
        text, st = turn.text, turn.state
        if self.handoffs.requested(text) or (st.handoff_offered and cue.is_affirmative(text)):
            st.handoff_offered = False
            turn.handoff_reason = "customer request"
            turn.handoff_announced = True
            turn.confidence = 1.0
            return Composed(say("handoff", turn.language))
        st.handoff_offered = False

        if st.pending is not None and turn.verified_id is None:
            resumed = self._identity_step(turn)
            if resumed is not None:
                return resumed

        small = cue.small_talk_only(text)
        if small is not None:
            turn.confidence = 1.0
            return Composed(say(small, turn.language), meta={"basis": "small_talk"})
        if self.screen.is_suspicious(text) or self.scope.out_of_scope(text):
            return self._decline(turn)

        body = cue.without_small_talk(text)
        turn.intent = self.intents.classify(body)
        turn.confidence = turn.intent.confidence
        request = detect_order_request(body, turn.intent.intent)
        if request is not None:
            return self._order_request(turn, request, body)

        product = self._referenced_product(turn, body)
        follow_up = cue.is_follow_up(body) or len(body.split()) <= 4
        query = f"{st.topic} {body}" if (follow_up and st.topic and product is None) else body
        policies = self._retrieve(turn, ["policies", "answers"], query)
        best_policy = max((p.cosine or 0.0 for p in policies), default=0.0)
        qvec = self.encoder(body)

        shopping = cue.is_shopping(body) or (
            st.need is not None and (cue.is_refinement(body) or cue.parse_price(body) is not None) and product is None
        )
        if product is not None and not cue.is_shopping(body) and (cue.asks_about_product(body) or turn.events):
            return self._product_question(turn, product, body, policies, best_policy)
        if shopping:
            answer = self._shopping(turn, body, qvec, best_policy)
            if answer is not None:
                return answer
        if self._policy_relevant(turn, best_policy):
            return self._service_answer(turn, body, policies, best_policy)
        if product is not None:
            return self._product_question(turn, product, body, policies, best_policy)
        # Nothing in the policy: a product word still makes it a catalog question.
        sims = self.catalog.similarity(qvec)
        if len(sims) and float(sims.max()) >= self.cfg.catalog_min_similarity:
            answer = self._shopping(turn, body, qvec, best_policy, forced=True)
            if answer is not None:
                return answer
        if st.need is not None and (cue.is_refinement(body) or cue.has_reference(body)):
            answer = self._shopping(turn, body, qvec, best_policy, forced=True)
            if answer is not None:
                return answer
        return self._decline(turn)

    def _policy_relevant(self, turn: Turn, best_policy: float) -> bool:
        """The policy answers this: a close passage, or a clear service intent and a fair passage.

        The intent comes from the nearest past conversations: they are used to decide and rank,
        never quoted.
        """
        if best_policy >= self.cfg.min_relevance:
            return True
        sure = turn.intent.confidence >= self.cfg.low_confidence and turn.intent.intent != "product_question"
        return sure and best_policy >= self.cfg.min_relevance / 2

    def _decline(self, turn: Turn) -> Composed:
        turn.refused = True
        turn.confidence = 0.0  # a refusal is no certainty: repeated ones lead to a handoff offer
        turn.state.declines += 1
        return Composed(say("refusal", turn.language), meta={"basis": "refusal"})

    # --- identity and orders -------------------------------------------------------------------
    def _identity_step(self, turn: Turn) -> Composed | None:
        pending = turn.state.pending
        assert pending is not None
        check = self.orders.check_identity(turn.text, conversation_id=turn.conversation_id)
        if check.status == "verified" and check.customer_id:
            turn.verified_id = check.customer_id
            turn.state.pending = None
            audit.info(
                json.dumps(
                    {
                        "event": "identity_verified",
                        "conversation_id": turn.conversation_id,
                        "customer_id": check.customer_id,
                    }
                )
            )
            resumed = OrderRequest(pending.kind, cast(Any, pending.action), tuple(pending.order_ids))
            composed = self._order_turn(turn, resumed, turn.text)
            prefix = say("verified", turn.language)
            return Composed(prefix + " " + composed.text, composed.used, composed.facts, composed.meta)
        if check.attempted:
            turn.needs_identity = True
            turn.confidence = 1.0
            if check.status == "throttled":
                turn.handoff_reason = "identity could not be verified"
            message = identity_message(check, turn.language) or say("identity_failed", turn.language)
            return Composed(message, meta={"basis": "identity"})
        return None

    def _order_request(self, turn: Turn, request: OrderRequest, body: str) -> Composed:
        turn.shopping = False
        if turn.verified_id is None:
            check = self.orders.check_identity(body, conversation_id=turn.conversation_id)
            if check.status == "verified" and check.customer_id:
                turn.verified_id = check.customer_id
                composed = self._order_turn(turn, request, body)
                return Composed(
                    say("verified", turn.language) + " " + composed.text, composed.used, composed.facts, composed.meta
                )
            turn.state.pending = PendingOrder(kind=request.kind, action=request.action, order_ids=list(request.order_ids))
            turn.needs_identity = True
            turn.confidence = max(turn.confidence, 0.9)
            if check.attempted:
                message = identity_message(check, turn.language) or say("identity_failed", turn.language)
                return Composed(message, meta={"basis": "identity"})
            return Composed(say("identity", turn.language), meta={"basis": "identity"})
        return self._order_turn(turn, request, body)

    def _order_turn(self, turn: Turn, request: OrderRequest, text: str) -> Composed:
        assert turn.verified_id is not None
        facts, missing = self.orders.orders_of(turn.verified_id, request.order_ids)
        if facts:
            turn.state.last_order_id = facts[0].order_id
        turn.confidence = 1.0
        if request.kind == "action" and request.action is not None:
            if len(facts) != 1 or missing or not request.order_ids:
                if missing:
                    return ExtractiveComposer.order_status([], missing)
                turn.state.pending_action = request.action
                example = facts[0].order_id if facts else "#12345"
                action = request.action.replace("_", " ")
                return Composed(say("action_which", turn.language, action=action, example=example))
            return self._order_action(turn, request, facts[0], text)
        pending_action = turn.state.pending_action
        turn.state.pending_action = None
        if pending_action and len(facts) == 1 and request.order_ids:
            return self._order_turn(turn, OrderRequest("action", cast(Any, pending_action), request.order_ids), text)
        turn.orders = [f.record for f in facts]
        return ExtractiveComposer.order_status([f.lines for f in facts], missing)

    def _order_action(self, turn: Turn, request: OrderRequest, order: OrderFacts, text: str) -> Composed:
        assert turn.verified_id is not None and request.action is not None
        policy = self._retrieve(turn, ["policies"], text)[:1]
        sources = [_source(p) for p in policy] + [
            {"collection": "orders", "doc_id": order.order_id, "source": "store", "title": f"Order {order.order_id}"}
        ]
        draft_id = self.orders.prepare_action(turn.conversation_id, turn.verified_id, request.action, order, text, sources)
        audit.info(
            json.dumps(
                {
                    "event": "order_action_prepared",
                    "conversation_id": turn.conversation_id,
                    "draft_id": draft_id,
                    "action": request.action,
                    "order_id": order.order_id,
                    "sources": sources,
                }
            )
        )
        action = request.action.replace("_", " ")
        body = say("action", turn.language, action=action, order_id=order.order_id)
        body += f" [1]\n- {'; '.join(order.lines)} [1]"
        used: tuple[Passage, ...] = ()
        if policy:
            title, pbody = policy_body(policy[0])
            sent = best_sentences(text, pbody, limit=1)
            if sent:
                body += f"\n- {title.split('>')[-1].strip()}: {sent[0]} [2]"
                used = (policy[0],)
        turn.orders = [order.record]
        turn.order_first = True
        return Composed(body, used, facts=order.lines)

    # --- products and shopping -----------------------------------------------------------------
    def _referenced_product(self, turn: Turn, body: str) -> ProductFacts | None:
        """The product the message is about: named, "the second one", "it", or the one being viewed."""
        st = turn.state
        named = self.catalog.named_in(body)
        if named is not None:
            return named
        idx = cue.reference_index(body)
        if idx is not None and st.shown:
            try:
                return self.catalog.get(st.shown[idx])
            except IndexError:
                return None
        if turn.events:
            return self.catalog.get(turn.events[-1].product_id)
        if cue.has_reference(body) and st.focus and not cue.is_shopping(body):
            return self.catalog.get(st.focus)
        return None

    def _product_question(
        self, turn: Turn, product: ProductFacts, body: str, policies: list[Passage], best_policy: float
    ) -> Composed:
        turn.state.focus = product.product_id
        turn.shopping = turn.state.need is not None
        where = {"product_id": product.product_id}
        qa = [p for p in self.retrievers["reviews"].search(body, where=where, k=6) if p.metadata.get("kind") == "qa"]
        composed = self.composer.product_answer(
            body,
            product,
            qa,
            [],
            turn.language,
            wants_price=cue.asks_price(body),
            wants_stock=cue.asks_stock(body),
        )
        if composed.meta.get("basis") == "none" and self._policy_relevant(turn, best_policy):
            # Not about the product's features ("it chipped, is that covered?"): the policy answers.
            return self._service_answer(turn, body, policies, best_policy)
        if composed.meta.get("basis") == "none":
            reviews = [
                p for p in self.retrievers["reviews"].search(body, where=where, k=6) if p.metadata.get("kind") != "qa"
            ]
            composed = self.composer.product_answer(body, product, [], reviews, turn.language)
        turn.products = [product]
        turn.cite_products = [product] if composed.meta.get("product_cited") else []
        turn.confidence = max(turn.confidence, 0.8 if composed.meta.get("basis") != "none" else 0.2)
        return composed

    def _update_need(self, turn: Turn, body: str, qvec: np.ndarray) -> tuple[Need, str | None]:
        """Fold this message into the shopping need; returns the need and a noun the shop lacks."""
        st = turn.state
        phrase = cue.extract_need_phrase(body)
        price = cue.parse_price(body, around=self.cfg.around_price_tolerance)
        old = st.need
        new_item = phrase.noun is not None and not cue.is_generic_noun(phrase.noun) and cue.is_shopping(body)
        need = Need(language=turn.language) if (old is None or new_item or cue.is_shopping(body)) else old.model_copy()
        missing: str | None = None
        if cue.is_shopping(body):
            need.product_type = phrase.noun if not cue.is_generic_noun(phrase.noun) else None
            need.attributes = [a for a in phrase.attributes if self.catalog.is_vocabulary(a) or has_cjk(a)]
            need.uses = phrase.uses
            need.type_products, need.category = [], None
            noun = need.product_type
            if noun:
                typed = self._type_products(noun)
                if typed:
                    need.type_products = [p.product_id for p in typed]
                    cats = {p.category for p in typed}
                    need.category = cats.pop() if len(cats) == 1 else None
                elif self.catalog.category_named([noun]):
                    need.category = self.catalog.category_named([noun])
                elif not has_cjk(noun):
                    best = float(self.catalog.similarity(qvec).max()) if self.catalog.products else 0.0
                    if best < self.cfg.catalog_min_similarity:
                        missing = noun
            if not need.type_products and need.category is None and missing is None:
                cat, score = self.catalog.infer_category(qvec)
                if cat is not None and score >= self.cfg.min_relevance:
                    need.category = cat
        if price is not None:
            if price.relative == "cheaper":
                ref = [p.price for p in (self.catalog.get(i) for i in st.shown) if p and p.price is not None]
                focus = self.catalog.get(st.focus)
                base = max(ref) if ref else (focus.price if focus and focus.price else None)
                if base is not None:
                    need.price_max, need.price_min = round(base - 0.01, 2), None
            elif price.relative == "pricier":
                ref = [p.price for p in (self.catalog.get(i) for i in st.shown) if p and p.price is not None]
                if ref:
                    need.price_min, need.price_max = round(min(ref) + 0.01, 2), None
            else:
                need.price_min, need.price_max = price.low, price.high
        words = [*need.attributes, need.product_type or "", *need.uses]
        need.query = " ".join(w for w in words if w) or (old.query if old else body)
        st.need = need
        return need, missing

    def _type_products(self, noun: str) -> list[ProductFacts]:
        if has_cjk(noun):
            grams = cjk_bigrams(noun)
            return [p for p in self.catalog.products if grams and grams <= p.extra] if grams else []
        typed = self.catalog.type_products(noun)
        if not typed:
            s = stem(noun)
            typed = [p for p in self.catalog.products if s in {stem(t) for t in p.tags}]
        return typed

    def _shopping(
        self, turn: Turn, body: str, qvec: np.ndarray, best_policy: float, forced: bool = False
    ) -> Composed | None:
        st = turn.state
        if forced and not cue.is_shopping(body) and st.need is None:
            st.need = Need(query=body, language=turn.language)
        need, missing = self._update_need(turn, body, qvec)
        if need.product_type is None and not need.type_products and not forced and best_policy >= 0.45:
            # "I need a refund": the shopping cue was a service question.
            st.need = None
            return None
        lang = turn.language
        need_vec = self.encoder(need.query) if need.query and need.query != body else qvec
        pool = [p for p in self.catalog.products if p.product_id in set(need.type_products)] if need.type_products else None
        if pool is None and need.category:
            pool = [p for p in self.catalog.products if p.category == need.category]
        k = self.cfg.shopping_results
        matches = self.catalog.search(
            need_vec,
            candidates=pool,
            price_min=need.price_min,
            price_max=need.price_max,
            attributes=need.attributes,
            uses=need.uses,
            query_text=body if has_cjk(body) else "",
        )
        turn.shopping = True
        turn.confidence = max(turn.confidence, 0.8)
        lead = ""
        if missing is not None:
            lead = say("not_carried", lang, noun=missing) + " " + say("closest", lang)
            matches = [m for m in self.catalog.search(qvec) if m.score >= self.cfg.min_relevance][:2]
            st.need = None
            turn.shopping = False
        elif not matches:
            # Nothing meets every constraint: say so, then offer the closest without the price limit.
            lead = say("no_match", lang, need=need.describe(lang)) + " " + say("closest", lang)
            matches = self.catalog.search(need_vec, candidates=pool)[:1] or self.catalog.search(need_vec)[:1]
        chosen = [m.product for m in matches[:k]]
        if not chosen:
            return Composed(lead or say("no_answer", lang), meta={"basis": "none"})
        st.shown = [p.product_id for p in chosen]
        st.focus = chosen[0].product_id
        turn.products = chosen
        turn.cite_products = chosen
        return self.composer.shopping_answer(
            body, chosen, lang, need=need.describe(lang) if missing is None and not lead else "", lead=lead
        )

    # --- service questions ---------------------------------------------------------------------
    def _service_answer(self, turn: Turn, body: str, policies: list[Passage], best_policy: float) -> Composed:
        st = turn.state
        follow_up = cue.is_follow_up(body) or len(body.split()) <= 4
        composed = self.composer.answer(body, policies, turn.language, focus=st.topic if follow_up else "")
        st.topic = body
        turn.shopping = False
        turn.confidence = max(turn.confidence, min(1.0, best_policy / 0.6))
        return composed

    def _retrieve(self, turn: Turn, collections: Sequence[str], query: str) -> list[Passage]:
        """Passages of the collections in their fused (embedding + BM25) order, collection by collection.

        Approved answers lead when they match as closely as the best policy passage.
        """
        out: list[Passage] = []
        for name in collections:
            retriever = self.retrievers.get(name)
            if retriever is None:
                continue
            out.extend(retriever.search(query, k=self.settings.retrieval_k))
        answers = [p for p in out if p.collection == "answers"]
        others = [p for p in out if p.collection != "answers"]
        best_other = max((p.cosine or 0.0 for p in others), default=0.0)
        lead = [p for p in answers if (p.cosine or 0.0) >= max(best_other, self.cfg.min_relevance)]
        return lead + others + [p for p in answers if p not in lead]

    # --- generated replies ---------------------------------------------------------------------
    def _respond_generated(self, turn: Turn) -> Generator[str, None, Composed]:
        extractive = self._respond(turn)
        passages = list(extractive.used)
        if self.generator is None or not passages or extractive.meta.get("basis") not in ("policy", "answer"):
            text = self._guarded(turn, extractive.text)
            yield from _deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        used = passages[: self.settings.retrieval_k]
        window = self.memory.window(turn.loaded.history, turn.loaded.summary)
        req = GenerationRequest(
            question=turn.text,
            language=turn.language,
            passages=[(i, _title(p), p.text) for i, p in enumerate(used, start=1)],
            facts=list(extractive.facts),
            history=list(window.recent),
            summary=window.summary,
        )
        evidence = [p.text for p in used] + list(extractive.facts) + [turn.text]
        draft = ""
        try:
            for delta in self.generator.stream(req):
                draft += delta
            check = self.guard.check(draft, evidence)
            if check.ok:
                check = self.guard.check_substance(draft, turn.text, evidence[:-1])
            if not check.ok:
                raise _Unsupported(check.reasons)
        except _Unsupported as exc:
            log.warning("generated draft rejected, falling back to the extractive reply: %s", "; ".join(exc.reasons))
            turn.guard = {"ok": False, "reasons": list(exc.reasons), "draft": draft}
            text = self._guarded(turn, extractive.text)
            yield from _deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        except Exception as exc:  # a down model server must not take the chat down with it
            log.error("answer backend failed, using the extractive reply: %s", exc)
            turn.guard = {"ok": False, "reasons": [f"backend error: {exc}"]}
            text = self._guarded(turn, extractive.text)
            yield from _deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        turn.guard = {"ok": True}
        text = draft.strip()
        if not re.search(r"\[\d+\]", text):
            text += "\n\nSources: " + " ".join(f"[{i}]" for i in range(1, len(used) + 1))
        text = self._guarded(turn, text)
        yield from _deltas(text)
        return Composed(text, tuple(used), extractive.facts, {"basis": "generated"})

    # --- finishing -----------------------------------------------------------------------------
    def _guarded(self, turn: Turn, text: str) -> str:
        """The one place text shown to the customer passes the foreign-PII guard."""
        guard = self._output_guard()
        if guard is None or not text:
            return text
        try:
            res = guard.scrub(text, turn.verified_id, signed_in=turn.state.signed_in)
        except Exception as exc:
            log.error("PII guard failed: %s", exc)
            return text
        return str(res.text) if res.text else say("no_answer", turn.language)

    def _citations(self, turn: Turn, composed: Composed) -> list[Citation]:
        cites: list[Citation] = []
        if turn.orders and (turn.order_first or not composed.used):
            for rec in turn.orders[: 1 if turn.order_first else None]:
                cites.append(
                    Citation(
                        n=len(cites) + 1,
                        collection="orders",
                        doc_id=str(rec["order_id"]),
                        title=f"Order {rec['order_id']}",
                        snippet=snippet("; ".join(str(v) for v in rec.values() if v)) if not turn.order_first else "",
                        source="store",
                    )
                )
        for p in turn.cite_products:
            cites.append(
                Citation(
                    n=len(cites) + 1,
                    collection="products",
                    doc_id=p.product_id,
                    title=p.name,
                    snippet=snippet(p.description),
                    source=p.source,
                )
            )
        for p in composed.used:
            cites.append(
                Citation(
                    n=len(cites) + 1,
                    collection=p.collection,
                    doc_id=p.id,
                    title=_title(p),
                    snippet=snippet(p.text),
                    source=str(p.metadata.get("source", "")),
                )
            )
        return cites

    def _finish(self, turn: Turn, composed: Composed) -> TurnResult:
        st = turn.state
        citations = self._citations(turn, composed)
        recs = self.panel.recommend(
            turn.conversation_id, turn.customer, st.need, turn.events, turn.language, turn.shopping
        )
        guard = self._output_guard()
        if guard is not None and recs:
            recs = [
                r.model_copy(
                    update={"reason": guard.scrub(r.reason, turn.verified_id, signed_in=st.signed_in).text or ""}
                )
                for r in recs
            ]
        confidence = max(0.0, min(1.0, float(turn.confidence)))
        low = confidence < self.handoffs.low_confidence and not turn.needs_identity and bool(turn.text)
        text = composed.text
        if turn.handoff_reason is None and turn.text:
            decision = self.handoffs.decide(turn.text, confidence if low else 1.0, st.low_streak)
            if decision is not None and decision.reason == "repeated low confidence":
                # Repeated declines or unsure answers: offer a person rather than insist.
                st.handoff_offered = True
                text = text + "\n\n" + say("offer_handoff", turn.language)
            elif decision is not None:
                turn.handoff_reason = decision.reason
        st.low_streak = st.low_streak + 1 if low else 0
        handoff = turn.handoff_reason is not None
        newly_handed = handoff and turn.loaded.status != "handoff"
        if newly_handed and not turn.handoff_announced and text:
            text = text + "\n\n" + say("handoff", turn.language)
        sources = [c.model_dump() for c in citations]
        meta = {
            "language": turn.language,
            "handoff": handoff,
            "handoff_reason": turn.handoff_reason,
            "needs_identity": turn.needs_identity,
            "refused": turn.refused,
            "recommendations": [r.model_dump() for r in recs],
            "products": [_ref(p).model_dump() for p in turn.products],
            "backend": self.settings.answer_backend if self.generator else "extractive",
            "guard": turn.guard,
            "basis": dict(composed.meta).get("basis") if composed.meta else None,
        }
        history = turn.loaded.history + ([("customer", turn.text)] if turn.text else [])
        window = self.memory.window(history, "")
        summary = self._handoff_summary(turn, window.summary) if newly_handed else window.summary
        draft = None
        if newly_handed:
            draft = {
                "content": composed.text,
                "sources": sources,
                "from_last_answer": turn.handoff_announced,
                "payload": {
                    "reason": turn.handoff_reason,
                    "summary": summary,
                    "intent": turn.intent.intent or turn.loaded.intent,
                    "confidence": confidence,
                    "language": turn.language,
                    "profile": self._profile(turn),
                },
            }
        message_id = self.repo.save_reply(
            turn.loaded,
            SavedReply(
                text=text,
                citations=sources,
                intent=turn.intent.intent,
                confidence=confidence,
                meta=meta,
                language=turn.language,
                summary=summary,
                verified_id=turn.verified_id,
                state=st,
                handoff=newly_handed,
                draft=draft,
            ),
        )
        audit.info(
            json.dumps(
                {
                    "event": "handoff" if newly_handed else "answer",
                    "conversation_id": turn.conversation_id,
                    "message_id": message_id,
                    "intent": turn.intent.intent,
                    "confidence": confidence,
                    "refused": turn.refused,
                    "reason": turn.handoff_reason,
                    "sources": sources,
                },
                default=str,
            )
        )
        return TurnResult(
            message_id=message_id,
            conversation_id=turn.conversation_id,
            text=text,
            citations=citations,
            intent=turn.intent.intent,
            confidence=confidence,
            language=turn.language,
            handoff=handoff,
            needs_identity=turn.needs_identity,
            recommendations=recs,
            refused=turn.refused,
            products=[_ref(p) for p in turn.products],
            asks_identity=turn.needs_identity,
            handed_off=handoff,
        )

    def _profile(self, turn: Turn) -> dict[str, Any]:
        customer = turn.customer
        if self.interest is None or customer is None:
            return {"customer_id": customer}
        try:
            prof = self.interest.profile(customer)
        except Exception as exc:
            log.error("profile failed for %s: %s", customer, exc)
            return {"customer_id": customer}
        out = {
            "customer_id": customer,
            "top_categories": list(getattr(prof, "top_categories", []) or []),
            "history": list(getattr(prof, "history", []) or [])[:20],
        }
        # The profile's records carry datetimes and dataclasses; the draft payload is JSON.
        return dict(json.loads(json.dumps(out, default=_jsonable)))

    @staticmethod
    def _handoff_summary(turn: Turn, older: str) -> str:
        asks = [t for r, t in turn.loaded.history if r == "customer"] + ([turn.text] if turn.text else [])
        lines = [
            f"Handoff reason: {turn.handoff_reason}.",
            f"Detected intent: {turn.intent.intent or turn.loaded.intent or 'unknown'}.",
            f"Customer verified: {'yes (' + turn.verified_id + ')' if turn.verified_id else 'no'}.",
        ]
        if asks:
            lines.append("Customer said: " + " | ".join(snippet(a, 120) for a in asks[-4:]))
        return "\n".join(lines)


def _deltas(text: str) -> Iterator[str]:
    for m in re.finditer(r"\S+\s*|\s+", text):
        yield m.group(0)


def _title(p: Passage) -> str:
    m = p.metadata
    for key in ("title", "name"):
        if m.get(key):
            return str(m[key])
    if p.collection == "reviews":
        return "Customer Q&A" if m.get("kind") == "qa" else "Customer review"
    return p.collection


def _source(p: Passage) -> dict[str, Any]:
    return {
        "collection": p.collection,
        "doc_id": p.id,
        "source": str(p.metadata.get("source", "")),
        "title": _title(p),
    }


def _ref(p: ProductFacts) -> ProductRef:
    return ProductRef(product_id=p.product_id, name=p.name, price=p.price, category=p.category)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return str(obj)


class _Unsupported(Exception):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)
