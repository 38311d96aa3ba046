"""Every ``>>>`` example in the package docstrings runs and prints what it says.

The examples are the first thing a reader copies; an example that no longer works is a defect
like any other. Examples that need a running shop or a model server are marked ``+SKIP`` where
they are written.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import assistant
import ingest


def _modules() -> list[str]:
    names = []
    for package in (assistant, ingest):
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if ".migrations" not in info.name:  # Alembic scripts run inside a migration context only
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
