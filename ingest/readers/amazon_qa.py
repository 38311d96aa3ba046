"""``amazon-qa``: McAuley Amazon product Q&A, one Python-dict-like record a line.

Each line is parsed with ``json.loads``, falling back to ``ast.literal_eval`` (the original
dumps use Python literals). Fields: ``asin`` (product id), ``question``, ``answer``,
``unixTime``/``answerTime``. The id is a hash of asin, question and answer.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("amazon-qa").kinds
    ('qa',)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection, parse_time, short_hash
from ingest.textio import iter_lines, open_text, parse_json_line, too_long


def _time(value: dict[str, Any]) -> str | None:
    # ``answerTime`` is sometimes relative ("14 days ago"): without a crawl date it means
    # nothing, so an unparseable time is dropped rather than rejecting the whole answer.
    for key in ("unixTime", "answerTime"):
        try:
            dt = parse_time(value.get(key))
        except ValueError:
            continue
        if dt is not None:
            return dt.isoformat()
    return None


@register
class AmazonQa(Reader):
    name: ClassVar[str] = "amazon-qa"
    kinds: ClassVar[tuple[Kind, ...]] = ("qa",)
    description = "Amazon QA lines (asin, question, answer), JSON or Python literals"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "asin" in first and "question" in first:
            return "lines with asin and question (Amazon QA)"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            for n, line in iter_lines(tf):
                if line is None:
                    yield too_long(path.name, n)
                    continue
                if not line.strip():
                    continue
                try:
                    value = parse_json_line(line, python_literals=True)
                except ValueError as exc:
                    yield Rejection(file=path.name, line=n, message=str(exc))
                    continue
                if not isinstance(value, dict):
                    yield Rejection(file=path.name, line=n, message="expected a dict record")
                    continue
                asin, question, answer = value.get("asin"), value.get("question"), value.get("answer")
                data = {
                    "qa_id": "aqa-" + short_hash(asin, question, answer),
                    "product_id": asin,
                    "question": question,
                    "answer": answer,
                    "timestamp": _time(value),
                }
                yield RawItem(kind="qa", data=data, file=path.name, line=n)
