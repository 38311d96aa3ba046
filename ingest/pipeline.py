"""The ingestion pipeline: read -> validate -> normalize -> redact -> chunk -> embed -> write -> record.

Each stage lives in its own module (``readers``, ``records``, ``normalize``, ``privacy``,
``chunking``, ``writer``); this module streams records through them in batches and keeps the
run's report. Records are processed in batches of ``batch_size``, so memory stays flat however
large a file is, and each batch is one crash-safe unit (see :mod:`ingest.writer`).

Example:
    >>> from pathlib import Path
    >>> from assistant.config import Settings
    >>> report = ingest_paths([Path("assistant/demo/data/policy.md")], "policy-md",
    ...                       settings=Settings(data_dir="/tmp/shop-p"), source="demo")
    >>> report.ok, report.counts["policy"].valid > 0
    (True, True)
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import update

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import IngestionRun
from assistant.vectors import VectorStore
from ingest.chunking import chunk_record
from ingest.normalize import UNKNOWN, Normalized, normalize
from ingest.privacy import redact_records
from ingest.readers import ReadContext, Reader, UnknownFormat, detect, detect_dir, get_reader
from ingest.records import OrderRecord, RawItem, Rejection, validate
from ingest.textio import FileRejected
from ingest.writer import Prepared, Writer, remove_source_data

DEFAULT_BATCH = 512
# Detailed rejections kept per run; beyond this only the count grows (a garbage file of a
# million lines must not make the report, or memory, a million entries long).
MAX_REJECTIONS = 10_000
# Test hook for the kill-and-resume test: "<stage>:<n>" SIGKILLs this process at batch n, where
# stage is "chroma" (after the Chroma upsert, before the SQL commit) or "sql" (after the commit).
CRASH_ENV = "_SHOPASSIST_INGEST_CRASH_AT"


class KindCounts(BaseModel):
    """Per-kind record counts of a run."""

    read: int = 0
    valid: int = 0
    rejected: int = 0
    written: int = 0
    unchanged: int = 0
    replaced: int = 0

    def add(self, other: KindCounts) -> None:
        for name in KindCounts.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class FileReport(BaseModel):
    path: str
    format: str
    source: str
    detected: str = ""
    counts: dict[str, KindCounts] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class RunReport(BaseModel):
    """What one ``ingest_paths`` call did.

    Example:
        >>> RunReport(run_id="x", source="s", format="bitext", paths=["a.csv"]).ok
        False
    """

    run_id: str
    source: str
    format: str
    paths: list[str]
    files: list[FileReport] = Field(default_factory=list)
    counts: dict[str, KindCounts] = Field(default_factory=dict)
    rejections: list[Rejection] = Field(default_factory=list)
    rejections_total: int = 0
    pii_found: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    # Seconds per stage (read, validate, normalize, lookup, redact, chunk, embed, write): where a
    # run's time went, e.g. for benchmarks/ingest.py.
    timings: dict[str, float] = Field(default_factory=dict)
    dry_run: bool = False
    strict: bool = False
    ok: bool = False

    @property
    def path(self) -> str:
        return ", ".join(self.paths)

    def total(self, field: str) -> int:
        return sum(getattr(c, field) for c in self.counts.values())


class ProgressEvent(BaseModel):
    """Emitted after each batch (and at file boundaries) for progress bars and NDJSON streams."""

    file: str
    format: str
    files_done: int
    files_total: int
    records: int
    bytes_done: int
    bytes_total: int
    written: int
    rejected: int
    phase: str = "reading"


ProgressCallback = Callable[[ProgressEvent], None]


class PlannedFile(BaseModel):
    model_config = {"arbitrary_types_allowed": True}

    path: Path
    reader: Reader | None
    reason: str
    source: str
    error: str = ""


def plan_files(paths: Sequence[Path], fmt: str, source: str | None) -> list[PlannedFile]:
    """Resolve each path (file or directory) to files and their reader, in dependency order."""
    planned: list[PlannedFile] = []
    fixed = None if fmt in ("auto", "") else get_reader(fmt)
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            planned.append(PlannedFile(path=path, reader=None, reason="", source=source or path.stem,
                                       error="no such file or directory"))
            continue
        if path.is_dir():
            hit = (fixed, f"--format {fixed.name}") if fixed else detect_dir(path)
            if hit is not None and hit[0] is not None:
                reader, reason = hit
                files = reader.expand(path)
                src = source or reader.default_source(path)
                planned.extend(PlannedFile(path=f, reader=reader, reason=reason, source=src) for f in files)
                if not files:
                    planned.append(PlannedFile(path=path, reader=None, reason="", source=src,
                                               error=f"no {reader.name} files in this directory"))
                continue
            children = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            planned.extend(plan_files(children, "auto", source))
            continue
        if fixed is not None:
            planned.append(PlannedFile(path=path, reader=fixed, reason=f"--format {fixed.name}",
                                       source=source or fixed.default_source(path)))
            continue
        try:
            reader, reason = detect(path)
        except UnknownFormat as exc:
            planned.append(PlannedFile(path=path, reader=None, reason="", source=source or path.stem,
                                       error=str(exc)))
            continue
        planned.append(PlannedFile(path=path, reader=reader, reason=f"detected: {reason}",
                                   source=source or reader.default_source(path)))
    return sorted(planned, key=lambda p: p.reader.order if p.reader else 0)


class _Run:
    """State of one ingestion run (counts, rejections, stores); not part of the public API."""

    def __init__(self, settings: Settings, report: RunReport, db: Database | None,
                 vectors: VectorStore | None, batch_size: int) -> None:
        self.settings = settings
        self.report = report
        self.db = db
        self.vectors = vectors
        self.batch_size = batch_size
        self.writer = Writer(db, vectors, report.run_id) if db is not None and vectors is not None else None
        self.pii: Counter[str] = Counter()
        self.unknown_language = 0
        self.batches = 0
        self.crash_at = _parse_crash(os.environ.get(CRASH_ENV, ""))
        self.timings: defaultdict[str, float] = defaultdict(float)

    def timed(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[stage] += now - since
        return now

    def counts(self, fr: FileReport, kind: str) -> KindCounts:
        return fr.counts.setdefault(kind, KindCounts())

    def reject(self, fr: FileReport, rej: Rejection, kind: str | None) -> None:
        if kind:
            self.counts(fr, kind).rejected += 1
        self.report.rejections_total += 1
        if len(self.report.rejections) < MAX_REJECTIONS:
            self.report.rejections.append(rej)

    def process(self, fr: FileReport, source: str, batch: list[Normalized]) -> None:
        if not batch or self.writer is None:
            return
        # Same key twice in one batch: the last one wins, as it would across batches.
        latest: dict[tuple[str, str], Normalized] = {}
        for n in batch:
            if n.key in latest:
                self.counts(fr, n.kind).unchanged += 1
            latest[n.key] = n
        t = time.perf_counter()
        previous = self.writer.lookup(source, list(latest))
        todo: list[Normalized] = []
        for key, n in latest.items():
            prev = previous.get(key)
            if prev is not None and prev.content_hash == n.content_hash:
                self.counts(fr, n.kind).unchanged += 1
            else:
                todo.append(n)
        todo = self._check_references(fr, todo)
        t = self.timed("lookup", t)
        if not todo:
            return
        records, found = redact_records([n.record for n in todo])
        self.pii.update(found)
        t = self.timed("redact", t)
        prepared = [
            Prepared(item=n, record=rec, chunks=chunk_record(rec, source=source, language=n.language,
                                                                passage_chars=self.settings.review_passage_chars),
                     previous=previous.get(n.key))
            for n, rec in zip(todo, records, strict=True)
        ]
        texts = [c.text for p in prepared for c in p.chunks]
        t = self.timed("chunk", t)
        embeddings = self._embed(texts)
        t = self.timed("embed", t)
        self.batches += 1
        self.writer.write(source, prepared, embeddings, before_commit=self._crash_hook("chroma"))
        self._crash_hook("sql")()
        self.timed("write", t)
        for p in prepared:
            c = self.counts(fr, p.record.kind)
            if p.previous is None:
                c.written += 1
            else:
                c.replaced += 1

    def _embed(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        assert self.vectors is not None
        return self.vectors.embedder.encode(texts, batch_size=self.settings.embedding_batch_size)

    def _check_references(self, fr: FileReport, todo: list[Normalized]) -> list[Normalized]:
        orders = [n for n in todo if isinstance(n.record, OrderRecord) and n.record.customer_id]
        if not orders or self.writer is None:
            return todo
        known = self.writer.known_customers(n.record.customer_id or "" for n in orders)  # type: ignore[union-attr]
        keep: list[Normalized] = []
        for n in todo:
            cid = getattr(n.record, "customer_id", None) if isinstance(n.record, OrderRecord) else None
            if cid and cid not in known:
                self.reject(fr, Rejection(file=n.file, line=n.line, field="customer_id",
                                          message=f"{cid[:60]!r} is not a known customer; ingest customers first"),
                            n.kind)
                self.counts(fr, n.kind).valid -= 1
                continue
            keep.append(n)
        return keep

    def _crash_hook(self, stage: str) -> Callable[[], None]:
        def hook() -> None:
            if self.crash_at is not None and self.crash_at == (stage, self.batches):
                os.kill(os.getpid(), signal.SIGKILL)

        return hook


def _parse_crash(value: str) -> tuple[str, int] | None:
    if ":" not in value:
        return None
    stage, _, n = value.partition(":")
    return (stage, int(n)) if n.isdigit() else None


def _safe_items(reader: Reader, path: Path, ctx: ReadContext) -> Iterator[RawItem | Rejection]:
    """The reader's items; any failure inside it ends the file with one clear rejection."""
    try:
        yield from reader.read(path, ctx)
    except FileRejected as exc:
        yield Rejection(file=path.name, message=str(exc))
    except (UnicodeError, OSError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            RecursionError, MemoryError) as exc:
        yield Rejection(file=path.name, message=f"unreadable as {reader.name}: {type(exc).__name__}: {exc}"[:500])


