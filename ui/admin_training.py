"""The admin's "Interest model" tab: retrain, compare the new model with the one serving on the same
held-out validation events, activate it only when the admin chooses, and go back to any earlier
checkpoint (every checkpoint is kept in ``checkpoint_dir``).

Example:
    >>> with gr.Tab("Interest model"):  # doctest: +SKIP
    ...     build_training_tab(services, job_lock)
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.services import Services
from assistant.services.types import ServiceError
from ui import charts
from ui.auth import DENIED_MESSAGE, plain_error, require

log = logging.getLogger(__name__)

METRICS = ("ndcg@10", "hr@10", "mrr@10")


def _scores(services: Services, path: Path | None) -> dict[str, float] | str:
    """The checkpoint's metrics on today's held-out validation events, or why there are none."""
    if path is None:
        return "no trained model yet (products are matched by text similarity)"
    try:
        got = services.training.evaluate(path)
    except ServiceError as exc:
        return str(exc)
    return {m: round(float(got[f"behavior_{m}"]), 4) for m in METRICS if f"behavior_{m}" in got}


def comparison(services: Services, new: Path) -> tuple[list[list[Any]], list[dict[str, Any]], str]:
    """Table rows, chart rows and a sentence comparing ``new`` with the active checkpoint."""
    active = services.training.active()
    rows: list[list[Any]] = []
    chart_rows: list[dict[str, Any]] = []
    verdict = ""
    results = {"new": _scores(services, new), "active": _scores(services, active)}
    for label, path in (("new", new), ("active", active)):
        res = results[label]
        name = f"{label}: {path.name}" if path is not None else f"{label}: none"
        if isinstance(res, dict):
            rows.append([name, *(res.get(m) for m in METRICS), ""])
            chart_rows.append({"model": name, **res})
        else:
            rows.append([name, *([None] * len(METRICS)), res])
    new_res, old_res = results["new"], results["active"]
    if isinstance(new_res, dict) and isinstance(old_res, dict) and "ndcg@10" in new_res and "ndcg@10" in old_res:
        diff = new_res["ndcg@10"] - old_res["ndcg@10"]
        verdict = (f"NDCG@10 {'+' if diff >= 0 else ''}{diff:.4f} against the active model "
                   f"({'better' if diff > 0 else 'not better'}).")
    return rows, chart_rows, verdict


def _checkpoint_choices(services: Services) -> tuple[list[tuple[str, str]], str]:
    items = services.training.checkpoints()
    choices = [(f"{c.name} · {c.modified:%Y-%m-%d %H:%M} UTC{' · active' if c.active else ''}", str(c.path))
               for c in items]
    active = next((c.name for c in items if c.active), None)
    note = f"Serving now: **{active}**" if active else "Serving now: **no trained model** (text similarity)"
    return choices, note


def build_training_tab(services: Services, job_lock: threading.Lock) -> None:
    """Render the tab's contents into the current Blocks context."""
    gr.Markdown("Retrain the interest encoder on this shop's events. The new model is compared with the one "
                "serving now on the same held-out validation events; it serves customers only once you "
                "activate it. Earlier models are kept and can be activated again.")
    with gr.Row():
        epochs = gr.Number(value=services.settings.interest.epochs, precision=0, minimum=1, maximum=1000,
                           label="Epochs", elem_id="admin-epochs", scale=0, min_width=120)
        train_btn = gr.Button("Retrain and compare", variant="primary", elem_id="admin-train-button")
    train_status = gr.Markdown("", elem_id="admin-train-status")
    metrics_df = gr.Dataframe(headers=["model", *METRICS, "note"], label="Validation metrics (same events)",
                              interactive=False, elem_id="admin-metrics")
    metrics_plot = gr.Plot(label="New vs active", elem_id="admin-metrics-plot", show_label=False)
    candidate = gr.State(None)
    activate_new = gr.Button("Activate the new model", variant="primary", visible=False,
                             elem_id="admin-activate-new")
    gr.Markdown("#### Checkpoints")
    serving = gr.Markdown("", elem_id="admin-serving")
    with gr.Row():
        pick = gr.Dropdown(choices=[], label="Checkpoint", elem_id="admin-checkpoints", scale=3)
        list_btn = gr.Button("Refresh list", size="sm", elem_id="admin-checkpoints-refresh", scale=0, min_width=120)
        activate_btn = gr.Button("Activate this checkpoint", elem_id="admin-activate", scale=1)
    result = gr.Markdown("", elem_id="admin-activate-result")

    def listing(message: str = "") -> list[Any]:
        choices, note = _checkpoint_choices(services)
        return [gr.update(choices=choices, value=None), note, message]

    list_outputs = [pick, serving, result]

    def do_list(request: gr.Request) -> list[Any]:
        if require(services, request, "admin") is None:
            return [gr.skip(), gr.skip(), DENIED_MESSAGE]
        try:
            return listing()
        except Exception as exc:
            return [gr.skip(), gr.skip(), plain_error("checkpoint list", exc)]

    list_btn.click(do_list, None, list_outputs, api_name="admin_checkpoints")

    def do_train(n_epochs: float | None, request: gr.Request,
                 progress: gr.Progress = gr.Progress(track_tqdm=True)) -> list[Any]:  # noqa: B008
        skip = [gr.skip()] * 4
        if require(services, request, "admin") is None:
            return [DENIED_MESSAGE, *skip, *([gr.skip()] * 3)]
        if not job_lock.acquire(blocking=False):
            return ["Another ingestion or training run is in progress.", *skip, *([gr.skip()] * 3)]
        try:
            res = services.training.train(
                epochs=int(n_epochs) if n_epochs else None, activate=False, wait=False,
                progress=lambda fraction, desc: progress(fraction, desc=desc),
            )
            progress(0.97, desc="Comparing with the active model")
            rows, chart_rows, verdict = comparison(services, res.checkpoint)
        except ServiceError as exc:
            return [str(exc), *skip, *([gr.skip()] * 3)]
        except Exception as exc:
            return [plain_error("retraining", exc), *skip, *([gr.skip()] * 3)]
        finally:
            job_lock.release()
        status = (f"Training finished: {res.model_name}, {res.epochs_run} epochs in {res.seconds:.0f} s. "
                  f"{verdict} The model serving customers has not changed; press **Activate the new model** "
                  "to use it.")
        chart = charts.metrics_chart(chart_rows, list(METRICS), "Validation events: new vs active")
        return [status, gr.update(value=rows), chart, str(res.checkpoint), gr.update(visible=True), *listing()]

    train_btn.click(do_train, [epochs], [train_status, metrics_df, metrics_plot, candidate, activate_new,
                                         *list_outputs], api_name="admin_train", concurrency_limit=1)

    def activate(path: str | None, request: gr.Request) -> list[Any]:
        if require(services, request, "admin") is None:
            return [gr.skip(), gr.skip(), DENIED_MESSAGE, gr.skip()]
        if not path:
            return [gr.skip(), gr.skip(), "Pick a checkpoint first.", gr.skip()]
        try:
            services.training.activate(Path(path))
        except ServiceError as exc:
            return [gr.skip(), gr.skip(), str(exc), gr.skip()]
        except Exception as exc:
            return [gr.skip(), gr.skip(), plain_error("activate checkpoint", exc), gr.skip()]
        return [*listing(f"Activated **{Path(path).name}**: it serves recommendations now."), gr.update(visible=False)]

    activate_new.click(activate, [candidate], [*list_outputs, activate_new], api_name="admin_activate_new")
    activate_btn.click(activate, [pick], [*list_outputs, activate_new], api_name="admin_activate")
