"""Generator drafts of answer candidates pass the groundedness guard or are dropped.

The chat model is LangChain's own scripted chat model (the generator backends share LangChain's
chat-model interface); the prompt, the guard and the distillation are the real ones.
"""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.config import Settings
from assistant.knowledge.distill import Distiller
from assistant.knowledge.drafting import GeneratedDrafter

REPLIES = [
    "Refunds reach your card within 5-7 business days after the return arrives.",
    "Refunds reach your original card within 5-7 business days.",
]


def test_a_supported_draft_is_kept_and_distilled() -> None:
    model = FakeListChatModel(responses=[
        "Hi Maria! Refunds reach your original card within 5-7 business days after the return arrives. "
        "I've issued yours."
    ])
    drafter = GeneratedDrafter(model)
    draft = drafter.draft("How long do refunds take?", REPLIES)
    assert draft is not None and "5-7 business days" in draft
    clean = Distiller().distill(draft)
    assert "Maria" not in clean and "I've issued" not in clean and "5-7 business days" in clean


def test_an_invented_number_or_an_empty_echo_is_dropped() -> None:
    drafter = GeneratedDrafter(FakeListChatModel(responses=["Refunds reach your card within 3 days."]))
    assert drafter.draft("How long do refunds take?", REPLIES) is None
    echo = GeneratedDrafter(FakeListChatModel(responses=["How long do refunds take?"]))
    assert echo.draft("How long do refunds take?", REPLIES) is None
    assert drafter.rejected == 1 and echo.rejected == 1


def test_no_drafter_without_a_generator_backend(tmp_path: object) -> None:
    assert GeneratedDrafter.from_settings(Settings(data_dir=str(tmp_path))) is None
