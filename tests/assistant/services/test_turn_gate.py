"""Turns of the extractive backend run a few at a time, first come first served (serve_turn_concurrency)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from assistant.config import Settings
from assistant.services import Services
from assistant.services.chat import ChatService, FairGate
from assistant.services.types import Caller, Forbidden, TurnResult


def _wait_for(cond: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_fair_gate_lets_waiters_in_in_arrival_order() -> None:
    gate = FairGate(1)
    gate.acquire()
    entered: list[int] = []

    def worker(i: int) -> None:
        with gate:
            entered.append(i)

    threads = []
    for i in range(8):
        t = threading.Thread(target=worker, args=(i,))
        t.start()
        _wait_for(functools.partial(lambda n: gate.waiting == n, i + 1))  # queued before the next starts
        threads.append(t)
    gate.release()
    for t in threads:
        t.join(10)
    assert entered == list(range(8))
    assert gate.in_use == 0 and gate.waiting == 0


def test_fair_gate_never_admits_more_than_its_slots() -> None:
    gate = FairGate(3)
    lock = threading.Lock()
    inside, peak = 0, 0

    def worker() -> None:
        nonlocal inside, peak
        for _ in range(20):
            with gate:
                with lock:
                    inside += 1
                    peak = max(peak, inside)
                time.sleep(0.0005)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak == 3 and gate.in_use == 0
    with pytest.raises(ValueError):
        FairGate(0)


def _count_concurrent_turns(services: Services) -> dict[str, int]:
    """Wrap the engine's turn to record how many run at once (the real turn still runs)."""
    engine = services.chat._engine()
    real = engine.stream
    lock = threading.Lock()
    seen = {"now": 0, "peak": 0, "turns": 0}

    def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        try:
            yield from real(*args, **kwargs)
        finally:
            with lock:
                seen["now"] -= 1
                seen["turns"] += 1

    engine.stream = stream  # type: ignore[method-assign]
    return seen


def test_concurrent_turns_of_the_chat_service_pass_the_gate(demo_copy: Settings) -> None:
    services = Services.build(demo_copy.model_copy(update={"serve_turn_concurrency": 2}))
    assert services.chat.turn_gate is not None and services.chat.turn_gate.slots == 2
    started = [services.chat.start() for _ in range(8)]
    seen = _count_concurrent_turns(services)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        s = started[i]
        try:
            me = Caller(conversation_token=s.conversation_token)
            results.append(services.chat.send(s.conversation_id, me, f"How long does shipping take? (ref {i})"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 8 and all(r.text and r.message_id for r in results)
    assert seen["turns"] == 8 and seen["peak"] <= 2


def test_a_streamed_turn_is_done_and_stored_before_its_items_are_read(demo_copy: Settings) -> None:
    services = Services.build(demo_copy.model_copy(update={"serve_turn_concurrency": 1}))
    chat = services.chat
    gate = chat.turn_gate
    assert gate is not None
    started = chat.start()
    me = Caller(conversation_token=started.conversation_token)
    with pytest.raises(Forbidden):  # checks still run when stream() is called, before any item
        chat.stream(started.conversation_id, Caller(conversation_token="wrong"), "Hello")
    items = chat.stream(started.conversation_id, me, "How long do I have to return an item?")
    first = next(items)
    assert isinstance(first, str) and first
    assert gate.in_use == 0  # a slow reader holds no slot
    history = chat.history(started.conversation_id, me)
    assert [m.role for m in history][-2:] == ["customer", "assistant"]  # stored before it was read out
    rest = list(items)
    final = rest[-1]
    assert isinstance(final, TurnResult)
    assert final.message_id == history[-1].id
    assert final.text.startswith((first + "".join(x for x in rest if isinstance(x, str))).strip())


def test_llm_backends_and_zero_are_not_gated(demo_copy: Settings) -> None:
    services = Services.build(demo_copy.model_copy(update={"serve_turn_concurrency": 0}))
    assert services.chat.turn_gate is None
    llm = demo_copy.model_copy(
        update={"answer_backend": "openai", "openai_base_url": "http://127.0.0.1:9/v1", "serve_turn_concurrency": 4}
    )
    chat = ChatService(llm, services.db, services.users, services.catalog, lambda: None, lambda: None)  # type: ignore[arg-type,return-value]
    assert chat.turn_gate is None
