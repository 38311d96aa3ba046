"""Web markup in catalog text (assistant.retrieval.text.strip_markup): a style sheet, tags and
comments go, text and braces of other kinds stay."""

from __future__ import annotations

import time

from assistant.retrieval.text import strip_markup


def test_an_inline_style_sheet_is_cut_and_the_text_kept() -> None:
    # Amazon's "A+" block: rules glued to the word before them, one left open at the end.
    raw = (
        "Ink cartridges -Black; USB cablediv.aplusAnnotate {font-family: Arial; font-size: 13px;}"
        "div.aplusHead {font-size: 15px; font-weight: bold; } .bg {background-color:#ffffcc; .legal ol "
        "{list-style-position:outer; margin:0em 1em 0em; }"
    )
    assert strip_markup(raw) == "Ink cartridges -Black; USB"
    word = '/* Font Definitions */ @font-face {font-family:"Cambria Math"; panose-1:2 4 5 3;} Prints photos.'
    assert strip_markup(word) == "/* Font Definitions */ Prints photos."


def test_text_without_markup_is_left_alone() -> None:
    for text in (
        "Your order {{Order Number}} ships in 2 days.",
        "Sizes: S {small} to XL; price < $20 and > $10.",
        "Fits 8.5 x 11 paper: color: black.",
    ):
        assert strip_markup(text) == text


def test_long_text_that_is_no_style_sheet_is_read_in_linear_time() -> None:
    # Catalog text with many "Key: value" pairs in braces, or a long dotted name before a brace, is no
    # rule; each could be split many ways, and the cleaner ran for minutes on one description at ingest
    # and at every catalog load (26 pairs: hours).
    pairs = "Specs {" + " ".join(f"Key{i}: value{i}" for i in range(26)) + "; 2 pack included}"
    dotted = "Visit www" + ".shop" * 26 + " today {ask us}"
    for text in (pairs, dotted):
        started = time.perf_counter()
        assert strip_markup(text) == text
        assert time.perf_counter() - started < 1.0, text
    # A real style sheet next to such text is still cut.
    assert strip_markup(".a .b > p {color:red; margin:0} " + pairs) == pairs
