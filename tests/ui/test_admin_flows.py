"""Issue 14, admin area: upload reports that count what they list, page wording instead of CLI flags,
retraining compared with the active model and activated only by choice, earlier checkpoints reactivated,
charts with whole-number count axes. In a real Chromium against the real app (see conftest)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests_ui_helpers import login, new_page, no_trace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def admin_page(browser: Any, url: str, viewport: dict[str, int]) -> Any:
    page = new_page(browser, url + "/admin", viewport=viewport, ready="#admin-signin, #admin-area")
    login(page, "admin", "root", "admin-pass-123")
    return page


def open_tab(page: Any, name: str) -> None:
    """Click a tab of the admin area; narrow screens fold the last tabs into a "More tabs" menu."""
    tab = page.get_by_role("tab", name=name)
    if tab.count() and tab.first.is_visible():
        tab.first.click()
        return
    page.locator("#admin-area button[aria-label='More tabs']").first.click()
    page.locator("#admin-area .overflow-dropdown button").filter(has_text=name).first.click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_upload_report_counts_what_it_lists_and_speaks_of_the_page(
    live_app: Any, browser: Any, shot: Any, tmp_path: Path, viewport: dict[str, int]
) -> None:
    bad = tmp_path / f"support-{viewport['width']}.jsonl"
    records = [
        {"conversation_id": "b1", "turns": [{"role": "wizard", "text": "hello"}]},
        {"conversation_id": "b2", "turns": [{"role": "customer", "text": "hi", "timestamp": "not a time"}]},
        {"conversation_id": f"ok-{viewport['width']}", "intent": "shipping", "turns": [
            {"role": "customer", "text": "Do you ship to Alaska?"},
            {"role": "agent", "text": "Yes, with USPS Standard."}]},
    ]
    bad.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("just some words\nmore words here\n", encoding="utf-8")

    admin = admin_page(browser, live_app.url, viewport)
    admin.locator("#admin-files input[type=file]").set_input_files([str(bad), str(notes)])
    admin.locator("#admin-ingest-button").click()
    report = admin.locator("#admin-ingest-report")
    admin.wait_for_function(
        """() => /notes\\.txt[\\s\\S]*Rejected: \\d/.test(
            document.querySelector('#admin-ingest-report')?.innerText || '')""", timeout=180_000)
    text = report.inner_text()
    table = admin.locator("#admin-rejections").inner_text()
    shot(admin, "1-upload-report")
    assert "--format" not in text and "--format" not in table, (text, table)
    assert "Format" in table or "Format" in text
    per_file = {}
    for name in (bad.name, "notes.txt"):
        m = re.search(re.escape(name) + r".*?Rejected: (\d+)", text, re.S)
        assert m, text
        per_file[name] = int(m.group(1))
    cells = [c.strip() for c in re.split(r"[\t\n]+", table)]
    listed = {name: cells.count(name) for name in per_file}  # the rows of the validation report, per file
    assert per_file == listed == {bad.name: 2, "notes.txt": 1}, (per_file, listed, table)
    no_trace(admin)


def test_retraining_compares_with_the_active_model_and_activates_only_by_choice(
    live_app: Any, browser: Any, shot: Any
) -> None:
    admin = admin_page(browser, live_app.url, DESKTOP)
    open_tab(admin, "Interest model")
    admin.locator("#admin-checkpoints-refresh").click()
    admin.locator("#admin-serving").get_by_text("Serving now").wait_for(timeout=20_000)
    serving_before = admin.locator("#admin-serving").inner_text()

    def train(previous: str | None) -> tuple[str, str]:
        """Run one retraining and wait for its own result: the metrics table names a checkpoint other than
        `previous`, and no progress or queue text (Gradio's pending overlay shows the last result beneath
        it) is left in the status. Returns (status, new checkpoint)."""
        admin.locator("#admin-epochs input").fill("1")
        admin.locator("#admin-train-button").click()
        done = """(previous) => {
            const t = document.querySelector('#admin-train-status')?.innerText || '';
            const m = document.querySelector('#admin-metrics')?.innerText || '';
            const name = (m.match(/new: (\\S+\\.pt)/) || [])[1];
            return !!name && name !== previous && t.includes('Training finished')
                && !/%|processing|queue/i.test(t); }"""
        admin.wait_for_function(done, arg=previous, timeout=420_000)
        admin.wait_for_timeout(500)
        admin.wait_for_function(done, arg=previous, timeout=30_000)  # still settled half a second later
        table = admin.locator("#admin-metrics").inner_text()
        name = re.search(r"new: (\S+\.pt)", table)
        assert name, table
        return str(admin.locator("#admin-train-status").inner_text()), name.group(1)

    status, first = train(None)
    assert "has not changed" in status, status
    assert admin.locator("#admin-serving").inner_text() == serving_before  # not activated by itself
    table = admin.locator("#admin-metrics").inner_text()
    assert "new:" in table and "active:" in table, table
    shot(admin, "1-compared-not-activated")
    admin.locator("#admin-activate-new").click()
    admin.locator("#admin-activate-result").get_by_text("Activated", exact=False).wait_for(timeout=60_000)
    assert first in admin.locator("#admin-serving").inner_text()

    status, second = train(first)
    table = admin.locator("#admin-metrics").inner_text()
    assert f"active: {first}" in table and re.search(r"NDCG@10 [+-]\d", status), (status, table)
    assert first in admin.locator("#admin-serving").inner_text()  # still the first one
    admin.locator("#admin-activate-new").click()
    admin.locator("#admin-activate-result").get_by_text("Activated", exact=False).wait_for(timeout=60_000)
    assert second in admin.locator("#admin-serving").inner_text()
    # Go back to the earlier checkpoint.
    admin.locator("#admin-checkpoints input").click()
    admin.get_by_role("option").filter(has_text=first).first.click()
    admin.locator("#admin-activate").click()
    admin.locator("#admin-activate-result").get_by_text(f"Activated {first}", exact=False).wait_for(timeout=60_000)
    assert first in admin.locator("#admin-serving").inner_text()
    shot(admin, "2-earlier-checkpoint-reactivated")
    no_trace(admin)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_analytics_charts_render(live_app: Any, browser: Any, shot: Any, viewport: dict[str, int]) -> None:
    admin = admin_page(browser, live_app.url, viewport)
    open_tab(admin, "Analytics")
    idle = (  # no refresh under way: the button ignores a click while its last refresh runs
        "() => !['#admin-totals', '#admin-intents', '#admin-feedback', '#admin-handoff'].some((s) => "
        "/processing/.test(document.querySelector(s)?.innerText || ''))"
    )
    admin.locator("#admin-analytics-button").click()
    admin.locator("#admin-totals").get_by_text("conversations", exact=False).wait_for(timeout=30_000)
    admin.wait_for_function(idle, timeout=60_000)
    from assistant.services.types import Caller

    chat = live_app.services.chat
    for _ in range(2):  # two customers ask for a person, so the charts have something to show
        started = chat.start()
        chat.request_handoff(started.conversation_id, Caller(conversation_token=started.conversation_token), "test")
    admin.locator("#admin-analytics-button").click()
    admin.locator("#admin-totals").get_by_text(re.compile(r"[1-9]\d* conversations")).wait_for(timeout=30_000)
    admin.wait_for_function(  # drawn, and no refresh still under way
        "() => !['#admin-intents', '#admin-feedback'].some((s) => /processing/.test("
        "document.querySelector(s)?.innerText || '')) && [...document.querySelectorAll("
        "'#admin-intents img, #admin-feedback img, #admin-handoff img')].some((i) => i.complete && i.naturalWidth > 0)",
        timeout=60_000)
    shot(admin, "1-analytics")
    no_trace(admin)


def test_count_axes_are_whole_numbers_and_legends_stay_clear_of_titles() -> None:
    from ui import charts

    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    figs = [
        charts.intents_chart(days, {"returns": [1 if i % 3 == 0 else 0 for i in range(30)], "shipping": [0] * 30}),
        charts.feedback_chart(days, [i % 2 for i in range(30)], [1 if i % 7 == 0 else 0 for i in range(30)]),
    ]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for fig in figs:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # type: ignore[no-untyped-call]
        ax = fig.axes[0]
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        title = ax.title.get_window_extent(renderer)
        legend_box = ax.get_legend()
        assert legend_box is not None
        legend = legend_box.get_window_extent(renderer)
        assert not title.overlaps(legend)
        labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert all(not a.overlaps(b) for a, b in itertools.pairwise(labels))


def test_metrics_chart_writes_each_bars_value_so_a_zero_score_is_visible() -> None:
    from ui import charts

    fig = charts.metrics_chart(
        [{"model": "new: a.pt", "ndcg@10": 0.0, "hr@10": 0.0},
         {"model": "active: b.pt", "ndcg@10": 0.1234, "hr@10": 0.5}],
        ["ndcg@10", "hr@10"],
    )
    written = sorted(t.get_text() for t in fig.axes[0].texts)
    assert written == ["0", "0", "0.123", "0.5"], written
