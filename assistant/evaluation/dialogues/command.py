"""``shopassist evaluate dialogues SUITE.jsonl [--out FILE.json] [--report FILE.md] [--url URL]``.

Example:
    $ shopassist evaluate dialogues ../shared/dialogues/demo-shop.jsonl --out r.json --report r.md
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.evaluation.dialogues.suite import CHECK_KINDS, SuiteError, load_suite

console = Console()


def print_rates(summary: dict[str, Any], out: Console = console) -> None:
    """The pass rate of each check kind, then of turns and dialogues, and the latency."""
    table = Table("check", "passed", "total", "rate", title="Dialogue suite")
    for kind in CHECK_KINDS:
        if kind in summary["checks"]:
            c = summary["checks"][kind]
            table.add_row(kind, str(c["passed"]), str(c["total"]), f"{100 * c['passed'] / c['total']:.0f}%")
    table.add_section()
    for key in ("turns", "dialogues"):
        c = summary[key]
        rate = f"{100 * c['passed'] / c['total']:.0f}%" if c["total"] else "-"
        table.add_row(key, str(c["passed"]), str(c["total"]), rate)
    out.print(table)
    lat = summary["latency_ms"]
    if lat["p50"] is not None:
        out.print(f"latency per turn: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms")


def evaluate_dialogues(
    suite: Annotated[Path, typer.Argument(help="The dialogue suite (JSONL, one dialogue a line).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON results here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the Markdown report here.")] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="A running ShopAssist server (default: the app in-process on the stores)."),
    ] = None,
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds to wait for one reply.")] = 120.0,
) -> None:
    """Run whole conversations from a suite through the chat API and check every turn."""
    from assistant.cli_settings import settings_or_exit
    from assistant.evaluation.dialogues.runner import evaluate, write_outputs

    try:
        parsed = load_suite(suite)
    except SuiteError as exc:
        err = Console(stderr=True)
        err.print(f"[red]The suite is not valid ({len(exc.problems)} problems):[/red]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if url is not None and not url.startswith(("http://", "https://")):
        raise typer.BadParameter("--url must start with http:// or https://")
    settings = settings_or_exit()
    console.print(
        f"{parsed.name}: {len(parsed.dialogues)} dialogues, {parsed.turn_count} turns, {parsed.check_count} checks"
    )
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        first = "starting the assistant" if url is None else "talking to the server"
        task = bar.add_task(first, total=parsed.turn_count)

        def progress(done: int, total: int, dialogue_id: str) -> None:
            bar.update(task, completed=done, total=total, description=dialogue_id[:40])

        try:
            result = evaluate(parsed, settings, url=url, timeout=timeout, progress=progress)
        except (RuntimeError, OSError) as exc:
            Console(stderr=True).print(f"[red]The run failed: {exc}[/red]")
            raise typer.Exit(1) from None
    for warning in result.warnings:
        Console(stderr=True).print(f"[yellow]{warning}[/yellow]")
    write_outputs(result, out, report)
    print_rates(result.summary())
    for path in (out, report):
        if path is not None:
            console.print(f"wrote {path}")
