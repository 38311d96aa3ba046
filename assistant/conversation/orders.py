"""Order questions: identity verification, the verified customer's own orders, order-action requests.

Order data only ever comes from the verified customer's own rows: every lookup is filtered by
``customer_id == verified_customer_id``, so an order number belonging to someone else reads as
"not found on your account", which reveals nothing about it.

Example:
    >>> desk = OrderDesk(db)  # doctest: +SKIP
    >>> desk.verify("I'm Maya Okafor, zip 97214")  # doctest: +SKIP
    'C001'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assistant.conversation.glossary import gloss
from assistant.conversation.templates import action_phrase, joined
from assistant.conversation.understand import has_reference, means_whole_order, reference_index, reference_indexes
from assistant.retrieval.text import has_cjk, tokenize
from assistant.security.identity import IdentityThrottle, client_address, identity_throttle_for
from assistant.store.db import Database
from assistant.store.models import Customer, Draft, Order, Product

if TYPE_CHECKING:
    from assistant.config import Settings

OrderAction = Literal["cancel", "return", "exchange", "address_change"]
IdentityStatus = Literal["verified", "ambiguous", "failed", "throttled", "incomplete", "none"]
IdentityMethod = Literal["name_zip", "email_zip", "email"]

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Bounded by ASCII letters and digits, not \w: "邮编92147" holds the zip (CJK characters are word characters).
# US zips (5 digits, "-1234" dropped), Canadian ("K1A 0B1") and UK postcodes ("M1 4BT", "EH8 9YL", "SW1A 1AA");
# a code in another format is still found by the customer's own (see ``OrderDesk.check_identity``). Not after a
# hyphen: "NG-20431" is an order number.
ZIP = re.compile(
    r"(?<![A-Za-z0-9_#-])(?<!order )(?<!number )(?<!no\. )(?<!no )(\d{5})(?:-\d{4})?(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_])([A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d)(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_])([A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2})(?![A-Za-z0-9_])"
)
# Bounded by ASCII letters and digits, not by \b: "JP1053的地址" holds the number (CJK characters are word
# characters, so there is no word boundary between "3" and "的").
# One letter and six or more digits is an order number without its "#" too ("W8770097能取消吗？").
# With a hyphen too ("NG-20431", "ORD-20240042"), as many shops write them; five digits at least without "#", as
# model numbers often have four ("GTX-1080").
ORDER_ID = re.compile(
    r"#\s?[A-Z]{1,4}-?\d{3,}(?:-\d+)?|(?<![A-Za-z0-9_])(?:[A-Z]{2,4}\d{4,}|[A-Z]\d{6,}|[A-Z]{1,4}-\d{5,}(?:-\d+)?)"
    r"(?![A-Za-z0-9_])|#\d{4,}",
    re.IGNORECASE,
)

_ACTION_CUES: list[tuple[OrderAction, re.Pattern[str]]] = [
    # "cancelled" asks for it only as a wish ("I want my order cancelled", "can you get it cancelled?"); "my
    # cancelled parka order", "I cancelled it" say what was done (the refund of a cancelled order is asked).
    (
        "cancel",
        re.compile(
            r"\bcancel(?!l?ed\b)|\b(?:want|like|need|get|have)\b[^.?!,]{0,30}\bcancell?ed\b"
            r"(?=\s*(?:please|now|asap|today|for me)?\s*(?:[.?!,]|$))",
            re.I,
        ),
    ),
    ("address_change", re.compile(r"\b(change|update|correct|wrong|new)\b[^.?!]{0,30}\baddress\b", re.I)),
    (
        "exchange",
        re.compile(
            r"\b(exchange|swap|different size|another size|different colou?r)\b"
            # "I ordered the wrong case, I need the iPhone 15 Pro one": the customer's own mistake, another one wanted
            r"|\bI\s+(?:ordered|bought|picked|chose|selected|got)\s+the\s+wrong\b",
            re.I,
        ),
    ),
    ("return", re.compile(r"\b(return|send (it|this|them) back)\b", re.I)),
    ("cancel", re.compile(r"取消")),
    # "把地址改成…", "我能改一下JP1053的收货地址吗", "地址填错了"
    (
        "address_change",
        re.compile(r"(改|修改|更改|换|更新)[^。？！?]{0,16}地址|地址[^。？！?]{0,8}(改|修改|更改|换|更新|填错|写错|错了)"),
    ),
    ("exchange", re.compile(r"换货|换[一个]*(颜色|尺码|尺寸|大小)")),
    # "我要退那套毛巾": 退 after a wish is a return (退款 is a refund, 退订 an unsubscribe).
    ("return", re.compile(r"退货|退回|(?:要|想|帮我|请|麻烦)(?:把)?退(?![款订])")),
]
# "my order" alone is not a cue: "can I pick up my order in the store?" asks about a policy, not a status.
_STATUS_CUES = re.compile(
    r"\b(where('s| is| are)|status|track|tracking|shipped|arrive|arriving|delivered|deliver|late|"
    r"arrived|hasn't (come|arrived)|not (arrived|received)|order history|what did I (order|buy)|"
    r"(what|which) (are|were|is|was) my|(show|list|see|check|view|look up|find)( on| up on)?( me)?( all)?( of)? my|"
    r"(which|what|any|all|none) of my|what happened|what's happening|pending|cancell?ed|processed|"
    r"my (recent|last|latest|past|previous|other) (orders?|purchases?))\b|订单|包裹",
    re.IGNORECASE,
)
# "Where's my stuff?", "has my delivery come?": the customer's things, named without an order noun;
# with a status cue they ask about the customer's own orders.
_OWN_THINGS = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:stuff|things|items|goods|delivery|deliveries|shipments?|packages?|parcels?)\b"
    r"|我(?:买|订)?的东西",
    re.IGNORECASE,
)
# "where's my skateboard?", "我的Garden Hose到哪了": where a thing of theirs is, on its way to them (not their
# refund, money or account: the policy answers those).
_WHERE_IS_MINE = re.compile(
    r"\bwhere(?:'s|’s| is| are)\s+my\s+(?!(?:refund|money|credit|account|password|email|e-mail|profile|"
    r"points|balance|cart|basket|invoice|receipt|code|voucher|coupon|gift card)\b)[a-z]"
    r"|我(?:买|订)?的(?!退款|钱|账户|账号|密码|积分|余额|发票)[\u4e00-\u9fffA-Za-z0-9 ]{1,16}?"
    r"(?:到哪了|到哪儿了|到哪里了|在哪|什么时候(?:能)?到|还没(?:有)?到|发货了吗)",
    re.IGNORECASE,
)
# "I need help with an order", "there's a problem with my order": one of their orders, not yet which.
_HELP_WITH_ORDER = re.compile(
    r"\b(?:help|problems?|issues?|trouble|questions?) (?:with|about|regarding) (?:my|an|our|one of my) "
    r"(?:recent |last |latest )?(?:orders?|purchases?|packages?|deliver(?:y|ies))\b",
    re.IGNORECASE,
)
_STATUS_INTENTS = ("order_status", "track_order", "delivery_period")
_ACTION_INTENTS: dict[str, OrderAction] = {
    "cancel_order": "cancel",
    "return": "return",
    "exchange": "exchange",
    "change_order": "exchange",
    "change_shipping_address": "address_change",
    "set_up_shipping_address": "address_change",
}


# "When will it ship?", "when does it arrive", "什么时候发货": when an order leaves or arrives.
_WHEN_SHIPS = re.compile(
    r"\bwhen\b[^.?!]{0,30}\b(?:ship|ships|shipped|dispatch\w*|sent|send|leave|go out|goes out|arrive|arrives|"
    r"be delivered|deliver|get here|come|coming)\b|\bhow (?:soon|long)\b[^.?!]{0,20}\b(?:ship|arrive|deliver\w*)\b"
    r"|什么时候(?:发货|到|送达|寄出|发出|能到)|多久(?:发货|能到|到)|几天(?:发货|到)",
    re.I,
)
# Statuses of an order that has not left the warehouse yet (the store's words, any case).
NOT_YET_SHIPPED = frozenset(["pending", "processing", "processed", "confirmed", "on hold", "on_hold", "packed"])


def asks_when_ships(text: str) -> bool:
    """The customer asks when something ships or arrives.

    Example:
        >>> asks_when_ships("when will it ship?"), asks_when_ships("它什么时候发货？")
        (True, True)
        >>> asks_when_ships("is it in stock?")
        False
    """
    return bool(_WHEN_SHIPS.search(text))


def zip_codes(text: str) -> list[str]:
    """The zip or postal codes written in ``text``, upper case without spaces.

    Example:
        >>> zip_codes("aisha.khan@example.co.uk, postcode m1 4bt"), zip_codes("Tom, EH8 9YL"), zip_codes("97214-1234")
        (['M14BT'], ['EH89YL'], ['97214'])
        >>> zip_codes("K1A 0B1"), zip_codes("order NG-20431"), zip_codes("size M, 2 pack"), zip_codes("order 10423")
        (['K1A0B1'], [], [], [])
    """
    return [next(g for g in m.groups() if g).replace(" ", "").upper() for m in ZIP.finditer(text)]


def order_key(order_id: str) -> str:
    """An order number as compared: upper case, without "#" or spaces ("#ng-20431" and "NG-20431" are one).

    Example:
        >>> order_key("#ng-20431"), order_key("JP1053")
        ('NG-20431', 'JP1053')
    """
    return order_id.replace(" ", "").lstrip("#").upper()


# Digits after the word "order" are its number ("order 1042", "order number 10423", "order no. 1042"), as shops
# whose order numbers are digits only write them; four digits at least, and not a quantity ("order 1000 pens").
_WORDED_ORDER_ID = re.compile(
    r"(?<!to )\border\s*(?:number|no\.?|nr\.?|num|id)?\s*[:#]?\s*(\d{4,})(?![\w-])"
    r"(?!\s+(?:x|pcs|pieces|units|of|more|boxes|packs)\b)",
    re.IGNORECASE,
)


def find_order_ids(text: str) -> list[str]:
    """Order numbers as written by the customer, normalised to ``#XXX`` upper case.

    Example:
        >>> find_order_ids("我的订单JP1021到哪了？"), find_order_ids("order jp1021 and #W12345?")
        (['#JP1021'], ['#JP1021', '#W12345'])
        >>> find_order_ids("my zip is 97214, model ABC12345X")
        []
        >>> find_order_ids("我能改一下JP1053的收货地址吗？"), find_order_ids("order #W2378156 and jp1041")
        (['#JP1053'], ['#W2378156', '#JP1041'])
        >>> find_order_ids("W8770097能取消吗？"), find_order_ids("model X100 please")
        (['#W8770097'], [])
        >>> find_order_ids("where is NG-20431?"), find_order_ids("ord-202400 please"), find_order_ids("a GTX-1080")
        (['#NG-20431'], ['#ORD-202400'], [])
        >>> find_order_ids("where's order 1042?"), find_order_ids("order number: 10423"), find_order_ids("order #1042")
        (['#1042'], ['#10423'], ['#1042'])
        >>> find_order_ids("I want to order 1000 pens"), find_order_ids("can I order 2 more?")
        ([], [])
    """
    found: list[tuple[int, str]] = []
    for m in ORDER_ID.finditer(text):
        raw = m.group(0).replace(" ", "").upper()
        found.append((m.start(), raw if raw.startswith("#") else "#" + raw))
    for m in _WORDED_ORDER_ID.finditer(text):
        number = "#" + m.group(1)
        if number not in (n for _, n in found):
            found.append((m.start(1), number))
    return [n for _, n in sorted(found)]


@dataclass(frozen=True)
class IdentityCheck:
    """Outcome of one message's identity claim.

    ``verified``: ``customer_id`` is proven. ``ambiguous``: the message holds several emails, zips
    or named customers, so it verifies nobody. ``failed``: one claim that matches no account.
    ``throttled``: too many failed checks for this conversation, client address or customer;
    nothing was checked (``retry_after`` seconds). ``incomplete``: one detail of a two-detail method
    (an email without a zip under ``email_zip``); nothing was checked or counted, the customer is asked
    for the rest. ``none``: the message makes no identity claim.
    """

    status: IdentityStatus
    customer_id: str | None = None
    retry_after: int = 0

    @property
    def attempted(self) -> bool:
        return self.status != "none"


# Replies for the outcomes the engine's own templates do not cover.
IDENTITY_MESSAGES: dict[str, dict[str, str]] = {
    "ambiguous": {
        "en": "I can only check one identity per message, so I haven't verified anyone. Please send just "
        "**one** email address, or your full name with **one** {postcode}.",
        "zh": "每条消息只能核对一个身份，因此未验证任何人。请只提供**一个**邮箱，或全名加**一个**{postcode}。",
    },
    "throttled": {
        "en": "There have been too many unsuccessful verification attempts, so I can't check identity details "
        "right now. Please try again in {minutes} minutes, or ask for a member of our team.",
        "zh": "验证失败次数过多，暂时无法核对身份。请在{minutes}分钟后重试，或联系人工客服。",
    },
    "incomplete": {
        "en": "Thanks. To confirm it's you I need one more detail: please send the **{postcode}** of the order's "
        "address (or your own) as well.",
        "zh": "谢谢。为确认是您本人，还需要一项信息：请再提供订单地址（或您本人地址）的**{postcode}**。",
    },
}

#: How each identity method is asked for, per language (joined with "or" in the order configured).
METHOD_WORDS: dict[str, dict[str, str]] = {
    "email": {"en": "the **email address** on the order", "zh": "订单上的**电子邮箱**"},
    "name_zip": {
        "en": "your **full name plus the {postcode}** of the order's address",
        "zh": "您的**全名和{postcode}**",
    },
    "email_zip": {
        "en": "the **email address** on the order **plus the {postcode}** of its address",
        "zh": "订单上的**电子邮箱和{postcode}**",
    },
}


def postcode_zh(name: str) -> str:
    """The shop's name for a postal code (``security.postal_code_name``) in Chinese: 邮编 for a US zip code, and for
    any other name 邮编 with the shop's own word beside it, so a customer knows which code is meant ("postcode":
    a UK one, "M1 4BT").

    Example:
        >>> postcode_zh("zip code"), postcode_zh("ZIP"), postcode_zh("postcode"), postcode_zh("Postleitzahl")
        ('邮编', '邮编', '邮编（postcode）', '邮编（Postleitzahl）')
        >>> postcode_zh("邮政编码")
        '邮政编码'
    """
    word = name.strip()
    if re.search(r"[\u4e00-\u9fff]", word):
        return word  # the shop named it in Chinese itself
    if re.fullmatch(r"zip(?:\s*code)?|zip-code|zipcode", word, re.I):
        return "邮编"
    return f"邮编（{word}）"


def identity_request(methods: Sequence[str], language: str = "en", *, postcode: str, lead: bool = True) -> str:
    """What the assistant asks a guest for before order details: the configured methods, in words, the postal
    code called as the shop calls it (``security.postal_code_name``: "zip code", "postcode"). ``lead``: False
    when the request is asked again (no "I can help with that.").

    Example:
        >>> identity_request(["name_zip"], postcode="postcode").split(": ")[1]
        "your **full name plus the postcode** of the order's address."
    """
    lang = "zh" if language == "zh" else "en"
    code = postcode_zh(postcode) if lang == "zh" else postcode
    ways = [METHOD_WORDS[m][lang].format(postcode=code) for m in methods if m in METHOD_WORDS]
    if lang == "zh":
        return f"{'我可以帮您查询。' if lead else ''}为保护您的账户，请先确认身份：提供{'，或'.join(ways)}。"
    opening = "I can help with that. " if lead else ""
    return f"{opening}To protect your account, please confirm who you are first: {', or '.join(ways)}."


def identity_failed(methods: Sequence[str], language: str = "en", *, postcode: str) -> str:
    """What the assistant says when the details match no account (the configured methods, in words)."""
    lang = "zh" if language == "zh" else "en"
    if set(methods) == {"email", "name_zip"}:
        from assistant.conversation.templates import say

        # that pair's own wording
        return say("identity_failed", lang, postcode=postcode_zh(postcode) if lang == "zh" else postcode)
    code = postcode_zh(postcode) if lang == "zh" else postcode
    ways = [METHOD_WORDS[m][lang].format(postcode=code) for m in methods if m in METHOD_WORDS]
    if lang == "zh":
        return f"抱歉，未能匹配到账户。请核对后重新提供{'，或'.join(ways)}。"
    return f"I'm sorry, I couldn't match those details to an account. Please check them and send {', or '.join(ways)}."


def identity_name_only(methods: Sequence[str], language: str = "en", *, postcode: str) -> str:
    """What the assistant asks after a name alone: the zip code that completes it, or the email instead
    where the policy accepts one. The same whether or not a customer has that name."""
    lang = "zh" if language == "zh" else "en"
    email = "email" in methods
    if lang == "zh":
        other = "（或改为提供订单上的**电子邮箱**）" if email else ""
        return f"谢谢。为确认是您本人，还需要订单地址的**{postcode_zh(postcode)}**{other}。"
    other = " (or send the **email address** on the order instead)" if email else ""
    return f"Thanks. To confirm it's you I also need the **{postcode}** of the order's address{other}."


def identity_message(check: IdentityCheck, language: str = "en", *, postcode: str) -> str | None:
    """The customer-facing sentence for an ambiguous or throttled check (None for other outcomes)."""
    table = IDENTITY_MESSAGES.get(check.status)
    if table is None:
        return None
    minutes = str(max(1, round(check.retry_after / 60)))
    code = postcode_zh(postcode) if language == "zh" else postcode
    return table.get(language, table["en"]).format(minutes=minutes, postcode=code)


@dataclass(frozen=True)
class OrderRequest:
    """What an order-related message asks for."""

    kind: Literal["status", "action", "profile"]  # profile: the customer's details on file
    action: OrderAction | None = None
    order_ids: tuple[str, ...] = ()


# Order statuses in the customer's language (general retail words; a status not listed stays as stored).
_STATUS_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "pending": "待处理",
        "processing": "处理中",
        "processed": "已处理",
        "confirmed": "已确认",
        "on hold": "暂停处理",
        "packed": "已打包",
        "shipped": "已发货",
        "in transit": "运输中",
        "out for delivery": "派送中",
        "delivered": "已送达",
        "cancelled": "已取消",
        "canceled": "已取消",
        "returned": "已退货",
        "return requested": "已申请退货",
        "exchange requested": "已申请换货",
        "refunded": "已退款",
        "partially refunded": "已部分退款",
        "failed": "失败",
    },
}


def status_in(status: str, language: str) -> str:
    """An order status in ``language`` ("shipped" -> "已发货"); as stored when there is no translation.

    Example:
        >>> status_in("shipped", "zh"), status_in("return_requested", "zh"), status_in("shipped", "en")
        ('已发货', '已申请退货', 'shipped')
        >>> status_in("pending (items modified)", "zh"), status_in("lost in the mail", "zh")
        ('待处理（items modified）', 'lost in the mail')
    """
    table = _STATUS_WORDS.get(language)
    if not table:
        return status
    key = " ".join(status.replace("_", " ").lower().split())
    if key in table:
        return table[key]
    head, _, rest = key.partition(" (")
    return f"{table[head]}（{rest.rstrip(')')}）" if head in table and rest else status


@dataclass(frozen=True)
class OrderFacts:
    """One order as shown to its verified owner; ``lines`` are the store facts a reply may state."""

    order_id: str
    status: str
    lines: tuple[str, ...]
    record: dict[str, Any] = field(default_factory=dict)
    placed: str | None = None  # the order date, YYYY-MM-DD

    def lines_in(self, language: str) -> tuple[str, ...]:
        """``lines`` with their labels in ``language`` (status words and names as the store has them).

        Example:
            >>> f = OrderFacts("#A1", "shipped", ("Order #A1: status **shipped**",),
            ...                {"items": ["1 × Lamp"], "tracking_number": "1Z9", "tracking_carrier": "UPS"})
            >>> f.lines_in("zh")
            ('订单 #A1：状态 **已发货**', '商品：1 × Lamp', '物流单号：UPS 1Z9')
        """
        if language != "zh":
            return self.lines
        out = [f"订单 {self.order_id}：状态 **{status_in(self.status, language)}**"]
        if self.placed:
            out.append(f"下单日期 {self.placed}")
        items = self.record.get("items") or []
        if items:
            out.append("商品：" + "、".join(str(i) for i in items))
        number = self.record.get("tracking_number")
        if number:
            carrier = self.record.get("tracking_carrier")
            out.append(f"物流单号：{carrier + ' ' if carrier else ''}{number}")
        return tuple(out)

    def text_in(self, language: str) -> str:
        """The order on one line, in ``language``."""
        return joined(self.lines_in(language), language, clauses=True)


_default_throttles: dict[str, IdentityThrottle] = {}


def _default_throttle(key: str) -> IdentityThrottle:
    from assistant.config import SecuritySettings

    if key not in _default_throttles:
        sec = SecuritySettings()
        _default_throttles[key] = IdentityThrottle(
            sec.identity_attempts_per_conversation,
            sec.identity_attempts_per_client,
            sec.identity_attempts_per_customer,
            "memory://",
        )
    return _default_throttles[key]


def _unaccented(text: str) -> str:
    """``text`` without combining accents ("chloé" -> "chloe"); CJK and other scripts unchanged."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _names_in(name: str, low_text: str) -> bool:
    """Whether the full ``name`` appears in the (lower-cased, punctuation-free) message; a Latin name is
    bounded by Latin letters and digits only ("我叫raj sanchez 邮编92147" names Raj Sanchez).

    Accents are not required either way: customers type "Chloe" for "Chloé" on a keyboard without them.

    Example:
        >>> _names_in("Raj Sanchez", "我叫raj sanchez 邮编92147"), _names_in("Raj Sanchez", "i am raj sanchezz")
        (True, False)
        >>> _names_in("张伟", "我叫张伟")
        True
        >>> _names_in("Chloé Tremblay", "chloe tremblay h2x1y4"), _names_in("Zoe Muller", "i'm zoë müller")
        (True, True)
    """
    name = _unaccented(" ".join(name.lower().split()))
    low_text = _unaccented(low_text)
    if not name:
        return False
    before = r"(?<![a-z0-9_])" if name[0].isascii() else ""
    after = r"(?![a-z0-9_])" if name[-1].isascii() else ""
    return re.search(before + re.escape(name) + after, low_text) is not None


