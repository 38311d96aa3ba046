"""The cues and wording behind follow-ups about products and orders: variant questions, comparisons,
totals, lighter/heavier, a request repeated for someone else or another type, the customer's profile,
order statuses in Chinese, "when will it ship?" (pure functions, no stores)."""

from __future__ import annotations

from assistant.conversation import understand as cue
from assistant.conversation.catalog import ProductFacts
from assistant.conversation.compare import asks_total, compare_text, comparison, relative_weight, stated_grams
from assistant.conversation.orders import OrderFacts, asks_when_ships, status_in
from assistant.conversation.profile import ProfileFacts, asks_profile, asks_profile_change, profile_text
from assistant.conversation.variants import Variant, VariantQuestion, read_variant_question, variant_answer

# A fleece as tau-bench's retail store lists it: size M exists only in black, out of stock.
FLEECE = (
    ({"size": "XL", "color": "navy", "zipper": "half"}, 157.61, True),
    ({"size": "L", "color": "black", "zipper": "full"}, 159.92, True),
    ({"size": "S", "color": "red", "zipper": "half"}, 141.29, True),
    ({"size": "M", "color": "black", "zipper": "full"}, 149.48, False),
)
BOOTS = (
    ({"size": "10", "material": "synthetic", "waterproof": "yes"}, 253.89, True),
    ({"size": "10", "material": "leather", "waterproof": "yes"}, 251.38, False),
    ({"size": "10", "material": "leather", "waterproof": "no"}, 241.90, False),
    ({"size": "7", "material": "leather", "waterproof": "yes"}, 244.34, True),
)


def chosen(text: str, variants: tuple[Variant, ...]) -> dict[str, str]:
    ask = read_variant_question(text, variants)
    assert ask is not None, text
    return ask.chosen


def test_a_variant_question_reads_the_options_asked_and_the_values_named() -> None:
    ask = read_variant_question("ok which colours do you have in M then?", FLEECE)
    assert ask == VariantQuestion(("color",), {"size": "M"})
    assert read_variant_question("Is the fleece jacket available in black, medium?", FLEECE) == VariantQuestion(
        (), {"size": "M", "color": "black"}
    )
    # An option of yes/no values is chosen by its name; a number is a size only where a size is named.
    assert read_variant_question("is the size 10 available waterproof?", BOOTS) == VariantQuestion(
        (), {"size": "10", "waterproof": "yes"}
    )
    assert chosen("not waterproof, size 7", BOOTS) == {"size": "7", "waterproof": "no"}
    assert read_variant_question("I have 10 dollars", BOOTS) is None
    # A colour the product does not come in is still the colour asked for (and answered "no").
    assert chosen("do you have it in purple?", FLEECE) == {"color": "purple"}
    assert chosen("is there a purple one?", FLEECE) == {"color": "purple"}
    assert chosen("purple?", FLEECE) == {"color": "purple"}
    # A colour word that asks for no product in it is no colour request ("doesn't come in color green").
    for aside in ("my dog is tan", "I have a green thumb", "I'm feeling blue", "my cat is grey"):
        assert read_variant_question(aside, FLEECE) is None, aside
    # A letter size is a capital or follows "size"; "a" or "I" in a sentence is no size.
    assert read_variant_question("is it warm?", FLEECE) is None
    assert chosen("size m please", FLEECE) == {"size": "M"}


def test_a_variant_answer_states_each_option_with_its_price_and_stock() -> None:
    text = variant_answer("Fleece Jacket", FLEECE, VariantQuestion(("color",), {"size": "M"}), "en", currency="USD")
    assert text == "The **Fleece Jacket** in size M:\n- color black: $149.48, out of stock [1]"
    boots = variant_answer(
        "Hiking Boots", BOOTS, VariantQuestion((), {"size": "10", "waterproof": "yes"}), "en", currency="USD"
    )
    assert "waterproof" in boots.splitlines()[0]
    assert "- material synthetic: $253.89, in stock [1]" in boots
    assert "- material leather: $251.38, out of stock [1]" in boots and "241.90" not in boots
    sizes = variant_answer("Hiking Boots", BOOTS, VariantQuestion(("size",), {}), "en", currency="USD")
    assert sizes.index("size 7") < sizes.index("size 10")  # numeric order, not the shop's list order
    letters = variant_answer("Fleece Jacket", FLEECE, VariantQuestion(("size",), {}), "en", currency="USD")
    assert [line.split(":")[0] for line in letters.splitlines()[1:]] == [
        "- size S",
        "- size M",
        "- size L",
        "- size XL",
    ]
    purple = variant_answer("Fleece Jacket", FLEECE, VariantQuestion((), {"color": "purple"}), "en", currency="USD")
    assert purple == "The **Fleece Jacket** doesn't come in color purple. Its color options: navy, black, red. [1]"
    # No variant has both values: what each does come with, never a made-up option.
    none = variant_answer(
        "Fleece Jacket", FLEECE, VariantQuestion((), {"size": "M", "color": "red"}), "en", currency="USD"
    )
    assert none.startswith("The **Fleece Jacket** doesn't come in size M, color red.")
    assert "In size M it comes in: color black." in none and "In color red it comes in: size S." in none


