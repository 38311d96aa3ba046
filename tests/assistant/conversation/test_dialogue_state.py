"""The conversation keeps track: needs, follow-ups, references, languages (real demo shop and MiniLM).

Unit tests of the cues first (no model), then whole conversations through ``Assistant.send``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.conversation.compose import clean_markdown, policy_units
from assistant.conversation.state import ConversationState, Need
from assistant.conversation.understand import (
    asks_price,
    extract_need_phrase,
    parse_price,
    reference_index,
    small_talk_only,
    without_small_talk,
)
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.store.models import Conversation
from assistant.vectors import VectorStore

# --- cues ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("a warm jacket for hiking under $150", None, 150.0),
        ("less than 40 dollars please", None, 40.0),
        ("between 50 and 80", 50.0, 80.0),
        ("something $50-80", 50.0, 80.0),
        ("around $50", 35.0, 65.0),
        ("不超过100美元的背包", None, 100.0),
        ("100元以内", None, 100.0),
        ("over $100", 100.0, None),
    ],
)
def test_price_expressions(text: str, low: float | None, high: float | None) -> None:
    spec = parse_price(text, around=0.3)
    assert spec is not None and (spec.low, spec.high) == (low, high)


def test_relative_prices_references_and_small_talk() -> None:
    assert parse_price("something cheaper?") is not None
    assert parse_price("something cheaper?").relative == "cheaper"  # type: ignore[union-attr]
    assert parse_price("how long do I have to return boots?") is None
    assert reference_index("what about the second one?") == 1
    assert reference_index("第三个呢") == 2
    assert reference_index("the last one") == -1
    assert reference_index("how much does it weigh?") is None
    assert small_talk_only("hi there!") == "greeting"
    assert small_talk_only("thanks a lot") == "thanks"
    assert small_talk_only("谢谢") == "thanks"
    assert small_talk_only("thanks, bye") == "bye" and small_talk_only("great, thanks") == "thanks"
    assert small_talk_only("I want to say bye to my old laptop") is None and small_talk_only("ok") is None
    assert asks_price("what's your cheapest laptop?") and asks_price("最便宜的是哪个？")
    assert small_talk_only("Thanks! Do you ship to Canada?") is None
    assert without_small_talk("Thanks! Do you ship to Canada?") == "Do you ship to Canada?"


def test_need_phrase_and_description() -> None:
    phrase = extract_need_phrase("I'm looking for a warm jacket for hiking under $150")
    assert (phrase.noun, phrase.attributes, phrase.uses) == ("jacket", ["warm"], ["hiking"])
    assert extract_need_phrase("Do you have wool socks?").noun == "socks"
    assert extract_need_phrase("我想买一顶保暖的帽子").noun == "帽子"
    need = Need(product_type="jacket", attributes=["warm"], uses=["hiking"], price_max=150)
    assert need.describe("en", currency="USD") == "warm jacket under $150"  # built from the need, not the message


def test_state_round_trip_and_broken_state() -> None:
    st = ConversationState(need=Need(product_type="tent"), shown=["JP-017"], focus="JP-017", language="zh")
    assert ConversationState.load(st.dump()) == st
    assert ConversationState.load({"need": {"price_max": "not a number"}}) == ConversationState()


def test_policy_tables_and_markdown_are_quoted_cleanly() -> None:
    body = "- **Return window:** 30 days.\n\n| Method | Cost |\n|---|---|\n| Standard | $5.95, **free over $75** |"
    units = policy_units(body)
    assert units == ["Return window: 30 days.", "Standard (Method): Cost $5.95, free over $75"]
    assert clean_markdown("**bold** and `code`") == "bold and code"


# --- whole conversations --------------------------------------------------------------------------


@pytest.fixture
def bot(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> Iterator[Assistant]:
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    yield Assistant(s, Database(s), VectorStore(s, embedder=embedder))


REFUSAL = "only help with questions about our shop"


def test_shopping_need_is_honoured_refined_and_stored(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "I'm looking for a warm jacket for hiking under $150")
    names = [p.name for p in r.products]
    assert r.products and all(p.price is not None and p.price <= 150 for p in r.products), names
    assert all(p.category == "Outdoor Apparel" for p in r.products), names
    assert any("Fleece" in n or "Down Vest" in n for n in names), names
    assert not any("Sun Hoodie" in n or "Pants" in n for n in names), names
    assert {c.collection for c in r.citations} == {"products"}
    # The panel honours the same limits, and its reasons come from the state, not the message.
    assert r.recommendations and all(x.price is not None and x.price <= 150 for x in r.recommendations)
    assert all("warm jacket for hiking" not in x.reason for x in r.recommendations)
    assert any(x.reason.startswith("Fits your request: warm jacket under $150") for x in r.recommendations)
    with bot.db.session() as s:
        conv = s.get(Conversation, cid)
        assert conv is not None and conv.state["need"]["price_max"] == 150.0
    cheaper = bot.send(cid, "something cheaper?")
    assert REFUSAL not in cheaper.text and cheaper.products
    top = max(p.price or 0 for p in r.products)
    assert all(p.price is not None and p.price < top for p in cheaper.products)
    assert all(p.category == "Outdoor Apparel" for p in cheaper.products)


def test_follow_ups_about_the_product_in_focus(bot: Assistant) -> None:
    cid = bot.start_conversation()
    r = bot.send(cid, "Do you have a tent?")
    assert [p.name for p in r.products] == ["Ponderosa 2 Backpacking Tent"]
    weight = bot.send(cid, "how much does it weigh?")
    assert "1.9 kg" in weight.text and "From the product description" in weight.text
    assert weight.citations[0].title == "Ponderosa 2 Backpacking Tent"
    assert "freestanding" in bot.send(cid, "and is it freestanding?").text.lower()
    price = bot.send(bot.start_conversation(), "how much is the Hollow Ridge Wool Beanie?")
    assert "$28.00" in price.text
    shell = bot.send(bot.start_conversation(), "Is the Alder Rain Shell waterproof?")
    assert shell.text.startswith("From the product description") and "waterproof" in shell.text
    assert not re.match(r"^(yes|no)\b", shell.text, re.I)
    kayak = bot.send(bot.start_conversation(), "do you sell kayaks?")
    assert "don't carry" in kayak.text


def test_policy_follow_ups_small_talk_and_languages(bot: Assistant) -> None:
    cid = bot.start_conversation()
    assert REFUSAL not in bot.send(cid, "hi there!").text
    first = bot.send(cid, "How much is shipping?")
    assert "5.95" in first.text and "75" in first.text and "**" not in first.text.split("\n", 1)[1]
    canada = bot.send(cid, "and to Canada?")
    assert "19.95" in canada.text
    assert REFUSAL not in bot.send(cid, "thanks a lot").text

    zh = bot.start_conversation()
    r = bot.send(zh, "退货期限是多久？")
    assert r.language == "zh" and "30" in r.text
    assert len(re.findall(r"[\u4e00-\u9fff]", r.text)) * 3 >= sum(ch.isalpha() for ch in r.text)
    assert r.citations and r.citations[0].collection == "policies"
    en = bot.send(zh, "Thanks! Do you ship to Canada?")
    assert en.language == "en" and not re.search(r"[\u4e00-\u9fff]", en.text) and "Canada" in en.text
    hat = bot.send(bot.start_conversation(), "我想买一顶保暖的帽子")
    assert hat.language == "zh" and any("Beanie" in p.name for p in hat.products)


def test_repeated_declines_offer_a_person(bot: Assistant) -> None:
    cid = bot.start_conversation()
    first = bot.send(cid, "Write me a poem about the ocean")
    assert first.refused and first.confidence < 0.35 and not first.handed_off
    second = bot.send(cid, "What is the capital of Australia?")
    assert second.refused and "connect you with a member of our team" in second.text
    assert bot.send(cid, "yes please").handed_off


def test_unanswered_shop_questions_and_missing_products_are_said_plainly(bot: Assistant) -> None:
    # A general order question is answered from the policy, without an identity step.
    cancel = bot.send(bot.start_conversation(), "Can I cancel an order that hasn't shipped yet?")
    assert not cancel.needs_identity and "Pending orders" in cancel.text
    # A shop question the knowledge does not answer is not "off topic": say so, offer a person.
    cid = bot.start_conversation()
    loyalty = bot.send(cid, "do you have a loyalty program?")
    assert not loyalty.refused and REFUSAL not in loyalty.text and "don't carry" not in loyalty.text
    assert "couldn't find an answer" in loyalty.text and "member of our team" in loyalty.text
    assert bot.send(cid, "yes").handed_off
    # A product the shop lacks, with nothing close: no dangling "The closest we have:".
    piano = bot.send(bot.start_conversation(), "do you sell pianos?")
    assert "don't carry pianos" in piano.text
    assert ("closest" in piano.text.lower()) == bool(piano.products)
    # Still off topic: no shop words at all, or shop words in their everyday sense (no person offered).
    assert bot.send(bot.start_conversation(), "tell me about dinosaurs").refused
    tesla = bot.send(bot.start_conversation(), "How do I charge my Tesla?")
    assert tesla.refused and "member of our team" not in tesla.text


def test_past_replies_are_never_quoted(bot: Assistant) -> None:
    planted = (
        "Customer: My enamel mug set arrived chipped, can I get my money back?\n"
        "Agent: Hi Zelda Quinn, you're signed in. I've issued a refund of $36.00 for order #ZZ9911 to your card."
    )
    vs = bot.vectors
    vs.upsert(
        "conversations",
        ["planted-1"],
        [planted],
        [{"source": "test", "kind": "conversation", "intent": "damaged_item", "conversation_id": "p1"}],
    )
    fresh = Assistant(bot.settings, bot.db, vs)
    r = fresh.send(fresh.start_conversation(), "My enamel mug set arrived chipped, can I get my money back?")
    for leaked in ("Zelda", "#ZZ9911", "I've issued", "signed in", "36.00"):
        assert leaked not in r.text, r.text
    assert all(c.collection != "conversations" for c in r.citations)
    assert REFUSAL not in r.text and r.citations  # answered from the policy instead


def test_signed_in_customer_and_service_turn_panel(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    r = bot.send(cid, "where is my order?")
    assert not r.asks_identity and "#JP1053" in r.text
    ret = bot.send(cid, "How long do I have to return boots?")
    assert "30 days" in ret.text and not ret.products
    assert ret.recommendations and all("return boots" not in x.reason for x in ret.recommendations)
    assert all(not x.reason.startswith("Fits your request") for x in ret.recommendations)
    with pytest.raises(ValueError):
        bot.start_conversation(None, signed_in=True)


def test_a_customer_lists_their_orders_and_points_at_one(bot: Assistant) -> None:
    cid = bot.start_conversation("C001", signed_in=True)
    listed = bot.send(cid, "what are my orders?")
    ids = re.findall(r"Order (#JP\d+)", listed.text)
    assert not listed.asks_identity and len(ids) >= 2
    assert all(c.collection != "policies" for c in listed.citations)
    second = bot.send(cid, "what's in the second one?")
    assert re.findall(r"Order (#JP\d+)", second.text) == [ids[1]]
    # Showing one of the listed orders keeps the list: "the first one" is still the list's first.
    cancel = bot.send(cid, "cancel the first one")
    assert f"order {ids[0]}" in cancel.text and ids[1] not in cancel.text, cancel.text
    # Once products were shown, "the first one" is a product again.
    one = bot.start_conversation("C001", signed_in=True)
    bot.send(one, f"where is {ids[0]}?")
    bot.send(one, "Is the Alder Rain Shell waterproof?")
    it = bot.send(one, "can I return it?")  # the rain shell, not the order shown before it
    assert ids[0] not in it.text and "passed a request" not in it.text, it.text
    bot.send(cid, "Do you have a tent?")
    assert "Order #JP" not in bot.send(cid, "how much is the first one?").text


def test_a_follow_up_keeps_the_budget_and_a_guessed_category_is_not_a_wall(bot: Assistant) -> None:
    cid = bot.start_conversation()
    gift = bot.send(cid, "I'm looking for a gift for my dad who likes hiking, under $40")
    assert gift.products and all(p.price is not None and p.price <= 40 for p in gift.products)
    kitchen = bot.send(cid, "what about something for his kitchen?")
    assert kitchen.products and all(p.price is not None and p.price <= 40 for p in kitchen.products)
    assert {p.name for p in kitchen.products} != {p.name for p in gift.products}


def test_a_follow_up_with_a_word_of_the_product_in_focus_stays_on_it(bot: Assistant) -> None:
    cid = bot.start_conversation()
    bot.send(cid, "Is the Alder Rain Shell waterproof?")
    zips = bot.send(cid, "and pit zips?")
    assert not zips.refused and "pit zips" in zips.text and [p.name for p in zips.products] == ["Alder Rain Shell"]


def test_an_angry_customer_gets_an_apology_and_a_person(bot: Assistant) -> None:
    r = bot.send(bot.start_conversation(), "this is useless, the tent broke after a week and nobody answers!!")
    assert r.handed_off and r.text.startswith("I'm sorry") and not r.products


def test_a_chinese_request_the_english_encoder_cannot_read_lists_nothing(bot: Assistant) -> None:
    # The demo shop runs the English encoder; nothing in its catalog is written about speakers in
    # Chinese, so no product is offered as a match for one.
    r = bot.send(bot.start_conversation(), "推荐一款蓝牙音箱")
    assert r.language == "zh" and not r.products and "没有找到" in r.text


def test_chinese_order_questions_stay_chinese_and_general_ones_need_no_identity(bot: Assistant) -> None:
    cid = bot.start_conversation()
    ask = bot.send(cid, "我的订单到哪了？")
    assert ask.asks_identity and ask.language == "zh"
    # An email address is in no language: the reply stays Chinese, labels included.
    found = bot.send(cid, "maya.okafor@example.com")
    assert found.language == "zh" and "以下是您账户中的订单信息" in found.text and "订单 #JP1053" in found.text
    assert "Here are the details" not in found.text
    general = bot.send(bot.start_conversation(), "可以取消还没发货的订单吗？")
    assert not general.asks_identity and general.language == "zh"
    hat = bot.send(bot.start_conversation(), "我想买一个50美元以下的帽子")
    assert hat.language == "zh" and hat.products and all(p.price is not None and p.price <= 50 for p in hat.products)


def test_a_broken_product_gets_the_policy_on_faulty_goods_and_a_person_offered(bot: Assistant) -> None:
    # Not the product's Q&A (which shares its name), but the shop's section on faulty goods, cited;
    # "yes" then hands over.
    cid = bot.start_conversation()
    r = bot.send(cid, "The zipper on my Alder Rain Shell broke after two weeks")
    assert r.text.startswith("I'm sorry") and "product Q&A" not in r.text and not r.products
    assert r.citations and any(c.collection == "policies" for c in r.citations)
    assert "defective" in r.text and "connect you with a member of our team" in r.text
    assert bot.send(cid, "yes").handed_off
    zh = bot.send(bot.start_conversation(), "我的帐篷杆断了")
    assert zh.language == "zh" and zh.citations and "转接人工客服" in zh.text
    # A question about the policy is not a report: no apology, no offer.
    general = bot.send(bot.start_conversation(), "what if an item arrives damaged?")
    assert not general.text.startswith("I'm sorry") and "defective" in general.text


def test_service_follow_ups_keep_the_question_they_continue(bot: Assistant) -> None:
    # "it" with no product to point at continues the last service question; a second follow-up
    # still continues the first question, not the follow-up before it.
    cid = bot.start_conversation()
    assert "$19.95" in bot.send(cid, "do you ship to Canada?").text
    cost = bot.send(cid, "how much does it cost?")
    assert "$19.95" in cost.text and "Damaged" not in cost.text, cost.text
    long = bot.send(cid, "and how long?")
    assert not long.refused and "7-12 business days" in long.text, long.text


def test_a_follow_up_is_quoted_by_its_meaning_not_only_shared_words(bot: Assistant) -> None:
    # "worn" shares no word with "items must be unused, unwashed…": the follow-up's meaning finds it.
    cid = bot.start_conversation()
    bot.send(cid, "How long do I have to return something?")
    worn = bot.send(cid, "what if it's been worn?")
    assert "unused" in worn.text and worn.citations, worn.text


def test_measured_questions_are_answered_by_a_stated_measure_and_opinions_by_reviews(bot: Assistant) -> None:
    cid = bot.start_conversation()
    bot.send(cid, "Is the Ponderosa tent good in heavy rain?")
    heavy = bot.send(cid, "how heavy is it?")  # "weighing 1.9 kg" shares no word with "heavy"
    assert "1.9 kg" in heavy.text and heavy.citations, heavy.text
    green = bot.send(cid, "does it come in green?")  # the options, not a Q&A sharing the word "come"
    assert "green" in green.text and "Q&A" not in green.text, green.text
    big = bot.send(cid, "how big is it?")  # "a 3000 mm waterproof rating" is no size
    assert "doesn't say" in big.text, big.text
    bag = bot.start_conversation()
    bot.send(bag, "I need a warm sleeping bag for winter camping")
    warm = bot.send(bag, "how warm is it?")
    assert "32°F" in warm.text and warm.text.startswith("From the product description"), warm.text
    assert "doesn't say" in bot.send(bag, "how heavy is it?").text  # its description states no weight
    said = bot.send(bot.start_conversation(), "What do people say about the Alder Rain Shell?")
    # All its reviews' average first, then what the best- and the worst-rated retrieved reviews say.
    assert said.text.startswith("The **Alder Rain Shell** has an average rating of"), said.text
    assert said.text.count("Customers say") == 1 and len(said.citations) == 2, said.text
    stars = [float(s) for s in re.findall(r"\((\d+(?:\.\d+)?)/5\) \[\d\]", said.text)]
    assert len(stars) == 2 and stars[0] >= stars[1], said.text

