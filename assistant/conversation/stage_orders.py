"""Turn stages for orders: the identity step, order questions of the verified customer, order actions.

Order actions are never executed here: they become drafts an agent approves."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, cast

from assistant.conversation.compose import Composed, ExtractiveComposer, best_sentences, policy_body
from assistant.conversation.orders import OrderDesk, OrderFacts, OrderRequest, identity_message
from assistant.conversation.state import PendingOrder
from assistant.conversation.templates import action_phrase, say
from assistant.conversation.turn import Turn, passage_source
from assistant.retrieval.hybrid import Passage

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

audit = logging.getLogger("assistant.audit")


class OrderStages:
    """Stage mixin of :class:`~assistant.conversation.engine.Assistant` (attributes declared below)."""

    orders: OrderDesk

    def _retrieve(
        self, turn: Turn, collections: Sequence[str], query: str, query_vec: np.ndarray | None = None
    ) -> list[Passage]:
        raise NotImplementedError

    # --- identity and orders -------------------------------------------------------------------
    def _identity_step(self, turn: Turn) -> Composed | None:
        pending = turn.state.pending
        assert pending is not None
        claim = turn.text
        if pending.claim and self.orders.identity_attempted(claim) and not self.orders.name_claim(claim):
            # "Noah Brown, 90210" failed, then "sorry, my zip is 80279": the name still stands.
            claim = f"{pending.claim} {claim}"
        check = self.orders.check_identity(claim, conversation_id=turn.conversation_id)
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
            return Composed(prefix + "\n" + composed.text, composed.used, composed.facts, composed.meta)
        if check.attempted:
            pending.claim = self.orders.name_claim(claim)
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
                    say("verified", turn.language) + "\n" + composed.text, composed.used, composed.facts, composed.meta
                )
            turn.state.pending = PendingOrder(
                kind=request.kind,
                action=request.action,
                order_ids=list(request.order_ids),
                claim=self.orders.name_claim(body) if check.attempted else "",
            )
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
            shown = [f.order_id for f in facts]
            # For "what's in the first one?". One of the listed orders shown again keeps the list:
            # "cancel the first one" after "what's in the second one?" still means the list's first.
            if not set(shown) <= set(turn.state.shown_orders):
                turn.state.shown_orders = shown
        turn.confidence = 1.0
        if request.kind == "action" and request.action is not None:
            if len(facts) != 1 or missing or not request.order_ids:
                if missing:
                    return ExtractiveComposer.order_status([], missing, turn.language)
                turn.state.pending_action = request.action
                example = facts[0].order_id if facts else "#12345"
                action = action_phrase(request.action, turn.language)
                return Composed(say("action_which", turn.language, action=action, example=example))
            return self._order_action(turn, request, facts[0], text)
        pending_action = turn.state.pending_action
        turn.state.pending_action = None
        if pending_action and len(facts) == 1 and request.order_ids:
            return self._order_turn(turn, OrderRequest("action", cast(Any, pending_action), request.order_ids), text)
        turn.orders = [f.record for f in facts]
        return ExtractiveComposer.order_status(facts, missing, turn.language)

    def _order_action(self, turn: Turn, request: OrderRequest, order: OrderFacts, text: str) -> Composed:
        assert turn.verified_id is not None and request.action is not None
        # The policy for this action, not for whatever else the message says ("#W123" alone
        # after "which order?" would find any section).
        action = action_phrase(request.action, turn.language)
        query = f"{action} order: {text}"
        policy = self._retrieve(turn, ["policies"], query)[:1]
        sources = [passage_source(p) for p in policy] + [
            {"collection": "orders", "doc_id": order.order_id, "source": "store", "title": f"Order {order.order_id}"}
        ]
        draft_id = self.orders.prepare_action(
            turn.conversation_id, turn.verified_id, request.action, order, text, sources
        )
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
        body = say("action", turn.language, action=action, order_id=order.order_id)
        body += f" [1]\n- {order.text_in(turn.language)} [1]"
        used: tuple[Passage, ...] = ()
        if policy:
            title, pbody = policy_body(policy[0])
            sent = best_sentences(query, pbody, limit=1)
            if sent:
                body += f"\n- {title.split('>')[-1].strip()}: {sent[0]} [2]"
                used = (policy[0],)
        turn.orders = [order.record]
        turn.order_first = True
        return Composed(body, used, facts=order.lines)
