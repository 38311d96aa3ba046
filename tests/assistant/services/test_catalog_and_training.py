"""Ingestion refreshes what depends on the data; training is one implementation for CLI and admin page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from assistant.config import Settings
from assistant.services import Services
from assistant.services.types import Caller, Invalid, NotFound

NEW_PRODUCT = {
    "product_id": "JP-900",
    "name": "Ember Titanium Spork",
    "category": "Camp Kitchen",
    "brand": "Juniper & Pine",
    "description": "A 17 g titanium spork with a serrated edge for camp cooking and backpacking meals.",
    "price": 14.0,
    "tags": ["titanium", "spork", "cutlery", "camp kitchen", "ultralight"],
}
ASK = "a titanium spork for camp cooking"


def _no_progress(*_args: Any, **_kwargs: Any) -> None:
    return None


def test_a_product_ingested_through_the_admin_page_is_recommendable_without_a_restart(
    demo_copy: Settings, tmp_path: Path
) -> None:
    from ui.admin import run_ingest

    services = Services.build(demo_copy)
    interest = services.interest
    _ = services.assistant  # the chat engine is loaded, as in a running server
    assert "JP-900" not in interest.catalog.index
    before = [r.product_id for r in interest.recommend(None, chat_text=ASK, k=5)]
    assert "JP-900" not in before

    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([NEW_PRODUCT]))
    report, rejected = run_ingest(services, [catalog], "auto", _no_progress)  # the admin page's own path
    assert "Ingested." in report and not rejected

    assert services.interest is interest  # the same loaded service, refreshed in place
    assert "JP-900" in interest.catalog.index
    assert "JP-900" in [r.product_id for r in interest.recommend(None, chat_text=ASK, k=5)]
    # And through the chat, as a customer would see it.
    started = services.chat.start()
    me = Caller(conversation_token=started.conversation_token)
    turn = services.chat.send(started.conversation_id, me, f"Do you sell {ASK}?")
    shown = [r.product_id for r in turn.recommendations] + [p.product_id for p in turn.products]
    assert "JP-900" in shown, (turn.text, shown)


def test_a_dry_run_or_an_unchanged_file_refreshes_nothing(demo_copy: Settings, tmp_path: Path) -> None:
    services = Services.build(demo_copy)
    interest = services.interest
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([NEW_PRODUCT]))
    services.catalog.ingest([catalog], dry_run=True)
    assert "JP-900" not in interest.catalog.index
    services.catalog.ingest([catalog])
    vectors_before = interest.item_vecs
    services.catalog.ingest([catalog])  # same content: nothing written, nothing reloaded
    assert interest.item_vecs is vectors_before


def test_training_is_shared_by_the_cli_and_the_admin_page(demo_copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.interest.commands import train as train_command

    services = Services.build(demo_copy)
    assert services.training.checkpoints() == []
    with pytest.raises(NotFound):
        services.training.evaluate()

    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(demo_copy.data_dir))
    monkeypatch.setenv("SHOPASSIST_DEVICE", "cpu")
    from assistant.config import get_settings

    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(train_command)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(app, ["train", "--epochs", "1"])
    assert out.exit_code == 0, out.output
    assert "validation NDCG@10" in out.output
    [cli_ckpt] = services.training.checkpoints()

    result = services.training.train(epochs=1, activate=True)  # what the admin page runs
    assert result.checkpoint.is_file() and result.activated and "score" in result.best_valid
    assert services.training.active() == result.checkpoint
    assert services.interest.mode == "trained"
    metrics = services.training.evaluate()
    assert 0.0 <= metrics["behavior_ndcg@10"] <= 1.0 and "saved_score" in metrics

    services.training.activate(cli_ckpt.path)
    assert services.training.active() == cli_ckpt.path
    assert [c.active for c in services.training.checkpoints()].count(True) == 1
    with pytest.raises(Invalid):
        services.training.train(model="nope")
