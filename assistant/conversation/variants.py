"""Questions about a product's variants: which options exist, which are in stock, at what price.

A product's variants carry options as the shop names them (``{"size": "M", "color": "black"}``).
A message asks about them by naming an option ("which colours", "what sizes"), a value ("in M",
"size 10", "black"), or an option whose values are yes/no ("waterproof"). Everything is read from
the product's own options, so it works for any catalog; the only fixed words are a few general
retail ones (colour/color, small/medium/large for S/M/L).

Example:
    >>> v = (({"size": "M", "color": "black"}, 149.0, False), ({"size": "L", "color": "red"}, 153.0, True))
    >>> ask = read_variant_question("which colours do you have in M then?", v)
    >>> ask.asked, ask.chosen
    (('color',), {'size': 'M'})
    >>> read_variant_question("is it warm?", v) is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.money import money

Variant = tuple[Mapping[str, str], float | None, bool]

# How customers write an option's name when it differs from the shop's key.
_KEY_WORDS = {"colour": "color", "colours": "color", "colors": "color", "colour's": "color"}
# Size words for letter sizes ("medium" -> M) when the product's sizes are letters.
_SIZE_WORDS = {
    "extra small": "XS",
    "x-small": "XS",
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra large": "XL",
    "x-large": "XL",
    "xx-large": "XXL",
}
# The same in Chinese: "小号" is S ("加大号" before "大号"), written without spaces.
_ZH_SIZE_WORDS = {
    "加大号": "XL",
    "特大号": "XXL",
    "小号": "S",
    "中号": "M",
    "大号": "L",
    "小码": "S",
    "中码": "M",
    "大码": "L",
}
# How Chinese customers name common options ("有什么尺码？", "什么颜色").
_ZH_KEYS = {
    "size": re.compile(r"尺码|码数|码子|号码|尺寸|大小"),
    "color": re.compile(r"颜色|顏色|配色"),
    "colour": re.compile(r"颜色|顏色|配色"),
    "length": re.compile(r"长度|长短"),
    "model": re.compile(r"型号|款式"),
}
# Values too common as plain words to be read as a choice on their own ("is it light?").
_AMBIGUOUS_VALUES = frozenset(
    ["none", "yes", "no", "light", "dark", "high", "low", "standard", "regular", "long", "plain", "basic", "one size"]
)
_YES_NO = frozenset(["yes", "no"])
# Colour words, for a colour the product does not come in ("do you have it in purple?").
_COLOURS = frozenset(
    [
        "black",
        "white",
        "grey",
        "gray",
        "red",
        "blue",
        "navy",
        "green",
        "yellow",
        "orange",
        "purple",
        "pink",
        "brown",
        "beige",
        "tan",
        "khaki",
        "olive",
        "silver",
        "gold",
        "cream",
        "teal",
        "maroon",
        "burgundy",
        "charcoal",
    ]
)
_NEGATED = r"\b(?:not|non|without|isn'?t|aren'?t)[\s-]+(?:\w+[\s-]+)?"


# A colour asked of a product: "in purple", "in a dark green", "a purple one", "any purple?", "purple?"
# ("my dog is tan", "I have a green thumb", "I'm feeling blue" ask for no colour).
_SHADE = r"(?:(?:light|dark|bright|pale|deep)\s+)?"
_ASKED_COLOUR = (
    r"\bin\s+(?:an?\s+|the\s+)?{shade}{c}\b",
    r"\b{c}\s+(?:ones?|versions?|variants?|colou?rs?|options?|models?|shades?)\b",
    r"^\W*(?:(?:and|or|so|ok|okay|what about|how about|any|anything|something|the|a|got|have you got)\s+)*"
    r"{shade}{c}\W*$",
)


def _colour_asked(colour: str, low: str) -> bool:
    """Whether a general colour word in ``low`` (the message, lower case) asks for a product in it.

    Example:
        >>> _colour_asked("purple", "do you have it in purple?"), _colour_asked("tan", "my dog is tan")
        (True, False)
    """
    c = re.escape(colour)
    return any(re.search(p.format(c=c, shade=_SHADE), low) for p in _ASKED_COLOUR)


def is_colour(word: str) -> bool:
    """A general colour word ("purple"), whether or not the shop's catalog uses it."""
    return word.lower() in _COLOURS


@dataclass(frozen=True)
class VariantQuestion:
    """Option keys the message asks about (``asked``) and the option values it names (``chosen``)."""

    asked: tuple[str, ...] = ()
    chosen: dict[str, str] = field(default_factory=dict)


