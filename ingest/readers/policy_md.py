"""``policy-md``: a Markdown policy document split by headings into passages.

Each passage is titled by its heading path (``Returns > Refund timing``); a single leading H1
is the document title and is left out of the paths. Sections longer than ``MAX_PASSAGE_CHARS``
are split at paragraph boundaries. Headings inside fenced code blocks are ignored.

Example:
    >>> from pathlib import Path
    >>> from ingest.readers.base import ReadContext
    >>> p = Path("/tmp/_p.md"); _ = p.write_text("# Shop\\n\\nHi.\\n\\n## Returns\\n\\n30 days.\\n")
    >>> [i.data["title"] for i in PolicyMarkdown().read(p, ReadContext())]
    ['Shop', 'Returns']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem
from ingest.textio import iter_lines, open_text, too_long

MAX_PASSAGE_CHARS = 1200
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def split_passage(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Paragraph-packed pieces of at most ``limit`` characters (a longer paragraph stays whole)."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    cur = ""
    for p in paras:
        if cur and len(cur) + 2 + len(p) > limit:
            out.append(cur)
            cur = p
        else:
            cur = f"{cur}\n\n{p}" if cur else p
    if cur:
        out.append(cur)
    return out


def markdown_passages(lines: Iterator[tuple[int, str]], doc: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, passage dict) for a stream of Markdown lines."""
    path: list[tuple[int, str]] = []
    doc_title = ""
    body: list[str] = []
    body_line = 1
    section = 0
    fenced = False
    seen_heading = False

    def flush() -> Iterator[tuple[int, dict[str, Any]]]:
        nonlocal section
        text = "\n".join(body).strip()
        if not text:
            return
        title = " > ".join(t for _, t in path) or doc_title or doc
        for piece in split_passage(text):
            yield body_line, {"doc": doc, "title": title, "section": section, "text": piece}
            section += 1

    for n, line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m is None:
            if not body:
                body_line = n
            body.append(line)
            if sum(len(b) for b in body) > 50 * MAX_PASSAGE_CHARS:
                yield from flush()  # a heading-less giant document: bound memory
                body = []
            continue
        yield from flush()
        body = []
        body_line = n + 1
        level, title = len(m.group(1)), m.group(2).strip()
        if level == 1 and not seen_heading:
            doc_title = title
            seen_heading = True
            continue
        seen_heading = True
        path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
    yield from flush()


@register
class PolicyMarkdown(Reader):
    name: ClassVar[str] = "policy-md"
    aliases: ClassVar[tuple[str, ...]] = ("policy", "markdown")
    kinds: ClassVar[tuple[Kind, ...]] = ("policy",)
    description = "policy/FAQ document in Markdown, split by headings"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if path.suffix.lower() in (".md", ".markdown"):
            return f"Markdown file ({path.suffix})"
        if path.suffix.lower() == ".txt" and _HEADING.match(head.lstrip().split("\n", 1)[0]):
            return "text file starting with a Markdown heading"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            rejected: list[int] = []

            def lines() -> Iterator[tuple[int, str]]:
                for n, line in iter_lines(tf):
                    if line is None:
                        rejected.append(n)
                        continue
                    yield n, line

            for line, data in markdown_passages(lines(), path.name):
                while rejected:
                    yield too_long(path.name, rejected.pop(0))
                yield RawItem(kind="policy", data=data, file=path.name, line=line)
            for n in rejected:
                yield too_long(path.name, n)
