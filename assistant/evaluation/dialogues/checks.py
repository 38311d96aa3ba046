"""The checks of a dialogue suite, applied to one turn's result as the chat API returns it (JSON).

Every check reads the structured fields of the turn result; a field the API does not return
makes the check fail with ``got: "field missing from the API"``, never pass silently. All string
matching is case-insensitive.

Example:
    >>> turn = {"text": "You have 30 days to return it.", "citations": [{"title": "Returns", "collection": "policies"}]}
    >>> run_check("contains_any", ["30 days"], turn, TurnContext()).passed
    True
    >>> run_check("cites_any", ["Shipping"], turn, TurnContext()).got
    'citations: Returns (policies)'
    >>> run_check("products", ItemChecks(min_count=1), turn, TurnContext()).got
    'field missing from the API'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.evaluation.dialogues.suite import ItemChecks

if TYPE_CHECKING:
    from assistant.store.db import Database

MISSING = "field missing from the API"

# CJK Unified Ideographs (+ extension A, compatibility ideographs, extensions B-F).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")


@dataclass(frozen=True)
class CheckResult:
    """One check of one turn: did it pass, what the suite expected, what the turn gave."""

    kind: str
    passed: bool
    expected: Any
    got: str


@dataclass(frozen=True)
class PIIValue:
    """One identifying value of one customer (``kind``: email, name, zip, address, order, tracking)."""

    customer_id: str | None
    kind: str
    value: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)


def _bounded(value: str, inner: str = r"A-Za-z0-9") -> re.Pattern[str]:
    """``value`` (whitespace-flexible, case-insensitive) not glued to a longer word or number."""
    body = r"\s+".join(re.escape(part) for part in value.split())
    return re.compile(rf"(?<![{inner}]){body}(?![{inner}])", re.IGNORECASE)


def pii_pattern(kind: str, value: str) -> re.Pattern[str] | None:
    """How a value of ``kind`` is found in text; None when it is too short to be identifying."""
    value = value.strip()
    if kind == "order":
        bare = value.lstrip("#").strip()
        if len(bare) < 4:
            return None
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(bare)}(?![A-Za-z0-9])", re.IGNORECASE)
    minimum = {"email": 5, "name": 3, "zip": 3, "address": 5, "tracking": 6}.get(kind, 3)
    if len(value) < minimum:
        return None
    if kind == "email":
        return _bounded(value, r"A-Za-z0-9._%+\-")
    if kind == "zip":
        return re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", re.IGNORECASE)
    return _bounded(value)


class PIIIndex:
    """Every customer's identifying values, to find those of customers a conversation is not."""

    def __init__(self, entries: Iterable[tuple[str | None, str, str]]) -> None:
        self.values: list[PIIValue] = []
        seen: set[tuple[str | None, str, str]] = set()
        for customer_id, kind, value in entries:
            key = (customer_id, kind, value.strip().lower())
            pattern = pii_pattern(kind, value) if value else None
            if pattern is None or key in seen:
                continue
            seen.add(key)
            self.values.append(PIIValue(customer_id, kind, value.strip(), pattern))

    def __len__(self) -> int:
        return len(self.values)

    def foreign(self, text: str, own: Collection[str]) -> list[PIIValue]:
        """Values in ``text`` that belong to a customer not in ``own`` (and to no one in ``own``)."""
        own_values = {(v.kind, v.value.lower()) for v in self.values if v.customer_id in own}
        hits: list[PIIValue] = []
        for v in self.values:
            if v.customer_id in own or (v.kind, v.value.lower()) in own_values:
                continue
            if v.pattern.search(text):
                hits.append(v)
        return hits

    @classmethod
    def from_db(cls, db: Database) -> PIIIndex:
        """Names, emails, zips, addresses of every customer; numbers, tracking, addresses of every order."""
        from sqlalchemy import select

        from assistant.store.models import Customer, Order

        entries: list[tuple[str | None, str, str]] = []
        with db.session() as session:
            for c in session.scalars(select(Customer)):
                entries += [(c.id, "name", c.name or ""), (c.id, "email", c.email or ""), (c.id, "zip", c.zip or "")]
                entries += [(c.id, kind, value) for kind, value in _address_values(c.address)]
            for o in session.scalars(select(Order)):
                entries += [(o.customer_id, "order", o.id), (o.customer_id, "tracking", o.tracking_number or "")]
                entries += [(o.customer_id, kind, value) for kind, value in _address_values(o.shipping_address)]
        return cls(entries)


