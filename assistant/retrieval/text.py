"""Text helpers shared by the lexical retriever, the intent classifier and the composer.

Example:
    >>> tokenize("Where's my parcel? 订单在哪里")
    ['where', 'parcel', '订单', '单在', '在哪', '哪里']
"""

from __future__ import annotations

import re

# Kept short on purpose: BM25's IDF already discounts common words; this only removes the
# function words that dominate short customer questions.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "nor",
        "so",
        "than",
        "too",
        "very",
        "just",
        "also",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "y",
        "im",
        "please",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
    ]
)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def has_cjk(text: str) -> bool:
    """True when the text contains CJK ideographs."""
    return bool(_CJK.search(text))


def _stem(word: str) -> str:
    # A deliberately crude plural/tense folding: enough for "returns"/"returned" ~ "return"
    # without pulling in a stemmer dependency.
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased content tokens; CJK runs become overlapping character bigrams."""
    out: list[str] = []
    for match in _WORD.finditer(text.lower()):
        tok = match.group(0)
        if _CJK.match(tok):
            out.extend([tok] if len(tok) == 1 else [tok[i : i + 2] for i in range(len(tok) - 1)])
            continue
        tok = tok.split("'")[0]
        if tok in STOPWORDS or len(tok) < 2:
            continue
        out.append(_stem(tok))
    return out


def split_sentences(text: str) -> list[str]:
    """Split prose (or markdown bullets) into sentences/lines, dropping empties."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def snippet(text: str, limit: int = 240) -> str:
    """A one-line excerpt of at most ``limit`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + "…"
