"""Mining end to end on real components: ingestion (JSONL), the real MiniLM encoder, Chroma, SQLite.

Past replies carry another customer's name, order number, amount and "I've issued a refund"; the
candidates mined from them carry none of it, link their source conversations, and re-mining after a
review proposes nothing already approved or rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.knowledge.mining import mine
from assistant.services import Services
from assistant.services.types import Forbidden, Invalid, NotFound, SessionUser
from ingest.pipeline import ingest_paths

PLANTED = ("Maria", "Gonzalez", "W2378156", "42.50", "I've issued", "You're signed in", "Sven")
AGENT = SessionUser("ana", "agent", expires=4e9)
ADMIN = SessionUser("root", "admin", expires=4e9)

REFUND_QUESTIONS = [
    "How long does a refund take to reach my card?",
    "When will I get my refund back on my card?",
    "How many days until my refund shows up?",
    "how long do refunds take??",
]
REFUND_REPLIES = [
    "Hi Maria, I've issued a refund of $42.50 for order #W2378156. Refunds reach your card within 5-7 business days.",
    "Thanks Sven. Refunds reach your original card within 5-7 business days after we receive the return.",
    "You're signed in, so I can see order #W2378157. Refunds reach your card within 5-7 business days.",
    "Refunds reach your card within 5-7 business days. Some banks take a little longer to post them.",
]
GIFT_QUESTIONS = [
    "Can you gift wrap my order?",
    "Do you offer gift wrapping?",
    "Is gift wrap available for a present?",
]
GIFT_REPLIES = [
    "Yes! Gift wrap is $4 per item; tick 'gift wrap' at checkout and add a note.",
    "We do offer gift wrapping at checkout for $4 an item, with a free handwritten note.",
    "Gift wrap can be added at checkout for $4 per item. Maria Gonzalez, I'm adding it to #W2378156 now.",
]


def _write(path: Path) -> Path:
    rows = []
    for i, (q, a) in enumerate(zip(REFUND_QUESTIONS, REFUND_REPLIES, strict=True)):
        rows.append({"conversation_id": f"r{i}", "intent": "refund_timing",
                     "turns": [{"role": "customer", "text": q}, {"role": "agent", "text": a}]})
    for i, (q, a) in enumerate(zip(GIFT_QUESTIONS, GIFT_REPLIES, strict=True)):  # no intent label: clustered
        rows.append({"conversation_id": f"g{i}",
                     "turns": [{"role": "customer", "text": q}, {"role": "agent", "text": a}]})
    rows.append({"conversation_id": "lone", "turns": [
        {"role": "customer", "text": "Do your tents come with a footprint groundsheet?"},
        {"role": "agent", "text": "The Ponderosa 2 includes one."}]})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mined(settings: Settings, tmp_path: Path) -> tuple[Services, Path]:
    svc = Services.build(settings)
    path = _write(tmp_path / "history.jsonl")
    report = ingest_paths([path], "auto", settings=settings, source="history", db=svc.db, vectors=svc.vectors)
    assert any("answer candidates: 2 new" in n for n in report.notes), report.notes
    return svc, path


def test_ingestion_proposes_one_clean_candidate_per_recurring_question(mined: tuple[Services, Path]) -> None:
    svc, _ = mined
    cands = svc.knowledge.candidates(AGENT)
    assert len(cands) == 2  # the lone question does not recur
    by_topic = {c.topic: c for c in cands}
    refund = by_topic["refund timing"]
    assert refund.n_conversations == 4
    assert {s["conversation_id"] for s in refund.sources} == {"r0", "r1", "r2", "r3"}
    assert "5-7 business days" in refund.answer
    assert len(refund.examples) >= 3 and refund.question in refund.examples
    assert 0.0 < refund.consistency <= 1.0
    gift = next(c for c in cands if c is not refund)
    assert "gift" in gift.topic and gift.n_conversations == 3 and "$4" in gift.answer
    for c in cands:
        texts = [c.answer, c.question, *c.examples]
        for detail in PLANTED:
            assert all(detail not in t for t in texts), (detail, texts)


def test_review_publishes_versions_and_re_mining_proposes_nothing_decided(mined: tuple[Services, Path]) -> None:
    svc, path = mined
    kb = svc.knowledge
    refund, gift = sorted(kb.candidates(AGENT), key=lambda c: c.topic != "refund timing")
    kb.edit(AGENT, refund.id, answer=refund.answer + " Contact your bank after 10 days.")
    assert kb.approve(AGENT, [refund.id]).decided == 1
    assert kb.reject(ADMIN, [gift.id], "We stopped gift wrapping").decided == 1
    live = kb.answers(AGENT)
    assert [(a.candidate_id, a.version, a.approved_by, a.title) for a in live] == [
        (refund.id, 1, "ana", "Our answer on refund timing")
    ]
    kb.edit(ADMIN, refund.id, topic="refunds")  # editing an approved answer publishes version 2
    versions = kb.answers(AGENT, active_only=False)
    assert [(a.version, a.active, a.approved_by) for a in versions] == [(2, True, "root"), (1, False, "ana")]

    # The assistant's collection: one entry, the live version, found by a paraphrase of the question.
    hits = svc.vectors.query("answers", svc.vectors.embedder.encode(["refund to card how many days"],
                                                                    is_query=True)[0], k=3)
    assert [(h[2]["candidate_id"], h[2]["version"], h[2]["title"]) for h in hits] == [
        (refund.id, 2, "Our answer on refunds")
    ]
    assert "Contact your bank after 10 days." in hits[0][1]

    again = ingest_paths([path], "auto", settings=svc.settings, source="history", db=svc.db, vectors=svc.vectors)
    assert not any("answer candidates" in n for n in again.notes)  # nothing new was written
    report = mine(svc.settings, svc.db, svc.vectors)
    assert (report.proposed, report.refreshed, report.skipped_decided) == (0, 0, 2)
    assert kb.candidates(AGENT) == []
    # The same transcripts under another source name match the decided candidates too.
    other = ingest_paths([path], "auto", settings=svc.settings, source="history-copy", db=svc.db,
                         vectors=svc.vectors)
    assert any("0 new, 0 refreshed, 2 already reviewed" in n for n in other.notes), other.notes


def test_roles_and_errors(mined: tuple[Services, Path]) -> None:
    svc, _ = mined
    kb = svc.knowledge
    with pytest.raises(Forbidden):
        kb.candidates(None)
    with pytest.raises(Forbidden):
        kb.mine(AGENT)
    with pytest.raises(NotFound):
        kb.approve(AGENT, [999])
    with pytest.raises(Invalid):
        kb.approve(AGENT, [])
    first = kb.candidates(AGENT)[0]
    with pytest.raises(Invalid):
        kb.edit(AGENT, first.id, answer="   ")
    assert kb.mine(ADMIN).skipped_decided == 0
