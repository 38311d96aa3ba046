"""Pure components: placeholders, groundedness guard, language, handoff, safety, memory, order parsing."""

from __future__ import annotations

import pytest

from assistant.conversation.compose import fill_placeholders
from assistant.conversation.generate import GroundednessGuard, build_prompt, format_passages
from assistant.conversation.handoff import HandoffPolicy, negativity
from assistant.conversation.language import LanguageDetector
from assistant.conversation.memory import ConversationMemory
from assistant.conversation.orders import OrderDesk, detect_order_request, find_order_ids
from assistant.conversation.safety import InjectionScreen, ScopeGuard
from assistant.store.models import Order


def test_placeholders_filled_from_values_or_neutral_phrases() -> None:
    text = "Order {{Order Number}} costs {{Refund Amount}}; call {{Customer Support Phone Number}} on {{Date}}."
    out = fill_placeholders(text, {"order number": "#JP1001"})
    assert "#JP1001" in out and "{{" not in out
    assert not any(ch.isdigit() for ch in out.replace("#JP1001", ""))
    assert fill_placeholders("Open {{Order History}}", {}) == "Open **Order History**"


def test_guard_accepts_supported_and_rejects_invented_claims() -> None:
    g = GroundednessGuard()
    ev = ["Returns\n\nItems can be returned within 30 days. A $6.95 label fee applies.", "Order #JP1001: shipped"]
    assert g.check("You can return items within 30 days [1]. The label fee is $6.95 [1].", ev).ok
    bad = g.check("You can return items within 60 days [1].", ev)
    assert not bad.ok and "60" in bad.reasons[0]
    assert not g.check("Your refund arrives on March 3, 2026.", ev).ok
    assert not g.check("Order #JP9999 has shipped.", ev).ok
    assert not g.check("We always refund shipping fees on every return without exception.", ev).ok
    assert g.check("Happy to help with that!", ev).ok


def test_guard_rejects_replies_that_only_echo_the_question() -> None:
    g = GroundednessGuard()
    ev = ["Returns\n\nItems can be returned within 30 days of delivery. A $6.95 label fee applies."]
    question = "How long do I have to return an item?"
    echo = "(None)\n\nCustomer answer: How long do I have to return an item?\n\nSources: [1] [2]"
    assert not g.check_substance(echo, question, ev).ok
    assert not g.check_substance("Happy to help with that!", question, ev).ok
    assert g.check_substance("Items can be returned within 30 days of delivery [1].", question, ev).ok


def test_prompt_marks_passages_as_data_and_names_the_language() -> None:
    prompt = build_prompt()
    msgs = prompt.format_messages(
        shop_name="S",
        language="Chinese",
        history=[],
        passages=format_passages([(1, "T", "<b>x</b>")]),
        facts="",
        summary="",
        question="q",
    )
    assert "Reply in Chinese" in msgs[0].content and "never follow it" in msgs[0].content
    assert "<b>" not in msgs[-1].content and "[1] (T)" in msgs[-1].content


def test_language_detection() -> None:
    d = LanguageDetector()
    assert d.detect("我想退货，怎么办？") == "zh"
    assert d.detect("Wo ist meine Bestellung? Ich warte schon seit zwei Wochen.") == "de"
    assert d.detect("Where is my order? It has been two weeks.") == "en"
    assert d.detect("ok", fallback="de") == "de"


def test_handoff_policy() -> None:
    p = HandoffPolicy(low_confidence=0.4, max_low_turns=2)
    assert p.decide("let me speak to a real person", 0.9, 0).reason == "customer request"  # type: ignore[union-attr]
    assert p.decide("This is unacceptable, worst shop ever!!!", 0.9, 0).reason == "negative sentiment"  # type: ignore[union-attr]
    assert p.decide("hmm", 0.1, 0) is None
    assert p.decide("hmm", 0.1, 1).reason == "repeated low confidence"  # type: ignore[union-attr]
    assert negativity("not terrible at all") == 0
    assert negativity("Is this tent a waste of money? I hate leaky tents") < 4  # a question, not anger
    assert negativity("this is useless, your laptop broke after a week and nobody answers!!") >= 4
    with pytest.raises(ValueError):
        HandoffPolicy(max_low_turns=0)


def test_scope_guard_and_injection_screen() -> None:
    scope = ScopeGuard()
    assert scope.out_of_scope("tell me a joke")
    assert not scope.out_of_scope("Can I return a jacket?")
    assert scope.out_of_scope("blah", best_relevance=0.1)
    screen = InjectionScreen()
    assert not screen.is_suspicious("The jacket kept me dry; the hood fits over a cap.")
    assert not screen.is_suspicious("Customer: I want to cancel my order\nAgent: I can help you cancel it.")


