"""Routing cues: what kind of message this is, read from its wording (English and Chinese).

These are language cues (greetings, "do you have…", "under $150", "the second one", "这个"), not
shop vocabulary: what a word means for the shop (a product type, a category, an attribute) is
decided against the shop's own catalog in :mod:`assistant.conversation.catalog`.

Example:
    >>> parse_price("a warm jacket under $150")
    PriceSpec(low=None, high=150.0, relative=None)
    >>> parse_price("不超过100美元的背包")
    PriceSpec(low=None, high=100.0, relative=None)
    >>> [parse_price(t).high for t in ("a kettle under 50€", "max £30 please", "below 40 euros")]
    [50.0, 30.0, 40.0]
    >>> parse_price("around $50", around=0.3)
    PriceSpec(low=35.0, high=65.0, relative=None)
    >>> parse_price("something cheaper?").relative
    'cheaper'
    >>> reference_index("what about the second one?")
    1
    >>> extract_need_phrase("I'm looking for a warm jacket for hiking under $150")
    NeedPhrase(noun='jacket', attributes=['warm'], uses=['hiking'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

from assistant.conversation.glossary import ZH_EN, gloss
from assistant.conversation.variants import is_colour
from assistant.retrieval.text import STOPWORDS, has_cjk, tokenize

_NUM = r"(\d[\d,]*(?:\.\d+)?)"
# A budget in any currency is read in the shop's own (``conversation.currency``): "under 50€", "max £30".
_CUR = r"(?:\$|usd\s*|us\$|€|eur\s*|£|gbp\s*|¥|chf\s*)"
_UNIT = (
    r"(?:\s*(?:dollars?|bucks|usd|euros?|eur|€|pounds?|quid|gbp|£|francs?|chf|yen|美元|美金|欧元|英镑|日元|元|块钱?))"
)
_AMOUNT = rf"{_CUR}?\s*{_NUM}{_UNIT}?"

_BETWEEN = re.compile(
    rf"\bbetween\s+{_AMOUNT}\s+(?:and|to|-)\s+{_AMOUNT}|{_CUR}\s*{_NUM}\s*(?:-|–|to)\s*{_CUR}?\s*{_NUM}"
    rf"|{_NUM}\s*(?:到|至|-)\s*{_NUM}\s*{_UNIT}",
    re.I,
)
_MAX = re.compile(
    rf"\b(?:under|below|less than|cheaper than|at most|max(?:imum)?|up to|no more than|not more than|"
    rf"within|budget(?: is| of)?)\s*{_AMOUNT}|{_AMOUNT}\s*(?:or less|max|tops|and under)\b"
    rf"|(?:不超过|不到|低于|少于|以内|预算)\s*{_AMOUNT}|{_AMOUNT}\s*(?:以内|以下|之内)",
    re.I,
)
_MIN = re.compile(
    rf"\b(?:over|above|more than|at least|from)\s*{_AMOUNT}|{_AMOUNT}\s*(?:or more|and up|plus)\b"
    rf"|(?:(?<!不)超过|高于|至少)\s*{_AMOUNT}|{_AMOUNT}\s*以上",
    re.I,
)
_AROUND = re.compile(
    rf"\b(?:around|about|roughly|approximately|approx\.?|circa|maybe|perhaps|~)\s*{_AMOUNT}"
    rf"|{_AMOUNT}\s*(?:or so|-?ish\b)|{_AMOUNT}\s*(?:左右|上下)"
    rf"|(?:大约|大概)\s*{_AMOUNT}",
    re.I,
)
_CHEAPER = re.compile(r"\b(cheaper|less expensive|lower price|more affordable|budget option)\b|便宜", re.I)
_PRICIER = re.compile(r"\b(more expensive|pricier|higher[- ]end|premium|better quality)\b|更好|贵一点", re.I)

_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|greetings|yo)( there| all| team)?\b"
    r"|^\s*(你好|您好|嗨)",
    re.I,
)
_THANKS = re.compile(r"\b(thanks|thank you|thx|ty|cheers|much appreciated|appreciate it)\b|谢谢|多谢|感谢", re.I)
_BYE = re.compile(
    r"\b(bye|goodbye|good bye|see you|see ya|that's all|that is all|nothing else|have a (good|nice|great) (day|one))\b"
    r"|再见|拜拜",
    re.I,
)
# "I'll think about it", "maybe later": the customer is deciding later; nothing is asked of the shop.
_DECIDED = re.compile(
    r"\b(?:i'?ll|i will|i'?m going to|i'?m gonna|let me|we'?ll) (?:take|buy|get|order|go with|go for) "
    r"(?:(?:this|that|the (?:first|second|third|last)) one|it|them|this|that|these|those|both)\b"
    r"|(?:我|那)?就(?:买|要|选)(?:这个|这款|那个|那款|它)了?",
    re.I,
)
_LATER = re.compile(
    r"\b(?:i'?ll|i will|i'?m going to|i'?m gonna|let me|i need to|i have to|i want to|i'?d like to) "
    r"(?:think (?:about it|it over|about that)|sleep on it|have a think|mull it over|decide later|"
    r"come back(?: (?:later|to it|tomorrow|another (?:day|time)|next (?:week|time)|in a (?:bit|while)))?|"
    r"check back(?: later)?|get back to you|(?:talk to|check with|ask) (?:my|the) \w+ first|"
    r"look around(?: a bit)?(?: more)?|keep looking|shop around|wait(?: a (?:bit|while|few days))?|hold off|"
    r"pass for now|(?:need|take) (?:some |a (?:bit of |little )?)?time(?: to (?:think|decide))?)\b|"
    r"\b(?:(?:give me|i need|i'?ll need|i'?d need) (?:some |a (?:bit of |little )?)?(?:more )?time"
    r"(?: to (?:think|decide))?|"
    r"not ready to (?:buy|decide)(?: yet)?|come back (?:later|tomorrow|another (?:day|time)|next (?:week|time))|"
    r"maybe (?:later|another time|next time)|not (?:right )?now|not today|another time|some other time|"
    r"just (?:browsing|looking))\b|"
    # 我回头再看看, 改天再来, 过两天再说, 先不买了: later, or not now
    r"考虑一下|考虑考虑|再看看|再想想|想一想|先看看|(?:回头|改天|下次|晚点|晚些|过几天|过两天|以后)再?(?:看看?|来|买|说|决定|联系|想想?)"
    r"|(?:先|暂时|今天)不买|不买了|再说吧",
    re.I,
)
# "How are you today?", "nice to meet you": courtesy that asks nothing of the shop.
_COURTESY = re.compile(
    r"\b(how are (you|u|ya)( doing)?( today)?|how('s| is) it going|how do you do|what'?s up|nice to meet (you|u)|"
    r"hope (you'?re|you are) (well|good|doing well))\b|你好吗|最近好吗|[呀啊哦呢吖]",
    re.I,
)
# "What's your name?", "are you a bot?": the customer asks who they are talking to.
_ABOUT_ME = re.compile(
    r"\b(what'?s|what is) your name|who are (you|u)|are (you|u) (a |an )?(bot|robot|ai|human|real person|person)|"
    r"what are (you|u)\b|你是谁|你叫什么|你是机器人吗|你是真人吗|你是人工吗",
    re.I,
)
_AFFIRM = re.compile(r"^\s*(yes|yeah|yep|sure|ok(ay)?|please( do)?|go ahead|y)\b|^\s*(好的|好|是的|是|可以|行)", re.I)

_SHOPPING = re.compile(
    # "the item I want is out of stock": "I want" in a clause naming the subject of a statement asks nothing
    # ("what I need is a stapler" still does).
    r"\b(i('m| am)? (want|need|would like|'d like)(?!\s+(?:is|are|was|were|isn't|aren't|wasn't|weren't|has been|"
    r"have been|keeps?)\s+(?!(?:a|an|the|some|something|one)\b))"
    # "what do I need to send you?", "I want to cancel": something to do, not something to buy
    r"(?!\s+to\s+(?:send|return|cancel|change|update|know|ask|talk|speak|contact|reach|track|exchange|report|reset|"
    r"check|pay|complain|file|give|provide|sign|log|make (?:a|an) (?:return|complaint|claim|exchange)|"
    r"show|prove|confirm|verify|email|call|write)\b)|i'd like|looking for|searching for|shopping for|"
    # ("do you have it in blue?" asks about the product in the conversation)
    r"do you (have|sell|carry|stock|offer)(?! (?:it|them|this|that|these|those)\b)|have you got|got any|"
    r"any (good )?\w+ (for|under|below)|"
    r"(can|could) you (recommend|suggest)|recommend (me )?(a|an|some)?|suggest (a|an|some)|show me|"
    r"help me (choose|pick|find)|what (\w+ )?(do|would) you recommend|i'm after|in the market for|"
    r"gift (for|idea)|(what|how) about (a|an|some|something|anything)|"
    # "heading out hiking in the cold, what should we bring?": the things to take on an outing.
    r"what (should|do|would|shall) (i|we) (bring|pack|take|wear|get|buy|use)(?= along\b| with\b|\s*[?.!]*$)|"
    # "anything under 20 dollars?", "everything below $30": a budget asks for products of any kind.
    r"(any|some|every)thing (good |nice )?(for|under|below|less than|between|around|within)|"
    # "what's the best tent for two people?": the match stops before the noun, which names the item.
    r"(what'?s|what is|what are|which is|which are) (a |an |the |some )?(good|best|decent|great) "
    r"(?=(?!(?:way|time|method)\b)\w)|"
    r"(the|your|a) (cheapest|least expensive|most expensive|priciest|lowest[- ]priced|"
    # "which is your lightest kettle?", "your biggest teapot" (not "the smallest size" of one product)
    r"(?:lightest|heaviest|biggest|largest|smallest)(?!\s+(?:sizes?|fit|one|ones)\b)))\b"
    r"|我想买|想买|我要买|有没有|有卖|推荐|我想要|我需要|找一[个顶件双把套条张只款]|有(?:适合|给)[^。？！?]{1,12}的",
    re.I,
)
_PRICE_ORDER = {
    "low": re.compile(r"\b(cheapest|least expensive|lowest[- ]priced|most affordable)\b|最便宜", re.I),
    "high": re.compile(r"\b(most expensive|priciest|highest[- ]priced)\b|最贵", re.I),
}
_OVERVIEW = re.compile(
    r"\b(tell me (more )?about|tell me more|more (about|info|information|details)|details (on|of|about)|"
    r"describe|what (is|'s) (it|this|that)( one)?|what do you know about)\b|介绍|详细|详情",
    re.I,
)
_REFINE = re.compile(
    r"\b(cheaper|less expensive|more expensive|pricier|bigger|larger|smaller|lighter|warmer|"
    r"other (options|ones|colou?rs)|"
    r"another (one|option|colou?r)|something else|what else|anything else|in (a )?(\w+ )?colou?r|"
    r"more (options|choices)|different (one|colou?r|size))\b|便宜|大一点|小一点|别的|其他",
    re.I,
)
# "any in blue?", "in black?", "what about ones in red?": the listed kind of product, with one more
# attribute (the words after "in").
_IN_ATTRIBUTE = re.compile(
    r"^\s*(?:(?:and|so|ok|okay|what about|how about|do you have|have you got|got)\s+)*"
    r"(?:(?:any|anything|something|some|ones?|them|those|these|it)\s+)?(?:in|with)\s+(?:a\s+|an\s+)?"
    r"([a-z][a-z -]{0,30}?)"
    r"\s*(?:ones?|instead|too|please)?\s*[?.!]*\s*$",
    re.I,
)
# Words of a shop's service (orders, money, delivery, account, products), English and Chinese: a
# message with one of them is a question for the shop even when its knowledge has no answer.
_SERVICE_TOPIC = re.compile(
    # Words with an everyday sense outside a shop ("charge my car", "store potatoes", "points
    # LeBron scored", "what size is the moon") only in their shop sense.
    r"\b(orders?|ordered|returns?|returning|refunds?|exchanges?|cancel\w*|ship\w*|deliver\w*|"
    r"tracking|parcels?|packages?|payments?|pay|paid|charged|invoices?|receipts?|accounts?|password|"
    r"log ?in|sign ?in|warrant(y|ies)|guarantee|prices?|discounts?|coupons?|promo\w*|gift cards?|"
    r"stock|sizing|size (chart|guide)|store credit|shop|products?|items?|subscriptions?|membership|loyalty|"
    r"(loyalty|reward|bonus) points)\b"
    r"|订单|退货|退款|换货|取消|配送|发货|快递|物流|运费|邮费|付款|支付|账户|账号|密码|保修|质保|价格|"
    r"优惠|折扣|发票|库存|尺码|商品|购买|会员|积分",
    re.I,
)
# A report that something the customer has is broken or faulty (a warranty or damage case, not a
# product question): a fault word together with the customer's own item ("my", "I bought", 我的).
_FAULT = re.compile(
    r"\b(broke|broken|breaks|snapped|cracked|ripped|torn|tore|came apart|fell apart|falling apart|fell off|"
    r"came off|peel(?:ed|ing|s) off|leak(?:s|ed|ing)?(?![-\s]?proof)|keeps? (?:breaking|leaking|ripping|tearing)|"
    r"frayed|fraying|unravel(?:l?ed|l?ing)|(?:is|are) (?:coming|falling) apart|"
    r"faulty|defective|damaged|dead on arrival|rust(?:ed|ing|y)?(?: spots?)?(?![-\s]?(?:proof|resistant|free))|"
    r"chipped|dented|scratched|burnt out|"
    r"jam(?:s|med|ming)(?! (?:and|or) (?:jelly|preserves))|keeps? (?:jamming|getting stuck)|"
    r"stopped (?:working|charging|holding (?:a )?(?:charge|air)|inflating|heating|turning on|closing|zipping|"
    r"pairing|connecting)|"
    # electronics: "my earbuds keep disconnecting", "it won't pair", "the battery dies in an hour"
    r"keeps? (?:disconnecting|dropping out|cutting out|crashing|freezing|restarting|rebooting|overheating|"
    r"turning off|shutting (?:off|down)|losing (?:connection|signal|charge))|"
    r"(?:won'?t|doesn'?t|does not|will not|can'?t|cannot) (?:pair|sync|power on|hold (?:a )?charge|"
    r"connect(?! to (?:the |your )?(?:site|website|account|app|chat)))|"
    r"overheat(?:s|ing|ed)?|(?:battery|it|they) (?:drains?|dies|die) (?:fast|quickly|in (?:an?|one|\d+))|"
    r"(?:gets|(?<!do )they get) (?:really |very |too |so |super |extremely )?hot|"
    r"no sound|flicker(?:s|ing)|dead pixels?|"
    r"(?:does|do|did|is|are)(?:n'?t| not) (?:work|working)|not working|won'?t (?:turn on|charge|work|close|zip|stay)|"
    # "it won't staple anymore", "no longer prints": what the item is for has stopped
    r"(?:it|they|this|that|mine|(?:my|the) [a-z]+) (?:won'?t|doesn'?t|does not|will not|can'?t|cannot) "
    r"(?!find\b|log\b|sign\b|fit\b)[a-z]+ (?:any ?more|at all|properly)|no longer works?|"
    # A wrong or missing item is handled like a damaged one: the shop's section on it, and a person.
    r"wrong (?:item|product|thing|order|one)s?|not what i ordered|"
    # "you sent me the wrong boots", "it came in the wrong colour"
    r"(?:sent|shipped|delivered|received|got|came (?:with|in)|arrived (?:with|in))(?: me| us)? (?:the |a |an )?"
    r"wrong (?!size)[\w-]+|"
    r"missing (?:item|part|piece|product)s?|(?:with|some|visible|got) damage|"
    r"(?:item|part|piece|product)s? (?:is|are|was|were) missing)\b"
    r"|发错|寄错|少发|漏发|缺件|不是我(?:订|买)的|是坏的|坏的|破的|坏了|破了|断了|裂了|裂开|裂痕|裂缝|破损|损坏|漏水|坏掉|质量问题|不能用了?|用不了|出故障|开胶|掉了|"
    r"充不(?:进|了)电|不亮了?|不能充电",
    re.I,
)
# "stopped charging after a week": a time since it was bought says the item is the customer's own.
_OWN_ITEM = re.compile(
    r"\b(my|mine|our)\b|\bi (?:bought|got|received|ordered|purchased)\b"
    r"|\b(?:you|they|y'all) (?:sent|shipped|delivered|gave) (?:me|us)\b"
    r"|\bafter (?:a|an|one|two|three|a few|\d+) (?:days?|weeks?|months?|uses?|trips?|washe?s?)\b"
    # "cracked when it arrived": it reached the customer so.
    r"|\b(?:when|as soon as|once) (?:it|they|the \w+|my \w+) (?:arrived|came|got here|was delivered|were delivered)\b"
    r"|我的|我买的|收到的|用了",
    re.I,
)
# Wording added to a fault report's retrieval query, so the shop's section on faulty goods (whatever
# its title: warranty, damaged items, repairs) is found, not a product Q&A that shares the product's name.
FAULT_TOPIC = {
    "en": "defective faulty damaged wrong item warranty repair replacement",
    "zh": "质量问题 商品损坏 发错 保修 维修 更换",
}
# The same for an item of the customer's that does not fit ("the boots I got are too small").
# A parcel the customer never received though it was sent ("it says delivered but I never got it"): a
# carrier case for a person, with the shop's section on it; not the order's status again.
_LOST_PARCEL = re.compile(
    r"\bnever (?:got|received) (?:it|them|the (?:package|parcel|order|delivery|box|items?)|"
    r"my (?:order|package|parcel|delivery|box|items?))\b"
    r"|\b(?:it|they|the (?:package|parcel|order|delivery|box)|my (?:order|package|parcel|delivery|box)) never "
    r"(?:arrived|came|showed up|turned up|got here)\b"
    r"|\b(?:says|said|shows|showed|showing|marked|listed|tracking says)(?: (?:it|they))?(?:'s| is| was| were| are)?"
    r"(?: as)? delivered,? but\b"
    r"|\b(?:package|parcel|delivery|order) (?:was |got |is |has been )?(?:lost|stolen)\b"
    r"|\blost in (?:the mail|transit)\b"
    r"|显示已?(?:签收|送达).{0,8}(?:没|未)(?:有)?(?:收到|拿到)|(?:包裹|快递)(?:丢了|丢失|被偷)|一直没(?:有)?收到",
    re.I,
)
# "my knife chipped after 3 months, is that covered?": the fault asked about under the warranty.
WARRANTY_TOPIC = {
    "en": "warranty covered defect repair replacement years",
    "zh": "保修 质保 维修 更换",
}
_COVERAGE = re.compile(r"\b(?:covered|cover (?:it|this|that)|warrant(?:y|ies)|guarantee[ds]?)\b|保修|质保|保不保", re.I)


def asks_coverage(text: str) -> bool:
    """The message asks whether the warranty covers something ("is that covered?", "保修吗？").

    Example:
        >>> asks_coverage("My chef's knife chipped after 3 months, is that covered?"), asks_coverage("it broke")
        (True, False)
    """
    return bool(_COVERAGE.search(text))


LOST_TOPIC = {
    "en": "order marked delivered but cannot be found lost parcel trace",
    "zh": "显示已送达但没有收到 包裹丢失 物流调查",
}


# What a shop's rule on lost parcels says ("cannot be found", "opens a carrier trace", 丢失): a quote
# without it is about something else (the return window counted from delivery).
# Besides those words, any negated arrival: "the customer didn't receive their item", "if your package
# has not arrived", "failed to arrive", "mistakenly marked as delivered", 没送到, 未送达.
_LOST_RULE = re.compile(
    r"\b(?:cannot be found|can'?t be found|not (?:be )?found|lost|trace|stolen|missing|not (?:been )?received|"
    r"never (?:arrived|received|came)|undelivered|non-?delivery|(?:mistakenly|wrongly|incorrectly) marked)\b"
    r"|\b(?:did ?n[o']t|does ?n[o']t|has ?n[o']t|have ?n[o']t|never|not yet|fail(?:s|ed)? to|yet to)"
    r"(?: (?:yet|actually|been))? (?:receive|arrive|reach|show up|turn up|been delivered|get delivered)[a-z]*\b"
    r"|未收到|没有?收到|没收到|丢失|丢件|丢包|找不到|追踪调查|物流调查|未送达|没有?送到|没有?到货|补发|重新发货",
    re.I,
)


def states_lost_rule(text: str) -> bool:
    """The text says what happens to a parcel that did not arrive.

    Example:
        >>> states_lost_rule("an order marked delivered cannot be found after 48 hours")
        True
        >>> states_lost_rule("退货期限：自签收日起 30 天内")
        False
        >>> states_lost_rule("The customer didn't receive their item and wants to know what happened.")
        True
        >>> states_lost_rule("If your parcel has not arrived in 10 days, we reship it"), states_lost_rule("包裹未送达")
        (True, True)
        >>> states_lost_rule("Refunds are not issued until the item is received"), states_lost_rule("Delivered orders")
        (False, False)
    """
    return bool(_LOST_RULE.search(text))


def reports_lost_parcel(text: str) -> bool:
    """The customer says a parcel sent to them never reached them.

    Example:
        >>> reports_lost_parcel("it says delivered but I never got it"), reports_lost_parcel("my package was stolen")
        (True, True)
        >>> reports_lost_parcel("I never got my refund"), reports_lost_parcel("has my order been delivered?")
        (False, False)
        >>> reports_lost_parcel("物流显示已签收但是我没收到")
        True
    """
    return bool(_LOST_PARCEL.search(text))


# What a parcel rule is about: a delivery, not a refund "missing after 10 business days".
_PARCEL_WORDS = re.compile(
    r"\b(?:deliver\w*|parcels?|packages?|shipments?|tracking|carriers?|orders?|transit|mail)\b|包裹|快递|送达|签收|物流|订单",
    re.I,
)


def states_parcel_rule(sentence: str) -> bool:
    """The sentence is a rule on a parcel that did not arrive (a lost-rule sentence about a delivery).

    Example:
        >>> states_parcel_rule("If an order marked delivered cannot be found after 48 hours, the agent opens a trace")
        True
        >>> states_parcel_rule("Refunds missing after 10 business days are escalated to the payments team.")
        False
    """
    return states_lost_rule(sentence) and bool(_PARCEL_WORDS.search(sentence))


# "what happens if my order is lost?", "what if it never arrives?", "如果包裹丢了怎么办？": a question about the
# rule for a case, not a report that it happened.
_WHAT_IF = re.compile(
    r"^\W*(?:(?:and|so|but|ok(?:ay)?|also|hi|hello)\W+)*(?:what (?:happens|would happen|do you do|do i do|should i do|"
    r"can i do|is the (?:policy|rule))\s+(?:if|when|in case)|what if|in case|suppose|supposing|if ever)\b"
    r"|如果.{0,20}(?:怎么办|会怎样|怎么处理)|万一",
    re.I,
)


def asks_what_if(text: str) -> bool:
    """The message asks what the rule is for a case that may happen, not that it happened.

    Example:
        >>> asks_what_if("what happens if my order is lost?"), asks_what_if("what if I washed the sheets?")
        (True, True)
        >>> asks_what_if("my order is lost"), asks_what_if("如果包裹丢了怎么办？")
        (False, True)
    """
    return bool(_WHAT_IF.search(text))


# "… with the same condition rules as returns", "the same terms as returns apply": a rule stated by another
# section (what of it, and which section).
_REFERRED_RULE = re.compile(
    r"\bsame (?:(?P<aspect>[a-z]+) )?(?P<kind>rules?|polic(?:y|ies)|terms|conditions?|requirements?) as "
    r"(?:for |with |in |under )?(?:the |our |a |an )?(?P<section>[a-z]+)\b",
    re.I,
)


def referred_rule(sentence: str) -> tuple[str, str] | None:
    """(what, section) when the sentence says a rule is another section's ("with the same condition rules as
    returns": the condition, in the section on returns), each as a word to find it by; else None.

    Example:
        >>> referred_rule("Exchanges are accepted within 30 days, with the same condition rules as returns.")
        ('condition', 'return')
        >>> referred_rule("The same conditions as returns apply."), referred_rule("Refunds take 5 days.")
        (('condition', 'return'), None)
    """
    m = _REFERRED_RULE.search(sentence)
    if m is None:
        return None
    aspect = (m.group("aspect") or m.group("kind")).lower()
    if aspect in ("rule", "rules", "policy", "policies", "terms"):
        aspect = ""
    section = m.group("section").lower()
    return _singular(aspect), _singular(section)


def _singular(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word


# Wording added to find the shop's rule on a charge the customer disputes ("I was charged twice").
BILLING_TOPIC = {
    "en": "payment card charged authorized charge billing",
    "zh": "付款 扣款 银行卡 收费",
}
_BILLING_PROBLEM = re.compile(
    r"\b(?:charged|billed|paid)\s+(?:me\s+|us\s+)?(?:twice|two times|double|three times)|double[- ]?(?:charged|billed)|"
    r"charged (?:the )?wrong amount|overcharged|(?:two|duplicate|double|extra) (?:charges|charge|payments?)\b"
    r"|扣(?:了)?两次|重复扣款|多扣|扣款两次",
    re.I,
)
_STATES_CHARGE = re.compile(r"\b(?:charg\w*|authori[sz]\w*|bill(?:ed|ing)?)\b|扣款|收费", re.I)


def reports_billing_problem(text: str) -> bool:
    """The customer says they were charged wrongly ("I was charged twice for my order", "double charged").

    Example:
        >>> reports_billing_problem("I was charged twice for my order"), reports_billing_problem("我被扣了两次钱")
        (True, True)
        >>> reports_billing_problem("when will I be charged?"), reports_billing_problem(
        ...     "is there a charge for returns?")
        (False, False)
    """
    return bool(_BILLING_PROBLEM.search(text))


def states_charge_rule(text: str) -> bool:
    """The text says something on charges ("Cards are authorized when the order is placed and charged when it
    ships."), not only on refunds.

    Example:
        >>> states_charge_rule("Cards are authorized when the order is placed and charged when it ships.")
        True
        >>> states_charge_rule("Refunds go back to the original payment method within 5 working days.")
        False
    """
    return bool(_STATES_CHARGE.search(text))


MISFIT_TOPIC = {
    "en": "doesn't fit size exchange return",
    "zh": "尺码 不合适 换货 退货",
}
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|what if|plus|or|but|then)\b|^\s*(那|还有|如果)"
    # "what do I need to send you?", "where do I send it?", "do I have to pay for the label?": what the rule just
    # quoted asks of the customer
    r"|^\s*(?:(?:so|ok(?:ay)?|and)[,.]?\s+)?(?:(?:what|which|where|how|who)\s+(?:else\s+)?(?:do|should|must|would)"
    r"\s+i|do\s+i)\s+(?:(?:need|have)\s+to\s+)?(?:send|provide|give|include|attach|show|pay|keep|bring|mail|"
    r"ship|post)\b"
    r"|^\s*(?:我)?(?:需要|要)(?:提供|发|寄|附上)什么",
    re.I,
)
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "第一": 0,
    "第二": 1,
    "第三": 2,
    "第四": 3,
    "第五": 4,
    "最后": -1,
}
# "last" points at a listed item as "the last (one)" or "last one", never as a verb ("how long does the battery
# last?") or of a time ("the last time I ordered").
_ORDINAL = re.compile(
    r"\b(?:the )?(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th)(?: one| option| item| product)?\b"
    r"|\bthe last(?! (?:time|times|week|month|year|night|day|days|order|weekend|summer|winter|spring|fall|autumn|"
    r"minute|moment|few|couple)\b)(?: one| option| item| product)?\b"
    r"|\blast (?:one|option|item|product)\b"
    r"|(?:第一|第二|第三|第四|第五|最后)(?:个|款|件|种)?",
    re.I,
)


def _ordinal_of(match: re.Match[str]) -> int:
    """The position an :data:`_ORDINAL` match names."""
    said = match.group(0).lower()
    return next(index for word, index in _ORDINALS.items() if word in said)
_DEICTIC = re.compile(
    r"\b(it|its|it's|this|that|these|those|this one|that one|them|they)\b|这个|那个|它|这款|那款", re.I
)
_PRODUCT_QUESTION = re.compile(
    r"\b(how (much|heavy|big|long|tall|wide|warm|many)|what('s| is| are)? (the )?(size|sizes|weight|material|"
    r"colou?rs?|dimensions|price|capacity)|does (it|this|that)|is (it|this|that)|are (they|these|those)|"
    r"can (it|i|you)|will (it|this)|do (they|these)|made of|weigh|waterproof|fit|in stock|available)\b|"
    r"多重|多少钱|价格|尺寸|材质|防水|有货|怎么样|适合|重量",
    re.I,
)
_PRICE_QUESTION = re.compile(
    r"\b(how much|price|cost|costs|what does .* cost|cheapest|least expensive|most expensive|lowest price)\b"
    r"|多少钱|价格|价钱|最便宜|最贵",
    re.I,
)
_STOCK_QUESTION = re.compile(
    r"\b(in stock|available|availability|sold out|what sizes|which sizes|what colou?rs|which colou?rs|"
    r"(?:does|do|can) (?:it|they|this|that|these|those|the \w+) come in|comes? in (?:other|different|more))\b"
    r"|有货|库存|尺码|颜色",
    re.I,
)
# Words that never name a product type on their own ("a gift", "something for my dad").
_GENERIC_NOUNS = frozenset(
    [
        "gift",
        "gifts",
        "present",
        "presents",
        "something",
        "anything",
        "everything",
        "whatever",
        "thing",
        "things",
        "item",
        "items",
        "product",
        "products",
        "stuff",
        "idea",
        "ideas",
        "option",
        "options",
        "one",
        "ones",
        "recommendation",
        "recommendations",
        "suggestion",
        "suggestions",
        "kind",
        "sort",
        "type",
        "礼物",
        "东西",
        "商品",
        "产品",
    ]
)
_DETERMINERS = frozenset(
    ["a", "an", "the", "some", "any", "one", "pair", "couple", "of", "new", "good", "nice", "great", "decent"]
)
# "what/which <thing> do you have/offer/sell…" ("which brands of label makers do you carry?").
_WHAT_DO_YOU_HAVE = re.compile(
    r"\b(?:what|which)\s+(?:(?:kinds?|types?|sorts?|brands?|makes?|models?)\s+of\s+)?([a-z][a-z' -]*?)\s+"
    r"(?:do|does|can)\s+(?:you|y'all|your (?:shop|store))\s+(?:have|sell|carry|stock|offer)\b"
)
# Whom a gift is for ("my dad, he loves cooking"): the person, and the words that say what they like,
# are no use of the product ("cooking" is).
_PEOPLE = ["dad", "father", "mom", "mum", "mother", "parents", "husband", "wife", "partner", "boyfriend"]
_PEOPLE += ["girlfriend", "brother", "sister", "son", "daughter", "friend", "grandpa", "grandma", "grandfather"]
_PEOPLE += ["grandmother", "uncle", "aunt", "boss", "coworker", "colleague", "he", "she", "they", "his", "her", "him"]
_NOT_USES = frozenset(
    [*_PEOPLE, "their", "someone", "somebody", "me", "my", "who", "loves", "love", "like", "likes", "enjoys", "into"]
)
# "I'm going camping in the rain, what do I need?", "we're heading out hiking in the cold, what should we
# bring?": the outing told before the question (the words after going / heading / planning…).
_OUTING = re.compile(
    r"\b(?:going|go|heading|headed|planning|plan|off|leaving)\b(?:\s+(?:out|off|on|to go|a|an))*\s+"
    r"([a-z][a-z' -]*?)[\s,;.!?-]*(?:(?:so|and|but)\s+)?(?:(?:what|which)\b[^,.;!?]*)?$"
)
# "I ride to work in the rain, so what should I get?": a habit told before the question (the words after
# "I"/"we", an adverb aside).
_HABIT = re.compile(
    r"\s*(?:i|we)\s+(?:\w+ly\s+|often\s+|always\s+|usually\s+)?"
    r"((?!(?:am|'m|have|had|was|want|need|would|'d|will|'ll|can|should|do|did|got|bought|ordered)\b)[a-z][a-z' -]*?)"
    r"[\s,;.!?-]*(?:(?:so|and|but)\s+)?$"
)
# "I want to ride on forest tracks", "I'd like to go camping": something to do, not a product to buy (the
# buying verbs, and what _SHOPPING already leaves out, are not).
_TO_DO = re.compile(
    r"\s*to\s+(?!(?:buy|get|order|purchase|find|see|look|try|have|pick|grab|shop|browse|compare|gift|give|replace|"
    r"upgrade|renew)\b)"
    r"(?:go\s+|do\s+some\s+|start\s+)?([a-z][a-z' -]*)$"
)
# "a bike to commute to work": a kind (one to three words, no clause) and what it is to do; not "something to
# keep me warm" (read by _GENERIC_CLAUSE) nor "a tent easy to set up".
_PURPOSE = re.compile(
    r"\s*((?:a|an|some|the)\s+(?!(?:something|anything|stuff|things?|gear|way|place|time)\b)"
    r"(?:(?!(?:that|which|who|easy|hard|able|enough|how|what|where|is|are)\b)[a-z'-]+\s+){0,2}?"
    r"(?!(?:something|anything|stuff|things?|gear|way|place|time)\b)[a-z'-]+)"
    r"\s+to\s+((?!(?:the|a|an|my|your|our|his|her|their|me|you|us|them|him)\b)[a-z][a-z' -]*)$"
)
# "to go with it", "that goes with the tent", "to match them": a companion of what was discussed, said after the kind
_COMPANION = re.compile(
    r"\s+(?:to\s+(?:go|pair|use)|that\s+(?:goes?|pairs?|matches|match)|which\s+(?:goes?|matches)|to\s+match)"
    r"(?:\s+(?:well|nicely))?(?:\s+(?:with|together))?"
    r"\s*(?:it|them|this|that|those|these|the\s+[a-z' -]+|my\s+[a-z' -]+)?\s*$"
)
# "something to keep me warm", "anything that keeps you dry": a thing asked for by what it does.
_GENERIC_CLAUSE = re.compile(
    r"(?:a |an |some )?(something|anything|stuff|things?|gear)\s+(?:to|that|which)\s+(.+)$"
)
_KEEP = re.compile(r"\bkeeps?(\s+(?:me|you|us|him|her|them|my \w+|your \w+|\w+))?\s+(warm|dry)\b")
_KEEP_FOR = {"warm": "cold", "dry": "wet"}
_CJK_NEED = re.compile(
    r"(?:买|要|找|推荐|有没有|需要|有(?=适合|给)|^(?:请问|你们|你们店|店里)?(?:都)?有(?:什么|哪些|啥|哪种|哪款)?(?:样的)?)"
    r"(?:一|几)?[个顶件双把套条张只款台]?([\u4e00-\u9fff]{1,12})"
)
# "下雨天徒步穿什么", "冬天露营需要带什么": what to wear or take for an occasion (the words before it).
_WHAT_TO_GET_ZH = re.compile(
    r"(?:应该|应当|该|得|要)?(?:穿|带|买|准备|需要带?|要带)(?:些|点)?(?:什么|啥|哪些)(?:东西|装备)?"
)
# What is left of a Chinese request that names no kind of product ("有…吗？", "要").
_ONLY_CUE_ZH = re.compile(r"请问|你们|店里|有没有|有|要|吗|呢|吧|啊|了|的|东西|商品|产品|\W")
# "有什么外套？", "你们都有哪些背包": what the shop has of a kind.
_WHAT_HAVE_ZH = re.compile(
    r"^\s*(?:请问)?(?:你们|你们店|店里|这里)?(?:都)?有(?:什么|哪些|啥|哪种|哪几种|哪款)(?:样的)?"
    r"([\u4e00-\u9fff]{1,8}?|[A-Za-z][A-Za-z' -]{1,30}?)(?:吗|呢|啊|呀)?\s*[？?]?\s*$"
)


@dataclass(frozen=True)
class PriceSpec:
    """A price constraint from the message: bounds, or a move relative to what was shown."""

    low: float | None = None
    high: float | None = None
    relative: Literal["cheaper", "pricier"] | None = None


@dataclass(frozen=True)
class NeedPhrase:
    """The requested item as worded: head noun, the words before it, the uses after "for"."""

    noun: str | None
    attributes: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    # "a tent or a sleeping bag": the items before "or", each as its own phrase (noun and attributes).
    alternatives: list[NeedPhrase] = field(default_factory=list, repr=False)


def _num(raw: str) -> float:
    return float(raw.replace(",", ""))


def _amounts(m: re.Match[str]) -> list[float]:
    return [_num(g) for g in m.groups() if g]


def parse_price(text: str, around: float = 0.3) -> PriceSpec | None:
    """Price bounds stated in ``text`` (``around`` is the +/- share for "around $50")."""
    m = _BETWEEN.search(text)
    if m:
        vals = _amounts(m)
        if len(vals) >= 2:
            pair = sorted(vals[:2])
            return PriceSpec(pair[0], pair[1])
    m = _AROUND.search(text)
    if m and _amounts(m):
        v = _amounts(m)[0]
        return PriceSpec(round(v * (1 - around), 2), round(v * (1 + around), 2))
    lo: float | None = None
    hi: float | None = None
    m = _MAX.search(text)
    if m and _amounts(m):
        hi = _amounts(m)[0]
    m = _MIN.search(text)
    if m and _amounts(m):
        lo = _amounts(m)[0]
    if lo is not None or hi is not None:
        return PriceSpec(lo, hi)
    if _CHEAPER.search(text):
        return PriceSpec(relative="cheaper")
    if _PRICIER.search(text):
        return PriceSpec(relative="pricier")
    return None


def strip_price(text: str) -> str:
    """The message without its price expressions (so "$150" is no product word)."""
    for pattern in (_BETWEEN, _AROUND, _MAX, _MIN):
        text = pattern.sub(" ", text)
    return text


def is_greeting(text: str) -> bool:
    return bool(_GREETING.search(text))


def is_thanks(text: str) -> bool:
    return bool(_THANKS.search(text))


def is_bye(text: str) -> bool:
    return bool(_BYE.search(text))


# "No", "no thanks", "never mind", "不用了": the customer turns down what the assistant offered.
_DECLINES = re.compile(
    r"^\s*(?:no|nope|nah|no thanks?|no thank you|not now|not yet|never ?mind|don'?t|do not|cancel that|forget it|"
    r"leave it|i changed my mind|i'?ve changed my mind)\b[^?]{0,40}$"
    r"|^\s*(?:不用|不要|不了|算了|先不|暂时不|不需要|没事了?)",
    re.IGNORECASE,
)
# A question: a question mark, an English question opening, or a Chinese question word or particle.
_QUESTION = re.compile(
    r"[?？]\s*$|^\s*(?:what|when|where|which|who|whom|whose|why|how|is|are|am|was|were|do|does|did|can|could|"
    r"will|would|should|shall|may|have|has)\b|吗|呢|么|什么|怎么|多少|多久|几|哪|是否|能否|可否",
    re.IGNORECASE,
)


def declines_offer(text: str) -> bool:
    """The customer turns down what the assistant offered ("no thanks", "never mind", "不用了").

    Example:
        >>> declines_offer("no thanks"), declines_offer("不用了，谢谢"), declines_offer("no, I meant the other one?")
        (True, True, False)
        >>> declines_offer("nothing else matters"), declines_offer("yes please")
        (False, False)
    """
    return bool(_DECLINES.search(text))


def is_question(text: str) -> bool:
    """The message asks something ("how long do refunds take", "运费多少？").

    Example:
        >>> is_question("how long do refunds take"), is_question("运费多少？"), is_question("I want boots")
        (True, True, False)
    """
    return bool(_QUESTION.search(text))


# "and on the tent?", "what about for the skillet?", "same for my boots?": the last question again, for
# another item (a preposition before the item; "what about tents?" asks for tents instead).
_SAME_FOR_ITEM = re.compile(
    r"^\W*(?:(?:and|ok|okay|so)\s+)?(?:(?:what|how)\s+about\s+|(?:is\s+it\s+|and\s+)?(?:the\s+)?same\s+)?"
    r"(?:on|for|with)\s+(?:the|my|a|an|this|that|those|these)\s+[^\W\d_][\w\s'&-]{0,40}?\W*(?:too|as well)?\W*$",
    re.I,
)


# "I already have a tent", "we've already got sleeping bags", "我已经有帐篷了": a kind the customer owns.
_ALREADY_OWNED = re.compile(
    r"^\W*(?:(?:ok|okay|well|but|oh|actually|no|and|also|plus)\W+)*(?:i|we)(?:'ve| have)? (?:also )?(?:already )?"
    r"(?:have|own|got|bought)"
    r" (?:already )?(?:a |an |the |some |my |our |one |two )?(?P<en>[a-z][a-z -]{1,30}?)(?: already)?\W*$"
    r"|^\W*(?:我|我们)已经有(?:一[个顶双件套只把]|了)?(?P<zh>[\u4e00-\u9fff]{1,6}?)了?\W*$",
    re.I,
)


def already_owned(text: str) -> str | None:
    """The kind of product the customer says they already have, as said ("tent"), else None. A message
    that only says it, while they shop: that kind is left out of what is listed next.

    Example:
        >>> already_owned("I already have a tent"), already_owned("we've already got sleeping bags")
        ('tent', 'sleeping bags')
        >>> already_owned("我已经有帐篷了"), already_owned("I already have an account, how do I log in?")
        ('帐篷', None)
    """
    m = _ALREADY_OWNED.match(text.strip())
    if m is None or not re.search(r"\balready\b|已经", text, re.I):
        return None
    return (m.group("en") or m.group("zh") or "").strip() or None


def same_question_for_item(text: str) -> bool:
    """The message asks the last question again for another item ("and on the tent?").

    Example:
        >>> same_question_for_item("and on the tent?"), same_question_for_item("what about for the skillet?")
        (True, True)
        >>> same_question_for_item("what about tents?"), same_question_for_item("what about for kids?")
        (False, False)
    """
    return bool(_SAME_FOR_ITEM.match(text.strip()))


# "帐篷呢？", "那帐篷的呢？", "Tent呢?", "帐篷也一样吗？": the last question again for the thing named, in
# Chinese, where "and on the tent?" has no preposition to tell it from "what about tents?" (the engine
# takes it so only right after a service answer, for a kind of product the shop sells).
_SAME_FOR_ITEM_ZH = re.compile(
    r"^\W*(?:那|那么|还有|另外)?(?:这个|那个|这款|那款)?\s*"
    r"(?P<item>[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9 '-]{0,20}?)\s*的?"
    r"(?:呢|也一样吗|也是吗|也是这样吗|也适用吗|也可以吗|也有吗|一样吗)\W*$"
)


def item_asked_again_zh(text: str) -> str | None:
    """The thing a short Chinese follow-up names to ask the last question again for it ("帐篷呢？":
    "帐篷"), else None.

    Example:
        >>> item_asked_again_zh("帐篷呢？"), item_asked_again_zh("那Tent的呢?"), item_asked_again_zh("帐篷也一样吗")
        ('帐篷', 'Tent', '帐篷')
        >>> item_asked_again_zh("帐篷防水吗？"), item_asked_again_zh("and on the tent?")
        (None, None)
    """
    m = _SAME_FOR_ITEM_ZH.match(text.strip())
    if m is None or not has_cjk(text):
        return None
    return m.group("item").strip() or None


def is_affirmative(text: str) -> bool:
    """A yes ("yes", "ok", "好的"); never a decision put off ("好的，我改天再来", "ok, let me think it over").

    Example:
        >>> is_affirmative("yes please"), is_affirmative("好的"), is_affirmative("好的，我改天再来")
        (True, True, False)
    """
    return bool(_AFFIRM.search(text)) and len(text.split()) <= 4 and not _LATER.search(text)


# A postal address given in a message ("to 12 Main St, Portland OR 97201", "北京市朝阳区建国路88号"):
# a house number and a street word, a PO box, or a Chinese road and number.
_STREET_ADDRESS = re.compile(
    r"\b\d{1,6}[a-z]?\s+(?:(?!(?:for|on|of|to|in|at|the|a|an|and|with|my|your|from|by)\b)[\w.'-]+\s+){0,4}?"
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|"
    r"way|ct|court|pl|place|ter|terrace|pkwy|parkway|hwy|highway|cir|circle|sq|square|trl|trail|loop|row)\b"
    r"|\bp\.?\s?o\.?\s?box\s+\d+"
    # the street word before the name, as French addresses write it ("4120 rue Saint-Denis") and Spanish, Italian
    # and Portuguese ones with the number after ("Calle Mayor 5", "Via Roma, 12"), or a street word ending a name
    # before its number ("Hauptstraße 5", "Keizersgracht 123")
    r"|\b\d{1,6}[a-z]?,?\s+(?:rue|avenue|av|boulevard|boul|bd|chemin|ch|allée|impasse|quai|rang|montée)\.?\s+[\w'-]+"
    r"|\b(?:calle|avenida|avda|via|viale|rua|piazza|plaza|carrer|paseo)\s+(?:[\w'.-]+,?\s+){1,4}?\d{1,5}[a-z]?\b"
    r"|\b[\w-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht|vej|gatan|gata)\s+\d{1,5}[a-z]?\b"
    r"|[\u4e00-\u9fff]{1,16}(?:路|街|大道|巷|弄|道|胡同)\s*[0-9０-９]+\s*(?:号|弄)"
    # "3号楼2单元502室", "上海市长宁区愚园…": a building and flat, or a city or province with its district
    r"|[0-9０-９]+\s*(?:号楼|栋|幢|单元|室)"
    r"|[\u4e00-\u9fff]{1,8}(?:省|市)[\u4e00-\u9fff]{1,10}(?:区|县)[\u4e00-\u9fff]{2,}",
    re.I,
)


# A house number, a capitalised street name, a comma and a town with its postal code: "5 Sherbrooke, Montréal
# H2X 1Y5", a street written without its street word.
_TOWN_AND_CODE = re.compile(
    r"\b\d{1,6}[a-z]?\s+[A-ZÀ-Þ][\w'.-]*(?:\s+[A-ZÀ-Þ][\w'.-]*){0,3},\s*[A-ZÀ-Þ][\w'.-]*(?:\s+[A-ZÀ-Þ][\w'.-]*){0,2}"
    r",?\s+(?:[A-Z]{2}\s+)?(?:\d{4,5}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b"
)


def gives_address(text: str) -> bool:
    """The message holds a postal address (a street and house number, a PO box, a Chinese road and
    number): the new address a customer gives for an address change.

    Example:
        >>> gives_address("to 12 Main St, Portland OR 97201"), gives_address("新地址是北京市朝阳区建国路88号")
        (True, True)
        >>> gives_address("I ordered 2 tents"), gives_address("order 1053 on the main street?")
        (False, False)
        >>> gives_address("改到上海市浦东新区世纪大道100号"), gives_address("新地址：长宁区愚园路1088弄5号302室")
        (True, True)
        >>> gives_address("寄到广东省深圳市南山区科技园"), gives_address("我买了2个帐篷"), gives_address("市区有门店吗")
        (True, False, False)
        >>> gives_address("5 Rue Sherbrooke, Montréal H2X 1Y5"), gives_address("Hauptstraße 5, 10115 Berlin")
        (True, True)
        >>> gives_address("5 Sherbrooke, Montréal H2X 1Y5"), gives_address("I ordered 2 tents, zip 97214")
        (True, False)
        >>> gives_address("is the rue de la paix store open?"), gives_address("I need 2 cases for my place")
        (False, False)
        >>> gives_address("Calle Mayor 5, Madrid"), gives_address("Via Roma, 12")
        (True, True)
    """
    return bool(_STREET_ADDRESS.search(text) or _TOWN_AND_CODE.search(text))


# "ok, bye" closes the chat; "ok what about XL?" asks something else: neither is a yes to an offer.
_CLOSING_OR_QUESTION = re.compile(
    r"\b(?:bye|goodbye|good bye|cya|see you|that's all|that is all)\b|再见|拜拜"
    r"|\b(?:what|how|which|where|when|why|who)\b|\b(?:is|are|does|do|can)\s+(?:it|they|the|that|this|you)\b.*\?"
    # "ok 回到lights，有便宜点的吗？": a question (or a return to shopping) in Chinese after the "ok"
    r"|有(?:没有|什么|哪些|便宜|更)|什么|怎么|哪(?:个|些|里|款)|多少|回到|[\u4e00-\u9fff]{3,}吗\s*[？?]?\s*$",
    re.I,
)
_THANKS_WORD = re.compile(r"\bthanks?\b|\bthank you\b|\bthx\b|\bcheers\b|谢", re.I)
_YES_WORD = re.compile(r"\b(?:yes|yeah|yep|yup|sure|please|definitely|absolutely)\b|是|要|需要|可以|对", re.I)


def accepts_offer(text: str) -> bool:
    """A yes to what the assistant offered; an "ok, thanks" that closes the exchange is none.

    Example:
        >>> accepts_offer("yes"), accepts_offer("yes thanks"), accepts_offer("是的")
        (True, True, True)
        >>> accepts_offer("ok thanks"), accepts_offer("好的，谢谢"), accepts_offer("no thanks")
        (False, False, False)
        >>> accepts_offer("ok thanks, bye"), accepts_offer("ok what about XL?"), accepts_offer("ok, is it in stock?")
        (False, False, False)
        >>> accepts_offer("ok 回到lights，有便宜点的吗？"), accepts_offer("好的，需要"), accepts_offer("可以，转人工吧")
        (False, True, True)
    """
    if not is_affirmative(text) or declines_offer(text) or _CLOSING_OR_QUESTION.search(text):
        return False
    return not _THANKS_WORD.search(text) or bool(_YES_WORD.search(text))


# "can you find out what's going on?", "could you look into it?" right after a person was offered: asking for the
# check the person would do, a yes to them (the assistant itself can look nothing further up).
_ASKS_TO_CHECK = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|well|please)[,.!]?\s+)*(?:can|could|would|will)\s+(?:you|someone|somebody)\s+"
    r"(?:please\s+)?(?:find out|check|look into|investigate|chase|follow up|sort (?:it|this|that) out|"
    r"contact|call|ask)\b",
    re.I,
)


def asks_to_check(text: str) -> bool:
    """The customer asks the shop to find something out ("can you find out what's going on?").

    Example:
        >>> asks_to_check("can you find out what's going on?"), asks_to_check("ok could you look into it please")
        (True, True)
        >>> asks_to_check("can I return it?"), asks_to_check("can you tell me the price?")
        (False, False)
    """
    return bool(_ASKS_TO_CHECK.search(text))


_BARE_REPLY = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|yup|sure|ok|okay|alright|all right|fine|got it|no|nope|nah|not now|no need|"
    r"never mind|nevermind|no thanks|no thank you|yes please)\W*)+$"
    r"|^\W*(?:好的|好|是的|是|可以|行|嗯|不用了|不用|不要了|不要|不是|没有了)\W*$",
    re.IGNORECASE,
)


def bare_reply(text: str) -> bool:
    """The message is only a yes, no or okay: an answer to a question, meaningless when nothing was
    asked (no person offered, no identity awaited). Then it is acknowledged, never sent to retrieval
    ("yes" finds no policy and "yes please" finds whatever the last topic was).

    Example:
        >>> bare_reply("yes please"), bare_reply("No."), bare_reply("不用了"), bare_reply("yes, cancel it")
        (True, True, True, False)
    """
    return bool(_BARE_REPLY.match(text.strip()))


# An email address, an order number or digits (a zip code): identity details or an order, not a reason.
_DETAILS = re.compile(r"@|#|\d{3,}")
# "actually I want to exchange it instead": a new request, not a reason for the one asked about.
_CHANGES_REQUEST = re.compile(r"\b(?:instead|rather|change my mind about)\b|改成|还是(?:换|退)", re.I)
# "I don't remember my email", "I don't have an account": about the identity step itself, not the request.
_ABOUT_IDENTITY = re.compile(
    r"\b(?:accounts?|e-?mails?|zip|zipcode|post ?code|postal|names?|passwords?|log ?in|sign ?in|verif\w*|identity|"
    r"details|(?:this|it) is taking)\b|邮箱|邮编|账户|账号|名字|密码|验证|身份",
    re.I,
)


def adds_to_case(text: str) -> bool:
    """The message tells something more about the customer's request (a reason: "it's too heavy",
    "the colour is not what I expected", "太重了"): a short statement that asks nothing, wants nothing new
    and is no yes/no, small talk, identity detail or shopping request. Read while the identity step waits
    for an order action: the reason is kept with the request and who they are is asked again.

    Example:
        >>> adds_to_case("it's too heavy"), adds_to_case("I just don't like the colour"), adds_to_case("太重了")
        (True, True, True)
        >>> adds_to_case("how long do refunds take?"), adds_to_case("yes"), adds_to_case("thanks")
        (False, False, False)
        >>> adds_to_case("maya@example.com"), adds_to_case("actually I want to exchange it instead")
        (False, False)
        >>> adds_to_case("I'm looking for a lighter kettle"), adds_to_case("I don't remember my email")
        (False, False)
        >>> adds_to_case("forget it")
        False
    """
    words = text.split()
    if not text.strip() or len(words) > 25 or _DETAILS.search(text) or bare_reply(text) or is_question(text):
        return False
    if small_talk_only(text) is not None or is_shopping(text) or _AFFIRM.match(text) or _CHANGES_REQUEST.search(text):
        return False
    if declines_offer(text) or _ABOUT_IDENTITY.search(text):
        return False
    return wanted_item_action(text) is None and wanted_own_item_action(text) is None


def small_talk_only(text: str) -> Literal["greeting", "thanks", "bye", "later", "about_me"] | None:
    """The message is only a greeting, thanks, goodbye, courtesy ("how are you today?"), a decision put
    off ("ok, I'll think about it") or a question about who the customer is talking to ("what's your
    name?"): nothing asked of the shop.

    Example:
        >>> small_talk_only("hello! how are you today?"), small_talk_only("你好呀")
        ('greeting', 'greeting')
        >>> small_talk_only("what's your name?"), small_talk_only("hi, how are you? where is my order?")
        ('about_me', None)
        >>> small_talk_only("ok I'll think about it"), small_talk_only("thanks, I'll think about it. bye!")
        ('later', 'bye')
        >>> small_talk_only("I'll think about the tent vs the hammock"), small_talk_only("好的，我再考虑一下")
        (None, 'later')
        >>> [small_talk_only(t) for t in ("let me think it over", "I think I'll wait a bit and come back tomorrow")]
        ['later', 'later']
        >>> [small_talk_only(t) for t in ("我回头再看看", "先不买了", "好的，我改天再来", "I'll wait for my refund")]
        ['later', 'later', 'later', None]
        >>> [small_talk_only(t) for t in ("ok I'll take it. thanks, bye", "great, I'll go with that one, thanks!")]
        ['bye', 'thanks']
        >>> small_talk_only("I'll take it"), small_talk_only("好的，就买这个了，谢谢")
        (None, 'thanks')
    """
    later = bool(_LATER.search(text))
    rest = _LATER.sub(" ", text)
    # "ok I'll take it. thanks, bye": a decision made, said with thanks or a goodbye, asks nothing more (said
    # alone, "I'll take it" may ask how to buy)
    decided = bool(_DECIDED.search(rest)) and bool(_THANKS.search(rest) or _BYE.search(rest))
    rest = _DECIDED.sub(" ", rest) if decided else rest
    rest = _GREETING.sub(" ", rest)
    rest = _THANKS.sub(" ", rest)
    rest = _BYE.sub(" ", rest)
    about = bool(_ABOUT_ME.search(rest))
    rest = _ABOUT_ME.sub(" ", rest)
    rest = _COURTESY.sub(" ", rest)
    rest = re.sub(
        r"\b(so much|a lot|very much|again|for (the|your) help|you|guys|team|there|all|ok|okay|great|perfect|cool|"
        r"awesome|alright|got it|sounds good|nice|brilliant|wonderful|then|and|(i|we) (needed|wanted|need)|"
        r"for (now|today))\b",
        " ",
        rest,
        flags=re.I,
    )
    if later or decided:  # "好的，我再考虑一下", "ok I think I'll wait a bit": the words around the phrase
        rest = re.sub(r"好的|好吧|好|嗯|那|我|先|再|吧|了|一下|还是|可能|看看|要|想", " ", rest)
        fillers = r"\b(?:i|we|think|guess|probably|maybe|just|actually|well|hmm+|so|will|and|yeah|no)\b"
        rest = re.sub(fillers, " ", rest, flags=re.I)
    if re.search(r"[^\W\d_]", re.sub(r"[!.,?~:)(\s，。！？、]+", "", rest)):
        return None
    if about:
        return "about_me"
    if is_bye(text):  # "thanks, bye": the conversation is ending
        return "bye"
    if later:
        return "later"
    if is_thanks(text):
        return "thanks"
    if is_greeting(text) or _COURTESY.search(text):
        return "greeting"
    return None


# Everyday wording of a service that a shop's policy names by its own word: sending, shipping, mailing,
# bringing or taking something back is a return ("how many days do I have to send something back?").
_SEND_BACK = re.compile(
    r"\b(?:send|sending|sent|ship|shipping|shipped|mail|mailing|mailed|post|posting|bring|bringing|brought|"
    r"take|taking|took)\s+((?:(?:it|them|this|that|these|those|something|anything|stuff|everything|"
    r"(?:the|my|an?|this|that|these|those)\s+[a-z][\w-]*)\s+)?)back\b",
    re.I,
)


# Everyday Chinese for the service hours ("你们几点上班？"), in the words a policy's section on them uses.
_ZH_HOURS = re.compile(r"几点(?:上班|下班|开门|关门|营业)|(?:上班|营业|工作|客服)时间|什么时候(?:上班|营业|开门)")


# A refund waited for ("still no refund", "where is my refund?") asks when refunds are issued and arrive.
_REFUND_WAIT = re.compile(
    r"\b(?:still )?no refund|\b(?:haven'?t|have not|didn'?t|did not|never) (?:got(?:ten)?|received|seen) "
    r"(?:my|the|a|any) refund|\bwhere(?:'s| is) (?:my|the) refund|\brefund (?:hasn'?t|has not|didn'?t|did not|never) "
    r"(?:come|arrived|shown up|appeared|gone through)|还没(?:有)?(?:收到)?退款|退款(?:还没|没)到"
    # "and when do I get my money back?", "how long until I'm refunded?": when a refund comes (the
    # Refunds section), not the return window
    r"|\b(?:when|how (?:long|soon|many days)|what day)\b[^.?!]{0,40}\b(?:money back|refund(?:ed|s)?|"
    r"reimburs\w*|credited back)\b"
    r"|什么时候(?:能)?(?:收到)?退款|钱什么时候(?:能)?(?:退|到)|(?:退款|退钱)(?:要|需要)?多久",
    re.I,
)


# A postal address changed ("I moved", "update my address", "搬家了"), not an email address: the words a
# policy's sentence on changing an order's or account's address uses.
_ADDRESS_CHANGE = re.compile(
    r"\b(?:I|we)(?:'ve| have)?\s+(?:just\s+|recently\s+)?moved\b|\bnew (?:home|house|apartment|flat|place)\b"
    r"|\b(?:change|changing|update|updating|correct|edit|fix)\b[^.?!]{0,25}\baddress(?:es)?\b"
    r"|\baddress(?:es)?\b[^.?!]{0,15}\b(?:changed|wrong|outdated|old)\b"
    r"|搬家|搬了家|新地址|(?:改|修改|更改|更新|换)[^。？！?]{0,6}地址|地址[^。？！?]{0,4}(?:变|错|旧)",
    re.I,
)
_EMAIL_WORD = re.compile(r"\be-?mail|邮箱|邮件", re.I)

# A lower price seen elsewhere or since buying ("it's now $30 cheaper at Best Buy", "the price dropped after I
# bought it"): the words of a policy's price-match or price-adjustment rule.
_PRICE_ELSEWHERE = re.compile(
    r"\b(?:cheaper|less|lower)\s+(?:at|on|in|from|elsewhere|somewhere|online|now)\b"
    r"|\b(?:price|it)\s+(?:has\s+|just\s+)?(?:dropped|went down|fell|was reduced|is lower)\b"
    r"|\bfound (?:it|one|the same)\b[^.?!]{0,20}\b(?:cheaper|for less)\b"
    r"|(?:别家|别的店|其他店|京东|淘宝)[^。？！?]{0,8}(?:更)?便宜|(?:降价|价格降)了",
    re.I,
)

# "can you just send me a new one?", "I'd like a new one instead of a refund": a replacement.
_NEW_ONE = re.compile(
    r"\b(?:send|ship|mail|give|get|want|need|like|prefer|have)\s+(?:me\s+|us\s+)?(?:a\s+)?"
    r"(?:brand[- ]new|new|fresh|working|another)\s+(?:one|item|unit|pair|set)\b",
    re.I,
)


def service_wording(text: str, *, topics: bool = True) -> str:
    """``text`` with everyday wording of a service in the word a shop's policy uses, for finding and
    quoting the policy's section ("send it back" is a return, not shipping).

    Example:
        >>> service_wording("how many days do I have to send something back?")
        'how many days do I have to return something?'
        >>> service_wording("can I take the jacket back to a store?"), service_wording("ship it to Canada")
        ('can I return the jacket to a store?', 'ship it to Canada')
        >>> service_wording("你们几点上班？")
        '你们几点上班？ 服务时间'
        >>> service_wording("I moved, how do I send it back?", topics=False)
        'I moved, how do I return it?'
        >>> service_wording("can you just send me a new one?")
        'can you just send a replacement?'
        >>> service_wording("and when do I get my money back?")
        'and when do I get my money back? how long until the refund is issued'
        >>> service_wording("it's now $30 cheaper at Best Buy")
        "it's now $30 cheaper at Best Buy price match, lower price, the difference"
    """
    text = _SEND_BACK.sub(lambda m: f"return {m.group(1)}".rstrip(), text)
    text = _NEW_ONE.sub(lambda m: f"{m.group(0).split()[0]} a replacement", text)
    if not topics:  # the customer's own words, only reworded: no topic's words added
        return text
    if _ADDRESS_CHANGE.search(text) and not _EMAIL_WORD.search(text):
        text = f"{text} {'修改 收货地址' if has_cjk(text) else 'change the shipping address'}"
    if _REFUND_WAIT.search(text):
        text = f"{text} {'退款 多久 到账' if has_cjk(text) else 'how long until the refund is issued'}"
    if _PRICE_ELSEWHERE.search(text):
        text = f"{text} {'价格保护 差价' if has_cjk(text) else 'price match, lower price, the difference'}"
    return f"{text} 服务时间" if _ZH_HOURS.search(text) else text


# A move stated as a life event ("I moved", "we just moved house", "我搬家了"): the address changed.
_MOVED = re.compile(
    r"\b(?:I|we)(?:'ve| have)?\s+(?:just\s+|recently\s+)?moved\b|\bnew (?:home|house|apartment|flat|place)\b"
    r"|搬家|搬了家|搬到",
    re.I,
)
# Words that ask something of the shop beside the move ("I moved, how do I update my address?").
_ASKS_BESIDE = re.compile(
    r"\b(?:how|what|can|could|would|will|should|please|help|want|need|like|update|change|changing|correct|"
    r"edit|fix|send|ship|deliver\w*|orders?|address(?:es)?|return|refund|cancel\w*)\b"
    r"|怎么|如何|怎样|能不能|可以|能否|请|帮|想|要|需要|修改|更改|改|更新|订单|地址|发货|寄|退",
    re.I,
)


def moved_only(text: str) -> bool:
    """The message only states a move ("I moved", "we just moved last week", "我搬家了"), asking nothing:
    the need it implies is changing an address.

    Example:
        >>> moved_only("I moved"), moved_only("we just moved last week!"), moved_only("我搬家了")
        (True, True, True)
        >>> moved_only("I moved, how do I update my address?"), moved_only("我搬家了，怎么修改地址？")
        (False, False)
        >>> moved_only("I moved the tent to the garage?"), moved_only("I want a new tent")
        (False, False)
    """
    return bool(_MOVED.search(text)) and not is_question(text) and not _ASKS_BESIDE.search(text)


# "how do I place an order?", "can I order by phone?", "怎么下单？": how to buy from the shop at all, not
# about an order placed.
_HOW_TO_ORDER = re.compile(
    r"\bhow (?:do|can|could|would|should|might) (?:i|we|one) (?:go about )?(?:(?:place|make|put in|submit) "
    r"(?:an? |my |the )?orders?|order|buy|purchase)\b(?! (?:a |an |the )?(?:replacement|return|refund|label))"
    r"|\bhow to (?:place (?:an? )?order|order|buy|purchase)\b"
    r"|\bwhere (?:do|can|could|should) (?:i|we) (?:place (?:an? )?order|order|buy|purchase)\b"
    r"|\b(?:can|could|may) (?:i|we) (?:place (?:an? )?orders?|order|buy|purchase)(?: (?:it|this|one|them|\w+))?"
    r" (?:by|over|via|through|on|with|in) (?:the )?(?:phone|telephone|e-?mail|chat|whatsapp|text|mail|fax|"
    r"instagram|facebook|app)\b"
    r"|(?:怎么|如何|怎样|在哪里?|在哪儿)(?:下单|订购|购买|买)|(?:电话|微信|邮件|邮箱)(?:下单|订购|购买)",
    re.I,
)


# "how do I send them back?", "what's the process to return it?": how something is done, asked of the policy.
_HOW_TO = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|and|great|thanks)[,.!]?\s+)*(?:how\s+(?:do|can|should|would|could)\s+(?:i|we)\b"
    r"|how\s+to\b|what(?:'s| is)\s+the\s+(?:process|procedure|way)\b|where\s+(?:do|should)\s+(?:i|we)\s+"
    r"(?:send|ship|mail|post|take|bring)\b)"
    r"|^\s*(?:请问)?(?:怎么|如何|怎样)(?:寄回|退回|退货|退|换货)",
    re.I,
)


def asks_how_to(text: str) -> bool:
    """The customer asks how something is done ("how do I send them back?"), which the policy answers: no
    request is passed on for it, even about an order in focus.

    Example:
        >>> asks_how_to("how do I send them back?"), asks_how_to("ok, what's the process to return it?")
        (True, True)
        >>> asks_how_to("I want to send them back"), asks_how_to("can I return it?")
        (False, False)
    """
    return bool(_HOW_TO.search(text))


def asks_how_to_order(text: str) -> bool:
    """The customer asks how (or by what means) to buy from the shop.

    Example:
        >>> asks_how_to_order("how do I place an order?"), asks_how_to_order("cool, how do I order it")
        (True, True)
        >>> asks_how_to_order("can I order by phone?"), asks_how_to_order("怎么下单？")
        (True, True)
        >>> asks_how_to_order("可以电话订购吗")
        True
        >>> asks_how_to_order("how do I order a replacement?"), asks_how_to_order("how do I track my order?")
        (False, False)
    """
    return bool(_HOW_TO_ORDER.search(text))


# A sentence of the shop's text that says how to buy: a channel or the steps ("Orders can be placed by
# phone", "add it to your cart", "可以电话下单"), not an order already placed ("if the order is placed by noon").
_ORDERING_STATED = re.compile(
    r"\b(?:(?:to|you can|customers can|you may) (?:place (?:an? |your )?orders?|order|buy|purchase) "
    r"(?:online|by|over|via|through|on|at|from|in)\b"
    r"|orders? (?:can|may) (?:be placed|be made|only be placed)|orders? (?:are|is) (?:placed|taken) "
    r"(?:online|over the phone|via|through)\b"
    r"|add (?:it|them|items?|products?|\w+) to (?:the |your )?(?:cart|basket|bag)|(?:shopping )?cart page"
    r"|check ?out (?:page|process)|(?:phone|telephone|e-?mail|online|mail) orders?\b|ordering (?:online|by)\b)"
    r"|下单方式|下单步骤|如何下单|加入购物车|(?:电话|网站|官网|网上|在线|线上|App|APP|小程序|邮件)(?:下单|订购|购买)",
    re.I,
)


def states_ordering(text: str) -> bool:
    """A sentence of the shop's text says how to buy (see :func:`asks_how_to_order`).

    Example:
        >>> states_ordering("Orders can be placed online or by phone."), states_ordering("加入购物车后结账。")
        (True, True)
        >>> states_ordering("Overnight: next business day if the order is placed by 12:00 pm")
        False
        >>> states_ordering("Cards are authorized when the order is placed and charged when it ships.")
        False
    """
    return bool(_ORDERING_STATED.search(text))


# "do you have a discount code?", "do you offer student discounts?", "is there a loyalty program?", "有折扣码吗？":
# whether the shop offers something. The thing asked about, up to a "for"/"on"/"to" or the end.
_OFFERED_Q = re.compile(
    r"\b(?:do|does) (?:you|y'all|your (?:shop|store|company)|the (?:shop|store)) (?:guys )?(?:have|offer|give|"
    r"provide|run)(?: out)? (?:any |a |an |some )?(?P<en>[a-z][a-z' -]{1,40}?)\s*(?=[?.!,]|$|\b(?:for|on|to|if|"
    r"when|at|with|right now|currently|now)\b)"
    r"|\b(?:is there|are there) (?:any |a |an |some )?(?P<there>[a-z][a-z' -]{1,40}?)\s*(?=[?.!,]|$|\b(?:for|on|"
    r"to|if|when|at|with|right now|currently|now)\b)"
    r"|(?:你们|店里|贵店)?有(?:没有)?(?P<zh>[\u4e00-\u9fff]{2,8}?)(?:吗|么|嘛|没有)",
    re.I,
)
# Words that name no particular thing offered ("a return policy": the policy's returns).
_GENERIC_OFFER = frozenset({"policy", "polici", "program", "programm", "option", "service", "plan", "scheme"})


def asks_if_offered(text: str) -> str | None:
    """The service or benefit the customer asks whether the shop offers ("discount code"), in their own
    words, else None; a product asked for ("do you have sleeping bags?") is a shopping request, not one.

    Example:
        >>> asks_if_offered("do you have a discount code?"), asks_if_offered("Do you offer student discounts?")
        ('discount code', 'student discounts')
        >>> asks_if_offered("有折扣码吗？"), asks_if_offered("is there a loyalty program?")
        ('折扣码', 'loyalty program')
        >>> asks_if_offered("do you have sleeping bags?"), asks_if_offered("do you have a return policy?")
        (None, None)
    """
    m = _OFFERED_Q.search(text)
    if m is None:
        return None
    thing = (m.group("en") or m.group("there") or m.group("zh") or "").strip()
    if not thing or parse_price(text) is not None or not is_service_topic(thing):
        return None
    if re.search(r"\b(?:items?|products?|stock|orders?|prices?|returns?|refunds?|exchanges?)\b", thing, re.I):
        return None  # "do you have items under $20?", "is there a return window?": not a thing offered
    if not has_cjk(thing) and not set(tokenize(thing)) - _GENERIC_OFFER:
        return None
    return thing


# A sentence that says what the shop offers ("we offer…", "… are available", "we do not provide…").
_OFFER_VERB = re.compile(
    r"\b(?:offers?|offered|provides?|provided|gives?|given|issues?|issued|accepts?|accepted|available|"
    r"includ(?:e|es|ed)|runs?|sends?|sent|e-?mails?|e-?mailed|receives?|received|earns?|earned|gets?)\b|提供|可享|享受|发放|接受|可以使用|支持",
    re.I,
)


def states_offer(thing: str, title: str, unit: str) -> bool:
    """Whether ``unit`` (a sentence of a section titled ``title``) says whether the shop offers ``thing``:
    it holds all of the thing's words (with its title), and names it in the title, at its start, or with
    a verb of offering ("we offer…", "… are not available"); a sentence only mentioning it in passing
    ("adjustments do not apply to … discount codes that were not used at checkout") does not.

    Example:
        >>> states_offer("discount code", "Price matching",
        ...              "Price adjustments do not apply to clearance items or to discount codes not used.")
        False
        >>> states_offer("discount code", "Promotions", "Discount codes are emailed to subscribers.")
        True
        >>> states_offer("gift wrapping", "Extras", "We offer gift wrapping for $5.")
        True
    """
    if has_cjk(thing):
        if thing not in unit and thing not in title:
            return False
        return thing in title or unit.lstrip().startswith(thing) or bool(_OFFER_VERB.search(unit))
    words = set(tokenize(thing)) - _GENERIC_OFFER
    if not words or not words <= set(tokenize(unit)) | set(tokenize(title)):
        return False
    if words & set(tokenize(title)) or words & set(tokenize(" ".join(unit.split()[:3]))):
        return True
    # The verb of offering must govern the thing: within a few words of it, not a clause away.
    for m in _OFFER_VERB.finditer(unit):
        near = set(tokenize(unit[max(0, m.start() - 30) : m.end() + 30]))
        if words <= near:
            return True
    return False


# "what membership levels do you have?", "what kinds of subscription are there?", "会员等级有哪些？": the kinds
# of one thing the shop has.
_KINDS_Q = re.compile(
    r"\bwhat (?:kinds?|types?|levels?|tiers?|sorts?|grades?) of (?P<a>[a-z]+)"
    r"|\b(?:what|which) (?:are (?:the|your) )?(?P<b>[a-z]+) (?:levels|tiers|types|kinds|grades|plans)\b"
    r"|有(?:哪些|什么|几种|几个)(?P<z>[\u4e00-\u9fff]{2,4}?)(?:等级|级别|类型|种类)"
    r"|(?P<y>[\u4e00-\u9fff]{2,4}?)(?:等级|级别|类型|种类)有(?:哪些|什么|几种|几个)",
    re.I,
)


def asks_kinds(text: str) -> str | None:
    """The thing whose kinds (levels, tiers, types) the customer asks about, else None.

    Example:
        >>> asks_kinds("what membership levels do you have?"), asks_kinds("What kinds of subscriptions are there?")
        ('membership', 'subscriptions')
        >>> asks_kinds("会员等级有哪些？"), asks_kinds("how long does delivery take?")
        ('会员', None)
    """
    m = _KINDS_Q.search(text)
    if m is None:
        return None
    thing = m.group("a") or m.group("b") or m.group("z") or m.group("y")
    return None if thing.lower() in ("the", "your", "a", "an", "any", "of") else thing


def kind_named(thing: str, unit: str) -> str | None:
    """The kind of ``thing`` a sentence opens with ("Gold members get unlimited returns": "Gold" for
    "membership"; "If Gold or Silver: …": "Gold"), else None.

    Example:
        >>> kind_named("membership", "Silver members: return possible within 6 months")
        'Silver'
        >>> kind_named("membership", "Typically promotions only last 7 days") is None
        True
    """
    if has_cjk(thing):
        at = unit.find(thing)
        return unit[:at].strip() or None if 0 < at <= 6 else None
    m = re.match(r"\s*(?:If |For )?([A-Z][\w-]+)(?: (?:and|or|,) ?[A-Z][\w-]+)* ([a-z]+)", unit)
    if m is None or m.group(1).lower() == thing.lower()[: len(m.group(1))]:
        return None
    stem = thing.lower()[:5]
    return m.group(1) if len(stem) >= 4 and m.group(2).lower().startswith(stem) else None


def without_small_talk(text: str) -> str:
    """``"Thanks! Do you ship to Canada?"`` -> ``"Do you ship to Canada?"``; a word that only starts so stays.

    Example:
        >>> without_small_talk("Hi! hiking boots under $150"), without_small_talk("thx, thermal socks")
        ('hiking boots under $150', 'thermal socks')
    """
    out = re.sub(r"^\s*(thanks|thank you|thx|cheers)\b( (so much|a lot|very much))?[!.,]*\s*", "", text, flags=re.I)
    out = re.sub(r"^\s*(hi|hello|hey)\b( there)?[!.,]*\s*", "", out, flags=re.I)
    out = re.sub(r"^\s*(谢谢|你好|您好)[！!，,。]*", "", out)
    return spelled_out(out.strip() or text)


# Chat shorthand, read as the words it stands for ("do u have hiking boots" is "do you have…"); never
# inside an email address or a code.
_SHORTHAND = {"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "wanna": "want to", "teh": "the"}
_SHORTHAND_WORD = re.compile(r"(?<![\w@.'’#-])(" + "|".join(_SHORTHAND) + r")(?![\w@'’-]|\.\w)", re.I)


def spelled_out(text: str) -> str:
    """``text`` with chat shorthand written out.

    Example:
        >>> spelled_out("do u have hiking boots? pls"), spelled_out("whats teh return policy")
        ('do you have hiking boots? please', 'whats the return policy')
        >>> spelled_out("u.li@example.com, size U"), spelled_out("我要R2的")
        ('u.li@example.com, size U', '我要R2的')
    """
    return _SHORTHAND_WORD.sub(lambda m: m.group(0) if m.group(0).isupper() else _SHORTHAND[m.group(1).lower()], text)


# "有睡袋吗？" (do you have sleeping bags?): a shopping request unless it names a service ("有运费吗").
_HAVE_ZH = re.compile(
    r"^\s*(?:请问)?(?:你们|你们店|店里)?有(?!没有|货|现货)[\u4e00-\u9fffA-Za-z ]{1,12}(?:吗|么|嘛)\s*[？?]?\s*$"
)


def is_shopping(text: str) -> bool:
    """A request to buy or find something ("do you have…", "I'm looking for…", 有睡袋吗).

    Example:
        >>> is_shopping("有睡袋吗？"), is_shopping("有运费吗？"), is_shopping("有货吗？")
        (True, False, False)
        >>> is_shopping("有便宜一点的吗？"), is_shopping("有睡袋吗？300美元以内"), is_shopping("有运费吗？100美元以内")
        (False, True, False)
        >>> is_shopping("有什么lights？")
        True
    """
    if _SHOPPING.search(text):
        return True
    if has_cjk(text) and not is_service_topic(text) and not _DEICTIC.search(text):
        # "有什么外套？" (a kind the glossary knows), "下雨天徒步穿什么" (what to wear or take for an occasion)
        what = _WHAT_HAVE_ZH.match(text)
        # ("有什么lights？": the kind in the shop's own English words)
        if (what and (gloss(what.group(1)) or not has_cjk(what.group(1)))) or _WHAT_TO_GET_ZH.search(text):
            return True
    # "有便宜一点的吗？" (anything cheaper?) refines what was shown; it is no new request.
    have = _HAVE_ZH.match(text) or _HAVE_ZH.match(_without_budget_zh(text))
    return bool(have) and not is_service_topic(text) and not re.search(r"一点|一些|更|便宜|贵", text)


# What is left of a budget once its amount is cut out ("预算…以内的", "，"): "有睡袋吗？300美元以内".
_BUDGET_LEFT = re.compile(r"[\s，,。；;、]*(?:预算|价格|价位|在)?\s*(?:以内|以下|之内|左右|上下)?\s*的?[\s，,。；;、]*")


def _without_budget_zh(text: str) -> str:
    """A Chinese request without its budget, before or after the question ("有睡袋吗？300美元以内",
    "有300美元以内的睡袋吗？" -> "有睡袋吗？"); the text as it was when it states no budget."""
    return _BUDGET_LEFT.sub("", strip_price(text)) if parse_price(text) is not None else text


# The shop's policies, never its products: "what's the warranty on printers?", "do you price match?" ask
# the policy (or a person) even when no section answers; they are not requests for printers.
_POLICY_TOPIC = re.compile(
    r"\b(?:warrant(?:y|ies)|guarantee|price[- ]?match(?:ing)?|match (?:the |a |their )?prices?|refunds?|"
    r"return (?:policy|window|label|shipping)|shipping (?:cost|fee|policy|time)s?|delivery (?:time|fee|cost)s?|"
    r"invoices?|receipts?|password|charged twice|double charged|promo codes?|discount codes?|coupons?)\b"
    r"|保修|质保|保价|发票|退款|优惠码|折扣码",
    re.I,
)


def is_policy_topic(text: str) -> bool:
    """The message asks about one of the shop's policies (warranty, price matching, refunds…), not for a product.

    Example:
        >>> is_policy_topic("what's the warranty on printers?"), is_policy_topic("do you price match?")
        (True, True)
        >>> is_policy_topic("do you have printers?"), is_policy_topic("any paper under $20?")
        (False, False)
    """
    return bool(_POLICY_TOPIC.search(text))


def policy_topic_named(text: str) -> str | None:
    """The policy the message names, as written ("保修" in "保修期是多久？", "warranty"), else None.

    Example:
        >>> policy_topic_named("保修期是多久？"), policy_topic_named("What's the WARRANTY on it?")
        ('保修', 'warranty')
        >>> policy_topic_named("do you have printers?") is None
        True
    """
    m = _POLICY_TOPIC.search(text)
    return m.group(0).lower() if m else None


def is_service_topic(text: str) -> bool:
    """The message is about the shop's service or products (it names an order, a refund, delivery…).

    Example:
        >>> is_service_topic("我可以退货吗？"), is_service_topic("Can I pay with a gift card?")
        (True, True)
        >>> is_service_topic("tell me about dinosaurs")
        False
    """
    return bool(_SERVICE_TOPIC.search(text))


# The customer's own item does not fit: an exchange or a return, not a request for other products.
_MISFIT = re.compile(
    r"\b(?:too (?:small|big|large|tight|loose|short|long|narrow|wide)|(?:does|do|did)(?:n'?t| not) fit|"
    r"runs? (?:small|large|big)|wrong size)\b|太小|太大|不合适|不合身|尺码不对",
    re.I,
)


def reports_misfit(text: str) -> bool:
    """The customer says an item they have does not fit.

    Example:
        >>> reports_misfit("the boots I got are too small"), reports_misfit("my jacket doesn't fit")
        (True, True)
        >>> reports_misfit("is the medium too small for me?"), reports_misfit("boots that don't fit wide feet")
        (False, False)
    """
    return bool(_MISFIT.search(text)) and bool(_OWN_ITEM.search(text))


# Where a message's parts meet: "my kettle leaks, and do you sell a replacement lid?"
_PART_BREAK = re.compile(
    r"(?<=[?.!;。？！；])\s*|,\s*(?:and|but|also|plus)?\s*(?=\w)|\s+(?:and|but|also)\s+"
    r"(?=(?:do|does|can|could|is|are|will|would|have|what|which|how|where)\b)",
    re.I,
)


def fault_and_other(text: str) -> tuple[str, str] | None:
    """(the part reporting a fault, the other part) of a message that also asks something else ("my kettle
    leaks, and do you sell a replacement lid?"); None when it does not have both.

    Example:
        >>> fault_and_other("my kettle leaks, and do you sell a replacement lid?")
        ('my kettle leaks', 'do you sell a replacement lid?')
        >>> fault_and_other("my kettle leaks and the lid is cracked") is None
        True
    """
    parts = [p.strip() for p in _PART_BREAK.split(text) if p and p.strip()]
    fault = [p for p in parts if names_fault(p)]
    other = [p for p in parts if not names_fault(p)]
    if not fault or not other or not is_question(" ".join(other)):
        return None
    return " ".join(fault).rstrip(",. "), " ".join(other)


def reports_fault(text: str) -> bool:
    """The customer says something they have is broken or faulty.

    Example:
        >>> reports_fault("The zipper on my rain shell broke after two weeks")
        True
        >>> reports_fault("我买的背包拉链坏了"), reports_fault("what if an item arrives damaged?")
        (True, False)
        >>> reports_fault("my stapler is jammed"), reports_fault("my stapler won't staple anymore")
        (True, True)
        >>> reports_fault("I can't log in to my account at all"), reports_fault("my favourite jam is sold out")
        (False, False)
    """
    return names_fault(text) and bool(_OWN_ITEM.search(text))


def names_fault(text: str) -> bool:
    """The message says something is broken or faulty, whoever's it is ("the broken cutting board").

    Example:
        >>> names_fault("I want a refund for the broken cutting board"), names_fault("is it durable?")
        (True, False)
        >>> names_fault("my boots leak after two weeks"), names_fault("is the bottle leak-proof?")
        (True, False)
        >>> names_fault("my teapot has a rust spot"), names_fault("is it rust-resistant?"), names_fault("it chipped")
        (True, False, True)
        >>> names_fault("my earbuds keep disconnecting"), names_fault("it won't pair with my phone")
        (True, True)
        >>> names_fault("I can't connect to the website"), names_fault("does it connect to 5 GHz wifi?")
        (False, False)
        >>> names_fault("I got my charger but it gets really hot"), names_fault("does it get hot?")
        (True, False)
    """
    return bool(_FAULT.search(text))


_ASKS_WHETHER = re.compile(
    r"(?:^|[,;]\s*|[.!]\s+)\s*(?:(?:ok(?:ay)?|so|and|also|hi|hey|um+)[,.!]?\s+)*"
    r"(?:can|could|may|is it possible|would it be possible|"
    r"am i able|is there (?:a|any) way)\b(?!\s+(?:you|u)\b)[^.!]*\?\s*$"
    r"|能不能[^。！]*[？?]\s*$|可以[^。！]*吗[？?]?\s*$"
    # "我能改一下JP1053的收货地址吗？", "地址还能改吗": can I (not "你能帮我改吗", can you)
    r"|^\s*(?:请问)?\s*我(?:还|现在)?(?:能|能否|可否|可不可以)[^。！]*[吗么？?]\s*$"
    r"|(?<![你您帮])(?:还|现在)?能(?!帮|给|替)[\u4e00-\u9fff]{0,6}吗[？?]?\s*$|能否[^。！]*[？?]\s*$",
    re.I,
)


def asks_whether(text: str) -> bool:
    """The customer asks whether something can be done ("can I change the address on it?"), rather
    than asking for it to be done ("please cancel it", "can you cancel it?").

    Example:
        >>> asks_whether("can I change the shipping address on it?"), asks_whether("ok can you just cancel it")
        (True, False)
        >>> asks_whether("can you cancel it?"), asks_whether("I want to cancel order #A1")
        (False, False)
        >>> asks_whether("我能改一下JP1053的收货地址吗？"), asks_whether("地址还能改吗"), asks_whether("你能帮我取消吗")
        (True, True, False)
        >>> asks_whether("W8770097能取消吗？"), asks_whether("能帮我取消吗")
        (True, False)
        >>> asks_whether("my jacket is too small, can I swap it for a large?")
        True
    """
    return bool(_ASKS_WHETHER.search(text))


_REMEDY = re.compile(
    r"\b(?:refund|refunded|money back|replacement|replace (?:it|them)|repair(?:ed)?)\b|退款|退钱|换新|补发|维修", re.I
)


def asks_remedy(text: str) -> bool:
    """The customer asks for a refund, a replacement or a repair.

    Example:
        >>> asks_remedy("I want a refund for the broken cutting board"), asks_remedy("I want a tent")
        (True, False)
    """
    return bool(_REMEDY.search(text))


# "What are my options?", "what can you do about it?", "so what now?", "我该怎么办？": what can be done about
# the case the customer just reported, said without naming it.
_OPTIONS_Q = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|and|well|then|hmm+|um+)[,.!]?\s+)*(?:"
    r"what (?:are|r) (?:my|the|our) (?:options|choices|next steps)"
    r"|what (?:options|choices) do (?:i|we) have"
    r"|what (?:can|could|should|do) (?:i|we|you) do(?: (?:about|with) (?:it|this|that|them))?(?: now| then| next)?"
    r"|what (?:now|next|happens (?:now|next))"
    r"|what (?:is|'s) (?:the )?next step"
    r"|how (?:can|do) (?:we|you) (?:fix|sort|solve|resolve) (?:it|this|that)(?: out)?"
    r")\b(?:,?\s+(?:now|then|here|please|next))?\s*[.!?]*\s*$"
    r"|^\s*(?:那)?(?:我)?(?:该|应该|能|可以)?怎么办[？?！!。]*\s*$|^\s*有(?:什么|哪些)(?:办法|选择|解决办法)[？?吗]*\s*$",
    re.I,
)


def asks_options(text: str) -> bool:
    """The message asks what can be done about the case reported before, without naming it.

    Example:
        >>> asks_options("what are my options?"), asks_options("so what can you do about it?")
        (True, True)
        >>> asks_options("我该怎么办？"), asks_options("what are the shipping options?")
        (True, False)
        >>> asks_options("what can I do with the tent?"), asks_options("what do you sell?")
        (False, False)
    """
    return bool(_OPTIONS_Q.search(text))


def price_order(text: str) -> Literal["low", "high"] | None:
    """ "the cheapest stapler" -> ``"low"``, "your most expensive pen" -> ``"high"``, else None.

    Example:
        >>> price_order("what's the cheapest tent?"), price_order("最贵的是哪个"), price_order("a cheap tent")
        ('low', 'high', None)
    """
    for order, pattern in _PRICE_ORDER.items():
        if pattern.search(text):
            return "low" if order == "low" else "high"
    return None


_MEASURE_ORDER = re.compile(r"\b(lightest|heaviest|biggest|largest|smallest)\b", re.I)


def measure_order(text: str) -> tuple[Literal["weight", "volume"], Literal["low", "high"]] | None:
    """A superlative over a measure the catalog may state: "the lightest lock" -> ``("weight", "low")``,
    "your biggest teapot" -> ``("volume", "high")`` (what it holds), else None.

    Example:
        >>> measure_order("which is your lightest kettle?"), measure_order("what's your biggest teapot?")
        (('weight', 'low'), ('volume', 'high'))
        >>> measure_order("a light tent"), measure_order("the heaviest one")
        (None, ('weight', 'high'))
    """
    m = _MEASURE_ORDER.search(text)
    if m is None:
        return None
    word = m.group(1).lower()
    measure: Literal["weight", "volume"] = "weight" if word in ("lightest", "heaviest") else "volume"
    return measure, "low" if word in ("lightest", "smallest") else "high"


def wants_overview(text: str) -> bool:
    """The customer asks what a product is as a whole ("tell me more about the first one").

    Example:
        >>> wants_overview("tell me more about the first one"), wants_overview("is it waterproof?")
        (True, False)
    """
    return bool(_OVERVIEW.search(text))


# "actually make it under $2500", "let's say 300", "my budget is 300": the budget of the request changed
_BUDGET_RESTATED = re.compile(
    r"\b(?:make|keep|change|set|bump|raise|up|increase|lower|drop|put|cap)\s+(?:it|that|this|the budget|my budget)\b"
    r"|\b(?:my|the|our)\s+(?:budget|limit|max(?:imum)?)\b|\bbudget(?:'s| is| of)\b|\blet'?s say\b|预算|改成|改为",
    re.I,
)


# "I'll take the cheaper one", "I'll go with the glass one", "I'll take it": a choice among what was discussed
_CHOSEN = re.compile(
    r"^\s*(?:(?:ok|okay|great|cool|alright|right|then|so|hmm+)[,!.]?\s+)*(?:i think\s+)?"
    r"(?:i'?ll|i will|i'?m going to|i'?m gonna|i'?d like|let me|we'?ll)\s+"
    r"(?:take|buy|get|go with|go for|order|choose|pick)\s+"
    r"(?:it|this|that|this one|that one|the\s+[a-z0-9' -]+)\s*[.!]*\s*$"
    r"|^\s*(?:好的?[，,]?\s*)?(?:我|那)?就(?:买|要|选)(?:这个|这款|那个|那款|它|便宜的那个|第[一二三]个)了?\s*[。！!]?\s*$",
    re.I,
)


def states_choice(text: str) -> bool:
    """The message only says which product the customer decided on ("I'll take the cheaper one", "I'll go with
    the glass one", "就买这个了"), asking nothing else.

    Example:
        >>> states_choice("I'll take the cheaper one"), states_choice("ok I'll take it"), states_choice("就买这个了")
        (True, True, True)
        >>> states_choice("I'll take the sencha. how do I order?"), states_choice("I'll take a look")
        (False, False)
    """
    return bool(_CHOSEN.match(text)) and not re.search(r"\b(?:a )?look\b|\blook\b", text, re.I)


def restates_budget(text: str) -> bool:
    """The message gives the request a new budget ("actually make it under $2500", "my budget is 300"), not a
    question about the product in focus ("it").

    Example:
        >>> restates_budget("actually make it under $2500"), restates_budget("my budget is £100 now")
        (True, True)
        >>> restates_budget("is it under $100?"), restates_budget("make it quick")
        (False, False)
    """
    return parse_price(text) is not None and bool(_BUDGET_RESTATED.search(text))


def is_refinement(text: str) -> bool:
    return bool(_REFINE.search(text)) or bool(_IN_ATTRIBUTE.match(text))


def refined_attributes(text: str) -> list[str]:
    """The attribute a short follow-up adds to the listed kind of product ("any in blue?" -> blue).

    Example:
        >>> refined_attributes("any in blue?"), refined_attributes("what about ones in dark green?")
        (['blue'], ['dark', 'green'])
        >>> refined_attributes("is it available in stores?"), refined_attributes("cheaper?")
        ([], [])
        >>> refined_attributes("what about one with temperature control?")
        ['temperature', 'control']
    """
    m = _IN_ATTRIBUTE.match(text)
    return content_words(m.group(1)) if m else []


def requested_phrase(text: str) -> str:
    """The words naming the requested item, as the customer wrote them.

    Example:
        >>> requested_phrase("Do you have HP 61 black ink?"), requested_phrase("I need a TN-450 toner, please")
        ('HP 61 black ink', 'TN-450 toner')
    """
    m = _SHOPPING.search(text)
    tail = re.split(r"[.?!;]|,\s*(?:but|and|please)\b|,\s*$", text[m.end() :] if m else text)[0]
    words = tail.split()
    while words and words[0].lower() in _DETERMINERS | {"any", "you", "got", "me"}:
        words.pop(0)
    return " ".join(words).strip(" ,")


def is_follow_up(text: str) -> bool:
    """Elliptical continuations: "and to Canada?", "what if they arrived damaged?", and what the rule just quoted
    asks of the customer ("what do I need to send you?").

    Example:
        >>> is_follow_up("and to Canada?"), is_follow_up("what do I need to send you?"), is_follow_up("我需要提供什么")
        (True, True, True)
        >>> is_follow_up("what do you sell?"), is_follow_up("do I need an account to order?")
        (False, False)
    """
    return bool(_FOLLOW_UP.search(text))


# "What do other customers say about it?", "how are the reviews?", "is it any good?": what buyers
# wrote about a product, answered from its reviews (never from the shop's policy).
_OPINION_Q = re.compile(
    r"\breviews?\b|\breviewed\b|\bratings?\b|\b(?:highly|well|best|top) rated\b|\bhow (?:is|was) it rated\b|"
    r"\bhow many stars\b|\bany good\b|"
    # "any complaints about the camp chair?", "what are the downsides?": the low-rated reviews say
    r"\b(?:any|common|main|usual|known) (?:complaints?|problems|issues|downsides?|drawbacks?)\b|"
    r"\bcomplaints? about\b|\b(?:the )?(?:downsides?|drawbacks?|pros and cons)\b|"
    r"\bworth (?:it|the money|buying|the price)\b|"
    r"\bwhat (?:do|did|does) (?:\w+ ){0,2}(?:people|customers|others|buyers|users|reviewers|owners|folks) "
    r"(?:say|think|write|like|dislike|complain)\b|"
    r"\bwhat (?:are|were) (?:\w+ ){0,2}(?:people|customers|buyers|users|reviewers|owners) (?:saying|writing)\b|"
    r"\b(?:people|customers|buyers|users|reviewers|owners) (?:like|love|hate|recommend|complain about) "
    r"(?:it|this|that|them)\b|"
    r"\bhow (?:do|did) (?:\w+ ){0,2}(?:people|customers|buyers|users|reviewers) (?:like|find|rate)\b|"
    r"\b(?:do|did|would) (?:\w+ )?(?:people|customers|buyers|users|reviewers|owners) (?:like|love|recommend|rate)\b|"
    r"评价|口碑|好评|差评|评论",
    re.I,
)


# "is it true to size?", "does it run small?", "how do they fit?", "偏小吗？": how the product's sizes fit.
_FIT_QUESTION = re.compile(
    r"\btrue to size\b|\b(?:run|runs|running|fit|fits)\s+(?:small|large|big|true|slim|narrow|wide|short|long|"
    r"tight|loose)\b|\bhow (?:does|do|will|would) (?:it|they|this|these|that|those|the [\w -]+?) fit\b|"
    r"\b(?:sizing|size up|size down)\b|\bshould i (?:size|go) (?:up|down)\b|\bthe fit\b|"
    r"偏大|偏小|尺码(?:准|标准|正)|合身|合脚",
    re.I,
)
# A sentence (of a review, or the product's own text) about how its sizes fit.
_FIT_SENTENCE = re.compile(
    r"\b(?:were|was|felt|feel|feels)\s+(?:too\s+|a bit\s+|a little\s+)?(?:tight|loose|snug|baggy)\b|"
    r"\btrue to size\b|\bruns?\b(?:\s+(?:about|a|bit|little|half|size|full|true|to))*\s+(?:small|large|big|slim|narrow|"
    r"wide|short|long|true)\b|\b(?:noticeably|much|a bit|a little|slightly)\s+(?:shorter|longer|smaller|bigger|"
    r"larger|tighter|looser)\b|"
    r"\bsize (?:up|down)\b|\b(?:went|go|gone|going) (?:up|down) (?:a|half a) size\b|\b(?:snug|boxy|fitted)\b|"
    r"\b(?:too|a bit|a little|noticeably) (?:small|big|large|short|long|tight|loose)\b|"
    r"\bfit(?:s|ted)?\b(?=.*\b(?:size|sizes|[smlSML]|XL|XS|small|medium|large|\d+)\b)|"
    r"\b(?:size|sizes|[SML]|XL|XS|\d+)\b(?=.*\bfit(?:s|ted)?\b)",
    re.I,
)


def asks_fit(text: str) -> bool:
    """The customer asks how a product's sizes fit (answered by what its text and its reviewers say).

    Example:
        >>> asks_fit("is it true to size?"), asks_fit("does it run small?"), asks_fit("how do they fit?")
        (True, True, True)
        >>> asks_fit("what sizes does it come in?"), asks_fit("does it fit in my car?")
        (False, False)
    """
    return bool(_FIT_QUESTION.search(text))


_SIZE_CHOICE = re.compile(
    r"\b(?:which|what) (?:[a-z]+ )?size(?: (?:of|in) [^?.!]{1,60}?)? (?:should|do|would|shall|will|must|could|can) "
    r"(?:i|we)\b|"
    r"\b(?:which|what) (?:[a-z]+ )?size (?:is|would be|will be) (?:right|best|good|ok) for (?:me|us|him|her)\b|"
    r"\b(?:which|what) (?:[a-z]+ )?size (?:for|fits?|suits?) (?:me|us|him|her|someone)\b|"
    r"\bwhat size am i\b|选(?:哪个|什么)尺码|穿(?:多大|什么尺码)",
    re.I,
)


# "which one has the best reviews?", "which of them is the highest rated?": a choice among the listed by rating
_BEST_RATED = re.compile(
    r"\b(?:which|what)(?:\s+one|\s+of\s+(?:them|these|those|the\s+(?:two|three)))?"
    r"(?:\s+(?:has|have|gets?|got|is|are)|['’]s)\s+(?:the\s+)?(?:best|highest|top|better|most)[- ]?"
    r"(?:rated|reviewed|reviews?|ratings?|stars)\b",
    re.I,
)


def asks_best_rated(text: str) -> bool:
    """The customer asks which of the products in the conversation is rated best by its reviewers.

    Example:
        >>> asks_best_rated("which one has the best reviews?"), asks_best_rated("which of them is the highest rated?")
        (True, True)
        >>> asks_best_rated("what do the reviews say?"), asks_best_rated("which tent is best for rain?")
        (False, False)
    """
    return bool(_BEST_RATED.search(text))


_LIMIT_WORD = r"(?:short|quick|brief|occasional|light|casual|low[- ]risk|low[- ]security|indoor)"
# "for short stops in low-risk places", "for light use", "for occasional indoor use": the lesser situation a
# product's own text limits it to
_LIMITED_USE = re.compile(rf"\bfor\s+(?:[\w-]+\s+){{0,2}}?{_LIMIT_WORD}\b(?:[ -]+[\w-]+){{0,4}}", re.I)


def limited_use(text: str) -> str | None:
    """The lesser situation a product's text says it is for ("for short stops in low-risk places"), else None.

    Example:
        >>> limited_use("A light coiled cable lock for short stops in low-risk places or to secure a wheel.")
        'for short stops in low-risk places'
        >>> limited_use("A light, floral black tea."), limited_use("A hardened steel D-lock for the city.")
        (None, None)
    """
    m = _LIMITED_USE.search(text)
    return m.group(0) if m else None


def says_limited_use(text: str) -> bool:
    """The customer's own words ask for the lesser situation ("a lock for a quick stop", "light use").

    Example:
        >>> says_limited_use("a lock for a quick stop at the shop"), says_limited_use("best lock for the city centre")
        (True, False)
    """
    return bool(re.search(rf"\b{_LIMIT_WORD}\b", text, re.I))


def asks_size_choice(text: str) -> bool:
    """The customer asks which of a product's sizes to choose ("I'm 5'10, which size should I get?"): its sizes,
    and what its buyers say of how they fit.

    Example:
        >>> asks_size_choice("I'm 5'10, which size should I get?"), asks_size_choice("what frame size for me?")
        (True, True)
        >>> asks_size_choice("what sizes does it come in?"), asks_size_choice("is the M in stock?")
        (False, False)
    """
    return bool(_SIZE_CHOICE.search(text))


def states_fit(sentence: str) -> bool:
    """The sentence says how the sizes fit ("They run large; I could have gone down a size").

    Example:
        >>> states_fit("The L is snug with a fleece underneath."), states_fit("The M fits over a fleece.")
        (True, True)
        >>> states_fit("Runs about half a size small; not waterproof."), states_fit("It runs up to 60 hours.")
        (True, False)
        >>> states_fit("The chest pocket fits my phone."), states_fit("Warm and soft.")
        (False, False)
    """
    return bool(_FIT_SENTENCE.search(sentence))


# "show me more", "any others?", "more options?", "what else do you have?", "还有别的吗？": the next products
# of the same need.
_MORE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|and|so|hmm+|great|thanks|nice|cool)\W+)*(?:(?:can|could) you\s+)?(?:please\s+)?"
    r"(?:show(?: me)?|do you have|have you got|got|are there|is there|any|anything|list)?\s*(?:some|any)?\s*"
    r"(?:more|others|other ones|other options|anything else|something else|what else)"
    r"(?:\s+(?:options|ones|products|choices|results|like (?:that|these|those|this)))?"
    r"(?:\s+(?:do you have|you have|have you got|you got|please|available))?\W*$"
    r"|^\W*(?:还有|有没有|再)?(?:别的|其他的?|更多|其它的?)(?:的)?(?:选择|款式|商品|推荐)?(?:吗|呢|吧)?\W*$"
    r"|^\W*还有(?:吗|呢|没有)\W*$|^\W*再(?:推荐|来)?几(?:个|款)\W*$",
    re.I,
)


def asks_more(text: str) -> bool:
    """The customer asks for more products of the need just listed ("show me more").

    Example:
        >>> asks_more("show me more"), asks_more("any others?"), asks_more("what else do you have?")
        (True, True, True)
        >>> asks_more("还有别的吗？"), asks_more("more expensive?"), asks_more("tell me more about it")
        (True, False, False)
    """
    return bool(_MORE.match(text))


def asks_opinion(text: str) -> bool:
    """The message asks what buyers say or think of a product (its reviews).

    Example:
        >>> asks_opinion("what do other customers say about it"), asks_opinion("is it waterproof?")
        (True, False)
    """
    return bool(_OPINION_Q.search(text))


# "is it good for green tea?", "can I use it on induction?", "does it work with a gas stove?", "适合泡绿茶吗？":
# whether the product suits a use, which only its own description, Q&A and reviews can say.
_SUITS_Q = re.compile(
    r"\b(?:is|are|would|will)\s+(?:it|they|this|that|these|those|the\s+\w+(?:\s+\w+)?)\s+(?:be\s+)?"
    r"(?:good|ok(?:ay)?|fine|suitable|right|safe|any good|great|ideal)\s+(?:for|with|on|in)\b"
    r"|\bcan\s+(?:i|we|you)\s+use\s+(?:it|them|this|that|the\s+\w+(?:\s+\w+)?)\s+(?:for|with|on|in|to)\b"
    r"|\b(?:does|do|will|would)\s+(?:it|they|this|that|the\s+\w+(?:\s+\w+)?)\s+(?:work|go)\s+(?:for|with|on|in)\b"
    r"|适合|适用|能用来|可以用来|能不能用",
    re.I,
)


def asks_suitability(text: str) -> bool:
    """The message asks whether a product suits a use: the product's own text answers, never the shop's policy.

    Example:
        >>> asks_suitability("is it good for green tea?"), asks_suitability("does it work on induction?")
        (True, True)
        >>> asks_suitability("can I use the kettle for soup?"), asks_suitability("is it covered by the warranty?")
        (True, False)
    """
    return bool(_SUITS_Q.search(text))


# "cool, how do I order it": a word of acknowledgement before the question.
_LEAD_FILLER = re.compile(r"^\s*(?:(?:ok(?:ay)?|cool|great|nice|so|and|hmm+|um+|alright|all right)[,.!]?\s+)+", re.I)


def asks_about_product(text: str) -> bool:
    """A question (with or without its question mark) that can be about the product in the conversation.

    Example:
        >>> asks_about_product("cool, how do I order it"), asks_about_product("I want boots")
        (True, False)
        >>> asks_about_product("tell me about the gooseneck kettle")
        True
    """
    return (
        bool(_PRODUCT_QUESTION.search(text))
        or asks_opinion(text)
        or wants_overview(text)  # "tell me about the gooseneck kettle"
        or text.rstrip().endswith(("?", "？"))
        or is_question(_LEAD_FILLER.sub("", text))
    )


# "how much caffeine is in the earl grey?", "how much water does it hold?": a quantity of something, not the price
_HOW_MUCH_OF = re.compile(
    r"\bhow much\s+(?!(?:is|are|does|do|did|for|would|will|was|to|it|its|this|that|they|these|those|the|a|an|with|"
    r"shipping|delivery|money|cash|extra|more|less|altogether|total|together|all|both|each|per|in|off|now|"
    r"right|exactly|roughly|about|approximately)\b)[a-z]+\s+(?:is|are|does|do|in|can|will)\b",
    re.I,
)


def asks_price(text: str) -> bool:
    """The message asks what something costs.

    Example:
        >>> asks_price("how much is the earl grey?"), asks_price("how much for both?"), asks_price("price?")
        (True, True, True)
        >>> asks_price("how much caffeine is in the earl grey?"), asks_price("how much water does it hold?")
        (False, False)
    """
    return (
        bool(_PRICE_QUESTION.search(text))
        and not re.search(r"\bweigh|\bweight|重", text, re.I)
        and not _HOW_MUCH_OF.search(text)
    )


def asks_stock(text: str) -> bool:
    return bool(_STOCK_QUESTION.search(text))


# "how long does it usually take?" after a question on refunds asks how long the process takes, not
# where the order discussed is ("how long will it take to arrive?" does ask that).
_PROCESS_TIME = re.compile(
    r"\bhow (?:long|many (?:business )?days)\b[^?]*\btakes?\b(?![^?]*\b(?:arriv|deliver|ship|get here|reach|come))",
    re.I,
)


def asks_process_time(text: str) -> bool:
    """The message asks how long a process takes, not when a parcel arrives.

    Example:
        >>> asks_process_time("how long does it usually take?"), asks_process_time("how long will it take to arrive?")
        (True, False)
    """
    return bool(_PROCESS_TIME.search(text))


def has_reference(text: str) -> bool:
    """The message points at something already in the conversation ("it", "the second one", "这个")."""
    return bool(_DEICTIC.search(text) or _ORDINAL.search(text))


# "Cancel the whole order", "all of it", "整个订单": the order in focus as a whole, not an item of it.
_WHOLE_ORDER = re.compile(
    r"\b(?:the|that|this)\s+(?:whole|entire|full|complete)\s+(?:order|thing|lot|purchase|package|parcel)\b"
    r"|\ball of (?:it|that|this)\b|\b(?:everything|the lot)\b|整个订单|全部取消|都取消|全部退",
    re.I,
)


def means_whole_order(text: str) -> bool:
    """The message points at a whole order ("then cancel the whole order", "cancel all of it").

    Example:
        >>> means_whole_order("then cancel the whole order"), means_whole_order("cancel all of it")
        (True, True)
        >>> means_whole_order("cancel the boots"), means_whole_order("把整个订单取消")
        (False, True)
    """
    return bool(_WHOLE_ORDER.search(text))


def reference_index(text: str) -> int | None:
    """Position named by an ordinal ("the second one" -> 1, "the last one" -> -1), else None.

    Example:
        >>> reference_index("the second one"), reference_index("and the last?"), reference_index("最后一个")
        (1, -1, -1)
        >>> reference_index("how long does the battery last?"), reference_index("the last time I ordered")
        (None, None)
    """
    m = _ORDINAL.search(text)
    return _ordinal_of(m) if m else None


def reference_indexes(text: str) -> list[int]:
    """Every position the message names, in order ("the first and the third" -> [0, 2]); "the first
    two" -> [0, 1], "the last two" -> [-2, -1].

    Example:
        >>> reference_indexes("how much for the first and the third?"), reference_indexes("前两个多少钱")
        ([0, 2], [0, 1])
        >>> reference_indexes("the last two in small"), reference_indexes("how much for both?")
        ([-2, -1], [])
    """
    pair = _FIRST_LAST_TWO.search(text)
    if pair:
        return [0, 1] if (pair.group(1) or pair.group(2)).lower() in ("first", "top", "前") else [-2, -1]
    return [_ordinal_of(m) for m in _ORDINAL.finditer(text)]


# An ordinal that points at a listed item ("the first and the third?", "the second one"), not a word of a name
# ("the Darjeeling First Flush"): followed by its noun, the end, punctuation or a joining word.
_POINTING_ORDINAL = re.compile(
    r"\b(?:the\s+)?(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)"
    r"(?:\s+(?:two|three|2|3))?(?:\s+(?:one|option|item|product)s?)?"
    r"(?=\s*(?:$|[?.!,;:&]|\b(?:and|or|vs|versus|then|in|is|are|cost|costs|please|together)\b))",
    re.I,
)


def without_ordinals(text: str) -> str:
    """The message without the ordinals that point at listed items, so that no product is named by them
    ("first" is a word of "Darjeeling First Flush").

    Example:
        >>> without_ordinals("how much for the first and the third?")
        'how much for  and ?'
        >>> without_ordinals("compare the first two")
        'compare '
        >>> without_ordinals("tell me about the Darjeeling First Flush")
        'tell me about the Darjeeling First Flush'
    """
    return _POINTING_ORDINAL.sub("", text)


_FIRST_LAST_TWO = re.compile(r"\b(?:the\s+)?(first|top|last)\s+(?:two|2)\b|(前|后|最后)(?:两|二|2)", re.I)


def content_words(text: str) -> list[str]:
    """Lower-case words that are not function words (no stemming)."""
    return [w for w in re.findall(r"[a-z][a-z'-]*", text.lower()) if w not in STOPWORDS and len(w) > 1]


# A child's age said of whom a product is for ("my 7 year old", "a 10-year-old daughter", "my 8 yo").
_CHILD_AGE = re.compile(
    r"\b(?:my|a|an|our|his|her|their)\s+(\d{1,2})[- ]?(?:years?|yrs?|y)[- ]?(?:old|o)(?:'s)?"
    r"(?:\s+(?:son|daughter|boy|girl|kid|child|grandson|granddaughter|nephew|niece))?\b"
)


def _audience_of_age(age: re.Match[str]) -> str:
    """A child's age as whom a product is for: kids under 13, teens under 18 (an adult is no audience)."""
    years = int(age.group(1))
    return "kids" if years < 13 else "teens" if years < 18 else ""


# Words that name a bundle of things rather than what is in it: "a gift set" and "a gift box" are one kind.
_BUNDLE_NOUNS = frozenset(
    ["set", "sets", "kit", "kits", "box", "boxes", "pack", "packs", "bundle", "bundles", "collection", "collections",
     "sampler", "samplers", "hamper", "hampers", "basket", "baskets", "assortment", "assortments"]
)


def is_bundle_noun(word: str | None) -> bool:
    """The word names a bundle ("gift set", "starter kit", "gift box"), not what is in it.

    Example:
        >>> is_bundle_noun("sets"), is_bundle_noun("Kit"), is_bundle_noun("teapot"), is_bundle_noun(None)
        (True, True, False, False)
    """
    return word is not None and word.lower() in _BUNDLE_NOUNS


_HELPS = re.compile(
    r"\b(?:helps?|helping|good|best|great|works?)\s+(?:me\s+|you\s+|us\s+)?(?:with|against|for)\s+(?:a\s+|an\s+|my\s+|the\s+)?"
    r"((?:cold|colds|flu|cough|coughs|sore throat|headaches?|migraines?|nausea|digestion|bloating|stomach ache|"
    r"stress|anxiety|insomnia|sleep|allerg(?:y|ies)|congestion|fever|pain|cramps|immunity|the immune system)\b)"
    r"|\bhelps?\s+(?:me\s+|you\s+)?(sleep|relax|digest)\b",
    re.I,
)


def helps_with(text: str) -> str | None:
    """The complaint of body or mind a product is asked to help with ("which tea helps with a cold?": "cold"),
    which only the products' own text and reviews can speak to (no health claim of the shop's), else None.

    Example:
        >>> helps_with("which tea helps with a cold?"), helps_with("is there a tea that helps me sleep?")
        ('cold', 'sleep')
        >>> helps_with("anything good for a sore throat?"), helps_with("a jacket for cold weather")
        ('sore throat', None)
        >>> helps_with("is it good for green tea?") is None
        True
    """
    m = _HELPS.search(text)
    return (m.group(1) or m.group(2)).lower() if m else None


_CAPACITY = re.compile(
    r"\b(?:handles?|handling|holds?|takes?|up\s+to|at\s+least|capacity\s+of|staples?|shreds?|binds?|fits?|"
    r"for|with)\s+(\d+(?:\.\d+)?)\s*[- ]?\s*([a-z]{3,})\b",
    re.I,
)
_NOT_CAPACITY = frozenset(
    ["dollar", "dollars", "euro", "euros", "pound", "pounds", "bucks", "usd", "eur", "gbp", "year", "years", "month",
     "months", "week", "weeks", "day", "days", "hour", "hours", "minute", "minutes", "percent", "off"]
)


def asked_capacity(text: str) -> tuple[float, str] | None:
    """How much the item must take, as a number and its unit in the singular ("a stapler that can handle 50
    sheets": (50.0, "sheet")), else None (a budget, an age or a time is no capacity).

    Example:
        >>> asked_capacity("I need a stapler that can handle 50 sheets"), asked_capacity("a shredder for 10 sheets?")
        ((50.0, 'sheet'), (10.0, 'sheet'))
        >>> asked_capacity("a kettle for 40 euros"), asked_capacity("a stapler, black") is None
        (None, True)
    """
    m = _CAPACITY.search(text)
    if m is None or m.group(2).lower() in _NOT_CAPACITY:
        return None
    unit = m.group(2).lower()
    return float(m.group(1)), unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit


_FREE_WORD = re.compile(r"^([a-z][a-z']+)-free$")
# "a tea without caffeine", "one with no sugar", "caffeine free": what it must be free of, as "caffeine-free" says it
_WITHOUT = re.compile(
    r"\b(?:without(?:\s+any)?|with\s+no|free\s+(?:of|from))\s+([a-z][a-z']+)\b|\b([a-z][a-z']+)\s+free\b"
)


def free_of(word: str) -> str | None:
    """What an attribute says the product is free of ("caffeine-free" -> "caffeine"), else None.

    Example:
        >>> free_of("caffeine-free"), free_of("Gluten-Free"), free_of("free"), free_of("waterproof")
        ('caffeine', 'gluten', None, None)
    """
    m = _FREE_WORD.match(word.lower())
    return m.group(1) if m else None


def said_free(text: str) -> str:
    """The request with "without X" / "with no X" / "X free" written as "X-free", the attribute it states.

    Example:
        >>> said_free("a tea without caffeine"), said_free("any caffeine free tea?")
        ('a caffeine-free tea', 'any caffeine-free tea?')
        >>> said_free("any tea with no sugar?")
        'any sugar-free tea?'
        >>> said_free("do you have free shipping?"), said_free("is shipping free?")
        ('do you have free shipping?', 'is shipping free?')
    """

    def free(m: re.Match[str]) -> str:
        word = (m.group(1) or m.group(2)).lower()
        if word in STOPWORDS or word in ("shipping", "delivery", "returns", "return", "charge", "cost", "tax"):
            return m.group(0)
        return f"{word}-free"

    out = _WITHOUT.sub(free, text)
    if out != text and re.search(r"\b(?:without|with\s+no|free\s+(?:of|from))\b", text, re.I):
        # "a tea without caffeine": the attribute goes before the kind ("a caffeine-free tea")
        m = re.match(r"^(.*?\b(?:a|an|some|any)\s+)([a-z][a-z' -]*?)\s+([a-z']+-free)(.*)$", out, re.I)
        if m and free_of(m.group(3)):
            out = f"{m.group(1)}{m.group(3)} {m.group(2)}{m.group(4)}"
    return out


def extract_need_phrase(text: str) -> NeedPhrase:
    """Head noun, attributes and uses of a shopping request (English word order, or Chinese).

    Example:
        >>> phrase = extract_need_phrase("I'm looking for a tent or a sleeping bag")
        >>> phrase.noun, [a.noun for a in phrase.alternatives]
        ('bag', ['tent'])
        >>> extract_need_phrase("a gift for my dad, he loves cooking")
        NeedPhrase(noun='gift', attributes=[], uses=['cooking'])
        >>> extract_need_phrase("我想买一双徒步鞋")
        NeedPhrase(noun='徒步鞋', attributes=[], uses=[])
        >>> extract_need_phrase("有适合小孩的睡袋吗"), extract_need_phrase("儿童睡袋")
        (NeedPhrase(noun='睡袋', attributes=[], uses=['小孩']), NeedPhrase(noun='睡袋', attributes=[], uses=['儿童']))
        >>> extract_need_phrase("something for cold nights?")
        NeedPhrase(noun='something', attributes=[], uses=['cold', 'nights'])
        >>> extract_need_phrase("I'm looking for a tea I can drink before bed")
        NeedPhrase(noun='tea', attributes=[], uses=['drink', 'before', 'bed'])
        >>> extract_need_phrase("do you have a teapot that can go on the stove?")
        NeedPhrase(noun='teapot', attributes=[], uses=['stove'])
        >>> extract_need_phrase("I need a kettle with temperature control")
        NeedPhrase(noun='kettle', attributes=['temperature', 'control'], uses=[])
        >>> extract_need_phrase("I need something to keep me warm in winter")
        NeedPhrase(noun='something', attributes=[], uses=['cold', 'winter'])
        >>> extract_need_phrase("I'm going camping in the rain, what do I need?")
        NeedPhrase(noun=None, attributes=[], uses=['camping', 'rain'])
        >>> extract_need_phrase("I want to ride on forest tracks")
        NeedPhrase(noun=None, attributes=[], uses=['ride', 'forest', 'tracks'])
        >>> extract_need_phrase("I cycle to work in the rain, what should I get?")
        NeedPhrase(noun=None, attributes=[], uses=['cycle', 'work', 'rain'])
        >>> extract_need_phrase("I want a bike to commute to work")
        NeedPhrase(noun='bike', attributes=[], uses=['commute'])
        >>> extract_need_phrase("a bike for my 7 year old").uses, extract_need_phrase("a helmet for a 15-year-old").uses
        (['kids'], ['teens'])
        >>> extract_need_phrase("what phone cases do you have for a Galaxy S24?")
        NeedPhrase(noun='cases', attributes=['phone'], uses=['galaxy'])
        >>> extract_need_phrase("do you have the tea cups in blue?")
        NeedPhrase(noun='cups', attributes=['blue', 'tea'], uses=[])
    """
    text = strip_price(text)
    if not has_cjk(text):
        text = said_free(text)
    if has_cjk(text):
        # "我想买一个 headlamp，要 rechargeable 的", "有没有 waterproof 的 jacket": English words name the
        # item (the last word of the first run not followed by 的, in English order) and its
        # attributes (the other words).
        runs = [
            ([w.lower() for w in m.group(1).split() if w.lower() not in STOPWORDS], bool(m.group(2)))
            for m in re.finditer(r"([A-Za-z][A-Za-z' -]*[A-Za-z])(\s*的)?", text)
        ]
        heads = [words for words, attribute in runs if words and not attribute]
        if heads:
            others = [w for words, _ in runs if words is not heads[0] for w in words]
            return NeedPhrase(heads[0][-1], heads[0][:-1] + others)
        text = re.sub(r"\s+", "", text)  # "买一个 的背包" once the price is cut out
        if temperature_wish(text):  # "我的床太热了": the thing named, not the heat
            text = re.sub(r"^(?:我|我们)的", "", without_temperature(text))
        uses: list[str] = []
        whom = _FOR_AUDIENCE_ZH.search(text)
        if whom:
            # "有适合狗的吗？", "有没有狗用的", "适合小孩的睡袋": whom it is for, as "something for my dog?" and
            # "a sleeping bag for kids" say
            uses.append(whom.group(1) or whom.group(2))
            text = text[: whom.start()] + text[whom.end() :]
        todo = _WHAT_TO_GET_ZH.search(text)
        if todo:
            # "下雨天徒步穿什么": what the products are for comes before, a kind of product may follow ("…需要什么睡袋")
            before = re.sub(r"^(?:请问)?(?:我们?|你)?(?:想|要|去)?", "", text[: todo.start()])
            uses = [u for u in [before, *uses] if u]
            text = f"要{text[todo.end() :]}"
        if (whom or todo) and not _ONLY_CUE_ZH.sub("", text):
            return NeedPhrase(None, [], uses)  # "有适合狗的吗？": whom it is for, and no kind of product
        m = _CJK_NEED.search(text)
        phrase = m.group(1) if m else re.sub(r"[^\u4e00-\u9fff]", "", text)
        phrase = re.sub(r"(吗|呢|吧|啊|了)$", "", phrase)
        if "的" in phrase:
            attrs, noun = phrase.rsplit("的", 1)
            return NeedPhrase(noun or None, [a for a in attrs.split("的") if a], uses)
        # The longest shopping word the phrase ends with ("徒步鞋", not "步鞋"), else its last two characters.
        size = max((len(k) for k in ZH_EN if len(k) > 2 and phrase.endswith(k)), default=2)
        before = phrase[:-size] if len(phrase) > size else ""
        if is_audience(before):  # "儿童睡袋": a sleeping bag for kids, whom it is for
            uses, before = [*uses, before], ""
        return NeedPhrase(phrase[-size:] if len(phrase) >= size else phrase or None, [before] if before else [], uses)
    # "a bike for my 7 year old": whom it is for, as "a bike for kids" says it
    low = _CHILD_AGE.sub(_audience_of_age, text.lower())
    # ("ok and a lantern for it?": the lead-in words are no attribute of the lantern)
    low = re.sub(r"^\s*(?:(?:ok|okay|and|also|so|then|great|cool|alright|right)\b[,!.]?\s*)+(?=\S)", "", low)
    m = _SHOPPING.search(low)
    tail = low[m.end() :] if m else low
    tail = re.split(r"[.?!;]|,\s*(?:but|and|please)\b", tail)[0]
    # "a sleeping pad to go with it": what it goes with is the thing already discussed, no word of the new kind
    tail = _COMPANION.sub("", tail)
    asked = _WHAT_DO_YOU_HAVE.search(low)
    if asked and not re.search(r"[a-z]", tail):
        # "What membership levels do you offer?": the thing asked about comes before the verb.
        tail = asked.group(1)
    elif asked and re.match(r"\s*(?:for|to)\s", tail):
        # "what phone cases do you have for a Galaxy S24?": the thing before the verb, what it is for after it
        tail = f"{asked.group(1)}{tail}"
    if m and not re.search(r"[a-z]", tail) and (trip := _OUTING.search(low[: m.start()])):
        # "I'm going camping in the rain, what do I need?": the outing said first is what it is for.
        return NeedPhrase(None, [], [w for w in content_words(trip.group(1)) if w not in _NOT_USES])
    if m and not re.search(r"[a-z]", tail) and (habit := _HABIT.match(low[: m.start()])):
        # "I ride to work in the rain, what should I get?": what they do, said first, is what it is for.
        return NeedPhrase(None, [], [w for w in content_words(habit.group(1)) if w not in _NOT_USES])
    todo = _TO_DO.match(tail.rstrip(" ,"))
    if m and todo:
        # "I want to ride on forest tracks", "I'd like to go camping": an activity, not a product named "tracks"
        return NeedPhrase(None, [], [w for w in content_words(todo.group(1)) if w not in _NOT_USES])
    purpose = _PURPOSE.match(tail)
    if purpose and " for " not in tail:
        # "a bike to commute to work", "a lock to leave my bike in town": what follows "to" is what it is for
        tail = f"{purpose.group(1)} for {purpose.group(2)}"
    item, _, use = tail.partition(" for ")
    kind = which_kind(item)
    clause = _RELATIVE.search(item)
    if clause and kind is None and not _named_kind(item[: clause.start()]):
        clause = None  # "anything that keeps my feet dry": what it should do, read below as what it is for
    if kind is not None or clause:
        # "a teapot that can go on the stove", "which kettle works on induction?": the item is the kind before
        # the clause; what the clause asks of it says what it is for ("stove", "induction").
        cut = clause.start() if clause else len(item)
        if kind is not None:
            cut = item.lower().index(kind) + len(kind)
        rest = item[cut:]
        item = item[:cut] if kind is None else kind
        stated = re.match(r"\s*(?:(?:that|which)\s+)?(?:is|are)\s+([a-z' -]+)$", rest)
        kept = re.match(r"\s*(?:(?:that|which)\s+)?(?:keeps?|stays?)\s+(?:[a-z'-]+\s+){0,2}?([a-z'-]+)$", rest)
        if stated and not re.search(r"\b(?:on|in|for|with|at|to|from|by)\b", stated.group(1)):
            item = f"{stated.group(1)} {item}"  # "which tea is caffeine-free?": an attribute of the kind
        elif kept:
            # "a bottle that keeps drinks cold", "a jacket that stays dry": what it keeps is a quality of it, not
            # the weather it is for
            item = f"{kept.group(1)} {item}"
        else:
            use = f"{rest} {use}".strip()
    if m and re.fullmatch(r"gift (?:for|idea)", m.group(0)):
        # "a gift for my dad, he loves cooking": the item is a gift; what he loves says what it is for.
        item, use = "gift", tail
    elif m and re.search(r"thing (?:good |nice )?for$", m.group(0)):
        # "something for cold nights?": what follows "for" is what it is for, not a kind of product
        item, use = "something", tail
    if not m and not use and " to " in item:
        item = item.split(" to ")[0]
    clause = _GENERIC_CLAUSE.match(item.strip())
    if clause and not use:
        # "something to keep me warm in winter": what it should do is what it is for (keeping warm is for
        # the cold, keeping dry for the wet), never a kind of product named "winter".
        item, use = clause.group(1), _KEEP.sub(lambda k: f"{k.group(1) or ''} {_KEEP_FOR[k.group(2)]}", clause.group(2))
    # "a tent or a sleeping bag": the last item is the head, its words before it the attributes (as
    # though no "or" were there: "warm or waterproof"); whether the others are types the catalog says.
    *others, last = re.split(r",?\s+(?:or|and/or)\s+", item)
    alternatives = [_item_words(other) for other in others] if _item_words(last).noun else []
    coloured = re.match(r"^(.*?\S)\s+in\s+(?:a\s+)?([a-z]+(?:\s+[a-z]+)?)\s*$", item.strip())
    if coloured and is_colour(coloured.group(2).split()[-1]) and content_words(coloured.group(1)):
        # "the tea cups in blue": a colour of the kind asked for, not a kind named "blue"
        item = f"{coloured.group(2)} {coloured.group(1)}"
    # "a kettle with temperature control", "what about one with a longer cord?": what it must have describes it
    item, _, having = re.sub(r"^\s*(?:what|how)\s+about\b", "", item).partition(" with ")
    found = _item_words(item)
    comparative = re.fullmatch(r"\s*(?:(?:something|anything|one|ones|stuff)\s+)?[a-z]+er\s*", item)
    spec = parse_price(text) if comparative else None
    if spec is not None and spec.relative is not None:
        # "how about something cheaper?": a generic thing measured against what was shown, no kind named "cheaper"
        found = NeedPhrase("something", [])
    featured = [w for w in content_words(having) if w not in _NOT_USES and w not in _DETERMINERS]
    uses = [w for w in content_words(use) if w not in _NOT_USES and w not in _CLAUSE_VERBS]
    alternatives = [a for a in alternatives if a.noun is not None]
    if found.noun is not None and free_of(found.noun):
        # "something caffeine-free": what it is free of describes it; it names no kind
        return NeedPhrase("something", [*found.attributes, found.noun, *featured], uses, alternatives)
    return NeedPhrase(found.noun, [*found.attributes, *featured], uses, alternatives)


# What a relative clause asks of an item ("that can go on the stove", "which works on induction"): the verbs
# say nothing of the thing it is for.
_CLAUSE_VERB = (
    r"can|could|will|would|is|are|does|do|works?|goes?|fits?|holds?|keeps?|stays?|has|have|"
    r"won'?t|doesn'?t|isn'?t|can'?t|comes?|handles?|helps?|"
    # what a product of the kind does: "which printer prints wirelessly?", "which light charges by USB?"
    r"prints?|supports?|connects?|charges?|runs?|takes?|includes?|offers?|plays?|heats?|boils?|brews?|folds?"
)
_CLAUSE_VERBS = {
    "can", "could", "will", "would", "does", "do", "work", "works", "go", "goes", "fit", "fits", "hold", "holds",
    "keep", "keeps", "stay", "stays", "put", "used", "use", "then", "also", "still", "come", "comes", "handle",
    "handles", "be", "help", "helps",
}
# "a teapot that can go on the stove", "a tea I can drink before bed": the clause after the item
_RELATIVE = re.compile(
    rf"\s+(?:(?:that|which|who)\s+(?:{_CLAUSE_VERB})|(?:i|we|you|they)\s+(?:can|could|will|would|might|'d|'ll))\b",
    re.I,
)
_WHICH_KIND = re.compile(
    rf"^\s*(?:(?:so|and|ok(?:ay)?|then|hmm)[,!.]?\s+)*(?:which|what)\s+(?:one\s+of\s+(?:your|the)\s+)?"
    rf"([a-z][a-z' -]*?)\s+(?:{_CLAUSE_VERB})\b",
    re.I,
)


# "which one is…", "what size is…", "what time do you…": a choice among what was shown, or an aspect asked about.
_NOT_KINDS = {
    "one", "ones", "of", "kind", "kinds", "type", "types", "size", "sizes", "colour", "colours", "color", "colors",
    "time", "times", "price", "prices", "material", "materials", "day", "days", "hours", "model", "version", "way",
    "brand", "option", "options", "difference", "else", "happens", "information", "info",
}


# "…, what should I get?", "what do we need?": what to buy for what was just told (an outing, a habit)
_WHAT_TO_GET = re.compile(
    r"\bwhat(?:\s+else)?\s+(?:should|shall|do|would|must|could|can)\s+(?:i|we)\s+"
    r"(?:get|need|buy|bring|take|wear|pack|use)\b(?!\s+to\b)",
    re.I,
)


_FOR_IT = re.compile(r"\bfor\s+(?:it|them|this|that|this one|that one|those|these)\b", re.I)


def asks_companion(text: str) -> bool:
    """The message asks for another kind to use with the thing discussed ("what about a sleeping pad to go
    with it?", "and a case for it?", "a pillow that goes with the bag"): a purchase of its own, its budget
    not the first thing's.

    Example:
        >>> asks_companion("what about a sleeping pad to go with it?"), asks_companion("a teapot for it?")
        (True, True)
        >>> asks_companion("what about tents?"), asks_companion("is it good for hiking?")
        (False, False)
    """
    low = re.split(r"[.?!;]", text.lower())[0] if not has_cjk(text) else text
    if has_cjk(text):
        return bool(re.search(r"配套|搭配|配(?:这个|它|一个|个)|和它一起", text))
    if _COMPANION.search(low):
        return True
    return bool(_FOR_IT.search(low)) and extract_need_phrase(low).noun not in (None, "it", "one", "ones")


def asks_what_to_get(text: str) -> bool:
    """The message asks what to buy for something it tells ("I hike in the rain, what should I get?",
    "我下雨天去徒步，需要什么？"): a shopping question, however close a policy passage is.

    Example:
        >>> asks_what_to_get("I hike in the rain, what should I get?"), asks_what_to_get("我下雨天去徒步，需要什么？")
        (True, True)
        >>> asks_what_to_get("what do I need to send you?"), asks_what_to_get("退货需要什么？")
        (False, False)
    """
    if has_cjk(text):
        return bool(_WHAT_TO_GET_ZH.search(text)) and not is_service_topic(text)
    return bool(_WHAT_TO_GET.search(text))


def which_kind(text: str) -> str | None:
    """The kind of product a "which <kind> <does something>?" question asks for ("which teapot can go on the
    stove?": teapot), None for other wording and for "which one/is" (a choice among what was shown).

    Example:
        >>> which_kind("which teapot can go on the stove then?"), which_kind("What kettles work on induction?")
        ('teapot', 'kettles')
        >>> which_kind("which one is lighter?"), which_kind("which is better?"), which_kind("what size is it?")
        (None, None, None)
    """
    m = _WHICH_KIND.match(text)
    if m is None:
        return None
    words = [w for w in m.group(1).lower().split() if w not in _DETERMINERS and w not in STOPWORDS]
    if not words or words[-1] in _NOT_KINDS or words[-1] in _GENERIC_NOUNS:
        return None
    return " ".join(words)


def _named_kind(item: str) -> bool:
    """The words name a kind of thing, not "something" / "anything"."""
    noun = _item_words(item).noun
    return noun is not None and not is_generic_noun(noun)


def _item_words(item: str) -> NeedPhrase:
    """The head noun and the words before it of an item as worded ("a warm jacket": jacket, [warm])."""
    words = [w for w in re.findall(r"[a-z][a-z'-]*", item) if w not in _DETERMINERS and w not in STOPWORDS]
    words = [
        w for w in words if w not in ("something", "anything", "everything", "like", "want", "need", "get", "buy")
    ] or [w for w in re.findall(r"[a-z][a-z'-]*", item) if w in _GENERIC_NOUNS]
    return NeedPhrase(words[-1] if words else None, words[:-1])


# "what do you sell?", "what kind of products do you carry?", "你们卖什么？": the shop's range as a whole.
_RANGE_Q = re.compile(
    r"^\s*(?:(?:so|ok(?:ay)?|and|hi|hello|hey)[,!.]?\s+)*(?:what|which)\s+"
    r"(?:(?:kinds?|types?|sorts?|categories)\s+of\s+)?(?:(?:products?|things|stuff|items|goods|merchandise)\s+)?"
    r"(?:do|does|can)\s+(?:you|y'all|your (?:shop|store)|i)\s+(?:guys\s+)?(?:sell|carry|stock|offer|have|buy)"
    r"(?:\s+(?:here|in (?:your|the) (?:shop|store)|at all))?\s*[?.!]*\s*$"
    r"|^\s*(?:你们|你们店|店里|这里)?(?:都|主要)?(?:卖|有|销售)(?:些|哪些)?(?:什么|哪些)(?:东西|商品|产品)?(?:呢|啊|呀)?\s*[？?]?\s*$",
    re.I,
)


def asks_range(text: str) -> bool:
    """The customer asks what the shop sells as a whole, naming no kind of product or budget.

    Example:
        >>> asks_range("what do you sell?"), asks_range("What kind of products do you carry?")
        (True, True)
        >>> asks_range("你们卖什么？")
        True
        >>> asks_range("what tents do you sell?"), asks_range("what do you have under $50?")
        (False, False)
    """
    return bool(_RANGE_Q.match(text))


# "how much with shipping?", "what's the total including delivery?", "含运费多少钱？": a price together with a fee.
_WITH_FEE = re.compile(
    r"\b(?:with|plus|including|incl\.?|included|and|after|\+)\s+(?:the\s+)?(shipping|delivery|postage|tax(?:es)?)\b"
    r"|(?:含|加上?|包括|算上)(运费|邮费|税费?)",
    re.I,
)


def fee_asked(text: str) -> str | None:
    """The fee a price question adds ("how much with shipping?" -> "shipping"), else None.

    Example:
        >>> fee_asked("how much with shipping?"), fee_asked("含运费多少钱？"), fee_asked("how much is shipping?")
        ('shipping', '运费', None)
    """
    m = _WITH_FEE.search(text)
    if m is None or not (_PRICE_QUESTION.search(text) or re.search(r"\btotal\b|一共|总共", text, re.I)):
        return None
    return next(g for g in m.groups() if g).lower()


# Whom a request is for ("anything for kids?"): people or animals, not a use ("for hiking").
_ZH_AUDIENCE = r"小孩|孩子|儿童|宝宝|婴儿|宠物|狗狗|小狗|狗|猫咪|小猫|猫"
_AUDIENCE = re.compile(
    r"(?:kids?|kiddos?|child(?:ren)?|bab(?:y|ies)|infants?|toddlers?|teens?|teenagers?|boys?|girls?|"
    rf"dogs?|puppy|puppies|cats?|kittens?|pets?)|{_ZH_AUDIENCE}",
    re.I,
)
# "适合狗的", "给小孩用的", "狗用的": whom a Chinese request is for.
_FOR_AUDIENCE_ZH = re.compile(
    rf"(?:适合|给)({_ZH_AUDIENCE})(?:用|专用|穿|吃|玩|戴)?的?|({_ZH_AUDIENCE})(?:用|专用|穿|吃|玩|戴)的"
)


def is_audience(word: str) -> bool:
    """The word names whom a product is for, when it is not everyone: children, babies, pets.

    Example:
        >>> is_audience("kids"), is_audience("hiking"), is_audience("儿童")
        (True, False, True)
    """
    return bool(_AUDIENCE.fullmatch(word.strip()))


_PEOPLE_ZH = re.compile(
    r"老婆|妻子|太太|老公|丈夫|先生|爸爸?|妈妈?|父亲|母亲|爸妈|父母|朋友|男朋友|女朋友|同事|老板|哥哥?|姐姐?|弟弟?|妹妹?|爷爷|奶奶"
)


def is_person(word: str) -> bool:
    """The word names a grown-up someone is buying for ("wife", "dad", "老婆"): whom it is for, no kind of
    customer products are made for (children and pets are, :func:`is_audience`).

    Example:
        >>> is_person("wife"), is_person("my dad"), is_person("老婆"), is_person("kids"), is_person("hiking")
        (True, True, True, False, False)
    """
    words = word.lower().split()
    if has_cjk(word):
        return bool(_PEOPLE_ZH.fullmatch(word.strip()))
    return bool(words) and words[-1] in _PEOPLE and not is_audience(word)


def is_generic_noun(word: str | None) -> bool:
    return word is None or word.lower() in _GENERIC_NOUNS


# "what about for kids?", "and for my dad?", "那给小孩的呢？": the same request for someone (or some use) else.
_FOR_WHOM = re.compile(
    r"^\s*(?:(?:and|ok|okay|so|but)\s+)?(?:(?:what|how)\s+about\s+)?(?:(?:one|ones)\s+)?"
    r"for\s+(?:my\s+|a\s+|the\s+|our\s+|his\s+|her\s+)?([a-z][a-z' -]{1,30}?)\s*(?:then|instead|too)?\s*[?.!]*\s*$"
    # "actually it's for my wife", "they're for my son": whom the request just made is for, said after it
    r"|^\s*(?:(?:oh|actually|but|and|ok|okay|so|sorry)[,!.]?\s+)*(?:it's|it is|they're|they are|these are|this is|"
    r"that's|it'll be|it would be|it'd be)\s+(?:actually\s+|really\s+)?for\s+(?:my\s+|our\s+|a\s+)"
    r"([a-z][a-z' -]{1,30}?)\s*(?:actually|then|instead|too)?\s*[?.!]*\s*$"
    r"|^\s*那?(?:有)?(?:适合|给)([\u4e00-\u9fff]{1,6}?)(?:用)?的?呢\s*[？?]?\s*$"
    # "其实是给我老婆买的": whom, said after the request
    r"|^\s*(?:其实|不过)?(?:是|这是)?(?:给|帮)(?:我)?([\u4e00-\u9fff]{1,4}?)买的?\s*[。！!？?]?\s*$",
    re.I,
)
# "what about the tent?", "and tents?", "那帐篷呢？": the same request for another kind of product.
_WHAT_ABOUT = re.compile(
    r"^\s*(?:(?:and|ok|okay|so)\s+)?(?:(?:what|how)\s+about\s+)(?:the\s+|a\s+|an\s+|some\s+|any\s+)?"
    r"(?!(?:something|anything|one|ones)\b)(?![^?]*\bfor\b)([a-z][a-z' -]{1,30}?)\s*[?.!]*\s*$"
    # "ok and a 2 m cable to go with it?", "and a case too?": another kind of product, for what was shown
    r"|^\s*(?:(?:and|ok|okay|so|also|plus)[,]?\s+)+(?:a|an|some|any)\s+([a-z0-9][a-z0-9' -]{1,30}?)\s*"
    r"(?:to go with (?:it|them|that|this)|for (?:it|them)|too|as well)?\s*[?.!]*\s*$"
    r"|^\s*(?:a|an|some)\s+([a-z0-9][a-z0-9' -]{1,30}?)\s+to go with (?:it|them|that|this)\s*[?.!]*\s*$"
    r"|^\s*and\s+(?:the\s+|some\s+|any\s+)?([a-z][a-z' -]{1,30}?)\s*[?]+\s*$"
    r"|^\s*那(?:个|么)?([\u4e00-\u9fffA-Za-z ]{1,10}?)呢\s*[？?]?\s*$",
    re.I,
)


def what_about(text: str) -> tuple[Literal["audience", "item"], str] | None:
    """A short follow-up that repeats the last request for someone else (``"audience"``) or for
    another kind of product (``"item"``), with the words that say whom or what. Whether those words
    name a product type is for the catalog to say.

    Example:
        >>> what_about("what about for kids?"), what_about("那给小孩的呢？")
        (('audience', 'kids'), ('audience', '小孩'))
        >>> what_about("actually it's for my wife"), what_about("其实是给我老婆买的")
        (('audience', 'wife'), ('audience', '老婆'))
        >>> what_about("what about the tent?"), what_about("那帐篷呢？"), what_about("how are you?")
        (('item', 'tent'), ('item', '帐篷'), None)
        >>> what_about("ok and a 2 m cable to go with it?"), what_about("a case to go with it")
        (('item', '2 m cable'), ('item', 'case'))
        >>> what_about("what about a sleeping pad to go with it?")
        ('item', 'sleeping pad')
    """
    m = _FOR_WHOM.match(text)
    if m:
        return "audience", next(g for g in m.groups() if g).strip()
    m = _WHAT_ABOUT.match(text)
    if m:
        # ("what about a sleeping pad to go with it?": the pad)
        return "item", _COMPANION.sub("", next(g for g in m.groups() if g).strip()).strip()
    return None


# "I need to return something", "I'd like to start a return", "我想退货", "我要退一件东西": the customer
# wants an order action on one of their items, not yet which (their orders answer, once verified).
_UNNAMED_ITEM = (
    r"(?:something|some(?:thing| items?| things| stuff)|an? (?:item|product|thing|purchase)|stuff|"
    r"a few (?:items|things)|one of (?:my|the|our) (?:items|things|products|purchases))"
)
# "I want to", "we'd like to", "I need to": the customer wants something done (not "do I need to…?").
_WANT_TO = (
    r"(?<!do )(?<!does )(?<!did )(?<!can )(?<!may )\b(?:I|we)\s*"
    r"(?:'d like|would like|want|wanna|need|have|'m trying|am trying|'m looking|am looking|hope)\s+to\s+"
)
_WANTS_ACTION = re.compile(
    _WANT_TO
    + rf"(?:(return|exchange)\s+{_UNNAMED_ITEM}|send\s+{_UNNAMED_ITEM}\s+(back)|"
    r"(?:make|start|do|open|process|initiate|request|file)\s+an?\s+(return|exchange))\b"
    r"|(?:我|我们)(?:想|要|需要|得|想要)(?:申请|办理|办)?(?:一下)?(?:(退货|退回|退(?=[一个件套双条把只掉]|\s*[A-Za-z])|退掉)|(换货))",
    re.I,
)


def wanted_item_action(text: str) -> Literal["return", "exchange"] | None:
    """The order action the customer wants done on an item they do not name yet ("I need to return
    something", "我想退货"), else None. A question about the policy ("how long do I have to return
    something?", "我可以退货吗？") wants nothing done yet.

    Example:
        >>> wanted_item_action("I need to return something"), wanted_item_action("我要退一件东西")
        ('return', 'return')
        >>> wanted_item_action("I'd like to start an exchange"), wanted_item_action("我想换货")
        ('exchange', 'exchange')
        >>> wanted_item_action("我想退Garden Hose")  # an English product name in a Chinese request
        'return'
        >>> wanted_item_action("how long do I have to return something?"), wanted_item_action("我可以退货吗？")
        (None, None)
    """
    m = _WANTS_ACTION.search(text)
    if m is None:
        return None
    said = next(g for g in m.groups() if g).lower()
    return "exchange" if said in ("exchange", "换货") else "return"


# "I want to return my luggage set", "I received a laptop and I want to exchange it", "I want to change
# the bookshelf I ordered to a 4 foot one": an order action wanted on the customer's own item, named or
# pointed at but not yet matched to an order (a guest has shown no order yet).
_WANTS_ON_OWN = re.compile(
    _WANT_TO
    + r"(?:also\s+)?"
    r"(return|exchange|cancel|change|swap|replace)\s+(?:(?:both|all|one|some)\s+(?:of\s+)?)?"
    r"(my|our|it|them|this|these|those|the\s+(?:[\w'-]+\s+){1,4}?(?:I|we)\s+(?:just\s+|recently\s+)?"
    r"(?:ordered|bought|purchased|received|got))\b",
    re.I,
)
# "Can I exchange my headphones for another color?", "could I return the grill I bought for a refund?":
# asked as a question, with what the item is to become (or a refund): a request about their own item,
# not a question about the product's options or the policy in general ("can I return my jacket?").
_OWN_OBJECT = (
    r"(return|exchange|swap|change|replace)\s+(?:(?:both|all|one|some)\s+(?:of\s+)?)?"
    r"(my|our|the\s+(?:[\w'-]+\s+){1,4}?(?:I|we)\s+(?:just\s+|recently\s+)?(?:ordered|bought|purchased|received|got))\b"
)
_ASKED_ON_OWN = re.compile(
    r"(?:\b(?:can|could|may)\s+(?:I|we)\s+(?:please\s+|just\s+|still\s+)?|\bis it possible to\s+|"
    r"\bam I able to\s+)" + _OWN_OBJECT,
    re.I,
)
# "我可以把我的耳机换成别的颜色吗？", "能把我买的台灯退了吗": the same, in Chinese (the item is the customer's own).
_ASKED_ON_OWN_ZH = re.compile(
    r"(?:可以|能|能不能|可不可以|想|要)把?我(?:买|订)?的[\u4e00-\u9fffA-Za-z0-9 ]{1,12}?"
    r"(换成|换个|换一个|换货|退货|退掉|退了|退回)"
)
# What the item is to become, said as another of it ("for another color", "for a bigger one", "in a size
# 10") or as money back; "for a jacket" names another product, which the policy answers.
_FOR_ANOTHER = re.compile(
    r"\b(?:for|to|into|with)\s+(?:another|a\s+different|different|other|the\s+same|a\s+new|a\s+\w+\s+one|"
    r"one\s+(?:in|with)|a\s+refund|my\s+money\s+back|store\s+credit|credit|cash)\b"
    r"|\b(?:for|to|in|into)\s+(?:a\s+|the\s+)?(?:\w+\s+)?(?:size|colou?r|shade|style|model|version|fit)\b",
    re.I,
)
_RECEIVED_THING = re.compile(
    r"\b(?:I|we)\s+(?:just\s+|recently\s+|have\s+|'ve\s+)?(?:received|bought|purchased|ordered|got)\s+"
    r"(?:a|an|the|my|some|two|these|those|this|that)\b",
    re.I,
)
# What a customer changes on their account, not an item: "I want to change my password".
_ACCOUNT_THING = re.compile(
    r"\b(?:password|address|e-?mail|name|phone|payment|card|account|subscription|plan|details|info|"
    r"information|login|username|order number|mind)\b",
    re.I,
)
# "… can I swap it for a large?": the action asked on "it", an item of theirs named before it.
_ASKED_ON_IT = re.compile(
    r"\b(?:can|could|may)\s+(?:I|we)\s+(?:please\s+|just\s+|still\s+)?(return|exchange|swap|change|replace)\s+"
    r"(?:it|them)\b",
    re.I,
)
_TO_ANOTHER = re.compile(r"\b(?:to|for|with|into)\s+(?:a|an|another|one|the|some)\b|\bin\s+\w+\b", re.I)


def wanted_own_item_action(text: str) -> Literal["return", "exchange", "cancel"] | None:
    """The order action wanted on the customer's own item, said without an order ("I want to return
    my luggage set", "I received a laptop and I want to exchange it for an i7", "I want to change the
    bookshelf I ordered to a 4 foot one", or asked with what it is to become: "can I exchange my
    headphones for another color?", "can I return my grill for a refund?"), else None. "Change" and
    "swap" are an exchange only with what to change to; an account detail ("change my password") is
    never an item.

    Example:
        >>> wanted_own_item_action("I want to return my luggage set and get the same one in red")
        'return'
        >>> wanted_own_item_action("I received a laptop and I want to exchange it for one with an i7")
        'exchange'
        >>> wanted_own_item_action("I want to change the book shelf I ordered to a 4 foot one")
        'exchange'
        >>> wanted_own_item_action("I want to change my password"), wanted_own_item_action("I want to return it")
        (None, None)
        >>> wanted_own_item_action("can I return my jacket?"), wanted_own_item_action("I want to cancel my order")
        (None, 'cancel')
        >>> wanted_own_item_action("can I exchange my headphones for another color?")
        'exchange'
        >>> wanted_own_item_action("could I return the grill I bought for a refund?")
        'return'
        >>> wanted_own_item_action("我可以把我的耳机换成别的颜色吗？"), wanted_own_item_action("能把我买的台灯退了吗")
        ('exchange', 'return')
        >>> wanted_own_item_action("my jacket is too small, can I swap it for a large?")
        'exchange'
        >>> wanted_own_item_action("the mug I got is chipped, can I return it?"), wanted_own_item_action(
        ...     "can I swap it for a large?")
        (None, None)
        >>> wanted_own_item_action("Can I exchange my running shoes for a jacket?")  # the policy's question
        >>> wanted_own_item_action("can I change my email to a new one?"), wanted_own_item_action(
        ...     "can I exchange an item for another size?")
        (None, None)
    """
    zh = _ASKED_ON_OWN_ZH.search(text)
    if zh is not None:
        return "exchange" if zh.group(1).startswith("换") else "return"
    on_it = _ASKED_ON_IT.search(text)
    if on_it is not None and _OWN_ITEM.search(text[: on_it.start()]):
        # "my jacket is too small, can I swap it for a large?": "it" is the item of their own named before
        # ("… can I return it?" asks the rule, as "can I return my jacket?" does)
        verb = on_it.group(1).lower()
        return "exchange" if verb != "return" and _TO_ANOTHER.search(text[on_it.end() :]) else None
    m = _WANTS_ON_OWN.search(text)
    asked = None if m is not None else _ASKED_ON_OWN.search(text)
    if asked is not None:
        rest = text[asked.end() :]
        if _ACCOUNT_THING.match(rest.strip()) or not _FOR_ANOTHER.search(rest):
            return None
        verb = asked.group(1).lower()
        return "return" if verb == "return" else "exchange"
    if m is None:
        return None
    verb, obj = m.group(1).lower(), m.group(2).lower()
    rest = text[m.end() :]
    if obj in ("it", "them") and not _RECEIVED_THING.search(text):
        return None  # "it" of the conversation, not a thing the message says they have
    if _ACCOUNT_THING.match(rest.strip()) or (obj in ("my", "our") and _ACCOUNT_THING.search(rest[:30])):
        return None
    if verb in ("change", "swap", "replace"):
        return "exchange" if _TO_ANOTHER.search(rest) else None
    return cast(Literal["return", "exchange", "cancel"], verb)


# "is it on sale?", "any discount on it?", "打折吗？": the price of the product, not a policy on sales.
# Discount codes and coupons are the policy's (is_policy_topic).
_SALE_Q = re.compile(
    r"\b(?:on sale|(?:any |a )?discount(?:ed|s)?(?! codes?)|deals?|markdowns?|marked down|on special|"
    r"reduced|price (?:drop|cut)|promotion(?:al)? price|sale price|cheaper (?:soon|later))\b"
    r"|打折|折扣(?!码)|促销|特价|降价|优惠(?!码|券)",
    re.I,
)


def asks_sale(text: str) -> bool:
    """The customer asks whether a product is on sale or discounted.

    Example:
        >>> asks_sale("is it on sale?"), asks_sale("这个在打折吗？"), asks_sale("any discount on it?")
        (True, True, True)
        >>> asks_sale("do you have discount codes?"), asks_sale("is it a final sale item?")
        (False, False)
    """
    return bool(_SALE_Q.search(text))


# A service the shop may offer, not a product it sells ("do you offer gift wrapping?", "提供刻字吗？").
_SERVICE_OFFER = re.compile(
    r"\b(?:gift[- ]?wrap\w*|wrapping|engraving|engrave|monogram\w*|personali[sz]ation|personali[sz]ed|"
    r"embroider\w*|customi[sz]ation|installation|assembly|tailoring|alterations?|hemming|repairs?|"
    r"sharpening|financing|layaway|instal?lments?|payment plans?|buy now,? pay later|(?:in-store )?pick-?up|"
    r"pick (?:it |them )?up in[- ](?:a |the |your )?store|"
    r"click and collect|curbside|gift (?:messages?|notes?|receipts?|boxes?))\b"
    r"|礼品包装|包装服务|礼盒包装|刻字|定制服务|安装服务|上门安装|组装服务|维修服务|分期付款|自提|到店取货|贺卡",
    re.I,
)


def offered_service(text: str) -> str | None:
    """The service the message asks about ("gift wrapping"), in its own words, else None.

    Example:
        >>> offered_service("do you offer gift wrapping?"), offered_service("你们提供礼品包装吗？")
        ('gift wrapping', '礼品包装')
        >>> offered_service("do you have sleeping bags?") is None
        True
    """
    m = _SERVICE_OFFER.search(text)
    return m.group(0) if m else None


# "my bed is too hot", "I sleep hot", "我的床太热了": the customer wants to be cooler, so "hot" is no
# wish for warmth; "too cold", "我晚上很冷" the other way round.
_TOO_HOT = re.compile(
    r"\b(?:too (?:hot|warm|stuffy)|(?:sleep|sleeps|sleeping|run|runs|running) (?:hot|warm)|hot sleepers?|"
    r"overheat\w*|night sweats|sweat(?:y|ing) at night|so hot at night)\b"
    r"|太热|很热|好热|热得|闷热|出汗|睡觉热|不透气",
    re.I,
)
_TOO_COLD = re.compile(
    r"\b(?:too (?:cold|chilly|cool)|(?:sleep|sleeps|sleeping|run|runs|running) cold|freezing at night)\b"
    r"|太冷|很冷|好冷|冷得",
    re.I,
)


def temperature_wish(text: str) -> Literal["cooler", "warmer"] | None:
    """Whether the customer wants to be cooler ("my bed is too hot") or warmer ("I sleep cold").

    Example:
        >>> temperature_wish("my bed is too hot"), temperature_wish("我的床太热了")
        ('cooler', 'cooler')
        >>> temperature_wish("I sleep cold"), temperature_wish("a hot water bottle?")
        ('warmer', None)
    """
    if _TOO_HOT.search(text):
        return "cooler"
    if _TOO_COLD.search(text):
        return "warmer"
    return None


def without_temperature(text: str) -> str:
    """``text`` without its words of being too hot or too cold ("my bed is too hot" -> "my bed is").

    Example:
        >>> without_temperature("my bed is too hot")
        'my bed is'
    """
    return re.sub(r"\s+", " ", _TOO_COLD.sub(" ", _TOO_HOT.sub(" ", text))).strip(" ?!.,，。？！")


# A question about getting money back: "when will I get my money back?", "how long for the refund?", "退款什么时候到？".
_REFUND_Q = re.compile(
    r"\b(?:refunds?|refunded|refunding|money back|my money|reimburs\w*|credited|credit back|the charge)\b"
    r"|退款|退钱|钱.{0,4}退",
    re.I,
)
# A question naming an order action itself ("how long do refunds for returns take?") is about that one.
_ACTION_NAMED = re.compile(r"\b(?:cancel\w*|return\w*|exchang\w*|send (?:it|them) back)\b|取消|退货|换货", re.I)
# How each order action's case is worded in a shop's text: the stems (as the tokenizer folds them) and the
# Chinese words a sentence about that case holds, and the words added to find the section on its refund.
CASE_TERMS = {"cancel": ("cancel", "取消"), "return": ("return", "退货", "退回"), "exchange": ("exchang", "换货")}
CASE_WORDING = {
    "cancel": {"en": "cancelled order", "zh": "取消订单"},
    "return": {"en": "returned item", "zh": "退货"},
    "exchange": {"en": "exchanged item", "zh": "换货"},
}


def asks_refund(text: str) -> bool:
    """The message asks about getting money back.

    Example:
        >>> asks_refund("when will I get my money back?"), asks_refund("退款什么时候到？"), asks_refund("where is it?")
        (True, True, False)
    """
    return bool(_REFUND_Q.search(text))


def refund_case(text: str, acted: str | None) -> str | None:
    """The order action whose refund ``text`` asks about: ``acted`` (the action the conversation last asked
    for), when the message asks about a refund or money back and names no action of its own.

    Example:
        >>> refund_case("when will I get my money back?", "cancel"), refund_case("钱什么时候退给我？", "cancel")
        ('cancel', 'cancel')
        >>> refund_case("how long do refunds for returns take?", "cancel"), refund_case("where is it?", "cancel")
        (None, None)
        >>> refund_case("when will I get my money back?", "address_change") is None
        True
    """
    if acted not in CASE_TERMS or not _REFUND_Q.search(text) or _ACTION_NAMED.search(text):
        return None
    return acted


# A condition the customer states of their item in a question ("can I return it if I used it?", "without the
# box?", "once the tags are off", "用过了还能退吗？"): the words of the condition.
_CONDITION = re.compile(
    r"\b(?:if|once|after|even though|although|though|when) (?:i|we|it|they|he|she|you|the \w+|my \w+)"
    r"(?:'ve|'s|'re| have| has| had| is| are| was| were)?(?: already| been| just| only| partly| slightly)*"
    r"(?: been)? ((?:\w+ed|worn|torn|taken|broken|\w+ing|tried|used|opened|washed)(?: (?:it|them|on|off|out|once|"
    r"outside|indoors|a few times|twice))*)"
    r"|\b(?:without|missing|lost|threw away|thrown away|no longer have) (?:the |its |their |a |an |my |any )?"
    r"((?:original )?(?:\w+)(?: \w+)?)"
    r"|\b(tags?|labels?|box|packaging|seal|wrapper) (?:is |are |was |were |has been |have been )?"
    r"(off|removed|gone|missing|opened|broken|damaged|torn)\b"
    r"|(用过|穿过|洗过|试过|拆封|拆开|打开|开封|没有?(?:了)?(?:原)?(?:包装|盒子|吊牌|标签|发票|小票))",
    re.I,
)
# Words of the same condition a policy may use instead of the customer's ("the box": "original packaging").
_CONDITION_KIN = {
    "box": "packaging package packaged",
    "boxes": "packaging package packaged",
    "packaging": "box package packaged",
    "opened": "unopened sealed packaging",
    "open": "opened unopened sealed packaging",
    "used": "unused worn wear",
    "worn": "wear unworn used unused",
    "wore": "wear unworn worn used unused",
    "wearing": "wear worn unworn",
    "washed": "unwashed",
    "tags": "tag label labels attached",
    "tag": "tags label labels attached",
    "off": "attached",
    "removed": "attached",
    "receipt": "receipts proof",
    "用过": "未使用 使用",
    "穿过": "未使用 试穿 磨损",
    "洗过": "未洗涤 洗涤",
    "拆封": "密封 拆开 包装",
    "拆开": "密封 拆开 包装",
    "打开": "密封 拆开 包装",
    "开封": "密封 拆开 包装",
}


def stated_condition(text: str) -> list[str]:
    """The words of the condition the customer states of their item ("if I used it", "without the box"),
    with the words a shop's text may say it with ("unused", "packaging"); [] when none is stated.

    Example:
        >>> stated_condition("can I return the skillet if I used it?")
        ['used', 'unused', 'worn', 'wear']
        >>> stated_condition("can I return boots without the box?")
        ['box', 'packaging', 'package', 'packaged']
        >>> stated_condition("and if the tags are off?")
        ['tags', 'tag', 'label', 'labels', 'attached', 'off']
        >>> stated_condition("用过了还能退吗？")[:2], stated_condition("how long is your return window?")
        (['用过', '未使用'], [])
    """
    out: list[str] = []
    for m in _CONDITION.finditer(text):
        said = " ".join(g for g in m.groups() if g)
        if has_cjk(said):
            words = [re.sub(r"^没有?了?原?", "", said)]
        else:
            words = [w for w in said.lower().split() if w not in _CONDITION_FILLER]
        for word in words:
            for w in [word, *_CONDITION_KIN.get(word, "").split()]:
                if w and w not in out:
                    out.append(w)
    return out


_CONDITION_FILLER = frozenset(
    {"it", "them", "on", "out", "once", "original", "a", "few", "times", "twice", "outside", "indoors"}
)


# "ok back to the tents — any cheaper?", "going back to the boots", "回到帐篷，有便宜点的吗？": the customer returns to
# a kind of product after a detour (a policy or an order question); the kind, and what they ask of it.
_BACK_TO = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|right|all ?right|anyway|now|and|thanks|thank you|thx|great|cool|perfect|got it|sure)"
    r"\b[,!.]?\s+)*"
    r"(?:let'?s\s+)?(?:(?:go|going|get|getting|come|coming)\s+)?back\s+to\s+"
    r"(?:the\s+|those\s+|these\s+|my\s+|your\s+)?(?P<kind>[a-z][a-z -]{1,40}?)"
    r"\s*(?:(?:[—–:,;.!?]|\s-\s)+\s*|\s+(?=(?:any|anything|something|do|have|got|show|what|which|how|are|is)\b)|$)"
    r"(?P<rest>.*)$",
    re.I,
)
_BACK_TO_ZH = re.compile(
    r"^\s*(?:(?:好的?|那|嗯|好吧|谢谢)[，,。！!\s]*)*(?:再)?(?:回到|说回|回来说|还是说)"
    r"(?P<kind>[\u4e00-\u9fffA-Za-z ]{1,12}?)"
    r"(?:上|的事|这边|吧)*(?:[，,。！!；;：:\s]+|$)(?P<rest>.*)$"
)


def back_to_parts(text: str) -> tuple[str, str] | None:
    """The kind a message returns to and what it asks of it (see :func:`back_to_kind`).

    Example:
        >>> back_to_parts("ok back to the tents — any cheaper?"), back_to_parts("back to my order") is None
        (('tents', 'any cheaper?'), True)
    """
    m = _BACK_TO.match(text) or _BACK_TO_ZH.match(text)
    if m is None:
        return None
    kind, rest = m.group("kind").strip(), m.group("rest").strip()
    if is_service_topic(kind) or kind.lower() in {"it", "that", "this", "them", "shopping", "what", "where"}:
        return None
    return kind, rest


def back_to_kind(text: str, described: str | None = None) -> str | None:
    """A message returning to a kind of product after a detour, as a request for that kind: the kind with what
    is asked of it ("any cheaper?", a budget), or the kind alone; ``None`` when the message does not return
    to a kind, or asks something else of it ("back to the tents, which is lighter?" is about those shown).

    Example:
        >>> back_to_kind("ok back to the tents — any cheaper?"), back_to_kind("back to the green teas")
        ('any cheaper tents?', 'show me green teas')
        >>> back_to_kind("ok thanks. back to the jackets - anything under $150?")
        'anything under $150 jackets?'
        >>> back_to_kind("going back to the boots, anything under $100?")
        'anything under $100 boots?'
        >>> back_to_kind("回到帐篷，有便宜点的吗？"), back_to_kind("back to the tents, which is lighter?")
        ('帐篷有便宜点的吗？', None)
        >>> back_to_kind("好的。回到睡袋，有更便宜的吗？")
        '睡袋有更便宜的吗？'
        >>> back_to_kind("好的，回到帐篷吧")
        '有帐篷吗？'
        >>> back_to_kind("can I go back to my order?") is None, back_to_kind("any cheaper?") is None
        (True, True)

    ``described``: the kind as the need it returns to described it ("warm jackets for winter"), said in its place.

        >>> back_to_kind("ok back to the jackets", "warm jackets for winter")
        'show me warm jackets for winter'
    """
    parts = back_to_parts(text)
    if parts is None:
        return None
    kind, rest = parts
    kind = described or kind
    if not rest:  # the kind alone is asked for again (a bare "teas" could be read as a policy question)
        return f"有{kind}吗？" if has_cjk(kind) else f"show me {kind}"
    if not (is_refinement(rest) or parse_price(rest) is not None or asks_more(rest)):
        return None
    if re.match(r"(?:which|how|is|are|does|do they)\b", rest, re.I) and not asks_more(rest):
        return None  # "which is lighter?": a question on the products shown
    if has_cjk(text):
        return f"{kind}{rest}"
    return f"{rest.rstrip(' ?!.')} {kind}?"


# "I don't remember my email", "I forgot the postcode", "忘了邮箱": an identifier the customer cannot give.
_FORGOT = re.compile(
    r"\b(?:forg[eo]t(?:ten)?|(?:do\s*n[o']?t|can\s*'?n?o?t|cannot|could\s*n'?t)\s+(?:remember|recall|find|access)|"
    r"no longer (?:have|use|remember)|lost (?:access to )?|not sure (?:what|which))\b[^.?!]{0,30}?"
    r"\b(e-?mail|zip|post ?code|postal code|order (?:number|id)|name)\b"
    r"|(?:忘了|忘记了?|不记得|记不(?:得|清)|想不起来?)[^。？！?]{0,6}?(邮箱|邮件|邮编|订单号)",
    re.I,
)


def forgot_identifier(text: str) -> str | None:
    """The identifier the customer says they cannot give ("email", "zip", "order", "name"), else None.

    Example:
        >>> forgot_identifier("I don't remember my email"), forgot_identifier("I forgot the postcode")
        ('email', 'zip')
        >>> forgot_identifier("我忘了邮箱"), forgot_identifier("I forgot my umbrella at the store")
        ('email', None)
        >>> forgot_identifier("can't remember which email I used")
        'email'
    """
    m = _FORGOT.search(text)
    if m is None:
        return None
    said = (m.group(1) or m.group(2) or "").lower()
    if "mail" in said or "邮箱" in said or "邮件" in said:
        return "email"
    if "order" in said or "订单" in said:
        return "order"
    if said == "name":
        return "name"
    return "zip"


# "repairs on bikes bought elsewhere", "if I didn't buy it from you": the item was not bought from the shop.
_BOUGHT_ELSEWHERE = re.compile(
    r"\b(?:bought|purchased|got|ordered)\s+(?:\w+\s+){0,2}?(?:elsewhere|somewhere else|online elsewhere)\b"
    r"|\b(?:from|at)\s+(?:an?other|a different|other)\s+(?:shop|store|retailer|seller|site|website|dealer)s?\b"
    r"|\b(?:not|never|didn'?t|did not)\s+(?:\w+\s+){0,2}?(?:buy|bought|purchase[d]?|get|got)\s+(?:\w+\s+){0,2}?"
    r"(?:from you|here|from your (?:shop|store))\b",
    re.I,
)
# A sentence of the shop's text on items bought elsewhere ("we service any bike, wherever it was bought").
_STATES_ELSEWHERE = re.compile(
    r"\b(?:elsewhere|somewhere else|wherever|any (?:shop|store|retailer)|other (?:shops?|stores?|retailers?)|"
    r"not bought from us|(?:regardless|no matter) (?:of )?where)\b",
    re.I,
)


def asks_bought_elsewhere(text: str) -> bool:
    """The question is about an item not bought from the shop ("do you do repairs on bikes bought elsewhere?").

    Example:
        >>> asks_bought_elsewhere("do you do repairs on bikes bought elsewhere?")
        True
        >>> asks_bought_elsewhere("can you service a bike I didn't buy from you?")
        True
        >>> asks_bought_elsewhere("do you do repairs?"), asks_bought_elsewhere("I bought it last week")
        (False, False)
    """
    return bool(_BOUGHT_ELSEWHERE.search(text))


def states_elsewhere(text: str) -> bool:
    """A sentence of the shop's text speaks of items bought elsewhere.

    Example:
        >>> states_elsewhere("We service any bike, wherever it was bought."), states_elsewhere(
        ...     "Every bike bought from us gets a free safety check.")
        (True, False)
    """
    return bool(_STATES_ELSEWHERE.search(text))


# "can I exchange it?", "swap for a large", "换货": an exchange asked about.
_EXCHANGE = re.compile(r"\b(?:exchang\w*|swap\w*)\b|换货|换(?:一个|个|成)", re.I)
# A sentence of the shop's text with a rule on exchanges.
_STATES_EXCHANGE = re.compile(r"\bexchang\w*|\bswap\w*|换货", re.I)


def asks_exchange(text: str) -> bool:
    """The message asks about exchanging an item.

    Example:
        >>> asks_exchange("can I exchange my tea for another one?"), asks_exchange("可以换货吗？")
        (True, True)
        >>> asks_exchange("can I return it?")
        False
    """
    return bool(_EXCHANGE.search(text))


def states_exchange(text: str) -> bool:
    """The shop's text says something about exchanges.

    Example:
        >>> states_exchange("Exchanges are free within 30 days."), states_exchange("Returns within 14 days.")
        (True, False)
    """
    return bool(_STATES_EXCHANGE.search(text))


# "Flow: refunds and returns.": a label of a playbook's section, stating nothing.
_LABEL = re.compile(r"^\s*(?:flow|case|category|intent|subflow)\s*:", re.I)


def is_label_only(unit: str) -> bool:
    """A unit of the shop's text that only labels its section ("Flow: refunds and returns.").

    Example:
        >>> is_label_only("Flow: refunds and returns."), is_label_only("Gold members get unlimited returns")
        (True, False)
    """
    return bool(_LABEL.match(unit))


# "a partial refund", "a prorated refund": a remedy of a kind the shop's text must name to answer it.
_QUALIFIED_REMEDY = re.compile(
    r"\b(partial|partly|half|prorated|pro-rated)\s+(?:refunds?|credit|money back|reimbursement)\b|部分退款", re.I
)


def remedy_qualifier(text: str) -> str | None:
    """The qualifier of a remedy asked for ("partial" of "a partial refund"), else None: only a sentence of the
    shop's text naming it answers the question ("send it back for a refund" does not).

    Example:
        >>> remedy_qualifier("can I get a partial refund if I keep the item?"), remedy_qualifier("可以部分退款吗？")
        ('partial', '部分')
        >>> remedy_qualifier("can I get a refund?")
    """
    m = _QUALIFIED_REMEDY.search(text)
    if m is None:
        return None
    return (m.group(1) or "部分").lower()
