"""Bad CLI input gives a clear message naming the option or file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from assistant.interest.commands import evaluate_recommend

app = typer.Typer()
app.command()(evaluate_recommend)


def test_missing_dir_wrong_format_and_empty_data(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r.json")])
    assert r.exit_code == 2 and "no such directory" in r.output
    r = runner.invoke(app, ["--data", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "r.json")])
    assert r.exit_code == 2 and "amazon-lcrec" in r.output
    (tmp_path / "X.inter.json").write_text("{}")
    (tmp_path / "X.item.json").write_text(json.dumps({"1": {"title": "t"}}))
    r = runner.invoke(app, ["--data", str(tmp_path), "--out", str(tmp_path / "r.json")])
    assert r.exit_code == 2 and "X.inter.json" in r.output and "Traceback" not in r.output
