"""The dialogue-suite format (JSONL, one dialogue a line) and its validation.

The format is documented in ``docs/evaluation-dialogues.md`` (and ``shared/dialogues/README.md``).
A suite is validated completely before anything runs: every malformed line is reported with its
number and the path of the field that is wrong.

Example:
    >>> suite = parse_suite('{"id": "d1", "turns": [{"say": "hi", "expect": {"handoff": false}}]}', "s.jsonl")
    >>> [(k, v) for k, v in suite.dialogues[0].turns[0].expect.checks()]
    [('handoff', False)]
    >>> try:
    ...     parse_suite('{"id": "d1", "turns": [{"say": "hi", "expect": {"langage": "en"}}]}', "s.jsonl")
    ... except SuiteError as exc:
    ...     print(exc.problems[0])
    s.jsonl line 1, field turns[0].expect.langage: Extra inputs are not permitted
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError, model_validator

#: The check kinds, in the order the report lists them.
CHECK_KINDS: tuple[str, ...] = (
    "contains_any",
    "contains_all",
    "not_contains",
    "cites_any",
    "asks_identity",
    "handoff",
    "language",
    "products",
    "recs",
    "no_foreign_pii",
)

NonEmpty = Annotated[str, Field(min_length=1, strict=True)]
Strings = Annotated[list[NonEmpty], Field(min_length=1)]
Number = StrictFloat  # ints are accepted; strings and booleans are not


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemChecks(_Strict):
    """Checks on a list of products (``products``: what the reply puts forward; ``recs``: the panel)."""

    min_count: Annotated[StrictInt, Field(ge=0)] | None = None
    max_count: Annotated[StrictInt, Field(ge=0)] | None = None
    max_price: Annotated[Number, Field(ge=0)] | None = None
    min_price: Annotated[Number, Field(ge=0)] | None = None
    category_any: Strings | None = None
    name_any: Strings | None = None
    name_none: Strings | None = None
    reason_not_contains: Strings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ItemChecks:
        if all(v is None for _, v in self):
            raise ValueError("names no check (min_count, max_count, max_price, min_price, category_any, ...)")
        if self.min_count is not None and self.max_count is not None and self.min_count > self.max_count:
            raise ValueError("min_count is above max_count")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price is above max_price")
        return self

    def given(self) -> dict[str, Any]:
        """The sub-checks the suite sets (for the report's "expected")."""
        return {k: v for k, v in self if v is not None}


class Expect(_Strict):
    """The checks of one turn; every key present is one check of that turn's result."""

    contains_any: Strings | None = None
    contains_all: Strings | None = None
    not_contains: Strings | None = None
    cites_any: Strings | None = None
    asks_identity: StrictBool | None = None
    handoff: StrictBool | None = None
    language: Literal["en", "zh"] | None = None
    products: ItemChecks | None = None
    recs: ItemChecks | None = None
    no_foreign_pii: Literal[True] | None = Field(
        default=None, description="Only `true` is meaningful; leave the key out to skip the check."
    )

    def checks(self) -> Iterator[tuple[str, Any]]:
        """(kind, expected value) of each check set on this turn, in :data:`CHECK_KINDS` order."""
        for kind in CHECK_KINDS:
            value = getattr(self, kind)
            if value is not None:
                yield kind, value


class Turn(_Strict):
    say: Annotated[str, Field(min_length=1, max_length=4000, strict=True)]
    expect: Expect | None = None


class Dialogue(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=200, strict=True)]
    shop: Annotated[str, Field(strict=True)] | None = None
    signed_in: Annotated[str, Field(min_length=1, max_length=64, strict=True)] | None = None
    note: Annotated[str, Field(strict=True)] = ""
    turns: Annotated[list[Turn], Field(min_length=1)]
    #: The line of the suite file this dialogue came from (set by the parser, not by the file).
    line: int = Field(default=0, exclude=True)


class Suite(_Strict):
    name: str
    dialogues: list[Dialogue]

    @property
    def turn_count(self) -> int:
        return sum(len(d.turns) for d in self.dialogues)

    @property
    def check_count(self) -> int:
        return sum(len(list(t.expect.checks())) for d in self.dialogues for t in d.turns if t.expect)


class SuiteError(ValueError):
    """A malformed suite; ``problems`` holds one ``"<file> line N, field F: message"`` per error."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("\n".join(shown) + more)


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(line)"


def _describe(err: Any) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] not in ("missing", "extra_forbidden", "value_error") and "input" in err:
        shown = json.dumps(err["input"], ensure_ascii=False)
        msg += f" (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
    return msg


def parse_suite(text: str, name: str = "suite") -> Suite:
    """Validate a whole suite; raise :class:`SuiteError` listing every malformed line and field."""
    problems: list[str] = []
    dialogues: list[Dialogue] = []
    first_line: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{name} line {lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{where}: a dialogue must be a JSON object, got {type(data).__name__}")
            continue
        if "line" in data:
            problems.append(f"{where}, field line: Extra inputs are not permitted")
            continue
        try:
            dialogue = Dialogue.model_validate({**data, "line": lineno})
        except ValidationError as exc:
            for err in exc.errors():
                # Errors raised by a model validator point at the model, the location of its fields.
                problems.append(f"{where}, field {_field_path(tuple(err['loc']))}: {_describe(err)}")
            continue
        if dialogue.id in first_line:
            first = first_line[dialogue.id]
            problems.append(f"{where}, field id: duplicate id {dialogue.id!r} (first on line {first})")
            continue
        first_line[dialogue.id] = lineno
        dialogues.append(dialogue)
    if not problems and not dialogues:
        problems.append(f"{name}: the suite holds no dialogue")
    if problems:
        raise SuiteError(problems)
    return Suite(name=name, dialogues=dialogues)


def load_suite(path: Path) -> Suite:
    """Read and validate a suite file (UTF-8 JSONL)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise SuiteError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    return parse_suite(text, path.name)
