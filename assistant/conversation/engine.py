"""The conversation engine: one customer message in, one cited reply (streamed or not) out.

Each turn runs typed stages: language detection → intent classification (nearest labelled past
conversations) → order / product / general routing → hybrid retrieval with metadata filters →
composition (extractive, or a generator behind the groundedness guard) → handoff check →
recommendations. Everything is persisted, so a conversation survives a restart.

Example:
    >>> from assistant.config import Settings
    >>> from assistant.store.db import Database
    >>> from assistant.vectors import VectorStore
    >>> s = Settings(data_dir="/tmp/shop")
    >>> bot = Assistant(s, Database(s), VectorStore(s))  # doctest: +SKIP
    >>> cid = bot.start_conversation()  # doctest: +SKIP
    >>> print(bot.send(cid, "How do I return boots?").text)  # doctest: +SKIP
    Here is what our policy says about **Returns**: ... [1]
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from assistant.config import Settings
from assistant.conversation.compose import Composed, ExtractiveComposer, policy_body
from assistant.conversation.generate import GenerationRequest, GroundednessGuard, make_chat_model
from assistant.conversation.generate import Generator as AnswerGenerator
from assistant.conversation.handoff import HandoffPolicy
from assistant.conversation.intent import IntentClassifier, IntentPrediction
from assistant.conversation.language import LanguageDetector
from assistant.conversation.memory import ConversationMemory
from assistant.conversation.orders import OrderDesk, OrderFacts, OrderRequest, detect_order_request
from assistant.conversation.safety import InjectionScreen, ScopeGuard
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
from assistant.retrieval.text import snippet, tokenize
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft, Feedback, Message
from assistant.vectors import CollectionName, VectorStore

if TYPE_CHECKING:
    from assistant.interest.online import InterestService

log = logging.getLogger(__name__)
audit = logging.getLogger("assistant.audit")

MAX_MESSAGE_CHARS = 4000

# "I'm looking for a warm hat": a shopping request, answered from the catalog.
_SHOPPING_CUE = re.compile(
    r"\b(i('m| am)? (want|need|looking for|searching for|shopping for)|looking for|do you (have|sell|carry|stock)|"
    r"(can|could) you (recommend|suggest)|recommend (me )?(a|an|some)|help me (choose|pick|find))\b|"
    r"我想买|推荐",
    re.IGNORECASE,
)
_PRICE_CAP = re.compile(
    r"\b(under|below|less than|at most|max(?:imum)?|up to)\s*(?:\$|usd\s*)?(\d[\d,]*(?:\.\d+)?)", re.IGNORECASE
)
_PRODUCT_CUE = re.compile(
    r"\b(good for|suitable|work(s)? (for|with|well)|is (it|this|that)|does (it|this)|will (it|this)|"
    r"can (i|you) use|how (is|does|do|well)|fits?|sizing|size|waterproof|warm|durable|quality|worth|"
    r"comfortable|review|recommend|heavy|weigh|battery|noise|compatible)\b|适合|好用|怎么样",
    re.I,
)
_DEICTIC = re.compile(r"\b(this|it|these|that one|this one)\b|这个|它", re.I)

# Short fixed messages (the only text the assistant writes itself); the generator backends reply in
# any language, these cover the demo's two.
_TEMPLATES: dict[str, dict[str, str]] = {
    "identity": {
        "en": "I can help with that. To protect your account, please confirm who you are first: the "
        "**email address** on the order, or your **full name plus the zip code** of the order's address.",
        "zh": "我可以帮您查询。为保护您的账户，请先确认身份：提供订单上的**电子邮箱**，或您的**全名和邮编**。",
    },
    "identity_failed": {
        "en": "I'm sorry, I couldn't match those details to an account. Please check the email address, "
        "or send your full name together with the zip code of the order's address.",
        "zh": "抱歉，未能匹配到账户。请核对邮箱，或提供全名和订单地址的邮编。",
    },
    "verified": {"en": "Thank you, you're verified.", "zh": "谢谢，身份已验证。"},
    "refusal": {
        "en": "I'm sorry, I can only help with questions about our shop: orders, returns, shipping, "
        "payments, your account and our products.",
        "zh": "抱歉，我只能回答与本店相关的问题：订单、退货、配送、付款、账户和商品。",
    },
    "handoff": {
        "en": "I'm connecting you with a member of our support team. They'll see our conversation so far, "
        "so you won't need to repeat yourself.",
        "zh": "正在为您转接人工客服，客服可以看到我们的对话记录，您无需重复说明。",
    },
    "waiting": {
        "en": "Your conversation is with our support team now; an agent will reply here shortly.",
        "zh": "您的对话已转给人工客服，客服会尽快在此回复。",
    },
    "action": {
        "en": "I've prepared a request to **{action}** order {order_id} for our team. An agent will review "
        "it and confirm with you; nothing has been changed yet.",
        "zh": "我已为您提交{order_id}的请求（{action}），客服审核后会与您确认；目前订单尚未更改。",
    },
    "action_which": {
        "en": "Which order would you like to {action}? Please send the order number (for example {example}).",
        "zh": "请问您要处理哪个订单？请提供订单号（例如 {example}）。",
    },
}


def _t(key: str, lang: str, **kw: str) -> str:
    table = _TEMPLATES[key]
    return table.get(lang, table["en"]).format(**kw)


class ConversationNotFound(KeyError):
    """No conversation with that id."""


@dataclass
class _Turn:
    """Working state of one turn (mutable while the stages run)."""

    conversation_id: str
    text: str
    language: str
    customer_id: str | None
    verified_id: str | None
    state: dict[str, Any]
    events: tuple[SessionEvent, ...]
    history: list[tuple[str, str]]
    summary: str
    intent: IntentPrediction = field(default_factory=lambda: IntentPrediction(None, 0.0))
    needs_identity: bool = False
    refused: bool = False
    handoff_reason: str | None = None
    handoff_announced: bool = False  # the reply already is the handoff notice
    confidence: float = 0.0
    guard: dict[str, Any] = field(default_factory=dict)
    products: list[ProductRef] = field(default_factory=list)


class Assistant:
    """The customer-service assistant of one shop (see the module docstring for an example).

    Knobs beyond ``Settings`` are keyword arguments with defaults (candidates for Settings).
    """

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
        self.db = db
        self.vectors = vectors
        self.shop_name = cfg.shop_name
        self.recommendations_k = cfg.recommendations_k
        # Recommendations are part of every turn unless switched off (recommendations_k=0).
        if interest is None and cfg.recommendations_k > 0:
            from assistant.interest.online import InterestService

            interest = InterestService(settings, db)
        self.interest = interest
        bm25 = BM25Cache(vectors.collection)  # type: ignore[arg-type]
        encoder = QueryEncoder(vectors)
        self.screen = InjectionScreen()
        self.retrievers: dict[CollectionName, HybridRetriever] = {
            name: HybridRetriever(
                store=vectors,
                collection=name,
                k=settings.retrieval_k,
                fusion_weight=cfg.fusion_weight,
                rrf_k=cfg.rrf_k,
                bm25=bm25,
                encoder=encoder,
                # Past conversations and reviews are written by outsiders; policies and the catalog
                # are the shop's own, so only the former are screened for planted instructions.
                screen=self.screen.is_suspicious if name in ("conversations", "reviews") else None,
            )
            for name in ("conversations", "policies", "reviews", "products")
        }
        self.language = LanguageDetector()
        self.intents = IntentClassifier(self.retrievers["conversations"], neighbours=cfg.intent_neighbours)
        self.orders = OrderDesk(db)
        self.composer = ExtractiveComposer(shop_name=cfg.shop_name)
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

    # --- public API ---------------------------------------------------------------------------

    def start_conversation(self, customer_id: str | None = None, *, signed_in: bool = False) -> str:
        """Open a conversation.

        ``customer_id`` alone personalises recommendations but does not verify identity;
        ``signed_in=True`` says the caller proved it (the shop's own login, a signed identity token),
        so the customer's own orders are shown without asking.
        """
        if signed_in and not customer_id:
            raise ValueError("signed_in needs a customer_id")
        cid = uuid.uuid4().hex
        with self.db.session() as s:
            s.add(
                Conversation(
                    id=cid,
                    customer_id=customer_id,
                    verified_customer_id=customer_id if signed_in else None,
                    status="open",
                    state={},
                )
            )
        return cid

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
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"message longer than {MAX_MESSAGE_CHARS} characters")
        events = tuple(e if isinstance(e, SessionEvent) else SessionEvent.model_validate(e) for e in session_events)
        turn = self._begin(conversation_id, text, events)
        composed: Composed
        if turn.state.get("status") == "handoff":
            composed = Composed(_t("waiting", turn.language))
            turn.handoff_reason = "already handed off"
            turn.confidence = 1.0
            yield from self._deltas(composed.text)
        else:
            composed = yield from self._respond(turn)
        yield self._finish(turn, composed)

    def request_handoff(self, conversation_id: str, reason: str = "customer request") -> TurnResult | None:
        """Move the conversation to the agents' queue; None if it already is there."""
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            if conv.status == "handoff":
                return None
        turn = self._begin(conversation_id, None, ())
        turn.handoff_reason = reason
        turn.handoff_announced = True
        turn.confidence = 1.0
        composed = Composed(_t("handoff", turn.language))
        return self._finish(turn, composed)

    def feedback(self, conversation_id: str, message_id: int, rating: int, comment: str = "") -> None:
        """Record a thumbs up (+1) or down (-1) on one assistant message."""
        if rating not in (-1, 1):
            raise ValueError("rating must be -1 or 1")
        with self.db.session() as s:
            msg = s.get(Message, message_id)
            if msg is None or msg.conversation_id != conversation_id:
                raise ConversationNotFound(f"{conversation_id}/{message_id}")
            s.add(Feedback(conversation_id=conversation_id, message_id=message_id, rating=rating, comment=comment))
        audit.info(
            json.dumps(
                {"event": "feedback", "conversation_id": conversation_id, "message_id": message_id, "rating": rating}
            )
        )

    def history(self, conversation_id: str) -> list[MessageView]:
        """All stored messages of a conversation, oldest first."""
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            return [
                MessageView(
                    id=m.id,
                    role=m.role,
                    text=m.text,
                    citations=[Citation.model_validate(c) for c in (m.citations or [])],
                    intent=m.intent,
                    confidence=m.confidence,
                    created_at=m.created_at,
                    meta=dict(m.meta or {}),
                )
                for m in conv.messages
            ]

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """Status, intent, language and summary of a conversation."""
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            return {
                "id": conv.id,
                "customer_id": conv.customer_id,
                "verified": conv.verified_customer_id is not None,
                "verified_customer_id": conv.verified_customer_id,
                "status": conv.status,
                "intent": conv.intent,
                "language": conv.language,
                "summary": conv.summary,
            }

    def suggestions(self, status: str | None = "pending") -> list[DraftView]:
        """Drafts for agents (replies, order actions…), newest first; ``status=None`` lists all."""
        with self.db.session() as s:
            q = select(Draft).order_by(Draft.id.desc())
            if status is not None:
                q = q.where(Draft.status == status)
            return [
                DraftView(
                    id=d.id,
                    conversation_id=d.conversation_id,
                    kind=d.kind,
                    content=d.content,
                    payload=dict(d.payload or {}),
                    sources=list(d.sources or []),
                    status=d.status,
                    reviewer=d.reviewer,
                    reason=d.reason,
                    created_at=d.created_at,
                )
                for d in s.scalars(q).all()
            ]

    # --- stages -------------------------------------------------------------------------------

    def _begin(self, conversation_id: str, text: str | None, events: tuple[SessionEvent, ...]) -> _Turn:
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise ConversationNotFound(conversation_id)
            history = [(m.role, m.text) for m in conv.messages if m.role != "system"]
            language = conv.language or "en"
            if text is not None:
                language = self.language.detect(text, fallback=conv.language)
                s.add(
                    Message(
                        conversation_id=conversation_id,
                        role="customer",
                        text=text,
                        meta={"session_events": [e.model_dump(mode="json") for e in events]},
                    )
                )
            state = dict(conv.state or {})
            state["status"] = conv.status
            state["intent"] = conv.intent
            return _Turn(
                conversation_id=conversation_id,
                text=text or "",
                language=language,
                customer_id=conv.customer_id,
                verified_id=conv.verified_customer_id,
                state=state,
                events=events,
                history=history,
                summary=conv.summary or "",
            )

    def _respond(self, turn: _Turn) -> Generator[str, None, Composed]:
        text = turn.text
        if self.handoffs.requested(text):
            turn.handoff_reason = "customer request"
            turn.handoff_announced = True
            turn.confidence = 1.0
            composed = Composed(_t("handoff", turn.language))
            yield from self._deltas(composed.text)
            return composed

        # Identity first: a pending order question waits for it, and resumes once verified.
        pending = turn.state.get("pending")
        prefix = ""
        if pending and turn.verified_id is None:
            verified = self.orders.verify(text)
            if verified is not None:
                turn.verified_id = verified
                turn.state["pending"] = None
                turn.state["identity_attempts"] = 0
                audit.info(
                    json.dumps(
                        {"event": "identity_verified", "conversation_id": turn.conversation_id, "customer_id": verified}
                    )
                )
                prefix = _t("verified", turn.language) + " "
                resumed = OrderRequest(pending["kind"], pending.get("action"), tuple(pending.get("order_ids", ())))
                composed = self._order_turn(turn, resumed, pending.get("text", text))
                composed = Composed(prefix + composed.text, composed.used, composed.facts, composed.meta)
                yield from self._deltas(composed.text)
                return composed
            if self.orders.identity_attempted(text):
                turn.state["identity_attempts"] = int(turn.state.get("identity_attempts", 0)) + 1
                turn.needs_identity = True
                turn.confidence = 1.0
                if turn.state["identity_attempts"] >= 3:
                    turn.handoff_reason = "identity could not be verified"
                composed = Composed(_t("identity_failed", turn.language))
                yield from self._deltas(composed.text)
                return composed

        if self.scope.out_of_scope(text):
            return (yield from self._refuse(turn))

        turn.intent = self.intents.classify(text)
        turn.confidence = turn.intent.confidence
        request = detect_order_request(text, turn.intent.intent)
        if request is not None:
            if turn.verified_id is None:
                turn.state["pending"] = {
                    "kind": request.kind,
                    "action": request.action,
                    "order_ids": list(request.order_ids),
                    "text": text,
                }
                turn.needs_identity = True
                turn.confidence = max(turn.confidence, 0.9)
                composed = Composed(_t("identity", turn.language))
                yield from self._deltas(composed.text)
                return composed
            composed = self._order_turn(turn, request, text)
            yield from self._deltas(composed.text)
            return composed

        product = self._focus_product(turn)
        shopping = _SHOPPING_CUE.search(text) is not None and (product is None or not product.get("named"))
        if product is not None and not shopping and (_PRODUCT_CUE.search(text) or text.rstrip().endswith("?")):
            return (yield from self._product_turn(turn, product))

        passages = self._retrieve(turn, ("policies", "conversations"))
        best = max((p.cosine or 0.0) for p in passages) if passages else None
        if shopping:
            # A shopping request goes to the catalog unless a policy matches it better ("I need a
            # refund" is a service question that happens to share the cue).
            policies = [p.cosine or 0.0 for p in passages if p.collection == "policies"]
            floor = max(0.3, max(policies, default=0.0) - 0.05)
            where = None
            cap = _PRICE_CAP.search(text)
            if cap:
                where = {"price": {"$lte": float(cap.group(2).replace(",", ""))}}
            found = self.retrievers["products"].search(text, where=where, k=6)
            matches = sorted((p for p in found if (p.cosine or 0.0) >= floor), key=lambda p: -(p.cosine or 0.0))[:3]
            if matches:
                turn.confidence = max(turn.confidence, 0.8)
                turn.products = [_ref_of(p) for p in matches]
                composed = self.composer.shopping_answer(text, matches)
                return (yield from self._maybe_generate(turn, composed, matches))
        if self.scope.out_of_scope(text, best if best is not None else 0.0):
            return (yield from self._refuse(turn))
        composed = self.composer.answer(text, passages, self._placeholder_values(turn))
        return (yield from self._maybe_generate(turn, composed, passages))

    def _refuse(self, turn: _Turn) -> Generator[str, None, Composed]:
        turn.refused = True
        turn.confidence = 1.0
        composed = Composed(_t("refusal", turn.language))
        yield from self._deltas(composed.text)
        return composed

    def _retrieve(
        self,
        turn: _Turn,
        collections: Sequence[CollectionName],
        where: Mapping[str, Any] | None = None,
        query: str | None = None,
    ) -> list[Passage]:
        out: list[Passage] = []
        for name in collections:
            hits = self.retrievers[name].search(query or turn.text, where=where, k=self.settings.retrieval_k + 4)
            if name == "conversations" and turn.intent.intent:
                # The same-intent past replies answer this question; others are about something else.
                hits = [p for p in hits if p.metadata.get("intent") == turn.intent.intent] or hits
            out.extend(hits[: self.settings.retrieval_k])
        out.sort(key=lambda p: -(p.cosine or 0.0))
        return out

    def _placeholder_values(self, turn: _Turn) -> dict[str, str]:
        values: dict[str, str] = {}
        if self.shop_name and self.shop_name != "our shop":
            values["company name"] = self.shop_name
        last = turn.state.get("last_order_id")
        if last and turn.verified_id:
            for key in ("order number", "order id", "purchase number", "purchase id anonymized", "order number id"):
                values[key] = str(last)
        return values

    def _order_turn(self, turn: _Turn, request: OrderRequest, text: str) -> Composed:
        assert turn.verified_id is not None
        facts, missing = self.orders.orders_of(turn.verified_id, request.order_ids)
        if facts:
            turn.state["last_order_id"] = facts[0].order_id
        turn.confidence = 1.0
        if request.kind == "action" and request.action is not None:
            if len(facts) != 1 or missing or not request.order_ids:
                example = facts[0].order_id if facts else "#12345"
                if missing:
                    return ExtractiveComposer.order_status([], missing)
                turn.state["pending_action"] = request.action
                return Composed(
                    _t("action_which", turn.language, action=request.action.replace("_", " "), example=example)
                )
            policy = self._retrieve(turn, ("policies",), query=text)[:1]
            sources = [self._source(p) for p in policy] + [self._order_source(facts[0])]
            draft_id = self.orders.prepare_action(
                turn.conversation_id, turn.verified_id, request.action, facts[0], text, sources
            )
            audit.info(
                json.dumps(
                    {
                        "event": "order_action_prepared",
                        "conversation_id": turn.conversation_id,
                        "draft_id": draft_id,
                        "action": request.action,
                        "order_id": facts[0].order_id,
                        "sources": sources,
                    }
                )
            )
            body = _t("action", turn.language, action=request.action.replace("_", " "), order_id=facts[0].order_id)
            body += f" [1]\n- {'; '.join(facts[0].lines)} [1]"
            used: tuple[Passage, ...] = ()
            if policy:
                title, pbody = policy_body(policy[0])
                from assistant.conversation.compose import best_sentences

                sent = best_sentences(text, pbody, limit=1)
                if sent:
                    body += f"\n- Policy ({title.split('>')[-1].strip()}): {sent[0].lstrip('-* ').strip()} [2]"
                    used = (policy[0],)
            return Composed(body, used, facts=facts[0].lines, meta={"orders": [facts[0].record]})
        pending_action = turn.state.pop("pending_action", None)
        if pending_action and len(facts) == 1 and request.order_ids:
            return self._order_turn(turn, OrderRequest("action", pending_action, request.order_ids), text)
        composed = ExtractiveComposer.order_status([f.lines for f in facts], missing)
        return Composed(composed.text, (), composed.facts, meta={"orders": [f.record for f in facts]})

    def _focus_product(self, turn: _Turn) -> dict[str, Any] | None:
        """The product the message is about: named in it, or the one the customer is looking at."""
        hits = self.retrievers["products"].search(turn.text, k=3)
        q = set(tokenize(turn.text))
        for p in hits:
            name = str(p.metadata.get("name") or "")
            name_toks = {t for t in tokenize(name) if len(t) > 3}
            overlap = len(name_toks & q)
            if name_toks and overlap >= max(1, min(2, len(name_toks) - 1)) and (p.cosine or 0) >= 0.3:
                turn.state["product_focus"] = str(p.metadata.get("product_id") or p.id)
                # "named": the message names this product, not merely a word of its name ("camp").
                named = overlap >= min(2, len(name_toks))
                return {"product_id": turn.state["product_focus"], "name": name, "named": named}
        focus = None
        if turn.events:
            focus = turn.events[-1].product_id
        elif _DEICTIC.search(turn.text):
            focus = turn.state.get("product_focus")
        if focus:
            got = self.vectors.collection("products").get(where={"product_id": focus}, include=["metadatas"])
            metas = got.get("metadatas") or []
            name = str((metas[0] or {}).get("name", focus)) if metas else str(focus)
            turn.state["product_focus"] = focus
            return {"product_id": focus, "name": name}
        return None

    def _product_turn(self, turn: _Turn, product: Mapping[str, Any]) -> Generator[str, None, Composed]:
        reviews = self._retrieve(turn, ("reviews",), where={"product_id": product["product_id"]})
        reviews.sort(key=lambda p: -p.score)
        composed = self.composer.product_answer(turn.text, str(product["name"]), reviews)
        turn.confidence = max(turn.confidence, 0.8 if reviews else 0.3)
        turn.products = self._product_refs([str(product["product_id"])])
        return (yield from self._maybe_generate(turn, composed, reviews[:3]))

    def _maybe_generate(
        self, turn: _Turn, extractive: Composed, passages: Sequence[Passage]
    ) -> Generator[str, None, Composed]:
        if self.generator is None or not passages:
            yield from self._deltas(extractive.text)
            return extractive
        used = list(passages[: self.settings.retrieval_k])
        window = self.memory.window(turn.history, turn.summary)
        req = GenerationRequest(
            question=turn.text,
            language=turn.language,
            passages=[(i, self._title(p), p.text) for i, p in enumerate(used, start=1)],
            facts=list(extractive.facts),
            history=list(window.recent),
            summary=window.summary,
        )
        evidence = [p.text for p in used] + list(extractive.facts) + [turn.text]
        draft = ""
        shown = ""
        pending = ""
        try:
            for delta in self.generator.stream(req):
                draft += delta
                pending += delta
                # Sentences stream only once they are complete and grounded; claim-free text flows.
                if re.search(r"[.!?。！？\n]\s*$", pending):
                    check = self.guard.check(pending, evidence)
                    if not check.ok:
                        raise _Unsupported(check.reasons)
                    shown += pending
                    yield pending
                    pending = ""
            check = self.guard.check(draft, evidence)
            if check.ok:
                check = self.guard.check_substance(draft, turn.text, evidence[:-1])
            if not check.ok:
                raise _Unsupported(check.reasons)
            if pending:
                yield pending
        except _Unsupported as exc:
            log.warning("generated draft rejected, falling back to the extractive reply: %s", "; ".join(exc.reasons))
            turn.guard = {"ok": False, "reasons": list(exc.reasons), "draft": draft}
            if shown:
                yield "\n\n"
            yield from self._deltas(extractive.text)
            return extractive
        except Exception as exc:  # a down model server must not take the chat down with it
            log.error("answer backend failed, using the extractive reply: %s", exc)
            turn.guard = {"ok": False, "reasons": [f"backend error: {exc}"]}
            yield from self._deltas(extractive.text)
            return extractive
        turn.guard = {"ok": True}
        text = draft.strip()
        if not re.search(r"\[\d+\]", text):
            text += "\n\nSources: " + " ".join(f"[{i}]" for i in range(1, len(used) + 1))
        return Composed(text, tuple(used), extractive.facts, meta={"basis": "generated"})

    @staticmethod
    def _deltas(text: str) -> Iterator[str]:
        for m in re.finditer(r"\S+\s*|\s+", text):
            yield m.group(0)

    # --- finishing ------------------------------------------------------------------------------

    @staticmethod
    def _title(p: Passage) -> str:
        m = p.metadata
        for key in ("title", "name"):
            if m.get(key):
                return str(m[key])
        if p.collection == "conversations":
            return f"Past conversation ({m.get('intent', 'support')})"
        if p.collection == "reviews":
            return "Customer Q&A" if m.get("kind") == "qa" else "Customer review"
        return p.collection

    def _source(self, p: Passage) -> dict[str, Any]:
        return {
            "collection": p.collection,
            "doc_id": p.id,
            "source": str(p.metadata.get("source", "")),
            "title": self._title(p),
        }

    @staticmethod
    def _order_source(f: OrderFacts) -> dict[str, Any]:
        return {"collection": "orders", "doc_id": f.order_id, "source": "store", "title": f"Order {f.order_id}"}

    def _citations(self, composed: Composed) -> list[Citation]:
        cites = [
            Citation(
                n=i,
                collection=p.collection,
                doc_id=p.id,
                title=self._title(p),
                snippet=snippet(p.text),
                source=str(p.metadata.get("source", "")),
            )
            for i, p in enumerate(composed.used, start=1)
        ]
        orders = composed.meta.get("orders") if composed.meta else None
        if isinstance(orders, list) and not composed.used:
            for i, rec in enumerate(orders, start=1):
                cites.append(
                    Citation(
                        n=i,
                        collection="orders",
                        doc_id=str(rec["order_id"]),
                        title=f"Order {rec['order_id']}",
                        snippet=snippet("; ".join(str(v) for v in rec.values() if v)),
                        source="store",
                    )
                )
        elif isinstance(orders, list):
            # Order-action replies cite the order as [1] and shift passages after it.
            cites = [
                Citation(
                    n=1,
                    collection="orders",
                    doc_id=str(orders[0]["order_id"]),
                    title=f"Order {orders[0]['order_id']}",
                    snippet="",
                    source="store",
                )
            ] + [c.model_copy(update={"n": c.n + 1}) for c in cites]
        return cites

    def _recommend(self, turn: _Turn) -> list[Recommendation]:
        if self.interest is None or self.recommendations_k == 0:
            return []
        from assistant.interest.online import SessionEvent as LiveEvent

        customer = turn.verified_id or turn.customer_id
        chat = [t for r, t in turn.history[-8:] if r == "customer"] + [turn.text]
        now = datetime.now(UTC)
        try:
            live: list[Any] = []
            for e in turn.events:
                if customer is not None:
                    # A known customer's events are stored, so later sessions remember them too.
                    self.interest.record_event(
                        customer, e.product_id, e.event_type, e.session_id or turn.conversation_id
                    )
                else:
                    live.append(LiveEvent(e.product_id, e.event_type, e.timestamp or now))
            recs = self.interest.recommend(customer, chat_text=chat, session_events=live, k=self.recommendations_k)
        except Exception as exc:  # recommendations are an extra: never lose the reply over them
            log.error("recommendations failed for %s: %s", turn.conversation_id, exc)
            return []
        out = []
        for r in recs:
            contrib: dict[str, float] = {}
            for label, weight in list(r.contributions or []):
                contrib[str(label)] = contrib.get(str(label), 0.0) + float(weight)
            out.append(
                Recommendation(
                    product_id=str(r.product_id),
                    name=r.name,
                    category=r.category,
                    price=r.price,
                    score=float(r.score),
                    reason=r.reason,
                    contributions=contrib,
                )
            )
        return out

    def _profile(self, turn: _Turn) -> dict[str, Any]:
        customer = turn.verified_id or turn.customer_id
        if self.interest is None or customer is None:
            return {"customer_id": customer}
        try:
            prof = self.interest.profile(customer, turn.text)
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

    def _finish(self, turn: _Turn, composed: Composed) -> TurnResult:
        citations = self._citations(composed)
        recs = self._recommend(turn)
        confidence = max(0.0, min(1.0, float(turn.confidence)))
        low = confidence < self.handoffs.low_confidence and not turn.refused and not turn.needs_identity
        streak = int(turn.state.get("low_streak", 0))
        if turn.handoff_reason is None and turn.text:
            decision = self.handoffs.decide(turn.text, confidence if low else 1.0, streak)
            if decision is not None:
                turn.handoff_reason = decision.reason
        turn.state["low_streak"] = streak + 1 if low else 0
        text = composed.text
        handoff = turn.handoff_reason is not None
        newly_handed = handoff and turn.state.get("status") != "handoff"
        if newly_handed and not turn.handoff_announced and composed.text:
            text = composed.text + "\n\n" + _t("handoff", turn.language)
        sources = [c.model_dump() for c in citations]
        meta = {
            "language": turn.language,
            "handoff": handoff,
            "handoff_reason": turn.handoff_reason,
            "needs_identity": turn.needs_identity,
            "refused": turn.refused,
            "recommendations": [r.model_dump() for r in recs],
            "backend": self.settings.answer_backend if self.generator else "extractive",
            "guard": turn.guard,
            "basis": dict(composed.meta).get("basis") if composed.meta else None,
        }
        state = {k: v for k, v in turn.state.items() if k not in ("status", "intent")}
        with self.db.session() as s:
            conv = s.get(Conversation, turn.conversation_id)
            assert conv is not None
            msg = Message(
                conversation_id=turn.conversation_id,
                role="assistant",
                text=text,
                citations=sources,
                intent=turn.intent.intent,
                confidence=confidence,
                meta=meta,
            )
            s.add(msg)
            window = self.memory.window(turn.history + ([("customer", turn.text)] if turn.text else []), "")
            conv.summary = window.summary
            conv.language = turn.language
            if turn.intent.intent:
                conv.intent = turn.intent.intent
            conv.verified_customer_id = turn.verified_id
            conv.state = state
            if newly_handed:
                conv.status = "handoff"
                summary = self._handoff_summary(turn, window.summary)
                conv.summary = summary
                draft_text, draft_sources = composed.text, sources
                if turn.handoff_announced:
                    # "I'm connecting you..." is no draft for the agent: offer the last real answer.
                    last = next(
                        (
                            m
                            for m in reversed(conv.messages)
                            if m.role == "assistant" and m is not msg and not (m.meta or {}).get("handoff")
                        ),
                        None,
                    )
                    draft_text, draft_sources = (last.text, list(last.citations or [])) if last else ("", [])
                s.add(
                    Draft(
                        conversation_id=turn.conversation_id,
                        kind="reply",
                        content=draft_text,
                        payload={
                            "reason": turn.handoff_reason,
                            "summary": summary,
                            "intent": conv.intent,
                            "confidence": confidence,
                            "language": turn.language,
                            "profile": self._profile(turn),
                        },
                        sources=draft_sources,
                        status="pending",
                    )
                )
            s.flush()
            message_id = int(msg.id)
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
            products=turn.products,
            asks_identity=turn.needs_identity,
            handed_off=handoff,
        )

    def _product_refs(self, product_ids: Sequence[str]) -> list[ProductRef]:
        from assistant.store.models import Product

        if not product_ids:
            return []
        with self.db.session() as s:
            rows = {p.id: p for p in s.scalars(select(Product).where(Product.id.in_(list(product_ids))))}
            return [
                ProductRef(
                    product_id=pid,
                    name=rows[pid].name if pid in rows else "",
                    price=rows[pid].price if pid in rows else None,
                    category=rows[pid].category if pid in rows else "",
                )
                for pid in product_ids
            ]

    @staticmethod
    def _handoff_summary(turn: _Turn, older: str) -> str:
        asks = [t for r, t in turn.history if r == "customer"] + ([turn.text] if turn.text else [])
        lines = [
            f"Handoff reason: {turn.handoff_reason}.",
            f"Detected intent: {turn.intent.intent or turn.state.get('intent') or 'unknown'}.",
            f"Customer verified: {'yes (' + turn.verified_id + ')' if turn.verified_id else 'no'}.",
        ]
        if asks:
            lines.append("Customer said: " + " | ".join(snippet(a, 120) for a in asks[-4:]))
        return "\n".join(lines)


def _ref_of(p: Passage) -> ProductRef:
    m = p.metadata
    price = m.get("price")
    return ProductRef(
        product_id=str(m.get("product_id") or p.id),
        name=str(m.get("name") or ""),
        price=float(price) if isinstance(price, int | float) else None,
        category=str(m.get("category") or ""),
    )


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
