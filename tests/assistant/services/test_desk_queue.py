"""The agents' queue names each waiting case by what the customer wants, not by their last word."""

from __future__ import annotations

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import Caller, SessionUser

AGENT = SessionUser(username="ana", role="agent", expires=4e9)


def test_a_handed_over_fault_report_is_queued_as_the_fault_with_the_customers_words(demo_copy: Settings) -> None:
    services = Services.build(demo_copy)
    started = services.chat.start()
    caller = Caller(conversation_token=started.conversation_token)
    services.chat.send(started.conversation_id, caller, "The zipper on my Alder Rain Shell broke after two weeks")
    assert services.chat.send(started.conversation_id, caller, "yes").handoff
    [item] = [i for i in services.support_desk.desk_queue(AGENT) if i.id == started.conversation_id]
    # Before: need "Product question" (the product's name pulled the intent vote) and preview "yes".
    assert item.reason == "asked for a person"
    assert item.need == "Damaged item", item.need
    assert item.preview == "The zipper on my Alder Rain Shell broke after two weeks … yes", item.preview
    [old] = [q for q in services.support_desk.queue(AGENT) if q.id == started.conversation_id]
    assert old.intent == "damaged_item" and old.preview == item.preview
    # The agent's draft starts from the policy answer, without the assistant's offer of a person.
    [draft] = services.support_desk.conversation(AGENT, started.conversation_id).drafts
    assert "defective" in draft.content and "[1]" in draft.content, draft.content
    assert "connect you" not in draft.content, draft.content


def test_no_draft_is_made_of_the_assistants_own_process(demo_copy: Settings) -> None:
    # Asked who they are, the customer wants a person: "please confirm who you are" is no start for
    # the agent's reply (before: it was the draft).
    services = Services.build(demo_copy)
    started = services.chat.start()
    caller = Caller(conversation_token=started.conversation_token)
    services.chat.send(started.conversation_id, caller, "where is my order?")
    services.chat.send(started.conversation_id, caller, "I'd rather talk to a human")
    detail = services.support_desk.conversation(AGENT, started.conversation_id)
    assert detail.status == "handoff"
    assert [d.content for d in detail.drafts if d.kind == "reply"] == [""]


def test_a_full_question_is_its_own_preview(demo_copy: Settings) -> None:
    services = Services.build(demo_copy)
    started = services.chat.start()
    caller = Caller(conversation_token=started.conversation_token)
    services.chat.send(started.conversation_id, caller, "hi")
    services.chat.send(started.conversation_id, caller, "can I return shoes I have worn once?")
    services.chat.request_handoff(started.conversation_id, caller)
    [item] = [i for i in services.support_desk.desk_queue(AGENT) if i.id == started.conversation_id]
    assert item.preview == "can I return shoes I have worn once?", item.preview
