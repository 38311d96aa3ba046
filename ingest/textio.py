"""Reading untrusted files as text, streamed: encoding sniffing, JSON/JSONL/CSV record iteration.

Everything here turns bad input into :class:`FileRejected` (the whole file is unusable) or a
:class:`~ingest.records.Rejection` (one record), never a traceback. Files are read in chunks, so
memory stays flat however large the file is.

Example:
    >>> from pathlib import Path
    >>> p = Path("/tmp/_x.jsonl"); _ = p.write_text('{"a": 1}\\n{"a": 2}\\n')
    >>> with open_text(p) as tf:
    ...     [v for _, _, v in iter_json_records(tf)]
    [{'a': 1}, {'a': 2}]
"""

from __future__ import annotations

import ast
import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ingest.records import Rejection

HEAD_BYTES = 64 * 1024
CHUNK_CHARS = 1024 * 1024
JSON_CHUNK_CHARS = 256 * 1024
# One record (a JSONL line, a CSV row, a JSON element) larger than this is refused: nothing
# legitimate is that big, and parsing it would make memory grow with the file.
MAX_RECORD_CHARS = 4 * 1024 * 1024

csv.field_size_limit(MAX_RECORD_CHARS)

_MAGIC = {
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"PK\x03\x04": "a ZIP archive (or .xlsx); extract it or export CSV first",
    b"%PDF": "a PDF document, not a data file",
    b"\x89PNG": "a PNG image, not a data file",
    b"\xff\xd8\xff": "a JPEG image, not a data file",
    b"SQLite format 3": "an SQLite database, not a data file",
    b"BZh": "a bzip2-compressed file; decompress it first",
    b"\xfd7zXZ": "an xz-compressed file; decompress it first",
}


class FileRejected(Exception):
    """The whole file cannot be read in the requested format; the message says why."""


class TextFile:
    """An open text file whose encoding was sniffed from its first bytes.

    ``position()`` is the byte offset read so far (for progress bars); ``note`` says what
    encoding was assumed when it was not plain UTF-8.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.size = path.stat().st_size
            raw = path.open("rb")
        except OSError as exc:
            raise FileRejected(f"cannot open: {exc.strerror or exc}") from None
        self._raw: IO[bytes] = raw
        try:
            head = raw.read(HEAD_BYTES)
            raw.seek(0)
            self.encoding, self.note = sniff_encoding(head)
        except BaseException:
            raw.close()
            raise
        self.text: io.TextIOWrapper = io.TextIOWrapper(
            raw, encoding=self.encoding, errors="replace", newline=""
        )

    def position(self) -> int:
        try:
            return int(self._raw.tell())
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> TextFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_text(path: Path) -> TextFile:
    """Open ``path`` as text or raise :class:`FileRejected` (empty, binary, compressed...)."""
    if path.is_dir():
        raise FileRejected("is a directory; this format reads files")
    return TextFile(path)


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """(Python codec, note) for a file starting with ``head``; raises FileRejected for non-text."""
    if not head:
        raise FileRejected("file is empty")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", ""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "decoded as UTF-16 (byte-order mark)"
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise FileRejected(f"this is {what}")
    nul = head.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise FileRejected(f"binary file (NUL byte at offset {nul}); expected UTF-8 text")
    if not head.strip():
        raise FileRejected("file holds only whitespace")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", ""
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None or best.encoding is None:
        raise FileRejected("not a text file: no text encoding fits its bytes")
    if best.encoding in ("cp1252", "latin_1", "iso8859_15", "cp1250"):
        # Latin-1 is a strict subset of cp1252 in practice; cp1252 also maps the curly quotes.
        return "cp1252", "not UTF-8: decoded as Windows-1252/Latin-1"
    ctrl = sum(1 for b in head[:4096] if b < 9 or 13 < b < 32)
    if ctrl > 16:
        raise FileRejected("binary file: control bytes throughout; expected text")
    return str(best.encoding), f"not UTF-8: decoded as {best.encoding}"


def _first_char(tf: TextFile) -> str:
    text = tf.text
    while True:
        c = text.read(1)
        if not c:
            return ""
        if not c.isspace():
            return c


def iter_lines(tf: TextFile) -> Iterator[tuple[int, str | None]]:
    """(line number, line) pairs without the newline; an over-long line is (n, None) and skipped."""
    text = tf.text
    n = 0
    while True:
        line = text.readline(MAX_RECORD_CHARS + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
            # Drain the rest of the giant line in bounded reads so memory stays flat.
            while True:
                rest = text.readline(CHUNK_CHARS)
                if not rest or rest.endswith("\n"):
                    break
            yield n, None
            continue
        yield n, line.rstrip("\r\n")


def too_long(file: str, line: int) -> Rejection:
    return Rejection(
        file=file,
        line=line,
        message=f"line is longer than {MAX_RECORD_CHARS // (1024 * 1024)} MiB; skipped",
    )


def parse_json_line(line: str, *, python_literals: bool = False) -> Any:
    """json.loads, or (for Python-dict-like dumps) ast.literal_eval as a fallback."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        if not python_literals:
            raise ValueError(f"invalid JSON at column {exc.colno}: {exc.msg}") from None
        try:
            return ast.literal_eval(line)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError(f"neither JSON nor a Python literal (column {exc.colno}: {exc.msg})") from None


