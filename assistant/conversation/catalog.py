"""The shop's catalog as the conversation sees it: facts per product, vocabulary, need matching.

Built from the shop's own data (products, variants, product Q&A and reviews), so it works for any
catalog: product types are the words of product names, attributes are the words of product text
and tags, categories are the catalog's categories. Product vectors come from the configured
encoder (cached on disk, shared with the interest model's cache), so a search costs one query
embedding (already computed for retrieval) and a matrix product.

Example:
    >>> idx = CatalogIndex(db, encoder)  # doctest: +SKIP
    >>> idx.named_in("how much is the Hollow Ridge Wool Beanie?").name  # doctest: +SKIP
    'Hollow Ridge Wool Beanie'
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assistant.retrieval.text import has_cjk, split_sentences, strip_markup, tokenize
from assistant.store.db import Database
from assistant.store.models import Product, Review

log = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def category_head(category: str) -> str:
    """The head word of a category path's last level, stemmed: "Office, Printer Ink & Toner, Inkjet
    Printer Ink" -> "ink", "Outdoor > Jackets" -> "jacket"."""
    leaf = category.replace(">", ",").split(",")[-1]
    words = tokenize(leaf)
    return words[-1] if words and not has_cjk(words[-1]) else ""


def stem(word: str) -> str:
    """The catalog's word folding (the retrieval tokenizer's, so "socks" ~ "sock")."""
    toks = tokenize(word)
    return toks[0] if toks else word.lower()


# Model numbers and other codes: a word with a digit ("TN450", "HL-2270DW", "950XL", "61"). A count or
# measure ("3-pack", "12-sheet", "2in", "500ml", "10th") is no model: a customer's "2-pack" asks for
# no product code.
_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MEASURE = re.compile(
    r"\d+(?:[.,]\d+)?-?(?:st|nd|rd|th|s|x|pk|pcs?|ct|in|inch|inches|ft|yds?|mm|cm|m|ml|l|oz|lbs?|kg|g|gb|tb|mb|"
    r"mp|ppm|dpi|mah|v|w|hz|k|pt|gsm|d|day|days|hrs?|mins?)?|\d+(?:-[a-z]{3,})+|[a-z]{3,}(?:-\d+)+"
)


def model_codes(text: str) -> frozenset[str]:
    """Every word of ``text`` that holds a digit, lower-cased, hyphens dropped: a product name's codes.

    Example:
        >>> sorted(model_codes("HP 61XL CH563WN#140 Ink Cartridge, HL-2270DW"))
        ['140', '61xl', 'ch563wn', 'hl2270dw']
    """
    return frozenset(w.lower().replace("-", "") for w in _CODE.findall(text) if any(c.isdigit() for c in w))


def written_codes(text: str, codes: frozenset[str]) -> list[str]:
    """The words of ``text`` that are among ``codes`` (see :func:`model_codes`), as written there.

    Example:
        >>> written_codes("will it work in my HL-2270DW or HL-5470?", frozenset({"hl2270dw", "tn450"}))
        ['HL-2270DW']
    """
    found = (w for w in _CODE.findall(text) if w.lower().replace("-", "") in codes)
    return list(dict.fromkeys(found))


def requested_codes(text: str, brands: frozenset[str] = frozenset()) -> list[str]:
    """The model numbers a customer writes: a word mixing letters and digits that is no count or
    measure ("TN450", "HL-2270DW", "G2"), or a number right after a brand of the catalog ("HP 61").
    Quantities ("3 ring binders", "500 pens", "10 reams") and order numbers ("112-5566778") are none.

    Example:
        >>> requested_codes("Will Brother TN450 toner work in my HL-2270DW?")
        ['tn450', 'hl2270dw']
        >>> requested_codes("Do you have HP 61 black ink?", frozenset({"hp"}))
        ['61']
        >>> requested_codes("I need 3 ring binders, 2 inch")
        []
        >>> requested_codes("a 3-pack of 12-sheet pads, order 112-5566778")
        []
    """
    words = _CODE.findall(text)
    out: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        if not any(c.isdigit() for c in low) or (low.replace("-", "").isdigit() and not low.isdigit()):
            continue
        if low.isdigit():
            if i > 0 and words[i - 1].lower() in brands:
                out.append(low)
            continue
        if not _MEASURE.fullmatch(low):
            out.append(low.replace("-", ""))
    return out


