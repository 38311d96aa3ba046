"""RecBole SASRec baseline for the interest-encoder evaluation.

RecBole 1.2.1 does not import beside the project's numpy-2 stack, so it runs in a virtual environment of
its own, created on first use (idempotently; default ``settings.data_dir / "recbole-venv"``) with
``python3.11 -m venv`` and the pins in :data:`VENV_REQUIREMENTS`. A marker file in the venv records the
pins; the next call finds it and installs nothing. RecBole is then run in a subprocess of that venv's
python on the runner script :mod:`.recbole_runner` (a real, checked .py file), which prints its result
as JSON on its last stdout line.

Protocol (RecBole's standard sequential setup):

* ``sequences`` maps a user id to that user's FULL time-ordered item ids. They are exported as the
  atomic file ``<name>.inter`` (``user_id:token  item_id:token  timestamp:float``, timestamp = position
  in the sequence, so RecBole's time ordering is exactly the given order).
* ``eval_args: {split: {LS: valid_and_test}, order: TO, group_by: user, mode: full}`` — leave-one-out by
  time: a user's last item is the test target, the second-to-last the validation target, everything
  before is training (RecBole's sequential data augmentation: one training sample per prefix). Ranking
  is against ALL items; metrics Hit/NDCG/MRR@10 (returned as ``hr@10``, ``ndcg@10``, ``mrr@10``).
* SASRec defaults (hidden 64, 2 layers, 2 heads, inner 256, dropout 0.5, max_seq_length 50, CE loss
  over all items, i.e. ``train_neg_sample_args: None``), Adam lr 1e-3, batch 2048, 300 epochs with early
  stopping on valid NDCG@10 after 10 epochs without improvement (``epochs`` overrides the cap), fixed
  seed, ``reproducibility: True``, CPU only. The best-validation checkpoint is the one tested.
* No extra k-core filtering: ``user_inter_num_interval`` / ``item_inter_num_interval`` are ``[0,inf)``,
  so already 5-core data are used as given.
* History masking: in ``mode: full`` RecBole masks a user's already-seen items only for NON-sequential
  models; for SASRec, RecBole 1.2.1 masks only the padding item, so a user's earlier items stay
  rankable. Our evaluation masks the user's input history (as RecBole does for general models), so
  after RecBole's own test pass the runner ranks the test targets again with the best checkpoint and
  that history masked: ``metrics`` are those figures, the ones to compare with ours.
  ``unmasked_metrics`` keep RecBole's own test result, and the runner recomputes it without the mask
  (``unmasked_check`` in the cache file) to show that its ranking code agrees with RecBole's.
* Time budget and resume: after every epoch the runner writes a snapshot (model, optimizer, early-stop
  counter, best validation result, summed training seconds) to ``runs/<key>/saved/``. With
  ``max_train_seconds`` the run stops when the budget is used up, tests the best checkpoint and
  records ``stopped_by="time budget"``; ``resume=True`` later continues from the snapshot until
  early stopping. A killed run resumes the same way. The data order of resumed epochs is not the one
  of an uninterrupted run (RNG state is not restored), so resumed figures are equivalent, not identical.

Training time (``train_seconds``) is the wall time of ``trainer.fit`` (training epochs plus the
per-epoch validation), summed over resumed runs, without dataset building and the final test pass.
RecBole's log (epoch lines) is streamed to our stderr as ``[recbole] ...``. Checkpoints, logs and
tensorboard files are written under ``cache_dir/runs/<key>/``.

Results are cached in ``cache_dir/sasrec-<key>.json``; ``key`` is the sha256 of the exported ``.inter``
content, the RecBole config dict and the RecBole version. A cache hit runs nothing and returns
``cached=True``. Failures (venv not creatable, RecBole crash, timeout) are not cached and never raise:
they come back as ``RecBoleResult(metrics=None, error=...)`` with the tail of stderr.

Example:
    >>> from pathlib import Path
    >>> from assistant.evaluation.recommend.recbole import run_sasrec_recbole
    >>> seqs = {"u1": ["a", "b", "c", "d", "e"], "u2": ["b", "c", "e", "a", "d"]}
    >>> res = run_sasrec_recbole(seqs, Path("data/recbole-cache"), epochs=2)  # doctest: +SKIP
    >>> res.error is None, sorted(res.metrics or {})  # doctest: +SKIP
    (True, ['hr@10', 'mrr@10', 'ndcg@10'])

Command line: ``python benchmarks/recbole_sasrec.py --data /work/shared/data/amazon-office``.

Evaluation machinery, not runtime: the RecBole venv, run and cache, kept together.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DATASET_NAME",
    "RECBOLE_VERSION",
    "VENV_REQUIREMENTS",
    "RecBoleResult",
    "build_config",
    "cache_key",
    "cached_sasrec_recbole",
    "ensure_recbole_venv",
    "export_inter",
    "run_sasrec_recbole",
]

RECBOLE_VERSION = "1.2.1"
DATASET_NAME = "shopassist"
DEFAULT_EPOCHS = 300
#: Bumped when the test protocol changes, so that older cached figures are not reused.
PROTOCOL = "loo-full-ranking-history-masked-v2"
STOPPING_STEP = 10
VENV_INSTALL_TIMEOUT_S = 3600.0
_MARKER = ".shopassist-recbole-ready.json"
_RESULT_PREFIX = "SHOPASSIST_RECBOLE_RESULT "
_TAIL_LINES = 40
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_IMPORT_CHECK = (
    "import numpy, torch, recbole, recbole.config, recbole.data, recbole.utils, recbole.trainer, "
    "recbole.model.sequential_recommender.sasrec; "
    f"assert recbole.__version__ == {RECBOLE_VERSION!r}, recbole.__version__; "
    "assert numpy.__version__.startswith('1.'), numpy.__version__"
)

#: What the RecBole venv gets. RecBole 1.2.1 needs numpy<2 (np.float etc. are gone in 2.x), pandas<2.3
#: and setuptools<80 (it imports pkg_resources); the rest are its runtime imports pinned to versions
#: verified to install and run together with numpy 1.26 / torch 2.13 CPU on Python 3.11.
VENV_REQUIREMENTS: tuple[str, ...] = (
    f"recbole=={RECBOLE_VERSION}",
    "numpy>=1.26,<2",
    "pandas>=2.0,<2.3",
    "setuptools<80",
    "torch==2.13.0",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "ray==2.6.3",
    "thop==0.1.1.post2209072238",
    "tensorboard==2.21.0",
    "colorlog==4.7.2",
    "colorama==0.4.4",
    "texttable==1.7.2",
    "tabulate==0.10.0",
    "psutil==7.2.2",
    "pyyaml==6.0.4",
    "tqdm==4.70.1",
)


@dataclass(frozen=True)
class RecBoleResult:
    """Outcome of one SASRec run (or cache hit)."""

    metrics: dict[str, float] | None  # keys exactly "hr@10", "ndcg@10", "mrr@10": test split, history masked
    valid_metrics: dict[str, float] | None  # RecBole's own validation figures (unmasked)
    train_seconds: float  # summed over resumed runs
    epochs_run: int
    cached: bool
    error: str | None  # why it could not run, if it could not
    stopped_by: str = "early stopping"  # or "epoch cap" or "time budget"
    unmasked_metrics: dict[str, float] | None = None  # RecBole's own test figures (history not masked)

    @property
    def converged(self) -> bool:
        """True when early stopping ended training (not a time budget or the epoch cap)."""
        return self.stopped_by == "early stopping"


# --------------------------------------------------------------------------------------------- export


def export_inter(sequences: Mapping[str, Sequence[str]]) -> str:
    """The RecBole atomic ``.inter`` file for ``sequences``, as text.

    One row per interaction, users in the given order, each user's items in sequence order with
    ``timestamp`` = position (0, 1, 2, ...), so RecBole's time order equals the sequence order.

    Raises:
        ValueError: an id is empty or contains a tab/newline (it would break the TSV format).
    """
    lines = ["user_id:token\titem_id:token\ttimestamp:float"]
    for user, items in sequences.items():
        user_s = _check_token(str(user), "user")
        for pos, item in enumerate(items):
            lines.append(f"{user_s}\t{_check_token(str(item), 'item')}\t{pos}")
    return "\n".join(lines) + "\n"


def _check_token(token: str, what: str) -> str:
    if not token or any(c in token for c in "\t\n\r") or token != token.strip():
        raise ValueError(f"{what} id {token!r} can't be a RecBole token (empty, tab/newline or padding)")
    return token


# --------------------------------------------------------------------------------------------- config


def build_config(*, epochs: int | None = None, seed: int = 42) -> dict[str, Any]:
    """The RecBole config dict (without paths) of the SASRec baseline; part of the cache key."""
    return {
        "model": "SASRec",
        "dataset": DATASET_NAME,
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "TIME_FIELD": "timestamp",
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "user_inter_num_interval": "[0,inf)",
        "item_inter_num_interval": "[0,inf)",
        "MAX_ITEM_LIST_LENGTH": 50,
        "eval_args": {
            "split": {"LS": "valid_and_test"},
            "order": "TO",
            "group_by": "user",
            "mode": "full",
        },
        "metrics": ["Hit", "NDCG", "MRR"],
        "topk": [10],
        "valid_metric": "NDCG@10",
        "metric_decimal_place": 6,
        "loss_type": "CE",
        "train_neg_sample_args": None,
        "hidden_size": 64,
        "inner_size": 256,
        "n_layers": 2,
        "n_heads": 2,
        "hidden_dropout_prob": 0.5,
        "attn_dropout_prob": 0.5,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "initializer_range": 0.02,
        "learning_rate": 0.001,
        "train_batch_size": 2048,
        "eval_batch_size": 4096,
        "epochs": DEFAULT_EPOCHS if epochs is None else int(epochs),
        "stopping_step": STOPPING_STEP,
        "eval_step": 1,
        "seed": int(seed),
        "reproducibility": True,
        "device": "cpu",
        "use_gpu": False,
        "show_progress": False,
        "save_dataset": False,
        "save_dataloaders": False,
    }


def cache_key(inter_text: str, config: Mapping[str, Any], recbole_version: str = RECBOLE_VERSION) -> str:
    """sha256 over the ``.inter`` content, the config dict (canonical JSON) and the RecBole version."""
    h = hashlib.sha256()
    h.update(inter_text.encode("utf-8"))
    h.update(b"\0")
    h.update(json.dumps(config, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    h.update(b"\0")
    h.update(recbole_version.encode("utf-8"))
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------- venv


def _default_venv_dir() -> Path:
    from assistant.config import get_settings

    return Path(get_settings().data_dir) / "recbole-venv"


def _venv_python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def _base_python() -> str:
    found = shutil.which("python3.11")
    if found:
        return found
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    raise RuntimeError("python3.11 not found on PATH (RecBole 1.2.1 needs its own Python 3.11 venv)")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_env() -> dict[str, str]:
    """Our environment minus what would leak the project's venv into the RecBole one."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "__PYVENV_LAUNCHER__"}
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return env


