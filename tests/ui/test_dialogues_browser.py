"""Admin → Dialogue suites in a real Chromium: upload a suite, run it on the live shop, read the report,
run it again and compare the two runs (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests_ui_helpers import login, new_page, no_trace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]


def test_admin_runs_a_dialogue_suite_and_compares_two_runs(
    live_app: Any, browser: Any, shot: Any, tmp_path: Path
) -> None:
    suite = tmp_path / "owner-suite.jsonl"
    dialogues = [
        {"id": "returns-window", "turns": [{"say": "How long do I have to return boots?",
                                            "expect": {"contains_any": ["30 days"], "language": "en"}}]},
        {"id": "never-said", "note": "fails on purpose",
         "turns": [{"say": "Are you open on Sunday?", "expect": {"contains_all": ["zebra-unicorn-9f3k"]}}]},
    ]
    suite.write_text("\n".join(json.dumps(d) for d in dialogues) + "\n", encoding="utf-8")

    admin = new_page(browser, live_app.url + "/admin/", ready="#admin-signin, #admin-area")
    login(admin, "admin", "root", "admin-pass-123")
    admin.get_by_role("tab", name="Dialogue suites").click()
    admin.locator("#admin-dialogues-file input[type=file]").set_input_files(str(suite))
    admin.locator("#admin-dialogues-run").click()
    status = admin.locator("#admin-dialogues-status")
    status.get_by_text("finished", exact=False).wait_for(timeout=300_000)
    assert "dialogues 50% (1/2)" in status.inner_text(), status.inner_text()
    report = admin.locator("#admin-dialogues-report")
    report.get_by_text("Are you open on Sunday?", exact=False).first.wait_for(timeout=20_000)
    text = report.inner_text()
    assert "never-said, turn 1" in text and "zebra-unicorn-9f3k" in text
    assert "returns-window, turn 1" not in text  # it passed: not among the failing turns
    shot(admin, "1-first-run-report")

    # Run it again: the two runs are listed, newest first, and compared.
    admin.locator("#admin-dialogues-run").click()
    admin.locator("#admin-dialogues-runs").get_by_text("owner-suite.jsonl").nth(1).wait_for(timeout=300_000)
    compare = admin.locator("#admin-dialogues-compare")
    compare.get_by_text("Before:", exact=False).wait_for(timeout=20_000)
    assert "contains_all" in compare.inner_text()
    shot(admin, "2-two-runs-compared")
    no_trace(admin)
