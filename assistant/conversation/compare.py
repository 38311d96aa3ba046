"""Comparing the products in the conversation: "which is lighter?", "which one is cheaper, the X or
the Y?", and totals: "how much for both?".

Only what the catalog states is compared: the listed price, and a weight the product's own
description states ("weighs 310 g", "weighing 1.9 kg packed"). A product with no stated weight is
said to have none, never guessed.

Example:
    >>> comparison("which one is cheaper, the Basalt or the Meadow?"), comparison("哪个更轻？")
    ('cheaper', 'lighter')
    >>> comparison("something cheaper?") is None  # a request for other products, not a comparison
    True
    >>> asks_total("how much for both?"), asks_total("两个一共多少钱？"), asks_total("how much is it?")
    (True, True, False)
    >>> stated_grams("It packs into its own pocket and weighs 310 g in size M."), stated_grams("200 g insulation.")
    (310.0, None)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from assistant.conversation.catalog import ProductFacts
from assistant.conversation.variants import is_colour
from assistant.money import money
from assistant.retrieval.text import split_sentences, tokenize

Comparison = Literal["cheaper", "pricier", "lighter", "heavier"]

_WORDS: dict[str, Comparison] = {
    "cheaper": "cheaper",
    "less expensive": "cheaper",
    "more affordable": "cheaper",
    "cheapest": "cheaper",
    "costs less": "cheaper",
    "cost less": "cheaper",
    "more expensive": "pricier",
    "pricier": "pricier",
    "costs more": "pricier",
    "cost more": "pricier",
    "lighter": "lighter",
    "lightest": "lighter",
    "weighs less": "lighter",
    "weigh less": "lighter",
    "heavier": "heavier",
    "heaviest": "heavier",
    "weighs more": "heavier",
    "weigh more": "heavier",
    "便宜": "cheaper",
    "贵": "pricier",
    "轻": "lighter",
    "重": "heavier",
}
_EN_WORDS = "|".join(sorted((re.escape(w) for w in _WORDS if w.isascii()), key=len, reverse=True))
# "which is lighter?", "which one of them is cheaper", "which costs less", "is the X cheaper than the Y?"
_ASKS = re.compile(
    rf"\b(?:which|what)(?:\s+one)?(?:\s+of\s+(?:them|these|those|the\s+(?:two|three)|both|the\s+\w+))?"
    rf"(?:\s+(?:is|are|'s|would be|will be)|['’]s)?\s+(?:the\s+)?({_EN_WORDS})\b"
    # "what's the cheapest one?" compares; "what's the cheapest tent?" names a kind to search
    r"(?!\s+(?!(?:one|ones|of|option|options|choice|here|among|between|overall|for|in|to|and|or)\b)[a-z]{3,})"
    rf"|\b(?:is|are)\s+(?:it|the\s[\w' -]{{2,40}}?)\s+({_EN_WORDS})\s+than\b"
    # 重要 (important), 重新 (again): no weight
    r"|哪(?:个|款|一个|一款|件|双|顶)[^？?，,。]{0,4}?(?:更|比较)?(便宜|贵|轻|重(?!要|新|复))",
    re.I,
)
_TOTAL = re.compile(
    r"\bhow much (?:for|are|is|would|will|do|does)?\s*(?:it\s+be\s+|they\s+cost\s+|cost\s+)?(?:for\s+)?"
    r"(?:both|the two|them both|all (?:three|four|of them)|them all|together|the (?:pair|set|lot)|"
    r"the (?:first|last|top) (?:two|2))\b"
    # "what's the total price?", "the total cost of them", not "the total price of shipping to Canada"
    r"|\b(?:total|altogether|combined|in total)\b[^.?!]{0,20}\b(?:price|cost)\b"
    r"(?!\s+(?:of|for|to|on|with|including)\b"
    r"(?!\s+(?:them|these|those|both|all|everything|it all|the (?:two|three|four|lot|set|pair))\b))"
    r"|\b(?:price|cost) (?:of|for) both\b"
    r"|\bboth together\b|一共多少|总共多少|合计多少|加起来多少|两个多少钱|两件多少钱|都买多少钱"
    r"|两(?:个|件|双|款|样)[^？?。，,]{0,8}?多少钱",
    re.I,
)
_UNITS = {
    "kg": 1000.0,
    "kilo": 1000.0,
    "g": 1.0,
    "gram": 1.0,
    "lb": 453.592,
    "pound": 453.592,
    "oz": 28.3495,
    "ounce": 28.3495,
    "公斤": 1000.0,
    "千克": 1000.0,
    "克": 1.0,
}
# A weight the description states as the product's own: "weighs 310 g", "weighing 1.9 kg packed".
_WEIGHT = re.compile(
    r"\bweigh(?:s|ing)?\s+(?:only\s+|just\s+|about\s+|around\s+|approximately\s+|under\s+)?(\d+(?:\.\d+)?)\s*"
    r"(kg|kilos?|kilograms?|g|grams?|lbs?|pounds?|oz|ounces?)\b|重(?:约|量为|量)?\s*(\d+(?:\.\d+)?)\s*(公斤|千克|克)",
    re.I,
)
_SPLIT = re.compile(r"\bor\b|\bvs\.?|\bversus\b|\band\b|,|还是|和|与|跟", re.I)


# What follows "lighter"/"darker" when it is a colour, not a weight: "a lighter colour", "lighter in
# shade", "a lighter blue".
_SHADE_WORD = re.compile(r"\s*(?:in\s+)?(?:colou?rs?|shades?|tones?|hues?|tints?)\b", re.I)
_NEXT_WORD = re.compile(r"\s*(?:in\s+)?([a-z]+)", re.I)


def _of_colour(text: str, end: int) -> bool:
    """Whether the word ending at ``end`` ("lighter") is said of a colour: a shade word or a colour follows."""
    if _SHADE_WORD.match(text, end):
        return True
    m = _NEXT_WORD.match(text, end)
    return bool(m and is_colour(m.group(1)))


def comparison(text: str) -> Comparison | None:
    """What the customer compares the products by, when the message asks which one is so.

    Example:
        >>> comparison("which is lighter?"), comparison("which is lighter in colour?")
        ('lighter', None)
    """
    m = _ASKS.search(text)
    if not m:
        return None
    group = next(i for i, g in enumerate(m.groups(), 1) if g)
    word = m.group(group).lower()
    if _WORDS.get(word) in ("lighter", "heavier") and _of_colour(text, m.end(group)):
        return None
    return _WORDS.get(word)


# "which is warmer?", "which one is more waterproof?", "哪个更暖和？": a quality that only the products' own
# words can speak to (price and weight are compared by :func:`comparison`).
_QUALITY = re.compile(
    r"\b(?:which|what)(?:\s+one)?(?:\s+of\s+(?:them|these|those|the\s+(?:two|three)|both))?"
    r"(?:\s+(?:is|are|would be|will be|keeps? (?:you|me))|['’]s)\s+(?:the\s+)?"
    r"(?:(?:more|most)\s+([a-z][a-z-]{2,})|([a-z]{2,}?)(?:er|est))\b"
    r"|哪(?:个|款|一个|一款|件|双|顶)[^？?，,。]{0,4}?(?:更|比较)([\u4e00-\u9fff]{1,3}?)(?:一点|一些|些)?(?:呢|啊)?(?=[\s，,？?。]|$)",
    re.I,
)
# Comparatives that name no quality of their own ("which is better?" asks for a choice).
_NO_QUALITY = frozenset(["bett", "b", "bigg", "small", "larg", "long", "short", "new", "old", "ord", "oth", "rath"])


def compared_quality(text: str) -> str | None:
    """The quality the customer asks which product has more of, as its plain word ("which is warmer?"
    -> "warm", "哪个更暖和？" -> "暖和"); None for price or weight (see :func:`comparison`), for a size or
    "better", and for no such question.

    Example:
        >>> compared_quality("which is warmer, the parka or the fleece?"), compared_quality("which one is more dry?")
        ('warm', 'dry')
        >>> compared_quality("哪个更暖和，大衣还是抓绒衣？"), compared_quality("which one's drier?")
        ('暖和', 'dry')
        >>> compared_quality("which is better?"), compared_quality("which is the order?")
        (None, None)
        >>> compared_quality("something warmer?"), compared_quality("which is cheaper?")
        (None, None)
    """
    if comparison(text) is not None:
        return None
    m = _QUALITY.search(text)
    if m is None:
        return None
    if m.group(1) or m.group(3):
        return (m.group(1) or m.group(3)).lower()
    base = m.group(2).lower()
    if base in _NO_QUALITY:
        return None
    if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "aeiouls":
        base = base[:-1]  # "hotter" -> "hot"
    elif base.endswith("i"):
        base = base[:-1] + "y"  # "drier" -> "dry", "comfier" -> "comfy"
    return base


# "Machine wash warm", "wash cold", "dry low": a care instruction's word says nothing of the product.
_CARE = re.compile(r"\b(?:wash(?:es|ed)?|dry|rinse|iron)\s+(?:it\s+|on\s+)?([a-z]+)", re.I)


def care_words(text: str) -> set[str]:
    """The folded words of ``text`` once its care instructions' words are cut out ("Machine wash warm").

    Example:
        >>> sorted(care_words("Merino stays warm. Machine wash warm.")), sorted(care_words("A sun hoodie. Wash warm."))
        (['machin', 'merino', 'stay', 'warm', 'wash'], ['hoodi', 'sun', 'wash'])
    """
    return set(tokenize(_CARE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)], text)))


def quality_text(
    products: Sequence[ProductFacts], quality: str, said: frozenset[str], language: str = "en", own: str = ""
) -> str:
    """What each product's own text says of ``quality``: the sentences of its description (else of its
    Q&A's answers) holding one of the folded words ``said`` (those holding the quality's own word
    first: ``own``, else ``quality``), at most two; a product whose text says nothing of it is said so.
    No verdict: the catalog states no measure to rank them by. ``[n]`` cites the n-th product.

    Example:
        >>> a = ProductFacts("A", "Parka", "", "", "A winter parka with synthetic insulation. Machine wash warm.",
        ...                  289.0, True, (), (), ())
        >>> b = ProductFacts("B", "Fleece", "", "", "A fleece pullover. Warm enough as a midlayer.", 64.0, True,
        ...                  (), (), ())
        >>> c = ProductFacts("C", "Hoodie", "", "", "A sun hoodie. Machine wash warm.", 48.0, True, (), (), ())
        >>> print(quality_text([a, b, c], "warm", frozenset({"warm", "insul", "fleec"})))
        Here is what our catalog says about how warm they are:
        - **Parka**: A winter parka with synthetic insulation. [1]
        - **Fleece**: Warm enough as a midlayer. [2]
        - The catalog doesn't say how warm the **Hoodie** is. [3]
    """
    t = _TEXT.get(language, _TEXT["en"])
    own_word = tokenize(own or quality)[:1]
    lines = []
    for n, p in enumerate(products, start=1):
        found = []
        texts = [p.sentences(), [s for _i, _q, a in p.qa for s in split_sentences(a)]]
        for sentences in texts:
            for sentence in sentences:
                words = care_words(sentence)
                if words & said:
                    # the quality's own word ("warm", "warmth") first, then the words that mean it
                    found.append((not any(w.startswith(own_word[0]) for w in words) if own_word else True, sentence))
            if found:
                break
        # (a Chinese reply quotes one English sentence each: the reply stays mostly the customer's language)
        best = [s for first, s in found if first == min(f for f, _s in found)][: 1 if language == "zh" else 2]
        if best and language == "zh":
            best = [_clause_of(best[0], said)]
        if best:
            lines.append(t["quality_item"].format(name=p.name, text=" ".join(best), n=n))
        else:
            lines.append(t["quality_none"].format(name=p.name, quality=quality, n=n))
    return "\n".join([t["quality_intro"].format(quality=quality), *lines])


def _clause_of(sentence: str, said: frozenset[str]) -> str:
    """The clause of ``sentence`` that holds one of the folded words ``said`` (a Chinese reply quotes only
    it), the whole sentence when no shorter clause of three words or more holds one.

    Example:
        >>> _clause_of("A winter parka with 133 g synthetic insulation and a waterproof shell.", frozenset({"insul"}))
        '133 g synthetic insulation'
    """
    parts = [p.strip(" .;") for p in re.split(r",\s+|;\s+|\s+(?:and|with|but)\s+", sentence)]
    held = [p for p in parts if len(p.split()) >= 3 and set(tokenize(p)) & said]
    return min(held, key=len) if held and len(held[0]) < len(sentence) else sentence


_RELATIVE_WEIGHT = re.compile(
    r"\b(lighter|less heavy|weighs? less|heavier|weighs? more)\b|(更轻|轻一点|轻一些|轻点|更重|重一点|重一些)", re.I
)


def relative_weight(text: str) -> Literal["lighter", "heavier"] | None:
    """ "something lighter?" -> ``"lighter"``: the customer wants products lighter (heavier) than the one shown.

    Example:
        >>> relative_weight("something lighter?"), relative_weight("有没有更轻一点的？")
        ('lighter', 'lighter')
        >>> relative_weight("is it light?") is None, relative_weight("something in a lighter colour?") is None
        (True, True)
    """
    m = _RELATIVE_WEIGHT.search(text)
    if not m or _of_colour(text, m.end()):  # "a lighter shade", "a lighter blue": a colour, not a weight
        return None
    word = m.group(0).lower()
    return "lighter" if ("light" in word or "less" in word or "轻" in word) else "heavier"


# A yes/no question about the total ("does the total price include tax?") asks for no total.
_ABOUT_TOTAL = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)\W+)?(?:is|does|do|will|are|can)\s+(?:the|my)\s+(?:total|combined)\b", re.I
)


def asks_total(text: str) -> bool:
    """The customer asks what several products cost together.

    Example:
        >>> asks_total("what's the total price?"), asks_total("what's the total price of shipping to Canada?")
        (True, False)
        >>> asks_total("does the total price include tax?"), asks_total("what's the total cost for all of them?")
        (False, True)
    """
    return bool(_TOTAL.search(text)) and not _ABOUT_TOTAL.search(text)


_DIFFERENCE = re.compile(
    r"\bdiff(?:erence|erences|erent)?\b|\bcompare[sd]?\b|\bcomparison\b|\bcompared\b|\bvs\.?(?=\s)|\bversus\b"
    r"|\bwhich (?:one |of (?:them|these|the two) )?(?:is better|would you (?:recommend|suggest)|should i "
    r"(?:get|buy|choose|pick|go for))\b|\bbetter,? the\b"
    r"|区别|不同|差别|比较|对比|哪个好|哪个更好|选哪个|买哪个",
    re.I,
)


_CHOICE = re.compile(
    r"\bwhich (?:one |of (?:them|these|those) )?(?:is (?:the )?best|would you (?:recommend|suggest)|should i "
    r"(?:get|buy|choose|pick|go for))\b|\bwhat (?:would|do) you (?:recommend|suggest)\b"
    r"|哪个好|哪个更好|选哪个|买哪个|推荐哪个",
    re.I,
)


def asks_choice(text: str) -> bool:
    """The customer asks which product to choose, naming none ("which should I get?").

    Example:
        >>> asks_choice("Which should I get?"), asks_choice("what's the difference between them?")
        (True, False)
    """
    return bool(_CHOICE.search(text))


def asks_difference(text: str) -> bool:
    """The customer asks how products differ or which to choose, on no one measure ("what's the
    difference between the X and the Y?", "X vs Y", "which should I get?").

    Example:
        >>> asks_difference("what's the difference between the dutch oven and the skillet?")
        True
        >>> asks_difference("which is lighter?"), asks_difference("is it different in blue?")
        (False, True)
    """
    return comparison(text) is None and bool(_DIFFERENCE.search(text))


def _stated_weight(description: str) -> tuple[str, str] | None:
    """(value, unit) of the weight the description states, as written there."""
    m = _WEIGHT.search(description)
    if not m:
        return None
    return (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))


def stated_grams(description: str) -> float | None:
    """The weight (in grams) the description states for the product, else None."""
    stated = _stated_weight(description)
    if stated is None:
        return None
    value, unit = stated[0], stated[1].lower()
    factor = next((f for u, f in sorted(_UNITS.items(), key=lambda kv: -len(kv[0])) if unit.startswith(u)), 1.0)
    return float(value) * factor


# What a product holds, as its name or description states it: "0.9 L", "Holds 1 litre", "20 L".
_VOLUME = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(ml|millilit(?:re|er)s?|l|lit(?:re|er)s?)\b", re.I)


def stated_volume(*texts: str) -> tuple[float, str] | None:
    """(millilitres, as written) of the first capacity the texts state (a name before a description).

    Example:
        >>> stated_volume("Cast Iron Teapot, 0.8 L", "Holds 0.8 litres.")
        (800.0, '0.8 L')
        >>> stated_volume("Stovetop Kettle", "A 2 L stainless steel kettle."), stated_volume("Tea", "100 g tin")
        ((2000.0, '2 L'), None)
    """
    for text in texts:
        m = _VOLUME.search(text)
        if m is not None:
            value, unit = float(m.group(1)), m.group(2).lower()
            return (value if unit.startswith("m") else value * 1000.0), f"{m.group(1)} {m.group(2)}"
    return None


def weight_words(description: str) -> str:
    """The weight the description states, as written there ("1.9 kg"); empty when it states none."""
    stated = _stated_weight(description)
    return f"{stated[0]} {stated[1]}" if stated else ""


def named_parts(text: str) -> list[str]:
    """The parts of a message that may each name one product ("the X or the Y", "X和Y")."""
    return [p.strip() for p in _SPLIT.split(text) if p and p.strip()]


_TEXT = {
    "en": {
        "cheaper": "The **{first}** ({first_value}) costs less than {others}.",
        "pricier": "The **{first}** ({first_value}) costs more than {others}.",
        "lighter": "The **{first}** ({first_value}) is lighter than {others}.",
        "heavier": "The **{first}** ({first_value}) is heavier than {others}.",
        "other": "the **{name}** ({value})",
        "states": "The catalog gives {value} for the **{name}**.",
        "and": " and ",
        "same": "The **{first}** and {others} cost the same.",
        "same_weight": "The **{first}** ({first_value}) and {others} weigh the same.",
        "no_price": "The catalog lists no price for the **{name}**.",
        "no_weight": "The catalog doesn't state the weight of the **{name}**.",
        "cannot": "So I can't compare them on that.",
        "total": "Together they come to {total} at the listed prices:",
        "unknown_weight": "The catalog doesn't state the weight of the **{name}**, so I can't tell which products "
        "are {relative} than it. [1]",
        "none_relative": "Among the products whose weight our catalog states, I couldn't find {need} {relative} than "
        "the **{name}** ({weight}). [1]",
        "relative_intro": "{need} {relative} than the **{name}** ({weight}), by the weight the catalog states:",
        "lighter_word": "lighter",
        "heavier_word": "heavier",
        "item": "- **{name}**: {value} [{n}]",
        "side_by_side": "Here is how they compare, from our catalog:",
        "facts": "- **{name}** ({details}): {text} [{n}]",
        "rated": "rated {average}/{scale} by {count}",
        "total_in": "Together they come to {total} in {choice}, at the listed prices:",
        "item_in": "- **{name}** ({choice}): {value}, {stock} [{n}]",
        "not_in": "- The **{name}** doesn't come in {choice}. [{n}]",
        "item_plain": "- **{name}**: {value}, {stock} [{n}]",
        "no_total": "So I can't price them together in {choice}.",
        "in_stock": "in stock",
        "out_of_stock": "out of stock",
        "which_two": "Which two do you mean? I listed {names}.",
        "listed": "the **{name}** [{n}]",
        "quality_intro": "Here is what our catalog says about how {quality} they are:",
        "quality_item": "- **{name}**: {text} [{n}]",
        "quality_none": "- The catalog doesn't say how {quality} the **{name}** is. [{n}]",
        "use_intro": "Here is what our catalog and reviews say about them for {use}:",
        "use_item": "- **{name}**: {text} [{n}]",
        "use_review": '- **{name}**: a customer\'s review says "{text}" [{n}]',
        "use_none": "- Our catalog and reviews say nothing of the **{name}** for {use}. [{n}]",
        "quantity": "{count} × **{name}** come to {total} at the listed price of {price} each. [1]",
    },
    "zh": {
        "cheaper": "**{first}**（{first_value}）比{others}便宜。",
        "pricier": "**{first}**（{first_value}）比{others}贵。",
        "lighter": "**{first}**（{first_value}）比{others}轻。",
        "heavier": "**{first}**（{first_value}）比{others}重。",
        "other": "**{name}**（{value}）",
        "states": "商品目录中 **{name}** 为 {value}。",
        "and": "和",
        "same": "**{first}** 和{others}价格相同。",
        "same_weight": "**{first}**（{first_value}）和{others}重量相同。",
        "no_price": "商品目录没有列出 **{name}** 的价格。",
        "no_weight": "商品描述中没有写明 **{name}** 的重量。",
        "cannot": "因此无法就此比较。",
        "total": "按标价合计 {total}：",
        "unknown_weight": "商品描述中没有写明 **{name}** 的重量，因此无法判断哪些商品比它{relative}。[1]",
        "none_relative": "在写明重量的商品中，没有找到比 **{name}**（{weight}）{relative}的{need}。[1]",
        "relative_intro": "比 **{name}**（{weight}）{relative}的{need}（按商品描述中的重量）：",
        "lighter_word": "更轻",
        "heavier_word": "更重",
        "item": "- **{name}**：{value} [{n}]",
        "side_by_side": "根据商品目录，它们的对比如下：",
        "facts": "- **{name}**（{details}）：{text} [{n}]",
        "rated": "{count} 条评价平均 {average}/{scale}",
        "total_in": "按标价，{choice}合计 {total}：",
        "item_in": "- **{name}**（{choice}）：{value}，{stock} [{n}]",
        "not_in": "- **{name}** 没有{choice}的款式。[{n}]",
        "item_plain": "- **{name}**：{value}，{stock} [{n}]",
        "no_total": "因此无法给出{choice}的合计价格。",
        "in_stock": "有货",
        "out_of_stock": "缺货",
        "which_two": "您指的是哪两件？我列出了{names}。",
        "listed": "**{name}** [{n}]",
        # (the answer framed in Chinese; the shop's English sentence quoted as data, marked as the original)
        "quality_intro": "商品目录没有给出可以直接比较{quality}程度的数据，所以我无法断定哪一款更{quality}。"
        "以下是各商品资料中关于{quality}的原文：",
        "quality_item": "- **{name}** 的商品资料写道：“{text}” [{n}]",
        "quality_none": "- 商品目录没有写明 **{name}** 的{quality}情况。[{n}]",
        "use_intro": "以下是商品资料和评价中与“{use}”有关的原文：",
        "use_item": "- **{name}** 的商品资料写道：“{text}” [{n}]",
        "use_review": "- **{name}** 的一条顾客评价写道：“{text}” [{n}]",
        "use_none": "- 商品资料没有提到 **{name}** 是否适合“{use}”。[{n}]",
        "quantity": "{count} 件 **{name}** 按标价每件 {price}，合计 {total}。[1]",
    },
}


# "which one is better for flights?", "which is best for running?": a use to choose for, not a measure.
_BETTER_FOR = re.compile(
    r"\b(?:which|what)\b[^?.!]{0,30}?\b(?:better|best|good|suited|ideal|recommended|do i need|should i (?:get|buy|use)"
    r"|would (?:work|suit))\s+(?:for|on|when|in|with)\s+([^?.!,]+)",
    re.I,
)
# "better for the price", "best for me": no use of the product
_NO_USE = frozenset(tokenize("me you us him her them it the price money value cost budget"))


def compared_use(text: str) -> str | None:
    """The use the customer asks which of the products in the conversation suits better ("which one is better
    for flights?" -> "flights"); None for a measure or a use that is no use ("better for the price").

    Example:
        >>> compared_use("which one is better for flights?"), compared_use("which is best for long runs")
        ('flights', 'long runs')
        >>> compared_use("which is better for the money?"), compared_use("which is cheaper?")
        (None, None)
        >>> compared_use("which one do I need for a MacBook Air?")
        'a MacBook Air'
    """
    m = _BETTER_FOR.search(text)
    if m is None:
        return None
    use = m.group(1).strip()
    words = set(tokenize(use))
    return use if words - _NO_USE else None


def quantity_text(product: ProductFacts, count: int, language: str, *, currency: str) -> str | None:
    """What ``count`` of the product cost at its listed price; None when it has no price.

    Example:
        >>> p = ProductFacts("A", "Boom Mini", "", "", "", 69.99, True, (), (), ())
        >>> quantity_text(p, 2, "en", currency="CAD")
        '2 × **Boom Mini** come to CA$139.98 at the listed price of CA$69.99 each. [1]'
    """
    if product.price is None:
        return None
    t = _TEXT.get(language, _TEXT["en"])
    total, each = money(product.price * count, language, currency), money(product.price, language, currency)
    return t["quantity"].format(count=count, name=product.name, total=total, price=each)


def use_text(
    products: Sequence[ProductFacts], use: str, evidence: Sequence[tuple[str, bool] | None], language: str = "en"
) -> str:
    """What each product's own text (or, failing it, a customer's review) says that bears on ``use``:
    ``evidence[i]`` is (sentence, from a review) for the i-th product, or None when nothing does. No verdict:
    the customer reads what each one's text says. ``[n]`` cites the n-th product.

    Example:
        >>> a = ProductFacts("A", "Trail", "", "", "Ear hooks stay put on runs.", 79.0, True, (), (), ())
        >>> b = ProductFacts("B", "Pulse", "", "", "Noise cancelling.", 129.0, True, (), (), ())
        >>> c = ProductFacts("C", "Quiet", "", "", "Over-ear.", 249.0, True, (), (), ())
        >>> ev = [("Ear hooks stay put on runs.", False), ("They fall out when I run.", True), None]
        >>> print(use_text([a, b, c], "running", ev))
        Here is what our catalog and reviews say about them for running:
        - **Trail**: Ear hooks stay put on runs. [1]
        - **Pulse**: a customer's review says "They fall out when I run." [2]
        - Our catalog and reviews say nothing of the **Quiet** for running. [3]
    """
    t = _TEXT.get(language, _TEXT["en"])
    lines = [t["use_intro"].format(use=use)]
    for n, (p, found) in enumerate(zip(products, evidence, strict=True), start=1):
        if found is None:
            lines.append(t["use_none"].format(name=p.name, use=use, n=n))
        else:
            key = "use_review" if found[1] else "use_item"
            lines.append(t[key].format(name=p.name, text=found[0], n=n))
    return "\n".join(lines)


_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "a pair of": 2, "a couple of": 2}
# "how much for two?", "what would 3 of them cost?", "price for four": a number of the product in focus.
_HOW_MANY_PRICED = re.compile(
    r"\b(?:how much|what(?:'s| is| would| will| does| do)?\b[^?.!]{0,12}\b(?:cost|price|total)|price)\b[^?.!]{0,12}?"
    r"\b(?:for\s+)?(\d{1,3}|two|three|four|five|six|ten|a pair of|a couple of)\b(?:\s+(?:of\s+)?(?:them|these|those|"
    r"it|units?|pieces?|packs?))?"
    r"|\b(\d{1,3}|two|three|four|five|six|ten)\s+(?:of\s+)?(?:them|these|those)\b[^?.!]{0,12}\b(?:cost|price)",
    re.I,
)


def priced_quantity(text: str) -> int | None:
    """How many of the product the customer asks the price of ("how much for two?" -> 2); None for one or none.

    Example:
        >>> priced_quantity("how much for two?"), priced_quantity("what would 3 of them cost?")
        (2, 3)
        >>> priced_quantity("how much is it?"), priced_quantity("how much for both?"), priced_quantity("price for 1")
        (None, None, None)
    """
    m = _HOW_MANY_PRICED.search(text)
    if m is None:
        return None
    said = (m.group(1) or m.group(2) or "").lower()
    count = int(said) if said.isdigit() else _COUNT_WORDS.get(said, 0)
    return count if count > 1 else None


def compare_text(products: Sequence[ProductFacts], by: Comparison, language: str, *, currency: str) -> str:
    """The products ranked by ``by`` from the catalog's own facts; ``[n]`` cites the n-th product.

    Example:
        >>> from assistant.conversation.catalog import ProductFacts
        >>> a = ProductFacts("A", "Shell", "", "", "It weighs 310 g.", 129.0, True, (), (), ())
        >>> b = ProductFacts("B", "Tent", "", "", "A tent weighing 1.9 kg packed.", 349.0, True, (), (), ())
        >>> compare_text([b, a], "lighter", "en", currency="USD")
        'The **Shell** (310 g) is lighter than the **Tent** (1.9 kg). [1][2]'
    """
    t = _TEXT.get(language, _TEXT["en"])
    by_price = by in ("cheaper", "pricier")
    cite = {p.product_id: n for n, p in enumerate(products, start=1)}
    known: list[tuple[float, ProductFacts, str]] = []
    missing: list[str] = []
    for p in products:
        if by_price:
            if p.price is None:
                missing.append(t["no_price"].format(name=p.name) + f" [{cite[p.product_id]}]")
            else:
                known.append((p.price, p, money(p.price, language, currency)))
        else:
            grams = stated_grams(p.description)
            if grams is None:
                missing.append(t["no_weight"].format(name=p.name) + f" [{cite[p.product_id]}]")
            else:
                known.append((grams, p, weight_words(p.description)))
    if len(known) < 2:
        stated = [t["states"].format(name=p.name, value=words) + f" [{cite[p.product_id]}]" for _v, p, words in known]
        return " ".join([*stated, *missing, t["cannot"]])
    known.sort(key=lambda k: k[0], reverse=by in ("pricier", "heavier"))
    first_value, first, first_words = known[0]
    rest = known[1:]
    others = t["and"].join(t["other"].format(name=p.name, value=words) for _v, p, words in rest)
    marks = "".join(f"[{n}]" for n in sorted(cite[p.product_id] for _v, p, _w in known))
    if all(v == first_value for v, _p, _w in rest):
        # Neither is lighter (cheaper) than the other: never say one is.
        line = t["same" if by_price else "same_weight"].format(first=first.name, first_value=first_words, others=others)
    else:
        line = t[by].format(first=first.name, first_value=first_words, others=others)
    return " ".join([f"{line} {marks}", *missing])


def total_text(products: Sequence[ProductFacts], language: str, *, currency: str) -> str | None:
    """What the products cost together at their listed prices (None when one has no price)."""
    t = _TEXT.get(language, _TEXT["en"])
    if any(p.price is None for p in products):
        return None
    total = sum(p.price or 0.0 for p in products)
    lines = [t["total"].format(total=money(total, language, currency))]
    lines.extend(
        t["item"].format(name=p.name, value=money(p.price or 0.0, language, currency), n=n)
        for n, p in enumerate(products, 1)
    )
    return "\n".join(lines)


def difference_text(products: Sequence[ProductFacts], language: str, *, currency: str) -> str:
    """The products side by side, from the catalog's own facts only: price, category, the average of
    their reviews' ratings, and the first sentence of each description. No verdict: which is better
    depends on what the customer needs, which the facts let them judge.

    Example:
        >>> from assistant.conversation.catalog import ProductFacts
        >>> a = ProductFacts("A", "Skillet", "Kitchen", "", "Cast iron. Pre-seasoned.", 45.0, True, (), (), ())
        >>> b = ProductFacts("B", "Dutch Oven", "Kitchen", "", "Enameled cast iron.", 139.0, True, (), (), (),
        ...                  ratings=(5.0, 4.0))
        >>> print(difference_text([a, b], "en", currency="USD"))
        Here is how they compare, from our catalog:
        - **Skillet** ($45.00, Kitchen): Cast iron. [1]
        - **Dutch Oven** ($139.00, Kitchen, rated 4.5/5 by 2): Enameled cast iron. [2]
    """
    t = _TEXT.get(language, _TEXT["en"])
    lines = [t["side_by_side"]]
    for n, p in enumerate(products, start=1):
        details = [money(p.price, language, currency)] if p.price is not None else []
        if p.category:
            details.append(p.category.split(">")[-1].strip())
        if (rated_as := p.rating()) is not None:
            average, scale, count = rated_as
            details.append(t["rated"].format(average=average, scale=scale, count=count))
        first = next((s for s in p.sentences()), "")
        sep = "，" if language == "zh" else ", "
        line = t["facts"].format(name=p.name, details=sep.join(details), text=first, n=n).rstrip(": ")
        if not first:  # (no description: no empty quote after the details)
            line = re.sub(r"(?:: |：) \[", " [", line)
        lines.append(line)
    return "\n".join(lines)


def relative_text(key: str, language: str = "en", **values: str) -> str:
    """One of the messages about products lighter or heavier than the one shown (``key``)."""
    t = _TEXT.get(language, _TEXT["en"])
    relative = t[f"{values.pop('relative')}_word"]
    return t[key].format(relative=relative, **values)


# (name, the values chosen as named, (price, in stock) in them or None when it doesn't come in them)
OptionRow = tuple[str, str, tuple[float | None, bool] | None]


def total_in_text(rows: Sequence[OptionRow], language: str, *, currency: str) -> str | None:
    """What the products cost together in the options asked ("how much for both in small?"), each
    with its price and stock in them; a product that doesn't come in them is said so and no total is
    given. None when a product has no price in them.

    Example:
        >>> print(total_in_text([("Shell", "size S", (129.0, True)), ("Parka", "size S", None)], "en", currency="USD"))
        - **Shell** (size S): $129.00, in stock [1]
        - The **Parka** doesn't come in size S. [2]
        So I can't price them together in size S.
    """
    t = _TEXT.get(language, _TEXT["en"])
    if any(got is not None and got[0] is None for _n, _c, got in rows):
        return None
    choice = next((c for _n, c, _got in rows if c), "")
    lines = []
    for n, (name, chosen, got) in enumerate(rows, start=1):
        if got is None:
            lines.append(t["not_in"].format(name=name, choice=chosen, n=n))
            continue
        stock = t["in_stock"] if got[1] else t["out_of_stock"]
        if chosen:
            value = money(got[0] or 0.0, language, currency)
            lines.append(t["item_in"].format(name=name, choice=chosen, value=value, stock=stock, n=n))
        else:  # a product without the option named (a tent has no sizes): its listed price
            lines.append(
                t["item_plain"].format(name=name, value=money(got[0] or 0.0, language, currency), stock=stock, n=n)
            )
    if any(got is None for _n, _c, got in rows):
        return "\n".join([*lines, t["no_total"].format(choice=choice)])
    total = sum((got[0] or 0.0) for _n, _c, got in rows if got is not None)
    return "\n".join([t["total_in"].format(total=money(total, language, currency), choice=choice), *lines])


def which_two_text(names: Sequence[str], language: str = "en") -> str:
    """The question back when "both" could mean any two of more products listed.

    Example:
        >>> which_two_text(["Shell", "Parka", "Hoodie"])
        'Which two do you mean? I listed the **Shell** [1], the **Parka** [2] and the **Hoodie** [3].'
    """
    t = _TEXT.get(language, _TEXT["en"])
    items = [t["listed"].format(name=name, n=n) for n, name in enumerate(names, start=1)]
    joined = "、".join(items) if language == "zh" else f"{', '.join(items[:-1])} and {items[-1]}"
    return t["which_two"].format(names=joined)