def _run_logged(cmd: list[str], what: str, timeout_s: float) -> None:
    """Run ``cmd``; on failure raise RuntimeError with the tail of its output."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=_clean_env(), check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} timed out after {timeout_s:.0f}s: {' '.join(cmd)}") from None
    except OSError as exc:
        raise RuntimeError(f"{what} could not start: {exc}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-_TAIL_LINES:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_recbole_venv(venv_dir: Path | None = None) -> Path:
    """Create (once) the RecBole venv and return its python.

    Idempotent: a marker file listing :data:`VENV_REQUIREMENTS` makes later calls return at once; a
    marker with other pins (or none) triggers a (re)install into the existing venv. Concurrent callers
    are serialised by a lock file beside the venv.

    Raises:
        RuntimeError: python3.11 is missing or venv creation / pip install failed (message has the tail
            of pip's output).
    """
    venv_dir = Path(venv_dir) if venv_dir is not None else _default_venv_dir()
    venv_dir = venv_dir.absolute()
    marker = venv_dir / _MARKER
    python = _venv_python(venv_dir)
    wanted = {"requirements": list(VENV_REQUIREMENTS)}

    def ready() -> bool:
        try:
            return python.exists() and json.loads(marker.read_text()) == wanted
        except (OSError, ValueError):
            return False

    if ready():
        return python
    with _file_lock(venv_dir.parent / f".{venv_dir.name}.lock"):
        if ready():
            return python
        print(f"[recbole] creating RecBole venv in {venv_dir} (one-off, a few minutes)", file=sys.stderr)
        if not python.exists():
            _run_logged([_base_python(), "-m", "venv", str(venv_dir)], "venv creation", 600.0)
        _run_logged(
            [str(python), "-m", "pip", "install", "--no-input", *VENV_REQUIREMENTS],
            "pip install of RecBole",
            VENV_INSTALL_TIMEOUT_S,
        )
        _run_logged(
            [str(python), "-c", _IMPORT_CHECK],
            "RecBole import check",
            300.0,
        )
        marker.write_text(json.dumps(wanted, indent=1))
    return python


# --------------------------------------------------------------------------------------------- runner

#: Script run with the venv's python: ``python recbole_runner.py CONFIG_JSON`` (the config has
#: absolute ``data_path``/``checkpoint_dir``). Its cwd is the run dir, where RecBole puts ./log and
#: ./log_tensorboard. The last stdout line is ``SHOPASSIST_RECBOLE_RESULT {json}``.
RUNNER_PATH = Path(__file__).with_name("recbole_runner.py")


def _convert_metrics(raw: Mapping[str, float] | None) -> dict[str, float] | None:
    """RecBole's ``hit@10``/``ndcg@10``/``mrr@10`` → ``hr@10``/``ndcg@10``/``mrr@10``."""
    if not raw:
        return None
    lower = {k.lower(): float(v) for k, v in raw.items()}
    try:
        return {"hr@10": lower["hit@10"], "ndcg@10": lower["ndcg@10"], "mrr@10": lower["mrr@10"]}
    except KeyError as exc:
        raise ValueError(f"RecBole result lacks {exc} (got {sorted(lower)})") from None


def _pump(stream: IO[str], sink: IO[str] | None, keep: collections.deque[str], prefix: str) -> None:
    for line in stream:
        keep.append(line.rstrip("\n"))
        if sink is not None:
            sink.write(prefix + line if line.endswith("\n") else prefix + line + "\n")
            sink.flush()


def _run_recbole(
    python: Path, run_dir: Path, config_path: Path, timeout_s: float | None
) -> tuple[dict[str, Any] | None, str | None]:
    """Run the runner; (parsed result, None) or (None, error)."""
    runner = run_dir / RUNNER_PATH.name
    shutil.copyfile(RUNNER_PATH, runner)
    err_tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    out_lines: collections.deque[str] = collections.deque(maxlen=200)
    try:
        proc = subprocess.Popen(
            [str(python), str(runner), str(config_path)],
            cwd=run_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=_clean_env(),
        )
    except OSError as exc:
        return None, f"RecBole could not start ({python}): {exc}"
    assert proc.stdout is not None and proc.stderr is not None
    threads = [
        threading.Thread(target=_pump, args=(proc.stderr, sys.stderr, err_tail, "[recbole] "), daemon=True),
        threading.Thread(target=_pump, args=(proc.stdout, None, out_lines, ""), daemon=True),
    ]
    for t in threads:
        t.start()
    try:
        rc = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        for t in threads:
            t.join(timeout=5)
        return None, f"RecBole timed out after {timeout_s:.0f}s; last stderr:\n{_tail(err_tail)}"
    for t in threads:
        t.join(timeout=30)
    result_line = next((ln for ln in reversed(out_lines) if ln.startswith(_RESULT_PREFIX)), None)
    if rc != 0 or result_line is None:
        return None, (
            f"RecBole failed (exit {rc}{'' if result_line is None else ', result printed'}); "
            f"last stderr:\n{_tail(err_tail)}\nlast stdout:\n{_tail(out_lines, 10)}"
        )
    try:
        parsed = json.loads(result_line[len(_RESULT_PREFIX) :])
    except ValueError as exc:
        return None, f"RecBole printed an unreadable result ({exc}): {result_line[:500]}"
    if not isinstance(parsed, dict):
        return None, f"RecBole printed a non-object result: {result_line[:500]}"
    return parsed, None


def _tail(lines: collections.deque[str], n: int = _TAIL_LINES) -> str:
    return "\n".join(_ANSI.sub("", ln) for ln in list(lines)[-n:])


# ------------------------------------------------------------------------------------------------ api


def _from_cache(path: Path) -> RecBoleResult | None:
    try:
        data = json.loads(path.read_text())
        if data.get("protocol") != PROTOCOL:
            return None  # figures from an older protocol are not comparable: run again
        unmasked = data.get("unmasked_metrics")
        return RecBoleResult(
            metrics={k: float(v) for k, v in data["metrics"].items()},
            valid_metrics=(
                {k: float(v) for k, v in data["valid_metrics"].items()} if data.get("valid_metrics") else None
            ),
            train_seconds=float(data["train_seconds"]),
            epochs_run=int(data["epochs_run"]),
            cached=True,
            error=None,
            stopped_by=str(data["stopped_by"]),
            unmasked_metrics={k: float(v) for k, v in unmasked.items()} if unmasked else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _failed(error: str, train_seconds: float = 0.0) -> RecBoleResult:
    return RecBoleResult(
        metrics=None, valid_metrics=None, train_seconds=train_seconds, epochs_run=0, cached=False, error=error
    )


def cached_sasrec_recbole(
    sequences: dict[str, list[str]], cache_dir: Path, *, epochs: int | None = None, seed: int = 42
) -> RecBoleResult | None:
    """The cached result :func:`run_sasrec_recbole` would return for these arguments, or None.

    Runs nothing and creates no venv: a plain evaluation uses a RecBole figure measured earlier on
    exactly this data and configuration (same cache key), and says so (``cached=True``).
    """
    key = cache_key(export_inter(sequences), build_config(epochs=epochs, seed=seed))
    path = Path(cache_dir).absolute() / f"sasrec-{key}.json"
    return _from_cache(path) if path.exists() else None


def run_sasrec_recbole(
    sequences: dict[str, list[str]],
    cache_dir: Path,
    *,
    epochs: int | None = None,
    seed: int = 42,
    venv_dir: Path | None = None,
    timeout_s: float | None = None,
    max_train_seconds: float | None = None,
    resume: bool = False,
) -> RecBoleResult:
    """Train and evaluate RecBole's SASRec on ``sequences`` (see the module docstring for the protocol).

    Args:
        sequences: user id → full time-ordered item ids (last = test target, second-to-last = valid).
        cache_dir: where the result cache, exported data, checkpoints and logs go.
        epochs: epoch cap (default RecBole's 300; early stopping after 10 epochs without improvement).
        seed: RecBole seed (``reproducibility: True``).
        venv_dir: the RecBole venv (default ``settings.data_dir / "recbole-venv"``); created if missing.
        timeout_s: wall-clock limit of the RecBole subprocess (venv creation not included); a run killed
            by it keeps its per-epoch snapshot, so the next call resumes from there.
        max_train_seconds: training budget of this call; when used up, the best checkpoint so far is
            tested and the result says ``stopped_by="time budget"``.
        resume: if the cached result is not converged (budget or cap), continue training from its last
            snapshot instead of returning it.

    Returns:
        The result; ``cached=True`` if it came from ``cache_dir/sasrec-<key>.json`` without running.
        If the venv can't be made or RecBole fails, ``metrics`` is None and ``error`` says why.

    Raises:
        ValueError: an id can't be written as a RecBole token.
    """
    inter_text = export_inter(sequences)
    config = build_config(epochs=epochs, seed=seed)
    key = cache_key(inter_text, config)
    cache_dir = Path(cache_dir).absolute()
    cache_file = cache_dir / f"sasrec-{key}.json"
    if cache_file.exists():
        hit = _from_cache(cache_file)
        if hit is not None and (hit.converged or not resume):
            return hit

    try:
        python = ensure_recbole_venv(venv_dir)
    except (RuntimeError, OSError) as exc:
        return _failed(f"RecBole venv unavailable: {exc}")

    run_dir = cache_dir / "runs" / key[:16]
    data_dir = run_dir / "dataset"
    saved = run_dir / "saved"
    (data_dir / DATASET_NAME).mkdir(parents=True, exist_ok=True)
    saved.mkdir(parents=True, exist_ok=True)
    (data_dir / DATASET_NAME / f"{DATASET_NAME}.inter").write_text(inter_text)
    full_config = {
        **config,
        "data_path": str(data_dir),
        "checkpoint_dir": str(saved),
        "shopassist": {
            "max_train_seconds": max_train_seconds,
            "best_checkpoint": str(saved / "best.pth"),
            "last_checkpoint": str(saved / "last.pth"),
            "state_file": str(saved / "state.json"),
        },
    }
    config_path = run_dir / "config.json"
    config_path.write_text(json.dumps(full_config, indent=1))

    t0 = time.perf_counter()
    parsed, error = _run_recbole(python, run_dir, config_path, timeout_s)
    wall = time.perf_counter() - t0
    if error is not None or parsed is None:
        return _failed(error or "RecBole returned nothing", wall)
    try:
        metrics = _convert_metrics(parsed.get("test_result"))
        valid_metrics = _convert_metrics(parsed.get("best_valid_result"))
        unmasked = _convert_metrics(parsed.get("test_result_unmasked"))
    except ValueError as exc:
        return _failed(str(exc), wall)
    if metrics is None:
        return _failed(f"RecBole returned no test metrics: {parsed}", wall)
    train_seconds = float(parsed.get("train_seconds", wall))
    epochs_run = int(parsed.get("epochs_run", 0))
    stopped_by = str(parsed.get("stopped_by") or "early stopping")
    record = {
        "key": key,
        "protocol": PROTOCOL,
        "metrics": metrics,
        "unmasked_metrics": unmasked,
        "unmasked_check": parsed.get("test_result_unmasked_check"),
        "valid_metrics": valid_metrics,
        "train_seconds": train_seconds,
        "epochs_run": epochs_run,
        "best_epoch": parsed.get("best_epoch"),
        "stopped_by": stopped_by,
        "wall_seconds": wall,
        "n_users": parsed.get("n_users"),
        "n_items": parsed.get("n_items"),
        "n_interactions": parsed.get("n_interactions"),
        "recbole_version": parsed.get("recbole_version", RECBOLE_VERSION),
        "torch_version": parsed.get("torch_version"),
        "config": config,
        "run_dir": str(run_dir),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = cache_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(cache_file)
    return RecBoleResult(
        metrics=metrics,
        valid_metrics=valid_metrics,
        train_seconds=train_seconds,
        epochs_run=epochs_run,
        cached=False,
        error=None,
        stopped_by=stopped_by,
        unmasked_metrics=unmasked,
    )