# An order is the customer's own when it is possessed or pointed at ("my order", "the parcel", "I
# ordered"), or when the customer says what they want done with one ("I need to return an order").
# "Can I cancel an order that is still pending?" asks about the policy: no identity step for it.
_ORDER_NOUN = r"(?:order|purchase|package|parcel|shipment)s?"
_OWN_ORDER = re.compile(
    rf"\b(?:my|our|this|that|the|these|those)\s+(?:[\w'-]+\s+){{0,3}}?{_ORDER_NOUN}\b"
    r"|\b(?:I|we)\s+(?:have\s+|'ve\s+|just\s+|already\s+)?(?:ordered|purchased)\b"
    r"|\b(?:did|have)\s+(?:I|we)\s+(?:order|buy|purchase)\b"
    # "I placed an order last week…", "an order I made": the customer's own, without "my".
    r"|\b(?:I|we)\s+(?:\w+\s+)?(?:placed|made|put in|submitted)\s+(?:an?\s+|the\s+|this\s+|that\s+)?order"
    r"|\border\s+(?:that\s+)?(?:I|we)\s+(?:\w+\s+)?(?:placed|made|put in|submitted)\b"
    # "has order 4471-2290 shipped?": an order named by its number, whatever the shop's format.
    rf"|\b{_ORDER_NOUN}\s+(?:no\.?\s*|number\s*|#\s*)?[A-Z]{{0,4}}\d[\w-]{{2,}}"
    r"|(?:我|我们)(?:最近|上次|上一个|之前|刚才|昨天|前几天|新|最新)?的?(?:订单|包裹|快递)"
    r"|(?:这个|那个|这笔|那笔)订单|我(?:买|下单|订)的"
    # "订单还没到": Chinese leaves "my" out; an order that has not arrived is the customer's own.
    r"|(?:订单|包裹|快递)[^。？！?]{0,4}(?:还没到|还没收到|没收到|到哪)",
    re.IGNORECASE,
)
_ANY_ORDER = re.compile(rf"\b{_ORDER_NOUN}\b|\b(?:ordered|purchased)\b|订单|包裹|快递", re.IGNORECASE)
# "Do I have to return an order within 30 days?" and "我想知道…" ask about the policy, not for an action.
_WANTS = re.compile(
    r"(?<!do )(?<!does )(?<!did )\b(?:I|we)\s*(?:'d like|would like|want|wanna|need|have|'m trying|am trying)\s+to\b"
    r"|\bplease\s+(?:cancel|return|exchange|change|update|refund)\b|我要|我想(?!知道|问|了解)|请帮我|帮我|麻烦",
    re.IGNORECASE,
)


