"""The customer's own profile: the details the shop keeps on file (name, email, default address).

Shown only to the conversation's *verified* customer, read from their own row; nothing here
changes a profile. A request to change it is answered honestly: the assistant cannot, a person
can (the engine offers one).

Example:
    >>> asks_profile("what address do you have on file for me?"), asks_profile("what is priya raman's address")
    (True, False)
    >>> asks_profile_change("can you update it to 55 Pine Road, Austin TX 78701?", after_profile=True)
    True
    >>> asks_profile_change("can you update it to 55 Pine Road?", after_profile=False)
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.conversation.slots import address_text
from assistant.store.models import Customer

if TYPE_CHECKING:
    from assistant.store.db import Database

_DETAIL = (
    r"(?:(?:default|home|billing|postal|mailing|current|shipping|delivery)\s+)?"
    r"(?:address|e-?mail(?: address)?|profile|account details|details|info(?:rmation)?|name)"
)
# "what address do you have on file for me?", "what's my email on file", "show me my profile"; not what
# the shop needs from the customer ("what information do you need for me to process a return?") nor
# the name of something else ("what's the name of a good jacket for me?").
_ASKS = re.compile(
    rf"\b(?:what|which)(?:'s| is)?\s+(?:the\s+)?{_DETAIL}\b(?!\s+of\b)"
    r"(?:(?!\b(?:need|needs|require|requires|should|must)\b)[^.?!]){0,40}"
    r"\b(?:on file|for me\b(?!\s+to\b)|of mine|in your (?:records|system))"
    rf"|\b(?:what|which)(?:'s| is| are)\s+my\s+{_DETAIL}\b"
    rf"|\bmy\s+{_DETAIL}\s+(?:on file|in your (?:records|system))"
    rf"|\b(?:show|see|check|view|confirm|read)\s+(?:me\s+)?my\s+(?:profile|account details|{_DETAIL}\s+on file)\b"
    r"|(?:我的|我)(?:默认|收货|账户|账号)?的?(?:地址|邮箱|个人资料|资料|个人信息)(?:是什么|是哪|是多少|有哪些|是啥)",
    re.I,
)
# "update my address", "change the email on my account", "改我的地址"; not another thing's details ("change
# the name printed on the card", "change the shipping address" of an order).
_CHANGE = re.compile(
    rf"\b(?:change|update|correct|edit|modify|fix|replace)\b[^.?!]{{0,30}}"
    rf"\b(?:my\s+{_DETAIL}\b|the\s+{_DETAIL}\b[^.?!]{{0,20}}\b(?:on|in|of|for)\s+my\s+(?:account|profile)\b)"
    r"|(?:改|修改|更改|更新|换)[^。？！?]{0,6}(?:地址|邮箱|资料)",
    re.I,
)
# Right after the profile was shown: "update it to …", "change that", "改成…".
_CHANGE_IT = re.compile(
    r"\b(?:change|update|correct|edit|modify|fix|replace)\s+(?:it|that|this)\b|\b(?:it|that)\s+should be\b"
    r"|改成|改为|更新为|换成",
    re.I,
)
# "How do I change my email?" asks how it is done: the shop's policy answers it.
_HOW_TO = re.compile(r"\bhow (?:do|can|could|would|should) (?:i|we)\b|\bhow to\b|怎么|如何", re.I)
_ORDER = re.compile(r"\b(?:orders?|parcels?|packages?|shipments?|#\s?\w*\d)|订单|包裹", re.I)


def asks_profile(text: str) -> bool:
    """The customer asks what the shop has on file about them (their own, never another's)."""
    return bool(_ASKS.search(text)) and not _ORDER.search(text)


def asks_profile_change(text: str, *, after_profile: bool = False) -> bool:
    """The customer asks to change their profile's details (not an order's shipping address)."""
    if _ORDER.search(text) or _HOW_TO.search(text):
        return False
    return bool(_CHANGE.search(text)) or (after_profile and bool(_CHANGE_IT.search(text)))


@dataclass(frozen=True)
class ProfileFacts:
    """The details on file of one customer, as stored."""

    name: str
    email: str
    address: str


def profile_of(db: Database, customer_id: str) -> ProfileFacts | None:
    """``customer_id``'s own details (the caller passes only the verified customer's id)."""
    with db.session() as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return None
        return ProfileFacts(
            " ".join((customer.name or "").split()), customer.email or "", address_text(customer.address)
        )


_TEXT = {
    "en": {
        "intro": "Here is what we have on file for you:",
        "name": "Name",
        "email": "Email",
        "address": "Address",
        "empty": "We have no details on file for you beyond your name.",
        "cannot_change": "I can't change the details on your account myself, and nothing has been changed. "
        "A member of our team can update them for you.",
    },
    "zh": {
        "intro": "您账户中登记的信息如下：",
        "name": "姓名",
        "email": "邮箱",
        "address": "地址",
        "empty": "除姓名外，您的账户中没有登记其他信息。",
        "cannot_change": "我无法直接修改您的账户信息，目前没有做任何更改。我们的客服人员可以为您更新。",
    },
}


def profile_text(facts: ProfileFacts, language: str = "en") -> str:
    """The details on file, one per line (labels in ``language``, values as stored).

    Example:
        >>> print(profile_text(ProfileFacts("Noah Brown", "noah@example.com", "986 Sunset Drive, Denver, CO, 80279")))
        Here is what we have on file for you:
        - Name: Noah Brown
        - Email: noah@example.com
        - Address: 986 Sunset Drive, Denver, CO, 80279
    """
    t = _TEXT.get(language, _TEXT["en"])
    lines = [t["intro"]]
    for key, value in (("name", facts.name), ("email", facts.email), ("address", facts.address)):
        if value:
            lines.append(f"- {t[key]}: {value}")
    if not facts.email and not facts.address:
        lines.append(t["empty"])
    return "\n".join(lines)


def cannot_change(language: str = "en") -> str:
    """The honest reply to a change request: the assistant cannot change a profile, nothing changed."""
    return _TEXT.get(language, _TEXT["en"])["cannot_change"]
