"""Chunking of conversations, language detection, and chunk ids."""

from __future__ import annotations

from ingest.chunking import MAX_CHUNK_CHARS, chunk_record, exchanges
from ingest.normalize import detect_language, normalize
from ingest.records import ConversationRecord, PolicyPassage


def long_conversation(n: int = 12) -> ConversationRecord:
    turns = []
    for i in range(n):
        turns.append({"role": "customer", "text": f"Question {i}: " + "where is my parcel? " * 8})
        turns.append({"role": "agent", "text": f"Answer {i}: " + "it ships tomorrow from Bend. " * 6})
    return ConversationRecord(conversation_id="long", intent="delivery", product_ids=["P1", "P2"], turns=turns)


def test_short_conversation_is_one_chunk() -> None:
    rec = ConversationRecord(conversation_id="s", turns=[{"role": "customer", "text": "Hi?"},
                                                          {"role": "agent", "text": "Hello."}])
    [chunk] = chunk_record(rec, source="src", language="en")
    assert chunk.text == "Customer: Hi?\nAgent: Hello."
    assert chunk.metadata["question"] == "Hi?" and chunk.metadata["answer"] == "Hello."


def test_long_conversation_windows_keep_question_with_answer() -> None:
    rec = long_conversation()
    chunks = chunk_record(rec, source="src", language="en")
    assert len(chunks) > 1
    for i, c in enumerate(chunks):
        assert len(c.text) <= MAX_CHUNK_CHARS
        assert c.metadata["chunk_index"] == i and c.metadata["product_ids"] == "P1,P2"
        # Every question in a window has its answer in the same window.
        for q in range(12):
            if f"Question {q}:" in c.text:
                assert f"Answer {q}:" in c.text
    joined = "\n".join(c.text for c in chunks)
    assert all(f"Question {q}:" in joined for q in range(12))


def test_agent_greeting_joins_first_exchange() -> None:
    rec = ConversationRecord(conversation_id="g", turns=[
        {"role": "agent", "text": "Hi!"}, {"role": "customer", "text": "Refund?"},
        {"role": "agent", "text": "Sure."}, {"role": "customer", "text": "Thanks"}])
    assert [len(e) for e in exchanges(rec.turns)] == [3, 1]


def test_chunk_ids_stable_and_content_sensitive() -> None:
    p = PolicyPassage(doc="p.md", title="Returns", section=0, text="30 days.")
    a = chunk_record(p, source="s")[0].id
    assert a == chunk_record(p, source="s")[0].id
    assert a != chunk_record(p.model_copy(update={"text": "31 days."}), source="s")[0].id
    assert a != chunk_record(p, source="other")[0].id


def test_language_detection_deterministic_and_unknown_when_short() -> None:
    assert detect_language("Hola, ¿dónde está mi pedido? Lo compré la semana pasada.") == "es"
    assert detect_language("ok thx") == "unknown"
    rec = ConversationRecord(conversation_id="x", turns=[{"role": "customer", "text": "Où est ma commande ? "
                                                                                     "Je l'attends depuis lundi."}])
    assert {normalize(rec, "f", 1).language for _ in range(5)} == {"fr"}