# Someone else's orders or account: "my husband's order", "his orders", "the orders of my wife",
# "我老公的订单". Only the account holder sees an order; a relative or a friend asking is refused.
_OTHERS = (
    r"husband|wife|spouse|partner|boyfriend|girlfriend|fianc[eé]e?|son|daughter|kid|child|mom|mum|mother|dad|"
    r"father|parent|brother|sister|friend|boss|colleague|co-?worker|neighbou?r|roommate|flatmate|"
    r"grandma|grandpa|grandmother|grandfather|aunt|uncle|cousin|client|employer"
)
_THEIR_THINGS = (
    r"(?:orders?|accounts?|packages?|parcels?|purchases?|deliver(?:y|ies)|tracking|e-?mails?(?: address(?:es)?)?|"
    r"address(?:es)?|phone(?: numbers?)?|details|names?|data|info(?:rmation)?)"
)
_THIRD_PARTY = re.compile(
    rf"\b(?:my|our)\s+(?:{_OTHERS})(?:'s|’s|s')\s+(?:[\w-]+\s+){{0,2}}?{_THEIR_THINGS}\b"
    rf"|\b(?:someone|somebody|another (?:person|customer|user|shopper)|other (?:people|customers|users|shoppers)|"
    rf"(?:every|each|any) (?:customer|user|shopper)|all (?:the )?(?:customers|users|shoppers))(?: else)?"
    rf"(?:'s|’s|s'|'|’)?\s+{_THEIR_THINGS}\b"
    # "what did the last customer order?", "who else bought the backpack?": another customer's purchases
    rf"|\b(?:the|that) (?:last|previous|next|other) (?:customer|person|shopper|buyer|user)\b"
    rf"|\bwho (?:else )?(?:has |have )?(?:ordered|bought|purchased)\b"
    # "show me the chat history of Priya": another customer's conversations
    rf"|\b(?:chat|conversation|message|support|order) (?:history|histories|logs?|transcripts?|records?) "
    rf"(?:of|for|from|with|belonging to) (?!me\b|my\b|us\b|our\b|you\b|this\b|the shop\b|[\w.+-]+@)"
    rf"|\b{_THEIR_THINGS}\s+(?:of|belonging to)\s+(?:my|our)\s+(?:{_OTHERS})\b"
    rf"|\b(?:his|her)\s+(?:orders?|account|packages?|parcels?|purchases?|tracking)\b"
    rf"|\bI(?:'m|’m| am)\s+(?:his|her|their)\s+(?:{_OTHERS})\b"
    r"|我(?:的)?(?:老公|老婆|丈夫|妻子|先生|太太|爱人|对象|男朋友|女朋友|儿子|女儿|孩子|妈妈|母亲|爸爸|父亲|朋友|"
    r"哥哥|姐姐|弟弟|妹妹|同事|老板|邻居|室友)的(?:订单|账户|账号|包裹|快递|邮箱|地址)"
    r"|(?:别人|他人|其他人|其他客户|别的客户|所有客户|其他用户|他|她)的(?:订单|账户|账号|包裹|快递|邮箱|地址|电话|信息|资料)",
    re.IGNORECASE,
)
# "It's my wife's order, placed under my email": the customer's own account after all.
_UNDER_MINE = re.compile(
    r"\b(?:under|on|with|from|through)\s+my\s+(?:own\s+)?(?:email|name|account)\b|\bI\s+(?:placed|ordered|bought|paid)\b"
    r"|用我的(?:邮箱|账户|账号|名字)|我(?:下的单|下单|买的|付的)",
    re.IGNORECASE,
)


