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

import re

from assistant.retrieval.text import tokenize

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
    "登山靴": "hiking boot",
    "徒步靴": "hiking boot",
    "雨靴": "rain boot",
    "靴": "boot",
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
    "咖啡因": "caffeine",
    "无咖啡因": "caffeine-free",
    "不含咖啡因": "caffeine-free",
    "茶": "tea",
    "茶叶": "tea",
    "绿茶": "green tea",
    "红茶": "black tea",
    "花草茶": "herbal tea",
    "茶壶": "teapot",
    "茶杯": "cups",
    "水壶": "kettle",
    "烧水壶": "kettle",
    "电水壶": "electric kettle",
    "礼盒": "gift box",
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
    "床上用品": "bedding",
    "床品": "bedding",
    "床": "bed",
    "睡觉": "sleep",
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
    # electronics
    "耳机": "headphones",
    "笔记本电脑": "laptop",
    "相机": "camera",
    "手表": "watch",
    "键盘": "keyboard",
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
    "雨季": "rain",
    "暴雨": "storm",
    "潮湿": "wet",
    "寒冷": "cold",
    "冷天": "cold",
    "天冷": "cold",
    "跑步": "running",
    "小孩": "kids",
    "儿童": "kids",
    "孩子": "kids",
    "礼物": "gift",
    "狗狗": "dog",
    "狗": "dog",
    "猫咪": "cat",
    "猫": "cat",
    "宠物": "pet",
    "女士": "women's",
    "男士": "men's",
}
# Chinese words of a shop's service, in the words an English policy uses: what a Chinese question is looked up
# by when the encoder reads English only and the shop's policy is in English ("退货政策" -> return policy).
ZH_EN_SERVICE: dict[str, str] = {
    "退货": "return",
    "退回": "return",
    "退换": "return exchange",
    "换货": "exchange",
    "退款": "refund",
    "退钱": "refund",
    "运费": "shipping cost",
    "邮费": "shipping cost",
    "包邮": "free shipping",
    "免运费": "free shipping",
    "发货": "ship",
    "寄到": "ship to",
    "配送": "delivery",
    "送货": "delivery",
    "快递": "shipping carrier",
    "多久到": "delivery days",
    "几天到": "delivery days",
    "取消": "cancel",
    "修改": "change",
    "地址": "address",
    "保修": "warranty",
    "质保": "warranty",
    "维修": "repair",
    "损坏": "damaged",
    "坏了": "broken",
    "发错": "wrong item",
    "订阅": "subscription",
    "暂停": "pause",
    "批发": "wholesale",
    "付款": "payment",
    "支付": "payment",
    "发票": "invoice",
    "优惠码": "discount code",
    "会员": "membership",
    "营业时间": "opening hours",
    "客服": "customer service",
    "政策": "policy",
    "多久": "how long",
    "几天": "days",
    "免费": "free",
    "已拆封": "opened",
    "拆封": "opened",
    "打开过": "opened",
}
_LONGEST = sorted(ZH_EN, key=len, reverse=True)
_LONGEST_SERVICE = sorted(ZH_EN_SERVICE, key=len, reverse=True)
# The Chinese of an English shopping word (the first entry that glosses to it): "waterproof" -> 防水.
EN_ZH: dict[str, str] = {}
for _zh, _en in ZH_EN.items():
    EN_ZH.setdefault(_en, _zh)


def in_chinese(word: str) -> str:
    """An English shopping word in Chinese where the glossary has it, else as it is.

    Example:
        >>> in_chinese("waterproof"), in_chinese("防水"), in_chinese("kayak")
        ('防水', '防水', 'kayak')
    """
    return EN_ZH.get(word.lower(), word)


def gloss(text: str) -> list[str]:
    """The English words of the Chinese shopping words in ``text``, in order (longest entries first)."""
    return _glossed(text, ZH_EN, _LONGEST)


def gloss_service(text: str) -> list[str]:
    """The English words of ``text``'s Chinese words of a shop's service, then of its shopping words.

    Example:
        >>> gloss_service("你们的退货政策是什么？"), gloss_service("运费多少？"), gloss_service("已拆封的茶可以退货吗")
        (['return', 'policy'], ['shipping', 'cost'], ['opened', 'return', 'tea'])
    """
    service = _glossed(text, ZH_EN_SERVICE, _LONGEST_SERVICE)
    return [*service, *(w for w in gloss(text) if w not in service)] if service else []


def _glossed(text: str, table: dict[str, str], longest: list[str]) -> list[str]:
    out: list[tuple[int, str]] = []
    taken = [False] * len(text)
    for word in longest:
        start = text.find(word)
        while start >= 0:
            if not any(taken[start : start + len(word)]):
                taken[start : start + len(word)] = [True] * len(word)
                out.append((start, table[word]))
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
    # "something for cold nights": warmth, not the words "wash cold" of a care label ("winter" and
    # "snow" stay words of their own: "winter camping" is camping gear, a "Winter Boot" a boot)
    "cold": "warm",
    "colder": "warm",
    "chilly": "warm",
    "freezing": "warm",
    "frosty": "warm",
}


