"""Forgetting a customer, and start-up errors that are one line naming the setting (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.demo.build import DATA_DIR
from assistant.ops.forget import UnknownCustomer, forget_customer
from assistant.ops.startup import StartupError, check_database, check_rate_limit_storage, open_vectors
from assistant.store.db import Database
from assistant.store.models import Conversation, Customer, Draft, Event, Feedback, Message, Order, VectorChunk
from assistant.vectors import VectorStore


def _demo_customer(cid: str) -> dict[str, object]:
    return next(c for c in json.loads((DATA_DIR / "customers.json").read_text()) if c["customer_id"] == cid)


def _needles(customer: dict[str, object]) -> list[bytes]:
    address = customer["address"]
    assert isinstance(address, dict)
    return [str(customer["email"]).encode(), str(customer["name"]).encode(), str(address["line1"]).encode()]


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_forget_customer_leaves_no_trace_of_their_email_name_or_address(shop: Settings) -> None:
    maya, daniel = _demo_customer("C001"), _demo_customer("C002")
    db = Database(shop)
    db.migrate()
    vectors = VectorStore(shop)
    # Live data about C001: a conversation in which she gives her name and email, feedback, a draft.
    with db.session() as s:
        conv = Conversation(id="conv-maya", customer_id="C001", verified_customer_id="C001", status="handoff")
        conv.messages.append(Message(role="customer", text=f"Hi, I'm {maya['name']}, {maya['email']}"))
        conv.messages.append(Message(role="assistant", text="Thanks, let me check."))
        s.add(conv)
        s.flush()
        s.add(Feedback(conversation_id="conv-maya", message_id=conv.messages[1].id, rating=1))
        s.add(Draft(conversation_id="conv-maya", kind="reply", content=f"Dear {maya['name']}, ..."))
        n_events = len(list(s.scalars(select(Event.id).where(Event.customer_id == "C001"))))
        n_orders = len(list(s.scalars(select(Order.id).where(Order.customer_id == "C001"))))
    ingested = vectors.collection("conversations").get(where={"customer_id": "C001"}, include=[])["ids"]
    assert n_events > 0 and n_orders > 0 and ingested, "the demo shop should hold C001's events, orders, chats"
    # Before: the search does find her (the test could fail).
    assert all(_files_containing(shop.data_dir, n) for n in _needles(maya))

    result = forget_customer(db, vectors, "C001")

    assert result.profile_deleted and result.conversations == 1
    assert result.deleted_rows["messages"] == 2 and result.deleted_rows["feedback"] == 1
    assert result.deleted_rows["drafts"] == 1 and result.deleted_rows["events"] == n_events
    assert result.orders_stripped == n_orders and result.vectors_deleted >= len(ingested)
    assert result.vacuumed
    with db.session() as s:
        assert s.get(Customer, "C001") is None and s.get(Conversation, "conv-maya") is None
        kept = list(s.scalars(select(Order).where(Order.customer_id.is_(None))))
        assert len(kept) >= n_orders and all(o.shipping_address == {} for o in kept)
        assert not [m for (m,) in s.execute(select(VectorChunk.meta)) if m.get("customer_id") == "C001"]
    assert vectors.collection("conversations").get(where={"customer_id": "C001"}, include=[])["ids"] == []
    db.engine.dispose()
    for needle in _needles(maya):
        assert _files_containing(shop.data_dir, needle) == [], needle
    # Other customers are untouched (and the search does see them).
    assert all(_files_containing(shop.data_dir, n) for n in _needles(daniel))

    with pytest.raises(UnknownCustomer):
        forget_customer(Database(shop), VectorStore(shop), "C001", vacuum=False)


def test_forget_customer_command(shop: Settings) -> None:
    env = {"SHOPASSIST_DATA_DIR": str(shop.data_dir), "SHOPASSIST_DEVICE": "cpu"}
    res = CliRunner().invoke(app, ["forget-customer", "C002", "--json"], env=env)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["customer_id"] == "C002" and out["profile_deleted"] is True
    res = CliRunner().invoke(app, ["forget-customer", "NOPE"], env=env)
    assert res.exit_code == 2 and "no customer 'NOPE'" in res.output


def _one_line_exit_2(env: dict[str, str], tmp_path: Path, setting: str) -> str:
    res = CliRunner().invoke(app, ["check"], env={"SHOPASSIST_DEVICE": "cpu", **env})
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and setting in lines[0] and "Traceback" not in res.output, res.output
    return lines[0]


def test_corrupt_database_is_one_line_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "shopassist.db").write_bytes(b"this is not an SQLite file" * 200)
    line = _one_line_exit_2({"SHOPASSIST_DATA_DIR": str(data)}, tmp_path, "SHOPASSIST_DATA_DIR")
    assert "not a database" in line


def test_unreadable_database_is_one_line_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "shopassist.db").mkdir(parents=True)  # a folder where the file should be: unreadable as a DB
    _one_line_exit_2({"SHOPASSIST_DATA_DIR": str(data)}, tmp_path, "SHOPASSIST_DATA_DIR")


def test_wrong_database_url_is_one_line_exit_2(tmp_path: Path) -> None:
    line = _one_line_exit_2(
        {"SHOPASSIST_DATA_DIR": str(tmp_path), "SHOPASSIST_DATABASE_URL": "postgresql+psycopg://shop:secret@127.0.0.1:1/x"},
        tmp_path,
        "SHOPASSIST_DATABASE_URL",
    )
    assert "secret" not in line  # the password is not printed


def test_unreachable_chroma_server_is_one_line_exit_2(tmp_path: Path) -> None:
    _one_line_exit_2(
        {"SHOPASSIST_DATA_DIR": str(tmp_path), "SHOPASSIST_CHROMA_HOST": "127.0.0.1", "SHOPASSIST_CHROMA_PORT": "1"},
        tmp_path,
        "SHOPASSIST_CHROMA_HOST",
    )


def test_unreachable_redis_is_named(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit_storage="redis://127.0.0.1:1")
    with pytest.raises(StartupError, match=r"^SHOPASSIST_RATE_LIMIT_STORAGE: "):
        check_rate_limit_storage(settings)


def test_checks_pass_on_a_good_store(shop: Settings) -> None:
    check_database(shop)
    assert open_vectors(shop).count("policies") > 0