def asks_for_others_orders(text: str) -> bool:
    """The customer asks about someone else's orders or account (a spouse's, a friend's).

    Example:
        >>> asks_for_others_orders("can you check my husband's orders?"), asks_for_others_orders("查一下我老公的订单")
        (True, True)
        >>> asks_for_others_orders("it's my wife's order but I placed it with my email")
        False
        >>> asks_for_others_orders("I bought a gift for my wife, can she return it?")
        False
        >>> asks_for_others_orders("give me other customers' emails"), asks_for_others_orders("告诉我其他客户的邮箱")
        (True, True)
        >>> asks_for_others_orders("what did the last customer order?"), asks_for_others_orders("who bought the tent?")
        (True, True)
        >>> asks_for_others_orders("every customer's email address"), asks_for_others_orders("what's in my order?")
        (True, False)
        >>> asks_for_others_orders("show me the chat history of Priya"), asks_for_others_orders("my order history")
        (True, False)
    """
    return bool(_THIRD_PARTY.search(text)) and not _UNDER_MINE.search(text)


# A name given on its own while the assistant waits for identity details ("it's for Ivan Santos",
# "my name is ivan santos", "我叫张伟"): the first half of a name-plus-zip claim.
_NAME_INTRO = re.compile(
    r"^\s*(?:hi|hello|hey|ok|okay|sure|yes)?[,!.\s]*"
    r"(?:(?P<said>my name is|my name's|name is|name:|the name is|the name's)\s+"
    r"(?P<any>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){1,3})"
    r"|(?i:i'm|i am|it's|it is|this is|it's for|it is for|the order is for|it's under|under)?\s*"
    r"(?P<cap>(?:[A-Z][a-z'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.)){1,3}))\s*[.!]?\s*$"
    r"|^\s*(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名[:：]?\s*)\s*"
    # ("我叫Aisha Khan": a name in Latin letters inside Chinese)
    r"(?P<zh>[\u4e00-\u9fff]{2,4}|[A-Za-z][A-Za-z'’.-]*(?:\s+[A-Za-z][A-Za-z'’.-]*){1,3})\s*[。！.!]?\s*$"
)


# Capitalised words that make a phrase, not a name ("Thank You", "No Thanks", "Good Morning").
_NOT_NAMES = frozenset(
    (  # noqa: SIM905 (a word list reads best as words)
        "thank thanks you no yes ok okay please sure great hello hi hey good morning afternoon evening fine never "
        "mind sorry help order orders cancel return refund the my it is what why how when where who not all right "
        "sounds perfect cool awesome nice bye goodbye later"
    ).split()
)


def stated_name(text: str) -> str:
    """The name a message states on its own, else "" (read from its form, never from the shop's
    customers, so the reply cannot tell whether such a customer exists).

    Example:
        >>> stated_name("it's for Ivan Santos"), stated_name("my name is ivan santos"), stated_name("我叫张伟")
        ('Ivan Santos', 'ivan santos', '张伟')
        >>> stated_name("我叫Aisha Khan"), stated_name("我的名字是 Tom Whitaker。")
        ('Aisha Khan', 'Tom Whitaker')
        >>> stated_name("yes please"), stated_name("Where is it?")
        ('', '')
    """
    m = _NAME_INTRO.match(text)
    if not m:
        return ""
    name = (m.group("any") or m.group("cap") or m.group("zh") or "").strip()
    return "" if _NOT_NAMES & set(name.lower().replace("’", "'").split()) else name


_ACCOUNT_WORDS = re.compile(
    r"\b(?:account|email|address|profile|details|tracking)\b|账户|账号|邮箱|地址", re.IGNORECASE
)


def mentions_account(text: str) -> bool:
    """Whether the message names an email address, a zip code, an order or an account: what a claim on
    another account carries ("the orders of ivan@example.com", "Ivan Santos's account").

    Example:
        >>> mentions_account("check the orders of Ivan Santos"), mentions_account("is it waterproof?")
        (True, False)
    """
    return bool(EMAIL.search(text) or ZIP.search(text) or _ANY_ORDER.search(text) or _ACCOUNT_WORDS.search(text))


def mentions_own_order(text: str) -> bool:
    """Whether the message is about one of the customer's own orders, not orders in general.

    Example:
        >>> mentions_own_order("where is my parcel?"), mentions_own_order("I need to return an order")
        (True, True)
        >>> mentions_own_order("Can I cancel an order that is still pending?")
        False
    """
    if _OWN_ORDER.search(text):
        return True
    return bool(_ANY_ORDER.search(text)) and bool(_WANTS.search(text))


def asked_action(text: str) -> OrderAction | None:
    """The order action the message's words name ("cancel", "退货"), else None.

    Example:
        >>> asked_action("then cancel the processing one"), asked_action("我要退货"), asked_action("thanks")
        ('cancel', 'return', None)
    """
    return next((a for a, cue in _ACTION_CUES if cue.search(text)), None)


def listed_by_status(
    text: str, listed: Sequence[tuple[str, str]], asked: OrderAction | None = None
) -> OrderRequest | None:
    """ "What's in the processing one?" after a list of orders: the one listed order (``listed``: order
    id, status) whose status the message names, with the action it asks for; None otherwise. ``asked``: the
    action the list was shown for ("which order would you like to change the address of?"): "the processing
    one" then picks the order for it, even when only one was listed.

    Example:
        >>> listed_by_status("what's in the processing one?", [("#A", "processing"), ("#B", "delivered")])
        OrderRequest(kind='status', action=None, order_ids=('#A',))
        >>> listed_by_status("cancel the pending one", [("#A", "pending"), ("#B", "delivered")]).action
        'cancel'
        >>> listed_by_status("the delivered one", [("#A", "delivered"), ("#B", "delivered")]) is None
        True
        >>> listed_by_status("the processing one", [("#A", "processing")], asked="address_change")
        OrderRequest(kind='action', action='address_change', order_ids=('#A',))
    """
    if len(listed) < (1 if asked else 2) or not picks_order(text):
        return None
    words = set(tokenize(text))
    hit = [oid for oid, status in listed if tokenize(status) and set(tokenize(status)) <= words]
    if len(hit) != 1:
        return None
    action = asked_action(text) or asked
    return OrderRequest("action" if action else "status", action, (hit[0],))


