"""Customers proving who they are and asking about their orders the way they do in other shops'
conversations (tau-retail probes): an identity claim nobody asked for yet, a zip corrected on its
own, an order named by an item in it, "check on my order" (demo shop, real stores and MiniLM)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.vectors import VectorStore


@pytest.fixture
def bot(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> Iterator[Assistant]:
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    yield Assistant(s, Database(s), VectorStore(s, embedder=embedder))


def test_an_identity_claim_sent_unasked_verifies_and_lists_the_orders(bot: Assistant) -> None:
    cid = bot.start_conversation()
    policy = bot.send(cid, "How do I return a pair of boots that don't fit?")
    assert policy.citations and not policy.needs_identity
    r = bot.send(cid, "Maya Okafor, 97214")
    assert "#JP1053" in r.text and not r.needs_identity, r.text
    by_email = bot.start_conversation()
    bot.send(by_email, "How do I return a pair of boots that don't fit?")
    assert "#JP1053" in bot.send(by_email, "maya.okafor@example.com").text
    # A claim that matches nobody proves nothing and shows nothing.
    wrong = bot.start_conversation()
    r = bot.send(wrong, "Maya Okafor, 10001")
    assert "#JP1" not in r.text and r.needs_identity, r.text


def test_a_zip_corrected_on_its_own_completes_the_name_given_before(bot: Assistant) -> None:
    cid = bot.start_conversation()
    assert bot.send(cid, "Where is my order?").needs_identity
    assert bot.send(cid, "I'm Maya Okafor, zip 99999").needs_identity
    r = bot.send(cid, "sorry, my zip is 97214")
    assert "#JP1053" in r.text and not r.needs_identity, r.text
    # The zip is checked against the name given before, never against anyone else's.
    other = bot.start_conversation()
    bot.send(other, "Where is my order?")
    assert bot.send(other, "Daniel Reyes, 99999").needs_identity
    r = bot.send(other, "my zip is 97214")  # Maya's zip, not Daniel's
    assert r.needs_identity and "#JP1" not in r.text, r.text


def test_a_verified_customer_names_an_order_by_an_item_in_it(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    r = bot.send(cid, "when will the backpack arrive?")
    assert "#JP1053" in r.text and "#JP1034" not in r.text, r.text
    stove = bot.send(cid, "and has the stove been delivered?")
    assert "#JP1034" in stove.text and "#JP1053" not in stove.text, stove.text
    # A question about the policy stays one (the boots are in #JP1053, nothing is asked of it).
    policy = bot.send(cid, "How long do I have to return boots?")
    assert "30 days" in policy.text and "#JP1" not in policy.text, policy.text
    # A question about the product itself stays one.
    assert "#JP1" not in bot.send(cid, "is the backpack waterproof?").text
    # A guest asking the same gets the identity step, not a product answer or an order.
    guest = bot.send(bot.start_conversation(), "Hi, I want to check on my order")
    assert guest.needs_identity and "#JP1" not in guest.text
