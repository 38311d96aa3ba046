"""The command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPASSIST_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def test_help_lists_the_subcommands() -> None:
    out = run_cli("--help")
    assert out.returncode == 0, out.stderr
    for command in ("demo", "serve", "ingest", "stats", "config"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["demo", "serve", "ingest", "stats", "remove-source", "config"])
def test_each_subcommand_has_help(command: str) -> None:
    out = run_cli(command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_config_show_json_reflects_the_environment(tmp_path: Path) -> None:
    out = run_cli("config", "show", "--json", env={"SHOPASSIST_DATA_DIR": str(tmp_path), "SHOPASSIST_DEVICE": "cpu"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["data_dir"] == str(tmp_path)
    assert data["device"] == "cpu"
    assert data["chroma"] == str(tmp_path / "chroma")
    assert data["openai_api_key"] == "**********"


def test_invalid_setting_exits_with_a_message_naming_it(tmp_path: Path) -> None:
    out = run_cli("config", "show", env={"SHOPASSIST_DEVICE": "quantum"})
    assert out.returncode == 2
    assert "SHOPASSIST_DEVICE" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
