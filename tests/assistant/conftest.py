"""Fixtures shared by the assistant's retrieval / conversation / evaluation tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.vectors import VectorStore
from ingest.chunking import chunk_record
from ingest.records import ReviewRecord


def _tuned(settings: Settings, **conversation: object) -> Settings:
    return settings.model_copy(update={"conversation": settings.conversation.model_copy(update=conversation)})


@pytest.fixture
def tuned() -> Callable[..., Settings]:
    """``tuned(settings, shop_name=..., recommendations_k=...)``: a copy with other conversation knobs."""
    return _tuned


@pytest.fixture
def office_items() -> dict[str, dict[str, str]]:
    """24 Office-format items over two parents with two leaves each ("Office, Pens, Gel Pens"), for
    the small shops the recommendation tests write in the Amazon LC-Rec format."""
    leaves = [("Pens", "Gel Pens"), ("Pens", "Rollerball Pens"), ("Paper", "Copy Paper"), ("Paper", "Notebooks")]
    items = {}
    for i in range(24):
        parent, leaf_name = leaves[i % len(leaves)]
        items[f"B{i:03d}"] = {"title": f"{leaf_name} model {i}", "categories": f"Office, {parent}, {leaf_name}"}
    return items


@pytest.fixture
def long_reviews() -> dict[str, str]:
    """Six reviews of one product ("P1"), several long enough to be stored as more than one passage."""
    return {
        "R1": "The charge lasts a whole day of travel. I used it on a trip across the ocean and it never died.",
        "R2": "Battery cover snapped off in a week. Flimsy plastic, long story short I glued it.",
        "R3": "Sound is crisp and the bass is deep. Great for podcasts on the commute.",
        "R4": "Battery life is long: about twenty hours on flights, then it needs the cable.",
        "R5": "Pairs with my phone instantly. The case is small enough for a pocket.",
        "R6": "Noise cancelling blocks the engine hum on planes. Comfortable for hours on long flights.",
    }


@pytest.fixture
def review_passages(settings: Settings, embedder: Embedder, long_reviews: dict[str, str]) -> VectorStore:
    """Real Chroma and MiniLM: ``long_reviews`` stored as the product stores reviews, in 60-character
    passages (some reviews become several chunks)."""
    vs = VectorStore(settings, embedder=embedder)
    records = [ReviewRecord(review_id=rid, product_id="P1", text=text) for rid, text in long_reviews.items()]
    chunks = [c for r in records for c in chunk_record(r, source="t", passage_chars=60)]
    assert len(chunks) > len(records)
    vs.upsert("reviews", [c.id for c in chunks], [c.text for c in chunks], [c.metadata for c in chunks])
    return vs
