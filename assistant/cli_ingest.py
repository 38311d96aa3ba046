"""CLI commands ``shopassist ingest`` and ``shopassist remove-source`` (registered by assistant.cli).

Both go through :class:`~assistant.services.catalog.CatalogService`, like the HTTP upload and the
admin page.

Example:
    $ shopassist ingest ../shared/data/bitext-customer-support/*.csv --format bitext
    $ shopassist ingest assistant/demo/data --dry-run
    $ shopassist remove-source bitext:Bitext_Sample_Customer_Support_Training_Dataset
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from assistant.cli_settings import settings_or_exit
from assistant.services import Services
from ingest.pipeline import ProgressEvent, RunReport
from ingest.readers import format_names

console = Console(stderr=True)
MAX_SHOWN_REJECTIONS = 20


class RecordsPerSecond(ProgressColumn):
    """Records/s of the current run (the bar itself advances in bytes, so ETA works on streams)."""

    def render(self, task: Task) -> Text:
        records = int(task.fields.get("records", 0))
        elapsed = task.elapsed or 0.0
        rate = records / elapsed if elapsed > 0 else 0.0
        return Text(f"{records:,} rec  {rate:,.0f} rec/s", style="progress.data.speed")


def summary_table(report: RunReport) -> Table:
    """The per-kind counts of a run as a rich table."""
    title = f"{'Dry run' if report.dry_run else 'Ingested'}: {report.format} → source {report.source}"
    table = Table(title=title, title_justify="left")
    table.add_column("kind")
    for col in ("read", "valid", "rejected", "written", "unchanged", "replaced"):
        table.add_column(col, justify="right")
    for kind, c in report.counts.items():
        table.add_row(kind, *(f"{getattr(c, f):,}" for f in ("read", "valid", "rejected", "written",
                                                             "unchanged", "replaced")))
    return table


def print_report(report: RunReport) -> None:
    console.print(summary_table(report))
    for note in report.notes:
        console.print(f"[dim]note:[/dim] {note}")
    if report.pii_found:
        found = ", ".join(f"{k} {v}" for k, v in sorted(report.pii_found.items()))
        console.print(f"PII redacted: {found}")
    if report.rejections_total:
        console.print(f"[yellow]{report.rejections_total} rejected[/yellow]:")
        for rej in report.rejections[:MAX_SHOWN_REJECTIONS]:
            console.print(f"  {rej.describe()}", markup=False, highlight=False)
        if report.rejections_total > MAX_SHOWN_REJECTIONS:
            console.print(f"  ... and {report.rejections_total - MAX_SHOWN_REJECTIONS} more")
    console.print(f"run {report.run_id} in {report.seconds:.1f} s: {'ok' if report.ok else 'FAILED'}")


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.", show_default=False)],
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"auto (detect per file) or one of: {', '.join(format_names())}")
    ] = "auto",
    source: Annotated[
        str | None, typer.Option(help="Source name (default: <format>:<file stem>); remove-source takes it.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and validate only; write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero when any record is rejected.")] = False,
) -> None:
    """Ingest service conversations, policies, catalog, customers, orders, events, reviews, Q&A."""
    settings = settings_or_exit()
    if format not in ("auto", *format_names()):
        console.print(f"[red]unknown format {format!r}[/red]; known: auto, {', '.join(format_names())}")
        raise typer.Exit(2)
    columns = (
        TextColumn("[bold]{task.fields[file]}"),
        BarColumn(),
        TaskProgressColumn(),
        RecordsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("ingest", total=None, file="…", records=0)
        done_before = 0

        def on_progress(ev: ProgressEvent) -> None:
            nonlocal done_before
            if ev.phase == "done":
                done_before += ev.records
            records = done_before + (0 if ev.phase == "done" else ev.records)
            bar.update(task, total=max(ev.bytes_total, 1), completed=ev.bytes_done, records=records,
                       file=f"{ev.file} ({ev.format})")

        report = Services.build(settings).catalog.ingest(
            paths, format, source=source, dry_run=dry_run, strict=strict, progress=on_progress
        )
        bar.update(task, completed=bar.tasks[0].total or 0)
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def remove_source(
    source: Annotated[str, typer.Argument(help="The source name given (or derived) at ingestion.")],
) -> None:
    """Remove everything one source brought in, from the vector store and the SQL store."""
    settings = settings_or_exit()
    removed = Services.build(settings).catalog.remove_source(source)
    table = Table(title=f"Removed source {source}", title_justify="left")
    table.add_column("collection / table")
    table.add_column("removed", justify="right")
    for name, n in removed.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    if not any(removed.values()):
        console.print(f"[yellow]nothing found for source {source!r}[/yellow]")