def option_values(variants: Sequence[Variant]) -> dict[str, list[str]]:
    """Each option key with its values, in the order the variants list them."""
    out: dict[str, list[str]] = {}
    for options, _price, _ok in variants:
        for key, value in options.items():
            values = out.setdefault(str(key), [])
            if str(value) not in values:
                values.append(str(value))
    return out


def _asked_keys(text: str, keys: Sequence[str], yes_no: frozenset[str] = frozenset()) -> tuple[str, ...]:
    low = text.lower()
    for word, key in _KEY_WORDS.items():
        low = re.sub(rf"\b{re.escape(word)}\b", f"{key}s" if word.endswith("s") else key, low)
    asked = []
    for key in keys:
        if key in yes_no:
            continue  # "waterproof" chooses the waterproof ones; it asks for no list
        # The shop's key as the text was folded: a British shop's "colour" is asked as "colours" too.
        last = re.escape(_KEY_WORDS.get(key.lower().split()[-1], key.lower().split()[-1]))
        # "what sizes", "which colors", "what size is it", "in other colors", "sizes?"
        plural = rf"\b{last}(?:s|es)\b"
        pointed = rf"\b(?:what|which|other|different|more|all|available|any)\s+(?:\w+\s+)?{last}\b"
        zh = _ZH_KEYS.get(key.lower())
        if re.search(plural, low) or re.search(pointed, low) or (zh is not None and zh.search(text)):
            asked.append(key)
    return tuple(asked)


