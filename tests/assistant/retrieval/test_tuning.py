"""``shopassist tune fusion`` on a small real collection (real Chroma, real MiniLM)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.retrieval.hybrid import serving
from assistant.retrieval.tuning import Pair, collect, grid, hit, parse_pairs, ranking, shop_retriever, tune_fusion
from assistant.vectors import VectorStore
from ingest.chunking import chunk_record
from ingest.records import PolicyPassage

POLICIES = {
    "Refunds": "Refunds reach your card within 5 business days after the return arrives at our warehouse.",
    "Returns": "You can send an item back within 30 days. Use the prepaid label in the parcel.",
    "Shipping": "Standard delivery takes 3 to 5 days; express arrives the next working day.",
    "Warranty": "Appliances carry a two year warranty covering defects, not wear or misuse.",
    "Gift cards": "Gift cards never expire and can be spent on anything except other gift cards.",
    "Price match": "If you find it cheaper elsewhere within 14 days, form PM-7731 gets you the difference.",
    "Damaged parcels": "Photograph the box before opening it and write to us within 48 hours.",
    "Student discount": "Students get 10% off with a valid card, code STU-4410 at checkout.",
}
QUESTIONS = [
    ("when will my money be back on my card", "Refunds"),
    ("how many days do I have to return something", "Returns"),
    ("how fast is delivery", "Shipping"),
    ("my blender broke after a year, is that covered", "Warranty"),
    ("do gift vouchers run out", "Gift cards"),
    ("what is PM-7731", "Price match"),
    ("the box arrived crushed", "Damaged parcels"),
    ("STU-4410", "Student discount"),
    ("where do I find form PM-7731", "Price match"),
    ("is there a deal for people at university", "Student discount"),
]


@pytest.fixture
def store(settings: Settings, embedder: Embedder) -> VectorStore:
    vs = VectorStore(settings, embedder=embedder)
    records = [PolicyPassage(doc="p.md", title=t, section=i, text=x) for i, (t, x) in enumerate(POLICIES.items())]
    chunks = [c for r in records for c in chunk_record(r, source="shop")]
    vs.upsert("policies", [c.id for c in chunks], [c.text for c in chunks], [c.metadata for c in chunks])
    return vs


def _pairs() -> list[Pair]:
    return [Pair(q, frozenset({title})) for q, title in QUESTIONS]


def test_pairs_file_errors_name_the_file_and_line() -> None:
    ok = parse_pairs(['{"question": "q", "expected": ["a", "b"], "collection": "reviews", "where": {"p": 1}}'], "f")
    assert ok[0].expected == {"a", "b"} and ok[0].collection == "reviews" and ok[0].where == {"p": 1}
    for line, message in [
        ("{oops", "f:2: not JSON"),
        ('{"expected": "a"}', "f:2: field 'question'"),
        ('{"question": "q", "expected": []}', "f:2: field 'expected'"),
        ('{"question": "q", "expected": "a", "collection": "tickets"}', "f:2: field 'collection'"),
        ('{"question": "q", "expected": "a", "where": "x"}', "f:2: field 'where'"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_pairs(["", line], "f")
    with pytest.raises(ValueError, match="no pairs"):
        parse_pairs(["  "], "f")


def test_tuning_scores_every_setting_with_the_served_fusion_and_picks_one_no_worse_than_either_ranker(
    store: VectorStore, settings: Settings
) -> None:
    # a shop serving RRF at weight 0 (BM25's order): the paraphrased questions miss
    poor = {"fusion_method": "rrf", "fusion_weight": 0.0}
    conf = settings.model_copy(update={"conversation": settings.conversation.model_copy(update=poor)})
    retriever = shop_retriever(conf, store)
    pairs = _pairs()
    report = tune_fusion(retriever, pairs, k=1, folds=5)
    assert report["pairs"] == 10 and report["answerable"] == 10 and report["metric"] == "hit@1"
    lists = [collect(retriever, p) for p in pairs]
    # every setting the tuning scores orders the records exactly as the served retriever does
    for method, settings_ in grid().items():
        for setting in settings_:
            update = {"fusion": method, "fusion_weight": setting[1], "sharpness": setting[2]}
            served = retriever.model_copy(update=update)
            for p, x in zip(pairs, lists, strict=True):
                assert [r.id for r in served.search(p.question, k=3)] == ranking(x, setting, 10, 3), (setting, p)
    # the figures of single rankers are those of the retriever's own modes
    for mode in ("embedding", "bm25"):
        tops = [retriever.search(p.question, mode=mode, k=1) for p in pairs]
        want = sum(bool(t) and t[0].metadata["title"] in p.expected for t, p in zip(tops, pairs, strict=True))
        assert report[mode] == pytest.approx(want / 10)
    # the exact codes are BM25's, the paraphrases the embedding's: neither alone answers everything
    assert report["bm25"] < 1.0 and report["embedding"] < 1.0
    chosen = report["chosen"]["setting"]
    setting = (chosen["fusion_method"], chosen["fusion_weight"], chosen.get("fusion_sharpness", 1.0))
    in_sample = sum(hit(x, ranking(x, setting, 10, 1)) for x in lists) / 10
    # what the tuning computed is what the retriever serves at that setting
    assert report["chosen"]["hit_in_sample"] == pytest.approx(in_sample)
    # the chosen setting is the best of its fusion's grid on these pairs, so no worse than either ranker
    best = max(sum(hit(x, ranking(x, s, 10, 1)) for x in lists) / 10 for s in grid()[setting[0]])
    assert in_sample == pytest.approx(best) and in_sample >= max(report["bm25"], report["embedding"])
    assert report["configured"]["setting"] == {"fusion_method": "rrf", "fusion_weight": 0.0}
    assert report["configured"]["hit"] == pytest.approx(report["bm25"])
    assert report["configured"]["hit"] < report["chosen"]["hit_in_sample"]
    assert f"SHOPASSIST_CONVERSATION__FUSION_WEIGHT={setting[1]}" in report["chosen"]["env"]
    assert set(report["cv"]) == {"rrf", "adaptive"}


def test_the_command_prints_the_figures_and_the_settings(
    store: VectorStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SHOPASSIST_DEVICE", "cpu")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps({"question": q, "expected": t}) for q, t in QUESTIONS), encoding="utf-8")
    out = tmp_path / "tuned.json"
    result = CliRunner().invoke(app, ["tune", "fusion", "--pairs", str(pairs), "--k", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SHOPASSIST_CONVERSATION__FUSION_METHOD=" in result.output and "bm25 alone" in result.output
    assert json.loads(out.read_text())["pairs"] == 10
    assert serving(Settings(data_dir=settings.data_dir)) == serving(Settings())  # the command changes nothing
    pairs.write_text('{"question": "q", "expected": "Refunds"}\n{"question": ""}\n', encoding="utf-8")
    bad = CliRunner().invoke(app, ["tune", "fusion", "--pairs", str(pairs)])
    assert bad.exit_code == 2 and "pairs.jsonl:2" in bad.output
