"""The dependency directions of pyproject.toml's import-linter contracts, enforced from pytest too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[dev]'")
    return subprocess.run([exe, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    out = _lint_imports()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_a_broken_contract_fails(tmp_path: Path) -> None:
    """The checker does see imports: forbidding one the API really makes must fail."""
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_packages =\n    assistant\n    ingest\n    ui\n\n"
        "[importlinter:contract:probe]\nname = probe\ntype = forbidden\n"
        "source_modules =\n    assistant.api\nforbidden_modules =\n    assistant.services\n"
    )
    out = _lint_imports("--config", str(config))
    assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout


def test_no_store_import_under_ui_and_no_ui_import_under_the_api() -> None:
    for path in (REPO_ROOT / "ui").rglob("*.py"):
        text = path.read_text()
        assert "assistant.store" not in text and "assistant.api" not in text, path
    for path in (REPO_ROOT / "assistant" / "api").rglob("*.py"):
        assert "from ui" not in path.read_text() and "import ui" not in path.read_text(), path