def test_comparisons_and_totals_use_only_the_stated_prices_and_weights() -> None:
    assert comparison("which one is cheaper, the Basalt or the Meadow?") == "cheaper"
    assert comparison("which is lighter?") == "lighter" and comparison("哪个更重？") == "heavier"
    assert comparison("is the tent heavier than the pack?") == "heavier"
    assert comparison("something cheaper?") is None and comparison("what's the cheapest tent?") is None
    assert asks_total("how much for both?") and asks_total("两个一共多少钱？") and not asks_total("how much is it?")
    assert stated_grams("weighing 1.9 kg packed") == 1900.0 and stated_grams("133 g synthetic insulation") is None
    shell = ProductFacts("A", "Shell", "", "", "It weighs 310 g in size M.", 129.0, True, (), (), ())
    tent = ProductFacts("B", "Tent", "", "", "A tent weighing 1.9 kg packed.", 349.0, True, (), (), ())
    vest = ProductFacts("C", "Vest", "", "", "A light down vest.", 110.0, True, (), (), ())
    lighter = compare_text([tent, shell], "lighter", "en", currency="USD")
    assert lighter == "The **Shell** (310 g) is lighter than the **Tent** (1.9 kg). [1][2]"
    assert compare_text([tent, shell], "pricier", "en", currency="USD").startswith(
        "The **Tent** ($349.00) costs more than"
    )
    # "Light" in a description is no weight: the vest's is unknown, and nothing is guessed.
    unknown = compare_text([shell, vest], "lighter", "en", currency="USD")
    assert "doesn't state the weight of the **Vest**" in unknown and "can't compare" in unknown
    assert relative_weight("something lighter?") == "lighter" and relative_weight("is it light?") is None
    # Equal weights: neither is "lighter" (before: the first listed was said to be).
    pack = ProductFacts("D", "Pack", "", "", "The pack weighs 310 g.", 89.0, True, (), (), ())
    same = compare_text([shell, pack], "lighter", "en", currency="USD")
    assert same == "The **Shell** (310 g) and the **Pack** (310 g) weigh the same. [1][2]", same
    # 重要 is "important", no weight.
    assert comparison("哪个重要？") is None and comparison("哪个比较重？") == "heavier"


def test_lighter_said_of_a_colour_is_no_weight() -> None:
    # Before: "a lighter colour" asked for products lighter in weight than the one shown.
    for colour in ("something in a lighter colour?", "a lighter shade?", "got it in a lighter blue?"):
        assert relative_weight(colour) is None, colour
    assert comparison("which one is lighter in colour?") is None
    assert relative_weight("anything lighter for backpacking?") == "lighter"
    assert comparison("which is lighter, the X or the Y?") == "lighter"


def test_a_total_is_of_the_products_not_of_any_price() -> None:
    assert asks_total("what's the total price?") and asks_total("total cost of them both?")
    # Before: any "total price" asked to add up the listed products.
    assert not asks_total("what's the total price of shipping to Canada?")
    assert not asks_total("does the total price include tax?")


def test_a_request_repeated_for_someone_else_or_another_type() -> None:
    assert cue.what_about("what about for kids?") == ("audience", "kids")
    assert cue.what_about("那给小孩的呢？") == ("audience", "小孩")
    assert cue.what_about("那帐篷呢？") == ("item", "帐篷")
    assert cue.what_about("what about the tent?") == ("item", "tent")
    # A new request with its own words is the shopping cue's, not a repeat.
    assert cue.what_about("what about something for his kitchen?") is None
    assert cue.is_shopping("有睡袋吗？") and not cue.is_shopping("有运费吗？") and not cue.is_shopping("有货吗？")


def test_the_profile_is_asked_for_by_its_owner_only_and_a_change_is_read_as_one() -> None:
    assert asks_profile("what address do you have on file for me?")
    assert asks_profile("what's my email on file?") and asks_profile("我的地址是什么？")
    assert not asks_profile("what is priya raman's address")
    assert not asks_profile("what address is my order going to?")
    assert asks_profile_change("please update my address to 1 Elm St")
    assert asks_profile_change("can you update it to 55 Pine Road?", after_profile=True)
    assert not asks_profile_change("can you update it to 55 Pine Road?")
    assert not asks_profile_change("change the address on my order")  # an order's, the order desk's
    # What the shop needs, or another thing's name or details, is no question about the profile.
    assert not asks_profile("what information do you need for me to process a return?")
    assert not asks_profile("what's the name of a good jacket for me?")
    assert not asks_profile_change("can you change the name printed on the card?")
    assert not asks_profile_change("how do I change my email?")  # the policy says how
    assert asks_profile_change("change the email on my account to a@example.org")
    text = profile_text(ProfileFacts("Noah Brown", "noah@example.com", "986 Sunset Drive, Denver, CO, 80279"))
    assert "- Address: 986 Sunset Drive, Denver, CO, 80279" in text


