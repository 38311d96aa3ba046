"""Helpers shared by the ingestion tests (imported by module name: tests have no packages)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "assistant" / "demo" / "data"


def shared_data_path() -> Path:
    """``../shared/data`` beside the repository (override: SHOPASSIST_SHARED_DATA)."""
    override = os.environ.get("SHOPASSIST_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def conversation(i: int, *, turns: int = 2, text: str = "") -> dict[str, Any]:
    body = []
    for t in range(turns):
        role = "customer" if t % 2 == 0 else "agent"
        body.append({"role": role, "text": text or f"{role} message {t} about order #A{i:04d} and its delivery"})
    return {"conversation_id": f"c{i}", "intent": "delivery", "resolution": "resolved",
            "customer_id": f"C{i % 7}", "turns": body}
