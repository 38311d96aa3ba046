"""PII redaction for the ingestion pipeline.

Every text is redacted here before it is stored or embedded.  E-mail addresses,
phone numbers, payment card numbers and street addresses are replaced by the
typed placeholders ``<EMAIL>``, ``<PHONE>``, ``<CARD>`` and ``<ADDRESS>``.
Order ids, product ids, prices, dates, times, zip codes on their own, quantities
and tracking numbers are kept, because the assistant needs them to answer.

Detection is done by Microsoft Presidio (``presidio_analyzer`` finds the spans,
``presidio_anonymizer`` replaces them) with rule-based recognizers only, so no
model is downloaded and nothing touches the network:

* the NLP engine is ``spacy.blank("en")``: a tokenizer for Presidio's context
  words, no trained pipeline;
* the registry holds four recognizers: Presidio's ``EmailRecognizer`` (domain
  checked against tldextract's *bundled* public-suffix list), its
  ``PhoneRecognizer`` (python-phonenumbers, national formats of
  :data:`PHONE_REGIONS` and every ``+CC`` number), its ``CreditCardRecognizer``
  (13-19 digits, Luhn) and a ``PatternRecognizer`` for street addresses;
* phone and card results that fall on an order/purchase/tracking/... id are
  dropped (see ``_reference_id_spans``).

Usage::

    from ingest.redact import get_redactor

    result = get_redactor().redact("Call me at (415) 555-0132 about order #W2378156")
    result.text   # 'Call me at <PHONE> about order #W2378156'
    result.found  # {'PHONE': 1}
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

import phonenumbers
import spacy
import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerInput
from spacy.language import Language
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
# Cheap pre-check.  A Presidio analysis costs ~0.5-1 ms for a short message;
# most ingested texts hold no PII at all, so a text is only analysed for the
# requested types it can contain at all:
#   EMAIL   needs an "@" (the e-mail pattern requires an ASCII "@");
#   PHONE   needs >= 7 digits: the shortest number any of PHONE_REGIONS writes
#           is 7 digits with its trunk prefix or "+CC" (only some DE/AU special
#           service numbers are shorter);
#   CARD    needs >= 13 digits;
#   ADDRESS needs a digit and a street-type word.
# --------------------------------------------------------------------------
_MIN_PHONE_DIGITS: Final = 7
_MIN_CARD_DIGITS: Final = 13
_DIGIT_RE: Final = re.compile(r"\d")

# Street types.  Lower-case spellings are accepted only for the unambiguous ones
# ("12 harbour road"); the others must be capitalised ("3 Cherry Tree Close",
# not "3 drive bays").  Abbreviations may carry a trailing dot.
_STREET_WORDS_ANYCASE: Final = "street|avenue|road|boulevard"
_STREET_ABBREVIATIONS_ANYCASE: Final = "blvd|st|ave|rd"
_STREET_WORDS_TITLE: Final = (
    "Drive|Lane|Court|Way|Place|Terrace|Circle|Parkway|Highway|Square|Trail|Crescent|Close|Grove|"
    "Gardens|Mews|Row|Alley|Plaza|Loop|Pike"
)
_STREET_ABBREVIATIONS_TITLE: Final = "Dr|Ln|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq|Trl|Cres|Av"
_GERMAN_STREET_SUFFIXES: Final = "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm"
# For the pre-check: a word set test is ~10x faster than a case-insensitive regex.
_WORD_RE: Final = re.compile(r"[^\W\d_]+")
_STREET_HINT_WORDS: Final = frozenset(
    "|".join(
        [_STREET_WORDS_ANYCASE, _STREET_ABBREVIATIONS_ANYCASE, _STREET_WORDS_TITLE, _STREET_ABBREVIATIONS_TITLE, "box"]
    )
    .lower()
    .split("|")
)
_GERMAN_STREET_HINT_ENDINGS: Final = ("straße", "strasse", "str", "weg", "allee", "platz", "gasse", "ring", "damm")


def _has_street_word(text: str) -> bool:
    """Whether ``text`` holds a street-type word ("Street", "ave", "Hauptstraße", "Box", ...)."""
    words = _WORD_RE.findall(text.lower())
    return not _STREET_HINT_WORDS.isdisjoint(words) or any(word.endswith(_GERMAN_STREET_HINT_ENDINGS) for word in words)


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
_REFERENCE_KEYWORD: Final = r"""(?:
          \b(?:order|purchase|invoice|receipt|confirmation|tracking|shipment|parcel|package|rma|
             ticket|transaction|ref|reference|sku|serial|model|product|item|part|awb|asin|upc|ean|
             gtin|isbn|imei|version|ver|firmware|build|release|customer|account|acct|member|
             membership|client|loyalty)s?
          (?:\s+(?:id|no|nr|num|number|code|ref))?
        | \b(?:case|claim)\s+(?:id|no|nr|num|number|code|ref)   # "in case 415..." is no id
        )\.?
        (?:\s+(?:is|was))?
        \s*[:\#]{0,2}\s*
        (?=[a-z._/-]*\d)              # the id holds at least one digit
        (\#?[a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?)"""
_HASH_ID: Final = r"(?<![\w&])\#\s?(?=[a-z._/-]*\d)([a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?)"
# Version strings ("v2.3.14") and UPS tracking numbers, even when written in
# groups ("1Z 999 AA1 01 2345 6784"), are ids too.
_STANDALONE_ID: Final = (
    r"\bv\d+(?:\.\d+)+\b|\b1z\s?[0-9a-z]{3}\s?[0-9a-z]{3}\s?[0-9a-z]{2}\s?[0-9a-z]{4}\s?[0-9a-z]{4}\b"
)
# "phone #: 415 555 0132", "card # 4111 ..." -- here "#" means "number", not an id.
_HASH_MEANS_NUMBER: Final = (
    r"\b(?:phone|tel|telephone|cell|mobile|fax|contact|whatsapp|call|text|card|cc|visa|"
    r"mastercard|amex|discover|debit|credit)\s*$"
)
# The patterns are lower-case: with ``re``, matching lower-cased text is ~6x
# faster than matching with IGNORECASE.  The IGNORECASE variants serve the rare
# texts whose lower-casing changes their length (and so the offsets), e.g. "İ".
_REFERENCE_RES: Final = tuple(
    tuple(
        re.compile(pattern, flags | re.VERBOSE)
        for pattern in (_REFERENCE_KEYWORD, _HASH_ID, _STANDALONE_ID, _HASH_MEANS_NUMBER)
    )
    for flags in (re.NOFLAG, re.IGNORECASE)
)
_FILTERED_BY_REFERENCE_IDS: Final = frozenset({"PHONE", "CARD"})


@functools.lru_cache(maxsize=32)
def _reference_id_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The ``(start, end)`` spans of order/purchase/tracking/... ids in ``text``.

    Cached: the phone recognizer and the result filter both ask for the same text.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        keyword_re, hash_re, standalone_re, hash_number_re = _REFERENCE_RES[0]
    else:
        lowered = text
        keyword_re, hash_re, standalone_re, hash_number_re = _REFERENCE_RES[1]
    spans = [m.span(1) for m in keyword_re.finditer(lowered)]
    spans.extend(m.span() for m in standalone_re.finditer(lowered))
    for match in hash_re.finditer(lowered):
        if not hash_number_re.search(lowered, max(0, match.start() - 40), match.start()):
            spans.append(match.span())  # with the "#"
    return tuple(spans)


class _Spans:
    """A set of disjoint ``[start, end)`` spans with O(log n) overlap tests."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in sorted(spans):
            if self._ends and start <= self._ends[-1]:  # merge overlapping or touching spans
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start) - 1
        if i >= 0 and self._ends[i] > start:
            return True
        return i + 1 < len(self._starts) and self._starts[i + 1] < end

    def covers(self, start: int, end: int) -> bool:
        """Whether one span holds all of ``[start, end)``."""
        i = bisect.bisect_right(self._starts, start) - 1
        return i >= 0 and self._ends[i] >= end

    def add(self, start: int, end: int) -> None:
        """Add a span that overlaps none of the present ones."""
        i = bisect.bisect_right(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)

    def longest_free_part(self, start: int, end: int) -> tuple[int, int]:
        """The longest part of ``[start, end)`` that overlaps no span (possibly empty)."""
        best = (start, start)
        position = start
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        while i < len(self._starts) and self._starts[i] < end:
            if self._ends[i] > position:
                if self._starts[i] - position > best[1] - best[0]:
                    best = (position, self._starts[i])
                position = max(position, self._ends[i])
            i += 1
        if end - position > best[1] - best[0]:
            best = (position, end)
        return best


# --------------------------------------------------------------------------
# Recognizers
# --------------------------------------------------------------------------
class _KeywordList(list[str]):
    """``NlpArtifacts.keywords`` with O(1) membership tests.

    Presidio's context enhancer tests ``lemma in keywords`` for the words around
    every result; on a plain list that is quadratic in the length of the text.
    """

    def __init__(self, keywords: Iterable[str]) -> None:
        super().__init__(keywords)
        self._set = frozenset(self)

    def __contains__(self, item: object) -> bool:
        return item in self._set


class _BlankSpacyNlpEngine(SpacyNlpEngine):
    """``SpacyNlpEngine`` over ``spacy.blank("en")``: a tokenizer, no model to download.

    The blank pipeline has no lemmatizer (every ``lemma_`` is empty), which would
    silently disable Presidio's context enhancement; the lower-cased token text
    is used as the lemma instead.
    """

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": _LANGUAGE, "model_name": "blank:en"}])

    def load(self) -> None:
        # SpacyNlpEngine.load() would spacy.load() the model -- after trying to
        # download it, since "blank:en" is not an installed package.  (Presidio
        # initialises the attribute as ``self.nlp = None``, unannotated, so mypy
        # takes its type to be None.)
        blank: dict[str, Language] = {_LANGUAGE: spacy.blank(_LANGUAGE)}
        self.nlp = blank  # type: ignore[assignment]

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )
        artifacts.keywords = _KeywordList(artifacts.keywords)
        return artifacts


class _ContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's default context enhancer with a binary search for the token of a result.

    The stock lookup walks the tokens from the start of the text for every
    result, which is quadratic on long texts (minutes for a 200 kB document).
    """

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Doc, tokens_indices: list[int]) -> int:
        # Same rule as Presidio: the first token that ends after ``start``.
        index = max(bisect.bisect_right(tokens_indices, start) - 1, 0)
        if index + 1 < len(tokens_indices) and start >= tokens_indices[index] + len(tokens[index]):
            index += 1
        return index


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


# A word character that is not CJK.  Presidio's e-mail pattern is built on
# ``\w``, which also matches Chinese/Japanese/Korean characters, so in unspaced
# CJK text ("请发到zhang.wei@example.cn谢谢", "我的邮箱是li@example.cn，") it
# swallows the neighbouring characters into the address: the domain check then
# rejects it (a miss) or the redaction eats the surrounding words.  Addresses
# with CJK local parts or domains are very rare; they are not recognised.
_EMAIL_WORD: Final = r"[^\W\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"
_EMAIL_SYMBOL: Final = r"[!#$%&'*+\-/=?^_`{|}~]"
_EMAIL_LOCAL_CHAR: Final = rf"(?:{_EMAIL_WORD}|{_EMAIL_SYMBOL})"
_EMAIL_LABEL: Final = rf"{_EMAIL_WORD}+(?:-+{_EMAIL_WORD}+)*"
_EMAIL_PATTERN: Final = (
    rf"(?<!{_EMAIL_WORD}|{_EMAIL_SYMBOL}|\.)"
    rf"{_EMAIL_LOCAL_CHAR}(?:(?:{_EMAIL_LOCAL_CHAR}|\.)*{_EMAIL_LOCAL_CHAR})?"
    rf"@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+"
    rf"(?!{_EMAIL_WORD})"
)


class _OfflineEmailRecognizer(EmailRecognizer):
    r"""Presidio's ``EmailRecognizer`` with a CJK-aware pattern and an offline domain check.

    The pattern is Presidio's (same local-part symbols, hyphenated and IDN labels,
    at least one dot in the domain) with ``\w`` narrowed to non-CJK word
    characters (see ``_EMAIL_WORD``).  The domain is validated like Presidio does
    (``tldextract``: the text must end in a public suffix), but against the
    bundled suffix list (see :func:`_offline_tld_extractor`).
    """

    def __init__(self) -> None:
        super().__init__(patterns=[Pattern("Email (non-CJK)", _EMAIL_PATTERN, 0.5)], supported_entity="EMAIL")
        self._tld_extractor = _offline_tld_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld_extractor(pattern_text).fqdn != ""


_CARD_LAYOUTS: Final = {
    "contiguous": r"[2-6]\d{12,18}",
    "3 groups (4-6-5 Amex, 4-6-4 Diners, 4-4-5)": r"[2-6]\d{3}([ -])\d{4,6}\1\d{3,5}",
    "4 groups (4-4-4-4)": r"[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{1,4}",
    "5 groups (4-4-4-4-3)": r"[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{4}\1\d{3}",
}
_CARD_PATTERNS: Final = {name: rf"(?<![\w.,+\-]){layout}(?![\w\-]|[.,]\d)" for name, layout in _CARD_LAYOUTS.items()}
_CARD_RES: Final = {name: re.compile(pattern) for name, pattern in _CARD_PATTERNS.items()}


def _card_candidates(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """Every match of every card layout, overlapping ones included.

    In "+86 10 6552 9988 3530 1113 3330 0000" the first 4-group match is
    "6552 9988 3530 1113" (not Luhn-valid); a non-overlapping scan would resume
    after it and never see the card "3530 1113 3330 0000".  A candidate starts
    at the start of a digit group only (the look-behind), so this stays linear.
    """
    for name, card_re in _CARD_RES.items():
        match = card_re.search(text)
        while match is not None:
            yield name, match
            match = card_re.search(text, match.start() + 1)


def _is_card_number(candidate: str) -> bool:
    """13-19 digits, not all the same, Luhn-valid (the checks of :class:`_CardRecognizer`)."""
    digits = [int(d) for d in _DIGIT_RE.findall(candidate)]
    if not _MIN_CARD_DIGITS <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = sum(digits[-1::-2]) + sum(d * 2 - 9 if d > 4 else d * 2 for d in digits[-2::-2])
    return total % 10 == 0


class _CardRecognizer(CreditCardRecognizer):
    """Presidio's card recognizer with a 13-19 digit pattern and the Luhn check.

    Presidio's own pattern stops at 17 digits and also accepts a leading "1"; this
    one takes 13-19 digits either contiguous or grouped with one consistent
    separator (4-4-4-4, 4-6-5 Amex, 4-6-4 Diners, 4-4-4-4-3, 4-4-5), starting
    with 2-6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard,
    Discover/UnionPay), so long order numbers starting with 0, 1, 7, 8 or 9 are
    never candidates.
    """

    def __init__(self) -> None:
        super().__init__(
            patterns=[Pattern(f"Card, {name}", pattern, 0.3) for name, pattern in _CARD_PATTERNS.items()],
            supported_entity="CARD",
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Like ``PatternRecognizer.analyze``, over overlapping candidates (see :func:`_card_candidates`)."""
        results: list[RecognizerResult] = []
        for name, match in _card_candidates(text):
            if self.validate_result(match.group()):
                explanation = self.build_regex_explanation(
                    type(self).__name__, name, match.re.pattern, 0.3, True, match.re.flags
                )
                explanation.score = EntityRecognizer.MAX_SCORE
                results.append(
                    RecognizerResult(
                        self.supported_entities[0],
                        match.start(),
                        match.end(),
                        EntityRecognizer.MAX_SCORE,
                        explanation,
                    )
                )
        return EntityRecognizer.remove_duplicates(results)

    def validate_result(self, pattern_text: str) -> bool:
        digits = "".join(_DIGIT_RE.findall(pattern_text))
        if not _MIN_CARD_DIGITS <= len(digits) <= 19 or len(set(digits)) == 1:
            return False
        return bool(super().validate_result(pattern_text))  # Presidio's Luhn check


# Characters python-phonenumbers accepts between the digits of one number.
_PHONE_SEPARATORS: Final = r"[\s\-.()/\[\]~\u00ad\u2010-\u2015\u2212\u30fc\uff08\uff09\uff0d\uff0f\uff3b\uff3d]"
_PHONE_RUN_RE: Final = re.compile(rf"[+\uff0b]?\d(?:{_PHONE_SEPARATORS}{{0,4}}\d)*")
# Dates, times, IPv4 addresses and unbroken runs of 18+ digits (longer than any
# phone number with its prefix): digit-rich, never phone numbers.
_NOT_A_PHONE_RE: Final = re.compile(
    r"(?<![\d.\-/])"
    r"(?:\d{4}([/.\-])\d{1,2}\1\d{1,2}|\d{1,2}([/.\-])\d{1,2}\2(?:\d{4}|\d{2})|\d{1,2}:\d{2}(?::\d{2})?"
    r"|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?![.\-/]?\d)"
    r"|\d{18,}"
)
_PHONE_WINDOW_MARGIN: Final = 16
_PHONE_MAX_ROUNDS: Final = 8
_PHONE_MAX_TRIMMED_ATTEMPTS: Final = 24
# A group of a run: what lies between spaces (blanked-out parts excluded).
_PHONE_GROUP_RE: Final = re.compile(r"[^\s\0]+")
# Blanks out text for the matcher: NUL is no digit, letter, space or punctuation
# to python-phonenumbers, so it neither joins two numbers into one candidate (a
# space would) nor rejects a number next to it as part of a word (a letter would).
_BLANK: Final = "\0"


def _all_covered(runs: Sequence[tuple[int, int]], results: Iterable[RecognizerResult]) -> bool:
    """Whether the ``results`` spans, together, cover every run."""
    covered = _Spans((r.start, r.end) for r in results)
    return all(covered.covers(start, end) for start, end in runs)


class _WindowedPhoneRecognizer(PhoneRecognizer):
    """Presidio's ``PhoneRecognizer``, run only where a phone number can be.

    The stock recognizer runs ``phonenumbers.PhoneNumberMatcher`` over the whole
    text once per region and parses every digit group it meets (prices, dates,
    ids) once per region: ~2-3 ms of CPU for a 200-character message with seven
    regions.  This subclass feeds the same matcher, with the same regions and
    leniency, only windows around digit runs that can be a phone number (~0.2 ms):

    * a run must hold at least 7 digits (see ``_MIN_PHONE_DIGITS``);
    * dates, times, IPv4 addresses ("2026-09-14", "09/14/2026", "10:30"), card
      numbers and reference ids (see :func:`_reference_id_spans`) are blanked
      out first -- phone results on reference ids are dropped afterwards
      anyway, and a card result would win over a phone result on its digits;
    * each window keeps 16 characters of context on both sides, widened to
      whole tokens (by up to 16 more), so the matcher's own checks (a letter or
      currency sign next to the digits, time stamps, extensions) see what they
      would see in the full text;
    * a run written in international form (``+CC ...``) is valid or not whatever
      the default region, so one region is enough; for the others the regions
      are tried in order until every run of the window is covered by a match;
    * the matcher reads numbers separated by a space only ("415 555 0132 415
      555 0133", or a number then a house number) as one candidate and finds at
      most one number in it: found numbers are blanked out and the window
      matched again, and a run with no match at all is retried on its
      sub-runs (see :meth:`_match_trimmed`).  One pass thus finds what a
      second pass over the redacted text would (redaction is idempotent).
    """

    def __init__(self, supported_regions: Sequence[str], leniency: int) -> None:
        super().__init__(supported_entity="PHONE", supported_regions=supported_regions, leniency=leniency)
        self._leniency = leniency

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        blanked, windows = self._windows(text)
        for start, end, runs in windows:
            chunk = blanked[start:end]
            # More than 15 digits (the E.164 maximum) in a run: several numbers.
            international = all(text[s] in "+\uff0b" and len(_DIGIT_RE.findall(text, s, e)) <= 15 for s, e in runs)
            regions = self.supported_regions[:1] if international else self.supported_regions
            # Two numbers separated by a space are one candidate to the matcher,
            # which then only finds the inner one ("+1 (312) 555-0178 202.555.0161"
            # gives "202.555.0161").  Blank out what was found and look again, so
            # that one pass finds what a second pass over the redacted text would.
            window_results: list[RecognizerResult] = []
            for _ in range(_PHONE_MAX_ROUNDS):
                found = self._match(chunk, start, regions, runs, window_results)
                if not found:
                    covered = _Spans((r.start, r.end) for r in window_results)
                    found = [
                        result
                        for run in runs
                        if not covered.covers(*run)
                        for result in self._match_trimmed(chunk, start, regions, run)
                    ]
                if not found:
                    break
                window_results.extend(found)
                if _all_covered(runs, window_results):
                    break
                for r in found:
                    chunk = chunk[: r.start - start] + _BLANK * (r.end - r.start) + chunk[r.end - start :]
            results.extend(window_results)
        return EntityRecognizer.remove_duplicates(results)

    def _match(
        self,
        chunk: str,
        offset: int,
        regions: Sequence[str],
        runs: list[tuple[int, int]],
        previous: list[RecognizerResult],
    ) -> list[RecognizerResult]:
        """Phone numbers in ``chunk`` (at ``offset`` in the text), region by region.

        Stops early once every run of the window is covered: the remaining
        regions could only find the same numbers again.
        """
        found: list[RecognizerResult] = []
        for region in regions:
            for match in phonenumbers.PhoneNumberMatcher(chunk, region, leniency=self._leniency):
                found.append(self._result(offset + match.start, offset + match.end, region))
            if found and _all_covered(runs, [*previous, *found]):
                break
        return found

    def _match_trimmed(
        self, chunk: str, offset: int, regions: Sequence[str], run: tuple[int, int]
    ) -> list[RecognizerResult]:
        """Retry a run the matcher found nothing in, keeping fewer of its space-separated groups.

        The matcher takes "1 (415) 555-0132 123" (a number followed by the house
        number of an address) for one candidate and then only tries single groups
        inside it; keeping "1 (415) 555-0132" finds the number.  Sub-runs are
        tried longest first, and only those with 7 to 17 digits (E.164 numbers
        have at most 15, plus a trunk or international prefix).
        """
        run_start, run_end = run[0] - offset, run[1] - offset
        groups = [m.span() for m in _PHONE_GROUP_RE.finditer(chunk, run_start, run_end)]
        keep = [
            (groups[i][0], groups[j][1])
            for i in range(len(groups))
            for j in range(i, min(i + 17, len(groups)))  # 17 digits need at most 17 groups
            if (i, j) != (0, len(groups) - 1)
        ]
        attempts = 0
        for keep_start, keep_end in sorted(keep, key=lambda span: span[0] - span[1]):
            if not _MIN_PHONE_DIGITS <= len(_DIGIT_RE.findall(chunk, keep_start, keep_end)) <= 17:
                continue
            attempts += 1
            if attempts > _PHONE_MAX_TRIMMED_ATTEMPTS:
                break
            # The kept groups with some context, the rest of the run blanked out.
            low = max(0, keep_start - _PHONE_WINDOW_MARGIN)
            high = min(len(chunk), keep_end + _PHONE_WINDOW_MARGIN)
            blank_from, blank_to = max(low, run_start), min(high, run_end)
            sub = (
                chunk[low:blank_from]
                + _BLANK * (keep_start - blank_from)
                + chunk[keep_start:keep_end]
                + _BLANK * (blank_to - keep_end)
                + chunk[blank_to:high]
            )
            found = self._match(sub, offset + low, regions, [(offset + keep_start, offset + keep_end)], [])
            if found:
                return found
        return []

    @staticmethod
    def _windows(text: str) -> tuple[str, list[tuple[int, int, list[tuple[int, int]]]]]:
        """The text to match and the merged ``(start, end, runs)`` windows to match it in.

        The text to match is ``text`` with the spans that are no phone numbers
        blanked out: the matcher would otherwise take "+1 312 555 0178 4111 1111
        1111 1111" for one (invalid) candidate and miss the phone number in it.
        """
        pieces: list[str] = []
        position = 0
        not_phones = [
            *_reference_id_spans(text),
            *(m.span() for m in _NOT_A_PHONE_RE.finditer(text)),
            *(m.span() for _, m in _card_candidates(text) if _is_card_number(m.group())),
        ]
        for start, end in sorted(not_phones):
            if end > position:
                start = max(start, position)
                pieces += [text[position:start], _BLANK * (end - start)]
                position = end
        masked = "".join([*pieces, text[position:]])
        windows: list[tuple[int, int, list[tuple[int, int]]]] = []
        for run in _PHONE_RUN_RE.finditer(masked):
            if len(_DIGIT_RE.findall(run.group())) < _MIN_PHONE_DIGITS:
                continue
            start = max(0, run.start() - _PHONE_WINDOW_MARGIN)
            end = min(len(text), run.end() + _PHONE_WINDOW_MARGIN)
            limit = max(0, start - _PHONE_WINDOW_MARGIN)
            while start > limit and not text[start - 1].isspace():
                start -= 1
            limit = min(len(text), end + _PHONE_WINDOW_MARGIN)
            while end < limit and not text[end].isspace():
                end += 1
            if windows and start <= windows[-1][1]:
                previous = windows[-1]
                windows[-1] = (previous[0], max(previous[1], end), [*previous[2], run.span()])
            else:
                windows.append((start, end, [run.span()]))
        return masked, windows

    def _result(self, start: int, end: int, region: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type=self.supported_entities[0],
            start=start,
            end=end,
            score=self.SCORE,
            analysis_explanation=AnalysisExplanation(
                recognizer=PhoneRecognizer.__name__,
                original_score=self.SCORE,
                textual_explanation=f"Recognized as a phone number with default region {region}",
            ),
            # The analyzer adds the recognizer's name and id to the metadata.
        )


def _address_recognizer() -> PatternRecognizer:
    """Street addresses: "123 Main Street", "42 Oak Ave, Apt 5", "Hauptstraße 5", "PO Box 12"."""
    number = r"\b\d{1,6}[A-Za-z]?(?:-\d{1,4})?"
    direction = r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
    stop = (
        r"(?!(?:(?i:the|a|an|of|on|in|at|to|for|from|and|or|my|your|our|this|that|with|off|by|per|"
        r"is|are|was|were|it|its|some|any|x|pcs|items?|units?|boxes?|packs?|times?|days?|weeks?|"
        r"months?|years?)|more|new|old|big|small|large)\b)"
    )
    name = rf"{stop}(?:[A-Za-z][a-z'’][A-Za-z'’\-]*|\d{{1,3}}(?:st|nd|rd|th))"
    suffix = (
        rf"(?:(?:(?i:{_STREET_WORDS_ANYCASE})|{_STREET_WORDS_TITLE})\b"
        rf"|(?:(?i:{_STREET_ABBREVIATIONS_ANYCASE})|{_STREET_ABBREVIATIONS_TITLE})\b\.?)"
    )
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
    anonymizer: AnonymizerEngine
    operators: dict[str, OperatorConfig]


def _build_engines() -> _Engines:
    """Build the Presidio analyzer and anonymizer (~0.3 s; shared through :func:`_engines`)."""
    registry = RecognizerRegistry(
        recognizers=[
            _OfflineEmailRecognizer(),
            _WindowedPhoneRecognizer(supported_regions=PHONE_REGIONS, leniency=1),
            _CardRecognizer(),
            _address_recognizer(),
        ],
        supported_languages=[_LANGUAGE],
    )
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=_BlankSpacyNlpEngine(),
        supported_languages=[_LANGUAGE],
        context_aware_enhancer=_ContextEnhancer(),
    )
    operators = {entity: OperatorConfig("replace", {"new_value": f"<{entity}>"}) for entity in ENTITY_TYPES}
    anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]  # its __init__ is unannotated
    return _Engines(analyzer, anonymizer, operators)


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
        cards that pass their validation score 1.0, addresses 0.6, phone numbers
        0.4 (0.75 with a context word such as "phone" or "mobile" in the five
        words before).
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
        self._digit_entities = tuple(entity for entity in requested if entity != "EMAIL")
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
        entities = self._candidate_entities(text)
        if not entities:
            return RedactionResult(text)
        results = self._engines.analyzer.analyze(
            text=text, language=_LANGUAGE, entities=entities, score_threshold=self._score_threshold
        )
        return self._replace(text, results)

    def redact_many(self, texts: Iterable[str]) -> list[RedactionResult]:
        """Redact a batch of texts; same results as ``[self.redact(t) for t in texts]``.

        Texts that fail the cheap pre-check are returned untouched; the others are
        tokenised in one spaCy ``pipe`` call (the NLP engine's ``process_batch``,
        as Presidio's ``BatchAnalyzerEngine`` does) and then analysed with only the
        entity types their pre-check allows.
        """
        items = list(texts)
        for text in items:
            if not isinstance(text, str):
                raise TypeError(f"texts must hold str, got {type(text).__name__}")
        out = [RedactionResult(text) for text in items]
        todo = [(i, entities) for i, text in enumerate(items) if (entities := self._candidate_entities(text))]
        if not todo:
            return out
        analyzer = self._engines.analyzer
        batch = analyzer.nlp_engine.process_batch([items[i] for i, _ in todo], _LANGUAGE, batch_size=64)
        for (i, entities), processed in zip(todo, batch, strict=True):
            results = analyzer.analyze(
                text=items[i],
                language=_LANGUAGE,
                entities=entities,
                score_threshold=self._score_threshold,
                nlp_artifacts=processed[1],
            )
            out[i] = self._replace(items[i], results)
        return out

    def _candidate_entities(self, text: str) -> list[str]:
        """The requested types that ``text`` can contain at all (the cheap pre-check).

        EMAIL needs an "@"; PHONE at least 7 digits; CARD at least 13 digits;
        ADDRESS a digit and a street-type word.  Only these types are analysed, so
        most texts skip Presidio altogether.
        """
        candidates: list[str] = []
        if self._wants_email and "@" in text:
            candidates.append("EMAIL")
        if self._digit_entities:
            digits = len(_DIGIT_RE.findall(text))
            if digits:
                candidates.extend(
                    entity
                    for entity in self._digit_entities
                    if (entity == "PHONE" and digits >= _MIN_PHONE_DIGITS)
                    or (entity == "CARD" and digits >= _MIN_CARD_DIGITS)
                    or (entity == "ADDRESS" and _has_street_word(text))
                )
        return candidates

    def _replace(self, text: str, results: list[RecognizerResult]) -> RedactionResult:
        if not results:
            return RedactionResult(text)
        if _FILTERED_BY_REFERENCE_IDS.intersection(r.entity_type for r in results):
            id_spans = _Spans(_reference_id_spans(text))
            results = [
                r
                for r in results
                if r.entity_type not in _FILTERED_BY_REFERENCE_IDS or not id_spans.overlaps(r.start, r.end)
            ]
        # Overlaps between types (rare): keep the higher score, then the longer span.
        # A phone number that runs into an address ("(02) 9374 4000 123 Main
        # Street": one valid DE number to phonenumbers) keeps its part outside the
        # address when that part still holds a phone's digits, so that no digits of
        # it survive (and a second pass would not find it).
        kept = _Spans()
        kept_results: list[RecognizerResult] = []
        for result in sorted(results, key=lambda r: (-r.score, r.start - r.end, r.start)):
            if kept.overlaps(result.start, result.end):
                if result.entity_type != "PHONE":
                    continue
                start, end = kept.longest_free_part(result.start, result.end)
                part = text[start:end]
                start, end = start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())
                if len(_DIGIT_RE.findall(text, start, end)) < _MIN_PHONE_DIGITS:
                    continue
                result = RecognizerResult(result.entity_type, start, end, result.score)
            kept.add(result.start, result.end)
            kept_results.append(result)
        if not kept_results:
            return RedactionResult(text)
        kept_results.sort(key=lambda r: r.start)
        redacted = self._engines.anonymizer.anonymize(
            text=text,
            analyzer_results=[AnonymizerInput(r.entity_type, r.start, r.end, r.score) for r in kept_results],
            operators=self._engines.operators,
            merge_entities_with_spaces=False,
        )
        return RedactionResult(redacted.text, dict(Counter(r.entity_type for r in kept_results)))


_default_lock = threading.Lock()
_default_redactor: Redactor | None = None


def get_redactor() -> Redactor:
    """Return the process-wide default :class:`Redactor` (all types, threshold 0.4).

    Building the Presidio analyzer is slow, so it is built on first use and reused.
    """
    global _default_redactor
    with _default_lock:
        if _default_redactor is None:
            _default_redactor = Redactor()
        return _default_redactor
