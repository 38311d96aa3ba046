"""Dialogue-suite runs of the live shop, for the admin page: run a suite, keep the last runs, list
them with their date and pass rates (to compare before and after a change), read a report.

A run is served in-process by the running shop's own services (same stores, same settings, same
models) on a loopback port, and talks to it over HTTP like any customer's browser. Each run is kept
in ``settings.data_dir/reports/dialogues/<run id>/`` as ``run.json`` (what :func:`list_runs`
shows), ``results.json`` (the documented JSON), ``report.md`` and ``suite.jsonl`` (the suite as
run); the oldest runs beyond ``settings.dialogue_runs_kept`` are removed.

Only admins run suites and read their reports (the reports quote customers' order details).

Example:
    >>> run = run_suite(services, path.read_text(), "demo-shop.jsonl", admin)  # doctest: +SKIP
    >>> [(r.run_id, r.rate("dialogues")) for r in list_runs(services.settings, admin)]  # doctest: +SKIP
    [('20261130T161500Z-3fa2c1', 0.29)]
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.services.types import Conflict, Forbidden, Invalid, NotFound, SessionUser

if TYPE_CHECKING:
    from assistant.services import Services

#: ``progress(turns_done, turns_total, dialogue_id)``.
Progress = Callable[[int, int, str], None]

RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
_run_lock = threading.Lock()


class PassCount(BaseModel):
    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None


class DialogueRun(BaseModel):
    """One kept run: when, which suite, and its pass rates."""

    run_id: str
    suite: str
    started_at: datetime
    finished_at: datetime
    checks: dict[str, PassCount] = Field(default_factory=dict)
    turns: PassCount = Field(default_factory=PassCount)
    dialogues: PassCount = Field(default_factory=PassCount)
    latency_ms: dict[str, float | None] = Field(default_factory=dict)
    failures: int = 0

    def rate(self, what: str) -> float | None:
        """Pass rate of ``turns``, ``dialogues`` or a check kind (None when it has no check)."""
        count = {"turns": self.turns, "dialogues": self.dialogues}.get(what) or self.checks.get(what)
        return count.rate if count is not None else None


def runs_dir(settings: Settings) -> Path:
    return settings.data_dir / "reports" / "dialogues"


def runs_kept(settings: Settings) -> int:
    """How many runs are kept (``settings.dialogue_runs_kept``)."""
    return settings.dialogue_runs_kept


def _require_admin(user: SessionUser | None) -> SessionUser:
    if user is None:
        raise Forbidden("Please sign in.")
    if not user.can("admin"):
        raise Forbidden("This needs the admin role.")
    return user


def _run_path(settings: Settings, run_id: str) -> Path:
    if not RUN_ID.match(run_id):
        raise NotFound(f"no such run: {run_id!r}")
    path = runs_dir(settings) / run_id
    if not (path / "run.json").is_file():
        raise NotFound(f"no such run: {run_id}")
    return path


def run_suite(
    services: Services,
    suite_text: str,
    suite_name: str,
    user: SessionUser | None,
    *,
    progress: Progress | None = None,
    timeout: float = 120.0,
) -> DialogueRun:
    """Validate ``suite_text`` (JSONL), run it against the live shop, keep and return the run.

    :class:`Invalid` lists the malformed lines and fields; :class:`Conflict` when a run is in
    progress (one at a time: runs write conversations to the shop's stores).
    """
    from assistant.evaluation.dialogues.report import markdown_report
    from assistant.evaluation.dialogues.runner import evaluate
    from assistant.evaluation.dialogues.suite import SuiteError, parse_suite

    _require_admin(user)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(suite_name).name)[:120] or "suite.jsonl"
    try:
        suite = parse_suite(suite_text, name)
    except SuiteError as exc:
        raise Invalid(str(exc)) from None
    if not _run_lock.acquire(blocking=False):
        raise Conflict("A dialogue suite is already running. Try again when it finishes.")
    try:
        result = evaluate(suite, services.settings, services=services, timeout=timeout, progress=progress)
    finally:
        _run_lock.release()
    summary = result.summary()
    run = DialogueRun(
        run_id=f"{result.started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        suite=name,
        started_at=result.started_at,
        finished_at=result.finished_at,
        checks={k: PassCount(**v) for k, v in summary["checks"].items()},
        turns=PassCount(**summary["turns"]),
        dialogues=PassCount(**summary["dialogues"]),
        latency_ms=summary["latency_ms"],
        failures=len(summary["failures"]),
    )
    folder = runs_dir(services.settings) / run.run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(result), encoding="utf-8")
    (folder / "suite.jsonl").write_text(suite_text, encoding="utf-8")
    # run.json last: a folder without it is an interrupted write and is not listed.
    (folder / "run.json").write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    prune_runs(services.settings)
    return run


def list_runs(settings: Settings, user: SessionUser | None) -> list[DialogueRun]:
    """The kept runs, newest first."""
    _require_admin(user)
    return _load_runs(settings)


def _load_runs(settings: Settings) -> list[DialogueRun]:
    root = runs_dir(settings)
    if not root.is_dir():
        return []
    runs: list[DialogueRun] = []
    for folder in root.iterdir():
        meta = folder / "run.json"
        if RUN_ID.match(folder.name) and meta.is_file():
            try:
                runs.append(DialogueRun.model_validate_json(meta.read_text(encoding="utf-8")))
            except ValueError:
                continue  # a damaged record is skipped, not fatal to the page
    return sorted(runs, key=lambda r: (r.started_at, r.run_id), reverse=True)


def prune_runs(settings: Settings) -> list[str]:
    """Remove the oldest runs beyond :func:`runs_kept`; return their ids."""
    removed: list[str] = []
    for run in _load_runs(settings)[runs_kept(settings) :]:
        shutil.rmtree(runs_dir(settings) / run.run_id, ignore_errors=True)
        removed.append(run.run_id)
    return removed


def read_report(settings: Settings, run_id: str, user: SessionUser | None) -> str:
    """The Markdown report of a kept run."""
    _require_admin(user)
    return (_run_path(settings, run_id) / "report.md").read_text(encoding="utf-8")


def read_suite(settings: Settings, run_id: str, user: SessionUser | None) -> str:
    """The suite a kept run ran (to run it again after a change)."""
    _require_admin(user)
    return (_run_path(settings, run_id) / "suite.jsonl").read_text(encoding="utf-8")


def read_results(settings: Settings, run_id: str, user: SessionUser | None) -> dict[str, Any]:
    """The JSON results of a kept run (checks, turns, dialogues, latency_ms, failures)."""
    _require_admin(user)
    data: dict[str, Any] = json.loads((_run_path(settings, run_id) / "results.json").read_text(encoding="utf-8"))
    return data


def results_path(settings: Settings, run_id: str, user: SessionUser | None) -> Path:
    """Where a kept run's JSON results are (for a download link)."""
    _require_admin(user)
    return _run_path(settings, run_id) / "results.json"