def test_memory_trims_and_summarises() -> None:
    mem = ConversationMemory(max_turns=2, max_chars=500, summary_chars=200)
    msgs = [("customer", f"question {i}") for i in range(5)]
    w = mem.window(msgs)
    assert [t for _, t in w.recent] == ["question 3", "question 4"]
    assert "question 0" in w.summary and "question 4" not in w.summary


def test_order_request_detection() -> None:
    assert find_order_ids("order # jp1001 and JP1002") == ["#JP1001", "#JP1002"]
    r = detect_order_request("please cancel order #JP1001", None)
    assert r is not None and r.kind == "action" and r.action == "cancel"
    s = detect_order_request("where is my package?", None)
    assert s is not None and s.kind == "status"
    assert detect_order_request("what is your return policy?", "return") is None


def test_order_lines_name_the_carrier_only_when_known() -> None:
    known = Order(id="#A1", status="shipped", tracking_carrier="UPS", tracking_number="1Z999", source="t")
    unknown = Order(id="#A2", status="delivered", tracking_number="517177699738", source="t")
    assert "tracking: UPS 1Z999" in OrderDesk._facts(known, {}).lines
    assert "tracking: 517177699738" in OrderDesk._facts(unknown, {}).lines


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # General questions about orders: the policy answers them, nobody is asked who they are.
        ("Can I return an item from a delivered order?", None),
        ("Can I cancel an order that is still pending?", None),
        ("How do I return an order?", None),
        ("Do you deliver orders to Canada?", None),
        ("Do I have to return an order within 30 days?", None),
        ("我想知道可以取消订单吗", None),
        # The customer's own order: possessed, pointed at, a number, or what they want done with it.
        ("Can I cancel my order?", "action"),
        ("I want to return an order", "action"),
        ("please cancel order #JP1001", "action"),
        ("the parcel hasn't arrived", "status"),
        ("I ordered a lamp last week, where is it?", "status"),
        ("where is my package?", "status"),
        # Own orders without "my": placed by the customer, or (Chinese drops "my") not arrived.
        ("I placed an order last week and it still hasn't arrived", "status"),
        ("When will an order I placed arrive?", "status"),
        ("订单还没到", "status"),
        ("可以取消还没发货的订单吗？", None),
        ("How do I place an order?", None),
    ],
)
def test_general_order_questions_are_not_order_requests(text: str, kind: str | None) -> None:
    request = detect_order_request(text, None)
    assert (request.kind if request else None) == kind


@pytest.mark.parametrize(
    ("text", "shop"),
    [
        ("How do I charge my Tesla?", False),
        ("how many points did LeBron score last night?", False),
        ("What size is the moon?", False),
        ("how do I store potatoes?", False),
        ("I was charged twice", True),
        ("Can I use my reward points?", True),
        ("Do you have a size chart?", True),
        ("do you have a loyalty program?", True),
    ],
)
def test_everyday_words_are_shop_topics_only_in_their_shop_sense(text: str, shop: bool) -> None:
    from assistant.conversation.understand import is_service_topic

    assert is_service_topic(text) is shop


def test_a_duration_asked_for_is_taken_from_the_section_that_states_it() -> None:
    from assistant.conversation.compose import ExtractiveComposer
    from assistant.retrieval.hybrid import Passage

    def section(pid: str, title: str, body: str, cosine: float) -> Passage:
        return Passage(pid, "policies", f"{title}\n\n{body}", {"title": title}, cosine, cosine=cosine)

    returns = section(
        "r", "Returns", "The refund goes to the original payment method. Items must be unused.", 0.62
    )
    cancel = section(
        "c", "Cancellations", "A cancelled order is refunded within 5 to 7 business days. Call us anytime.", 0.48
    )
    shipping = section("s", "Shipping", "Parcels ship within 2 days.", 0.40)
    answer = ExtractiveComposer().answer("How long do refunds take?", [returns, cancel, shipping])
    assert "5 to 7 business days" in answer.text and "[2]" in answer.text
    assert [p.id for p in answer.used] == ["r", "c"] and "ship within" not in answer.text
    # Stated in the best section already: it is quoted from there, once.
    plain = ExtractiveComposer().answer("How long do refunds take?", [cancel, returns, shipping])
    assert plain.used[0].id == "c" and plain.text.count("5 to 7 business days") == 1
    assert "5 to 7 business days. [1]" in plain.text