def _value_in(value: str, text: str, low: str, key: str) -> bool:
    v = value.lower()
    if v in _AMBIGUOUS_VALUES:
        return False
    if len(value) <= 2 and value.isalpha():
        # A letter size is written in capitals ("in M"), or after "size" ("size m").
        return bool(re.search(rf"(?<![\w'-]){re.escape(value)}(?![\w'-])", text)) or bool(
            re.search(rf"\b{re.escape(key.lower())}\s+{re.escape(v)}\b", low)
        )
    if re.fullmatch(r"\d+(?:\.\d+)?", v):
        # "size 10", "in 10", "a 10": a bare number, not money or a quantity of something else.
        money_after = r"(?![\d.,]*\s*(?:%|dollars?|bucks|euros?|pounds?|[$€£¥]))(?!\.\d)"
        return bool(re.search(rf"(?<![$€£¥\d.,]){re.escape(v)}{money_after}", low)) and bool(
            re.search(rf"(?:\b{re.escape(key.lower())}|\bin|\ba|\bthe)\s+{re.escape(v)}\b", low)
        )
    return bool(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", low))


# An option a customer asks to choose among ("what sizes does it come in?", "any other colours?", 有什么颜色).
_OPTION_ASKED = re.compile(
    r"\b(?:what|which|any|other|different|more|available)\s+(?:\w+\s+)?(sizes?|colou?rs?|styles?|lengths?|versions?)\b"
    r"|\b(sizes|colou?rs|styles|lengths|versions)\b|(尺码|尺寸|颜色|款式)",
    re.I,
)
_OPTION_SAID = {
    "size": "sizes",
    "color": "colors",
    "colour": "colours",
    "style": "styles",
    "length": "lengths",
    "version": "other versions",
    "尺码": "sizes",
    "尺寸": "sizes",
    "颜色": "colours",
    "款式": "styles",
}


def asked_option(text: str) -> str | None:
    """The kind of option ``text`` asks to choose among, as said back ("sizes", "colours"), else None.

    Example:
        >>> asked_option("what colours?"), asked_option("what sizes does it come in?"), asked_option("有什么颜色？")
        ('colours', 'sizes', 'colours')
        >>> asked_option("is it the right size?") is None
        True
    """
    m = _OPTION_ASKED.search(text)
    if m is None:
        return None
    word = next(g for g in m.groups() if g).lower()
    return _OPTION_SAID.get(word.rstrip("s") if word.isascii() else word, word)


def read_variant_question(text: str, variants: Sequence[Variant]) -> VariantQuestion | None:
    """What ``text`` asks about the variants (None when it names no option and no value of them)."""
    if not variants:
        return None
    values = option_values(variants)
    low = " ".join(text.lower().split())
    flags = frozenset(k for k, vals in values.items() if {v.lower() for v in vals} <= _YES_NO)
    asked = _asked_keys(text, list(values), flags)
    chosen: dict[str, str] = {}
    for key, vals in values.items():
        if key in flags:
            # "waterproof" for an option "waterproof: yes/no"; "not waterproof" for its "no".
            if re.search(rf"\b{re.escape(key.lower())}\b", low) and key not in asked:
                negated = re.search(_NEGATED + re.escape(key.lower()), low)
                wanted = "no" if negated else "yes"
                chosen[key] = next((v for v in vals if v.lower() == wanted), wanted)
            continue
        found = [v for v in vals if _value_in(v, text, low, key)]
        if not found and key.lower() == "size":
            letters = {v.upper() for v in vals}
            for word, letter in sorted(_SIZE_WORDS.items(), key=lambda kv: -len(kv[0])):
                if letter in letters and re.search(rf"\b{word}\b", low):
                    found = [next(v for v in vals if v.upper() == letter)]
                    break
            rest = low
            for word, letter in _ZH_SIZE_WORDS.items():  # longer words first: "加大号" is no "大号"
                if not found and word in rest:
                    if letter in letters:
                        found = [next(v for v in vals if v.upper() == letter)]
                    rest = rest.replace(word, " ")
        if not found and key.lower() in ("color", "colour"):
            found = [w for w in re.findall(r"[a-z]+", low) if w in _COLOURS and _colour_asked(w, low)]
        if found:
            # The longest value named ("rose gold" rather than "gold").
            chosen[key] = max(found, key=len)
    if not asked and not chosen:
        return None
    return VariantQuestion(asked, chosen)


def matching(variants: Sequence[Variant], chosen: Mapping[str, str]) -> list[Variant]:
    """The variants with every chosen value (an option a variant lacks does not exclude it)."""
    return [v for v in variants if all(str(v[0].get(k, val)).lower() == str(val).lower() for k, val in chosen.items())]


def _label(key: str, value: str) -> str:
    """``size M``; an option of yes/no values by its name: ``waterproof`` / ``not waterproof``."""
    low = value.lower()
    if low not in _YES_NO:
        return f"{key} {value}"
    return key if low == "yes" else f"not {key}"


_LETTER_SIZES = {size: rank for rank, size in enumerate(["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"])}


def _order(value: str) -> float:
    """Sizes 7, 8, 10 and XS, S, M, L in their order; other values as the shop lists them (a stable sort)."""
    m = re.match(r"\d+(?:\.\d+)?", value)
    if m:
        return float(m.group(0))
    return float(_LETTER_SIZES.get(value.upper(), float("inf")))


_TEXT = {
    "en": {
        "in": "The **{name}** in {choice}:",
        "all": "Here are the options of the **{name}**:",
        "none": "The **{name}** doesn't come in {choice}.",
        "offered": "In {choice} it comes in: {values}.",
        "offered_all": "Its {key} options: {values}.",
        "out": "out of stock",
        "ok": "in stock",
        "list_intro": "The {key} options of the products listed, from our catalog:",
        "list_item": "- **{name}**: {values} [{n}]",
        "list_none": "- **{name}**: no {key} options listed [{n}]",
        "value_out": "{value} (out of stock)",
    },
    "zh": {
        "in": "**{name}**（{choice}）：",
        "all": "**{name}** 有以下款式：",
        "none": "**{name}** 没有{choice}的款式。",
        "offered": "{choice}的款式：{values}。",
        "offered_all": "{key}可选：{values}。",
        "out": "缺货",
        "ok": "有货",
        "list_intro": "根据商品目录，所列商品的{key}选项：",
        "list_item": "- **{name}**：{values} [{n}]",
        "list_none": "- **{name}**：未列出{key}选项 [{n}]",
        "value_out": "{value}（缺货）",
    },
}


def _prices(prices: Sequence[float], language: str, currency: str) -> list[str]:
    if not prices:
        return []
    low, high = min(prices), max(prices)
    if low == high:
        return [money(low, language, currency)]
    return [f"{money(low, language, currency)}–{money(high, language, currency)}"]


def variant_answer(
    name: str, variants: Sequence[Variant], question: VariantQuestion, language: str, *, currency: str
) -> str:
    """The variants' facts that answer ``question``, each line cited ``[1]`` (the product): the
    options asked about (else every option the message left open), each with its price and whether
    it is in stock; when no variant has every value named, what each value does come with.

    Example:
        >>> v = (({"size": "M", "color": "black"}, 149.0, False), ({"size": "L", "color": "red"}, 153.0, True))
        >>> print(variant_answer("Fleece", v, VariantQuestion(("color",), {"size": "M"}), "en", currency="USD"))
        The **Fleece** in size M:
        - color black: $149.00, out of stock [1]
        >>> print(variant_answer("Fleece", v, VariantQuestion((), {"size": "M", "color": "red"}), "en", currency="USD"))
        The **Fleece** doesn't come in size M, color red. In size M it comes in: color black. In color red it \
comes in: size L. [1]
    """
    t = _TEXT.get(language, _TEXT["en"])
    chosen = dict(question.chosen)
    found = matching(variants, chosen)
    described = ", ".join(_label(k, v) for k, v in chosen.items())
    if not found:
        lines = [t["none"].format(name=name, choice=described)]
        for key, value in chosen.items():
            # What the value named does come with (the other values named left out).
            alone = matching(variants, {key: value})
            others = option_values(
                [(dict((k, x) for k, x in o.items() if k in chosen and k != key), p, ok) for o, p, ok in alone]
            )
            values = [_label(k, x) for k, xs in others.items() for x in xs]
            if values:
                lines.append(t["offered"].format(choice=_label(key, value), values=", ".join(values)))
        if len(lines) == 1:
            offered = option_values(variants)
            for key in chosen:
                lines.append(t["offered_all"].format(key=key, values=", ".join(str(x) for x in offered[key])))
        return " ".join(lines) + " [1]"
    head = t["in"].format(name=name, choice=described) if chosen else t["all"].format(name=name)
    # Show the options asked about, else every option the message did not fix.
    show = [k for k in question.asked if k not in chosen] or [k for k in option_values(found) if k not in chosen]
    groups: dict[str, list[Variant]] = {}
    for variant in found:
        label = ", ".join(_label(k, str(variant[0][k])) for k in show if k in variant[0]) or name
        groups.setdefault(label, []).append(variant)
    first = show[0] if show else ""
    lines = [head]
    for label, group in sorted(groups.items(), key=lambda kv: _order(str(kv[1][0][0].get(first, ""))))[:12]:
        in_stock = [v for v in group if v[2]]
        facts = _prices([v[1] for v in (in_stock or group) if v[1] is not None], language, currency)
        facts.append(t["ok"] if in_stock else t["out"])
        lines.append(f"- {label}: {', '.join(facts)} [1]")
    return "\n".join(lines)


# Option names as a Chinese reply writes them; other keys as the shop names them.
_ZH_KEY_NAMES = {"size": "尺码", "color": "颜色", "colour": "颜色", "length": "长度", "model": "型号"}


def listed_options(items: Sequence[tuple[str, Sequence[Variant]]], key: str, language: str = "en") -> str:
    """The values of option ``key`` of each listed product ("what sizes?" after a list), in order, those
    out of stock marked; ``[n]`` cites the n-th product. A product without the option says so.

    Example:
        >>> a = (({"size": "M"}, 10.0, True), ({"size": "S"}, 10.0, False))
        >>> print(listed_options([("Shell", a), ("Mug", ())], "size"))
        The size options of the products listed, from our catalog:
        - **Shell**: S (out of stock), M [1]
        - **Mug**: no size options listed [2]
    """
    t = _TEXT.get(language, _TEXT["en"])
    shown = _ZH_KEY_NAMES.get(key.lower(), key) if language == "zh" else key
    lines = [t["list_intro"].format(key=shown)]
    sep = "、" if language == "zh" else ", "
    for n, (name, variants) in enumerate(items, start=1):
        values = sorted(option_values(variants).get(key, []), key=_order)
        if not values:
            lines.append(t["list_none"].format(name=name, key=shown, n=n))
            continue
        ok = {str(o.get(key)) for o, _p, available in variants if available}
        words = [v if v in ok else t["value_out"].format(value=v) for v in values]
        lines.append(t["list_item"].format(name=name, values=sep.join(words), n=n))
    return "\n".join(lines)


def chosen_price(variants: Sequence[Variant], chosen: Mapping[str, str]) -> tuple[float | None, bool] | None:
    """(price, in stock) of the product in the values ``chosen`` (the lowest price among its variants in
    them, those in stock first); None when no variant has them all.

    Example:
        >>> chosen_price((({"size": "S"}, 129.0, True), ({"size": "M"}, 139.0, False)), {"size": "M"})
        (139.0, False)
    """
    found = matching(variants, chosen)
    if not found:
        return None
    in_stock = [v for v in found if v[2]]
    prices = [v[1] for v in (in_stock or found) if v[1] is not None]
    return (min(prices) if prices else None), bool(in_stock)


def choice_label(chosen: Mapping[str, str]) -> str:
    """The values chosen as a reply names them ("size S")."""
    return ", ".join(_label(k, v) for k, v in chosen.items())