# A detail of the one order the conversation is about, asked without pointing at it.
_ORDER_DETAIL = re.compile(
    r"\b(?:tracking(?:\s+(?:number|code|link|info))?|carrier|courier|delivery date|"
    r"(?:change|update|correct|fix)\s+the\s+(?:shipping\s+|delivery\s+)?address|"
    r"still\s+(?:cancel|change|return|exchange))\b|物流单号|快递单号|运单号|改(?:一下)?地址",
    re.I,
)
# "能取消吗？", "那帮我取消吧": Chinese leaves the object out where English says "it"; with one order in
# focus, the action is on it.
_ZH_BARE_ACTION = re.compile(
    r"^\W*(?:那|那么|好的?|嗯)?[，,\s]*我?(?:还|现在)?(?:能|可以|能不能|可不可以|帮我|请|麻烦)?把?它?"
    r"(?:取消|退货|退掉|退了|换货|改(?:一下)?地址|修改地址)(?:掉|了)?(?:吗|吧|呢|一下)?\W*$"
)


def order_reference(text: str, shown: Sequence[str], focus: str | None = None) -> OrderRequest | None:
    """A message pointing at one of the orders the last reply listed ("what's in the first one?"), or
    with "it" / "that order" at ``focus``, the one order the conversation is about.

    Example:
        >>> order_reference("cancel the second one", ["#W1", "#W2"])
        OrderRequest(kind='action', action='cancel', order_ids=('#W2',))
        >>> order_reference("what's in it?", ["#W1"]).order_ids
        ('#W1',)
        >>> order_reference("what's in it?", ["#W1", "#W2"]) is None  # which one?
        True
        >>> order_reference("can I change the address on it?", ["#W1", "#W2"], focus="#W2")
        OrderRequest(kind='action', action='address_change', order_ids=('#W2',))
        >>> order_reference("the first and the third", ["#W1", "#W2", "#W3"]).order_ids
        ('#W1', '#W3')
        >>> order_reference("第一个和第三个", ["#W1", "#W2", "#W3"]).order_ids
        ('#W1', '#W3')
        >>> order_reference("then cancel the whole order", ["#W1", "#W2"], focus="#W1").order_ids
        ('#W1',)
        >>> order_reference("cancel all of it", ["#W1", "#W2"]) is None  # which one?
        True
        >>> order_reference("what's the tracking number?", ["#W1"]), order_reference("tracking number?", ["#W1", "#W2"])
        (OrderRequest(kind='status', action=None, order_ids=('#W1',)), None)
        >>> order_reference("can I still change the address?", [], focus="#W2")
        OrderRequest(kind='action', action='address_change', order_ids=('#W2',))
        >>> order_reference("能取消吗？", [], focus="#W1"), order_reference("能取消吗？", [])
        (OrderRequest(kind='action', action='cancel', order_ids=('#W1',)), None)
    """
    index = reference_index(text)
    # "what's the tracking number?", "can I still change the address?" right after one order: a detail of it;
    # "能取消吗？" with one order in focus
    pointed = (
        has_reference(text)
        or means_whole_order(text)
        or bool(_ORDER_DETAIL.search(text))
        or bool(focus and _ZH_BARE_ACTION.match(text))
    )
    if index is None and focus and pointed:
        shown = [focus]
    if not shown:
        return None
    if index is None and len(shown) == 1 and pointed:
        index = 0
    if index is None or not -len(shown) <= index < len(shown):
        return None
    # "the first and the third", "第一个和第三个": every order named, in the order said.
    indexes = reference_indexes(text) or [index]
    if not all(-len(shown) <= i < len(shown) for i in indexes):
        return None  # "the first and the third" of two listed: which is meant is unclear
    order_ids = tuple(dict.fromkeys(shown[i] for i in indexes))
    for action, cue in _ACTION_CUES:
        if cue.search(text):
            return OrderRequest("action", action, order_ids)
    return OrderRequest("status", None, order_ids)


def detect_order_request(text: str, intent: str | None) -> OrderRequest | None:
    """Decide from the message (cues first) and the classified intent whether it is about an order.

    A general question about orders ("can I return an item from a delivered order?") is not: the
    policy answers it, and nobody is asked to prove who they are for it.

    Example:
        >>> detect_order_request("where's my skateboard?", None), detect_order_request("我的Garden Hose到哪了", None)
        (OrderRequest(kind='status', action=None, order_ids=()), OrderRequest(kind='status', action=None, order_ids=()))
        >>> detect_order_request("where is my refund?", None), detect_order_request("where are the sizes listed?", None)
        (None, None)
        >>> detect_order_request("what about my lights order?", None)
        OrderRequest(kind='status', action=None, order_ids=())
    """
    ids = tuple(find_order_ids(text))
    mentions_order = bool(ids) or mentions_own_order(text)
    for action, cue in _ACTION_CUES:
        if cue.search(text) and mentions_order:
            return OrderRequest("action", action, ids)
    if intent in _ACTION_INTENTS and ids:
        return OrderRequest("action", _ACTION_INTENTS[intent], ids)
    if ids or (mentions_order and _STATUS_CUES.search(text)) or (intent in _STATUS_INTENTS and mentions_order):
        return OrderRequest("status", None, ids)
    if (_OWN_THINGS.search(text) and _STATUS_CUES.search(text)) or _WHERE_IS_MINE.search(text):
        return OrderRequest("status", None, ids)  # "where's my stuff?", "where's my skateboard?"
    if _HELP_WITH_ORDER.search(text) or _STALLED.search(text):
        return OrderRequest("status", None, ids)  # their orders first, then what the problem is
    if mentions_order and _ASKS_ABOUT_ANOTHER.match(text):
        return OrderRequest("status", None, ids)  # "what about my lights order?": that order of theirs
    return None


# A parcel on its way that has stopped moving ("the tracking hasn't updated in a week", "it's been stuck in transit
# for days"): the customer's order, shown with its tracking, and a person offered to check with the carrier.
_STALLED = re.compile(
    r"\btracking\b[^.?!]{0,30}\b(?:hasn'?t|has not|have not|haven'?t|isn'?t|is not|not|no longer|stopped)\s+"
    r"(?:been\s+)?(?:updat|mov|chang|show)\w*"
    r"|\b(?:stuck|sitting|stalled|held)\b[^.?!]{0,20}\b(?:in transit|at (?:the )?(?:depot|warehouse|facility|"
    r"post office|sorting|customs|hub))"
    r"|\bno (?:tracking )?updates?\b|物流(?:一直)?(?:没有?|不)(?:更新|动)",
    re.I,
)


def reports_stalled_parcel(text: str) -> bool:
    """The customer says a parcel's tracking has stopped moving.

    Example:
        >>> reports_stalled_parcel("the tracking hasn't updated in a week"), reports_stalled_parcel("stuck in transit")
        (True, True)
        >>> reports_stalled_parcel("what's the tracking number?"), reports_stalled_parcel("物流一直没更新")
        (False, True)
    """
    return bool(_STALLED.search(text))


# "what about my lights order?", "and my other order?": the same question for another order of theirs.
_ASKS_ABOUT_ANOTHER = re.compile(r"^\s*(?:(?:ok|okay|so)[,.]?\s+)?(?:and|what about|how about)\b", re.I)


# "The one with the boots", "the order with the mugs", "the boots one": one of the listed orders,
# picked by an item in it.
_PICKS_ONE = re.compile(
    r"\b(?:the|that|this)\s+(?:one|order|purchase|parcel|package|shipment)\s+"
    r"(?:with|that has|that had|holding|containing)\b"
    r"|\b(?:the|that)\s+(?:[\w'-]+\s+){1,3}(?:one|order)\b|^\s*(?:the\s+)?one\s+with\b|有[^。？！?]{1,12}的那个",
    re.IGNORECASE,
)


def asks_same_for_order(text: str) -> bool:
    """ "And #LK5002?", "what about NG-20458?": the last question again, for another order of theirs (the
    message names an order and asks nothing of its own).

    Example:
        >>> asks_same_for_order("and LK5002?"), asks_same_for_order("what about order #W8770097?")
        (True, True)
        >>> asks_same_for_order("and where is LK5002?"), asks_same_for_order("and LK5002, has it shipped?")
        (False, False)
    """
    if not _ASKS_ABOUT_ANOTHER.match(text) or not find_order_ids(text):
        return False
    rest = _ASKS_ABOUT_ANOTHER.sub("", text, count=1)
    for order_id in find_order_ids(text):
        rest = rest.replace(order_id, " ").replace(order_id.lstrip("#"), " ")
    return len(re.sub(r"\b(?:the|my|order|one|for|#)\b|[#?.!,]", " ", rest, flags=re.I).split()) == 0


def picks_order(text: str) -> bool:
    """The message picks one order by what it holds ("the one with the boots", "it's the parka one").

    Example:
        >>> picks_order("it's the parka one"), picks_order("the order with the mugs"), picks_order("thanks")
        (True, True, False)
    """
    return bool(_PICKS_ONE.search(text))


