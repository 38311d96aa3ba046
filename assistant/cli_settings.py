"""Settings for command-line entry points: a bad value ends the command with its message, exit 2."""

from __future__ import annotations

import typer
from rich.console import Console

from assistant.config import ConfigError, Settings, load_settings


def settings_or_exit() -> Settings:
    """Load the settings, or print the setting that is wrong and exit with status 2 (no traceback)."""
    try:
        return load_settings()
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
