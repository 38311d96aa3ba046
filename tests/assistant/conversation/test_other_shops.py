"""What a shop unlike the demo shop brings: a catalog without prices (Amazon-style items with brand
and category only), a policy written as an agent playbook, service words the catalog never uses.

Found by the third shop's dialogue suite (``suites/office-abcd.jsonl``: Amazon Office items, ABCD's
agent guidelines, Bitext conversations); these tests need no shared data: the small shop below is
written here in the same formats (``amazon-lcrec`` items, a Markdown policy) and ingested for real.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.conversation.catalog import category_head, model_codes, requested_codes
from assistant.conversation.compose import ExtractiveComposer, best_sentences, customer_units, staff_facing
from assistant.conversation.orders import detect_order_request, mentions_own_order
from assistant.conversation.understand import (
    extract_need_phrase,
    price_order,
    refined_attributes,
    small_talk_only,
    wants_overview,
)
from assistant.embeddings import Embedder
from assistant.retrieval.hybrid import Passage
from assistant.store.db import Database
from assistant.vectors import VectorStore
from ingest.pipeline import ingest_paths

# --- cues and policy units (no model) ------------------------------------------------------------


def test_a_goodbye_with_words_around_it_is_a_goodbye() -> None:
    assert small_talk_only("great, that's all I needed. bye!") == "bye"
    assert small_talk_only("ok that's all for now, bye") == "bye"
    assert small_talk_only("bye, where is my order?") is None


def test_the_thing_asked_about_can_come_before_do_you_have() -> None:
    levels = extract_need_phrase("What membership levels do you offer?")
    assert (levels.noun, levels.attributes) == ("levels", ["membership"])
    makers = extract_need_phrase("Which brands of label makers do you have?")
    assert (makers.noun, makers.attributes) == ("makers", ["label"])
    assert extract_need_phrase("do you sell bicycles?").noun == "bicycles"
    assert extract_need_phrase("what's the cheapest paper shredder you have?").noun == "shredder"


def test_an_order_named_by_a_number_of_any_format_is_the_customers_own() -> None:
    assert mentions_own_order("has order 4471-2290 shipped yet?")
    request = detect_order_request("has order 4471-2290 shipped yet?", None)
    assert request is not None and request.kind == "status"
    assert detect_order_request("has order number 88123 arrived?", None) is not None
    # General questions about orders stay general.
    assert not mentions_own_order("Can I cancel an order that is still pending?")
    assert detect_order_request("can I order 2 staplers?", None) is None


def test_model_numbers_in_a_request_and_in_product_names() -> None:
    assert requested_codes("Will Brother TN450 toner work in my HL-2270DW?") == ["tn450", "hl2270dw"]
    # A number is a model right after a brand of the catalog, not as a quantity or a size.
    assert requested_codes("Do you have HP 61 black ink?", frozenset({"hp"})) == ["61"]
    for quantity in (
        "I need 3 ring binders, 2 inch",
        "order 500 pens",
        "a 3-pack of 12-sheet pads",
        "order 112-5566778",
    ):
        assert requested_codes(quantity, frozenset({"hp"})) == [], quantity
    assert {"61xl", "ch563wn", "140"} <= model_codes("HP 61XL CH563WN#140 Ink Cartridge")
    assert "61" not in model_codes("HP 61XL CH563WN#140 Ink Cartridge")  # exact words: 61 is not 61XL
    assert category_head("Office Products, Printer Ink & Toner, Inkjet Printer Ink") == "ink"
    assert refined_attributes("any in blue?") == ["blue"] and refined_attributes("is it in stock?") == []


def test_price_order_and_overview_cues() -> None:
    assert price_order("what's the cheapest paper shredder you have?") == "low"
    assert price_order("your most expensive fountain pen") == "high"
    assert price_order("a cheap stapler") is None
    assert wants_overview("tell me more about the first one") and not wants_overview("is it waterproof?")


PLAYBOOK = """Flow: refunds and returns.
Start by asking for the refund reason. As usual, end by asking if the customer needs any other assistance.
- [Pull up Account] Get Full Name or Account ID for [Pull up Account]
- [Validate Purchase] Confirm their order can be returned, by checking their membership level.
  - Gold members get unlimited returns
  - Guest members can return items within the last 30 days with a receipt
