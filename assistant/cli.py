"""The ``shopassist`` command line.

Example:
    $ shopassist demo            # build the demo shop and open http://127.0.0.1:7860
    $ shopassist stats --json
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli_settings import settings_or_exit
from assistant.config import Settings

app = typer.Typer(
    name="shopassist",
    help="ShopAssist: a self-hostable customer-service assistant for online shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
console = Console()


def _settings() -> Settings:
    return settings_or_exit()


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web app after building.")] = True,
    port: Annotated[int | None, typer.Option(help="Port (default: SHOPASSIST_PORT, 7860).")] = None,
) -> None:
    """Build the demo shop's stores (idempotent) and start the web app on localhost."""
    from assistant.demo.build import DEMO_IDENTITY_METHODS, DEMO_SHOP_NAME, build_demo
    from assistant.services import Services

    settings = _settings()
    if "shop_name" not in settings.conversation.model_fields_set:
        settings = settings.model_copy(
            update={"conversation": settings.conversation.model_copy(update={"shop_name": DEMO_SHOP_NAME})}
        )
    if "identity_methods" not in settings.security.model_fields_set:  # before its settings file exists
        settings = settings.model_copy(
            update={"security": settings.security.model_copy(update={"identity_methods": list(DEMO_IDENTITY_METHODS)})}
        )
    services = Services.build(settings)
    with console.status("Building the demo shop (first run embeds ~500 passages)..."):
        reports = build_demo(settings, db=services.db, vectors=services.vectors)
    table = Table("source", "written", "unchanged", "rejected", title="Demo shop")
    for source, rep in reports.items():
        counts = rep["counts"]
        table.add_row(
            source,
            str(sum(c.get("written", 0) for c in counts.values())),
            str(sum(c.get("unchanged", 0) for c in counts.values())),
            str(len(rep["rejections"])),
        )
    console.print(table)
    if serve:
        _serve(services, port)


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: SHOPASSIST_PORT, 7860).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes on the port (default: SHOPASSIST_SERVE_WORKERS, 1). More than one needs a "
            "Chroma server and a shared rate-limit store (Redis); SQLite or PostgreSQL.",
        ),
    ] = None,
) -> None:
    """Start the web app (chat, agent console, admin) and the HTTP API on the configured stores."""
    from assistant.ops.startup import services_or_exit

    settings = _settings()
    workers = workers or settings.serve_workers
    if workers > 1:
        _serve_workers(settings, port, workers)
        return
    _serve(services_or_exit(settings), port)  # one line naming the setting on a bad store, exit 2


def _serve_workers(settings: Settings, port: int | None, workers: int) -> None:
    """``workers`` uvicorn processes, each building its own services (:func:`assistant.server.app_factory`)."""
    import uvicorn

    from assistant.api.security import UVICORN_OPTIONS
    from assistant.ops.startup import services_or_exit
    from assistant.server import APP_FACTORY, workers_problem

    problem = workers_problem(settings, workers)
    if problem:
        from rich.markup import escape

        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(problem)}", highlight=False)
        raise typer.Exit(2)
    services_or_exit(settings).db.engine.dispose()  # the stores are checked once, here; each worker opens its own
    port = port or settings.port
    console.print(
        f"ShopAssist is running on [bold]http://{settings.host}:{port}[/bold] with {workers} workers  (Ctrl+C stops it)"
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        workers=workers,
        host=settings.host,
        port=port,
        log_level="warning",
        **UVICORN_OPTIONS,
    )


def _serve(services: object, port: int | None) -> None:
    import uvicorn

    from assistant.server import create_server, settle_heap
    from assistant.services import Services

    assert isinstance(services, Services)
    settings = services.settings
    with console.status("Loading models..."):
        api = create_server(services)
        settle_heap()
    port = port or settings.port
    console.print(f"ShopAssist is running on [bold]http://{settings.host}:{port}[/bold]  (Ctrl+C stops it)")
    from assistant.api.security import UVICORN_OPTIONS  # X-Forwarded-For only from security.trusted_proxies

    uvicorn.run(api, host=settings.host, port=port, log_level="warning", **UVICORN_OPTIONS)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Counts per vector collection, per SQL table and per ingested source."""
    from assistant.services import Services

    data = Services.build(_settings()).catalog.stats()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    for section in ("vectors", "sql"):
        table = Table("name", "count", title=section)
        for name, count in sorted(data[section].items()):
            table.add_row(name, str(count))
        console.print(table)
    table = Table("source", "store", "count", title="sources")
    for source, per in sorted(data.get("sources", {}).items()):
        for store, count in sorted(per.items()):
            table.add_row(source, store, str(count))
    console.print(table)


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration (secrets masked)."""
    settings = _settings()
    data = json.loads(settings.model_dump_json())
    data["effective_database_url"] = settings.effective_database_url
    data["chroma"] = (
        f"http://{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_path)
    )
    from assistant.security.secrets import mask_url_passwords

    data = mask_url_passwords(data)  # passwords inside database/Redis/server URLs (issue 11)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table("setting", "value", title="ShopAssist configuration")
    for key, value in data.items():
        table.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
    console.print(table)


def user_add(
    username: Annotated[str, typer.Argument(help="Login name of the new agent or admin.")],
    role: Annotated[str, typer.Option("--role", help="agent or admin.")] = "agent",
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when omitted."),
    ] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Reset an existing user's password and role.")] = False,
) -> None:
    """Add a support agent or admin who can sign in to the agent console or admin area.

    Example:
        $ shopassist user add --role admin sam
        Password: ********
    """
    from assistant.services import Services
    from assistant.services.types import Invalid

    try:
        user = Services.build(_settings()).users.add(username, password, role, replace=replace)
    except Invalid as exc:
        typer.echo(f"Cannot add user: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{'Updated' if replace else 'Added'} {user.role} {user.username!r}.")


def _register_package_commands() -> None:
    """Commands defined next to the code they drive (ingest, interest encoder, evaluation)."""
    from assistant import cli_ingest
    from assistant.evaluation import answers
    from assistant.evaluation.dialogues import command as dialogue_commands
    from assistant.interest import commands as interest_commands

    app.command(name="ingest")(cli_ingest.ingest)
    app.command(name="remove-source")(cli_ingest.remove_source)
    user_app = typer.Typer(help="Manage agent and admin accounts.", no_args_is_help=True)
    user_app.command("add")(user_add)
    app.add_typer(user_app, name="user")
    app.command(name="train")(interest_commands.train)
    evaluate_app = typer.Typer(help="Measure recommendation and answer quality on real data.", no_args_is_help=True)
    evaluate_app.command("recommend")(interest_commands.evaluate_recommend)
    evaluate_app.command("answers")(answers.evaluate_answers)
    evaluate_app.command("dialogues")(dialogue_commands.evaluate_dialogues)
    app.add_typer(evaluate_app, name="evaluate")
    __import__("assistant.ops.cli", fromlist=["register"]).register(app)  # backup, restore, reindex, ...
    __import__("assistant.knowledge.commands", fromlist=["register"]).register(app)  # knowledge mine, list, sync
    __import__("assistant.retrieval.tuning", fromlist=["register"]).register(app)  # tune fusion


_register_package_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