def _address_values(address: Any) -> list[tuple[str, str]]:
    if isinstance(address, str):
        return [("address", address)]
    if not isinstance(address, Mapping):
        return []
    out: list[tuple[str, str]] = []
    for key in ("line1", "address1", "street", "address", "line2", "address2"):
        value = address.get(key)
        # "Apt 3" alone identifies no one; a second line counts only when it is a street line.
        if isinstance(value, str) and value.strip() and (key not in ("line2", "address2") or len(value) > 12):
            out.append(("address", value))
    zip_code = address.get("zip") or address.get("postal_code") or address.get("postcode")
    if isinstance(zip_code, str):
        out.append(("zip", zip_code))
    return out


@dataclass(frozen=True)
class TurnContext:
    """What a check needs besides the turn: who the conversation is, and the shop's customers."""

    own_customers: frozenset[str] = frozenset()
    pii: PIIIndex | None = None


# --- reading the turn result -------------------------------------------------------------------

_NOT_GIVEN: Any = object()


def _get(turn: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in turn and turn[name] is not None:
            return turn[name]
    return _NOT_GIVEN


def reply_text(turn: Mapping[str, Any]) -> str | None:
    value = _get(turn, "text", "reply")
    return value if isinstance(value, str) else None


def _fold(text: str) -> str:
    return text.casefold()


def _has(haystack: str, needle: str) -> bool:
    return _fold(needle) in _fold(haystack)


def _quote(strings: Sequence[str]) -> str:
    return ", ".join(repr(s) for s in strings)


# --- the checks ----------------------------------------------------------------------------------


def check_contains_any(expected: list[str], turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    text = reply_text(turn)
    if text is None:
        return False, MISSING
    return any(_has(text, s) for s in expected), f"reply: {text}"


def check_contains_all(expected: list[str], turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    text = reply_text(turn)
    if text is None:
        return False, MISSING
    missing = [s for s in expected if not _has(text, s)]
    return not missing, (f"missing {_quote(missing)}" if missing else "all present")


def check_not_contains(expected: list[str], turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    text = reply_text(turn)
    if text is None:
        return False, MISSING
    found = [s for s in expected if _has(text, s)]
    return not found, (f"contains {_quote(found)}" if found else "none present")


def check_cites_any(expected: list[str], turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    citations = _get(turn, "citations")
    if not isinstance(citations, list):
        return False, MISSING
    labels: list[str] = []
    passed = False
    for c in citations:
        if not isinstance(c, Mapping):
            continue
        title = str(c.get("title") or "")
        collection = str(c.get("collection") or "")
        labels.append(f"{title} ({collection})")
        passed = passed or any(_has(title, s) or _has(collection, s) for s in expected)
    return passed, ("citations: " + ", ".join(labels) if labels else "no citations")


def _flag(turn: Mapping[str, Any], names: tuple[str, ...]) -> bool | None:
    value = _get(turn, *names)
    return value if isinstance(value, bool) else None


def check_asks_identity(expected: bool, turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    asked = _flag(turn, ("asks_identity", "needs_identity"))
    if asked is None:
        return False, MISSING
    return asked is expected, ("asks the customer to verify" if asked else "does not ask the customer to verify")


def check_handoff(expected: bool, turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    handed = _flag(turn, ("handed_off", "handoff"))
    if handed is None:
        return False, MISSING
    return handed is expected, ("handed to a person" if handed else "not handed to a person")


def han_share(text: str) -> tuple[int, int]:
    """(Chinese characters, letters) of ``text``; letters are the alphabetic characters."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if _HAN.match(ch)), len(letters)


def check_language(expected: str, turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    text = reply_text(turn)
    if text is None:
        return False, MISSING
    han, letters = han_share(text)
    got = f"{han} Chinese characters of {letters} letters"
    if expected == "zh":
        return letters > 0 and 3 * han >= letters, got
    return han == 0 and _HAN.search(text) is None, got


def _price(item: Mapping[str, Any]) -> float | None:
    value = item.get("price")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _item_label(item: Mapping[str, Any]) -> str:
    price = _price(item)
    parts = [repr(str(item.get("name") or item.get("product_id") or "?"))]
    parts.append(f"${price:g}" if price is not None else "no price")
    if item.get("category"):
        parts.append(str(item["category"]))
    return f"{parts[0]} ({', '.join(parts[1:])})"


def item_problems(spec: ItemChecks, items: Sequence[Mapping[str, Any]]) -> list[str]:
    """What in ``items`` breaks ``spec``; empty when every sub-check holds."""
    problems: list[str] = []
    n = len(items)
    if spec.min_count is not None and n < spec.min_count:
        problems.append(f"{n} items, fewer than {spec.min_count}")
    if spec.max_count is not None and n > spec.max_count:
        problems.append(f"{n} items, more than {spec.max_count}")
    for item in items:
        price = _price(item)
        name = str(item.get("name") or item.get("product_id") or "?")
        if spec.max_price is not None and (price is None or price > spec.max_price):
            problems.append(f"{name!r} is {'without a price' if price is None else f'${price:g}'}, above max_price")
        if spec.min_price is not None and (price is None or price < spec.min_price):
            problems.append(f"{name!r} is {'without a price' if price is None else f'${price:g}'}, below min_price")
        if spec.category_any is not None:
            category = str(item.get("category") or "")
            if not any(_has(category, s) for s in spec.category_any):
                problems.append(f"{name!r} is in category {category or '(none)'!r}")
        if spec.name_none is not None:
            bad = [s for s in spec.name_none if _has(name, s)]
            if bad:
                problems.append(f"{name!r} matches name_none {_quote(bad)}")
        if spec.reason_not_contains is not None:
            reason = str(item.get("reason") or "")
            bad = [s for s in spec.reason_not_contains if _has(reason, s)]
            if bad:
                problems.append(f"reason for {name!r} contains {_quote(bad)}: {reason!r}")
    if spec.name_any is not None:
        names = [str(item.get("name") or "") for item in items]
        if not any(_has(nm, s) for nm in names for s in spec.name_any):
            problems.append(f"no item named like {_quote(spec.name_any)}")
    return problems


ItemCheck = Callable[[ItemChecks, Mapping[str, Any], TurnContext], tuple[bool, str]]


def _check_items(field_names: tuple[str, ...]) -> ItemCheck:
    def check(expected: ItemChecks, turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
        items = _get(turn, *field_names)
        if not isinstance(items, list):
            return False, MISSING
        items = [i for i in items if isinstance(i, Mapping)]
        problems = item_problems(expected, items)
        listed = "; ".join(_item_label(i) for i in items) or "none"
        if problems:
            return False, f"{len(items)} items: {listed}. Problems: " + "; ".join(problems)
        return True, f"{len(items)} items: {listed}"

    return check


check_products = _check_items(("products",))
check_recs = _check_items(("recommendations", "recs"))


def check_no_foreign_pii(expected: bool, turn: Mapping[str, Any], ctx: TurnContext) -> tuple[bool, str]:
    text = reply_text(turn)
    recs = _get(turn, "recommendations", "recs")
    if text is None or not isinstance(recs, list):
        return False, MISSING
    if ctx.pii is None:
        return False, "no customer data to compare with (the shop's customers were not loaded)"
    reasons = [str(r.get("reason") or "") for r in recs if isinstance(r, Mapping)]
    hits = ctx.pii.foreign("\n".join([text, *reasons]), ctx.own_customers)
    if not hits:
        own = ", ".join(sorted(ctx.own_customers)) or "nobody (guest)"
        return True, f"no other customer's data (conversation is {own})"
    shown = "; ".join(f"{h.kind} of {h.customer_id or 'an order without customer'}: {h.value!r}" for h in hits[:10])
    return False, f"found {shown}"


CHECKS: dict[str, Callable[[Any, Mapping[str, Any], TurnContext], tuple[bool, str]]] = {
    "contains_any": check_contains_any,
    "contains_all": check_contains_all,
    "not_contains": check_not_contains,
    "cites_any": check_cites_any,
    "asks_identity": check_asks_identity,
    "handoff": check_handoff,
    "language": check_language,
    "products": check_products,
    "recs": check_recs,
    "no_foreign_pii": check_no_foreign_pii,
}


def expected_json(expected: Any) -> Any:
    """The suite's expectation as plain JSON (item checks as their set keys)."""
    return expected.given() if isinstance(expected, ItemChecks) else expected


def run_check(kind: str, expected: Any, turn: Mapping[str, Any], ctx: TurnContext) -> CheckResult:
    """Apply one check; an unknown kind is a programming error (the suite model forbids it)."""
    passed, got = CHECKS[kind](expected, turn, ctx)
    return CheckResult(kind=kind, passed=passed, expected=expected_json(expected), got=got)
