"""Fixtures shared by the assistant's retrieval / conversation / evaluation tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder


def shared_data_path() -> Path:
    """``../shared/data`` beside the checkout (override: SHOPASSIST_SHARED_DATA)."""
    override = os.environ.get("SHOPASSIST_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A demo shop built once per session; tests get private copies (conversations write to it)."""
    from assistant.demo.build import build_demo

    root = tmp_path_factory.mktemp("demo-template") / "data"
    build_demo(Settings(data_dir=root, device="cpu"))
    return root


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a private, writable copy of the demo shop."""
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    yield Settings(data_dir=target, device="cpu")


def _tuned(settings: Settings, **conversation: object) -> Settings:
    return settings.model_copy(update={"conversation": settings.conversation.model_copy(update=conversation)})


@pytest.fixture
def tuned() -> Callable[..., Settings]:
    """``tuned(settings, shop_name=..., recommendations_k=...)``: a copy with other conversation knobs."""
    return _tuned
