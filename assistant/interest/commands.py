"""CLI entry points of the interest encoder (registered by assistant/cli.py).

Example (after registration):
    $ shopassist train --epochs 10
    $ shopassist evaluate recommend --data ../shared/data/amazon-office --format amazon-lcrec \\
        --out reports/office.json
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from assistant.config import get_settings

#: ``--max-users`` floor: fewer users leave the validation tuning and the test figures meaningless.
MIN_EVAL_USERS = 10
DEVICES = ("auto", "cpu", "cuda")


def train(
    epochs: Annotated[int | None, typer.Option("--epochs", help="Maximum epochs (default: interest.epochs).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: interest.seed).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="fusion or gated (default: interest.model).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Checkpoint file (default: <checkpoint_dir>/interest-<time>.pt).")
    ] = None,
    nproc_per_node: Annotated[
        int, typer.Option("--nproc-per-node", min=1, help="Processes under torchrun + DDP (gloo on CPU, nccl on GPU).")
    ] = 1,
) -> None:
    """Train the interest encoder on the events and catalog in the configured store.

    The same run as the admin page's "Retrain and evaluate" (:class:`~assistant.services.training.TrainingService`).
    """
    from rich.console import Console

    from assistant.cli_settings import settings_or_exit
    from assistant.services import Services
    from assistant.services.types import Invalid

    console = Console()
    if model is not None and model not in ("fusion", "gated"):
        raise typer.BadParameter(f"expected fusion or gated, got {model!r}", param_hint="--model")
    if nproc_per_node > 1:  # data-parallel under torchrun: see assistant/interest/distributed.py
        from assistant.interest.distributed import launch

        opts = {"--epochs": epochs, "--seed": seed, "--model": model, "--out": out}
        raise typer.Exit(launch(nproc_per_node, [x for k, v in opts.items() if v is not None for x in (k, str(v))]))
    services = Services.build(settings_or_exit())

    def report(_fraction: float, desc: str) -> None:
        console.print(f"[dim]{desc}...[/dim]")

    try:
        res = services.training.train(epochs=epochs, seed=seed, model=model, out=out, activate=False, progress=report)
    except Invalid as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(
        f"trained {res.model_name} on {res.customers} customers, {res.products} products "
        f"(data fingerprint {res.fingerprint})"
    )
    console.print(
        f"saved {res.checkpoint} after {res.epochs_run} epochs in {res.seconds:.1f}s; "
        f"validation NDCG@10 {res.best_valid.get('score', 0.0):.4f}"
    )


def evaluate_recommend(
    data: Annotated[Path, typer.Option("--data", help="Dataset directory (e.g. ../shared/data/amazon-office).")],
    fmt: Annotated[str, typer.Option("--format", help="Dataset format; only amazon-lcrec.")] = "amazon-lcrec",
    out: Annotated[Path, typer.Option("--out", help="JSON report; a PNG bar chart is written beside it.")] = Path(
        "reports/recommend.json"
    ),
    with_recbole: Annotated[
        bool,
        typer.Option("--with-recbole/--no-recbole", help="Also run RecBole 1.2.1 SASRec (cached between runs)."),
    ] = False,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Maximum training epochs (default: interest.epochs).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: interest.seed).")] = None,
    max_users: Annotated[
        int | None,
        typer.Option("--max-users", help="Evaluate a random sample of this many users (default: all; at least 10)."),
    ] = None,
    cold_start: Annotated[
        bool,
        typer.Option("--cold-start/--no-cold-start", help="Train a second model with 10% of items withheld."),
    ] = True,
    sasrec_ours: Annotated[
        bool,
        typer.Option(
            "--sasrec-ours/--no-sasrec-ours",
            help="Train our SASRec stand-in when no RecBole figure (run or cached) is available.",
        ),
    ] = True,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda or auto (default: the device setting).")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show training progress bars.")] = True,
) -> None:
    """Evaluate next-item and chat-aware recommendation against baselines (full ranking).

    RecBole's SASRec: a result cached by an earlier ``--with-recbole`` run on the same data and
    configuration is reported without ``--with-recbole``; ``--with-recbole`` runs it when not cached.
    """
    from rich.console import Console

    from assistant.evaluation.recommend.run import print_table, run_evaluation, write_report
    from assistant.interest.data import DataError

    console = Console()
    if fmt != "amazon-lcrec":
        raise typer.BadParameter(f"unsupported format {fmt!r}; expected amazon-lcrec", param_hint="--format")
    if not data.is_dir():
        raise typer.BadParameter(f"no such directory: {data}", param_hint="--data")
    if out.suffix.lower() != ".json":
        raise typer.BadParameter(f"expected a .json file, got {out}", param_hint="--out")
    if epochs is not None and epochs < 1:
        raise typer.BadParameter(f"expected a positive number of epochs, got {epochs}", param_hint="--epochs")
    if max_users is not None and max_users < MIN_EVAL_USERS:
        raise typer.BadParameter(
            f"expected at least {MIN_EVAL_USERS} users (validation and test need several), got {max_users}",
            param_hint="--max-users",
        )
    if seed is not None and seed < 0:
        raise typer.BadParameter(f"expected a non-negative seed, got {seed}", param_hint="--seed")
    settings = get_settings()
    if device is not None:
        if device not in DEVICES:
            raise typer.BadParameter(f"expected one of {', '.join(DEVICES)}, got {device!r}", param_hint="--device")
        settings = settings.model_copy(update={"device": device})
    t = time.perf_counter()
    try:
        report = run_evaluation(
            data,
            settings,
            with_recbole=with_recbole,
            epochs=epochs,
            seed=seed,
            progress=progress,
            max_users=max_users,
            cold_start=cold_start,
            sasrec_ours=sasrec_ours,
        )
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    png = write_report(report, out)
    print_table(report)
    console.print(f"wrote {out} and {png} in {time.perf_counter() - t:.0f}s")
