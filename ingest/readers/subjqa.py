"""``subjqa``: SubjQA CSV: a question about a product answered by a span of one of its reviews.

Each row yields the review (``review_id``, ``item_id`` as product, ``review`` text; SubjQA has
no ratings, so rating is unknown) and, unless the answer is ``ANSWERNOTFOUND``, a Q&A pair
(question + ``human_ans_spans``). Reviews repeated across rows are stored once.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("subjqa").kinds
    ('review', 'qa')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection, short_hash
from ingest.textio import iter_csv_rows, open_text

NO_ANSWER = "ANSWERNOTFOUND"


@register
class SubjQa(Reader):
    name: ClassVar[str] = "subjqa"
    kinds: ClassVar[tuple[Kind, ...]] = ("review", "qa")
    description = "SubjQA CSV (question, review, human_ans_spans, item_id)"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if {"question", "review", "human_ans_spans"} <= set(header):
            return "CSV with question, review and human_ans_spans columns (SubjQA)"
        return None

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            for line, row in iter_csv_rows(tf, ("item_id", "question", "review", "human_ans_spans")):
                if isinstance(row, Rejection):
                    yield row
                    continue
                review_id = row.get("review_id") or "sqa-" + short_hash(row["item_id"], row["review"])
                yield RawItem(
                    kind="review",
                    data={"review_id": review_id, "product_id": row["item_id"], "text": row["review"]},
                    file=path.name,
                    line=line,
                )
                answer = row["human_ans_spans"].strip()
                if answer and answer != NO_ANSWER:
                    yield RawItem(
                        kind="qa",
                        data={
                            "qa_id": "sqa-" + short_hash(row.get("q_review_id"), row["question"], answer),
                            "product_id": row["item_id"],
                            "question": row["question"],
                            "answer": answer,
                        },
                        file=path.name,
                        line=line,
                    )
