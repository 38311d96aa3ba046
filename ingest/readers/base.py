"""The reader interface and the one registry of formats.

A reader turns a file into :class:`~ingest.records.RawItem` values (or per-record
:class:`~ingest.records.Rejection` values); validation, redaction, chunking, embedding and
writing are the pipeline's business. Adding a format = one module in ``ingest/readers/`` with a
``@register``-ed subclass of :class:`Reader`.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("bitext").name
    'bitext'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from ingest.records import Kind, RawItem, Rejection
from ingest.textio import TextFile

ReadResult = Iterator[RawItem | Rejection]


class ReadContext:
    """What a running reader shares with the pipeline: byte position and notes for the report."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._file: TextFile | None = None

    def attach(self, tf: TextFile) -> TextFile:
        self._file = tf
        if tf.note:
            self.notes.append(f"{tf.path.name}: {tf.note}")
        return tf

    def position(self) -> int:
        return self._file.position() if self._file is not None else 0


class Reader(ABC):
    """One input format. Subclasses set ``name``, ``kinds`` and implement ``read`` (and sniffers)."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    kinds: ClassVar[tuple[Kind, ...]]
    description: ClassVar[str] = ""
    # Dependency order when several files are ingested together: products and customers before
    # the orders that reference them.
    order: ClassVar[int] = 50

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        """A reason string if this reader recognises the file (name + content), else None."""
        return None

    def sniff_dir(self, path: Path) -> str | None:
        """A reason string if this reader takes a whole directory (e.g. τ-bench's folder)."""
        return None

    def expand(self, path: Path) -> list[Path]:
        """The files to read for ``path`` (a directory reader lists its files, in order)."""
        return [path]

    def default_source(self, path: Path) -> str:
        """The source name used when none is given: ``<format>:<file stem or folder name>``."""
        stem = path.name if path.is_dir() else path.name.split(".")[0] or path.stem
        return f"{self.name}:{stem}"

    @abstractmethod
    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        """Yield raw items (and per-record rejections) from one file, streaming."""


REGISTRY: dict[str, Reader] = {}
_ALIASES: dict[str, str] = {}


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: add a reader to the registry under its name and aliases."""
    reader = cls()
    if cls.name in REGISTRY:
        raise ValueError(f"format {cls.name!r} registered twice")
    REGISTRY[cls.name] = reader
    for alias in (cls.name, *cls.aliases):
        _ALIASES[alias] = cls.name
    return cls


def format_names() -> list[str]:
    return sorted(_ALIASES)


def get_reader(name: str) -> Reader:
    key = name.strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown format {name!r}; known formats: {', '.join(format_names())}")
    return REGISTRY[_ALIASES[key]]


def items_from_records(
    path: Path,
    ctx: ReadContext,
    kind: Kind,
    convert: Callable[[str | int, dict[str, Any]], dict[str, Any] | None] | None = None,
) -> ReadResult:
    """Shared body of JSON/JSONL readers: one record a value, optional per-record conversion."""
    from ingest.textio import iter_json_records, open_text

    with ctx.attach(open_text(path)) as tf:
        for line, key, value in iter_json_records(tf):
            if isinstance(value, Rejection):
                yield value
                continue
            if not isinstance(value, dict):
                yield Rejection(
                    file=path.name, line=line, message=f"expected a JSON object, got {type(value).__name__}"
                )
                continue
            data = convert(key, value) if convert else value
            if data is not None:
                yield RawItem(kind=kind, data=data, file=path.name, line=line)