def test_order_statuses_read_in_chinese_and_when_it_ships() -> None:
    assert status_in("shipped", "zh") == "已发货" and status_in("processing", "zh") == "处理中"
    assert status_in("shipped", "en") == "shipped" and status_in("lost", "zh") == "lost"
    facts = OrderFacts("#A1", "delivered", ("Order #A1: status **delivered**",), {"items": ["1 × Lamp"]})
    assert facts.lines_in("zh")[0] == "订单 #A1：状态 **已送达**"
    assert asks_when_ships("when will it ship?") and asks_when_ships("它什么时候发货？")
    assert not asks_when_ships("do you ship to Canada?")


def test_chinese_shopping_wordings_read_like_their_english_ones() -> None:
    from assistant.conversation.glossary import category_zh, gloss
    from assistant.conversation.state import Need

    # "有什么外套？" (what jackets do you have?), "下雨天徒步穿什么" (what to wear on a rainy hike): requests
    assert cue.is_shopping("有什么外套？") and cue.is_shopping("下雨天徒步穿什么")
    assert cue.is_shopping("冬天露营需要什么")
    # a variant question, a service question, a question about the product shown: no new request
    assert not cue.is_shopping("有什么颜色？") and not cue.is_shopping("退货需要什么？")
    assert not cue.is_shopping("这个需要什么电池")
    assert cue.extract_need_phrase("有什么外套？").noun == "外套"
    weather = cue.extract_need_phrase("下雨天徒步穿什么")
    assert weather.noun is None and weather.uses == ["下雨天徒步"] and gloss(weather.uses[0]) == ["rain", "hiking"]
    # whom it is for, when no kind is named ("something for my dog?"); a kind named keeps its description
    assert cue.extract_need_phrase("有适合狗的吗？") == cue.NeedPhrase(None, [], ["狗"])
    assert cue.extract_need_phrase("有没有狗用的").uses == ["狗"]
    assert cue.extract_need_phrase("有适合小孩的睡袋吗").noun == "睡袋"
    # "我的床太热了": the bed, not the heat
    assert cue.extract_need_phrase("我的床太热了").noun == "床" and gloss("床上用品") == ["bedding"]
    # categories and an implied attribute said in Chinese; the customer's own English words stay
    assert category_zh("Camping Gear") == "露营装备" and category_zh("Home & Bedding") == "家居与床上用品"
    assert category_zh("Gizmos & Gadgets") == "Gizmos & Gadgets"
    assert Need(attributes=["waterproof"]).describe("zh", currency="USD") == "防水商品"
    headlamp = Need(attributes=["rechargeable"], product_type="headlamp")
    assert headlamp.describe("zh", currency="USD") == "rechargeable headlamp"


def test_a_question_on_buying_or_on_an_offer_is_answered_only_by_text_that_states_it() -> None:
    # How to buy at all, in English and Chinese; not a question about an order placed.
    for text in ("how do I place an order?", "can I order it by phone?", "where can I buy them?", "怎么下单？"):
        assert cue.asks_how_to_order(text), text
    for text in ("how do I track my order?", "how do I order a replacement?", "can I order more than one?"):
        assert not cue.asks_how_to_order(text), text
    assert cue.states_ordering("You can order online or by phone.")
    assert not cue.states_ordering("Overnight: next business day if the order is placed by 12:00 pm Eastern")
    # Whether the shop offers something: a sentence naming it only in passing says nothing of it.
    assert cue.asks_if_offered("do you guys offer student discounts?") == "student discounts"
    assert cue.asks_if_offered("do you have any tents for two?") is None
    passing = "Price adjustments do not apply to clearance items or to discount codes that were not used at checkout."
    assert not cue.states_offer("discount code", "Price matching", passing)
    assert cue.states_offer("discount code", "Promotions", "We email a discount code to new subscribers.")
    assert cue.states_offer("free shipping", "Shipping", "Standard: $5.95, free on orders of $75 or more")


def test_a_move_alone_is_an_address_change_and_ok_thanks_is_no_yes() -> None:
    assert cue.moved_only("I moved") and cue.moved_only("we've just moved house") and cue.moved_only("我搬家了")
    assert not cue.moved_only("I moved, can you update the address on my order?")
    assert not cue.moved_only("我搬家了，地址要改一下")
    assert cue.accepts_offer("yes please") and not cue.accepts_offer("ok, thanks")


def test_the_kinds_of_a_thing_are_read_from_the_sentences_that_open_with_them() -> None:
    assert cue.asks_kinds("which subscription plans are there?") == "subscription"
    assert cue.kind_named("membership", "Gold and Silver members get special treatment") == "Gold"
    assert cue.kind_named("membership", "Membership levels are listed in the FAQ") is None