def ingest_paths(
    paths: Sequence[Path],
    fmt: str = "auto",
    *,
    settings: Settings,
    source: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    progress: ProgressCallback | None = None,
    db: Database | None = None,
    vectors: VectorStore | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
) -> RunReport:
    """Ingest files (or directories) into the stores and return the run's report.

    ``fmt`` is a format name or ``"auto"`` (detected per file; the report says what was chosen).
    ``source`` names what the records belong to (default: ``<format>:<file stem>``); re-running
    on the same files adds nothing, edited records replace their old chunks. ``limit`` caps the
    records read per file (tests, previews); ``dry_run`` reads and validates only.

    Example:
        >>> from assistant.config import Settings
        >>> r = ingest_paths([Path("assistant/demo/data/catalog.json")], settings=Settings(data_dir="/tmp/s"),
        ...                  dry_run=True)
        >>> r.format, r.counts["product"].valid > 0
        ('catalog-json', True)
    """
    started = time.perf_counter()
    if fmt not in ("auto", ""):
        get_reader(fmt)  # unknown names fail fast with the list of known ones
    plan = plan_files(list(paths), fmt, source)
    run_id = uuid.uuid4().hex
    formats = sorted({p.reader.name for p in plan if p.reader})
    sources = sorted({p.source for p in plan})
    report = RunReport(
        run_id=run_id,
        source=", ".join(sources),
        format=", ".join(formats) or fmt,
        paths=[str(p) for p in paths],
        dry_run=dry_run,
        strict=strict,
    )
    if not dry_run:
        db = db or Database(settings)
        db.migrate()
        vectors = vectors or VectorStore(settings)
    else:
        db = vectors = None
    run = _Run(settings, report, db, vectors, batch_size or int(os.environ.get("_SHOPASSIST_INGEST_BATCH", 0))
               or DEFAULT_BATCH)
    if db is not None:
        _start_run(db, report, sources)
        assert run.writer is not None
        for src in sources:
            fixed = run.writer.reconcile(src)
            if any(fixed.values()):
                report.notes.append(
                    f"{src}: recovered from an interrupted run ({fixed['orphan_chunks_deleted']} orphan chunks "
                    f"deleted, {fixed['records_requeued']} records re-queued)"
                )
    bytes_total = sum(p.path.stat().st_size for p in plan if p.path.is_file())
    bytes_before = 0
    try:
        for index, planned in enumerate(plan):
            fr = FileReport(path=str(planned.path), format=planned.reader.name if planned.reader else "",
                            source=planned.source, detected=planned.reason)
            report.files.append(fr)
            if planned.reader is None:
                run.reject(fr, Rejection(file=planned.path.name, message=planned.error), None)
                continue
            if planned.reason.startswith("detected"):
                report.notes.append(f"{planned.path.name}: format {planned.reader.name} ({planned.reason})")
            _ingest_file(run, fr, planned, limit, progress, index, len(plan), bytes_before, bytes_total)
            if planned.path.is_file():
                bytes_before += planned.path.stat().st_size
    except BaseException:
        if db is not None:
            _finish_run(db, report, "failed")
        raise
    for fr in report.files:
        for kind, c in fr.counts.items():
            report.counts.setdefault(kind, KindCounts()).add(c)
    report.pii_found = dict(run.pii)
    report.timings = {k: round(v, 3) for k, v in run.timings.items()}
    if run.unknown_language:
        report.notes.append(f"language 'unknown' (text too short to tell) for {run.unknown_language} conversations")
    usable = report.total("valid") if dry_run else report.total("written") + report.total("unchanged") + \
        report.total("replaced")
    report.ok = usable > 0 and not (strict and report.rejections_total)
    if db is not None:  # conversations also propose answer candidates for review (issue 17)
        from assistant.knowledge.mining import propose_after_ingest

        propose_after_ingest(settings, db, vectors, report, sources)
    report.seconds = round(time.perf_counter() - started, 3)
    if db is not None:
        _finish_run(db, report, "completed")
    return report


