"""The last stage of a turn: citations, handoff decision, recommendation panel, output guard, save."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from assistant.config import ConversationSettings, Settings
from assistant.conversation.compose import Composed, clean_markdown, customer_units, policy_body, written_for_staff
from assistant.conversation.handoff import HandoffPolicy
from assistant.conversation.memory import ConversationMemory
from assistant.conversation.panel import Panel
from assistant.conversation.repository import ConversationRepository, SavedReply
from assistant.conversation.templates import say
from assistant.conversation.turn import Turn, jsonable, passage_title, product_ref
from assistant.conversation.types import Citation, TurnResult
from assistant.retrieval.hybrid import Passage
from assistant.retrieval.text import snippet

log = logging.getLogger(__name__)
audit = logging.getLogger("assistant.audit")


class FinishStage:
    """Stage mixin of :class:`~assistant.conversation.engine.Assistant` (attributes declared below)."""

    settings: Settings
    cfg: ConversationSettings
    repo: ConversationRepository
    panel: Panel
    handoffs: HandoffPolicy
    memory: ConversationMemory
    generator: Any
    interest: Any

    def _output_guard(self) -> Any:
        raise NotImplementedError

    # --- finishing -----------------------------------------------------------------------------
    def _guarded(self, turn: Turn, text: str, *, withheld: str | None = None) -> str:
        """The one place text shown to the customer passes the foreign-PII guard.

        Fails closed: text the guard could not check (or that it emptied) becomes ``withheld``, by
        default the fixed "no answer" message; reasons and snippets pass ``""``.
        """
        fallback = say("no_answer", turn.language) if withheld is None else withheld
        if not text:
            return text
        guard = self._output_guard()
        try:
            res = guard.scrub(text, turn.verified_id, signed_in=turn.state.signed_in)
        except Exception:
            log.exception("PII guard failed; the text is withheld")
            return fallback
        return str(res.text) if res.text else fallback

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
        for prod in turn.cite_products:
            cites.append(
                Citation(
                    n=len(cites) + 1,
                    collection="products",
                    doc_id=prod.product_id,
                    title=prod.name,
                    snippet=snippet(prod.description),
                    source=prod.source,
                )
            )
        for p in composed.used:  # retrieved text passes the same output guard (issue 11)
            cites.append(
                Citation(
                    n=len(cites) + 1,
                    collection=p.collection,
                    doc_id=p.id,
                    # Titles too come from ingested text (a mined answer's topic is a past conversation's
                    # label): links off the allow-list become plain text, other customers' details are masked.
                    title=self._guarded(turn, passage_title(p), withheld=p.collection),
                    # A policy chunk starts with its heading, which the citation already shows as its title.
                    snippet=snippet(self._guarded(turn, self._cited_text(p), withheld="")),
                    source=str(p.metadata.get("source", "")),
                )
            )
        return cites

    @staticmethod
    def _cited_text(p: Passage) -> str:
        """The text a citation previews: a policy chunk without its heading (the citation's title) and
        without list markers, its lines read as one paragraph."""
        if p.collection != "policies":
            return p.text
        body = policy_body(p)[1]
        if written_for_staff(body):
            # An agent playbook's section: only what its answers may quote, never the agents' steps.
            return " ".join(customer_units(body))
        return " ".join(clean_markdown(line) for line in body.splitlines() if line.strip())

    def _finish(self, turn: Turn, composed: Composed) -> TurnResult:
        st = turn.state
        citations = self._citations(turn, composed)
        with turn.timed("panel"):
            recs = self.panel.recommend(
                turn.conversation_id,
                turn.customer,
                st.need,
                turn.events,
                turn.language,
                turn.shopping,
                listed=[p.product_id for p in turn.products],
            )
        if recs:
            with turn.timed("guard"):
                recs = [r.model_copy(update={"reason": self._guarded(turn, r.reason, withheld="")}) for r in recs]
        confidence = max(0.0, min(1.0, float(turn.confidence)))
        low = confidence < self.handoffs.low_confidence and not turn.needs_identity and bool(turn.text)
        text = composed.text
        if turn.handoff_reason is None and turn.text:
            decision = self.handoffs.decide(turn.text, confidence if low else 1.0, st.low_streak)
            if decision is not None and decision.reason == "repeated low confidence":
                # Repeated declines or unsure answers: offer a person rather than insist (once: the
                # reply may already offer one).
                if not st.handoff_offered:
                    text = text + "\n\n" + say("offer_handoff", turn.language)
                st.handoff_offered = True
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
            "products": [product_ref(p).model_dump() for p in turn.products],
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
        save_start = time.perf_counter()
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
                impressions=tuple(r.product_id for r in recs),
            ),
        )
        turn.timings["save"] = (time.perf_counter() - save_start) * 1000
        if audit.isEnabledFor(logging.INFO):  # the record is built only for a configured audit log
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
            products=[product_ref(p) for p in turn.products],
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
        return dict(json.loads(json.dumps(out, default=jsonable)))

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
