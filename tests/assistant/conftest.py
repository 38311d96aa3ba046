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