class _JsonStream:
    """Incremental parser for the elements of one top-level JSON array or object."""

    def __init__(self, tf: TextFile, first: str) -> None:
        self.tf = tf
        self.buf = first
        self.pos = 0
        self.line = 1
        self.counted = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.tf.text.read(JSON_CHUNK_CHARS)
        if not chunk:
            self.eof = True
            return False
        if self.pos:
            # Drop what is parsed before growing: the buffer holds one element plus one chunk.
            self._sync_line()
            self.buf = self.buf[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        self.buf += chunk
        return True

    def _sync_line(self) -> None:
        if self.pos > self.counted:
            self.line += self.buf.count("\n", self.counted, self.pos)
            self.counted = self.pos

    def current_line(self) -> int:
        self._sync_line()
        return self.line

    def skip_ws(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos].isspace():
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def value(self, what: str) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_RECORD_CHARS:  # pos stays at the element's start
                    raise FileRejected(
                        f"line {self.current_line()}: {what} is malformed or larger than "
                        f"{MAX_RECORD_CHARS // (1024 * 1024)} MiB; the rest of the file is skipped"
                    ) from None
                if self.fill():
                    continue
                # "Unterminated string" can only mean the string ran into the end of the file
                # (a raw newline inside a string is a different error).
                if exc.pos >= len(self.buf.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
                    raise FileRejected(
                        f"JSON is truncated: {what} starting at line {self.current_line()} never ends; "
                        "the records before it were read"
                    ) from None
                bad_line = self.line + self.buf.count("\n", self.counted, exc.pos)
                raise FileRejected(
                    f"malformed JSON at line {bad_line}: {exc.msg}; the records before it were read, "
                    "the rest of the file is skipped"
                ) from None
            except RecursionError:
                raise FileRejected(
                    f"line {self.current_line()}: {what} is nested too deeply"
                ) from None
            if end >= len(self.buf) and not self.eof and self.fill():
                continue  # a number at the buffer's end may continue in the next chunk
            self.pos = end
            return value


def iter_json_records(tf: TextFile) -> Iterator[tuple[int, str | int, Any]]:
    """(line, key, value) for each record of a JSON array, a JSON object of id -> record, or JSONL.

    A JSON array yields its elements with their index as key; an object yields its members
    (the key is usually the record id, as in τ-bench's files); JSON Lines yield one value a line.
    """
    first = _first_char(tf)
    name = tf.path.name
    if not first:
        raise FileRejected("file holds only whitespace")
    if first == "{":
        rest = tf.text.readline(MAX_RECORD_CHARS)
        first_line = "{" + rest
        try:
            obj = json.loads(first_line)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            # A whole object on the first line: JSON Lines (or a one-record file).
            yield 1, 0, obj
            n = 1
            for line_no, line in iter_lines(tf):
                n += 1
                if line is None:
                    yield line_no + 1, n, too_long(name, line_no + 1)
                    continue
                if not line.strip():
                    continue
                try:
                    yield line_no + 1, n, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield line_no + 1, n, Rejection(
                        file=name, line=line_no + 1, message=f"invalid JSON at column {exc.colno}: {exc.msg}"
                    )
                except RecursionError:
                    yield line_no + 1, n, Rejection(file=name, line=line_no + 1, message="JSON nested too deeply")
            return
        yield from _iter_container(_JsonStream(tf, first_line), "{", name)
        return
    if first == "[":
        yield from _iter_container(_JsonStream(tf, "["), "[", name)
        return
    raise FileRejected(
        f"not JSON: starts with {first[:1]!r}; expected a JSON array, an object or JSON Lines"
    )


def _iter_container(js: _JsonStream, opener: str, name: str) -> Iterator[tuple[int, str | int, Any]]:
    closer = "]" if opener == "[" else "}"
    js.pos = 1
    index = 0
    while True:
        c = js.skip_ws()
        if not c:
            raise FileRejected(
                f"JSON is truncated: the top-level {'array' if opener == '[' else 'object'} is never "
                f"closed (after {index} records); the records before the end were read"
            )
        if c == closer:
            return
        if index:
            if c != ",":
                raise FileRejected(f"malformed JSON at line {js.current_line()}: expected ',' or {closer!r}")
            js.pos += 1
            c = js.skip_ws()
            if not c:
                raise FileRejected("JSON is truncated after a ','; the records before it were read")
        line = js.current_line()
        key: str | int = index
        if opener == "{":
            k = js.value("a key")
            if not isinstance(k, str):
                raise FileRejected(f"malformed JSON at line {line}: object keys must be strings")
            if js.skip_ws() != ":":
                raise FileRejected(f"malformed JSON at line {js.current_line()}: expected ':' after key")
            js.pos += 1
            js.skip_ws()
            key = k
        value = js.value(f"record {index + 1}")
        if opener == "{" and index == 0 and not isinstance(value, dict | list):
            raise FileRejected(
                "the file holds one JSON object, not a list of records; wrap records in [ ... ] "
                "or write one JSON object per line"
            )
        index += 1
        yield line, key, value


CSV_DELIMITERS = (",", ";", "\t", "|")


def norm_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


def iter_csv_rows(
    tf: TextFile, required: tuple[str, ...], *, any_of: tuple[tuple[str, ...], ...] = ()
) -> Iterator[tuple[int, dict[str, str] | Rejection]]:
    """(row line, row dict keyed by normalised header) for each data row.

    The delimiter is chosen from the header: the one whose split contains the ``required``
    columns (so ``;`` or tab files work), and a file with none of them gets one clear message.
    """
    name = tf.path.name
    header_line = tf.text.readline(MAX_RECORD_CHARS)
    if not header_line.strip():
        raise FileRejected("CSV has no header row")
    best: tuple[int, str] | None = None
    for delim in CSV_DELIMITERS:
        cols = [norm_header(c) for c in next(csv.reader([header_line], delimiter=delim))]
        ok = all(r in cols for r in required) and all(any(a in cols for a in alt) for alt in any_of)
        if ok:
            best = (len(cols), delim)
            break
    if best is None:
        counts = {d: header_line.count(d) for d in CSV_DELIMITERS}
        delim = max(counts, key=lambda d: counts[d])
        cols = [norm_header(c) for c in next(csv.reader([header_line], delimiter=delim))]
        missing = [r for r in required if r not in cols] + [
            "/".join(alt) for alt in any_of if not any(a in cols for a in alt)
        ]
        raise FileRejected(
            f"CSV header lacks column(s) {', '.join(missing)}; found {', '.join(cols[:12])[:300]} "
            f"(delimiters tried: , ; tab |)"
        )
    delim = best[1]
    header = [norm_header(c) for c in next(csv.reader([header_line], delimiter=delim))]
    reader = csv.reader(tf.text, delimiter=delim)
    last_line = 1
    errors_in_a_row = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last_line = reader.line_num + 1
            errors_in_a_row += 1
            yield start, Rejection(file=name, line=start, message=f"unreadable CSV row: {exc}")
            if errors_in_a_row > 1000:
                raise FileRejected("too many unreadable CSV rows in a row; is this really CSV?") from None
            continue
        errors_in_a_row = 0
        last_line = reader.line_num + 1
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield start, Rejection(
                file=name,
                line=start,
                message=f"row has {len(row)} fields but the header has {len(header)} "
                "(a stray delimiter or an unclosed quote?)",
            )
            continue
        yield start, dict(zip(header, row, strict=True))


def head_text(path: Path, limit: int = HEAD_BYTES) -> str:
    """The decoded beginning of a file for format sniffing ("" when unreadable or binary)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(limit)
        enc, _ = sniff_encoding(head)
    except (OSError, FileRejected):
        return ""
    return head.decode(enc if enc != "utf-16" else "utf-16", errors="replace")


def first_json_record(head: str) -> dict[str, Any] | None:
    """The first record of a JSON/JSONL text (from a file head), for sniffing its keys."""
    text = head.lstrip().lstrip("\ufeff")
    dec = json.JSONDecoder()
    try:
        if text.startswith("["):
            i = 1
            while i < len(text) and text[i].isspace():
                i += 1
            obj, _ = dec.raw_decode(text, i)
            return obj if isinstance(obj, dict) else None
        if text.startswith("{"):
            line = text.split("\n", 1)[0]
            try:
                obj = json.loads(line)
                return obj if isinstance(obj, dict) else None
            except json.JSONDecodeError:
                pass
            try:
                obj = ast.literal_eval(line)
                if isinstance(obj, dict):
                    obj["__python_literal__"] = True
                    return obj
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                pass
            # An object of id -> record: decode the first member's value.
            i = 1
            while i < len(text) and text[i].isspace():
                i += 1
            _, i = dec.raw_decode(text, i)
            while text[i].isspace() or text[i] == ":":
                i += 1
            obj, _ = dec.raw_decode(text, i)
            if isinstance(obj, dict):
                obj["__keyed__"] = True
                return obj
            return None
    except (json.JSONDecodeError, IndexError, RecursionError):
        return None
    return None


def csv_header(head: str) -> list[str]:
    """Normalised header columns of a CSV text, trying the usual delimiters."""
    line = head.lstrip("\ufeff").split("\n", 1)[0]
    best: list[str] = []
    for delim in CSV_DELIMITERS:
        try:
            cols = [norm_header(c) for c in next(csv.reader([line], delimiter=delim))]
        except (csv.Error, StopIteration):
            continue
        if len(cols) > len(best):
            best = cols
    return best