- [Record Reason] When shipping items, it can often take a couple days for the product to arrive
- If the customer asks, you can say it is for 20% off their next purchase.
- The customer is complaining about a promo code that is considered invalid.
- Get the customer's username to check their identity. Then enter '8' into the box.
- Order ID
- Full name - may have gotten this earlier
- Pin Number <or> answer to the Security Question
- Find out the new item they want to return:
- Street Number and Street Name
- To do this, you will need their address
- If they don't have their username, then follow the 'Recover Username' flow above
- The customer will give the reason the competitor has a better price.
- City, State, Zip Code
- If the customer has been waiting for a week or longer, let them know that you will ship a new order.
- Wrap up as usual.
"""


def test_staff_facing_sentences_are_never_quoted() -> None:
    units = customer_units(PLAYBOOK)
    assert "Gold members get unlimited returns" in units
    assert "Guest members can return items within the last 30 days with a receipt" in units
    # The console label goes; the statement after it stays.
    assert "When shipping items, it can often take a couple days for the product to arrive" in units
    joined = "\n".join(units)
    for staff in (
        "[Pull up",
        "if the customer needs",
        "If the customer asks",
        "The customer is complaining",
        "customer's username",
        "into the box",
        "Order ID",
        "may have gotten",
        "<or>",
        "Find out",
        "Confirm their order",
        "Street Number",
        "their address",
        "flow above",
        "will give the reason",
        "Zip Code",
        "let them know",
        "Wrap up",
    ):
        assert staff not in joined, staff
    picked = best_sentences("What's your return policy?", PLAYBOOK, limit=2)
    assert picked and not any(staff_facing(u) for u in picked), picked
    assert "Flow: refunds and returns." not in picked  # a label states nothing
    # A policy written for customers speaks of "the customer" too: that is kept.
    assert not staff_facing("The customer pays return shipping unless the item arrived damaged.")


# An agent playbook in its console's notation: sub-steps after " > ", alternatives with "<or>".
AGENT_GUIDE = """Flow: refunds and returns.
The customer wants to return an item they bought.
- [Pull up Account] Ask for their full name with [Pull up Account]. This loads information related to this user.
- [Membership Privileges] Confirm their order can be returned, by checking their membership level.
  - Gold members: > Gold members get unlimited returns
  - Silver members: > Ask for the purchase date, return possible within the last 6 months <or> Ask if they
    have a receipt, get to return if user has receipt
- [Record Reason] Get the brand and type, such as 'Gap Sweater'
  - Options include: 'By Mail', 'In Store', or 'Drop off Center'
- Finally, you want to upgrade their shipping time.
- Let the customer know that you can back-order the item. The item will then ship when it becomes available.
- Whether or not the conversation is successful depends on how happy you think the customer ended up.
- Phone number
- Username - occasionally forgotten
"""


def test_a_playbook_keeps_only_the_rules_it_states() -> None:
    # Written for agents ("you" is the agent, steps open with a verb, fields and options are the
    # console's): only its rules remain, a sub-step's rule after the step it follows.
    assert customer_units(AGENT_GUIDE) == [
        "Gold members get unlimited returns",
        "Silver members: return possible within the last 6 months",
    ]
    # A policy written for customers keeps its imperatives and its menu paths.
    policy = "Returns are free within 30 days.\n- Pack the item in its original box.\n- Go to Account > Orders."
    assert customer_units(policy) == [
        "Returns are free within 30 days.",
        "Pack the item in its original box.",
        "Go to Account > Orders.",
    ]


def test_a_link_in_a_policy_for_customers_is_no_console_control() -> None:
    # "[returns page](…)" is a Markdown link, not a control like "[Pull up Account]": the section stays
    # one written for customers (before: the link made it a playbook, and every "you" sentence went).
    policy = (
        "You can return any item within 30 days. Start a return on our [returns page](https://shop.example/returns).\n"
        "- [Print your label](https://shop.example/label) and drop the parcel at any post office."
    )
    assert customer_units(policy) == [
        "You can return any item within 30 days.",
        "Start a return on our [returns page](https://shop.example/returns).",
        "[Print your label](https://shop.example/label) and drop the parcel at any post office.",
    ]
    assert not staff_facing("Start a return on our [returns page](https://shop.example/returns).")


def test_a_form_on_the_shops_own_pages_is_for_customers_a_form_of_the_console_is_not() -> None:
    # Before: any "the form" was the agent's console, so a customer policy lost its how-to sentence.
    policy = (
        "Returns are free within 30 days.\n"
        "- You can use the form on our Returns page.\n"
        "- Fill in the form on our website and we'll email you a prepaid label.\n"
        "- No need to enter anything into the form.\n"
        "- Pick the reason from the dropdown."
    )
    assert customer_units(policy) == [
        "Returns are free within 30 days.",
        "You can use the form on our Returns page.",
        "Fill in the form on our website and we'll email you a prepaid label.",
    ]
    assert staff_facing("Enter Gold or Silver into the box.")


# An agent playbook's "they" is the customer the agent serves; "this" points at the step before it.
THIRD_PERSON_GUIDE = """Flow: billing.
Case: The email confirmation of the order does not match the desired order quantity.
- [Membership Privileges] Ask the customer for their membership level.
  - If Gold or Silver: > We trust our gold and silver members.  Thus, they will always get their extra fees removed.
  - Gold members have their fee waived
  - Silver member get an extension if they are only 1 day late
