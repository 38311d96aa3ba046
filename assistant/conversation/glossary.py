"""Common shopping words in Chinese with their English catalog words, and English names of a kind
of product with the other names shops give it.

A shop whose catalog is English and whose encoder reads English only (MiniLM) cannot match
"防水外套" to "Alder Rain Shell": neither the words nor the vectors meet. The request's product
type and attributes are looked up here (longest entry first) and searched as English words.
A request for a kind that no product's name carries ("a warm jacket") is matched to the products
whose names carry another name of that kind ("parka"). Only general retail words: no shop's
product or brand names.

Example:
    >>> gloss("防水外套"), gloss("保暖的帽子"), gloss("月球")
    (['waterproof', 'jacket'], ['warm', 'hat'], [])
"""

from __future__ import annotations

ZH_EN: dict[str, str] = {
    # apparel
    "冲锋衣": "jacket",
    "雨衣": "rain jacket",
    "外套": "jacket",
    "夹克": "jacket",
    "风衣": "jacket",
    "羽绒服": "down parka",
    "羽绒背心": "down vest",
    "背心": "vest",
    "马甲": "vest",
    "大衣": "parka",
    "抓绒衣": "fleece",
    "抓绒": "fleece",
    "卫衣": "hoodie",
    "连帽衫": "hoodie",
    "毛衣": "sweater",
    "打底衫": "base layer",
    "内衣": "base layer",
    "T恤": "shirt",
    "衬衫": "shirt",
    "上衣": "shirt",
    "裤子": "pants",
    "长裤": "pants",
    "短裤": "shorts",
    "帽子": "hat",
    "毛线帽": "beanie",
    "手套": "gloves",
    "围巾": "scarf",
    "袜子": "socks",
    # footwear
    "登山鞋": "hiking boot",
    "徒步鞋": "hiking boot",
    "靴子": "boot",
    "雪地靴": "winter boot",
    "跑鞋": "runner",
    "越野跑鞋": "trail runner",
    "运动鞋": "shoe",
    "鞋子": "shoe",
    "鞋": "shoe",
    "拖鞋": "slipper",
    "凉鞋": "sandal",
    "溯溪鞋": "water shoe",
    "鞋带": "laces",
    "便鞋": "moccasin",
    # outdoor
    "帐篷": "tent",
    "睡袋": "sleeping bag",
    "睡垫": "sleeping pad",
    "防潮垫": "sleeping pad",
    "背包": "backpack",
    "登山包": "backpack",
    "双肩包": "backpack",
    "头灯": "headlamp",
    "手电筒": "flashlight",
    "炉子": "stove",
    "炉具": "stove",
    "水袋": "water carrier",
    "水桶": "water carrier",
    "椅子": "chair",
    "折叠椅": "camp chair",
    # kitchen
    "平底锅": "skillet",
    "煎锅": "skillet",
    "铸铁锅": "cast iron",
    "锅": "pot",
    "炖锅": "dutch oven",
    "杯子": "mug",
    "马克杯": "mug",
    "咖啡": "coffee",
    "手冲": "pour-over",
    "砧板": "cutting board",
    "菜板": "cutting board",
    "刀": "knife",
    "菜刀": "knife",
    "厨师刀": "chef's knife",
    "毛巾": "towel",
    "盘子": "plates",
    "碗": "bowl",
    "厨房": "kitchen",
    "做饭": "cooking",
    "烹饪": "cooking",
    # home
    "被套": "duvet cover",
    "被子": "duvet",
    "床单": "sheet",
    "枕头": "pillow",
    "毯子": "blanket",
    "毛毯": "throw",
    "盖毯": "throw",
    "加重毯": "weighted blanket",
    "蜡烛": "candle",
    "香薰": "candle",
    "地垫": "doormat",
    "门垫": "doormat",
    "地毯": "rug",
    # attributes and people
    "防水": "waterproof",
    "防风": "windproof",
    "保暖": "warm",
    "暖和": "warm",
    "轻便": "light",
    "轻": "light",
    "透气": "breathable",
    "可充电": "rechargeable",
    "充电": "rechargeable",
    "羊毛": "wool",
    "美利奴": "merino",
    "棉": "cotton",
    "亚麻": "linen",
    "皮": "leather",
    "不锈钢": "stainless steel",
    "徒步": "hiking",
    "登山": "hiking",
    "露营": "camping",
    "冬天": "winter",
    "冬季": "winter",
    "下雨": "rain",
    "雨天": "rain",
    "跑步": "running",
    "小孩": "kids",
    "儿童": "kids",
    "孩子": "kids",
    "礼物": "gift",
    "女士": "women's",
    "男士": "men's",
}
_LONGEST = sorted(ZH_EN, key=len, reverse=True)


