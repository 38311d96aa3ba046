"""Whole-conversation follow-ups on the demo shop (real SQLite, Chroma and MiniLM): a product's
options, comparisons and totals of the products shown, "something lighter?" / "anything cheaper?",
the same request for someone else or another type (English and Chinese), and, for a signed-in
customer, "when will it ship?", their profile, an order action the policy does not allow."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.vectors import VectorStore

REFUSAL = "only help with questions"


@pytest.fixture
def bot(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> Iterator[Assistant]:
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    yield Assistant(s, Database(s), VectorStore(s, embedder=embedder))


def names(result: object) -> list[str]:
    return [p.name for p in getattr(result, "products", [])]


def test_the_options_of_the_product_in_focus_are_answered_from_its_variants(bot: Assistant) -> None:
    cid = bot.start_conversation()
    sizes = bot.send(cid, "what sizes does the Alder Rain Shell come in?")
    assert names(sizes) == ["Alder Rain Shell"] and "size XL" in sizes.text, sizes.text
    navy = bot.send(cid, "do you have it in navy?")
    assert names(navy) == ["Alder Rain Shell"], navy.text
    assert "- size XL: $129.00, out of stock [1]" in navy.text and "green" not in navy.text, navy.text
    purple = bot.send(cid, "do you have it in purple?")
    assert "doesn't come in color purple" in purple.text and names(purple) == ["Alder Rain Shell"], purple.text
    price = bot.send(cid, "price?")
    assert names(price) == ["Alder Rain Shell"] and "$129.00" in price.text, price.text


def test_two_products_are_compared_and_totalled_from_the_catalog(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "which one is cheaper, the Alder Rain Shell or the Ridgeline Insulated Parka?")
    lead = "The **Alder Rain Shell** ($129.00) costs less than the **Ridgeline Insulated Parka**"
    assert r.text.startswith(lead), r.text
    both = bot.send(cid, "how much for both?")
    assert "$418.00" in both.text and set(names(both)) == {"Alder Rain Shell", "Ridgeline Insulated Parka"}, both.text
    listed = bot.start_conversation()
    bot.send(listed, "do you have a rain jacket?")
    lighter = bot.send(listed, "which is lighter?")
    # Only the shell states a weight: it is given, the others are said to state none, no list again.
    assert "310 g" in lighter.text and "doesn't state the weight" in lighter.text, lighter.text
    assert "Here's what we have" not in lighter.text
    # "any in green?" right after a list is about the list, not a variant answer for its first product.
    listed = bot.start_conversation()
    bot.send(listed, "do you have a rain jacket?")
    assert "The **Alder Rain Shell** in color green" not in bot.send(listed, "any in green?").text


def test_lighter_and_cheaper_are_relative_to_what_was_shown(bot: Assistant) -> None:
    cid = bot.start_conversation()
    bot.send(cid, "I need a tent")
    lighter = bot.send(cid, "something lighter?")
    assert "1.9 kg" in lighter.text and "couldn't find" in lighter.text, lighter.text
    cheaper = bot.send(cid, "anything cheaper?")
    # The only tent costs $349: no cheaper tent, it says so, and no chair or sleeping bag is offered instead.
    assert names(cheaper) == ["Ponderosa 2 Backpacking Tent"] and "only one of our tents" in cheaper.text, cheaper.text
    jackets = bot.start_conversation()
    shown = set(names(bot.send(jackets, "looking for a warm jacket")))
    more = bot.send(jackets, "anything cheaper?")
    assert more.products and not shown & set(names(more)), (shown, more.text)


def test_the_same_request_for_someone_else_or_another_type(bot: Assistant) -> None:
    cid = bot.start_conversation()
    bot.send(cid, "I'm looking for hiking boots")
    kids = bot.send(cid, "what about for kids?")
    assert "hiking boots for kids" in kids.text and REFUSAL not in kids.text, kids.text
    zh = bot.start_conversation()
    bags = bot.send(zh, "有睡袋吗？")
    assert names(bags) == ["Firelight 20°F Sleeping Bag"], bags.text
    tents = bot.send(zh, "那帐篷呢？")
    assert names(tents) == ["Ponderosa 2 Backpacking Tent"] and tents.language == "zh", tents.text


def test_a_signed_in_customer_asks_when_it_ships_in_english_and_reads_statuses_in_chinese(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    r = bot.send(cid, "when will it ship?")
    assert "#JP1053" in r.text and "#JP1041" not in r.text, r.text  # the order not yet shipped
    assert "1-2 business days" in r.text and any(c.title == "Shipping" for c in r.citations), r.text
    zh = bot.start_conversation("C001", signed_in=True)
    orders = bot.send(zh, "我的订单到哪了？")
    assert "处理中" in orders.text and "已送达" in orders.text, orders.text
    assert "processing" not in orders.text and "delivered" not in orders.text, orders.text


def test_the_profile_is_shown_to_its_owner_and_never_changed_by_the_assistant(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    r = bot.send(cid, "what address do you have on file for me?")
    assert "2214 SE Larch Ave" in r.text and REFUSAL not in r.text, r.text
    change = bot.send(cid, "can you update it to 55 Pine Road, Austin TX 78701?")
    assert "can't change" in change.text and "updated" not in change.text.replace("update them", ""), change.text
    assert bot.send(cid, "yes").handoff
    guest = bot.start_conversation()
    asked = bot.send(guest, "what address do you have on file for me?")
    assert asked.needs_identity and "Larch Ave" not in asked.text, asked.text
    shown = bot.send(guest, "Maya Okafor, 97214")
    assert "2214 SE Larch Ave" in shown.text, shown.text


def test_questions_that_only_sound_like_the_profile_are_answered_from_the_policy(bot: Assistant) -> None:
    # Before: a verified customer got their details on file for "what information do you need for me…",
    # a guest was asked to prove who they are, and any "change the <name|address|details>" (a gift
    # card's, an order's, "how do I…") was "I can't change the details on your account myself".
    cid = bot.start_conversation("C001", signed_in=True)
    info = bot.send(cid, "what information do you need for me to process a return?")
    assert "Larch Ave" not in info.text and info.citations, info.text
    guest = bot.send(bot.start_conversation(), "what information do you need for me to process a return?")
    assert not guest.needs_identity and guest.citations, guest.text
    how = bot.send(cid, "how do I change my email?")
    assert "confirming a link sent to the new address" in how.text and "can't change" not in how.text, how.text
    for text in ("can you change the name printed on the gift card?", "can I change the shipping address?"):
        r = bot.send(cid, text)
        assert "details on your account" not in r.text and r.citations, (text, r.text)
    # A change of the customer's own details is still read as one.
    mine = bot.send(cid, "please change the email on my account to maya@example.org")
    assert "can't change" in mine.text, mine.text


def test_an_order_action_the_policy_does_not_allow_is_explained_not_passed_on(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    r = bot.send(cid, "please cancel order #JP1041, I ordered it by mistake")
    assert "**delivered**" in r.text and "I've passed a request" not in r.text, r.text
    assert any(c.title == "Order changes & cancellations" for c in r.citations), r.citations
    assert not [d for d in bot.suggestions(None) if "#JP1041" in d.content], "no order action was prepared"
    why = bot.send(cid, "why not?")
    assert REFUSAL not in why.text and why.citations, why.text
