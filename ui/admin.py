"""The admin area: ingest uploaded files, collection statistics, retrain the interest encoder, analytics.

Like the agent console, each handler re-checks the admin session on the server.

Example:
    >>> with gr.Blocks() as demo:  # doctest: +SKIP
    ...     area = build_admin_area(services)
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.services import Services
from assistant.services.types import ServiceError, SessionUser
from ui import charts
from ui.auth import DENIED_MESSAGE, SigninPanel, plain_error, require, signin_panel
from ui.uploads import discard_uploads

log = logging.getLogger(__name__)


def _formats() -> list[str]:
    try:
        from ingest.readers import format_names

        return ["auto", *format_names()]
    except Exception:
        return ["auto"]


FORMATS = _formats()
# Ingestion and training write to the same stores; one at a time keeps reports readable.
_job_lock = threading.Lock()


@dataclass
class AdminArea:
    signin: SigninPanel
    column: gr.Column
    logout: gr.Button
    load_outputs: list[Any]
    load_fn: Any


def _source_name(path: Path) -> str:
    # Gradio keeps the uploaded file's own name; the source is what `remove-source` takes later.
    return "upload:" + re.sub(r"[^A-Za-z0-9._-]+", "-", path.name)[:150]


def _progress_callback(progress: gr.Progress, label: str) -> Any:
    """Adapts the pipeline's ``ProgressEvent`` (bytes read of the file) to ``gr.Progress``."""

    def callback(event: Any) -> None:
        try:
            total = getattr(event, "bytes_total", 0) or 0
            done = getattr(event, "bytes_done", 0) or 0
            records = getattr(event, "records", 0)
            desc = f"{label}: {records} records read, {getattr(event, 'written', 0)} written"
            progress(min(1.0, done / total) if total else 0.5, desc=desc)
        except Exception:
            log.debug("progress update ignored", exc_info=True)

    return callback


def _report_markdown(name: str, report: Any) -> str:
    detected = "; ".join(f.detected for f in getattr(report, "files", []) if getattr(f, "detected", ""))
    lines = [
        f"#### {name}",
        f"Format: **{report.format}**" + (f" ({detected})" if detected else ""),
        "",
        "Ingested." if report.ok else "Finished with problems — see the validation report below.",
        "",
        "| records | read | valid | written | unchanged | replaced |",
        "|---|---|---|---|---|---|",
    ]
    for kind, c in report.counts.items():
        lines.append(f"| {kind} | {c.read} | {c.valid} | {c.written} | {c.unchanged} | {c.replaced} |")
    listed = [r for r in _rejection_rows(name, report) if r[1]]
    if listed:
        lines.append(f"\n**Rejected: {len(listed)}** — each one is listed in the validation report below.")
    pii = ", ".join(f"{k} {v}" for k, v in (getattr(report, "pii_found", {}) or {}).items())
    if pii:
        lines.append(f"\nPersonal data redacted before storing: {pii}.")
    for note in getattr(report, "notes", []) or []:
        lines.append(f"\n_{page_words(note)}_")
    return "\n".join(lines)


def page_words(text: str) -> str:
    """Speak of this page, not of command-line flags: "pass --format (a, b)" -> "pick it in the Format list"."""
    text = re.sub(r"[;,]?\s*pass --format(\s*\([^)]*\))?", ": pick its format in the Format list above and "
                  "upload it again", text)
    return re.sub(r"--([a-z][a-z-]+)", lambda m: f"the “{m.group(1).replace('-', ' ')}” option", text)


def _rejection_rows(name: str, report: Any) -> list[list[Any]]:
    """One row per rejected record (a record with several problems lists them in one row)."""
    grouped: dict[Any, list[str]] = {}
    for r in list(report.rejections):
        key = r.line if r.line is not None else f"file-{len(grouped)}"
        grouped.setdefault(key, []).append(page_words((r.field + ": " if r.field else "") + r.message))
    rows: list[list[Any]] = []
    for key, problems in list(grouped.items())[:200]:
        where = f"line {key}" if isinstance(key, int) else "whole file"
        rows.append([name, where, "; ".join(problems)])
    listed_total = max(int(getattr(report, "rejections_total", 0) or 0), len(report.rejections))
    extra = listed_total - len(report.rejections) + max(0, len(grouped) - 200)
    if extra > 0:
        rows.append([name, "", f"… and {extra} more"])
    return rows