# A verb form made from a noun ("backpacking" of "backpack", "waxed" of "wax"): in a product's name it
# says what the product is for or how it is made, not what it is.
_DERIVED = re.compile(r"(?:ing|ed)$")


def _names_kind(name: str, noun: str, s: str) -> bool:
    """Whether a word of the product's ``name`` (folded: ``s``) names the kind ``noun`` names: the same
    word or its plural, not a verb form made from it ("Backpacking Tent" names no backpack).

    Example:
        >>> _names_kind("Ponderosa 2 Backpacking Tent", "backpack", "backpack")
        False
        >>> _names_kind("Summit 45L Backpack", "backpacks", "backpack"), _names_kind("Hiking Boot", "boots", "boot")
        (True, True)
    """
    asked = noun.lower()
    for word in re.findall(r"[^\W_]+(?:['-][^\W_]+)*", name.lower()):
        if s in tokenize(word) and not (_DERIVED.search(word) and not _DERIVED.search(asked)):
            return True
    return False


# Where a product name's kind ends: "Hiking Socks, 3-Pack", "Organizer with Drawer", "Bag for Kids".
_NAME_TAIL = re.compile(
    r",|;|\||\(|\s[-–]\s|\s(?:with|for|by|featuring|including)\s|\s(?:set|pack|box|case|pair|bundle)s?\s+of\s+\d", re.I
)
# Trailing words of a name that count or package the kind rather than name it ("Sheet Set", "Socks 3-Pack").
_PACKAGING = frozenset({"pack", "packs", "count", "ct", "pcs", "pc", "pieces", "piece", "pk", "set", "sets", "pair",
                        "pairs", "bundle", "dozen", "each", "box", "lot",
                        # units of a size ("Tape, 1.88 Inch"): a measure, never the kind
                        "inch", "inches", "in", "ft", "feet", "foot", "yard", "yards", "yd", "mm", "cm", "m", "meter",
                        "meters", "oz", "ounce", "ounces", "lb", "lbs", "pound", "pounds", "ml", "l", "liter", "liters",
                        "litre", "litres", "gallon", "gallons", "gb", "tb", "mah", "w", "watt", "watts", "v", "volt"})


def head_noun(name: str) -> str:
    """The word of a product name that says what it is (its last word before any detail), lowercased:
    "Waxed Cotton Boot Laces" is laces, not a boot.

    Example:
        >>> head_noun("Waxed Cotton Boot Laces"), head_noun("Alpine Wool Hiking Socks, 3-Pack")
        ('laces', 'socks')
        >>> head_noun("Cabin Flannel Sheet Set"), head_noun("Desk Organizer with Drawer"), head_noun("T-Shirt")
        ('sheet', 'organizer', 't-shirt')
        >>> head_noun("Duck Brand 393185 1.88 Inch by 22.2 Yard Tape"), head_noun("Enamel Camp Mug Set of 4")
        ('brand', 'mug')
    """
    first = _NAME_TAIL.split(name, maxsplit=1)[0]
    words = re.findall(r"[^\W_]+(?:['-][^\W_]+)*", first.lower())
    while len(words) > 1 and (words[-1] in _PACKAGING or any(c.isdigit() for c in words[-1])):
        words.pop()
    return words[-1] if words else ""


_NEGATION = re.compile(
    # "Not for use on a stove", "not suitable for dishwashers", "never in the microwave": what it is not for
    r"\b(?:not|never)\s+(?:(?:for\s+use|suitable|safe|made|meant|designed|intended)\s+)?(?:for|on|in|with)\s+"
    r"(?:an?\s+|the\s+)?([a-z][a-z'-]*)"
    r"|\b(?:not|non|isn'?t|aren'?t|never)[\s-]+(?:(?:fully|completely|entirely|truly|very)\s+)?([a-z][a-z'-]*)",
    re.I,
)


