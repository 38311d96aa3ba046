"""Tests of the RecBole SASRec baseline wrapper.

The fast tests never create the RecBole venv: they use a fake venv whose ``bin/python`` is a shell
script. The real run (creates the venv, minutes) is ``slow`` and skipped if SHOPASSIST_SKIP_RECBOLE=1.
"""

from __future__ import annotations

import json
import os
import random
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.evaluation.recommend import recbole as rb
from assistant.evaluation.recommend.recbole import (
    RECBOLE_VERSION,
    VENV_REQUIREMENTS,
    RecBoleResult,
    build_config,
    cache_key,
    export_inter,
    run_sasrec_recbole,
)

SEQS = {"u1": ["a", "b", "c", "d", "e"], "u2": ["c", "a", "e", "b", "d", "a"], "u0": ["e", "d", "c", "b", "a"]}


@pytest.fixture(autouse=True)
def _never_build_venv(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Fast tests must not create the real venv (pip install); only ``slow`` tests may."""
    if request.node.get_closest_marker("slow") is None:

        def boom(*_a: object, **_k: object) -> None:
            raise AssertionError("a fast test tried to run pip / python3.11 -m venv")

        monkeypatch.setattr(rb, "_run_logged", boom)


def _fake_venv(tmp_path: Path, script: str) -> Path:
    """A 'venv' whose python is ``script`` (sh), marked ready so nothing is installed."""
    venv = tmp_path / "fake-venv"
    (venv / "bin").mkdir(parents=True)
    py = venv / "bin" / "python"
    py.write_text("#!/bin/sh\n" + script)
    py.chmod(py.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (venv / rb._MARKER).write_text(json.dumps({"requirements": list(VENV_REQUIREMENTS)}))
    return venv


RESULT = {
    "test_result": {"hit@10": 0.5, "ndcg@10": 0.25, "mrr@10": 0.125},
    "test_result_unmasked": {"hit@10": 0.4, "ndcg@10": 0.2, "mrr@10": 0.1},
    "stopped_by": "epoch cap",
    "best_valid_result": {"hit@10": 0.6, "ndcg@10": 0.3, "mrr@10": 0.2},
    "best_valid_score": 0.3,
    "train_seconds": 1.5,
    "epochs_run": 7,
    "best_epoch": 3,
}


def _ok_script(marker: Path) -> str:
    line = rb._RESULT_PREFIX + json.dumps(RESULT)
    return (
        f"touch '{marker}'\n"
        "echo 'epoch 0 training [time: 1.00s, train loss: 3.0]' >&2\n"
        "echo 'some stdout noise'\n"
        f"echo '{line}'\n"
    )


# ------------------------------------------------------------------------------------------- export


def test_export_header_and_order() -> None:
    text = export_inter(SEQS)
    lines = text.splitlines()
    assert lines[0] == "user_id:token\titem_id:token\ttimestamp:float"
    rows = [ln.split("\t") for ln in lines[1:]]
    assert len(rows) == sum(len(v) for v in SEQS.values())
    assert text.endswith("\n")
    for user, items in SEQS.items():
        mine = [r for r in rows if r[0] == user]
        assert [r[1] for r in mine] == items  # sequence order kept
        assert [float(r[2]) for r in mine] == list(range(len(items)))  # timestamp = position
    # users in input order, each contiguous
    assert [r[0] for r in rows] == [u for u, items in SEQS.items() for _ in items]


def test_export_keeps_repeats_and_stringifies() -> None:
    text = export_inter({"7": ["1", "1", "2"]})
    assert text.splitlines()[1:] == ["7\t1\t0", "7\t1\t1", "7\t2\t2"]


@pytest.mark.parametrize("bad", ["", "a\tb", "a\nb", " a"])
def test_export_rejects_bad_tokens(bad: str) -> None:
    with pytest.raises(ValueError):
        export_inter({"u": ["x", bad]})
    with pytest.raises(ValueError):
        export_inter({bad: ["x"]})


# ------------------------------------------------------------------------------------------- config


def test_config_protocol() -> None:
    cfg = build_config()
    assert cfg["eval_args"] == {
        "split": {"LS": "valid_and_test"},
        "order": "TO",
        "group_by": "user",
        "mode": "full",
    }
    assert cfg["metrics"] == ["Hit", "NDCG", "MRR"] and cfg["topk"] == [10]
    assert cfg["valid_metric"] == "NDCG@10"
    assert cfg["loss_type"] == "CE" and cfg["train_neg_sample_args"] is None
    assert (cfg["hidden_size"], cfg["n_layers"], cfg["n_heads"], cfg["MAX_ITEM_LIST_LENGTH"]) == (64, 2, 2, 50)
    assert cfg["epochs"] == 300 and cfg["stopping_step"] == 10
    assert cfg["user_inter_num_interval"] == "[0,inf)" and cfg["item_inter_num_interval"] == "[0,inf)"
    assert cfg["reproducibility"] is True and cfg["device"] == "cpu" and cfg["use_gpu"] is False
    assert cfg["show_progress"] is False
    assert build_config(epochs=3, seed=7)["epochs"] == 3 and build_config(seed=7)["seed"] == 7
    json.dumps(cfg)  # must be JSON-serialisable for the runner


def test_cache_key_changes_with_data_config_and_version() -> None:
    text = export_inter(SEQS)
    cfg = build_config()
    base = cache_key(text, cfg)
    assert base == cache_key(export_inter(dict(SEQS)), build_config())  # deterministic
    assert len(base) == 64
    other_order = {"u1": ["b", "a", "c", "d", "e"], **{k: v for k, v in SEQS.items() if k != "u1"}}
    assert cache_key(export_inter(other_order), cfg) != base
    assert cache_key(export_inter({**SEQS, "u9": ["a", "b", "c"]}), cfg) != base
    assert cache_key(text, build_config(epochs=5)) != base
    assert cache_key(text, build_config(seed=1)) != base
    assert cache_key(text, cfg, "9.9.9") != base
    assert cache_key(text, cfg, RECBOLE_VERSION) == base


def test_convert_metrics() -> None:
    assert rb._convert_metrics({"hit@10": 0.5, "ndcg@10": 0.25, "mrr@10": 0.1}) == {
        "hr@10": 0.5,
        "ndcg@10": 0.25,
        "mrr@10": 0.1,
    }
    assert rb._convert_metrics(None) is None
    with pytest.raises(ValueError):
        rb._convert_metrics({"ndcg@10": 0.1})


# -------------------------------------------------------------------------------------------- runs


def test_run_parses_result_streams_stderr_and_caches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ran = tmp_path / "ran"
    venv = _fake_venv(tmp_path, _ok_script(ran))
    cache = tmp_path / "cache"
    res = run_sasrec_recbole(SEQS, cache, epochs=3, venv_dir=venv)
    assert res == RecBoleResult(
        metrics={"hr@10": 0.5, "ndcg@10": 0.25, "mrr@10": 0.125},
        valid_metrics={"hr@10": 0.6, "ndcg@10": 0.3, "mrr@10": 0.2},
        train_seconds=1.5,
        epochs_run=7,
        cached=False,
        error=None,
        stopped_by="epoch cap",
        unmasked_metrics={"hr@10": 0.4, "ndcg@10": 0.2, "mrr@10": 0.1},
    )
    assert not res.converged
    assert ran.exists()
    assert "[recbole] epoch 0 training" in capsys.readouterr().err

    key = cache_key(export_inter(SEQS), build_config(epochs=3))
    cache_file = cache / f"sasrec-{key}.json"
    stored = json.loads(cache_file.read_text())
    assert stored["metrics"] == res.metrics and stored["best_epoch"] == 3
    # the run dir got the atomic file and the config with absolute paths
    run_dir = Path(stored["run_dir"])
    inter = run_dir / "dataset" / rb.DATASET_NAME / f"{rb.DATASET_NAME}.inter"
    assert inter.read_text() == export_inter(SEQS)
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["data_path"] == str(run_dir / "dataset") and cfg["epochs"] == 3
    assert cfg["shopassist"]["max_train_seconds"] is None
    assert cfg["shopassist"]["last_checkpoint"] == str(run_dir / "saved" / "last.pth")

    # cache hit: nothing runs
    ran.unlink()
    hit = run_sasrec_recbole(SEQS, cache, epochs=3, venv_dir=venv)
    assert hit.cached and hit.metrics == res.metrics and hit.epochs_run == 7 and not ran.exists()
    # the evaluation's lookup without --with-recbole: the same result, or None for another config
    looked = rb.cached_sasrec_recbole(SEQS, cache, epochs=3)
    assert looked is not None and looked.cached and looked.metrics == res.metrics and not ran.exists()
    assert rb.cached_sasrec_recbole(SEQS, cache, epochs=5) is None and not ran.exists()
    # another config misses the cache
    miss = run_sasrec_recbole(SEQS, cache, epochs=4, venv_dir=venv)
    assert not miss.cached and ran.exists()
    # an unconverged cached result runs again only when asked to resume
    ran.unlink()
    assert run_sasrec_recbole(SEQS, cache, epochs=3, venv_dir=venv).cached and not ran.exists()
    again = run_sasrec_recbole(SEQS, cache, epochs=3, venv_dir=venv, resume=True)
    assert not again.cached and ran.exists()


def test_cache_hit_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    key = cache_key(export_inter(SEQS), build_config(seed=5))
    (cache / f"sasrec-{key}.json").write_text(
        json.dumps(
            {"metrics": {"hr@10": 0.1, "ndcg@10": 0.05, "mrr@10": 0.02}, "valid_metrics": None}
            | {"train_seconds": 12.0, "epochs_run": 4, "stopped_by": "early stopping", "protocol": rb.PROTOCOL}
        )
    )

    def no(*_a: object, **_k: object) -> None:
        raise AssertionError("cache hit must not run anything")

    monkeypatch.setattr(rb, "ensure_recbole_venv", no)
    monkeypatch.setattr(rb, "_run_recbole", no)
    res = run_sasrec_recbole(SEQS, cache, seed=5, resume=True)  # converged: resume has nothing to do
    assert res == RecBoleResult(
        metrics={"hr@10": 0.1, "ndcg@10": 0.05, "mrr@10": 0.02},
        valid_metrics=None,
        train_seconds=12.0,
        epochs_run=4,
        cached=True,
        error=None,
    )
    assert res.converged


def test_cache_from_an_older_protocol_is_not_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    key = cache_key(export_inter(SEQS), build_config())
    old = {"metrics": {"hr@10": 0.1, "ndcg@10": 0.05, "mrr@10": 0.02}, "train_seconds": 1.0, "epochs_run": 4}
    (cache / f"sasrec-{key}.json").write_text(json.dumps(old | {"stopped_by": "early stopping"}))
    assert rb._from_cache(cache / f"sasrec-{key}.json") is None


def test_recbole_failure_is_an_error_not_an_exception(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, "echo 'Traceback: ValueError: boom in recbole' >&2\nexit 3\n")
    res = run_sasrec_recbole(SEQS, tmp_path / "cache", venv_dir=venv)
    assert res.metrics is None and res.valid_metrics is None and not res.cached
    assert res.error is not None and "exit 3" in res.error and "boom in recbole" in res.error
    assert not list((tmp_path / "cache").glob("sasrec-*.json"))  # failures aren't cached


def test_missing_result_line_is_an_error(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, "echo 'no result here'\n")
    res = run_sasrec_recbole(SEQS, tmp_path / "cache", venv_dir=venv)
    assert res.metrics is None and res.error is not None and "no result here" in res.error


def test_timeout_is_an_error(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, "echo 'epoch 0 started' >&2\nexec sleep 30\n")
    res = run_sasrec_recbole(SEQS, tmp_path / "cache", venv_dir=venv, timeout_s=1.0)
    assert res.metrics is None and res.error is not None
    assert "timed out" in res.error and "epoch 0 started" in res.error


def test_venv_failure_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(cmd: list[str], what: str, timeout_s: float) -> None:
        raise RuntimeError(f"{what} failed (exit 1): ERROR: No matching distribution found for recbole")

    monkeypatch.setattr(rb, "_run_logged", fail)
    res = run_sasrec_recbole(SEQS, tmp_path / "cache", venv_dir=tmp_path / "venv")
    assert res.metrics is None and res.error is not None
    assert "RecBole venv unavailable" in res.error and "No matching distribution" in res.error


def test_ready_venv_installs_nothing(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, "exit 0\n")
    assert rb.ensure_recbole_venv(venv) == venv.absolute() / "bin" / "python"  # _run_logged would raise


def test_stale_marker_reinstalls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = _fake_venv(tmp_path, "exit 0\n")
    (venv / rb._MARKER).write_text(json.dumps({"requirements": ["recbole==0.1"]}))
    calls: list[str] = []
    monkeypatch.setattr(rb, "_run_logged", lambda cmd, what, timeout_s: calls.append(what))
    rb.ensure_recbole_venv(venv)
    assert calls == ["pip install of RecBole", "RecBole import check"]  # venv exists: no re-create
    assert json.loads((venv / rb._MARKER).read_text()) == {"requirements": list(VENV_REQUIREMENTS)}


# -------------------------------------------------------------------------------------------- real

def real_recbole(test: Callable[..., None]) -> Callable[..., None]:
    """The marks of a test that runs the real RecBole venv (created on first use: minutes)."""
    skip = pytest.mark.skipif(os.environ.get("SHOPASSIST_SKIP_RECBOLE") == "1", reason="SHOPASSIST_SKIP_RECBOLE=1")
    for mark in (pytest.mark.slow, skip, pytest.mark.timeout(3600)):
        test = mark(test)
    return test


def _tiny(seed: int) -> tuple[dict[str, list[str]], Path | None]:
    """30 users × 20 items of random sequences, and the RecBole venv to use (None: the default one)."""
    rng = random.Random(seed)
    seqs = {f"u{u}": [f"i{rng.randrange(20)}" for _ in range(rng.randrange(5, 12))] for u in range(30)}
    venv_env = os.environ.get("SHOPASSIST_RECBOLE_VENV")
    return seqs, Path(venv_env) if venv_env else None


@real_recbole
def test_real_tiny_run(tmp_path: Path) -> None:
    """Creates (or reuses) the real RecBole venv and trains SASRec for 2 epochs on 30 users × 20 items."""
    seqs, venv = _tiny(0)
    res = run_sasrec_recbole(seqs, tmp_path / "cache", epochs=2, venv_dir=venv, timeout_s=1200)
    assert res.error is None, res.error
    assert res.metrics is not None and set(res.metrics) == {"hr@10", "ndcg@10", "mrr@10"}
    assert res.valid_metrics is not None and set(res.valid_metrics) == {"hr@10", "ndcg@10", "mrr@10"}
    for m in (res.metrics, res.valid_metrics):
        assert 0.0 <= m["mrr@10"] <= m["ndcg@10"] <= m["hr@10"] <= 1.0
    assert res.epochs_run == 2 and res.train_seconds > 0 and not res.cached and res.stopped_by == "epoch cap"
    assert res.unmasked_metrics is not None
    stored = json.loads(next((tmp_path / "cache").glob("sasrec-*.json")).read_text())
    # our re-ranking without the mask reproduces RecBole's own test figures
    check = rb._convert_metrics(stored["unmasked_check"])
    assert check is not None and check == pytest.approx(res.unmasked_metrics, abs=1e-6)
    again = run_sasrec_recbole(seqs, tmp_path / "cache", epochs=2, venv_dir=venv)
    assert again.cached and again.metrics == res.metrics


@real_recbole
def test_real_budget_then_resume(tmp_path: Path) -> None:
    """A zero budget stops after one epoch; resuming continues from that snapshot to the epoch cap."""
    seqs, venv = _tiny(1)
    first = run_sasrec_recbole(seqs, tmp_path / "cache", epochs=3, venv_dir=venv, max_train_seconds=0.0)
    assert first.error is None, first.error
    assert first.stopped_by == "time budget" and first.epochs_run == 1 and not first.converged
    assert run_sasrec_recbole(seqs, tmp_path / "cache", epochs=3, venv_dir=venv).cached  # no resume: cached
    second = run_sasrec_recbole(seqs, tmp_path / "cache", epochs=3, venv_dir=venv, resume=True)
    assert second.error is None, second.error
    assert second.stopped_by == "epoch cap" and second.epochs_run == 3 and not second.cached
    assert second.train_seconds > first.train_seconds
