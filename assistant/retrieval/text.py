"""Text helpers shared by the lexical retriever, the intent classifier and the composer.

Example:
    >>> tokenize("Where's my parcel? 订单在哪里")
    ['parcel', '订单', '单在', '在哪', '哪里']
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

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
_CJK_STOP = "。！？"
_CJK_CLOSE = "”’」』）】》"
# One sentence boundary for every caller (snippets, answers, passages), English and Chinese:
# a Latin stop ends a sentence before whitespace (so "3.5" and "e.g." inside a word stay whole), or
# between two CJK ideographs (Chinese typed with half-width punctuation); a CJK stop needs no
# space after it, ends a sentence after the last of a run (？！) and after a closing quote or bracket
# that follows it (“好的。”); a line break always ends one.
_SENTENCE = re.compile(
    rf"(?<=[.!?])\s+|(?<=[\u3400-\u9fff\uf900-\ufaff][.!?])(?=[\u3400-\u9fff\uf900-\ufaff])"
    rf"|(?<=[{_CJK_STOP}])(?![{_CJK_STOP}{_CJK_CLOSE}])\s*"
    rf"|(?<=[{_CJK_STOP}][{_CJK_CLOSE}])(?![{_CJK_CLOSE}])\s*"
    r"|\n+"
)
_CJK_END = re.compile(rf"[\u3400-\u9fff\uf900-\ufaff{_CJK_STOP}]$|[{_CJK_STOP}][{_CJK_CLOSE}]$")
_CJK_HALF_END = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][.!?]$")


def has_cjk(text: str) -> bool:
    """True when the text contains CJK ideographs."""
    return bool(_CJK.search(text))


# The stemmer of the Snowball project (the one Lucene, Elasticsearch and Sphinx use), pure Python.
_SNOWBALL = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """English Snowball (Porter2) stem: "delete"/"deletion", "damage"/"damaged", "bag"/"bags" and
    "exchange"/"exchanging" meet, which a plural/tense strip missed.

    Example:
        >>> [_stem(w) for w in ("deletion", "delete", "damaged", "damage", "bags", "shipping")]
        ['delet', 'delet', 'damag', 'damag', 'bag', 'ship']
    """
    return str(_SNOWBALL.stemWord(word))


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


def coverage(query: str, text: str) -> float:
    """The share of the query's distinct content tokens that ``text`` contains, in [0, 1]: a lexical
    stand-in for a cosine where the encoder cannot read the query (Chinese for an English-only model).

    Example:
        >>> coverage("运费多少", "运费多少钱？美国标准配送 5.95 美元")
        1.0
        >>> round(coverage("运费多少", "我们提供免费补发（免运费）"), 2)
        0.33
        >>> coverage("你好呀", "退货期限为 30 天")
        0.0
    """
    wanted = set(tokenize(query))
    if not wanted:
        return 0.0
    return len(wanted & set(tokenize(text))) / len(wanted)


def split_sentences(text: str) -> list[str]:
    """Split prose (or markdown bullets) into sentences/lines, dropping empties; Chinese sentences at
    。！？ with or without a space after them.

    Example:
        >>> split_sentences("Returns take 5 days. Refunds 3.5% fee!\\n退货期限是30天。请保留小票！谢谢")
        ['Returns take 5 days.', 'Refunds 3.5% fee!', '退货期限是30天。', '请保留小票！', '谢谢']
        >>> split_sentences("他说：“好的。”真的吗？！好")
        ['他说：“好的。”', '真的吗？！', '好']
    """
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def text_weight(text: str) -> int:
    """Length in characters, a CJK character counting as 4: about 4 characters of English make one
    word piece of the encoder, a CJK character about one, so a limit in this unit fits both."""
    return len(text) + 3 * len(_CJK.findall(text))


def _pieces(sentence: str, size: int) -> list[str]:
    """A sentence longer than ``size`` cut at spaces (or, in text without spaces, by characters)."""
    if text_weight(sentence) <= size:
        return [sentence]
    out: list[str] = []
    current = ""
    for word in sentence.split():
        if text_weight(word) > size:  # no spaces to cut at (CJK, a URL): cut by characters
            if current:
                out.append(current)
                current = ""
            part = ""
            for ch in word:
                if part and text_weight(part + ch) > size:
                    out.append(part)
                    part = ""
                part += ch
            out.append(part)
            continue
        joined = f"{current} {word}" if current else word
        if current and text_weight(joined) > size:
            out.append(current)
            joined = word
        current = joined
    if current:
        out.append(current)
    return out


def split_passages(text: str, size: int) -> list[str]:
    """``text`` as passages of whole sentences of at most about ``size`` (:func:`text_weight`).

    A text that fits is one passage, unchanged. Otherwise its sentences (as :func:`split_sentences`;
    CJK ones too, which need no space after their full stop) are packed greedily into passages; a
    sentence longer than ``size`` is cut at spaces; a last passage under a quarter of ``size`` joins
    the one before it. ``size`` 0 or less: the text whole.

    Example:
        >>> split_passages("Good sound. Battery lasts a day. The case is flimsy.", 30)
        ['Good sound.', 'Battery lasts a day.', 'The case is flimsy.']
        >>> split_passages("Short review.", 30)
        ['Short review.']
    """
    if size <= 0 or text_weight(text) <= size:
        return [text]
    sentences = split_sentences(text)
    units = [piece for s in sentences for piece in _pieces(s, size)]
    passages: list[list[str]] = []
    current: list[str] = []
    for unit in units:
        if current and text_weight(_join([*current, unit])) > size:
            passages.append(current)
            current = []
        current.append(unit)
    if current:
        if passages and text_weight(_join(current)) < size // 4:
            passages[-1].extend(current)
        else:
            passages.append(current)
    return [_join(p) for p in passages] or [text]


def _join(units: list[str]) -> str:
    """Sentences joined by a space, except after a CJK sentence (CJK text has no spaces)."""
    out = ""
    for u in units:
        glued = not out or _CJK_END.search(out) or (_CJK_HALF_END.search(out) and _CJK.match(u))
        out = f"{out}{u}" if glued else f"{out} {u}"
    return out


def snippet(text: str, limit: int = 240) -> str:
    """A one-line excerpt of at most ``limit`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + "…"


# Web markup pasted into catalog text (Amazon's "A+" descriptions carry their style sheet inline:
# ".headerM {color:#000000;font-family:…}"): HTML comments and tags, and CSS rules, i.e. a selector
# before a block of "property: value;" declarations. The selector may be glued to the word before
# it ("USB cablediv.aplusAnnotate {…}"); a block left open at the end is cut off too.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)|-->|&lt;!--|--&gt;|<!\[endif\]>|\[if [^\]]{1,40}\]>", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
_CSS_SELECTOR = (
    r"(?:(?:[A-Za-z][\w-]*)?(?:[.#][A-Za-z_][\w-]*)+|@[\w-]+|\b(?:a|b|i|p|ul|ol|li|hr|br|div|span|table|tr|td|th|img|"
    r"body|strong|em|h[1-6]|sup|sub)\b)(?::[\w-]+)?"
)
# Each piece of text can be read in one way only (a combinator or a space between two selectors; a
# declaration's value runs to its ";" or the block's end): with more than one, a long text that is no
# rule ("Color: Red Size: M … ; 2 pack") made the regex engine try every split, for minutes.
_CSS_RULE = re.compile(
    rf"{_CSS_SELECTOR}(?:(?:\s*[,>+~]\s*|\s+){_CSS_SELECTOR})*\s*\{{([^{{}}]*)(?:\}}|$)|\{{([^{{}}]*)\}}"
)
_CSS_DECLARATIONS = re.compile(r"\s*(?:(?:/\*.*?\*/|[A-Za-z-][\w-]*\s*:[^;{}]*(?:;|$))\s*)+", re.S)


def strip_markup(text: str) -> str:
    """Text without the web markup a catalog export may carry: HTML comments and tags, CSS rules.

    Text without markup comes back unchanged (braces of other kinds, "{{Order Number}}", are kept).

    Example:
        >>> strip_markup(".headerM {color:#000;font-size:24px;} .sub {margin:0} HP 60 black ink. Yield: 200 pages")
        'HP 60 black ink. Yield: 200 pages'
        >>> strip_markup("<p>Smooth <b>gel</b> ink.</p><!-- .x {color:red} -->")
        'Smooth gel ink.'
        >>> strip_markup("Your order {{Order Number}} ships in 2 days.")
        'Your order {{Order Number}} ships in 2 days.'
    """
    if "{" not in text and "<" not in text and ">" not in text:
        return text
    out = _HTML_COMMENT.sub(" ", text)
    out = _HTML_TAG.sub(" ", out)

    def rule(m: re.Match[str]) -> str:
        body = m.group(1) if m.group(1) is not None else m.group(2)
        return " " if ":" in body and _CSS_DECLARATIONS.fullmatch(body) else m.group(0)

    # Innermost blocks first: a block left open (".a {color:#fc; .b ol {…}") is closed by the next.
    for _ in range(8):
        new = _CSS_RULE.sub(rule, out)
        if new == out:
            break
        out = new
    if out == text:
        return text
    out = re.sub(r"[ \t]{2,}", " ", out)
    return re.sub(r" *\n *", "\n", out).strip()