def negated_words(description: str) -> frozenset[str]:
    """The words (folded) the description denies of the product ("It is not waterproof", "non-stick").

    Example:
        >>> sorted(negated_words("A 45-liter pack. It is not waterproof; use a pack cover."))
        ['waterproof']
        >>> sorted(negated_words("Holds 0.8 litres. Not for use on a stove. Hand wash only."))
        ['stove']
    """
    return frozenset(
        w for m in _NEGATION.finditer(description) for w in tokenize(m.group(1) or m.group(2) or "")
    )


def free_of_stated(product: ProductFacts, thing: str) -> bool | None:
    """Whether the product's own text (name, description, tags) says it is free of ``thing``: True for
    "caffeine-free", "free of caffeine", "no caffeine", "without caffeine"; False when it names the thing
    otherwise ("Contains caffeine", a "caffeine" tag); None when it says nothing of it.

    Example:
        >>> tea = ProductFacts("A", "Earl Grey", "Tea", "", "Contains caffeine.", 14.0, True, ("caffeine",), (), ())
        >>> mint = ProductFacts("B", "Mint", "Tea", "", "Cooling and caffeine-free.", 8.0, True, (), (), ())
        >>> box = ProductFacts("C", "Tray", "Teaware", "", "A bamboo tray.", 45.0, True, (), (), ())
        >>> free_of_stated(tea, "caffeine"), free_of_stated(mint, "caffeine"), free_of_stated(box, "caffeine")
        (False, True, None)
    """
    text = " ".join([product.name, product.description, *product.tags]).lower()
    s = stem(thing)
    said = re.compile(
        rf"\b(?:{re.escape(thing)}|{re.escape(s)}\w*)[- ]free\b|\bfree (?:of|from) (?:{re.escape(s)}\w*)"
        rf"|\b(?:no|without|non)[- ](?:{re.escape(s)}\w*)"
    )
    if said.search(text):
        return True
    return False if s in {stem(w) for w in tokenize(text)} else None


def stated_amount(product: ProductFacts, unit: str) -> float | None:
    """The largest amount of ``unit`` (singular) the product's name or description states ("20 Sheet Capacity",
    "up to 28 sheets of paper": 28.0 for "sheet"), None when it states none.

    Example:
        >>> p = ProductFacts("A", "Desk Stapler, 20 Sheets", "", "", "Staples up to 28 sheets.", None, True, (), (), ())
        >>> stated_amount(p, "sheet"), stated_amount(p, "page")
        (28.0, None)
    """
    pattern = rf"(\d+(?:\.\d+)?)\s*[- ]?\s*{re.escape(unit)}s?\b"
    found = re.findall(pattern, f"{product.name} {product.description}", re.I)
    return max(float(v) for v in found) if found else None


def cjk_bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        out.update([run] if len(run) == 1 else {run[i : i + 2] for i in range(len(run) - 1)})
    return out


@dataclass(frozen=True)
class ProductFacts:
    """One product's own facts, as the shop states them."""

    product_id: str
    name: str
    category: str
    brand: str
    description: str
    price: float | None
    available: bool
    tags: tuple[str, ...]
    variants: tuple[tuple[dict[str, str], float | None, bool], ...]
    qa: tuple[tuple[str, str, str], ...]  # (id, question, answer)
    source: str = ""
    name_words: frozenset[str] = field(default_factory=frozenset)
    words: frozenset[str] = field(default_factory=frozenset)  # name, category, tags, description
    extra: frozenset[str] = field(default_factory=frozenset)  # Q&A and review words, CJK bigrams
    codes: frozenset[str] = field(default_factory=frozenset)  # the name's model numbers (model_codes)
    kind: str = ""  # the head word of the category's last level ("Inkjet Printer Ink" -> "ink"), stemmed
    options: frozenset[str] = field(default_factory=frozenset)  # its variants' option values' words ("green")
    ratings: tuple[float, ...] = ()  # the star ratings its reviews gave (reviews without one are left out)
    negated: frozenset[str] = field(default_factory=frozenset)  # words its description denies ("not waterproof")
    option_names: frozenset[str] = field(default_factory=frozenset)  # its variants' option names' words ("waterproof")
    option_codes: frozenset[str] = field(default_factory=frozenset)  # model numbers it comes in ("model: Galaxy S24")

    @property
    def text(self) -> str:
        parts = [self.name, self.brand, self.category, self.description, " ".join(self.tags)]
        return ". ".join(p for p in parts if p)

    def sentences(self) -> list[str]:
        return [s for s in split_sentences(self.description) if len(s) > 3]

    def rating(self) -> tuple[str, str, int] | None:
        """(average as written, scale, count) of its reviews' ratings ("4.5", "5", 2); None without any."""
        if not self.ratings:
            return None
        average = f"{sum(self.ratings) / len(self.ratings):.1f}".removesuffix(".0")
        return average, ("5" if max(self.ratings) <= 5 else "10"), len(self.ratings)


