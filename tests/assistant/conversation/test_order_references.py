"""How a verified customer points at their own orders: by a word of an item's name (any word the
message uses as a noun, plural or singular, or a Chinese word for it), by several positions in a
listed set ("the first and the third"), and how an offered order action is declined. Pure functions:
no shop, no model."""

from __future__ import annotations

from assistant.conversation.orders import best_named, item_order_request, message_words, order_reference
from assistant.conversation.templates import say
from assistant.conversation.understand import declines_offer, is_question

ITEMS = [
    "Cabin Flannel Sheet Set",
    "Meadow Trail Runner",
    "Lakeside Camp Chair",
    "Enamel Camp Mug Set of 4",
    "Stonewashed Linen Kitchen Towels, Set of 3",
]


def test_an_item_is_named_by_a_word_in_the_middle_of_its_name() -> None:
    assert best_named(ITEMS, *message_words("I want to return the sheets")) == [0]
    assert best_named(ITEMS, *message_words("where's my order with the flannel sheet?")) == [0]
    # A head noun named wins over a word shared with another item's name ("camp").
    assert best_named(ITEMS, *message_words("did the camp chair arrive?")) == [2]
    assert best_named(ITEMS, *message_words("the mugs")) == [3]
    # A modifier of another noun, an activity or a packing word names no item.
    assert best_named(ITEMS, *message_words("is the camp stove in stock?")) == []
    assert best_named(ITEMS, *message_words("I need it for camping")) == []
    assert best_named(ITEMS, *message_words("which set is cheaper?")) == []


def test_a_chinese_item_word_names_the_english_item() -> None:
    assert best_named(ITEMS, *message_words("毛巾那个订单")) == [4]
    assert best_named(ITEMS, *message_words("那套毛巾什么时候到？")) == [4]
    assert item_order_request("那套毛巾什么时候到？", ["#A4"]) is not None
    assert item_order_request("那套毛巾什么时候到货？", ["#A4"]) is None  # a restock, not the order


def test_several_listed_orders_are_picked_by_position() -> None:
    shown = ["#A1", "#A2", "#A3"]
    assert order_reference("the first and the third", shown).order_ids == ("#A1", "#A3")  # type: ignore[union-attr]
    assert order_reference("第一个和第三个", shown).order_ids == ("#A1", "#A3")  # type: ignore[union-attr]
    ret = order_reference("return the first and the last", shown)
    assert ret is not None and ret.kind == "action" and ret.order_ids == ("#A1", "#A3")
    # The third of two listed orders: which is meant is unclear, so none is picked.
    assert order_reference("the first and the third", ["#A1", "#A2"]) is None


def test_an_offer_is_declined_only_by_a_no() -> None:
    assert declines_offer("no thanks") and declines_offer("never mind") and declines_offer("不用了")
    assert not declines_offer("yes please") and not declines_offer("no, is the other one shipped?")
    assert is_question("how long do refunds take") and is_question("退款要多久？")
    assert not is_question("I'm looking for a jacket")


def test_a_signed_in_customer_is_told_to_sign_out_not_to_start_a_new_chat() -> None:
    text = say("others_orders_signed_in", "en")
    assert "sign out" in text and "new chat" not in text
    assert "退出登录" in say("others_orders_signed_in", "zh")
