"""Bad CLI input gives a clear message naming the option or file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_bad_options_name_the_option(tmp_path: Path) -> None:
    """Every operator option is checked before any data is read or model trained."""
    runner = CliRunner()
    base = ["--data", str(tmp_path), "--out", str(tmp_path / "r.json")]
    cases = {
        "--max-users": ["--max-users", "3"],
        "--epochs": ["--epochs", "0"],
        "--seed": ["--seed", "-1"],
        "--device": ["--device", "tpu"],
        "--out": ["--out", str(tmp_path / "r.txt")],
    }
    for option, extra in cases.items():
        args = [a for a in base if a not in ("--out", str(tmp_path / "r.json"))] if option == "--out" else base
        r = runner.invoke(app, [*args, *extra])
        assert r.exit_code == 2, (option, r.output)
        assert option in r.output and "Traceback" not in r.output, (option, r.output)
    r = runner.invoke(app, [*base, "--max-users", "ten"])
    assert r.exit_code == 2 and "--max-users" in r.output


def test_operator_options_reach_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--max-users / --no-cold-start / --no-sasrec-ours / --device / --no-progress are passed on as given."""
    from assistant.evaluation.recommend import run as run_module
    from assistant.interest.data import DataError

    seen: dict[str, object] = {}

    def fake_run(data: Path, settings: object, **kwargs: object) -> dict[str, object]:
        seen.update(kwargs, device=getattr(settings, "device", None))
        raise DataError("stop here")  # the report itself is tested with real data elsewhere

    monkeypatch.setattr(run_module, "run_evaluation", fake_run)
    args = ["--data", str(tmp_path), "--out", str(tmp_path / "r.json"), "--max-users", "50"]
    args += ["--no-cold-start", "--no-sasrec-ours", "--device", "cpu", "--no-progress", "--epochs", "2"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "stop here" in r.output
    assert seen == {
        "with_recbole": False,
        "epochs": 2,
        "seed": None,
        "progress": False,
        "max_users": 50,
        "cold_start": False,
        "sasrec_ours": False,
        "device": "cpu",
    }
