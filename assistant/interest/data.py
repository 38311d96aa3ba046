"""Interaction data for the interest encoder: catalog, time-ordered sequences, split, requests.

Items are indexed ``1..M``; index 0 is padding everywhere (sequences, embedding tables, scores).
Event types are indexed ``1..5`` in :data:`EVENT_TYPES` order, 0 again being padding.

Example:
    >>> data = load_amazon_lcrec(Path("/work/shared/data/amazon-office"))  # doctest: +SKIP
    >>> split = leave_one_out(data)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.store.models import EVENT_TYPES

EVENT_INDEX = {name: i + 1 for i, name in enumerate(EVENT_TYPES)}
_CATEGORY_SPLIT = re.compile(r"\s*(?:>|\||/|,\s)\s*")


class DataError(ValueError):
    """Input data is missing or malformed; the message names the file and field."""


def category_path(category: str) -> list[str]:
    """Split a category string ("A, B, C" as in Amazon, or "A > B") into its levels."""
    return [p.strip() for p in _CATEGORY_SPLIT.split(category or "") if p.strip()]


def leaf_category(category: str) -> str:
    path = category_path(category)
    return path[-1] if path else ""


def build_request(category: str, template: str) -> str:
    """The synthetic chat request for an item: its leaf category in a fixed template.

    Following Ai et al. (SIGIR 2017) the request comes from the category path only, never the
    item's title or brand, so it names what kind of product is wanted, not which one.
    """
    leaf = leaf_category(category)
    return template.format(leaf=leaf.lower()) if leaf else ""


def parent_category(category: str) -> str:
    """The level above the leaf (the leaf itself for a one-level path): a vaguer request."""
    path = category_path(category)
    return path[-2] if len(path) > 1 else (path[-1] if path else "")


def singular(name: str) -> str:
    """A crude English singular of each part of a category name ("Rollerball Pens" -> "rollerball pen").

    Customers rarely type a catalog's plural heading; paraphrased requests use this form. Parts joined
    by "&" / "and" are each made singular on their last word. Non-Latin text is returned unchanged.
    """

    def one(word: str) -> str:
        w = word
        if len(w) <= 3 or not w.isascii() or w.endswith(("ss", "us", "is")):
            return w
        if w.endswith("ies"):
            return w[:-3] + "y"
        if w.endswith(("ches", "shes", "sses", "xes", "zes")):
            return w[:-2]
        if w.endswith("s"):
            return w[:-1]
        return w

    parts = re.split(r"(\s*(?:&|\band\b)\s*)", name.lower())
    out = []
    for part in parts:
        words = part.split(" ")
        if words and words[-1] and not re.fullmatch(r"\s*(?:&|and)\s*", part):
            words[-1] = one(words[-1])
        out.append(" ".join(words))
    return "".join(out)


@dataclass(frozen=True)
class RequestTemplate:
    """A phrasing of a chat request: ``{leaf}`` is the category name as the catalog writes it (lower
    case), ``{one}`` its singular, ``{leaf_and}`` with "&" written out as "and"."""

    text: str

    def render(self, name: str) -> str:
        low = name.lower()
        return self.text.format(leaf=low, one=singular(name), leaf_and=re.sub(r"\s*&\s*", " and ", low))


# Ten phrasings the model trains on and ten it never sees (evaluation only, ``paraphrase`` variant).
# About half of each set writes the category as a customer would (singular, "and") rather than as
# the catalog's heading, so a request does not always contain the category's exact name.
TRAIN_TEMPLATES: tuple[RequestTemplate, ...] = tuple(
    RequestTemplate(t)
    for t in (
        "I'm looking for {leaf}",
        "do you sell {leaf}?",
        "I need a {one}",
        "can you recommend some {leaf}",
        "show me {leaf_and}",
        "where can I find a good {one}?",
        "{leaf}, please",
        "any suggestions for {leaf_and}?",
        "I want to buy a {one}",
        "what {leaf} do you have",
    )
)
HELDOUT_TEMPLATES: tuple[RequestTemplate, ...] = tuple(
    RequestTemplate(t)
    for t in (
        "do you have any {leaf}?",
        "I'd like to get a {one}",
        "looking to order {leaf_and}",
        "help me pick a {one}",
        "got any {leaf} in stock?",
        "my office needs new {leaf_and}",
        "searching for a decent {one}",
        "which {leaf} would you suggest?",
        "I'm shopping for {leaf}",
        "recommend me a {one} please",
    )
)
REQUEST_LEVELS = ("leaf", "parent")


def category_at(category: str, level: str) -> str:
    if level == "leaf":
        return leaf_category(category)
    if level == "parent":
        return parent_category(category)
    raise ValueError(f"unknown category level {level!r}; expected one of {REQUEST_LEVELS}")


def customer_form(text: str) -> str:
    """A request or category name as a customer may write it, normalised for matching: lower case,
    "&" written "and", every word made singular ("Binding Covers & Paper" -> "binding cover and paper")."""
    low = re.sub(r"\s*&\s*", " and ", text.lower())
    return " ".join(singular(w) if w.isalpha() else w for w in re.findall(r"[\w'-]+|[^\w\s]", low))


class CategoryMatcher:
    """Which catalog category a request names: the longest category name it contains (whole words,
    case-insensitive), and the items filed under that name at any level of their path.

    ``forms="exact"`` (the category filters' rule): the request must contain the catalog's heading as
    written. ``forms="customer"`` (our request parser): request and names are compared in
    :func:`customer_form`, so "a binding cover and paper" names "Binding Covers & Paper"; names that
    share a form share their items.

    Example:
        >>> m = CategoryMatcher(["", "Office, Pens, Rollerball Pens", "Office, Pens, Gel Pens", "Office, Paper"])
        >>> m.named("do you have any rollerball pens?"), m.items("do you have any rollerball pens?").tolist()
        ('rollerball pens', [1])
        >>> m.items("show me pens").tolist(), m.items("a rollerball pen") is None
        ([1, 2], True)
        >>> CategoryMatcher(m.categories, forms="customer").named("a rollerball pen")
        'rollerball pen'
    """

    def __init__(self, categories: Sequence[str], forms: str = "exact") -> None:
        if forms not in ("exact", "customer"):
            raise ValueError(f"unknown forms {forms!r}; expected 'exact' or 'customer'")
        self.categories = list(categories)
        self.forms = forms
        norm = (lambda n: n.lower()) if forms == "exact" else customer_form
        self._norm = norm
        members: dict[str, set[int]] = {}
        for i, cat in enumerate(categories):
            if i == 0:
                continue
            for name in category_path(cat):
                members.setdefault(norm(name), set()).add(i)
        self.members = {k: np.asarray(sorted(v), dtype=np.int64) for k, v in members.items() if k}
        self.leaf_names = {norm(leaf_category(c)) for c in categories[1:] if leaf_category(c)}
        names = sorted(self.members, key=len, reverse=True)
        self._patterns = [(n, re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)")) for n in names]
        self._memo: dict[str, str | None] = {}

    def named(self, request: str) -> str | None:
        """The longest category name in ``request`` (in the matcher's form), or None when it names none."""
        hit = self._memo.get(request, "")
        if hit != "":
            return hit
        low = self._norm(request)
        found = next((n for n, pat in self._patterns if n in low and pat.search(low)), None)
        self._memo[request] = found
        return found

    def kind(self, request: str) -> str:
        """How specific the request is: ``leaf`` (names some item's leaf category), ``broader`` (names
        only a higher level) or ``none``."""
        name = self.named(request)
        return "none" if name is None else ("leaf" if name in self.leaf_names else "broader")

    def items(self, request: str) -> np.ndarray | None:
        """Item indices of the named category, or None (the caller falls back to the whole catalog)."""
        name = self.named(request)
        return None if name is None else self.members[name]


@dataclass
class Catalog:
    """Items in index order (position 0 of every list is the padding item)."""

    ids: list[str]
    names: list[str]
    categories: list[str]
    texts: list[str]
    prices: list[float | None]
    available: list[bool]

    def __post_init__(self) -> None:
        self.index = {pid: i for i, pid in enumerate(self.ids) if i > 0}

    @property
    def num_items(self) -> int:
        """Real items, padding excluded."""
        return len(self.ids) - 1


@dataclass
class InteractionData:
    """A catalog plus each user's time-ordered (item, event type) sequence."""

    name: str
    catalog: Catalog
    users: list[str]
    items: list[np.ndarray]  # int64 item indices per user, oldest first
    events: list[np.ndarray]  # int64 event-type indices, aligned with ``items``
    extra: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A short hash of catalog ids and sequences: checkpoints record what they were trained on."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.catalog.ids).encode())
        for user, seq, ev in zip(self.users, self.items, self.events, strict=True):
            h.update(user.encode())
            h.update(seq.tobytes())
            h.update(ev.tobytes())
        return h.hexdigest()[:16]


def _item_text(title: str, brand: str, categories: str, description: str, max_chars: int) -> str:
    parts = [title, brand, categories, description]
    return ". ".join(p.strip() for p in parts if p and p.strip())[:max_chars]


def _clean(text: str) -> str:
    return text.replace("&amp;", "&").strip()


def load_amazon_lcrec(directory: Path, *, max_chars: int = 600) -> InteractionData:
    """Read the LC-Rec Amazon format: ``*.inter.json`` (user -> ordered item ids), ``*.item.json``."""
    if not directory.is_dir():
        raise DataError(f"--data: no such directory {directory}")
    inter_files = sorted(directory.glob("*.inter.json"))
    item_files = sorted(directory.glob("*.item.json"))
    if not inter_files or not item_files:
        raise DataError(f"{directory}: expected <Name>.inter.json and <Name>.item.json (amazon-lcrec format)")
    inter_path, item_path = inter_files[0], item_files[0]
    try:
        inter = json.loads(inter_path.read_text())
        meta = json.loads(item_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{exc.__class__.__name__} reading {inter_path.name}/{item_path.name}: {exc}") from None
    if not isinstance(inter, dict) or not inter:
        raise DataError(f"{inter_path}: expected a non-empty object user id -> list of item ids")
    if not isinstance(meta, dict) or not meta:
        raise DataError(f"{item_path}: expected a non-empty object item id -> {{title, categories, ...}}")

    ids, names, cats, texts = [""], [""], [""], [""]
    for key, rec in meta.items():
        if not isinstance(rec, dict):
            raise DataError(f"{item_path}: item {key!r} is not an object")
        title = _clean(str(rec.get("title") or ""))
        cat = _clean(str(rec.get("categories") or ""))
        brand = _clean(str(rec.get("brand") or ""))
        desc = _clean(str(rec.get("description") or ""))
        ids.append(str(key))
        names.append(title or str(key))
        cats.append(cat)
        texts.append(_item_text(title, brand, cat, desc, max_chars))
    n = len(ids)
    catalog = Catalog(ids, names, cats, texts, [None] * n, [True] * n)

    users, items, events = [], [], []
    purchase = EVENT_INDEX["purchase"]
    for user, seq in inter.items():
        if not isinstance(seq, list):
            raise DataError(f"{inter_path}: user {user!r}: expected a list of item ids")
        idx = []
        for item in seq:
            i = catalog.index.get(str(item))
            if i is None:
                raise DataError(f"{inter_path}: user {user!r}: item {item!r} missing from {item_path.name}")
            idx.append(i)
        if not idx:
            continue
        users.append(str(user))
        items.append(np.asarray(idx, dtype=np.int64))
        # Amazon reviews stand for purchases; the format carries no event type.
        events.append(np.full(len(idx), purchase, dtype=np.int64))
    if not users:
        raise DataError(f"{inter_path}: no user has any interaction")
    return InteractionData(inter_path.name.split(".")[0], catalog, users, items, events)


def load_from_store(db: object, *, max_chars: int = 600) -> InteractionData:
    """Read the Product and Event tables of the SQL store (events ordered by time per customer)."""
    from sqlalchemy import select

    from assistant.store.db import Database
    from assistant.store.models import Event, Product

    assert isinstance(db, Database)
    with db.session() as s:
        products = list(s.scalars(select(Product).order_by(Product.id)))
        rows = s.execute(
            select(Event.customer_id, Event.product_id, Event.event_type).order_by(
                Event.customer_id, Event.timestamp, Event.id
            )
        ).all()
        catalog = catalog_from_products(products, max_chars=max_chars)
    if catalog.num_items == 0:
        raise DataError("store: the products table is empty (ingest a catalog first)")
    seqs: dict[str, tuple[list[int], list[int]]] = {}
    for customer, product, etype in rows:
        i = catalog.index.get(product)
        if i is None:
            continue  # events on products no longer in the catalog carry nothing we can score
        it, ev = seqs.setdefault(customer, ([], []))
        it.append(i)
        ev.append(EVENT_INDEX.get(etype, EVENT_INDEX["view"]))
    if not seqs:
        raise DataError("store: the events table has no event on a known product (ingest events first)")
    users = sorted(seqs)
    return InteractionData(
        "store",
        catalog,
        users,
        [np.asarray(seqs[u][0], dtype=np.int64) for u in users],
        [np.asarray(seqs[u][1], dtype=np.int64) for u in users],
    )


def catalog_from_products(products: Sequence[object], *, max_chars: int = 600) -> Catalog:
    """Build a :class:`Catalog` from ``Product`` rows (their ``.text`` is what gets embedded)."""
    from assistant.store.models import Product

    ids, names, cats, texts = [""], [""], [""], [""]
    prices: list[float | None] = [None]
    avail = [False]
    for p in products:
        assert isinstance(p, Product)
        ids.append(p.id)
        names.append(p.name)
        cats.append(p.category or "")
        texts.append(p.text[:max_chars])
        prices.append(p.price)
        avail.append(bool(p.available))
    return Catalog(ids, names, cats, texts, prices, avail)


@dataclass
class Split:
    """Leave-one-out by time: per user, inputs and target for validation and test.

    ``train`` holds each user's sequence without the last two items (used for fitting);
    validation predicts item ``-2`` from ``[:-2]``; test predicts item ``-1`` from ``[:-1]``.
    Users with fewer than 3 interactions only contribute to training.
    """

    train_items: list[np.ndarray]
    train_events: list[np.ndarray]
    eval_users: np.ndarray  # indices into data.users of users evaluated
    valid_target: np.ndarray
    test_target: np.ndarray


def leave_one_out(data: InteractionData) -> Split:
    tr_i, tr_e, users, val, test = [], [], [], [], []
    for u, (seq, ev) in enumerate(zip(data.items, data.events, strict=True)):
        if len(seq) >= 3:
            tr_i.append(seq[:-2])
            tr_e.append(ev[:-2])
            users.append(u)
            val.append(seq[-2])
            test.append(seq[-1])
        else:
            tr_i.append(seq)
            tr_e.append(ev)
    return Split(
        tr_i,
        tr_e,
        np.asarray(users, dtype=np.int64),
        np.asarray(val, dtype=np.int64),
        np.asarray(test, dtype=np.int64),
    )


def pad_left(seqs: list[np.ndarray], length: int) -> np.ndarray:
    """Stack sequences into (N, length), keeping the newest ``length`` entries, zeros on the left."""
    out = np.zeros((len(seqs), length), dtype=np.int64)
    for r, s in enumerate(seqs):
        s = s[-length:]
        if len(s):
            out[r, length - len(s) :] = s
    return out


def history_mask_rows(histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(row, item) index pairs of every history item, for masking a score matrix in one go."""
    rows = np.concatenate([np.full(len(h), r, dtype=np.int64) for r, h in enumerate(histories)])
    cols = np.concatenate([h.astype(np.int64) for h in histories]) if histories else np.zeros(0, np.int64)
    return rows, cols
