"""The admin area's "Dialogue suites" tab: upload a suite, run it against the live shop, read the
report, and compare the pass rates of past runs (before and after a change to data or settings).

Every handler re-checks the admin session on the server; the runs themselves are kept by
:mod:`assistant.services.dialogue_runs`.

Example:
    >>> with gr.Blocks():  # doctest: +SKIP
    ...     build_dialogues_tab(services)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from assistant.evaluation.dialogues.suite import CHECK_KINDS
from assistant.services import Services
from assistant.services import dialogue_runs as runs
from assistant.services.types import ServiceError
from ui.auth import DENIED_MESSAGE, plain_error, require
from ui.uploads import discard_uploads

RUN_COLUMNS = ["date (UTC)", "suite", "dialogues passed", "turns passed", "failed checks", "p50 ms", "run"]
NO_RUNS = "No run yet. Upload a suite and press **Run against the live shop**."


def _pct(count: runs.PassCount | None) -> str:
    if count is None or not count.total:
        return ""
    return f"{100 * count.passed / count.total:.0f}% ({count.passed}/{count.total})"


def run_rows(items: list[runs.DialogueRun]) -> list[list[Any]]:
    """One row per kept run, newest first (the rate of each check kind is in the comparison)."""
    rows: list[list[Any]] = []
    for r in items:
        p50 = r.latency_ms.get("p50")
        rows.append(
            [
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                r.suite,
                _pct(r.dialogues),
                _pct(r.turns),
                r.failures,
                "" if p50 is None else f"{p50:.0f}",
                r.run_id,
            ]
        )
    return rows


def comparison_markdown(before: runs.DialogueRun, after: runs.DialogueRun) -> str:
    """Pass rates of two runs side by side, with the change in percentage points."""
    lines = [
        f"**Before:** {before.run_id} ({before.suite}) · **After:** {after.run_id} ({after.suite})",
        "",
        "| | before | after | change |",
        "|---|---:|---:|---:|",
    ]
    keys = ["dialogues", "turns", *[k for k in CHECK_KINDS if k in before.checks or k in after.checks]]
    for key in keys:
        b, a = before.rate(key), after.rate(key)
        change = f"{100 * (a - b):+.0f} pts" if a is not None and b is not None else ""
        shown_b = "" if b is None else f"{100 * b:.0f}%"
        shown_a = "" if a is None else f"{100 * a:.0f}%"
        lines.append(f"| {key} | {shown_b} | {shown_a} | {change} |")
    if before.suite != after.suite:
        lines += ["", "*The two runs used different suites: compare with care.*"]
    return "\n".join(lines)


def _choices(items: list[runs.DialogueRun]) -> list[tuple[str, str]]:
    return [(f"{r.started_at:%Y-%m-%d %H:%M:%S} · {r.suite} · {_pct(r.dialogues)}", r.run_id) for r in items]


def _uploaded_path(uploaded: Any) -> Path | None:
    if not uploaded:
        return None
    return Path(uploaded if isinstance(uploaded, str) else getattr(uploaded, "name", str(uploaded)))


def build_dialogues_tab(services: Services) -> None:
    """Render the tab into the current Blocks context (inside the admin area's column)."""
    settings = services.settings
    with gr.Tab("Dialogue suites", id="admin-dialogues") as tab:
        gr.Markdown(
            "Replay whole customer conversations against the live shop and check every reply "
            "(format: *docs/evaluation-dialogues.md*). Each run is kept with its date and pass rates, "
            "so you can compare before and after a change to the data or the settings. "
            "A run opens real conversations in this shop, one per dialogue: those a dialogue hands to a person "
            "reach the agents' queue like any other."
        )
        with gr.Row():
            suite_file = gr.File(label="Suite (.jsonl)", file_types=[".jsonl", ".json", ".txt"],
                                 elem_id="admin-dialogues-file")
            with gr.Column():
                run_btn = gr.Button("Run against the live shop", variant="primary", elem_id="admin-dialogues-run")
                gr.Markdown("Without an upload, the suite of the latest run is run again.")
        status = gr.Markdown("", elem_id="admin-dialogues-status")
        refresh_btn = gr.Button("Refresh past runs", size="sm", elem_id="admin-dialogues-refresh")
        table = gr.Dataframe(headers=RUN_COLUMNS, value=[], interactive=False, label="Past runs (newest first)",
                             elem_id="admin-dialogues-runs", max_height=320)
        with gr.Row():
            pick = gr.Dropdown(choices=[], label="Report of run", elem_id="admin-dialogues-pick")
            before = gr.Dropdown(choices=[], label="Compare with (before)", elem_id="admin-dialogues-before")
        comparison = gr.Markdown("", elem_id="admin-dialogues-compare")
        report = gr.Markdown(NO_RUNS, elem_id="admin-dialogues-report")

    def listing(user: Any, selected: str | None = None) -> tuple[Any, ...]:
        items = runs.list_runs(settings, user)
        choices = _choices(items)
        chosen = selected or (items[0].run_id if items else None)
        earlier = items[1].run_id if len(items) > 1 else None
        text = runs.read_report(settings, chosen, user) if chosen else NO_RUNS
        compare = ""
        by_id = {r.run_id: r for r in items}
        if chosen and earlier and chosen in by_id and earlier != chosen:
            compare = comparison_markdown(by_id[earlier], by_id[chosen])
        return (
            run_rows(items),
            gr.update(choices=choices, value=chosen),
            gr.update(choices=choices, value=earlier if earlier != chosen else None),
            compare,
            text,
        )

    def do_refresh(request: gr.Request) -> tuple[Any, ...]:
        user = require(services, request, "admin")
        if user is None:
            return (gr.skip(),) * 4 + (DENIED_MESSAGE,)
        try:
            return listing(user)
        except Exception as exc:
            return (gr.skip(),) * 4 + (plain_error("listing dialogue runs", exc),)

    def do_run(
        uploaded: Any, request: gr.Request, progress: gr.Progress = gr.Progress()  # noqa: B008
    ) -> tuple[Any, ...]:
        user = require(services, request, "admin")
        if user is None:
            return (DENIED_MESSAGE,) + (gr.skip(),) * 6
        path = _uploaded_path(uploaded)
        try:
            if path is not None:
                text, name = path.read_text(encoding="utf-8"), path.name
            else:
                latest = runs.list_runs(settings, user)
                if not latest:
                    return ("Upload a suite first.",) + (gr.skip(),) * 6
                name = latest[0].suite
                text = runs.read_suite(settings, latest[0].run_id, user)
        except UnicodeDecodeError:
            return ("The suite is not UTF-8 text. Save it as UTF-8 JSONL and upload it again.",) + (gr.skip(),) * 5 + (
                None,
            )
        except OSError as exc:
            return (plain_error("reading the suite", exc),) + (gr.skip(),) * 5 + (None,)
        finally:
            # Read once (the run keeps its own copy of the suite): Gradio's copy goes, the file input empties.
            if path is not None:
                discard_uploads([path])

        def tick(done: int, total: int, dialogue_id: str) -> None:
            progress((done, total), desc=f"{dialogue_id} ({done}/{total} messages)")

        emptied = None if path is not None else gr.skip()
        try:
            run = runs.run_suite(services, text, name, user, progress=tick)
        except ServiceError as exc:
            message = str(exc)
            if "\n" in message or " line " in message:
                message = "The suite is not valid:\n\n" + "\n".join(f"- {line}" for line in message.splitlines())
                if path is not None:
                    message += "\n\nFix the file and upload it again."
            return (message,) + (gr.skip(),) * 5 + (emptied,)
        except Exception as exc:
            return (plain_error("running the dialogue suite", exc),) + (gr.skip(),) * 5 + (emptied,)
        summary = (
            f"Run **{run.run_id}** of *{run.suite}* finished: dialogues {_pct(run.dialogues)}, "
            f"turns {_pct(run.turns)}, {run.failures} failed checks."
        )
        return (summary, *listing(user, run.run_id), emptied)

    def do_pick(selected: str | None, earlier: str | None, request: gr.Request) -> tuple[Any, Any]:
        user = require(services, request, "admin")
        if user is None:
            return "", DENIED_MESSAGE
        if not selected:
            return "", NO_RUNS
        try:
            text = runs.read_report(settings, selected, user)
            compare = ""
            if earlier and earlier != selected:
                by_id = {r.run_id: r for r in runs.list_runs(settings, user)}
                if earlier in by_id and selected in by_id:
                    compare = comparison_markdown(by_id[earlier], by_id[selected])
            return compare, text
        except ServiceError as exc:
            return "", str(exc)
        except Exception as exc:
            return "", plain_error("reading a dialogue report", exc)

    outputs = [table, pick, before, comparison, report]
    refresh_btn.click(do_refresh, None, outputs, api_name="admin_dialogue_runs")
    tab.select(do_refresh, None, outputs, api_visibility="private")
    run_btn.click(do_run, [suite_file], [status, *outputs, suite_file], api_name="admin_dialogue_run",
                  concurrency_limit=1)
    pick.change(do_pick, [pick, before], [comparison, report], api_visibility="private")
    before.change(do_pick, [pick, before], [comparison, report], api_visibility="private")
