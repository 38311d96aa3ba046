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
) -> None:
    """Evaluate next-item and chat-aware recommendation against baselines (full ranking)."""
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
    t = time.perf_counter()
    try:
        report = run_evaluation(data, get_settings(), with_recbole=with_recbole, epochs=epochs, seed=seed)
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    png = write_report(report, out)
    print_table(report)
    console.print(f"wrote {out} and {png} in {time.perf_counter() - t:.0f}s")
