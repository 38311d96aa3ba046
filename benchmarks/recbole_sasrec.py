"""RecBole SASRec baseline on a ``<Name>.inter.json`` data set (user → time-ordered item ids).

Usage:
    python benchmarks/recbole_sasrec.py --data /work/shared/data/amazon-office [--epochs N] \\
        [--cache-dir data/recbole-cache] [--seed 42] [--venv DIR] [--timeout S] [--budget S] [--resume] \\
        [--json OUT.json]

The data folder must hold exactly one ``*.inter.json`` (a JSON object: user id → list of item ids in
time order); the data set name is the prefix before ``.inter.json``. Protocol, venv and cache: see
:mod:`assistant.evaluation.recommend.recbole`. Exit status 1 if RecBole could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.evaluation.recommend.recbole import run_sasrec_recbole


def load_sequences(data_dir: Path) -> tuple[str, dict[str, list[str]]]:
    """(data set name, user → item ids as strings) from ``data_dir/<Name>.inter.json``."""
    files = sorted(data_dir.glob("*.inter.json"))
    if len(files) != 1:
        raise SystemExit(f"expected exactly one *.inter.json in {data_dir}, found {[f.name for f in files]}")
    name = files[0].name[: -len(".inter.json")]
    raw = json.loads(files[0].read_text())
    if not isinstance(raw, dict):
        raise SystemExit(f"{files[0]} is not a JSON object user → item list")
    return name, {str(u): [str(i) for i in items] for u, items in raw.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with <Name>.inter.json")
    ap.add_argument("--epochs", type=int, default=None, help="epoch cap (default RecBole's 300 + early stop)")
    ap.add_argument("--cache-dir", type=Path, default=Path("data/recbole-cache"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--venv", type=Path, default=None, help="RecBole venv (default data_dir/recbole-venv)")
    ap.add_argument("--timeout", type=float, default=None, help="limit for the RecBole run, seconds")
    ap.add_argument("--budget", type=float, default=None, help="training seconds for this call, then test")
    ap.add_argument("--resume", action="store_true", help="continue an unconverged cached run")
    ap.add_argument("--json", type=Path, default=None, help="also write the result here as JSON")
    args = ap.parse_args(argv)

    name, seqs = load_sequences(args.data)
    n_inter = sum(len(v) for v in seqs.values())
    n_items = len({i for v in seqs.values() for i in v})
    print(f"{name}: {len(seqs)} users, {n_items} items, {n_inter} interactions", flush=True)
    res = run_sasrec_recbole(
        seqs,
        args.cache_dir,
        epochs=args.epochs,
        seed=args.seed,
        venv_dir=args.venv,
        timeout_s=args.timeout,
        max_train_seconds=args.budget,
        resume=args.resume,
    )
    if res.error is not None or res.metrics is None:
        print(f"RecBole SASRec failed: {res.error}", file=sys.stderr)
        return 1
    cap = "300 (RecBole default)" if args.epochs is None else str(args.epochs)
    print(f"SASRec (RecBole) on {name}, seed {args.seed}, epoch cap {cap}, early stop 10:")
    print("  test, history masked (our protocol): " + "  ".join(f"{k}={v:.4f}" for k, v in res.metrics.items()))
    if res.unmasked_metrics:
        print(
            "  test, RecBole's own (unmasked)     : "
            + "  ".join(f"{k}={v:.4f}" for k, v in res.unmasked_metrics.items())
        )
    if res.valid_metrics:
        print(
            "  valid, RecBole's own (unmasked)    : " + "  ".join(f"{k}={v:.4f}" for k, v in res.valid_metrics.items())
        )
    print(
        f"  epochs run {res.epochs_run}, stopped by {res.stopped_by}, train time {res.train_seconds:.1f}s"
        + (" (cached)" if res.cached else "")
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "dataset": name,
                    "metrics": res.metrics,
                    "unmasked_metrics": res.unmasked_metrics,
                    "valid_metrics": res.valid_metrics,
                    "stopped_by": res.stopped_by,
                    "train_seconds": res.train_seconds,
                    "epochs_run": res.epochs_run,
                    "cached": res.cached,
                    "epochs": args.epochs,
                    "seed": args.seed,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
