"""The agents' queue names each waiting case by what the customer wants, not by their last word."""

from __future__ import annotations

from assistant.config import Settings
from assistant.services import Services
from assistant.services.support_desk import DeskItem
from assistant.services.types import Caller, SessionUser

AGENT = SessionUser(username="ana", role="agent", expires=4e9)


def _chat(settings: Settings, *said: str) -> tuple[Services, str, Caller]:
    """A guest's conversation on the demo shop after ``said``: the services, its id, the guest."""
    services = Services.build(settings)
    started = services.chat.start()
    caller = Caller(conversation_token=started.conversation_token)
    for text in said:
        services.chat.send(started.conversation_id, caller, text)
    return services, started.conversation_id, caller


def _queued(services: Services, conversation_id: str) -> DeskItem:
    [item] = [i for i in services.support_desk.desk_queue(AGENT) if i.id == conversation_id]
    return item


def test_a_handed_over_fault_report_is_queued_as_the_fault_with_the_customers_words(demo_copy: Settings) -> None:
    services, conversation_id, caller = _chat(demo_copy, "The zipper on my Alder Rain Shell broke after two weeks")
    assert services.chat.send(conversation_id, caller, "yes").handoff
    item = _queued(services, conversation_id)
    # Before: need "Product question" (the product's name pulled the intent vote) and preview "yes".
    assert item.reason == "asked for a person"
    assert item.need == "Damaged item", item.need
    assert item.preview == "The zipper on my Alder Rain Shell broke after two weeks … yes", item.preview
    [old] = [q for q in services.support_desk.queue(AGENT) if q.id == conversation_id]
    assert old.intent == "damaged_item" and old.preview == item.preview
    # The agent's draft starts from the policy answer, without the assistant's offer of a person.
    [draft] = services.support_desk.conversation(AGENT, conversation_id).drafts
    assert "defective" in draft.content and "[1]" in draft.content, draft.content
    assert "connect you" not in draft.content, draft.content


def test_no_draft_is_made_of_the_assistants_own_process(demo_copy: Settings) -> None:
    # Asked who they are, the customer wants a person: "please confirm who you are" is no start for
    # the agent's reply (before: it was the draft).
    services, conversation_id, _caller = _chat(demo_copy, "where is my order?", "I'd rather talk to a human")
    detail = services.support_desk.conversation(AGENT, conversation_id)
    assert detail.status == "handoff"
    assert [d.content for d in detail.drafts if d.kind == "reply"] == [""]


def test_a_full_question_is_its_own_preview(demo_copy: Settings) -> None:
    services, conversation_id, caller = _chat(demo_copy, "hi", "can I return shoes I have worn once?")
    services.chat.request_handoff(conversation_id, caller)
    assert _queued(services, conversation_id).preview == "can I return shoes I have worn once?"


def test_a_long_report_before_a_short_answer_is_shortened_not_the_answer(demo_copy: Settings) -> None:
    # Before: the preview was cut at 140 characters from the start, so the last message ("yes") went.
    report = (
        "The zipper on my Alder Rain Shell broke after two weeks of light use on a day hike: the pull came "
        "off in my hand and now the jacket will not close at all"
    )
    services, conversation_id, caller = _chat(demo_copy, report)
    assert services.chat.send(conversation_id, caller, "yes").handoff
    preview = _queued(services, conversation_id).preview
    assert preview.startswith("The zipper on my Alder Rain Shell broke") and preview.endswith("… yes"), preview
    assert len(preview) <= 140, preview