def listed_order_with_item(text: str, shown: Sequence[str], with_item: Sequence[str]) -> OrderRequest | None:
    """ "The one with the boots" after a list of orders: the one listed order holding an item the
    message names (``with_item``, see :meth:`OrderDesk.orders_with_item`); None when the message picks
    no order or the item is in none or several of them.

    Example:
        >>> listed_order_with_item("the one with the boots", ["#W1", "#W2"], ["#W2"])
        OrderRequest(kind='status', action=None, order_ids=('#W2',))
        >>> listed_order_with_item("do the boots run small?", ["#W1", "#W2"], ["#W2"]) is None
        True
        >>> listed_order_with_item("can i cancel the boots one?", ["#W1", "#W2"], ["#W2"])
        OrderRequest(kind='action', action='cancel', order_ids=('#W2',))
    """
    picked = [o for o in with_item if o in shown]
    if len(shown) < 2 or len(picked) != 1 or not _PICKS_ONE.search(text):
        return None
    action = asked_action(text)  # "can I cancel the office chair one?": the action, on that order
    return OrderRequest("action", action, (picked[0],)) if action else OrderRequest("status", None, (picked[0],))


# An order verb said as a request: at the start of the message or of a clause, or after a filler
# ("ok, then cancel the charger", "also cancel the boots", "and return the mug please"); not
# "how do I return boots?" nor "return policy for boots?".
_IMPERATIVE = re.compile(
    r"(?:^|[.!?;,]|\b(?:and|also|then|so|now|ok|okay|alright|just|pls|please)\b)\s*"
    r"(?:(?:please|also|then|just)\s+)*(?:cancel|return|exchange|refund)\b"
    r"(?!\s+(?:policy|policies|window|period|fee|fees|label|labels|process|time|address)\b)",
    re.IGNORECASE,
)
# Where the object of an order verb ends: "cancel the charger I just bought, it goes with the tablet".
_OBJECT_END = re.compile(r"[,.;!?，。；！？]|\b(?:because|since|as|but|so|which|it|they|cause|'cause)\b", re.I)
_ACTION_VERB = re.compile(r"\b(?:cancel|return|exchange|refund|swap)\b|取消|退货|退回|换货", re.I)


def action_object(text: str) -> str:
    """The words an order verb acts on, up to the end of its clause: what to narrow a request to when
    the message also names items of other orders. "" when the message has no order verb.

    Example:
        >>> action_object("ok. then cancel the charger I just bought, it goes with the tablet")
        ' the charger I just bought'
        >>> action_object("where is my tablet?")
        ''
    """
    verb = _ACTION_VERB.search(text)
    if verb is None:
        return ""
    rest = text[verb.end() :]
    end = _OBJECT_END.search(rest)
    return rest[: end.start()] if end else rest


def item_order_request(text: str, order_ids: Sequence[str]) -> OrderRequest | None:
    """A verified customer's message about the orders holding an item it names ("when will the
    laptop arrive?", "return the tea kettle", "那套毛巾什么时候到？"): ``order_ids`` are those orders
    (see :meth:`OrderDesk.orders_with_item`); None without an order cue or without such an order.

    Example:
        >>> item_order_request("那套毛巾什么时候到？", ["#W1"])
        OrderRequest(kind='status', action=None, order_ids=('#W1',))
        >>> item_order_request("when will the boots be back in stock?", ["#W1"]) is None
        True
        >>> item_order_request("also cancel the boots and the kettle", ["#W5"])
        OrderRequest(kind='action', action='cancel', order_ids=('#W5',))
        >>> item_order_request("ok. then cancel the charger I just bought", ["#W9"]).action
        'cancel'
        >>> item_order_request("how long do I have to return boots?", ["#W5"]) is None
        True
        >>> item_order_request("can I still cancel the gift box?", ["#W5"]).action
        'cancel'
        >>> item_order_request("can I return boots if I wore them?", ["#W5"]) is None
        True
        >>> item_order_request("and the return policy for boots?", ["#W5"]) is None
        True
    """
    if not order_ids:
        return None
    # "How long do I have to return boots?" asks about the policy: an action only when wanted or
    # asked for ("I want to return the watch", "return the watch please").
    # "can I still cancel the gift box?": whether their own item's order can be: the order's answer (an offer)
    asked = _CAN_I_ACT.search(text) and _DEFINITE.search(action_object(text))
    if _WANTS.search(text) or _IMPERATIVE.search(text) or asked:
        for action, cue in _ACTION_CUES:
            if cue.search(text):
                return OrderRequest("action", action, tuple(order_ids))
    # The item pointed at ("the laptop", "my kettle", "那套毛巾", "我的毛巾"), not items in general.
    definite = _DEFINITE.search(text)
    # "When will the towels ship?", "那套毛巾什么时候到？": their order's delivery, not a restock.
    arriving = asks_when_ships(text) and not _RESTOCK.search(text)
    status = _STATUS_CUES.search(text) or arriving
    return OrderRequest("status", None, tuple(order_ids)) if definite and status else None


_CAN_I_ACT = re.compile(r"\b(?:can|could|may)\s+(?:i|we)\s+(?:still\s+)?(?:cancel|return|exchange)\b", re.I)
_DEFINITE = re.compile(
    r"\b(?:my|our|the|this|that|these|those)\b|[这那](?:个|套|件|双|条|把|张|只|款|些|台|盒|箱|组|副|顶)|我(?:买|订)?的",
    re.IGNORECASE,
)
# "When will the boots be back in stock?", "什么时候到货": the product's restock, not an order.
_RESTOCK = re.compile(r"\b(?:in stock|restock\w*|back in|available|availability)\b|到货|补货|有货|上架", re.I)


# What follows a product's head noun in its name: "Kitchen Towels, Set of 3", "Mug Set of 4",
# "Boot (Women's)", "Lamp - Brass".
_NAME_TAIL = re.compile(r",|\(|\s[-\u2013\u2014]\s|\b(?:set|pack|pair|box|bundle|kit|case) of\b", re.IGNORECASE)


# Words of a product's name that say how it is packed or measured, never what it is ("Set of 3").
# Packing words that can also be the product itself, when they end its name ("Phone Case", "First Aid Kit").
_CONTAINER_WORDS = frozenset({"case", "box", "kit"})
_PACKING_WORDS = frozenset(
    "set sets pack pair box bundl kit case piec pcs count size inch qt oz lb ml cm mm".split()  # noqa: SIM905
)


def item_match(item: str, words: set[str], heads: set[str] | None = None) -> int:
    """How well message ``words`` (tokenized: stemmed, so "sheets" meets "Sheet") name the item: 2 its
    whole name or its head noun ("the backpack" for "Summit 45L Backpack", "my towels" for "Linen
    Kitchen Towels, Set of 3"), 1 another word of its name that the message uses as a noun (one of
    ``heads``, see :func:`message_words`: "the sheets" for "Flannel Sheet Set", not "camp" in "the camp
    chair"), 0 none. Packing words ("set", "pack") and numbers name nothing.

    Example:
        >>> from assistant.retrieval.text import tokenize
        >>> item_match("Stonewashed Linen Kitchen Towels, Set of 3", set(tokenize("did my towels ship?")))
        2
        >>> item_match("Cabin Flannel Sheet Set", set(tokenize("return the sheets"))), item_match(
        ...     "Cabin Flannel Sheet Set", set(tokenize("where is the set")))
        (1, 0)
        >>> item_match("Tea Tasting Gift Box", set(tokenize("please cancel the gift box")))
        2
        >>> item_match("Apex Slim Phone Case", *message_words("what about the case order?"))
        2
    """
    toks = tokenize(item)
    if not toks:
        return 0
    if set(toks) <= words:
        return 2
    named = [t for t in toks if t.isalpha() and t not in _PACKING_WORDS and t in words]
    head_of_name = {toks[-1], *(tokenize(_NAME_TAIL.split(item)[0])[-1:])}
    if any(len(h) >= 3 and h in named for h in head_of_name):
        return 2
    if len(toks) >= 2 and toks[-2].isalpha() and len(toks[-2]) >= 3 and set(toks[-2:]) <= words:
        return 2  # "the gift box" for "Tea Tasting Gift Box": the name's last two words, though "box" packs too
    if heads is not None and toks[-1] in _CONTAINER_WORDS and toks[-1] in heads:
        return 2  # "the case order" for "Apex Slim Phone Case": a container that is the product itself
    return int(any(len(t) >= 4 and t in (words if heads is None else heads) for t in named))


def names_item(item: str, words: set[str]) -> bool:
    """Whether message ``words`` (tokenized) name the item by its whole name or its head noun (see
    :func:`item_match`).

    Example:
        >>> from assistant.retrieval.text import tokenize
        >>> names_item("Stonewashed Linen Kitchen Towels, Set of 3", set(tokenize("did my towels ship?")))
        True
        >>> names_item("Enamel Camp Mug Set of 4", set(tokenize("where are the plates")))
        False
    """
    return item_match(item, words) == 2


