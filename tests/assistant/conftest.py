"""Fixtures shared by the assistant's retrieval / conversation / evaluation tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.config import Settings


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