# What a product made for the need states of itself: the attribute's own word, or words that mean it in a
# product's own text ("synthetic insulation", "200-weight fleece" keep one warm). Not an option's value:
# a "warm white" bulb is no product for the cold. General words only.
CONDITION_WORDS: dict[str, tuple[str, ...]] = {
    "warm": ("warm", "warmth", "insulated", "insulation", "insulating", "thermal", "fleece", "flannel"),
    "waterproof": ("waterproof",),
}


def condition_words(attribute: str) -> frozenset[str]:
    """The folded words (see :func:`~assistant.retrieval.text.tokenize`) by which a product's own text
    says it meets the need ``attribute`` that weather calls for.

    Example:
        >>> sorted(condition_words("warm")), sorted(condition_words("waterproof"))
        (['flannel', 'fleec', 'insul', 'thermal', 'warm', 'warmth'], ['waterproof'])
    """
    words = CONDITION_WORDS.get(attribute.lower(), (attribute,))
    return frozenset(tokenize(" ".join(words)))


def conditions_need(words: list[str]) -> list[str]:
    """The attributes the weather named among ``words`` calls for, in order, once each.

    Example:
        >>> conditions_need(["rainy", "day", "hike"]), conditions_need(["hiking"])
        (['waterproof'], [])
    """
    return list(dict.fromkeys(CONDITIONS[w.lower()] for w in words if w.lower() in CONDITIONS))


def conditions_read(text: str) -> str:
    """``text`` with each word of the weather replaced by what it calls for, to pick the sentence of a
    product that speaks to the need ("warm enough as a midlayer") rather than one that shares the
    word ("machine wash cold").

    Example:
        >>> conditions_read("something for cold nights")
        'something for warm nights'
    """
    return re.sub(r"[A-Za-z]+", lambda m: CONDITIONS.get(m.group(0).lower(), m.group(0)), text)


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


# Chinese for the common words of shops' category names ("Camping Gear" -> 露营装备), for naming a
# category in a Chinese reply. General retail words only; a name with any other word stays as the
# shop wrote it (a half-translated name reads worse than the shop's own).
CATEGORY_ZH: dict[str, str] = {
    "outdoor": "户外",
    "outdoors": "户外",
    "apparel": "服装",
    "clothing": "服装",
    "clothes": "服装",
    "footwear": "鞋类",
    "shoes": "鞋",
    "boots": "靴子",
    "socks": "袜子",
    "accessories": "配件",
    "bags": "箱包",
    "luggage": "行李箱",
    "travel": "旅行",
    "camping": "露营",
    "hiking": "徒步",
    "climbing": "攀登",
    "gear": "装备",
    "equipment": "装备",
    "sports": "运动",
    "sport": "运动",
    "fitness": "健身",
    "running": "跑步",
    "kitchen": "厨房",
    "kitchenware": "厨具",
    "cookware": "炊具",
    "dining": "餐具",
    "tableware": "餐具",
    "dinnerware": "餐具",
    "home": "家居",
    "household": "家居",
    "bedding": "床上用品",
    "bath": "卫浴",
    "bathroom": "卫浴",
    "decor": "装饰",
    "furniture": "家具",
    "lighting": "照明",
    "garden": "园艺",
    "tools": "工具",
    "office": "办公",
    "supplies": "用品",
    "stationery": "文具",
    "paper": "纸张",
    "printer": "打印机",
    "ink": "墨水",
    "toner": "碳粉",
    "electronics": "电子产品",
    "computers": "电脑",
    "audio": "音频设备",
    "phones": "手机",
    "toys": "玩具",
    "games": "游戏",
    "books": "图书",
    "beauty": "美妆",
    "health": "健康",
    "personal": "个人",
    "care": "护理",
    "baby": "婴儿",
    "kids": "儿童",
    "pets": "宠物",
    "pet": "宠物",
    "food": "食品",
    "grocery": "食品杂货",
    "jewelry": "珠宝",
    "watches": "手表",
    "men's": "男士",
    "women's": "女士",
}
_CATEGORY_JOINERS = {"&": "与", "and": "与"}


def category_zh(name: str) -> str:
    """A category's name in Chinese when every word of it is a common one (:data:`CATEGORY_ZH`), else as
    the shop wrote it.

    Example:
        >>> category_zh("Camping Gear"), category_zh("Home & Bedding"), category_zh("Widgets")
        ('露营装备', '家居与床上用品', 'Widgets')
    """
    words = name.replace(",", " ").split()
    if not words:
        return name
    out = [_CATEGORY_JOINERS.get(w.lower()) or CATEGORY_ZH.get(w.lower()) for w in words]
    if not all(out) or words[0].lower() in _CATEGORY_JOINERS or words[-1].lower() in _CATEGORY_JOINERS:
        return name
    return "".join(w for w in out if w)
