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
) -> None:
    """Train the interest encoder on the events and catalog in the configured store."""
    from rich.console import Console

    from assistant.interest.data import DataError, leave_one_out, load_from_store
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures, save_checkpoint, train_model
    from assistant.store.db import Database

    console = Console()
    settings = get_settings()
    cfg = settings.interest
    if seed is not None:
        cfg = cfg.model_copy(update={"seed": seed})
    if model is not None:
        if model not in ("fusion", "gated"):
            raise typer.BadParameter(f"expected fusion or gated, got {model!r}", param_hint="--model")
        cfg = cfg.model_copy(update={"model": model})
    db = Database(settings)
    try:
        data = load_from_store(db, max_chars=cfg.item_text_max_chars)
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # e.g. no schema yet: say so instead of a traceback
        console.print(
            f"[red]error:[/red] cannot read the events/products tables from {db.url} "
            f"({exc.__class__.__name__}); ingest a catalog and events first"
        )
        raise typer.Exit(2) from None
    split = leave_one_out(data)
    if len(split.eval_users) == 0:
        console.print("[red]error:[/red] events: no customer has 3+ events; validation needs them")
        raise typer.Exit(2)
    console.print(
        f"training {cfg.model} on {len(data.users)} customers, {data.catalog.num_items} products "
        f"(data fingerprint {data.fingerprint()})"
    )
    feats = ItemFeatures.build(
        data.catalog, cfg, TextEncoder(settings.embedding_model, settings.data_dir / "cache" / "interest")
    )
    res = train_model(cfg.model, cfg, data, split, feats, device=settings.device, epochs=epochs)
    path = out or settings.checkpoint_dir / f"interest-{time.strftime('%Y%m%d-%H%M%S')}.pt"
    save_checkpoint(path, res, data, feats)
    console.print(
        f"saved {path} after {res.epochs_run} epochs in {res.seconds:.1f}s; "
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

    from assistant.interest.data import DataError
    from assistant.interest.evaluation import print_table, run_evaluation, write_report

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