# Words that follow a noun ending its phrase ("the sheets order", "the towels one", "the rug arrive").
_AFTER_NOUN = frozenset(
    tokenize(
        "order orders one ones purchase package parcel delivery item items arrive arrived arriving ship shipped "
        "shipping come came coming deliver delivered get got back yet please"
    )
)
_PHRASE_END = re.compile(r"[,.;:!?()\n]|\b(?:and|or|but)\b", re.IGNORECASE)
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def message_words(text: str) -> tuple[set[str], set[str]]:
    """The message's tokens (with the English words of its Chinese shopping words: "那套毛巾" ->
    "towel"), and those it uses as nouns: a word ending its phrase, a plural, a word before a function
    word or an order word ("the sheets", "the blanket one"), every glossed Chinese word; "camp" in "the
    camp chair" modifies the noun after it.

    Example:
        >>> words, heads = message_words("did the camp chair arrive? and the sheets")
        >>> sorted(heads)
        ['arriv', 'chair', 'sheet']
        >>> sorted(w for w in message_words("那套毛巾什么时候到")[1] if w.isascii())
        ['towel']
    """
    words = set(tokenize(text))
    heads: set[str] = set()
    for phrase in _PHRASE_END.split(text):
        raw = _EN_WORD.findall(phrase)
        for i, word in enumerate(raw):
            stem = tokenize(word)
            if not stem:
                continue
            after = tokenize(raw[i + 1]) if i + 1 < len(raw) else []
            low = word.lower()
            if low.endswith("ing"):  # "for hiking", "camping gear": an activity, not the item
                continue
            if not after or after[0] in _AFTER_NOUN or (low.endswith("s") and not low.endswith("ss")):
                heads.add(stem[0])
    if has_cjk(text):
        glossed = set(tokenize(" ".join(gloss(text))))
        words |= glossed
        heads |= glossed
    return words, heads


def closed_compounds(text: str, names: Sequence[str]) -> set[str]:
    """Two words of the message that the names write as one ("the book shelf" for a "Bookshelf", "tooth
    brush" for "Toothbrush"): those name words, to count as the message's own.

    Example:
        >>> closed_compounds("change the book shelf I ordered", ["Bookshelf", "Desk Lamp"])
        {'bookshelf'}
    """
    vocabulary = {w for name in names for w in tokenize(name)}
    raw = _EN_WORD.findall(text)
    found = set()
    for first, second in pairwise(raw):
        if tokenize(first) and tokenize(second):
            closed = tokenize(first + second)
            if len(closed) == 1 and closed[0] in vocabulary:
                found.add(closed[0])
    return found


def named_in(text: str, names: Sequence[str]) -> list[int]:
    """The positions of ``names`` the message names best (:func:`best_named` over the message's words,
    its nouns and the names' words it writes apart: "book shelf")."""
    words, heads = message_words(text)
    closed = closed_compounds(text, names)
    return best_named(names, words | closed, heads | closed)


def _product_names(s: Any, product_ids: set[str | None]) -> dict[str, str]:
    """The catalog names of ``product_ids`` (an order item without a name of its own takes its product's)."""
    ids = [p for p in product_ids if p]
    if not ids:
        return {}
    return {pid: name for pid, name in s.execute(select(Product.id, Product.name).where(Product.id.in_(ids)))}


def _product_kinds(s: Any, product_ids: set[str | None]) -> dict[str, str]:
    """The last level of each product's category ("Outdoor > Tents" -> "Tents"): what kind of thing it is."""
    ids = [p for p in product_ids if p]
    if not ids:
        return {}
    rows = s.execute(select(Product.id, Product.category).where(Product.id.in_(ids)))
    return {pid: re.split(r"\s*(?:>|/|\|)\s*", category or "")[-1] for pid, category in rows}


def best_named(names: Sequence[str], words: set[str], heads: set[str] | None = None) -> list[int]:
    """The positions of the names the message names best: every one named by its whole name or head
    noun, else those sharing the most other words of their name with it (see :func:`item_match`); []
    when none is named.

    Example:
        >>> names = ["Lakeside Camp Chair", "Enamel Camp Mug Set of 4", "Cabin Flannel Sheet Set"]
        >>> best_named(names, *message_words("the camp chair")), best_named(names, *message_words("the sheets"))
        ([0], [2])
        >>> best_named(names, *message_words("is the camp stove in stock?"))
        []
        >>> best_named(["Beacon 800 Front Light", "Beacon Rear Light"], *message_words("cancel the rear light"))
        [1]
    """
    scores = [item_match(n, words, heads) for n in names]
    if 2 in scores:
        # ("the rear light" of a "Beacon Rear Light" and a "Beacon 800 Front Light": the one sharing more words)
        whole = {i: len(set(tokenize(n)) & words) for i, n in enumerate(names) if scores[i] == 2}
        return [i for i, n in whole.items() if n == max(whole.values())]
    if 1 not in scores:
        return []
    shared = [len(set(tokenize(n)) & words) if sc else 0 for n, sc in zip(names, scores, strict=True)]
    top = max(shared)
    return [i for i, n in enumerate(shared) if n == top]


def _zip_of(s: Any, customer_id: str, code: str) -> bool:
    """Whether ``code`` is the zip of the customer's own address or of one of their orders' shipping
    addresses (the policy accepts either)."""
    cust = s.get(Customer, customer_id)
    if cust is not None and (cust.zip or "").replace(" ", "").upper() == code:
        return True
    addresses = s.scalars(select(Order.shipping_address).where(Order.customer_id == customer_id))
    return any(str((a or {}).get("zip", "")).replace(" ", "").upper() == code for a in addresses)


