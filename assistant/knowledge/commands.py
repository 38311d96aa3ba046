"""``shopassist knowledge ...``: re-mine the conversations already ingested, list candidates, sync answers.

Stores built before answer mining existed keep working: until candidates are approved the
assistant answers from its other sources. ``shopassist knowledge mine`` proposes candidates from
every conversation already ingested (or from ``--source``); new ingestion runs do it by themselves.

Example:
    $ shopassist knowledge mine
    $ shopassist knowledge list --status pending
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli_settings import settings_or_exit

console = Console()
knowledge_app = typer.Typer(help="Suggested answers mined from past conversations.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``knowledge`` command group to the main CLI."""
    app.add_typer(knowledge_app, name="knowledge")


@knowledge_app.command("mine")
def mine_command(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Propose answer candidates from the conversations already ingested (nothing already reviewed)."""
    from assistant.knowledge.mining import mine
    from assistant.knowledge.repository import sync_answers
    from assistant.store.db import Database
    from assistant.vectors import VectorStore

    settings = settings_or_exit()
    db = Database(settings)
    db.migrate()
    vectors = VectorStore(settings)
    with console.status("Mining past conversations..."):
        report = mine(settings, db, vectors, source or None)
        sync_answers(db, vectors)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    console.print(
        f"{report.exchanges} conversations, {report.groups} recurring questions: [bold]{report.proposed}[/bold] new "
        f"candidates, {report.refreshed} refreshed, {report.skipped_decided} already reviewed ({report.seconds} s). "
        "Review them in the agent console under 'Suggested answers'."
    )


@knowledge_app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List answer candidates."""
    from assistant.knowledge.repository import list_candidates
    from assistant.store.db import Database

    if status not in ("pending", "approved", "rejected", "all"):
        console.print("[red]--status must be pending, approved, rejected or all[/red]")
        raise typer.Exit(2)
    db = Database(settings_or_exit())
    db.migrate()
    rows = list_candidates(db, None if status == "all" else status, limit=1000)
    if as_json:
        out = [{"id": c.id, "topic": c.topic, "status": c.status, "n_conversations": c.n_conversations,
                "consistency": c.consistency, "question": c.question, "answer": c.answer} for c in rows]
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table("id", "topic", "status", "conversations", "consistency", "answer", title="Answer candidates")
    for c in rows:
        table.add_row(str(c.id), c.topic, c.status, str(c.n_conversations), f"{c.consistency:.2f}",
                      c.answer[:80].replace("\n", " "))
    console.print(table)


@knowledge_app.command("sync")
def sync_command() -> None:
    """Rebuild the approved-answers collection from the approved answers in SQL."""
    from assistant.knowledge.repository import sync_answers
    from assistant.store.db import Database
    from assistant.vectors import VectorStore

    settings = settings_or_exit()
    db = Database(settings)
    db.migrate()
    done = sync_answers(db, VectorStore(settings))
    console.print(f"{done['published']} approved answers published, {done['removed']} stale entries removed.")
