"""Language detection for customer messages.

Example:
    >>> LanguageDetector().detect("我的订单什么时候到？")
    'zh'
    >>> LanguageDetector().detect("ok")
    'en'
"""

from __future__ import annotations

import re
import threading

from assistant.retrieval.text import has_cjk

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "ko": "Korean",
    "pl": "Polish",
    "sv": "Swedish",
}


# Japanese kana and Korean Hangul: a script decides the language (Korean is written without ideographs).
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
# The assistant's cues and messages are English and Chinese; a customer writing in a script it cannot
# read (Japanese, Korean) is told so plainly instead of being routed on guessed words.
UNREAD_SCRIPTS = ("ja", "ko")
# The languages the assistant answers in; a customer clearly writing in any other one (French,
# Spanish, Japanese…) is told, in their language where there is a translation and in English, that
# the shop answers in English or Chinese.
ANSWERED_LANGUAGES = ("en", "zh")


class LanguageDetector:
    """langdetect with a fixed seed, plus the cases it gets wrong on short chat messages.

    Messages shorter than ``min_chars`` letters (``"ok"``, ``"#JP1001"``) keep ``fallback`` (the
    conversation's language so far): langdetect guesses wildly on them.
    """

    _lock = threading.Lock()

    def __init__(self, default: str = "en", min_chars: int = 12) -> None:
        if min_chars < 1:
            raise ValueError("min_chars must be >= 1")
        self.default = default
        self.min_chars = min_chars

    def detect_confident(self, text: str) -> str | None:
        """The message's language when it is clear (a CJK script, or a long enough text), else None.

        A short message ("ok", "#JP1001", "thanks") then keeps the conversation's last language, and
        so does one that is only an email address, an order number or a zip code: those are in no
        language.
        """
        text = without_identifiers(text)
        if has_cjk(text) or _KANA_HANGUL.search(text):
            return self.detect(text)
        if sum(ch.isalpha() for ch in text) < self.min_chars:
            return None
        if _plainly_english(text):
            return "en"  # the common case, without langdetect's ~10 ms
        sentinel = "\x00"
        code = self.detect(text, fallback=sentinel)
        return None if code == sentinel else code

    def detect(self, text: str, fallback: str | None = None) -> str:
        fallback = fallback or self.default
        if has_cjk(text) or _KANA_HANGUL.search(text):
            # Kana/Hangul decide between Japanese/Korean and Chinese; langdetect is unreliable here.
            if any("\u3040" <= ch <= "\u30ff" for ch in text):
                return "ja"
            if any("\uac00" <= ch <= "\ud7af" for ch in text):
                return "ko"
            return "zh"
        letters = sum(ch.isalpha() for ch in text)
        if letters < self.min_chars:
            return fallback
        from langdetect import DetectorFactory, detect_langs

        with self._lock:
            DetectorFactory.seed = 0
            try:
                guesses = detect_langs(text)
            except Exception:  # langdetect raises on text without features
                return fallback
        best = guesses[0]
        code = str(best.lang).split("-")[0]
        # Below this probability the guess is usually an English message with a typo or a name.
        if best.prob < 0.8 or code not in LANGUAGE_NAMES:
            return fallback
        return code


_EN_FUNCTION_WORDS = frozenset(
    [
        "i",
        "you",
        "we",
        "my",
        "your",
        "me",
        "is",
        "are",
        "was",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "will",
        "the",
        "a",
        "an",
        "and",
        "or",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "it",
        "this",
        "that",
        "what",
        "where",
        "when",
        "how",
        "why",
        "which",
        "who",
        "have",
        "has",
        "there",
        "with",
        "not",
        # greetings and courtesy words, which open many short English messages
        "hi",
        "hello",
        "hey",
        "please",
        "thanks",
        "thank",
    ]
)


# Function words no other language the detector names writes the same way: one of them in a message
# of three words or fewer makes it English.
# ("more expensive?", "anything cheaper?": a short shopping follow-up; langdetect read the first as French)
_EN_ONLY_WORDS = frozenset(
    "please thanks thank hello the you your my what where how which with this that there can could would more "  # noqa: SIM905
    "anything something cheaper cheapest".split()
)


_IDENTIFIER = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|https?://\S+|#?[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*"
)


def without_identifiers(text: str) -> str:
    """``text`` without emails, links and tokens holding digits (order numbers, zips, phones).

    Example:
        >>> without_identifiers("ivan.santos3158@example.com").strip()
        ''
        >>> without_identifiers("order #W123 please").split()
        ['order', 'please']
        >>> without_identifiers("我想买一个200美元以下的背包")  # only the ASCII digits go
        '我想买一个 美元以下的背包'
    """
    return _IDENTIFIER.sub(" ", text)


# "I'll", "we're", "it's", "don't": contractions no other language the detector names writes.
_EN_CONTRACTION = re.compile(
    r"\b(?:i|you|we|they|he|she|it|that|there|what|who)'(?:ll|m|ve|re|d|s)\b|\b[a-z]+n't\b", re.I
)


def _plainly_english(text: str) -> bool:
    """ASCII text whose words are largely English function words ("where is my order?").

    Example:
        >>> _plainly_english("hi, I'm Ivan Santos, zip 75277"), _plainly_english("hola, quiero devolver algo")
        (True, False)
        >>> _plainly_english("please cancel"), _plainly_english("was ist das")
        (True, False)
        >>> _plainly_english("more expensive?")
        True
        >>> _plainly_english("I'll come back later"), _plainly_english("it doesn't fit"), _plainly_english("l'ho visto")
        (True, True, False)
    """
    if not text.isascii():
        return False
    if _EN_CONTRACTION.search(text):
        return True  # "I'll come back later": langdetect reads it as Italian
    # "I'm" is "i" and "m": the contraction's pronoun counts ("hi, I'm Ivan Santos, zip 75277")
    words = re.findall(r"[a-z]+", text.lower())
    hits = sum(1 for w in words if w in _EN_FUNCTION_WORDS)
    if len(words) <= 3 and any(w in _EN_ONLY_WORDS for w in words):
        return True  # "please cancel #JP1053", "cancel the order": too short for langdetect
    return hits >= 2 and hits >= 0.25 * len(words)


def language_name(code: str) -> str:
    """English name of a language code, for prompts ("reply in German")."""
    return LANGUAGE_NAMES.get(code, code)