def _ingest_file(run: _Run, fr: FileReport, planned: PlannedFile, limit: int | None,
                 progress: ProgressCallback | None, index: int, n_files: int,
                 bytes_before: int, bytes_total: int) -> None:
    assert planned.reader is not None
    ctx = ReadContext()
    batch: list[Normalized] = []
    records = 0

    def emit(phase: str) -> None:
        if progress is None:
            return
        progress(ProgressEvent(
            file=planned.path.name, format=fr.format, files_done=index, files_total=n_files, records=records,
            bytes_done=bytes_before + ctx.position(), bytes_total=bytes_total,
            written=sum(c.written + c.replaced for c in fr.counts.values()),
            rejected=sum(c.rejected for c in fr.counts.values()), phase=phase,
        ))

    emit("start")
    t = time.perf_counter()
    for item in _safe_items(planned.reader, planned.path, ctx):
        t = run.timed("read", t)
        if isinstance(item, Rejection):
            run.reject(fr, item, None)
            continue
        records += 1
        counts = run.counts(fr, item.kind)
        counts.read += 1
        result = validate(item)
        t = run.timed("validate", t)
        if isinstance(result, Rejection):
            run.reject(fr, result, item.kind)
        else:
            counts.valid += 1
            n = normalize(result, item.file, item.line)
            t = run.timed("normalize", t)
            if n.language == UNKNOWN:
                run.unknown_language += 1
            batch.append(n)
            if len(batch) >= run.batch_size:
                run.process(fr, planned.source, batch)
                batch = []
                emit("reading")
            elif run.writer is None and records % 500 == 0:
                emit("reading")
        t = time.perf_counter()
        if limit is not None and records >= limit:
            fr.notes.append(f"stopped after {limit} records (limit)")
            break
    run.process(fr, planned.source, batch)
    fr.notes.extend(ctx.notes)
    run.report.notes.extend(ctx.notes)
    emit("done")