- [Offer Refund] Get the dollar amount to refund
  - The total refund is the amount of their previous refund plus their current one.
  - If they are supposed to be charged $50 and the bill was $60, then the refund amount should be $10
- [Shipping Status] If the item is 'In Transit' or 'Delivered' then they must wait until the item arrives.
- [Record Reason] Ask how long the customer has waited for the refund, in days
  - This only works for Gold members.
- Valid payment methods are credit card, debit card and PayPal.
"""


def test_a_playbook_never_speaks_of_the_customer_as_they_nor_quotes_its_case() -> None:
    units = customer_units(THIRD_PERSON_GUIDE)
    # "they" with something before it to stand for (members, a member) is kept.
    assert units == [
        "Gold members have their fee waived",
        "Silver member get an extension if they are only 1 day late",
        "Valid payment methods are credit card, debit card and PayPal.",
    ], units
    # A policy written for customers keeps its "they" (nothing there is a playbook's step).
    policy = "Returns are free within 30 days. If they are unworn, they can be exchanged too."
    assert customer_units(policy) == [
        "Returns are free within 30 days.",
        "If they are unworn, they can be exchanged too.",
    ]


def _section(pid: str, title: str, body: str, cosine: float) -> Passage:
    return Passage(pid, "policies", f"{title}\n\n{body}", {"title": title}, 0.0, cosine=cosine)


def test_a_playbook_section_whose_quotes_share_no_word_with_the_question_does_not_answer() -> None:
    composer = ExtractiveComposer()
    update = _section(
        "u",
        "Product Defect > Update Refund",
        "Case: The customer is adding an extra item to their existing refund.\n"
        "- Get Full Name or Account ID for [Pull up Account]\n"
        "- [Offer Refund] Get the dollar amount\n  - Refunds are paid within 5 days of the return.",
        0.46,
    )
    exchange = composer.answer("I want to exchange an item", [update])
    assert exchange.meta["basis"] == "none" and "5 days" not in exchange.text, exchange.text
    refund = composer.answer("how long does a refund take?", [update])
    assert refund.meta["basis"] == "policy" and "within 5 days" in refund.text, refund.text
    # A fault report's words added to find the section are not the customer's: ``own`` decides.
    asked = "my order arrived damaged defective faulty refund replacement"
    assert composer.answer(asked, [update], own="my order arrived damaged").meta["basis"] == "none"
    # A policy written for customers answers by its section, as before.
    plain = _section("p", "Returns", "Refunds are paid within 5 days of the return.", 0.46)
    assert composer.answer("I want to exchange an item", [plain]).meta["basis"] == "policy"


def test_the_best_section_holding_only_staff_steps_is_not_answered_by_the_next_one() -> None:
    status = _section(
        "s",
        "Product Defect > Refund Status",
        "- Get Full Name or Account ID for [Pull up Account]\n- Ask the customer for their username.",
        0.47,
    )
    update = _section(
        "u", "Product Defect > Update Refund", "- [Offer Refund] Get the amount\n  - A refund is paid in 5 days.", 0.48
    )
    reply = ExtractiveComposer().answer("what's the status of my refund?", [status, update])
    assert reply.meta["basis"] == "none" and "5 days" not in reply.text, reply.text
    # Named in the customer's own words: the thing ("my refund"), not "status" nor an action.
    assert "nothing I can tell you about your refund." in reply.text, reply.text


# --- a small shop without prices, with a playbook as policy (real ingest, MiniLM) ------------------

ITEMS = {
    "S1": (
        "Swingline Heavy Duty Stapler, 160 Sheet Capacity",
        "Swingline",
        "Staplers",
        "Staples up to 160 sheets at once. All-metal construction for heavy use.",
    ),
    "S2": (
        "Bostitch Desktop Stapler, 20 Sheets, Black",
        "BOSTITCH",
        "Staplers",
        "A compact stapler for light daily use.",
    ),
    "S3": ("PaperPro Long Reach Stapler", "Paper Pro", "Staplers", ""),
    "T1": (
        "AmazonBasics 8-Sheet Cross-Cut Paper Shredder",
        "AmazonBasics",
        "Shredders",
        "Shreds paper, credit cards and staples.",
    ),
    "T2": ("Fellowes 12-Sheet Micro-Cut Shredder", "Fellowes", "Shredders", "Jam-proof micro-cut shredding."),
    "P1": ("Sharpie Permanent Markers, Fine Point, 12 Pack", "Sharpie", "Markers", "Quick-drying fade-resistant ink."),
}


# A section with nothing for customers: every line is a step of the agent's.
PASSWORD_STEPS = """- [Pull up Account] Get Full Name or Account ID for [Pull up Account]
- [Enter Details] Get the customer's username to check their identity.
- Tell the customer you cannot get their password, but you can generate a new one for them.
- Pin Number <or> answer to the Security Question
"""


def write_items(path: Path, items: dict[str, tuple[str, str, str, str]], categories: str) -> Path:
    """Amazon-style items (``amazon-lcrec``: title, brand, categories under ``categories``, description)."""
    records = {
        k: {"title": t, "brand": b, "categories": f"{categories}, {c}", "description": d}
        for k, (t, b, c, d) in items.items()
    }
    # One member a line, as the LC-Rec files are (a one-line object reads as one JSON Lines record).
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def shop_bot(
    settings: Settings, embedder: Embedder, tuned: Callable[..., Settings], files: list[tuple[Path, str]]
) -> Assistant:
    """The assistant of "Office Corner" after a real ingest of ``files`` (each with its format)."""
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings, embedder=embedder)
    for path, fmt in files:
        report = ingest_paths([path], fmt, settings=settings, db=db, vectors=vectors)
        assert report.ok and report.rejections_total == 0, path
    s = tuned(settings, shop_name="Office Corner")
    return Assistant(s, Database(s), VectorStore(s, embedder=embedder))


@pytest.fixture
def office_bot(
    settings: Settings, embedder: Embedder, tmp_path: Path, tuned: Callable[..., Settings]
) -> Iterator[Assistant]:
    shop = tmp_path / "shop"
    shop.mkdir()
    items = write_items(shop / "Small.item.json", ITEMS, "Office Products, Office & School Supplies")
    password = "\n\n## Recover password\n\n" + PASSWORD_STEPS
    guide = "# Store guidelines\n\n## Return policy\n\n" + PLAYBOOK + password
    (shop / "returns.md").write_text(guide, encoding="utf-8")
    yield shop_bot(settings, embedder, tuned, [(items, "auto"), (shop / "returns.md", "auto")])


def test_a_catalog_without_prices_never_compares_or_invents_one(office_bot: Assistant) -> None:
    cid = office_bot.start_conversation()
    staplers = office_bot.send(cid, "I need a stapler for heavy use")
    assert staplers.products and all(p.price is None for p in staplers.products)
    cheaper = office_bot.send(cid, "cheaper?")
    assert "doesn't list prices" in cheaper.text and "$" not in cheaper.text and not cheaper.products
    price = office_bot.send(office_bot.start_conversation(), "how much is the Fellowes 12-Sheet Micro-Cut Shredder?")
    assert "doesn't list a price" in price.text and "$" not in price.text
    cheapest = office_bot.send(office_bot.start_conversation(), "what's the cheapest paper shredder you have?")
    assert cheapest.text.startswith("Our catalog doesn't list prices") and "$" not in cheapest.text
    assert cheapest.products and all("Shredder" in p.name for p in cheapest.products)


def test_tell_me_more_describes_the_product_from_its_catalog_facts(office_bot: Assistant) -> None:
    cid = office_bot.start_conversation()
    listed = office_bot.send(cid, "I need a stapler for heavy use")
    first = listed.products[0]
    more = office_bot.send(cid, "tell me more about the first one")
    brand = next(b for t, b, _c, _d in ITEMS.values() if t == first.name)
    assert f"**{first.name}**" in more.text and f"Brand: {brand}" in more.text
    assert "doesn't say" not in more.text and [p.name for p in more.products] == [first.name]


def test_a_playbook_policy_is_answered_with_its_customer_facing_sentences(office_bot: Assistant) -> None:
    r = office_bot.send(office_bot.start_conversation(), "What's your return policy?")
    assert r.citations and any(c.collection == "policies" for c in r.citations)
    assert "returns" in r.text.lower() or "30 days" in r.text
    for staff in ("[Pull up", "[Validate", "the customer", "Flow:", "Start by asking"):
        assert staff not in r.text, r.text
        # The citation's preview shows the section as the answer may quote it, not the agents' steps.
        assert all(staff not in c.snippet for c in r.citations), [c.snippet for c in r.citations]


def test_a_question_whose_section_is_for_staff_only_offers_a_person(office_bot: Assistant) -> None:
    # The closest section holds only the agents' steps: "not covered, shall I pass it on?", in the
    # customer's words, never another section's rules (office suite: "Flow: refunds and returns.").
    cid = office_bot.start_conversation()
    r = office_bot.send(cid, "I forgot my password and can't log in")
    assert "nothing I can tell you about your password" in r.text and "member of our team" in r.text, r.text
    assert not r.citations and not r.products, r.text
    assert office_bot.send(cid, "yes").handoff


def test_japanese_and_korean_customers_are_told_plainly_which_languages_are_answered(office_bot: Assistant) -> None:
    cid = office_bot.start_conversation()
    ja = office_bot.send(cid, "返品ポリシーを教えてください")
    assert ja.language == "ja" and "英語または中国語" in ja.text and "English or Chinese" in ja.text
    assert not ja.citations and not ja.products and not ja.refused
    # Back in English, the same conversation is answered as usual.
    en = office_bot.send(cid, "I need a stapler for heavy use")
    assert en.language == "en" and en.products
    ko = office_bot.send(office_bot.start_conversation(), "반품 정책이 뭐예요?")
    assert ko.language == "ko" and "영어 또는 중국어" in ko.text and not ko.citations


@pytest.fixture
def demo_bot(demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]) -> Iterator[Assistant]:
    s = tuned(demo_copy, shop_name="Juniper & Pine")
    yield Assistant(s, Database(s), VectorStore(s, embedder=embedder))


def test_the_cheapest_of_a_type_is_listed_by_price(demo_bot: Assistant) -> None:
    # Where the catalog has prices, "the cheapest X" lists X from the lowest price up (demo shop:
    # before, the camping gear came in the order of the request's meaning, $179 first).
    r = demo_bot.send(demo_bot.start_conversation(), "what's your cheapest camping gear?")
    prices = [p.price for p in r.products]
    assert len(prices) >= 2 and all(p is not None for p in prices), r.text
    assert prices == sorted(prices, key=lambda p: p or 0.0), r.text
    assert all(p.category == "Camping Gear" for p in r.products), [p.name for p in r.products]
    assert prices[0] == min(p.price or 0.0 for p in demo_bot.catalog.products if p.category == "Camping Gear")
    dearest = demo_bot.send(demo_bot.start_conversation(), "what's the most expensive bedding you have?")
    top = [p.price or 0.0 for p in dearest.products]
    assert len(top) >= 2 and top == sorted(top, reverse=True), dearest.text


# --- printers and their supplies; a playbook without an invoice section; past conversations --------

SUPPLIES = {
    "L1": (
        "Brother HL-2270DW Compact Laser Printer",
        "Brother",
        "Printers, Laser Printers",
        "A compact monochrome laser printer with wireless networking and duplex printing.",
    ),
    "L2": (
        "Brother TN450 High Yield Toner Cartridge, Black",
        "Brother",
        "Printer Ink & Toner, Laser Printer Toner",
        "High-yield black toner for Brother laser printers.",
    ),
    "L3": (
        "Canon 104 Toner Cartridge, Black",
        "Canon",
        "Printer Ink & Toner, Laser Printer Toner",
        "Black toner replacement cartridge for Canon imageCLASS printers.",
    ),
    "L4": ("HP 61 Black Ink Cartridge", "HP", "Printer Ink & Toner, Inkjet Printer Ink", "Original HP ink."),
    "L5": ("Swingline Standard Staples, 5000 per Box", "Swingline", "Staples", "Standard staples for most staplers."),
    "L6": ("Swingline Classic Desk Stapler, 20 Sheets", "Swingline", "Staplers", "A sturdy all-metal desk stapler."),
    # Amazon-style: the style sheet inline in the description, a model number in the title.
    "L7": (
        "HP 60 Black Original Ink Cartridge",
        "HP",
        "Printer Ink & Toner, Inkjet Printer Ink",
        ".headerM {color:#000000;font-family:Arial,Verdana;font-size:24px;} .sub {margin:0} Crisp black text.",
    ),
    "L8": ("HP 61XL High Yield Black Ink Cartridge", "HP", "Printer Ink & Toner, Inkjet Printer Ink", ""),
    "L9": ("Epson DURABrite Ultra 127 Inkjet Cartridge, Black", "Epson", "Printer Ink & Toner, Inkjet Printer Ink", ""),
    "L10": (
        "Cartritech Compatible Toner Cartridge for HL-2240 HL-2270DW MFC-7860DW",
        "Cartritech",
        "Printer Ink & Toner, Laser Printer Toner",
        "Compatible black toner.",
    ),
    "P1": ("Pilot G2 Gel Pens, Fine Point, Black, 12 Pack", "Pilot", "Pens & Refills, Gel Pens", ""),
    "P2": ("Pilot G2 Gel Pens, Fine Point, Blue, 12 Pack", "Pilot", "Pens & Refills, Gel Pens", ""),
    "P3": ("Pilot Precise V5 Rolling Ball Pens, Red", "Pilot", "Pens & Refills, Rollerball Pens", ""),
}
HISTORY = [
    ("get_invoice", "INVOICE", "how do I get the invoice for my purchase?", "Log in and open the Invoices section."),
    ("get_invoice", "INVOICE", "I need an invoice for my last order", "You can download it from your account."),
    ("check_invoice", "INVOICE", "where can I see my invoices?", "Your invoices are under Billing."),
    ("get_refund", "REFUND", "I want my money back for a return", "Refunds go to the original payment method."),
    ("get_refund", "REFUND", "how do I get a refund?", "Once we receive the item we refund it."),
    ("delivery_period", "DELIVERY", "how long will delivery take?", "Delivery takes three to five days."),
]


@pytest.fixture
def supplies_bot(
    settings: Settings, embedder: Embedder, tmp_path: Path, tuned: Callable[..., Settings]
) -> Iterator[Assistant]:
    import csv

    shop = tmp_path / "supplies"
    shop.mkdir()
    items = write_items(shop / "Supplies.item.json", SUPPLIES, "Office Products")
    stock = "\n\n## Out of stock items\n\nWhen an item is out of stock, we can notify you once it is back.\n"
    (shop / "guide.md").write_text("# Store guidelines\n\n## Return policy\n\n" + PLAYBOOK + stock, encoding="utf-8")
    with (shop / "history.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["instruction", "response", "intent", "category"])
        writer.writerows([(q, a, intent, cat) for intent, cat, q, a in HISTORY])
    files = [(items, "auto"), (shop / "guide.md", "auto"), (shop / "history.csv", "bitext")]
    yield shop_bot(settings, embedder, tuned, files)


def test_a_supply_for_a_named_product_lists_the_supply_not_the_product(supplies_bot: Assistant) -> None:
    # "toner for a Brother laser printer": the printer after "for" is what the toner goes with; the
    # customer asks for toner (office suite: the printer's description was quoted instead).
    r = supplies_bot.send(supplies_bot.start_conversation(), "toner for a Brother laser printer please")
    names = [p.name for p in r.products]
    assert names and all("Toner" in n for n in names), r.text
    assert names[0].startswith("Brother"), names
    staples = supplies_bot.send(supplies_bot.start_conversation(), "staples for my Swingline stapler")
    assert staples.products and staples.products[0].name.startswith("Swingline Standard Staples"), staples.text
    # A question about the product itself stays a question about it.
    q = supplies_bot.send(supplies_bot.start_conversation(), "is the Brother laser printer good for a small office?")
    assert [p.name for p in q.products] == [SUPPLIES["L1"][0]], q.text


def test_a_question_the_policy_does_not_cover_offers_a_person_instead_of_another_section(
    supplies_bot: Assistant,
) -> None:
    # The past conversations know invoices; the policy has no word on them: its nearest section
    # (out of stock) answers another question. Say so and offer a person; quote no past conversation.
    for question in (
        "how can I get an invoice for something I bought?",
        "can I get an invoice for my purchase? I need it for my company",
    ):
        cid = supplies_bot.start_conversation()
        r = supplies_bot.send(cid, question)
        assert "member of our team" in r.text and not r.citations and not r.products, r.text
        assert "Log in" not in r.text and "stock" not in r.text.lower(), r.text
        assert supplies_bot.send(cid, "yes please").handoff
    # A question the policy covers is still answered from it.
    returns = supplies_bot.send(supplies_bot.start_conversation(), "What's your return policy?")
    assert returns.citations and "member of our team" not in returns.text, returns.text


def test_a_model_number_names_products_exactly(supplies_bot: Assistant) -> None:
    # "HP 61" is neither the HP 61XL nor the HP 60 (office suite: HP 950XL/96/60 were listed for it).
    r = supplies_bot.send(supplies_bot.start_conversation(), "Do you have HP 60 black ink?")
    assert [p.name for p in r.products] == [SUPPLIES["L7"][0]], r.text
    # The inline style sheet was cleaned at ingest: the description's own sentence is quoted.
    assert "Crisp black text." in r.text and "{" not in r.text and "font-family" not in r.text, r.text
    assert supplies_bot.catalog.by_id["L7"].description == "Crisp black text."
    missing = supplies_bot.send(supplies_bot.start_conversation(), "Do you have HP 62 black ink?")
    assert missing.text.startswith("We don't carry HP 62 black ink."), missing.text
    assert not any("HP 62" in p.name for p in missing.products)
    # Quantities are no model numbers: "500 pens" asks for pens.
    pens = supplies_bot.send(supplies_bot.start_conversation(), "I need 500 pens for the office")
    assert pens.products and all("Pens" in p.name for p in pens.products), pens.text


def test_supplies_of_a_brand_and_for_a_printer_model(supplies_bot: Assistant) -> None:
    # Epson names its cartridges "Inkjet Cartridge": the category ("Inkjet Printer Ink") makes it ink,
    # and the brand named picks Epson's (office suite: Canon's ink was listed).
    epson = supplies_bot.send(supplies_bot.start_conversation(), "ink for an Epson WorkForce printer")
    assert [p.name for p in epson.products] == [SUPPLIES["L9"][0]], epson.text
    # "toner for my HL-2270DW": the toner whose title lists that printer.
    toner = supplies_bot.send(supplies_bot.start_conversation(), "toner for my HL-2270DW")
    assert [p.name for p in toner.products] == [SUPPLIES["L10"][0]], toner.text
    # A compatibility question is answered from the title (office suite: "doesn't say").
    fits = supplies_bot.send(supplies_bot.start_conversation(), "Will the Cartritech toner work in my HL-2270DW?")
    assert "lists HL-2270DW" in fits.text and "doesn't say" not in fits.text, fits.text


def test_a_colour_asked_after_a_list_narrows_it(supplies_bot: Assistant) -> None:
    cid = supplies_bot.start_conversation()
    listed = supplies_bot.send(cid, "What Pilot pens do you sell?")
    assert {p.name for p in listed.products} == {SUPPLIES[k][0] for k in ("P1", "P2", "P3")}, listed.text
    blue = supplies_bot.send(cid, "any in blue?")
    assert [p.name for p in blue.products] == [SUPPLIES["P2"][0]], blue.text
