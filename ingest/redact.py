"""PII redaction for the ingestion pipeline.

Every text is redacted here before it is stored or embedded.  E-mail addresses,
phone numbers, payment card numbers and street addresses are replaced by the
typed placeholders ``<EMAIL>``, ``<PHONE>``, ``<CARD>`` and ``<ADDRESS>``.
Order ids, product ids, prices, dates, times, zip codes on their own, quantities
and tracking numbers are kept, because the assistant needs them to answer.

Detection is done by Microsoft Presidio with pattern/rule based recognizers only:

* the NLP engine is ``spacy.blank("en")`` (a tokenizer, no trained model, so
  nothing is ever downloaded);
* the registry holds exactly four recognizers: Presidio's ``EmailRecognizer``
  (its domain check reads tldextract's bundled public-suffix snapshot, never the
  network), ``PhoneRecognizer`` (python-phonenumbers, regions in
  :data:`PHONE_REGIONS`), ``CreditCardRecognizer`` (Luhn checked, 13-19 digits)
  and a ``PatternRecognizer`` for street addresses.

Usage::

    from ingest.redact import get_redactor

    result = get_redactor().redact("Call me at (415) 555-0132 about order #W2378156")
    result.text   # 'Call me at <PHONE> about order #W2378156'
    result.found  # {'PHONE': 1}
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import spacy
import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerInput
from spacy.tokens import Doc

__all__ = [
    "ENTITY_TYPES",
    "PHONE_REGIONS",
    "RedactionResult",
    "Redactor",
    "get_redactor",
]

#: Entity types this module can redact; the placeholder of type ``T`` is ``<T>``.
ENTITY_TYPES: Final[tuple[str, ...]] = ("EMAIL", "PHONE", "CARD", "ADDRESS")

#: Regions whose *national* phone formats are recognised.  International
#: ``+CC`` numbers are recognised for every country whatever this list holds.
#: Canada is not listed because it shares the North American Numbering Plan
#: with the US: the US pass already finds and validates Canadian numbers, a CA
#: pass would only double the cost of those digits.
PHONE_REGIONS: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IN", "CN", "AU")

_LANGUAGE: Final = "en"

# --------------------------------------------------------------------------
# Cheap pre-check.  analyze() costs ~1 ms (mostly one phonenumbers scan per
# region); most ingested texts hold no PII at all, so they are skipped when
# they cannot possibly contain any of the requested types:
#   EMAIL   needs an "@" (Presidio's e-mail patterns require an ASCII "@");
#   PHONE   needs >= 7 digits: the shortest number any of PHONE_REGIONS writes
#           is 7 digits with its trunk prefix or "+CC" (only some DE/AU special
#           service numbers are shorter);
#   CARD    needs >= 13 digits;
#   ADDRESS needs a digit and a street-type word.
# --------------------------------------------------------------------------
_MIN_PHONE_DIGITS: Final = 7
_MIN_CARD_DIGITS: Final = 13
_DIGIT_RE: Final = re.compile(r"\d")

_STREET_SUFFIXES_ANYCASE: Final = "street|avenue|road|boulevard|blvd|st|ave|rd"
_STREET_SUFFIXES_TITLE: Final = (
    "Drive|Dr|Lane|Ln|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|"
    "Square|Sq|Trail|Trl|Crescent|Cres|Close|Grove|Gardens|Mews|Row|Alley|Plaza|Loop|Pike|Av"
)
_GERMAN_STREET_SUFFIXES: Final = "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm"
_ADDRESS_HINT_RE: Final = re.compile(
    rf"\b(?:{_STREET_SUFFIXES_ANYCASE}|{_STREET_SUFFIXES_TITLE}|box)\b"
    rf"|(?:{_GERMAN_STREET_SUFFIXES})(?=\s*\d)",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------
# Reference ids (orders, purchases, invoices, tracking numbers, SKUs, ...).
#
# Presidio's PhoneRecognizer runs python-phonenumbers over the whole text, and
# any 10-digit run starting 6-9 is a valid Indian mobile number, a 15-digit
# order number starting 6 can be Luhn-valid, etc.  Context words cannot fix this
# (context only *raises* scores and "order 9876543210" carries no phone
# context to lower), and a score threshold cannot either (the phone score is a
# constant 0.4, the card score is 1.0 after the Luhn check).  So after analysis
# the PHONE and CARD results that overlap a reference id -- the token right after
# "order", "purchase", "#", ... -- are dropped: a deny filter on the results,
# driven by this pattern.  E-mail and address results are never filtered.
# --------------------------------------------------------------------------
_REFERENCE_KEYWORD_RE: Final = re.compile(
    r"""\b(?:order|purchase|invoice|receipt|confirmation|tracking|shipment|parcel|package|rma|
            ticket|transaction|ref|reference|sku|serial|model|product|item|awb)s?
        (?:\s+(?:id|no|nr|num|number|code|ref))?\.?
        (?:\s+(?:is|was))?
        \s*[:\#]?\s*
        (?=[A-Z-]*\d)                 # the id holds at least one digit
        (\#?[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?)""",
    re.IGNORECASE | re.VERBOSE,
)
_HASH_ID_RE: Final = re.compile(r"(?<![\w&])\#\s?(?=[A-Z-]*\d)([A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?)", re.IGNORECASE)
# "phone #: 415 555 0132", "card # 4111 ..." -- here "#" means "number", not an id.
_HASH_MEANS_NUMBER_RE: Final = re.compile(
    r"\b(?:phone|tel|telephone|cell|mobile|fax|contact|whatsapp|call|text|card|cc|visa|"
    r"mastercard|amex|discover|debit|credit)\s*$",
    re.IGNORECASE,
)
_FILTERED_BY_REFERENCE_IDS: Final = frozenset({"PHONE", "CARD"})


def _reference_id_spans(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` spans of order/purchase/tracking/... ids in ``text``."""
    spans = [m.span(1) for m in _REFERENCE_KEYWORD_RE.finditer(text)]
    for match in _HASH_ID_RE.finditer(text):
        if not _HASH_MEANS_NUMBER_RE.search(text, 0, match.start()):
            spans.append(match.span(1))
    return spans


# --------------------------------------------------------------------------
# Recognizers
# --------------------------------------------------------------------------
class _BlankSpacyNlpEngine(SpacyNlpEngine):
    """``SpacyNlpEngine`` over ``spacy.blank("en")``: a tokenizer, no model to download.

    The blank pipeline has no lemmatizer (every ``lemma_`` is empty), which would
    silently disable Presidio's context enhancement; the lower-cased token text
    is used as the lemma instead.
    """

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": _LANGUAGE, "model_name": "blank:en"}])

    def load(self) -> None:
        self.nlp = {_LANGUAGE: spacy.blank(_LANGUAGE)}

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )


def _offline_tld_extractor() -> tldextract.TLDExtract:
    """A TLD extractor that only reads tldextract's bundled public-suffix snapshot.

    ``EmailRecognizer.validate_result`` calls the module-level
    ``tldextract.extract``, whose default extractor downloads the public suffix
    list on first use (and logs a warning when offline).  With
    ``suffix_list_urls=()`` there is nothing to fetch, ``fallback_to_snapshot``
    reads the snapshot shipped inside the wheel, and ``cache_dir=None`` keeps it
    from writing a cache file under ``~/.cache``.
    """
    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    extractor("example.com")  # parse the snapshot now, not on the first e-mail
    return extractor


class _OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating the domain against the bundled suffix list.

    A second pattern bounded by ASCII characters is added: Presidio's pattern is
    built on ``\\w``, which also matches CJK characters, so in unspaced Chinese
    text ("请发到zhang.wei@example.cn谢谢") it swallows the neighbouring
    characters into the address and the domain check then rejects it.
    """

    _ASCII_EMAIL: Final = (
        r"(?<![A-Za-z0-9._%+\-])"
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
        r"(?![A-Za-z0-9-])"
    )

    def __init__(self) -> None:
        super().__init__(
            patterns=[*EmailRecognizer.PATTERNS, Pattern("Email (ASCII bounded)", self._ASCII_EMAIL, 0.5)],
            supported_entity="EMAIL",
        )
        self._tld_extractor = _offline_tld_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld_extractor(pattern_text).fqdn != ""


class _CardRecognizer(CreditCardRecognizer):
    """Presidio's card recognizer with a 13-19 digit pattern and the Luhn check.

    Presidio's own pattern stops at 17 digits and also accepts a leading "1"; this
    one takes 13-19 digits either contiguous or grouped with one consistent
    separator (4-4-4-4, 4-6-5 Amex, 4-6-4 Diners, 4-4-4-4-3, 4-4-5), starting
    with 2-6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard,
    Discover/UnionPay), so long order numbers starting with 0, 1, 7, 8 or 9 are
    never candidates.
    """

    _CARD: Final = (
        r"(?<![\w.,+\-])"
        r"(?:[2-6]\d{12,18}|[2-6]\d{3}([ -])\d{4,6}(?:\1\d{3,5}){1,3})"
        r"(?![\w\-]|[.,]\d)"
    )

    def __init__(self) -> None:
        super().__init__(patterns=[Pattern("Card 13-19 digits", self._CARD, 0.3)], supported_entity="CARD")

    def validate_result(self, pattern_text: str) -> bool:
        digits = "".join(_DIGIT_RE.findall(pattern_text))
        if not _MIN_CARD_DIGITS <= len(digits) <= 19 or len(set(digits)) == 1:
            return False
        return bool(super().validate_result(pattern_text))


def _address_recognizer() -> PatternRecognizer:
    """Street addresses: "123 Main Street", "42 Oak Ave, Apt 5", "Hauptstraße 5", "PO Box 12"."""
    number = r"\b\d{1,6}[A-Za-z]?(?:-\d{1,4})?"
    direction = r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
    stop = (
        r"(?!(?i:the|a|an|of|on|in|at|to|for|from|and|or|my|your|our|this|that|with|off|by|per|"
        r"is|are|was|were|it|its|some|any|more|new|old|x|pcs|items?|units?|boxes?|packs?|times?|"
        r"days?|weeks?|months?|years?)\b)"
    )
    name = rf"{stop}(?:[A-Za-z][a-z'’][A-Za-z'’\-]*|\d{{1,3}}(?:st|nd|rd|th))"
    suffix = rf"(?:(?i:{_STREET_SUFFIXES_ANYCASE})|{_STREET_SUFFIXES_TITLE})\b\.?"
    unit = (
        r"(?:,?\s*(?:(?i:apt|apartment|suite|ste|unit|fl|floor|rm|room|bldg|building)\.?\s*\#?\s*"
        r"|\#\s?)[A-Za-z0-9][A-Za-z0-9\-]*)?"
    )
    city_state_zip = r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2},\s*[A-Z]{2}(?:\s+\d{5}(?:-\d{4})?)?\b)?"
    street = rf"{number}\s+{direction}(?:{name}\s+){{1,4}}{suffix}{unit}{city_state_zip}"
    german = rf"\b[A-ZÄÖÜ][a-zäöüß]+(?:{_GERMAN_STREET_SUFFIXES})\s*\d{{1,4}}[a-z]?\b"
    po_box = r"\b(?i:p\.?\s?o\.?\s*box)\s+\d{1,8}\b"
    return PatternRecognizer(
        supported_entity="ADDRESS",
        name="StreetAddressRecognizer",
        patterns=[
            Pattern("Street address", street, 0.6),
            Pattern("German street address", german, 0.6),
            Pattern("PO box", po_box, 0.6),
        ],
        context=["address", "ship", "deliver", "live", "street", "send", "mail"],
        # Case matters here (street names are capitalised, "TB Drive" is not a
        # street); the case-insensitive parts use inline (?i:...) groups.
        global_regex_flags=re.MULTILINE,
    )


@dataclass(frozen=True)
class _Engines:
    analyzer: AnalyzerEngine
    batch_analyzer: BatchAnalyzerEngine
    anonymizer: AnonymizerEngine
    operators: dict[str, OperatorConfig]


def _build_engines() -> _Engines:
    """Build the Presidio analyzer and anonymizer (slow: ~1 s; shared through :func:`_engines`)."""
    registry = RecognizerRegistry(
        recognizers=[
            _OfflineEmailRecognizer(),
            PhoneRecognizer(supported_entity="PHONE", supported_regions=PHONE_REGIONS, leniency=1),
            _CardRecognizer(),
            _address_recognizer(),
        ],
        supported_languages=[_LANGUAGE],
    )
    analyzer = AnalyzerEngine(
        registry=registry, nlp_engine=_BlankSpacyNlpEngine(), supported_languages=[_LANGUAGE]
    )
    operators = {
        entity: OperatorConfig("replace", {"new_value": f"<{entity}>"}) for entity in ENTITY_TYPES
    }
    return _Engines(analyzer, BatchAnalyzerEngine(analyzer), AnonymizerEngine(), operators)


_engines_lock = threading.Lock()
_engines_instance: _Engines | None = None


def _engines() -> _Engines:
    global _engines_instance
    with _engines_lock:
        if _engines_instance is None:
            _engines_instance = _build_engines()
        return _engines_instance


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RedactionResult:
    """Outcome of redacting one text.

    ``text`` is the redacted text; ``found`` counts the replaced spans per entity
    type and only holds types that were found (``{}`` when nothing was).
    """

    text: str
    found: dict[str, int] = field(default_factory=dict)


class Redactor:
    """Replace PII in texts with typed placeholders (``<EMAIL>``, ``<PHONE>``, ``<CARD>``, ``<ADDRESS>``).

    Instances are cheap and thread-safe: the Presidio engines they use are built
    once per process and shared.  Use :func:`get_redactor` for the default one.

    Example::

        >>> redactor = Redactor(entities=("EMAIL", "CARD"))
        >>> result = redactor.redact("Card 4111 1111 1111 1111, mail jo@example.com, order #W2378156")
        >>> result.text
        'Card <CARD>, mail <EMAIL>, order #W2378156'
        >>> result.found
        {'CARD': 1, 'EMAIL': 1}

    :param entities: the types to redact, a non-empty subset of :data:`ENTITY_TYPES`.
    :param score_threshold: minimum Presidio confidence, in ``[0, 1]``.  E-mails and
        cards pass their validation with 1.0, phone numbers score 0.4 (0.75 with a
        context word such as "call" or "phone" in the five words before), addresses 0.6.
    :raises TypeError: if ``entities`` is a plain string or ``score_threshold`` not a number.
    :raises ValueError: if ``entities`` is empty or holds an unknown type, or the
        threshold lies outside ``[0, 1]``.
    """

    def __init__(
        self,
        entities: Sequence[str] = ENTITY_TYPES,
        score_threshold: float = 0.4,
    ) -> None:
        if isinstance(entities, str):
            raise TypeError("entities must be a sequence of entity names, not a single string")
        requested = tuple(dict.fromkeys(entities))
        if not requested:
            raise ValueError("entities must not be empty")
        unknown = [entity for entity in requested if entity not in ENTITY_TYPES]
        if unknown:
            raise ValueError(f"unknown entity types {unknown!r}; supported: {list(ENTITY_TYPES)}")
        if isinstance(score_threshold, bool) or not isinstance(score_threshold, (int, float)):
            raise TypeError("score_threshold must be a number")
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must lie in [0, 1], got {score_threshold}")
        self._entities: tuple[str, ...] = requested
        self._score_threshold = float(score_threshold)
        self._wants_email = "EMAIL" in requested
        self._wants_address = "ADDRESS" in requested
        if "PHONE" in requested:
            self._min_digits = _MIN_PHONE_DIGITS
        elif "CARD" in requested:
            self._min_digits = _MIN_CARD_DIGITS
        else:
            self._min_digits = 0  # digits alone never trigger analysis
        self._engines = _engines()

    @property
    def entities(self) -> tuple[str, ...]:
        """The entity types this redactor replaces."""
        return self._entities

    @property
    def score_threshold(self) -> float:
        """The minimum Presidio confidence for a span to be replaced."""
        return self._score_threshold

    def redact(self, text: str) -> RedactionResult:
        """Return ``text`` with the requested PII types replaced by placeholders."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        if not self._may_contain_pii(text):
            return RedactionResult(text)
        results = self._engines.analyzer.analyze(
            text=text,
            language=_LANGUAGE,
            entities=list(self._entities),
            score_threshold=self._score_threshold,
        )
        return self._replace(text, results)

    def redact_many(self, texts: Iterable[str]) -> list[RedactionResult]:
        """Redact a batch of texts; same results as ``[self.redact(t) for t in texts]``.

        Texts that fail the cheap pre-check are returned untouched; the others go
        through Presidio's ``BatchAnalyzerEngine`` (one spaCy ``pipe`` call).
        """
        items = list(texts)
        for text in items:
            if not isinstance(text, str):
                raise TypeError(f"texts must hold str, got {type(text).__name__}")
        out = [RedactionResult(text) for text in items]
        todo = [i for i, text in enumerate(items) if self._may_contain_pii(text)]
        if todo:
            batches = self._engines.batch_analyzer.analyze_iterator(
                [items[i] for i in todo],
                language=_LANGUAGE,
                batch_size=64,
                entities=list(self._entities),
                score_threshold=self._score_threshold,
            )
            for i, results in zip(todo, batches, strict=True):
                out[i] = self._replace(items[i], results)
        return out

    def _may_contain_pii(self, text: str) -> bool:
        """Cheap necessary condition for any requested type to be present (see module notes)."""
        if self._wants_email and "@" in text:
            return True
        if not (self._min_digits or self._wants_address):
            return False
        digits = len(_DIGIT_RE.findall(text))
        if self._min_digits and digits >= self._min_digits:
            return True
        return self._wants_address and digits > 0 and _ADDRESS_HINT_RE.search(text) is not None

    def _replace(self, text: str, results: list[RecognizerResult]) -> RedactionResult:
        if not results:
            return RedactionResult(text)
        if _FILTERED_BY_REFERENCE_IDS.intersection(r.entity_type for r in results):
            id_spans = _reference_id_spans(text)
            if id_spans:
                results = [
                    r
                    for r in results
                    if r.entity_type not in _FILTERED_BY_REFERENCE_IDS
                    or not any(r.start < end and start < r.end for start, end in id_spans)
                ]
        # Overlaps between types (rare): keep the higher score, then the longer span.
        kept: list[RecognizerResult] = []
        for result in sorted(results, key=lambda r: (-r.score, r.start - r.end, r.start)):
            if all(result.end <= k.start or k.end <= result.start for k in kept):
                kept.append(result)
        if not kept:
            return RedactionResult(text)
        kept.sort(key=lambda r: r.start)
        redacted = self._engines.anonymizer.anonymize(
            text=text,
            analyzer_results=[AnonymizerInput(r.entity_type, r.start, r.end, r.score) for r in kept],
            operators=self._engines.operators,
            merge_entities_with_spaces=False,
        )
        return RedactionResult(redacted.text, dict(Counter(r.entity_type for r in kept)))


_default_lock = threading.Lock()
_default_redactor: Redactor | None = None


def get_redactor() -> Redactor:
    """Return the process-wide default :class:`Redactor` (all types, threshold 0.4).

    Building the Presidio analyzer takes about a second, so the instance is built
    on first use and then reused.
    """
    global _default_redactor
    with _default_lock:
        if _default_redactor is None:
            _default_redactor = Redactor()
        return _default_redactor
