"""Matplotlib figures for the agent console and the admin area (rendered by ``gr.Plot``).

Every function returns a figure even for empty input, with a plain-words note instead of
empty axes, so a new shop sees "No data yet" rather than a blank box.

Example:
    >>> fig = profile_chart([("Tents", 0.6), ("Lighting", 0.4)], [])
    >>> fig.axes[0].get_title()
    'Top interests'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

PALETTE = ["#2f6f4e", "#c9822b", "#3b6ea8", "#a8453b", "#7a5aa6", "#4f8f8b", "#8a8a3b", "#666666"]


def _figure(width: float = 6.4, height: float = 3.2, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _empty(ax: Any, title: str, note: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def _short(label: str, n: int = 22) -> str:
    label = label.split(">")[-1].strip() or label
    return label if len(label) <= n else label[: n - 1] + "…"


def profile_chart(
    top_categories: Sequence[tuple[str, float]],
    history: Sequence[tuple[datetime | None, str, Sequence[tuple[str, float]]]],
) -> Figure:
    """Left: the customer's top categories now. Right: how those categories' weights moved, event by event."""
    fig, (ax_top, ax_hist) = _figure(9.0, 3.4, ncols=2)
    if not top_categories:
        _empty(ax_top, "Top interests", "No activity yet")
    else:
        cats = [c for c, _ in top_categories][::-1]
        ax_top.barh([_short(c) for c in cats], [w for _, w in top_categories][::-1], color=PALETTE[0])
        ax_top.set_title("Top interests")
        ax_top.set_xlabel("share of interest")
    if not history:
        _empty(ax_hist, "How interests moved", "No history yet")
    else:
        tracked = [c for c, _ in top_categories[:5]]
        xs = list(range(1, len(history) + 1))
        for i, cat in enumerate(tracked):
            ys = [dict(snapshot).get(cat, 0.0) for _, _, snapshot in history]
            ax_hist.plot(xs, ys, marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=_short(cat, 18))
        ax_hist.set_title("How interests moved")
        ax_hist.set_xlabel("event (oldest → newest)")
        ax_hist.set_ylim(0, 1)
        if tracked:
            ax_hist.legend(fontsize=7, loc="upper left")
    return fig


def intents_chart(days: Sequence[str], per_intent: dict[str, list[int]]) -> Figure:
    """Stacked bars: conversations per day, split by detected intent."""
    fig, ax = _figure()
    if not per_intent or not any(sum(v) for v in per_intent.values()):
        _empty(ax, "Conversations per intent", "No conversations in this period")
        return fig
    bottom = [0] * len(days)
    labels = [d[5:] for d in days]
    for i, (intent, counts) in enumerate(sorted(per_intent.items(), key=lambda kv: -sum(kv[1]))):
        ax.bar(labels, counts, bottom=bottom, label=intent, color=PALETTE[i % len(PALETTE)])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_title("Conversations per intent")
    ax.set_ylabel("conversations")
    _counts_axis(ax)
    _legend_beside(ax)
    _thin_ticks(ax, labels)
    return fig


def _thin_ticks(ax: Any, labels: Sequence[str], keep: int = 8) -> None:
    step = max(1, len(labels) // keep)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right", rotation_mode="anchor", fontsize=7)


def _counts_axis(ax: Any, absolute: bool = False) -> None:
    """Counts go up in whole steps (never 0.25); ``absolute`` shows -3 as 3 (bars drawn downwards)."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if absolute:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(round(v))}"))


def _legend_beside(ax: Any) -> None:
    """The legend to the right of the axes, so it never covers the title or the bars."""
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)


def rate_chart(days: Sequence[str], series: dict[str, Sequence[float | None]], title: str) -> Figure:
    """Lines of rates in [0, 1] per day (days without data are gaps, not zeros)."""
    fig, ax = _figure()
    if not any(v is not None for values in series.values() for v in values):
        _empty(ax, title, "No data in this period")
        return fig
    labels = [d[5:] for d in days]
    for i, (name, values) in enumerate(series.items()):
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(range(len(labels)), ys, marker="o", ms=3, label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_ylim(0, 1)
    ax.set_title(title)
    _legend_beside(ax)
    _thin_ticks(ax, labels)
    return fig


def feedback_chart(days: Sequence[str], up: Sequence[int], down: Sequence[int]) -> Figure:
    fig, ax = _figure()
    if not sum(up) and not sum(down):
        _empty(ax, "Feedback", "No thumbs up or down yet")
        return fig
    labels = [d[5:] for d in days]
    ax.bar(labels, up, color=PALETTE[0], label="helpful")
    ax.bar(labels, [-d for d in down], color=PALETTE[3], label="not helpful")
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_title("Feedback")
    ax.set_ylabel("answers rated")
    _counts_axis(ax, absolute=True)
    _legend_beside(ax)
    _thin_ticks(ax, labels)
    return fig


def metrics_chart(
    rows: Sequence[dict[str, Any]], metric_keys: Sequence[str], title: str = "Evaluation (test split)"
) -> Figure:
    """Grouped bars: one group per metric, one bar per model."""
    fig, ax = _figure()
    if not rows or not metric_keys:
        _empty(ax, "Evaluation", "No evaluation yet")
        return fig
    width = 0.8 / len(rows)
    for i, row in enumerate(rows):
        xs = [k + i * width for k in range(len(metric_keys))]
        ys = [float(row.get(m) or 0.0) for m in metric_keys]
        bars = ax.bar(xs, ys, width=width, label=str(row.get("model", i)), color=PALETTE[i % len(PALETTE)])
        # Each bar's value written on it: a model that scored 0 shows "0", not an empty chart.
        ax.bar_label(bars, labels=[f"{y:.3g}" for y in ys], fontsize=7, padding=2)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(metric_keys))])
    ax.set_xticklabels(metric_keys, fontsize=8)
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    _legend_beside(ax)
    return fig


def progress_chart(epochs: Sequence[int], values: Sequence[float], label: str) -> Figure:
    fig, ax = _figure(6.4, 2.6)
    if not epochs:
        _empty(ax, "Training", "Not started")
        return fig
    ax.plot(epochs, values, marker="o", color=PALETTE[2])
    ax.set_title(f"Training: {label}")
    ax.set_xlabel("epoch")
    return fig
