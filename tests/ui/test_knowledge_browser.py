"""Suggested answers in a real Chromium: an admin ingests transcripts, approves two mined answers in
the agent console, and a customer's question is then answered from one of them, with its citation.

The transcripts' agent replies carry another customer's name, order number and an action claim;
the customer's answer shows none of them.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from tests_ui_helpers import ask, login, new_page, no_trace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

GIFT = [
    ("Can you gift wrap my order?", "Hi Rosalind, yes: gift wrap is $4 per item with a handwritten card; tick "
     "'gift wrap' at checkout. I've added it to order #JP4417 for you."),
    ("Do you offer gift wrapping?", "We do! Gift wrap is $4 per item with a handwritten card; tick 'gift wrap' at "
     "checkout."),
    ("Is gift wrap available for a present?", "Gift wrap is $4 per item with a handwritten card; tick 'gift wrap' "
     "at checkout."),
]
ENGRAVING = [
    ("Can you engrave a name on the cutting board?", "Engraving is free on walnut cutting boards, up to 20 "
     "characters; add it on the product page before checkout."),
    ("Do you do custom engraving on boards?", "Thanks Rosalind. Engraving is free on walnut cutting boards, up to "
     "20 characters; add it on the product page before checkout."),
    ("Is personalised engraving possible on a cutting board?", "Engraving is free on walnut cutting boards, up to "
     "20 characters; add it on the product page before checkout."),
]


def _transcripts(path: Path) -> Path:
    rows = []
    for intent, pairs in (("gift_wrap", GIFT), ("engraving", ENGRAVING)):
        for i, (q, a) in enumerate(pairs):
            rows.append({"conversation_id": f"kb-{intent}-{i}", "intent": intent, "resolution": "resolved",
                         "turns": [{"role": "customer", "text": q}, {"role": "agent", "text": a}]})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _enter_console(page: Any, timeout_s: float = 90) -> None:
    """Reach the console's area: the page's load handler may swap the sign-in panel for the area
    (the admin's session is already valid) while we look at it, so retry until the area shows."""
    deadline = time.monotonic() + timeout_s
    while not page.locator("#agent-area").is_visible():
        assert time.monotonic() < deadline, "the agent console did not open"
        if page.locator("#agent-signin").is_visible():
            with contextlib.suppress(PlaywrightError):  # the panel was replaced while we typed: look again
                login(page, "agent", "root", "admin-pass-123", expect_area=False)
        page.wait_for_timeout(1000)


def test_admin_approves_two_suggested_answers_and_the_chat_cites_one(
    live_app: Any, browser: Any, shot: Any, tmp_path: Path
) -> None:
    upload = _transcripts(tmp_path / "service-history.jsonl")
    admin = new_page(browser, live_app.url + "/admin", ready="#admin-signin")
    login(admin, "admin", "root", "admin-pass-123")
    admin.locator("#admin-files input[type=file]").set_input_files(str(upload))
    admin.locator("#admin-ingest-button").click()
    admin.locator("#admin-ingest-report").get_by_text("Ingested", exact=False).wait_for(timeout=180_000)
    shot(admin, "1-transcripts-ingested")

    # The admin opens the agent console (admins may do what agents do).
    admin.goto(live_app.url + "/agent")
    _enter_console(admin)
    admin.locator("#kb-refresh").click()
    select = admin.locator("#kb-select")
    select.locator("label").filter(has_text="gift wrap").first.wait_for(timeout=30_000)
    labels = " ".join(select.locator("label").all_inner_texts())
    assert "Rosalind" not in labels and "JP4417" not in labels, labels
    shot(admin, "2-suggested-answers")

    # Open one to read it: placeholders, no other customer's details, no claimed action.
    admin.locator("#kb-pick input").click()
    admin.get_by_role("option").filter(has_text="gift wrap").first.click()
    answer_box = admin.locator("#kb-answer textarea")
    admin.wait_for_function("() => (document.querySelector('#kb-answer textarea')?.value || '').length > 0",
                            timeout=20_000)
    text = answer_box.input_value()
    assert "$4 per item" in text and "Rosalind" not in text and "JP4417" not in text and "I've added" not in text
    assert "3 past conversations" in admin.locator("#kb-details").inner_text()

    select.locator("label").filter(has_text="gift wrap").first.click()
    select.locator("label").filter(has_text="engraving").first.click()
    admin.locator("#kb-approve-selected").click()
    admin.locator("#kb-result").get_by_text("Approved 2 answers").wait_for(timeout=60_000)
    approved = admin.locator("#kb-approved")
    approved.get_by_text("Our answer on gift wrap", exact=False).wait_for(timeout=20_000)
    assert "Our answer on engraving" in approved.inner_text() and "approved by root" in approved.inner_text()
    shot(admin, "3-two-answers-approved")

    customer = new_page(browser, live_app.url)
    reply = ask(customer, "Do you gift wrap presents?")
    last = customer.locator("#chat .bot.message").last
    if last.locator(".sa-sources summary").count():
        last.locator(".sa-sources summary").click()
    shown = last.inner_text()
    shot(customer, "4-answer-from-an-approved-answer")
    assert "$4 per item" in reply, shown
    assert re.search(r"Our answer on gift wrap", shown), shown
    for detail in ("Rosalind", "JP4417", "I've added"):
        assert detail not in shown, shown
    no_trace(admin)
    no_trace(customer)