@dataclass(frozen=True)
class Match:
    product: ProductFacts
    score: float
    attributes_met: int


class CatalogIndex:
    """In-memory view of the catalog for the turn pipeline; reloads when the products change.

    ``encode_many`` embeds product texts (passage side); ``check_seconds`` is how often the store
    is asked whether the catalog changed.
    """

    def __init__(
        self,
        db: Database,
        encode_many: Callable[[Sequence[str]], np.ndarray],
        qa_loader: Callable[[], Sequence[tuple[str, str, str, str]]] = lambda: (),
        check_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.encode_many = encode_many
        self.qa_loader = qa_loader
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._signature: tuple[object, ...] | None = None
        self._checked = 0.0
        self.products: list[ProductFacts] = []
        self.by_id: dict[str, ProductFacts] = {}
        self.vectors = np.zeros((0, 1), dtype=np.float32)
        self.categories: list[str] = []
        self.doc_freq: Counter[str] = Counter()
        self.surface: list[str] = []
        self.name_freq: Counter[str] = Counter()
        # A name's own first word, in no other name ("darjeel" -> Darjeeling First Flush): see named_by_word
        self.by_first_word: dict[str, ProductFacts] = {}
        self.category_words: dict[str, frozenset[str]] = {}
        self._typed: dict[str, tuple[ProductFacts, ...]] = {}
        self.brands: frozenset[str] = frozenset()  # one-word brand names, lower-cased ("hp", "epson")
        # Each word of a variant option's value with the option keys that hold it ("green" -> {"color"}).
        self.option_keys: dict[str, frozenset[str]] = {}
        self.refresh()

    # --- loading -------------------------------------------------------------------------------
    def _store_signature(self) -> tuple[object, ...]:
        with self.db.session() as s:
            row = s.execute(select(func.count(Product.id), func.max(Product.updated_at))).one()
            reviews = s.scalar(select(func.count(Review.id)))
        return (row[0], str(row[1]), reviews)

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._signature is not None and now - self._checked < self.check_seconds:
            return
        self._checked = now
        sig = self._store_signature()
        if sig == self._signature and not force:
            return
        with self._lock:
            self._load()
            self._signature = sig

    def _load(self) -> None:
        qa: dict[str, list[tuple[str, str, str]]] = {}
        extra: dict[str, set[str]] = {}
        ratings: dict[str, list[float]] = {}
        with self.db.session() as s:
            rows = list(s.scalars(select(Product).options(selectinload(Product.variants)).order_by(Product.id)))
            for r in s.scalars(select(Review)):
                extra.setdefault(r.product_id, set()).update(tokenize(f"{r.title} {r.text}"))
                if r.rating:
                    ratings.setdefault(r.product_id, []).append(float(r.rating))
        for pid, qid, q, a in self.qa_loader():
            qa.setdefault(pid, []).append((qid, q, a))
            extra.setdefault(pid, set()).update(tokenize(f"{q} {a}"))
        products = []
        for p in rows:
            variants = tuple((dict(v.options or {}), v.price, bool(v.available)) for v in p.variants)
            tags = tuple(str(t) for t in (p.tags or []))
            name_words = frozenset(tokenize(p.name))
            # Catalogs ingested before markup was cleaned at ingest still carry it: never quoted.
            description = strip_markup(p.description or "")
            words = frozenset(tokenize(f"{p.name} {p.category} {description} {' '.join(tags)}"))
            products.append(
                ProductFacts(
                    product_id=p.id,
                    name=p.name,
                    category=p.category or "",
                    brand=p.brand or "",
                    description=description,
                    price=p.price,
                    available=bool(p.available) and (not variants or any(v[2] for v in variants)),
                    tags=tags,
                    variants=variants,
                    qa=tuple(qa.get(p.id, [])),
                    source=p.source,
                    name_words=name_words,
                    words=words,
                    extra=frozenset(extra.get(p.id, set())),
                    codes=model_codes(p.name),
                    kind=category_head(p.category or ""),
                    options=frozenset(w for o, _price, _ok in variants for v in o.values() for w in tokenize(str(v))),
                    ratings=tuple(ratings.get(p.id, [])),
                    negated=negated_words(description),
                    option_names=frozenset(w for o, _price, _ok in variants for k in o for w in tokenize(str(k))),
                    option_codes=model_codes(" ".join(str(v) for o, _price, _ok in variants for v in o.values())),
                )
            )
        self.products = products
        self.by_id = {p.product_id: p for p in products}
        self.categories = sorted({p.category for p in products if p.category})
        self.doc_freq = Counter(w for p in products for w in p.words)
        # The catalog's words as written (4+ letters), for reading a misspelled request word ("coffe")
        self.surface = sorted(
            {w for p in products for w in re.findall(r"[a-z]{4,}", f"{p.name} {p.category} {' '.join(p.tags)}".lower())}
            | {w for p in products for w in re.findall(r"[a-z]{4,}", p.description.lower())}
        )
        self.name_freq = Counter(w for p in products for w in p.name_words)
        firsts = ((tokenize(p.name)[:1], p) for p in products)
        self.by_first_word = {f[0]: p for f, p in firsts if f and len(f[0]) >= 4 and self.name_freq[f[0]] == 1}
        self._typed = {}
        # What kind of thing each product is, as its category's last level says ("Outdoor > Tents": tent)
        self.category_words = {
            p.product_id: frozenset(tokenize(re.split(r"\s*(?:>|/|\|)\s*", p.category)[-1])) for p in products
        }
        self.brands = frozenset(b.lower() for p in products if len(b := p.brand.strip()) >= 2 and " " not in b)
        keys: dict[str, set[str]] = {}
        for facts in products:
            for options, _price, _ok in facts.variants:
                for key, value in options.items():
                    for w in tokenize(str(value)):
                        keys.setdefault(w, set()).add(str(key))
        self.option_keys = {w: frozenset(k) for w, k in keys.items()}
        self.vectors = (
            np.asarray(self.encode_many([p.text for p in products]), dtype=np.float32)
            if products
            else np.zeros((0, 1), dtype=np.float32)
        )
        log.info("catalog index: %d products, %d categories", len(products), len(self.categories))

    # --- lookups -------------------------------------------------------------------------------
    def get(self, product_id: str | None) -> ProductFacts | None:
        return self.by_id.get(product_id) if product_id else None

    def named_in(self, text: str, *, pointed: bool = True) -> ProductFacts | None:
        """The product the message names: most distinctive name words present (at least two, or all),
        else the first word of its name when no other product's text holds it ("the Basalt", "the
        Glowworm": a product's own name, as customers shorten it; not a type word such as "tent")."""
        q = set(tokenize(text))
        own = {p.product_id: p for p in self.products if (w := self._own_name(p)) is not None and w in q}
        # "is the skillet dishwasher safe?": "the" and a word of one product's name only (``pointed``:
        # the caller lets a single such word name a product).
        if pointed:
            words = set(tokenize(" ".join(re.findall(r"\b(?:the|this|that|your)\s+([^\W\d_][\w'-]+)", text, re.I))))
            own.update({p.product_id: p for p in self.products for w in p.name_words & words if self.name_freq[w] == 1})
            # "is the backpack waterproof?" when another name says "Backpacking": the one product the word
            # names as what it is.
            for w in words:
                kind = [p for p in self.products if w in p.name_words and _names_kind(p.name, w, w)]
                if self.name_freq[w] > 1 and len(kind) == 1:
                    own[kind[0].product_id] = kind[0]
        best: tuple[float, ProductFacts] | None = None
        for p in self.products:
            overlap = p.name_words & q
            if not overlap:
                continue
            need = min(2, len(p.name_words))
            if len(overlap) < need:
                continue
            # Distinctive words weigh more: "wool" is in several names, "beanie" in one.
            score = sum(1.0 / self.name_freq[w] for w in overlap) + len(overlap) / max(len(p.name_words), 1)
            if best is None or score > best[0]:
                best = (score, p)
        if best is None and len(own) == 1:
            return next(iter(own.values()))
        if best is None and not own and pointed:
            return self.named_as_kind(text)
        return best[1] if best else None

    def named_as_kind(self, text: str) -> ProductFacts | None:
        """The product "the road bike" points at: of the products of the kind named last ("bike"), the one
        whose name or tags hold the word before it ("Apex Road 105", tagged "road bike"), when only one does;
        the word may name other kinds too ("Aero Road Helmet")."""
        m = re.search(r"\b(?:the|this|that|your)\s+([^\W\d_][\w'-]+)\s+([^\W\d_][\w'-]+)\b", text, re.I)
        if m is None:
            return None
        said = tokenize(m.group(1))  # (a stopword: none)
        if not said:
            return None
        qualifier, kind = said[0], m.group(2)
        typed = self.type_products(kind)
        own = [p for p in typed if qualifier in p.name_words or qualifier in set(tokenize(" ".join(p.tags)))]
        return own[0] if len(own) == 1 and len(typed) > 1 else None

    def named_by_word(self, text: str) -> ProductFacts | None:
        """The one product whose name's first word ``text`` holds, a word of no other name ("darjeeling" for
        "Darjeeling First Flush", though a sampler's description lists it too): for a phrase already known to name
        one product, such as each side of "which is cheaper, earl grey or darjeeling?"; None when none or several."""
        # (the name's own first word, "Darjeeling", never "two" of "Two-Burner Stove")
        hits = {p.product_id: p for w in set(tokenize(text)) if (p := self.by_first_word.get(w)) is not None}
        return next(iter(hits.values())) if len(hits) == 1 else None

    def own_name(self, product: ProductFacts) -> str | None:
        """The first word of the product's name when it names that product alone ("basalt"), else None."""
        return self._own_name(product)

    def _own_name(self, product: ProductFacts) -> str | None:
        """The first word of the product's name when it is the product's alone: in no other product's
        name or text, and not a short word."""
        words = tokenize(product.name)
        if not words or len(words) < 2:
            return None
        word = words[0]
        return word if len(word) >= 4 and self.name_freq[word] == 1 and self.doc_freq[word] == 1 else None

    def type_products(self, noun: str) -> list[ProductFacts]:
        """Products whose name carries the noun ("socks" -> the socks; "tent" -> the tents; "bags" -> the
        sleeping bag: a short plural the tokenizer keeps whole), or whose category's last level is named
        by it ("ink" -> an "Inkjet Cartridge" in "Inkjet Printer Ink")."""
        cached = self._typed.get(noun)
        if cached is not None:
            return list(cached)
        s = stem(noun)
        found = [p for p in self.products if _names_kind(p.name, noun, s) or s == p.kind]
        if not found and len(s) > 3 and s.endswith("s") and not s.endswith("ss"):
            s = s[:-1]
            found = [p for p in self.products if _names_kind(p.name, noun, s) or s == p.kind]
        # Those the noun names as what they are ("Hiking Boot"), when there are any, not those it only
        # qualifies ("Boot Laces", "Tent Footprint"): "boots under $100" is not the laces.
        headed = [p for p in found if s == p.kind or _names_kind(head_noun(p.name), noun, s)]
        # Asked of the same words turn after turn (a scan of every name each time): kept until the catalog reloads.
        self._typed[noun] = tuple(headed or found)
        return headed or found

    def comes_in(self, product: ProductFacts, word: str) -> bool:
        """Whether the product comes in ``word`` ("green"): when the catalog's variants use the word as
        an option's value and the product has that option, its own variants decide (a green jacket has
        a green variant; a review's "I wanted it in green" is no variant); else its own text or its
        Q&A and reviews hold the word ("leather")."""
        return self._offers(product, stem(word))

    def _offers(self, product: ProductFacts, s: str) -> bool:
        """:meth:`comes_in` for a word already folded by :func:`stem`."""
        keys = self.option_keys.get(s, frozenset())
        if any(k in options for options, _price, _ok in product.variants for k in keys):
            return s in product.options
        if s in product.negated:  # "It is not waterproof": the word is there, the attribute is not
            return False
        return s in product.words or s in product.extra or s in product.options

    def with_codes(self, codes: Sequence[str], among: Sequence[ProductFacts] | None = None) -> list[ProductFacts]:
        """Products whose name carries every model number (exactly, as a word: "61" is not "61XL"), or that come
        in a version made for it (a case sold in "model: Galaxy S24")."""
        wanted = {c.replace("-", "").lower() for c in codes}
        if not wanted:
            return []
        return [p for p in (self.products if among is None else among) if wanted <= p.codes | p.option_codes]

    def brands_in(self, text: str) -> list[str]:
        """The catalog's (one-word) brands the text names ("ink for an Epson printer" -> ["epson"])."""
        return [w for w in dict.fromkeys(re.findall(r"[a-z0-9][a-z0-9&'-]*", text.lower())) if w in self.brands]

    @staticmethod
    def of_brand(products: Sequence[ProductFacts], brands: Sequence[str]) -> list[ProductFacts]:
        """The products of one of the brands, by their brand or their name ("compatible Brother TN450")."""
        return [p for p in products if p.brand.lower() in brands or any(stem(b) in p.name_words for b in brands)]

    def category_named(self, words: Sequence[str]) -> str | None:
        """A category whose name contains one of the words ("kitchen" -> "Kitchen")."""
        stems = {stem(w) for w in words}
        for c in self.categories:
            if stems & set(tokenize(c)):
                return c
        return None

    def kinds(self, limit: int = 8) -> list[tuple[str, list[ProductFacts]]]:
        """The kinds of products the shop sells, most products first: its categories at the first level
        of their paths where they differ ("Office, Printer Ink & Toner" and "Office, Paper" -> "Printer
        Ink & Toner", "Paper"), each with its products (best-reviewed first). At most ``limit`` kinds.

        Example:
            >>> idx = CatalogIndex.__new__(CatalogIndex)
            >>> idx.products = [ProductFacts("1", "Pen", "Office, Pens", "", "", 1.0, True, (), (), ()),
            ...                 ProductFacts("2", "Ream", "Office, Paper", "", "", 5.0, True, (), (), ())]
            >>> [(kind, [p.name for p in items]) for kind, items in idx.kinds()]
            [('Paper', ['Ream']), ('Pens', ['Pen'])]
        """
        paths = [
            [part.strip() for part in p.category.replace(">", ",").split(",") if part.strip()] for p in self.products
        ]
        depth = max((len(path) for path in paths), default=0)
        level = next((d for d in range(depth) if len({tuple(path[: d + 1]) for path in paths}) > 1), depth - 1)
        groups: dict[str, list[ProductFacts]] = {}
        for product, path in zip(self.products, paths, strict=True):
            if path:
                groups.setdefault(path[min(level, len(path) - 1)], []).append(product)
        for items in groups.values():
            items.sort(key=lambda p: (-len(p.ratings), -(sum(p.ratings) / len(p.ratings) if p.ratings else 0.0)))
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]

    def is_vocabulary(self, word: str) -> bool:
        """A word of the catalog's products: their text, or their variants' option values ("green")."""
        s = stem(word)
        return self.doc_freq.get(s, 0) > 0 or s in self.option_keys

    def vocabulary_form(self, word: str) -> str | None:
        """``word`` as the catalog's text writes it: itself when a product's text holds it, else the noun
        an adjective is made from ("rainy" -> "rain", "windier" -> "wind") when one does; else None.

        Example:
            >>> idx = CatalogIndex.__new__(CatalogIndex)
            >>> idx.doc_freq, idx.option_keys = Counter({"rain": 2, "shell": 1}), {}
            >>> idx.vocabulary_form("rainy"), idx.vocabulary_form("shell"), idx.vocabulary_form("sunny")
            ('rain', 'shell', None)
        """
        if self.is_vocabulary(word):
            return word
        base = re.sub(r"(?:ier|iest|y)$", "", word.lower())
        if len(base) >= 3 and base != word.lower() and self.is_vocabulary(base):
            return base
        return None

    def spelled(self, word: str) -> str | None:
        """The catalog word a misspelled request word stands for ("coffe" -> "coffee", "hikng" -> "hiking"): a
        close match (difflib ratio >= 0.85, same first letter, 4+ letters) to a word of the products' text, when
        the word itself is none; None otherwise (a word of the catalog, or no close one: an ordinary word is
        never read as another).

        Example:
            >>> idx = CatalogIndex.__new__(CatalogIndex)
            >>> idx.doc_freq, idx.option_keys = Counter({"coffe": 0, "hike": 1, "boot": 1}), {}
            >>> idx.surface = ["boots", "coffee", "hiking", "kettle", "needle"]
            >>> idx.spelled("coffe"), idx.spelled("hikng"), idx.spelled("boots"), idx.spelled("need")
            ('coffee', 'hiking', None, None)
        """
        w = word.lower()
        if len(w) < 4 or not w.isalpha() or self.is_vocabulary(w):
            return None
        close = difflib.get_close_matches(w, [s for s in self.surface if s[0] == w[0]], n=1, cutoff=0.85)
        return close[0] if close else None

    def infer_category(self, query_vec: np.ndarray, top: int = 2) -> tuple[str | None, float]:
        """The category whose best products match the query best (mean of its top cosines)."""
        if not len(self.products):
            return None, 0.0
        sims = self.vectors @ query_vec
        best: tuple[str | None, float] = (None, -1.0)
        for c in self.categories:
            idx = [i for i, p in enumerate(self.products) if p.category == c]
            vals = sorted((float(sims[i]) for i in idx), reverse=True)[:top]
            score = float(np.mean(vals)) if vals else -1.0
            if score > best[1]:
                best = (c, score)
        return best

    def similarity(self, query_vec: np.ndarray) -> np.ndarray:
        return self.vectors @ query_vec if len(self.products) else np.zeros(0, dtype=np.float32)

    def search(
        self,
        query_vec: np.ndarray | None,
        *,
        candidates: Sequence[ProductFacts] | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
        attributes: Sequence[str] = (),
        uses: Sequence[str] = (),
        query_text: str = "",
        attribute_weight: float = 0.15,
        exclude: Sequence[str] = (),
    ) -> list[Match]:
        """Rank products: hard price limits, then attributes met, then similarity to the need."""
        pool = list(candidates) if candidates is not None else list(self.products)
        pool = [
            p
            for p in pool
            if p.product_id not in exclude
            and (price_max is None or (p.price is not None and p.price <= price_max))
            and (price_min is None or (p.price is not None and p.price >= price_min))
        ]
        if not pool:
            return []
        sims = self.similarity(query_vec) if query_vec is not None else np.zeros(len(self.products))
        pos = {p.product_id: i for i, p in enumerate(self.products)}
        attr_stems = [stem(form) for a in attributes if (form := self.vocabulary_form(a))]
        use_stems = [stem(form) for u in uses if (form := self.vocabulary_form(u))]
        grams = cjk_bigrams(query_text) if has_cjk(query_text) else set()
        out = []
        for p in pool:
            met = sum(1 for a in attr_stems if self._offers(p, a))
            used = sum(1 for u in use_stems if u in p.words and u not in p.negated)
            score = float(sims[pos[p.product_id]]) if len(sims) else 0.0
            score += attribute_weight * (met + 0.5 * used)
            if grams:
                # Text in the customer's language (Chinese Q&A, reviews) about this product.
                score += attribute_weight * len(grams & p.extra)
            out.append(Match(p, score, met))
        best_met = max(m.attributes_met for m in out)
        if attr_stems and best_met > 0:
            # Products with every attribute the best ones have come first; the rest only pad.
            out.sort(key=lambda m: (-(m.attributes_met >= best_met), -m.score))
        else:
            out.sort(key=lambda m: -m.score)
        return out
