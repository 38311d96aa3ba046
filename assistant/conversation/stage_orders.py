"""Turn stages for orders: the identity step, order questions of the verified customer, order actions.

Order actions are never executed here: they become drafts an agent approves."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from assistant.conversation import understand as cue
from assistant.conversation.compose import Composed, ExtractiveComposer, best_sentences, customer_units, policy_body
from assistant.conversation.orders import (
    METHOD_WORDS,
    NOT_YET_SHIPPED,
    IdentityCheck,
    OrderAction,
    OrderDesk,
    OrderFacts,
    OrderRequest,
    action_object,
    asks_for_others_orders,
    asks_when_ships,
    identity_failed,
    identity_message,
    identity_name_only,
    identity_request,
    listed_by_status,
    mentions_account,
    picks_order,
    reports_stalled_parcel,
    stated_name,
    status_in,
)
from assistant.conversation.profile import asks_profile, asks_profile_change, cannot_change, profile_of, profile_text
from assistant.conversation.state import PendingOrder
from assistant.conversation.templates import action_phrase, say
from assistant.conversation.turn import Turn, passage_source
from assistant.conversation.understand import asks_whether, has_reference
from assistant.retrieval.hybrid import Passage
from assistant.retrieval.text import has_cjk, tokenize

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from assistant.config import Settings
    from assistant.conversation.catalog import CatalogIndex

audit = logging.getLogger("assistant.audit")
# An order on its way to the customer (the store's words, any case).
_ON_ITS_WAY = frozenset(["shipped", "in transit", "in_transit", "dispatched", "out for delivery", "sent"])
# A sentence stating a time ("in 3-5 working days", "the same day", "2-4 个工作日").
_STATES_TIME = re.compile(
    r"\d+\s*(?:-|–|to)?\s*\d*\s*(?:business\s+|working\s+)?(?:days?|hours?|weeks?)\b"
    r"|same day|next (?:working |business )?day"
    r"|\d+\s*(?:-|–|至|到)?\s*\d*\s*(?:个)?(?:工作日|天|小时)",
    re.I,
)
# The stems of the order actions' words ("cancel", "return", "exchange", "change … address").
_ACTION_STEMS = frozenset(tokenize("cancel cancellation return exchange refund change address"))


def _policy_line(title: str, sentence: str) -> str:
    """A policy sentence quoted after an order's facts, under its section's own name, cited [2].

    Example:
        >>> _policy_line("Policy > Cancellations", "Processing orders can still be cancelled.")
        '- Cancellations: Processing orders can still be cancelled. [2]'
    """
    return f"- {title.split('>')[-1].strip()}: {sentence} [2]"


class OrderStages:
    """Stage mixin of :class:`~assistant.conversation.engine.Assistant` (attributes declared below)."""

    orders: OrderDesk
    settings: Settings
    catalog: CatalogIndex

    def _retrieve(
        self, turn: Turn, collections: Sequence[str], query: str, query_vec: np.ndarray | None = None
    ) -> list[Passage]:
        raise NotImplementedError

    # --- identity and orders -------------------------------------------------------------------
    def _identity_step(self, turn: Turn) -> Composed | None:
        pending = turn.state.pending
        assert pending is not None
        claim = turn.text
        if pending.claim and self.orders.identity_attempted(claim) and not self.orders.partial_claim(claim):
            # "Noah Brown, 90210" failed, then "sorry, my zip is 80279": the name still stands (or the email,
            # sent first without its zip).
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
            order_ids = tuple(pending.order_ids)
            if pending.kind == "action" and not order_ids and pending.request:
                # "I want to return my luggage set", then who they are: the one order holding the item
                # (several or none: the orders the policy allows the action for, listed).
                held = self.orders.orders_with_item(check.customer_id, pending.request)
                order_ids = tuple(held) if len(held) == 1 else ()
                unheld = None if held else self._unheld_item(turn, pending.request)
                if unheld is not None:
                    # "can I exchange my headphones…?" from a customer none of whose orders holds them
                    composed = self._item_not_ordered(turn, unheld, pending.action)
                    text = say("verified", turn.language) + "\n" + composed.text
                    return Composed(text, composed.used, composed.facts, composed.meta)
            elif pending.kind == "status" and not order_ids and pending.request:
                # "where's my skateboard?", then who they are: the orders holding it, not every order
                order_ids = tuple(self.orders.orders_with_item(check.customer_id, pending.request))
            resumed = OrderRequest(pending.kind, cast(Any, pending.action), order_ids)
            composed = self._order_turn(turn, resumed, pending.request if order_ids and pending.request else turn.text)
            prefix = say("verified", turn.language)
            return Composed(prefix + "\n" + composed.text, composed.used, composed.facts, composed.meta)
        name = stated_name(turn.text) if not check.attempted and "name_zip" in self.orders.methods else ""
        if name:
            # "it's for Ivan Santos": half of a name-plus-zip claim; the zip is asked for, whoever has that name.
            pending.claim = name
            turn.needs_identity = True
            turn.confidence = 1.0
            return Composed(
                identity_name_only(self.orders.methods, turn.language, postcode=self.orders.postcode),
                meta={"basis": "identity"},
            )
        if check.attempted:
            pending.claim = self.orders.partial_claim(claim)
            return self._identity_not_verified(turn, check)
        return None

    def _identity_not_verified(self, turn: Turn, check: IdentityCheck) -> Composed:
        """The reply to an identity claim that verified nobody (failed, ambiguous, incomplete or throttled): what is
        still needed, in the shop's words for a postal code; a throttled one is handed to a person."""
        turn.needs_identity = True
        turn.confidence = 1.0
        if check.status == "throttled":
            turn.handoff_reason = "identity could not be verified"
        message = identity_message(check, turn.language, postcode=self.orders.postcode) or identity_failed(
            self.orders.methods, turn.language, postcode=self.orders.postcode
        )
        return Composed(message, meta={"basis": "identity"})

    def _forgotten_identifier(self, turn: Turn, which: str) -> Composed:
        """ "I don't remember my email" while who they are is asked: the other ways the shop's configuration
        accepts (never which emails or names exist), or a person offered when there is none ("yes" hands
        over). The order question keeps waiting."""
        uses = {"email": {"email", "email_zip"}, "zip": {"name_zip", "email_zip"}, "name": {"name_zip"}}
        left = [m for m in self.orders.methods if m not in uses.get(which, set()) and m in METHOD_WORDS]
        lang = "zh" if turn.language == "zh" else "en"
        turn.needs_identity = True
        turn.confidence = 1.0
        turn.state.handoff_offered = True
        if not left:
            return Composed(say("identity_no_other_way", turn.language), meta={"basis": "identity"})
        ways = [METHOD_WORDS[m][lang].format(postcode=self.orders.postcode) for m in left]
        joined = ("，或" if lang == "zh" else ", or ").join(ways)
        return Composed(say("identity_other_ways", turn.language, ways=joined), meta={"basis": "identity"})

    def _exchange_rule(self, turn: Turn) -> bool:
        """The shop's policy says something on exchanges (a sentence of the closest sections names them)."""
        for p in self._retrieve(turn, ["policies"], "exchange an item for a different size or colour")[:4]:
            if any(cue.states_exchange(u) for u in customer_units(policy_body(p)[1])):
                return True
        return False

    def _others_orders(self, turn: Turn, text: str) -> Composed | None:
        """ "Can you check my husband's orders?", or a verified customer naming another account's email
        or name ("and the orders of ivan@example.com?"): refused, with the same words whether or not that
        account exists; nothing is looked up or shown. None for other messages."""
        verified = turn.verified_id
        # "Change the email on my account to maya@example.org" names a new address of their own.
        own_change = asks_profile_change(text, after_profile=turn.state.about_profile)
        other = asks_for_others_orders(text) or (
            verified is not None
            and not own_change
            and mentions_account(text)
            and self.orders.claims_other(verified, text)
        )
        if not other:
            return None
        turn.shopping = False
        turn.confidence = 1.0
        audit.info(json.dumps({"event": "others_orders_refused", "conversation_id": turn.conversation_id}))
        key = "others_orders_verified" if verified is not None else "others_orders"
        if turn.state.signed_in:  # no other identity can be confirmed in a chat of the shop's login
            key = "others_orders_signed_in"
        return Composed(say(key, turn.language), meta={"basis": "identity"})

    def _order_request(self, turn: Turn, request: OrderRequest, body: str) -> Composed:
        turn.shopping = False
        if turn.verified_id is None:
            check = self.orders.check_identity(body, conversation_id=turn.conversation_id)
            if check.status == "verified" and check.customer_id:
                turn.verified_id = check.customer_id
                if request.kind == "status" and not request.order_ids:
                    # "I'm Ivan Santos zip 75277. where's my skateboard": the orders holding it
                    held = self.orders.orders_with_item(check.customer_id, body)
                    request = OrderRequest("status", None, tuple(held)) if held else request
                composed = self._order_turn(turn, request, body)
                return Composed(
                    say("verified", turn.language) + "\n" + composed.text, composed.used, composed.facts, composed.meta
                )
            turn.state.pending = PendingOrder(
                kind=request.kind,
                action=request.action,
                order_ids=list(request.order_ids),
                claim=self.orders.partial_claim(body) if check.attempted else "",
                # "I want to return my luggage set": once verified, the order holding it
                # "where's my skateboard?": the orders holding it
                request=body if request.kind in ("action", "status") and not request.order_ids else "",
            )
            turn.needs_identity = True
            turn.confidence = max(turn.confidence, 0.9)
            if check.attempted:
                message = identity_message(check, turn.language, postcode=self.orders.postcode) or identity_failed(
                    self.orders.methods, turn.language, postcode=self.orders.postcode
                )
                return Composed(message, meta={"basis": "identity"})
            return Composed(
                identity_request(self.orders.methods, turn.language, postcode=self.orders.postcode),
                meta={"basis": "identity"},
            )
        return self._order_turn(turn, request, body)

    def _profile_request(self, turn: Turn, body: str) -> Composed | None:
        """ "What address do you have on file for me?": the verified customer's own details (a guest
        proves who they are first). "Update it to …": the assistant cannot change a profile; it says
        so and offers a person ("yes" hands over), never claiming a change. None for other messages."""
        st = turn.state
        after, st.about_profile = st.about_profile, False
        if asks_profile_change(body, after_profile=after):
            turn.shopping = False
            turn.confidence = 1.0
            st.handoff_offered = True
            text = f"{cannot_change(turn.language)} {say('offer_handoff', turn.language)}"
            return Composed(text, meta={"basis": "profile"})
        if not asks_profile(body):
            return None
        return self._order_request(turn, OrderRequest("profile"), body)

    def _profile_turn(self, turn: Turn) -> Composed:
        assert turn.verified_id is not None
        facts = profile_of(self.orders.db, turn.verified_id)
        turn.confidence = 1.0
        turn.shopping = False
        if facts is None:
            return Composed(say("no_answer", turn.language), meta={"basis": "none"})
        turn.state.about_profile = True
        return Composed(profile_text(facts, turn.language), meta={"basis": "profile"})

    def _order_turn(self, turn: Turn, request: OrderRequest, text: str, *, confirmed: bool = False) -> Composed:
        """Answer an order request of the verified customer. ``confirmed``: the customer said yes to
        passing on the action offered, asked in ``text`` as a question ("can I change the address?")."""
        assert turn.verified_id is not None
        if request.kind == "profile":
            return self._profile_turn(turn)
        facts, missing = self.orders.orders_of(turn.verified_id, request.order_ids)
        if request.kind == "status" and not request.order_ids and len(facts) > 1 and asks_when_ships(text):
            # "when will my order arrive?": the orders still to arrive, not the delivered ones too
            coming = [f for f in facts if f.status.lower() in NOT_YET_SHIPPED | _ON_ITS_WAY]
            facts = coming or facts
        if facts:
            turn.state.last_order_id = facts[0].order_id
            shown = [f.order_id for f in facts]
            # For "what's in the first one?". One of the listed orders shown again keeps the list:
            # "cancel the first one" after "what's in the second one?" still means the list's first.
            if not set(shown) <= set(turn.state.shown_orders):
                turn.state.shown_orders = shown
            turn.state.order_focus = shown[0] if len(shown) == 1 else None
            if len(facts) == 1:
                # "my jacket is too small, can I swap it for a large?": the item of theirs named is the product
                # in focus, so "is the large in stock?" next is about it.
                named = self.orders.items_named(turn.verified_id, facts[0].order_id, text)
                item = next((p for p in self.catalog.products if len(named) == 1 and p.name == named[0]), None)
                if item is not None:
                    turn.state.focus = item.product_id
        turn.confidence = 1.0
        turn.state.asked_action = request.action if request.kind == "action" else None
        if request.kind == "action" and request.action is not None:
            if len(facts) > 1 and not missing and len(request.order_ids) == len(facts):
                # "the first and the third" after "which order would you like to return?"
                return self._several_actions(turn, request.action, facts, text, confirmed=confirmed)
            if len(facts) != 1 or missing or not request.order_ids:
                if missing:
                    return ExtractiveComposer.order_status([], missing, turn.language)
                turn.state.pending_action = request.action
                example = facts[0].order_id if facts else "#12345"
                action = action_phrase(request.action, turn.language)
                allowed = self._allowed_statuses(request.action)
                if facts and allowed is not None and not request.order_ids:
                    eligible = [f for f in facts if f.status.lower() in allowed]
                    # ("cancel all of it" with two orders listed points at them: which one is still asked)
                    pointed = len(turn.state.shown_orders) > 1 and (
                        cue.has_reference(text) or cue.means_whole_order(text)
                    )
                    if len(eligible) == 1 and not missing and not pointed:
                        # "can I cancel my order?" when one order can be: that order offered (a "yes" passes
                        # it on; "no, the other one" names another), not "which order?" over a list of one.
                        one = eligible[0]
                        turn.state.shown_orders = [one.order_id]
                        turn.state.order_focus = turn.state.last_order_id = one.order_id
                        closing = (
                            "ask_new_address"
                            if request.action == "address_change" and not cue.gives_address(text)
                            else "offer_pass_on"
                        )
                        return self._action_offer(turn, request.action, one, text, closing=closing)
                    # "which of my orders can I return?": the orders whose status the policy allows it in
                    listed = self._eligible_orders(turn, facts, allowed, action)
                    if not eligible and request.action in ("return", "exchange"):
                        return self._cancel_instead(turn, facts, listed)
                    return listed
                return Composed(say("action_which", turn.language, action=action, example=example))
            allowed = self._allowed_statuses(request.action)
            if request.action == "exchange" and not self._exchange_rule(turn):
                # The shop's policy has no rule on exchanges (a status rule configured says nothing then): no
                # exchange promised or refused; returning it and a new order, or a person (the request passed on).
                if confirmed:
                    return self._order_action(turn, request, facts[0], text)
                return self._action_offer(turn, request.action, facts[0], text)
            if allowed is not None and facts[0].status.lower() not in allowed:
                return self._action_not_allowed(turn, request.action, facts[0], allowed)
            if (asks_whether(text) or turn.ask_first) and not confirmed:
                return self._action_offer(turn, request.action, facts[0], text)
            if request.action == "address_change" and not confirmed and not cue.gives_address(text):
                # "the processing one" after "which order would you like to change the address of?": the new
                # address is asked for (given next, it is the yes), never a request passed on without one.
                return self._action_offer(turn, request.action, facts[0], text, closing="ask_new_address")
            return self._order_action(turn, request, facts[0], text)
        pending_action = turn.state.pending_action
        turn.state.pending_action = None
        if pending_action and facts and not missing and request.order_ids:
            return self._order_turn(turn, OrderRequest("action", cast(Any, pending_action), request.order_ids), text)
        stalled = reports_stalled_parcel(text)
        if stalled and not request.order_ids:
            # (the orders on their way, not one still being packed or one delivered)
            moving = [
                f
                for f in facts
                if f.status.lower() not in NOT_YET_SHIPPED and not re.search(r"deliver|cancel|refund", f.status, re.I)
            ]
            facts = moving or list(facts)
        turn.orders = [f.record for f in facts]
        composed = ExtractiveComposer.order_status(facts, missing, turn.language)
        if stalled and facts:
            # "the tracking hasn't updated in a week": the order and its tracking, and a person to ask the carrier
            turn.state.handoff_offered = True
            turn.offer_handoff = True
            text_out = f"{composed.text}\n{say('stalled_parcel', turn.language)}"
            return Composed(text_out, composed.used, composed.facts, composed.meta)
        if asks_when_ships(text) and len(facts) == 1 and facts[0].status.lower() in NOT_YET_SHIPPED:
            return self._with_shipping_time(turn, composed)
        if asks_when_ships(text) and len(facts) == 1 and facts[0].status.lower() in _ON_ITS_WAY:
            # "when will it arrive?" about a shipped order: its record (carrier, tracking) and the shop's
            # sentence on delivery times, not the order's status alone
            return self._with_shipping_time(turn, composed, "delivery_query")
        if len(facts) == 1 and "cancel" in facts[0].status.lower():
            # A cancelled order shown: "when will I get my money back?" asks about the refund of a cancelled
            # order; asked with it ("the refund for my cancelled order?"), the policy's sentence on it follows.
            turn.state.acted = "cancel"
            if cue.asks_refund(text):
                return self._with_case_refund(turn, composed, "cancel")
        return composed

    def _with_case_refund(self, turn: Turn, composed: Composed, case: str) -> Composed:
        """The order's facts and, cited, the policy's sentence on refunds in its ``case`` ("Cancelled orders
        are refunded in full right away…"); the facts alone when the policy states none."""
        wording = cue.CASE_WORDING[case]
        query = f"{wording.get(turn.language, wording['en'])} {say('refund_when_query', turn.language)}"
        for p in self._retrieve(turn, ["policies"], query)[:3]:
            title, pbody = policy_body(p)
            sent = best_sentences(query, pbody, limit=1, case=cue.CASE_TERMS[case])
            if sent and cue.asks_refund(sent[0]):
                turn.order_first = True  # the order is [1], the policy [2]
                return Composed(f"{composed.text}\n{_policy_line(title, sent[0])}", (p,), composed.facts, composed.meta)
        return composed

    def _several_actions(
        self, turn: Turn, action: str, facts: Sequence[OrderFacts], text: str, *, confirmed: bool
    ) -> Composed:
        """One action on several orders named at once ("return the first and the third"): a request
        for an agent for each order whose status the policy allows it in (or, asked as a question, the
        offer to pass them on, "yes" passes them on), the others named as not allowed; each order
        cited. Nothing is changed."""
        assert turn.verified_id is not None
        lang = turn.language
        phrase = action_phrase(action, lang)
        allowed = self._allowed_statuses(action)
        ok = [f for f in facts if allowed is None or f.status.lower() in allowed]
        refused = [f for f in facts if f not in ok]
        sep = "、" if lang == "zh" else ", "
        lines: list[str] = []
        if ok and asks_whether(text) and not confirmed:
            lines.append(say("actions_possible", lang, action=phrase, order_ids=sep.join(f.order_id for f in ok)))
            turn.state.offered_action = PendingOrder(
                kind="action", action=action, order_ids=[f.order_id for f in ok], request=text
            )
            turn.state.handoff_offered = True
        elif ok:
            for order in ok:
                title = f"Order {order.order_id}"
                sources = [{"collection": "orders", "doc_id": order.order_id, "source": "store", "title": title}]
                draft_id = self.orders.prepare_action(
                    turn.conversation_id, turn.verified_id, cast(Any, action), order, text, sources
                )
                audit.info(
                    json.dumps(
                        {
                            "event": "order_action_prepared",
                            "conversation_id": turn.conversation_id,
                            "draft_id": draft_id,
                            "action": action,
                            "order_id": order.order_id,
                            "sources": sources,
                        }
                    )
                )
            lines.append(say("actions", lang, action=phrase, order_ids=sep.join(f.order_id for f in ok)))
        if refused:
            them = "it" if len(refused) == 1 else "them"
            ids = sep.join(f.order_id for f in refused)
            lines.append(say("actions_not_allowed", lang, action=phrase, order_ids=ids, them=them))
        shown = ok + refused
        lines += [f"- {f.text_in(lang)} [{i}]" for i, f in enumerate(shown, start=1)]
        if not ok:
            lines.append(say("offer_handoff", lang))
            turn.state.handoff_offered = True
        elif asks_whether(text) and not confirmed:
            lines.append(say("offer_pass_on", lang))
        turn.orders = [f.record for f in shown]
        turn.order_first = False
        turn.confidence = 1.0
        return Composed("\n".join(lines), (), facts=tuple(line for f in shown for line in f.lines))

    def _when_ships(self, turn: Turn, body: str) -> OrderRequest | None:
        """ "When will it ship?" from a verified customer about their order: the listed order (or
        orders) not yet shipped, else, when no product is in focus, their orders not yet shipped,
        else their latest. None for other messages, or when "it" is the product being discussed."""
        st = turn.state
        if turn.verified_id is None or not asks_when_ships(body) or not has_reference(body):
            return None
        if st.shown_orders:
            facts, _ = self.orders.orders_of(turn.verified_id, tuple(st.shown_orders))
        elif st.focus is None:
            facts, _ = self.orders.orders_of(turn.verified_id)
        else:
            return None
        waiting = [f.order_id for f in facts if f.status.lower() in NOT_YET_SHIPPED]
        ids = waiting or [f.order_id for f in facts[:1]]
        return OrderRequest("status", None, tuple(ids)) if ids else None

    def _with_shipping_time(self, turn: Turn, composed: Composed, key: str = "ships_when_query") -> Composed:
        """The one order's facts and, cited, the policy's sentence on when orders ship ("Orders leave
        our warehouse within 1-2 business days."; ``key`` ``delivery_query``: on how long delivery takes, for
        an order on its way). Of the closest sections, the first sentence stating a time is quoted ("until it
        has been dispatched" is no time); the facts alone when none does."""
        query = say(key, turn.language)
        for passage in self._retrieve(turn, ["policies"], query)[:3]:
            title, pbody = policy_body(passage)
            sent = [u for u in best_sentences(query, pbody, limit=3) if _STATES_TIME.search(u)]
            if sent:
                turn.order_first = True  # the order is [1], the policy [2]
                text = f"{composed.text}\n{_policy_line(title, sent[0])}"
                return Composed(text, (passage,), composed.facts, composed.meta)
        return composed

    @staticmethod
    def _eligible_orders(turn: Turn, facts: Sequence[OrderFacts], allowed: set[str], action: str) -> Composed:
        """An action asked without an order number: the customer's orders in a status the policy allows it
        in, listed (so "the first one" next names one), and the question which; or, when none is, their
        orders with their statuses and that none can be, nothing passed on."""
        eligible = [f for f in facts if f.status.lower() in allowed]
        lang = turn.language
        shown = eligible or list(facts)
        turn.state.shown_orders = [f.order_id for f in shown]
        turn.state.order_focus = shown[0].order_id if len(shown) == 1 else None
        turn.orders = [f.record for f in shown]  # cited, [1] onwards
        listed = ExtractiveComposer.order_status(shown, (), lang)
        lines = listed.text.split("\n")[1:]  # the orders without their "Here are the details" line
        if eligible:
            head = say("action_which_eligible", lang, action=action)
        else:  # naming one next still answers why it cannot be done (the pending action is kept)
            statuses = ("或" if lang == "zh" else " or ").join(sorted(status_in(s, lang) for s in allowed))
            head = say("action_none_eligible", lang, action=action, statuses=statuses)
        return Composed("\n".join([head, *lines]), (), facts=listed.facts)

    def _cancel_instead(self, turn: Turn, facts: Sequence[OrderFacts], listed: Composed) -> Composed:
        """A return or exchange asked before any order has arrived ("I ordered the wrong case"): when one of
        the orders can still be cancelled, that is said and offered ("yes" passes a cancellation on; nothing
        is changed before); else ``listed`` as it is."""
        allowed = self._allowed_statuses("cancel")
        cancellable = [f for f in facts if allowed is not None and f.status.lower() in allowed]
        if len(cancellable) != 1:
            return listed
        one = cancellable[0]
        status = status_in(one.status, turn.language)
        offer = say("cancel_instead", turn.language, order_id=one.order_id, status=status)
        turn.state.offered_action = PendingOrder(kind="action", action="cancel", order_ids=[one.order_id], request="")
        turn.state.acted = "cancel"
        turn.state.handoff_offered = True
        return Composed(f"{listed.text}\n{offer}", listed.used, facts=listed.facts, meta=listed.meta)

    def _listed_by_status(self, turn: Turn, body: str) -> OrderRequest | None:
        """ "What's in the processing one?" after the verified customer's orders were listed: the one
        listed order in that status (see :func:`listed_by_status`)."""
        shown = turn.state.shown_orders
        asked = turn.state.pending_action  # the list answered "which order would you like to …?"
        if turn.verified_id is None or not shown or not picks_order(body):
            return None
        facts, _ = self.orders.orders_of(turn.verified_id, tuple(shown))
        return listed_by_status(body, [(f.order_id, f.status) for f in facts], cast(OrderAction | None, asked))

    def _unheld_item(self, turn: Turn, text: str) -> str | None:
        """The catalog product ``text`` names when none of the verified customer's orders holds it (nor
        an item of the same kind), else None."""
        assert turn.verified_id is not None
        product = self.catalog.named_in(text)
        if product is None or self.orders.orders_with_item(turn.verified_id, product.name):
            return None
        return product.name

    def _item_not_ordered(self, turn: Turn, item: str, action: str | None) -> Composed:
        """A product named after verification that none of the customer's orders holds ("it's the parka"
        when they never bought one): said plainly, with what their own orders do hold (cited), and, for
        an action asked, which item; never a product answer, never another customer's orders. The
        action waits for the next message naming the item."""
        assert turn.verified_id is not None
        lang = turn.language
        turn.shopping = False
        turn.confidence = 1.0
        turn.state.pending_action = action
        facts, _ = self.orders.orders_of(turn.verified_id)
        if not facts:
            return Composed(say("item_not_ordered_none", lang, item=item))
        turn.state.shown_orders = [f.order_id for f in facts]
        turn.state.order_focus = facts[0].order_id if len(facts) == 1 else None
        turn.orders = [f.record for f in facts]  # cited, [1] onwards
        listed = ExtractiveComposer.order_status(facts, (), lang)
        lines = [say("item_not_ordered", lang, item=item), *listed.text.split("\n")[1:]]
        if action is not None:
            lines.append(say("item_which", lang, action=action_phrase(action, lang)))
        return Composed("\n".join(lines), (), facts=listed.facts)

    def _allowed_statuses(self, action: str) -> set[str] | None:
        """The order statuses in which the shop's policy allows ``action`` (None: no rule configured)."""
        orders = getattr(self.settings, "orders", None)
        rules = getattr(orders, "action_statuses", None) or {}
        return {s.lower() for s in rules[action]} if action in rules else None

    def _action_not_allowed(self, turn: Turn, action: str, order: OrderFacts, allowed: set[str]) -> Composed:
        """ "Cancel #W340…" on a processed order when the policy allows cancelling pending ones only:
        the order's status, the policy's sentence on it (cited), nothing passed on as if it could be
        done, and a person offered ("yes" hands over). "Why not?" next continues this topic. A return or
        exchange of an order not yet delivered that can still be cancelled ("I ordered the wrong case"):
        its cancellation offered instead ("yes" passes it on)."""
        phrase = action_phrase(action, turn.language)
        query = f"{phrase} order status {order.status} {' '.join(sorted(allowed))}"
        status = status_in(order.status, turn.language)
        head = say("action_not_allowed", turn.language, action=phrase, order_id=order.order_id, status=status)
        cancel = self._allowed_statuses("cancel")
        if action in ("return", "exchange") and cancel is not None and order.status.lower() in cancel:
            closing = say("cancel_instead", turn.language, order_id=order.order_id, status=status)
            composed = self._order_offer(turn, head, order, query, allowed, closing)
            turn.state.offered_action = PendingOrder(
                kind="action", action="cancel", order_ids=[order.order_id], request=""
            )
            turn.state.acted = "cancel"
            return composed
        # The sentence naming an allowed status ("… only if its status is 'pending'"), else the best.
        return self._order_offer(turn, head, order, query, allowed, say("offer_handoff", turn.language))

    def _action_offer(
        self, turn: Turn, action: str, order: OrderFacts, text: str, closing: str = "offer_pass_on"
    ) -> Composed:
        """ "Can I change the shipping address on it?" about an order whose status allows it: yes, an
        agent can; the order, the policy's sentence on its status (cited), and passing it on offered
        ("yes" hands over). Nothing is passed on or changed before the customer says so. ``closing``: the
        template that ends the reply (``ask_new_address``: the new address asked for)."""
        phrase = action_phrase(action, turn.language)
        status = status_in(order.status, turn.language)
        head = say("action_possible", turn.language, action=phrase, order_id=order.order_id, status=status)
        assert turn.verified_id is not None
        # (what the verb acts on first: "cancel the rear light but keep the front one")
        acted = action_object(text)
        named = (self.orders.items_named(turn.verified_id, order.order_id, acted) if acted.strip() else []) or (
            self.orders.items_named(turn.verified_id, order.order_id, text)
        )
        if named and len(named) < len(order.record.get("items") or []) and action in ("cancel", "return", "exchange"):
            # "can I cancel the rear light but keep the front one?": the item asked about, not the whole order
            items = ("、" if turn.language == "zh" else ", ").join(named)
            ids = {"order_id": order.order_id, "status": status, "items": items}
            head = say("action_possible_items", turn.language, action=phrase, **ids)
        # the English words too: a Chinese request finds the section of a shop whose policy is English only
        query = f"{phrase} {action} order: {text}" if turn.language == "zh" else f"{phrase} order: {text}"
        if action == "exchange" and not self._exchange_rule(turn):
            # No rule on exchanges in the shop's policy: no exchange promised; the returns rule and a new
            # order, or the request passed on to a person ("yes").
            head = say("exchange_no_rule_order", turn.language, order_id=order.order_id, status=status)
            returning = action_phrase("return", turn.language)
            query = f"{returning} return order refund: {text}"
        composed = self._order_offer(turn, head, order, query, {order.status.lower()}, say(closing, turn.language))
        offered = PendingOrder(kind="action", action=action, order_ids=[order.order_id], request=text)
        turn.state.offered_action = offered
        turn.state.acted = action
        return composed

    def _order_offer(
        self, turn: Turn, head: str, order: OrderFacts, query: str, statuses: set[str], closing: str
    ) -> Composed:
        """``head`` about the order (cited), its facts, the policy's sentence for ``statuses`` and
        ``closing``, a person offered ("yes" hands over)."""
        lines = [f"{head} [1]", f"- {order.text_in(turn.language)} [1]"]
        line, used = self._status_policy(turn, query, statuses)
        lines += [line] if line else []
        lines.append(closing)
        turn.state.topic = query
        turn.state.handoff_offered = True
        turn.orders = [order.record]
        turn.order_first = True
        return Composed("\n".join(lines), used, facts=order.lines)

    def _status_policy(
        self, turn: Turn, query: str, statuses: set[str], policy: list[Passage] | None = None
    ) -> tuple[str, tuple[Passage, ...]]:
        """The policy's sentence on an order action (cited [2]): the one naming one of ``statuses``
        ("Processing orders can still be cancelled…"), else the closest; "" when there is none.
        ``policy``: the section already retrieved for ``query``. Of the closest few sections, the first that
        names the status (as stored or in the customer's language: "处理中") holds the rule, not an FAQ entry
        that comes first by its words ("怎么查询订单？" for a Chinese address change)."""
        found = self._retrieve(turn, ["policies"], query)[:3] if policy is None else policy
        if not found:
            return "", ()
        said = {*statuses, *(status_in(s, turn.language).lower() for s in statuses)}
        # ("delivered" in "Bikes are delivered … in 3-5 working days" is no rule on returning a delivered order:
        # the sentence, or its section's heading, names the action asked about too)
        acts = set(tokenize(query)) & _ACTION_STEMS

        def on_action(title: str, unit: str) -> bool:
            return not acts or bool(acts & set(tokenize(f"{title} {unit}"))) or has_cjk(unit)

        for passage in found:
            title, pbody = policy_body(passage)
            named = [
                u for u in customer_units(pbody) if any(s in u.lower() for s in said) and on_action(title, u)
            ]
            if named:
                return _policy_line(title, named[0]), (passage,)
        title, pbody = policy_body(found[0])
        sent = best_sentences(query, pbody, limit=1)
        if not sent:
            return "", ()
        return _policy_line(title, sent[0]), (found[0],)

    def _order_action(self, turn: Turn, request: OrderRequest, order: OrderFacts, text: str) -> Composed:
        assert turn.verified_id is not None and request.action is not None
        # The policy for this action, not for whatever else the message says ("#W123" alone
        # after "which order?" would find any section).
        action = action_phrase(request.action, turn.language)
        query = f"{action} order: {text}"
        if request.action == "exchange" and not self._exchange_rule(turn):
            # no rule on exchanges: the returns rule is the one that applies to the item
            query = f"{action_phrase('return', turn.language)} return order refund: {text}"
        closest = self._retrieve(turn, ["policies"], query)[:3]
        policy = closest[:1]
        sources = [passage_source(p) for p in policy] + [
            {"collection": "orders", "doc_id": order.order_id, "source": "store", "title": f"Order {order.order_id}"}
        ]
        draft_id = self.orders.prepare_action(
            turn.conversation_id, turn.verified_id, request.action, order, text, sources
        )
        turn.state.acted = request.action
        # The action asked for is passed on: a "yes" or "ok" next acknowledges it, never asks for it again.
        turn.state.pending_action = None
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
        acted = action_object(text)
        named = (self.orders.items_named(turn.verified_id, order.order_id, acted) if acted.strip() else []) or (
            self.orders.items_named(turn.verified_id, order.order_id, text)
        )
        total = len(order.record.get("items") or [])
        if named and len(named) < total and request.action in ("cancel", "return", "exchange"):
            # "cancel the backpack from that order": the item asked about, not the whole order.
            items = ("、" if turn.language == "zh" else ", ").join(named)
            body = say("action_items", turn.language, action=action, items=items, order_id=order.order_id)
        else:
            body = say("action", turn.language, action=action, order_id=order.order_id)
        body += f" [1]\n- {order.text_in(turn.language)} [1]"
        # The sentence on orders in this one's status ("Processing orders can still be cancelled…").
        line, used = self._status_policy(turn, query, {order.status.lower()}, closest)
        body += f"\n{line}" if line else ""
        turn.orders = [order.record]
        turn.order_first = True
        return Composed(body, used, facts=order.lines)
