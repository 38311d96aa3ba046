"""The demo shop's second suite (``suites/demo-more.jsonl``): customers as they write, in English and
Chinese, with budgets changed mid-way, products called by a short name, policy follow-ups, orders as a
guest and signed in, wrong then right details, requests the assistant cannot carry out (it must never
claim it did), other customers' data, hidden instructions, small talk and other languages.

Run on the demo shop as ``shopassist demo`` builds it (the English MiniLM encoder, the default).
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.dialogues import load_suite
from assistant.evaluation.dialogues.runner import evaluate

SUITE = Path(__file__).parent / "suites" / "demo-more.jsonl"

# Dialogues that still fail, each with the reason; every other check must pass, and a known-open
# dialogue that starts passing fails the test so that it is taken off this list.
DEMO_MORE_KNOWN_OPEN: set[str] = set()


def test_demo_more_suite(demo_copy: Settings) -> None:
    suite = load_suite(SUITE)
    assert len(suite.dialogues) >= 30
    summary = evaluate(suite, demo_copy).summary()
    failed = {f["dialogue"] for f in summary["failures"]}
    unexpected = [
        f"{f['dialogue']} turn {f['turn']} {f['check']}: {str(f['got'])[:200]}"
        for f in summary["failures"]
        if f["dialogue"] not in DEMO_MORE_KNOWN_OPEN
    ]
    assert not unexpected, "\n".join(unexpected)
    passing = DEMO_MORE_KNOWN_OPEN - failed
    assert failed == DEMO_MORE_KNOWN_OPEN, f"now passing, take off DEMO_MORE_KNOWN_OPEN: {passing}"