def gloss(text: str) -> list[str]:
    """The English words of the Chinese shopping words in ``text``, in order (longest entries first)."""
    out: list[tuple[int, str]] = []
    taken = [False] * len(text)
    for word in _LONGEST:
        start = text.find(word)
        while start >= 0:
            if not any(taken[start : start + len(word)]):
                taken[start : start + len(word)] = [True] * len(word)
                out.append((start, ZH_EN[word]))
            start = text.find(word, start + 1)
    return [w for _, phrase in sorted(out) for w in phrase.split()]


# English names of a kind of product and the other names shops give the same kind, or a kind of it
# ("a warm jacket" when the catalog calls its jacket a parka or a rain shell). General retail words
# only, each entry a customer's word (singular) to the words a product's name may carry instead.
EN_KINDS: dict[str, tuple[str, ...]] = {
    "jacket": ("coat", "parka", "anorak", "windbreaker", "shell", "puffer", "blazer", "raincoat"),
    "coat": ("jacket", "parka", "anorak", "overcoat", "raincoat", "puffer", "trench"),
    "parka": ("coat", "jacket", "anorak", "puffer"),
    "raincoat": ("shell", "poncho", "anorak"),
    "windbreaker": ("shell", "anorak", "jacket"),
    "sweater": ("pullover", "jumper", "cardigan", "sweatshirt"),
    "jumper": ("sweater", "pullover"),
    "sweatshirt": ("hoodie", "pullover", "sweater"),
    "hoodie": ("sweatshirt",),
    "trousers": ("pants", "slacks", "jeans"),
    "pants": ("trousers", "slacks"),
    "hat": ("beanie", "cap", "beret"),
    "beanie": ("hat", "toque"),
    "sneaker": ("trainer", "runner"),
    "trainer": ("sneaker", "runner"),
    "slipper": ("moccasin",),
    "flashlight": ("torch", "headlamp", "lantern"),
    "torch": ("flashlight", "headlamp"),
    "rucksack": ("backpack", "daypack"),
    "knapsack": ("backpack", "rucksack"),
    "pan": ("skillet",),
    "frypan": ("skillet",),
    "cup": ("mug",),
    "mug": ("cup",),
    "couch": ("sofa",),
    "sofa": ("couch",),
    "comforter": ("duvet", "quilt"),
    "quilt": ("comforter", "duvet"),
    "blanket": ("throw",),
    "throw": ("blanket",),
    "carpet": ("rug",),
}


# Weather a request is for ("anything for a rainy day hike?"), with the attribute of the products made
# for it: the products that state it come first, whatever their kind. General words only.
CONDITIONS: dict[str, str] = {
    "rain": "waterproof",
    "rainy": "waterproof",
    "raining": "waterproof",
    "wet": "waterproof",
    "drizzle": "waterproof",
    "downpour": "waterproof",
    "storm": "waterproof",
    "stormy": "waterproof",
}


def conditions_need(words: list[str]) -> list[str]:
    """The attributes the weather named among ``words`` calls for, in order, once each.

    Example:
        >>> conditions_need(["rainy", "day", "hike"]), conditions_need(["hiking"])
        (['waterproof'], [])
    """
    return list(dict.fromkeys(CONDITIONS[w.lower()] for w in words if w.lower() in CONDITIONS))


def kinds_like(noun: str) -> tuple[str, ...]:
    """Other names of the kind ``noun`` names (see :data:`EN_KINDS`), empty for a word not in it.

    Example:
        >>> kinds_like("jackets")[:3], kinds_like("kayak")
        (('coat', 'parka', 'anorak'), ())
    """
    low = noun.lower()
    for word in (low, low[:-1] if low.endswith("s") else low, low[:-2] if low.endswith("es") else low):
        if word in EN_KINDS:
            return EN_KINDS[word]
    return ()