def run_ingest(services: Services, paths: list[Path], fmt: str, progress: gr.Progress) -> tuple[str, list[Any]]:
    """Ingest each uploaded file through the catalog service (which refreshes what depends on the data);
    returns the report as markdown and the rejected records as rows."""
    parts: list[str] = []
    rows: list[list[Any]] = []
    for i, path in enumerate(paths, 1):
        label = f"{path.name} ({i}/{len(paths)})"
        progress(0.0, desc=f"Reading {label}")
        report = services.catalog.ingest(
            [path], fmt, source=_source_name(path), progress=_progress_callback(progress, label), wait=False
        )
        parts.append(_report_markdown(path.name, report))
        rows += _rejection_rows(path.name, report)
    return "\n\n".join(parts), rows


def _stats_tables(services: Services) -> tuple[list[list[Any]], list[list[Any]]]:
    stats = services.catalog.stats()
    counts = [["vectors", k, v] for k, v in sorted(stats.get("vectors", {}).items())]
    counts += [["sql", k, v] for k, v in sorted(stats.get("sql", {}).items())]
    sources = [
        [src, store, n] for src, per in sorted(stats.get("sources", {}).items()) for store, n in sorted(per.items())
    ]
    return counts, sources


def build_admin_area(services: Services, hint: str = "") -> AdminArea:
    """Render the admin area (sign-in form + tools) into the current Blocks context."""
    signin = signin_panel("admin", hint)
    with gr.Column(visible=False, elem_id="admin-area") as column:
        with gr.Row():
            who = gr.Markdown("", elem_id="admin-who")
            logout = gr.Button("Sign out", size="sm", elem_id="admin-logout", scale=0, min_width=100)
        with gr.Tab("Ingest files", id="admin-ingest"):
            files = gr.File(label="Files to ingest", file_count="multiple", elem_id="admin-files",
                            file_types=[".json", ".jsonl", ".csv", ".md", ".txt", ".gz"])
            with gr.Row():
                fmt = gr.Dropdown(FORMATS, value="auto", label="Format (auto detects it)", elem_id="admin-format")
                ingest_btn = gr.Button("Ingest", variant="primary", elem_id="admin-ingest-button")
            ingest_report = gr.Markdown("Upload a file and press **Ingest**. Re-ingesting the same file changes "
                                        "nothing.", elem_id="admin-ingest-report")
            rejections = gr.Dataframe(headers=["file", "where", "why it was rejected"], label="Validation report",
                                      interactive=False, elem_id="admin-rejections", max_height=300)
        with gr.Tab("Collections", id="admin-stats"):
            stats_btn = gr.Button("Refresh statistics", size="sm", elem_id="admin-stats-button")
            with gr.Row():
                counts_df = gr.Dataframe(headers=["store", "collection / table", "count"], interactive=False,
                                         label="Counts", elem_id="admin-counts")
                sources_df = gr.Dataframe(headers=["source", "store", "count"], interactive=False,
                                          label="Per source", elem_id="admin-sources")
        with gr.Tab("Interest model", id="admin-train"):
            from ui.admin_training import build_training_tab  # issue 14: compare, activate by choice, go back

            build_training_tab(services, _job_lock)
        with gr.Tab("Analytics", id="admin-analytics"):
            with gr.Row():
                days = gr.Slider(7, 180, value=30, step=1, label="Days", elem_id="admin-days")
                analytics_btn = gr.Button("Refresh analytics", size="sm", elem_id="admin-analytics-button")
            totals = gr.Markdown("", elem_id="admin-totals")
            with gr.Row():
                intents_plot = gr.Plot(label="Conversations per intent", elem_id="admin-intents", show_label=False)
                handoff_plot = gr.Plot(label="Handoff rate", elem_id="admin-handoff", show_label=False)
            with gr.Row():
                feedback_plot = gr.Plot(label="Feedback", elem_id="admin-feedback", show_label=False)
                ctr_plot = gr.Plot(label="Recommendation click-through", elem_id="admin-ctr", show_label=False)
        from ui.admin_dialogues import build_dialogues_tab  # issue 12: dialogue suites
        build_dialogues_tab(services)
        from ui.admin_privacy import build_privacy_tab  # forget a customer
        build_privacy_tab(services)

    def analytics_outputs(user: SessionUser, n_days: float) -> list[Any]:
        a = services.analytics.summary(user, days=int(n_days))
        t = a.totals
        d = a.decisions
        summary = (
            f"**{int(t['conversations'])}** conversations · handoff rate **{t['handoff_rate']:.0%}** · "
            f"feedback {int(t['thumbs_up'])} up / {int(t['thumbs_down'])} down · "
            f"click-through **{t['click_through']:.0%}** · "
            f"drafts: {d['approved']} approved, {d['edited']} edited, {d['rejected']} rejected, "
            f"{d['pending']} pending"
        )
        return [
            summary,
            charts.intents_chart(a.days, a.conversations_per_intent),
            charts.rate_chart(a.days, {"handoff rate": a.handoff_rate}, "Handoff rate"),
            charts.feedback_chart(a.days, a.feedback_up, a.feedback_down),
            charts.rate_chart(a.days, {"click-through": a.click_through}, "Recommendation click-through"),
        ]

    def load(request: gr.Request) -> list[Any]:
        user = require(services, request, "admin")
        if user is None:
            return [gr.update(visible=True), gr.update(visible=False), "", *([gr.skip()] * 7)]
        who_line = f"Signed in as **{user.username}** (admin)"
        try:  # e.g. a reverse proxy missing from security.trusted_proxies
            warnings = services.deployment_warnings()
        except Exception as exc:
            warnings = [plain_error("configuration warnings", exc)]
        who_line += "".join(f"\n\n**Warning:** {w}" for w in warnings)
        head = [gr.update(visible=False), gr.update(visible=True), who_line]
        try:
            counts, sources = _stats_tables(services)
        except Exception as exc:
            plain_error("collection stats", exc)
            counts, sources = [], []
        try:
            return [*head, counts, sources, *analytics_outputs(user, 30)]
        except Exception as exc:
            return [*head, counts, sources, plain_error("analytics", exc), *([gr.skip()] * 4)]

    load_outputs = [signin.column, column, who, counts_df, sources_df, totals, intents_plot, handoff_plot,
                    feedback_plot, ctr_plot]

    def do_ingest(uploaded: list[str] | None, format_name: str, request: gr.Request,
                  progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any]:  # noqa: B008
        if require(services, request, "admin") is None:
            return DENIED_MESSAGE, gr.skip(), gr.skip()
        if not uploaded:
            return "Choose one or more files first.", gr.skip(), gr.skip()
        if format_name not in FORMATS:
            return "Pick a format from the list.", gr.skip(), gr.skip()
        if not _job_lock.acquire(blocking=False):
            return "Another ingestion or training run is in progress. Try again when it finishes.", gr.skip(), gr.skip()
        paths = [Path(p if isinstance(p, str) else getattr(p, "name", str(p))) for p in uploaded]
        try:
            report, rows = run_ingest(services, paths, format_name, progress)
            return report, rows, None
        except ServiceError as exc:
            return page_words(str(exc)), [], None
        except Exception as exc:
            return plain_error("ingestion", exc) + " Check that the file is one of the supported formats.", [], None
        finally:
            discard_uploads(paths)  # read once; the file list is emptied with them
            _job_lock.release()

    ingest_btn.click(do_ingest, [files, fmt], [ingest_report, rejections, files], api_name="admin_ingest",
                     concurrency_limit=1)

    def do_stats(request: gr.Request) -> tuple[Any, Any]:
        if require(services, request, "admin") is None:
            return [], []
        try:
            return _stats_tables(services)
        except Exception as exc:
            plain_error("collection stats", exc)
            gr.Warning("Could not read the statistics. Please try again.")
            return gr.skip(), gr.skip()

    stats_btn.click(do_stats, None, [counts_df, sources_df], api_name="admin_stats")

    def do_analytics(n_days: float, request: gr.Request) -> list[Any]:
        user = require(services, request, "admin")
        if user is None:
            return [DENIED_MESSAGE, *([gr.skip()] * 4)]
        try:
            return analytics_outputs(user, n_days)
        except Exception as exc:
            return [plain_error("analytics", exc), *([gr.skip()] * 4)]

    analytics_btn.click(do_analytics, [days], [totals, intents_plot, handoff_plot, feedback_plot, ctr_plot],
                        api_name="admin_analytics")
    return AdminArea(signin=signin, column=column, logout=logout, load_outputs=load_outputs, load_fn=load)
