"""Amazon Office end to end with reduced epochs: the fused model beats text-only and behavior-only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import Settings


def _office_dir() -> Path:
    override = os.environ.get("SHOPASSIST_SHARED_DATA")
    root = Path(override) if override else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    return root / "amazon-office"


@pytest.mark.slow
def test_office_fused_beats_text_only_and_behavior_only(tmp_path: Path) -> None:
    data_dir = _office_dir()
    if not (data_dir / "Office.inter.json").is_file():
        pytest.skip(f"Amazon Office data not found at {data_dir} (set SHOPASSIST_SHARED_DATA)")
    from assistant.evaluation.recommend.run import run_evaluation

    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    report = run_evaluation(data_dir, settings, epochs=10, progress=False, sasrec_ours=False)
    for variant in ("leaf", "parent", "paraphrase", "mixed"):
        chat = report["chat_aware"][variant]
        assert chat["ours_online"]["ndcg@10"] > chat["text_only"]["ndcg@10"]
        assert chat["ours_online"]["ndcg@10"] > chat["ours_behavior"]["ndcg@10"]
        assert all(0.5 < m["auc"] <= 1.0 for m in chat.values())
    cold = report["cold_start"]
    assert cold["n_users"] > 0 and cold["leaf"]["ours_online"]["ndcg@10"] > cold["leaf"]["ours_behavior"]["ndcg@10"]
    assert report["next_item"]["sasrec_recbole"] is None and report["meta"]["absent"]["sasrec_recbole"]