def _start_run(db: Database, report: RunReport, sources: list[str]) -> None:
    with db.session() as s:
        # A run of the same source still marked running was killed: say so in its record.
        s.execute(
            update(IngestionRun)
            .where(IngestionRun.status == "running", IngestionRun.source.in_([report.source, *sources]))
            .values(status="interrupted")
        )
        s.add(IngestionRun(id=report.run_id, source=report.source[:200], format=report.format[:50],
                           path=report.path, status="running"))


def _finish_run(db: Database, report: RunReport, status: str) -> None:
    with db.session() as s:
        s.execute(
            update(IngestionRun)
            .where(IngestionRun.id == report.run_id)
            .values(
                status=status,
                finished_at=datetime.now(UTC),
                counts={k: v.model_dump() for k, v in report.counts.items()},
                rejections=[r.model_dump() for r in report.rejections[:1000]],
            )
        )


def remove_source(
    source: str,
    *,
    settings: Settings,
    db: Database | None = None,
    vectors: VectorStore | None = None,
) -> dict[str, int]:
    """Remove everything ``source`` brought in from both stores; returns counts removed.

    Example:
        >>> from assistant.config import Settings
        >>> remove_source("demo", settings=Settings(data_dir="/tmp/s"))["products"] >= 0
        True
    """
    db = db or Database(settings)
    db.migrate()
    vectors = vectors or VectorStore(settings)
    return remove_source_data(source, db, vectors)