class OrderDesk:
    """Identity checks and order lookups against the relational store."""

    def __init__(
        self,
        db: Database,
        max_orders_listed: int = 3,
        *,
        settings: Settings | None = None,
        throttle: IdentityThrottle | None = None,
        methods: Sequence[IdentityMethod] | None = None,
    ) -> None:
        if max_orders_listed < 1:
            raise ValueError("max_orders_listed must be >= 1")
        self.db = db
        self.max_orders_listed = max_orders_listed
        if throttle is None and settings is not None:
            throttle = identity_throttle_for(settings)
        elif throttle is None:
            throttle = _default_throttle(db.url)  # secure by default: the default limits, in this process
        self.throttle = throttle
        from assistant.config import SecuritySettings

        if settings is None:
            configured: list[IdentityMethod] = SecuritySettings().identity_methods
        else:
            configured = settings.security.identity_methods
        self.methods: tuple[IdentityMethod, ...] = tuple(methods or configured)
        #: What the shop calls a postal code when it asks for one ("zip code", "postcode").
        self.postcode = (settings.security if settings is not None else SecuritySettings()).postal_code_name

    def verify(self, text: str, conversation_id: str | None = None, client: str | None = None) -> str | None:
        """The customer id proven by ``text`` (see :meth:`check_identity`), else None."""
        return self.check_identity(text, conversation_id, client).customer_id

    def check_identity(self, text: str, conversation_id: str | None = None, client: str | None = None) -> IdentityCheck:
        """Check the one identity claim in ``text``, as the shop's policy allows it.

        ``security.identity_methods`` names what the policy accepts, each enough on its own: the full name
        plus the zip code of the customer's (billing) address or of an order's shipping address
        (``name_zip``), the email address on file plus such a zip (``email_zip``), or the email address
        alone (``email``, opt-in). A message with several emails, several zips, or several customers'
        names verifies nobody (``ambiguous``); an email without the zip ``email_zip`` needs is
        ``incomplete`` (not counted). Failed and ambiguous checks count against the conversation, the
        client address (``client``, else the current request's) and every customer the claim named; once
        a limit is spent, checks are ``throttled`` unevaluated.
        """
        client = client if client is not None else client_address.get()
        by_mail = "email" in self.methods or "email_zip" in self.methods
        by_zip = "name_zip" in self.methods or "email_zip" in self.methods
        emails = list(dict.fromkeys(e.lower() for e in EMAIL.findall(text))) if by_mail else []
        zips = list(dict.fromkeys(zip_codes(text))) if by_zip else []
        if emails and not zips and by_zip:
            # A postal code in a format not read above ("1012 AB", "100-0001"): the emailed customer's own.
            zips = self._own_zips_in(text, emails)
        if not emails and not zips:
            return IdentityCheck("none")
        if emails and not zips and "email" not in self.methods:
            return IdentityCheck("incomplete")
        low = " ".join(re.sub(r"[^\w\s'-]", " ", text.lower()).split())
        with self.db.session() as s:
            named: dict[str, list[str]] = {}
            for cid, name in s.execute(select(Customer.id, Customer.name)):
                if _names_in(name, low):
                    named.setdefault(" ".join(name.lower().split()), []).append(cid)
            named_ids = [cid for ids in named.values() for cid in ids]
            by_email = (
                s.scalars(select(Customer.id).where(func.lower(Customer.email).in_(emails))).all() if emails else []
            )
            claimed = sorted({*named_ids, *by_email, *(f"email:{e}" for e in emails if len(emails) == 1)})
            wait = self.throttle.retry_after(conversation_id, client, claimed)
            if wait:
                return IdentityCheck("throttled", retry_after=wait)
            if len(emails) > 1 or len(zips) > 1 or len(named) > 1:
                self.throttle.failed(conversation_id, client, claimed)
                return IdentityCheck("ambiguous")
            found: str | None = None
            if emails and "email" in self.methods:
                found = by_email[0] if len(by_email) == 1 else None
            elif emails and "email_zip" in self.methods:
                found = by_email[0] if len(by_email) == 1 and _zip_of(s, by_email[0], zips[0]) else None
            elif zips and named_ids and "name_zip" in self.methods:
                found = next((cid for cid in named_ids if _zip_of(s, cid, zips[0])), None)
        if found is None:
            self.throttle.failed(conversation_id, client, claimed)
            return IdentityCheck("failed")
        self.throttle.succeeded(conversation_id)
        return IdentityCheck("verified", found)

    def _own_zips_in(self, text: str, emails: Sequence[str]) -> list[str]:
        """The zip of the one customer with one of ``emails`` (their own address's or an order's) where
        ``text`` writes it, spaces and hyphens aside, upper case without spaces; else []."""
        with self.db.session() as s:
            ids = s.scalars(select(Customer.id).where(func.lower(Customer.email).in_(list(emails)))).all()
            if len(ids) != 1:
                return []
            cust = s.get(Customer, ids[0])
            known = {cust.zip or ""} if cust is not None else set()
            shipped_to = s.scalars(select(Order.shipping_address).where(Order.customer_id == ids[0]))
            known |= {str((a or {}).get("zip", "")) for a in shipped_to}
        for code in sorted(k for k in known if len(k.strip()) >= 3):
            parts = [re.escape(c) for c in re.sub(r"[\s-]", "", code)]
            if re.search(r"(?<![A-Za-z0-9])" + r"[\s-]?".join(parts) + r"(?![A-Za-z0-9])", text, re.I):
                return [code.replace(" ", "").upper()]
        return []

    def partial_claim(self, text: str) -> str:
        """The part of an identity claim kept while the customer sends or corrects the rest: the one customer
        name ``text`` states (:meth:`name_claim`), or, where ``email_zip`` is accepted, its one email address
        ("maya@example.com", then "97214")."""
        named = self.name_claim(text)
        if named or "email_zip" not in self.methods:
            return named
        emails = list(dict.fromkeys(e.lower() for e in EMAIL.findall(text)))
        return emails[0] if len(emails) == 1 else ""

    def name_claim(self, text: str) -> str:
        """The one customer name ``text`` states (lower-cased, as on file), else "" (none, or several):
        kept while the customer corrects the rest of a name-plus-zip claim ("sorry, my zip is 80279")."""
        if "name_zip" not in self.methods:
            return ""
        low = " ".join(re.sub(r"[^\w\s'-]", " ", text.lower()).split())
        with self.db.session() as s:
            named = {" ".join(n.lower().split()) for (n,) in s.execute(select(Customer.name)) if _names_in(n, low)}
        return named.pop() if len(named) == 1 else ""

    def claims_other(self, customer_id: str, text: str) -> bool:
        """Whether ``text`` names another account than the verified ``customer_id``'s: an email
        address not on that account, or another customer's full name on file ("check the orders of
        ivan@example.com"). The reply is the same whether or not that account exists."""
        emails = {e.lower() for e in EMAIL.findall(text)}
        by_name = "name_zip" in self.methods
        if not emails and not by_name:
            return False
        with self.db.session() as s:
            own = s.get(Customer, customer_id)
            if own is None:
                return False
            own_email, own_name = (own.email or "").lower(), " ".join((own.name or "").lower().split())
        if emails - {own_email}:
            return True
        named = self.name_claim(text) if by_name else ""
        return bool(named) and named != own_name

    def identity_attempted(self, text: str) -> bool:
        """Whether ``text`` makes an identity claim of a kind the policy accepts."""
        by_mail = "email" in self.methods or "email_zip" in self.methods
        by_zip = "name_zip" in self.methods or "email_zip" in self.methods
        return bool((by_mail and EMAIL.search(text)) or (by_zip and ZIP.search(text)))

    def orders_with_item(self, customer_id: str, text: str) -> list[str]:
        """The customer's orders holding the item the message names best ("the tea kettle", "the
        backpack", "the sheets" for a "Flannel Sheet Set", "那套毛巾"; see :func:`best_named`)."""
        if not tokenize(text) and not has_cjk(text):
            return []
        with self.db.session() as s:
            q = select(Order).where(Order.customer_id == customer_id).options(selectinload(Order.items))
            orders = list(s.scalars(q).all())
            names = _product_names(s, {it.product_id for o in orders for it in o.items})
            kinds = _product_kinds(s, {it.product_id for o in orders for it in o.items})
        items = [(o.id, it.name or names.get(it.product_id, "")) for o in orders for it in o.items]
        best = named_in(text, [name for _, name in items])
        if not best:
            # "where's my bike?" of a "Ridgeback Hybrid 7": the item's kind, as its category names it ("Bikes")
            best = named_in(text, [kinds.get(it.product_id or "", "") for o in orders for it in o.items])
        return list(dict.fromkeys(items[i][0] for i in best))

    def items_named(self, customer_id: str, order_id: str, text: str) -> list[str]:
        """The items of the customer's order ``order_id`` that the message names ("the backpack")."""
        with self.db.session() as s:
            order = s.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                return []
            names = _product_names(s, {it.product_id for it in order.items})
            items = [it.name or names.get(it.product_id, "") for it in order.items]
        return [items[i] for i in named_in(text, items)]

    def orders_of(self, customer_id: str, order_ids: tuple[str, ...] = ()) -> tuple[list[OrderFacts], list[str]]:
        """(facts of the requested or latest orders, requested ids not on this customer's account)."""
        with self.db.session() as s:
            q = (
                select(Order)
                .where(Order.customer_id == customer_id)
                .options(selectinload(Order.items))
                .order_by(Order.created_at.desc())
            )
            orders = list(s.scalars(q).all())
            names = _product_names(s, {it.product_id for o in orders for it in o.items})
        # As written ("#NG-20431") or as stored ("NG-20431"): one number.
        wanted = {order_key(o): o.upper() for o in order_ids}
        if wanted:
            chosen = [o for o in orders if order_key(o.id) in wanted]
            missing = sorted(w for k, w in wanted.items() if k not in {order_key(o.id) for o in chosen})
        else:
            chosen, missing = orders[: self.max_orders_listed], []
        return [self._facts(o, names) for o in chosen], missing

    @staticmethod
    def _facts(order: Order, names: dict[str, str]) -> OrderFacts:
        items = [f"{it.quantity} × {it.name or names.get(it.product_id, it.product_id)}" for it in order.items]
        lines = [f"Order {order.id}: status **{order.status}**"]
        if order.created_at is not None:
            lines.append(f"placed on {order.created_at:%Y-%m-%d}")
        if items:
            lines.append("items: " + ", ".join(items))
        if order.tracking_number:
            carrier = f"{order.tracking_carrier} " if order.tracking_carrier else ""
            lines.append(f"tracking: {carrier}{order.tracking_number}")
        record = {
            "order_id": order.id,
            "status": order.status,
            "items": items,
            "tracking_carrier": order.tracking_carrier,
            "tracking_number": order.tracking_number,
        }
        placed = f"{order.created_at:%Y-%m-%d}" if order.created_at is not None else None
        return OrderFacts(order.id, order.status, tuple(lines), record, placed)

    def prepare_action(
        self,
        conversation_id: str,
        customer_id: str,
        action: OrderAction,
        order: OrderFacts,
        request_text: str,
        sources: list[dict[str, Any]],
    ) -> int:
        """Record an order action for an agent to approve (never executed here); returns the draft id."""
        content = f"Customer {customer_id} asks to {action_phrase(action, 'en')} order {order.order_id}."
        with self.db.session() as s:
            draft = Draft(
                conversation_id=conversation_id,
                kind="order_action",
                content=content,
                payload={
                    "action": action,
                    "order_id": order.order_id,
                    "customer_id": customer_id,
                    "order_status": order.status,
                    "request": request_text,
                },
                sources=sources,
                status="pending",
            )
            s.add(draft)
            s.flush()
            return int(draft.id)
