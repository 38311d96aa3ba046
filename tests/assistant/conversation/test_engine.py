"""The assistant on the demo shop through its Python API (real Chroma, SQLite, MiniLM)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant, ConversationNotFound, SessionEvent, TurnResult
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.store.models import Conversation, Draft
from assistant.vectors import VectorStore


@pytest.fixture
def bot(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> Iterator[Assistant]:
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    yield Assistant(s, Database(s), VectorStore(s, embedder=embedder))


def test_returns_question_gets_a_cited_policy_answer(bot: Assistant) -> None:
    cid = bot.start_conversation("C001")
    r = bot.send(cid, "How do I return a pair of boots that don't fit?")
    assert not r.refused and not r.handoff and not r.needs_identity
    assert "[1]" in r.text
    assert r.citations and r.citations[0].collection == "policies"
    assert "return" in r.citations[0].title.lower()
    # The preview is the cited text: not the heading again (the title shows it), no Markdown markers.
    first = r.citations[0]
    assert not first.snippet.lower().startswith(first.title.split(">")[-1].strip().lower()), first.snippet
    assert "**" not in first.snippet and " - " not in first.snippet, first.snippet
    assert "30 days" in r.text
    assert r.recommendations, "every turn carries recommendations"
    assert all(rec.reason for rec in r.recommendations)


def test_order_status_only_after_identification(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r1 = bot.send(cid, "Where is my order #JP1001?")
    assert r1.needs_identity and "#JP1001" not in r1.text and "delivered" not in r1.text.lower()
    r2 = bot.send(cid, "I'm Maya Okafor, zip 99999")  # wrong zip
    assert r2.needs_identity and "JP1" not in r2.text
    # #JP1001 belongs to another customer: Maya must not learn anything about it.
    r3 = bot.send(cid, "Maya Okafor 97214")
    # Not on her account; the output guard also masks another customer's order number.
    assert "couldn't find the order number you gave" in r3.text and "#JP1001" not in r3.text
    assert "hidden" not in r3.text  # nothing tells a real number of someone else's from a mistyped one
    assert "1ZABBVAN0323201098" not in r3.text and "Oakland" not in r3.text
    r4 = bot.send(cid, "ok, where is my latest order then?")
    assert r4.citations and r4.citations[0].collection == "orders"
    assert "#JP1053" in r4.text and "status" in r4.text


def test_owner_sees_tracking_after_email_verification(bot: Assistant) -> None:
    cid = bot.start_conversation()
    assert bot.send(cid, "has order #JP1001 shipped yet?").needs_identity
    email = _email_of(bot, "C025")
    r = bot.send(cid, f"my email is {email.upper()}")
    assert "#JP1001" in r.text and "1ZABBVAN0323201098" in r.text
    assert not r.needs_identity


def test_order_changes_become_drafts_for_agents(bot: Assistant) -> None:
    cid = bot.start_conversation()
    bot.send(cid, "I want to cancel order #JP1053")
    r = bot.send(cid, "Maya Okafor, 97214")
    assert "nothing has been changed" in r.text
    drafts = [d for d in bot.suggestions() if d.conversation_id == cid]
    assert [d.kind for d in drafts] == ["order_action"]
    assert drafts[0].payload["action"] == "cancel" and drafts[0].payload["order_id"] == "#JP1053"
    with bot.db.session() as s:
        from assistant.store.models import Order

        order = s.get(Order, "#JP1053")
        assert order is not None and order.status != "cancelled"


def test_yes_to_passing_an_order_change_on_drafts_the_change_for_an_agent(bot: Assistant) -> None:
    """A question ("can I change the shipping address on it?") offers to pass the change on; "yes" leaves an
    order-action draft for an agent to review (as a direct request does), says nothing changed yet,
    and hands over; the order itself is untouched."""
    cid = bot.start_conversation("C001", signed_in=True)
    bot.send(cid, "where's my stuff?")
    bot.send(cid, "the one with the boots")
    offer = bot.send(cid, "can I change the shipping address on it?")
    assert "pass this on" in offer.text and "#JP1053" in offer.text
    assert not [d for d in bot.suggestions() if d.conversation_id == cid]  # nothing passed on before "yes"
    r = bot.send(cid, "yes please")
    assert r.handoff and "nothing has been changed" in r.text and "#JP1053" in r.text
    drafts = [d for d in bot.suggestions() if d.conversation_id == cid]
    actions = [d for d in drafts if d.kind == "order_action"]
    assert len(actions) == 1 and {d.kind for d in drafts} == {"order_action", "reply"}
    payload = actions[0].payload
    assert (payload["action"], payload["order_id"], payload["customer_id"]) == ("address_change", "#JP1053", "C001")
    assert "shipping address" in payload["request"]
    with bot.db.session() as s:
        from assistant.store.models import Order

        order = s.get(Order, "#JP1053")
        assert order is not None and order.status == "processing"


def test_the_new_address_in_reply_to_an_offered_change_is_the_yes_and_reaches_the_agent(bot: Assistant) -> None:
    """The new address given instead of "yes" passes the change on; the agent's draft carries the customer's
    request and the address; nothing is said to be changed and the order is untouched."""
    cid = bot.start_conversation("C001", signed_in=True)
    offer = bot.send(cid, "can I change the shipping address on order JP1053?")
    assert "pass this on" in offer.text
    r = bot.send(cid, "to 12 Main St, Portland OR 97201")
    assert r.handoff and "nothing has been changed" in r.text and "#JP1053" in r.text
    actions = [d for d in bot.suggestions() if d.conversation_id == cid and d.kind == "order_action"]
    assert len(actions) == 1 and actions[0].payload["action"] == "address_change"
    assert "12 Main St, Portland" in actions[0].payload["request"]
    assert "shipping address" in actions[0].payload["request"]


def test_handoff_on_request_with_summary_and_draft(bot: Assistant) -> None:
    cid = bot.start_conversation("C001")
    bot.send(cid, "Do you ship to Canada?")
    r = bot.send(cid, "I'd like to talk to a human please")
    assert r.handoff
    with bot.db.session() as s:
        conv = s.get(Conversation, cid)
        assert conv is not None and conv.status == "handoff" and "Canada" in conv.summary
        draft = s.query(Draft).filter_by(conversation_id=cid, kind="reply").one()
        assert draft.payload["reason"] == "customer request"
        assert draft.payload["intent"] and draft.payload["profile"]["customer_id"] == "C001"
    assert bot.request_handoff(cid) is None  # already queued
    assert bot.send(cid, "hello?").handoff


def test_handoff_button_after_an_answer_says_so_once_and_drafts_that_answer(bot: Assistant) -> None:
    cid = bot.start_conversation("C001")
    answer = bot.send(cid, "Do you ship to Canada?")
    r = bot.request_handoff(cid, "customer pressed 'Talk to a human'")
    assert r is not None and r.handoff
    assert r.text.count("support team") == 1, r.text
    with bot.db.session() as s:
        draft = s.query(Draft).filter_by(conversation_id=cid, kind="reply").one()
        # The agent gets the last real answer to review, not the "connecting you" notice.
        assert draft.content == answer.text and len(draft.sources) == len(answer.citations)


def test_shopping_request_is_answered_from_the_catalog_within_the_price_cap(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "I'm looking for a rain jacket under $150")
    assert r.citations and {c.collection for c in r.citations} == {"products"}, r.text
    assert "Alder Rain Shell" in r.text and "[1]" in r.text
    prices = [float(p.replace(",", "")) for p in re.findall(r"\$(\d[\d,]*\.\d\d)", r.text)]
    assert prices and max(prices) <= 150, r.text
    # The cue alone doesn't send service questions to the catalog.
    refund = bot.send(bot.start_conversation(), "I need a refund for my order")
    assert refund.citations and refund.citations[0].collection != "products", refund.text


def test_angry_customer_is_handed_off(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "This is RIDICULOUS!!! The worst service ever, my refund is a total scam")
    assert r.handoff


def test_product_question_answered_from_its_reviews(bot: Assistant) -> None:
    cid = bot.start_conversation()
    events = [SessionEvent(product_id="JP-001", event_type="view")]
    r = bot.send(cid, "Is this good for cycling to work in the rain?", session_events=events)
    assert r.citations and {c.collection for c in r.citations} == {"reviews"}
    assert "Alder Rain Shell" in r.text


def test_out_of_scope_is_refused_politely(bot: Assistant) -> None:
    cid = bot.start_conversation()
    for text in ("Write me a poem about the ocean", "What is the capital of Australia?"):
        r = bot.send(cid, text)
        assert r.refused and "sorry" in r.text.lower() and not r.citations


def test_stream_yields_deltas_then_result(bot: Assistant) -> None:
    cid = bot.start_conversation()
    items = list(bot.stream(cid, "How long do refunds take?"))
    assert isinstance(items[-1], TurnResult)
    deltas = [i for i in items[:-1] if isinstance(i, str)]
    assert len(deltas) > 3 and "".join(deltas) == items[-1].text


def test_conversation_resumes_after_restart(demo_copy: Settings, embedder: Embedder) -> None:
    first = Assistant(demo_copy, Database(demo_copy), VectorStore(demo_copy, embedder=embedder))
    cid = first.start_conversation()
    first.send(cid, "where is my order #JP1053?")
    del first
    second = Assistant(demo_copy, Database(demo_copy), VectorStore(demo_copy, embedder=embedder))
    r = second.send(cid, "Maya Okafor 97214")  # the pending question survives the restart
    assert "#JP1053" in r.text
    roles = [m.role for m in second.history(cid)]
    assert roles == ["customer", "assistant", "customer", "assistant"]


def test_feedback_and_unknown_ids(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "What payment methods do you accept?")
    bot.feedback(cid, r.message_id, 1, "helpful")
    with pytest.raises(ValueError):
        bot.feedback(cid, r.message_id, 5)
    with pytest.raises(ConversationNotFound):
        bot.send("nope", "hi")


def _email_of(bot: Assistant, customer_id: str) -> str:
    from assistant.store.models import Customer

    with bot.db.session() as s:
        c = s.get(Customer, customer_id)
        assert c is not None and c.email
        return c.email


def test_a_failing_output_guard_withholds_the_reply(bot: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """The foreign-PII guard fails closed: text it could not check never reaches the customer."""
    guard = bot._output_guard()

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(guard, "scrub", broken)
    result = bot.send(bot.start_conversation(), "How long do I have to return boots?")
    assert "30 days" not in result.text
    assert result.text.strip()  # the fixed "no answer" message, not an empty bubble
    assert all(not r.reason for r in result.recommendations)
