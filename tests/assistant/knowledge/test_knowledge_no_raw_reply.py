"""No code path sends a raw past agent reply to a customer.

A past reply names a customer, quotes her order number and claims "I've issued a refund". Asked
the question it answered, the assistant's reply contains none of it: before review (it answers
from its other sources or hands off) and after an agent approves the mined answer (it answers from
that answer, citing "Our answer on <topic>").
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import SessionUser
from ingest.pipeline import ingest_paths

AGENT = SessionUser("ana", "agent", expires=4e9)
PLANTED_REPLY = (
    "Hi Maria, I've issued a refund for order #W2378156 to your original card. "
    "Refunds reach your card within 5-7 business days. You can follow order #W2378156 in your account."
)
QUESTIONS = ["How long does a refund take to reach my card?", "When will my refund show up on my card?",
             "How many days for a refund to get back to my card?"]
FORBIDDEN = ("Maria", "W2378156", "I've issued", "issued a refund")


def _ask(svc: Services, text: str) -> tuple[str, str]:
    """The reply's text, and the text with its citations (what a customer can open)."""
    conv = svc.assistant.start_conversation()
    result = svc.assistant.send(conv, text)
    return result.text, result.text + " " + " ".join(c.model_dump_json() for c in result.citations)


def test_planted_past_reply_never_reaches_a_customer(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps({
        "conversation_id": f"c{i}", "intent": "refund_timing",
        "turns": [{"role": "customer", "text": q}, {"role": "agent", "text": PLANTED_REPLY}],
    }) for i, q in enumerate(QUESTIONS)) + "\n", encoding="utf-8")
    svc = Services.build(settings)
    assert ingest_paths([path], "auto", settings=settings, source="history", db=svc.db, vectors=svc.vectors).ok

    _, before = _ask(svc, "How long until my refund reaches my card?")
    for detail in FORBIDDEN:
        assert detail not in before, before

    cand = svc.knowledge.candidates(AGENT)[0]
    svc.knowledge.approve(AGENT, [cand.id])
    reply_text, after = _ask(svc, "How long until my refund reaches my card?")
    for detail in FORBIDDEN:
        assert detail not in after, after
    assert "5-7 business days" in after, after
    assert "Our answer on refund timing" in after, after
    assert "{" not in reply_text and "your order" in reply_text, after  # slots worded neutrally for a guest
