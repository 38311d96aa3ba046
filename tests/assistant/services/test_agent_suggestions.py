"""Product suggestions drafted for the agent come from the customer's behavior and stated need, never
from a complaint or another service message (a reason quoting "the zipper … broke" would mock them)."""

from __future__ import annotations

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import SessionUser

AGENT = SessionUser(username="ana", role="agent", expires=4e9)


def test_a_complaint_is_no_interest_but_a_stated_need_is(demo_copy: Settings) -> None:
    services = Services.build(demo_copy)
    bot = services.assistant
    complaint = bot.start_conversation("C001", signed_in=True)
    bot.send(complaint, "The zipper on my Alder Rain Shell broke after two weeks")
    drafts = services.support_desk.suggestions(AGENT, complaint)
    assert drafts, "a known customer's behavior still gives suggestions"
    assert all("zipper" not in d.content and "broke" not in d.content for d in drafts), [d.content for d in drafts]

    need = bot.start_conversation("C001", signed_in=True)
    bot.send(need, "I'm looking for a warm jacket for hiking")
    reasons = [d.content for d in services.support_desk.suggestions(AGENT, need)]
    assert any("jacket" in r for r in reasons), reasons
