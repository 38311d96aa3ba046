"""Order actions decided in the agent console (issue 14): applied through the order service with the
shop policy's status rules re-checked at that moment; the customer is told either way; the queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.services.orders import OrderService, parse_address
from assistant.services.support_desk import SupportDeskService
from assistant.services.types import Conflict, Forbidden, Invalid, SessionUser
from assistant.store.db import Database
from assistant.store.models import Conversation, Customer, Draft, Message, Order

AGENT = SessionUser(username="ana", role="agent", expires=4e9)


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Settings, Database]:
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Customer(id="C1", name="Ravi Kulkarni", email="ravi@example.com", zip="10001", source="t",
                       content_hash="x"))
        for oid, status in (("#A1", "processing"), ("#A2", "processing"), ("#A3", "delivered")):
            s.add(Order(id=oid, customer_id="C1", status=status, source="t", content_hash="x",
                        shipping_address={"line1": "1 Main St", "city": "Austin", "zip": "73301"}))
        s.add(Conversation(id="conv1", customer_id="C1", verified_customer_id="C1", status="open"))
        s.add(Message(conversation_id="conv1", role="customer", text="Please cancel my order #A1"))
    return settings, db


def _draft(db: Database, action: str, order_id: str) -> int:
    with db.session() as s:
        d = Draft(conversation_id="conv1", kind="order_action", content="", status="pending",
                  payload={"action": action, "order_id": order_id, "customer_id": "C1", "order_status": "processing",
                           "request": f"please {action} {order_id}"})
        s.add(d)
        s.flush()
        return int(d.id)


def _desk(settings: Settings, db: Database) -> SupportDeskService:
    def no_interest() -> None:
        raise RuntimeError("not needed")

    return SupportDeskService(settings, db, no_interest)  # type: ignore[arg-type]


def _agent_texts(db: Database) -> list[str]:
    with db.session() as s:
        return [m.text for m in s.query(Message).filter(Message.role == "agent").order_by(Message.id)]


def test_approving_a_cancellation_cancels_the_order_and_tells_the_customer(shop: tuple[Settings, Database]) -> None:
    settings, db = shop
    desk, orders = _desk(settings, db), OrderService(settings, db)
    draft_id = _draft(db, "cancel", "#A1")
    with pytest.raises(Forbidden):  # the order service checks the agent role itself
        orders.decide(None, draft_id, True)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        orders.draft_check(SessionUser(username="cy", role="customer", expires=4e9), draft_id)
    [item] = desk.desk_queue(AGENT)
    assert (item.customer_name, item.need, item.open_drafts) == ("Ravi Kulkarni", "Cancel order #A1", 1)
    assert orders.draft_check(AGENT, draft_id).allowed
    view, sent = orders.decide(AGENT, draft_id, True)
    assert view.status == "approved" and view.reviewer == "ana"
    with db.session() as s:
        assert s.get(Order, "#A1").status == "cancelled"  # type: ignore[union-attr]
    assert "cancelled" in sent and _agent_texts(db) == [sent]
    assert desk.desk_queue(AGENT) == []  # answered: nobody waits any more
    assert [i.id for i in desk.desk_queue(AGENT, "replied")] == ["conv1"]
    with pytest.raises(Conflict):
        orders.decide(AGENT, draft_id, True)


def test_an_order_shipped_meanwhile_is_not_cancelled_and_a_rejection_carries_the_reason(
    shop: tuple[Settings, Database],
) -> None:
    settings, db = shop
    orders = OrderService(settings, db)
    draft_id = _draft(db, "cancel", "#A2")
    with db.session() as s:
        s.get(Order, "#A2").status = "shipped"  # type: ignore[union-attr]
    assert not orders.draft_check(AGENT, draft_id).allowed
    with pytest.raises(Conflict, match="shipped"):
        orders.decide(AGENT, draft_id, True)
    with db.session() as s:
        assert s.get(Order, "#A2").status == "shipped"  # type: ignore[union-attr]
        assert s.get(Draft, draft_id).status == "pending"  # type: ignore[union-attr]
    with pytest.raises(Invalid):
        orders.decide(AGENT, draft_id, False)  # no reason
    _, sent = orders.decide(AGENT, draft_id, False, reason="It already left the warehouse.")
    assert "It already left the warehouse." in sent and _agent_texts(db) == [sent]


def test_status_rules_come_from_the_settings_and_address_changes_apply(tmp_path: Path) -> None:
    rules = {"action_statuses": {"cancel": ["pending"], "address_change": ["processing"]}}
    settings = Settings(data_dir=tmp_path / "d", device="cpu", orders=rules)
    db = Database(settings)
    db.migrate()
    with db.session() as s:
        s.add(Customer(id="C1", name="R K", source="t", content_hash="x"))
        s.add(Order(id="#B1", customer_id="C1", status="processing", source="t", content_hash="x",
                    shipping_address={"line1": "1 Main St"}))
    orders = OrderService(settings, db)
    with pytest.raises(Conflict, match="pending"):
        orders.apply("cancel", "#B1", "C1")
    done = orders.apply("address_change", "#B1", "C1",
                        new_address=parse_address("12 Elm St, Portland, OR 97214"))
    assert done.shipping_address == {"line1": "12 Elm St", "city": "Portland", "state": "OR", "zip": "97214"}
    with pytest.raises(Exception, match="not on customer"):
        orders.apply("address_change", "#B1", "C2", new_address={"line1": "x"})


def test_claim_resolve_reopen(shop: tuple[Settings, Database]) -> None:
    settings, db = shop
    desk = _desk(settings, db)
    with db.session() as s:
        s.get(Conversation, "conv1").status = "handoff"  # type: ignore[union-attr]
    [item] = desk.desk_queue(AGENT)
    assert item.claimed_by is None and item.reason == "asked for a person"
    desk.claim(AGENT, "conv1")
    with pytest.raises(Conflict, match="ana"):
        desk.claim(SessionUser(username="bo", role="agent", expires=4e9), "conv1")
    assert desk.desk_queue(AGENT)[0].claimed_by == "ana"
    desk.close(AGENT, "conv1")
    assert desk.desk_queue(AGENT) == [] and desk.desk_queue(AGENT, "resolved")[0].claimed_by is None
    desk.reopen(AGENT, "conv1")
    assert desk.desk_queue(AGENT)[0].claimed_by == "ana"
