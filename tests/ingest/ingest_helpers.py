"""Helpers shared by the ingestion tests (imported by module name: tests have no packages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "assistant" / "demo" / "data"


def shared_data_path() -> Path:
    """``../shared/data`` beside the repository (override: SHOPASSIST_SHARED_DATA); one definition."""
    from tests.conftest import shared_data_dir

    return shared_data_dir()


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def conversation(i: int, *, turns: int = 2, text: str = "") -> dict[str, Any]:
    body = []
    for t in range(turns):
        role = "customer" if t % 2 == 0 else "agent"
        body.append({"role": role, "text": text or f"{role} message {t} about order #A{i:04d} and its delivery"})
    return {"conversation_id": f"c{i}", "intent": "delivery", "resolution": "resolved",
            "customer_id": f"C{i % 7}", "turns": body}
