"""``shopassist evaluate dialogues``: the suite format, each check kind, and the runner on the demo shop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.config import Settings
from assistant.evaluation.dialogues.checks import MISSING, PIIIndex, TurnContext, han_share, run_check
from assistant.evaluation.dialogues.report import markdown_report
from assistant.evaluation.dialogues.suite import CHECK_KINDS, ItemChecks, SuiteError, load_suite, parse_suite

# --- suite validation -------------------------------------------------------------------------


def _problems(text: str) -> list[str]:
    with pytest.raises(SuiteError) as info:
        parse_suite(text, "s.jsonl")
    return info.value.problems


def test_valid_suite_parses_with_line_numbers_and_checks_in_order() -> None:
    text = "\n".join(
        [
            json.dumps({"id": "a", "turns": [{"say": "hi"}]}),
            "",
            json.dumps(
                {
                    "id": "b",
                    "shop": "demo",
                    "signed_in": "C001",
                    "note": "n",
                    "turns": [{"say": "x", "expect": {"no_foreign_pii": True, "contains_any": ["y"]}}],
                }
            ),
        ]
    )
    suite = parse_suite(text, "s.jsonl")
    assert [d.id for d in suite.dialogues] == ["a", "b"]
    assert [d.line for d in suite.dialogues] == [1, 3]
    assert suite.dialogues[1].signed_in == "C001"
    expect = suite.dialogues[1].turns[0].expect
    assert expect is not None
    assert [k for k, _ in expect.checks()] == ["contains_any", "no_foreign_pii"]
    assert suite.turn_count == 2 and suite.check_count == 2


def test_shared_demo_suite_is_valid() -> None:
    path = Path(__file__).resolve().parents[4] / "shared" / "dialogues" / "demo-shop.jsonl"
    if not path.is_file():
        pytest.skip(f"no shared suite at {path}")
    suite = load_suite(path)
    used = {k for d in suite.dialogues for t in d.turns if t.expect for k, _ in t.expect.checks()}
    assert used == set(CHECK_KINDS)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ({"id": "d", "turns": [{"say": "hi", "expect": {"langage": "en"}}]}, "field turns[0].expect.langage"),
        ({"id": "d", "turns": [{"say": "hi", "expect": {"language": "fr"}}]}, "field turns[0].expect.language"),
        ({"id": "d", "turns": [{"say": "hi", "expect": {"asks_identity": "yes"}}]}, "turns[0].expect.asks_identity"),
        ({"id": "d", "turns": [{"say": "hi", "expect": {"contains_any": []}}]}, "turns[0].expect.contains_any"),
        ({"id": "d", "turns": [{"say": "hi", "expect": {"contains_any": "x"}}]}, "turns[0].expect.contains_any"),
        ({"id": "d", "turns": [{"say": "", "expect": {}}]}, "field turns[0].say"),
        ({"id": "d", "turns": []}, "field turns"),
        ({"turns": [{"say": "hi"}]}, "field id"),
        ({"id": "d", "turns": [{"say": "a"}, {"say": "b", "expect": {"products": {}}}]}, "turns[1].expect.products"),
        (
            {"id": "d", "turns": [{"say": "a", "expect": {"recs": {"max_price": "cheap"}}}]},
            "field turns[0].expect.recs.max_price",
        ),
        (
            {"id": "d", "turns": [{"say": "a", "expect": {"products": {"min_count": 3, "max_count": 1}}}]},
            "turns[0].expect.products: min_count is above max_count",
        ),
        ({"id": "d", "turns": [{"say": "a", "expect": {"no_foreign_pii": False}}]}, "expect.no_foreign_pii"),
        ({"id": "d", "signed_in": 7, "turns": [{"say": "a"}]}, "field signed_in"),
    ],
)
def test_malformed_line_is_reported_by_number_and_field(line: dict[str, Any], needle: str) -> None:
    good = json.dumps({"id": "ok", "turns": [{"say": "hello"}]})
    problems = _problems(good + "\n" + good.replace('"ok"', '"ok2"') + "\n" + json.dumps(line))
    assert len(problems) == 1, problems
    assert problems[0].startswith("s.jsonl line 3, field "), problems
    assert needle in problems[0]


def test_invalid_json_and_duplicate_ids_name_their_lines() -> None:
    good = json.dumps({"id": "a", "turns": [{"say": "hello"}]})
    problems = _problems(good + "\n{not json\n" + good + "\n[1]")
    assert problems[0].startswith("s.jsonl line 2: not valid JSON")
    assert problems[1] == "s.jsonl line 3, field id: duplicate id 'a' (first on line 1)"
    assert problems[2].startswith("s.jsonl line 4: a dialogue must be a JSON object")
    assert _problems("\n\n") == ["s.jsonl: the suite holds no dialogue"]


def test_cli_rejects_a_malformed_suite_with_line_and_field(tmp_path: Path) -> None:
    import typer

    from assistant.evaluation.dialogues import command

    app = typer.Typer()
    app.command()(command.evaluate_dialogues)
    suite = tmp_path / "bad.jsonl"
    suite.write_text(
        json.dumps({"id": "a", "turns": [{"say": "hi"}]})
        + "\n"
        + json.dumps({"id": "b", "turns": [{"say": "hi", "expect": {"handoff": "maybe"}}]})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, [str(suite)])
    assert result.exit_code == 2
    assert "bad.jsonl line 2, field turns[0].expect.handoff" in result.output


# --- the checks, one kind at a time -----------------------------------------------------------


def _check(kind: str, expected: Any, turn: dict[str, Any], ctx: TurnContext | None = None) -> tuple[bool, str]:
    result = run_check(kind, expected, turn, ctx or TurnContext())
    return result.passed, result.got


REPLY = {"text": "You have 30 Days to return boots; return shipping costs $6.95.", "citations": []}


def test_contains_any() -> None:
    assert _check("contains_any", ["30 days", "thirty"], REPLY)[0]
    assert not _check("contains_any", ["14 days", "thirty"], REPLY)[0]
    assert _check("contains_any", ["x"], {"citations": []}) == (False, MISSING)


def test_contains_all() -> None:
    assert _check("contains_all", ["30 DAYS", "6.95"], REPLY)[0]
    passed, got = _check("contains_all", ["30 days", "free"], REPLY)
    assert not passed and "'free'" in got
    assert _check("contains_all", ["x"], {}) == (False, MISSING)


def test_not_contains() -> None:
    assert _check("not_contains", ["only help with questions", "#JP"], REPLY)[0]
    passed, got = _check("not_contains", ["zebra", "RETURN BOOTS"], REPLY)
    assert not passed and "RETURN BOOTS" in got
    assert _check("not_contains", ["x"], {}) == (False, MISSING)


def test_cites_any_matches_title_or_collection() -> None:
    turn = {"text": "...", "citations": [{"title": "Returns & refunds", "collection": "policies", "source": "demo"}]}
    assert _check("cites_any", ["returns"], turn)[0]
    assert _check("cites_any", ["POLICIES"], turn)[0]
    assert not _check("cites_any", ["Shipping", "demo"], turn)[0]  # the source is not matched
    assert not _check("cites_any", ["Returns"], {"text": "...", "citations": []})[0]
    assert _check("cites_any", ["Returns"], {"text": "..."}) == (False, MISSING)


def test_asks_identity() -> None:
    assert _check("asks_identity", True, {"asks_identity": True})[0]
    assert not _check("asks_identity", True, {"asks_identity": False})[0]
    assert _check("asks_identity", False, {"asks_identity": False})[0]
    assert not _check("asks_identity", False, {"asks_identity": True})[0]
    assert _check("asks_identity", False, {"text": "hi"}) == (False, MISSING)


def test_handoff() -> None:
    assert _check("handoff", True, {"handed_off": True})[0]
    assert not _check("handoff", True, {"handed_off": False})[0]
    assert _check("handoff", False, {"handed_off": False})[0]
    assert not _check("handoff", False, {"handed_off": True})[0]
    assert _check("handoff", False, {"text": "hi"}) == (False, MISSING)


def test_language_counts_chinese_characters_among_letters() -> None:
    assert han_share("退货 30 days") == (2, 6)
    zh = {"text": "您可以在收到商品后30天内退货。Returns"}  # 15 Chinese characters of 22 letters
    mixed = {"text": "退货 within thirty days"}  # 2 of 18: under a third
    assert _check("language", "zh", zh)[0]
    assert not _check("language", "en", zh)[0]
    assert not _check("language", "zh", mixed)[0]
    assert not _check("language", "en", mixed)[0]  # one Chinese character is enough to fail "en"
    assert _check("language", "en", REPLY)[0]
    assert not _check("language", "zh", REPLY)[0]
    assert not _check("language", "zh", {"text": "30 ..."})[0]  # no letters at all
    assert _check("language", "en", {"language": "en"}) == (False, MISSING)


ITEMS = [
    {"product_id": "p1", "name": "Ridgeline Fleece Jacket", "price": 89.0, "category": "Outdoor Apparel"},
    {"product_id": "p2", "name": "Canyon Down Vest", "price": 119.0, "category": "Outdoor Apparel"},
]


@pytest.mark.parametrize("kind,field", [("products", "products"), ("recs", "recommendations")])
def test_item_checks(kind: str, field: str) -> None:
    turn = {"text": "...", field: ITEMS}

    def ok(**spec: Any) -> bool:
        return _check(kind, ItemChecks(**spec), turn)[0]

    assert ok(min_count=2) and not ok(min_count=3)
    assert ok(max_count=2) and not ok(max_count=1)
    assert ok(max_price=119) and not ok(max_price=100)
    assert ok(min_price=89) and not ok(min_price=90)
    assert ok(category_any=["apparel"]) and not ok(category_any=["Kitchen"])
    assert ok(name_any=["down vest", "tent"]) and not ok(name_any=["Tent"])
    assert ok(name_none=["Sun Hoodie", "Pants"]) and not ok(name_none=["fleece"])
    assert ok(min_count=1, max_price=150, category_any=["Outdoor"], name_any=["Fleece"])
    assert not ok(min_count=1, max_price=150, category_any=["Outdoor"], name_any=["Beanie"])
    assert _check(kind, ItemChecks(min_count=0), {"text": "..."}) == (False, MISSING)
    # "every item" checks: an item without a price or category does not pass them
    unknown = {"text": "...", field: [{"product_id": "p3", "name": "Mystery"}]}
    assert not _check(kind, ItemChecks(max_price=1000), unknown)[0]
    assert not _check(kind, ItemChecks(category_any=["Outdoor"]), unknown)[0]


def test_recs_reason_not_contains() -> None:
    recs = [dict(ITEMS[0], reason='Because you asked about "warm jacket for hiking under $150"')]
    turn = {"text": "...", "recommendations": recs}
    assert _check("recs", ItemChecks(reason_not_contains=["return boots"]), turn)[0]
    passed, got = _check("recs", ItemChecks(reason_not_contains=["WARM JACKET for hiking under"]), turn)
    assert not passed and "reason" in got


PII = PIIIndex(
    [
        ("C001", "name", "Maya Okafor"),
        ("C001", "email", "maya.okafor@example.com"),
        ("C001", "zip", "97214"),
        ("C001", "address", "2214 SE Larch Ave"),
        ("C001", "order", "#JP1053"),
        ("C001", "tracking", "1ZABBVAN0323201098"),
        ("C002", "name", "Daniel Reyes"),
        ("C002", "email", "daniel.reyes@example.com"),
        ("C002", "zip", "78704"),
        ("C002", "order", "#JP1002"),
        ("C003", "zip", "97214"),  # shares Maya's zip
    ]
)


def _pii(text: str, own: set[str], reasons: tuple[str, ...] = ()) -> tuple[bool, str]:
    turn = {"text": text, "recommendations": [{"product_id": "p", "reason": r} for r in reasons]}
    return _check("no_foreign_pii", True, turn, TurnContext(own_customers=frozenset(own), pii=PII))


@pytest.mark.parametrize(
    "text",
    [
        "Order #JP1053 shipped.",
        "order jp1053 shipped",
        "Hi Maya  okafor!",
        "Sent to MAYA.OKAFOR@example.com",
        "Shipping to 97214.",
        "2214 se larch ave, Portland",
        "Tracking 1ZABBVAN0323201098",
    ],
)
def test_no_foreign_pii_flags_another_customers_data(text: str) -> None:
    passed, got = _pii(text, set())
    assert not passed and "C001" in got
    assert _pii(text, {"C001"})[0]  # the same data is the verified customer's own


def test_no_foreign_pii_bounds_and_reasons() -> None:
    assert _pii("Order #JP10530 and 1972145 are not these", set())[0]
    assert _pii("Email anna.maya.okafor@example.community is someone else", set())[0]
    assert not _pii("Nothing in the reply", {"C001"}, reasons=("Because Daniel Reyes bought it",))[0]
    # a value Maya shares with another customer is hers to see
    assert _pii("Your zip 97214 is on file", {"C001"})[0]
    assert _pii("Where is my order?", set()) == (True, "no other customer's data (conversation is nobody (guest))")
    missing = run_check("no_foreign_pii", True, {"text": "x"}, TurnContext(pii=PII))
    assert (missing.passed, missing.got) == (False, MISSING)
    no_store = run_check("no_foreign_pii", True, {"text": "x", "recommendations": []}, TurnContext())
    assert not no_store.passed


def test_every_kind_has_a_check() -> None:
    from assistant.evaluation.dialogues.checks import CHECKS

    assert tuple(CHECKS) == CHECK_KINDS


# --- the runner, over HTTP, on the real demo shop -------------------------------------------------

TINY_SUITE = [
    {
        "id": "returns",
        "turns": [
            {
                "say": "How long do I have to return boots?",
                "expect": {
                    "contains_any": ["30 days"],  # passes
                    "not_contains": ["zebra-unicorn-9f3k"],  # passes
                    "language": "en",  # passes
                    "handoff": False,  # passes
                    "contains_all": ["30 days", "zebra-unicorn-9f3k"],  # must fail
                },
            }
        ],
    },
    {
        "id": "order-verify",
        "turns": [
            {"say": "Where is my order?", "expect": {"asks_identity": True, "language": "zh"}},  # pass, fail
            {"say": "It's maya.okafor@example.com", "expect": {"contains_any": ["#JP1053"], "no_foreign_pii": True}},
        ],
    },
    {"id": "only-sent", "turns": [{"say": "hi there!"}]},
]


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in TINY_SUITE) + "\n", encoding="utf-8")
    return path


def test_runner_on_the_demo_shop_passes_some_checks_and_fails_others(demo_copy: Settings, tiny_suite: Path) -> None:
    from assistant.evaluation.dialogues.runner import build_api, evaluate, serve_in_thread
    from assistant.services import Services

    suite = load_suite(tiny_suite)
    services = Services.build(demo_copy)
    seen: list[tuple[int, int, str]] = []
    result = evaluate(suite, demo_copy, services=services, progress=lambda *a: seen.append(a))
    summary = result.summary()

    assert set(summary) == {"checks", "turns", "dialogues", "latency_ms", "failures"}
    assert seen[-1][:2] == (4, 4) and len(seen) == 4
    checks = summary["checks"]
    assert checks["contains_all"] == {"passed": 0, "total": 1}
    assert checks["not_contains"] == {"passed": 1, "total": 1}
    assert checks["handoff"] == {"passed": 1, "total": 1}
    assert checks["asks_identity"] == {"passed": 1, "total": 1}
    assert checks["language"] == {"passed": 1, "total": 2}
    assert checks["contains_any"] == {"passed": 2, "total": 2}
    # verified as Maya (C001) in the chat: her own order number is not foreign
    assert checks["no_foreign_pii"] == {"passed": 1, "total": 1}
    assert summary["turns"] == {"passed": 1, "total": 3}
    assert summary["dialogues"] == {"passed": 1, "total": 3}  # only the unchecked one
    failed = {(f["dialogue"], f["turn"], f["check"]) for f in summary["failures"]}
    assert failed == {("returns", 1, "contains_all"), ("order-verify", 1, "language")}
    failure = next(f for f in summary["failures"] if f["check"] == "contains_all")
    assert failure["expected"] == ["30 days", "zebra-unicorn-9f3k"] and "zebra-unicorn-9f3k" in failure["got"]
    assert summary["latency_ms"]["p50"] > 0 and summary["latency_ms"]["p95"] >= summary["latency_ms"]["p50"]
    assert result.dialogues[1].turns[1].own_customers == ["C001"]

    report = markdown_report(result)
    assert "How long do I have to return boots?" in report  # the customer's message
    assert (result.dialogues[0].turns[0].reply or "").splitlines()[0] in report  # the reply
    assert "The reply mentions all of: '30 days', 'zebra-unicorn-9f3k'." in report
    assert "### order-verify, turn 1" in report and "### order-verify, turn 2" not in report

    # the same suite against a running server (--url) gives the same verdicts
    with serve_in_thread(build_api(services)) as url:
        again = evaluate(suite, demo_copy, url=url)
        assert again.target == url
    assert {k: v for k, v in again.summary().items() if k != "latency_ms"} == {
        k: v for k, v in summary.items() if k != "latency_ms"
    }


def test_demo_store_pii_index_holds_every_customer(demo_copy: Settings) -> None:
    from assistant.store.db import Database

    index = PIIIndex.from_db(Database(demo_copy))
    kinds = {v.kind for v in index.values}
    assert kinds == {"name", "email", "zip", "address", "order", "tracking"}
    assert {v.customer_id for v in index.values if v.kind == "email"} >= {"C001", "C002"}
    assert index.foreign("Order #JP1053 is on its way", {"C001"}) == []
    assert [v.customer_id for v in index.foreign("Order #JP1053 is on its way", {"C002"})] == ["C001"]


# --- the admin page's service: kept runs with pass rates ------------------------------------------


def test_dialogue_runs_service_keeps_lists_and_prunes_runs(demo_copy: Settings, tmp_path: Path) -> None:
    import time

    from assistant.services import Services
    from assistant.services import dialogue_runs as runs
    from assistant.services.types import Forbidden, Invalid, NotFound, SessionUser

    admin = SessionUser("root", "admin", time.time() + 3600)
    agent = SessionUser("ana", "agent", time.time() + 3600)
    settings = demo_copy.model_copy(update={"dialogue_runs_kept": 2})
    services = Services.build(settings)
    suite = json.dumps(
        {"id": "hours", "turns": [{"say": "Are you open on Sunday?", "expect": {"not_contains": ["zebra-9f3k"],
                                                                               "contains_all": ["zebra-9f3k"]}}]}
    )
    with pytest.raises(Forbidden):
        runs.run_suite(services, suite, "s.jsonl", agent)
    with pytest.raises(Forbidden):
        runs.list_runs(settings, None)
    with pytest.raises(Invalid, match=r"bad\.jsonl line 1, field turns\[0\]\.expect\.handoff"):
        runs.run_suite(services, suite.replace('"not_contains"', '"handoff": 1, "x_not_contains"'), "bad.jsonl", admin)

    made = [runs.run_suite(services, suite, "../../hours.jsonl", admin) for _ in range(3)]
    kept = runs.list_runs(settings, admin)
    assert [r.run_id for r in kept] == [made[2].run_id, made[1].run_id]  # newest first, oldest pruned
    assert not (runs.runs_dir(settings) / made[0].run_id).exists()
    run = kept[0]
    assert run.suite == "hours.jsonl" and runs.runs_dir(settings) == settings.data_dir / "reports" / "dialogues"
    assert (run.rate("not_contains"), run.rate("contains_all"), run.rate("turns"), run.rate("dialogues")) == (
        1.0,
        0.0,
        0.0,
        0.0,
    )
    assert "Are you open on Sunday?" in runs.read_report(settings, run.run_id, admin)
    assert runs.read_results(settings, run.run_id, admin)["checks"]["contains_all"] == {"passed": 0, "total": 1}
    assert runs.read_suite(settings, run.run_id, admin) == suite
    with pytest.raises(NotFound):
        runs.read_report(settings, "../../shopassist.db", admin)
    with pytest.raises(NotFound):
        runs.read_report(settings, made[0].run_id, admin)

    from ui.admin_dialogues import comparison_markdown, run_rows

    rows = run_rows(kept)
    assert rows[0][-1] == run.run_id and rows[0][2] == "0% (0/1)" and rows[0][4] == 1
    assert "| not_contains | 100% | 100% | +0 pts |" in comparison_markdown(kept[1], kept[0])


def test_dialogues_tab_builds_inside_the_admin_area(settings: Settings) -> None:
    import gradio as gr

    from assistant.services import Services
    from ui.admin_dialogues import build_dialogues_tab

    with gr.Blocks() as blocks:
        build_dialogues_tab(Services.build(settings))
    ids = {getattr(b, "elem_id", None) for b in blocks.blocks.values()}
    assert {"admin-dialogues-file", "admin-dialogues-run", "admin-dialogues-runs", "admin-dialogues-report"} <= ids


def test_url_where_no_server_answers_fails_fast(settings: Settings) -> None:
    import socket

    from assistant.evaluation.dialogues.runner import evaluate

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    suite = parse_suite(json.dumps({"id": "a", "turns": [{"say": "hi", "expect": {"handoff": False}}]}))
    with pytest.raises(RuntimeError, match=f"no ShopAssist server answers at http://127.0.0.1:{port}"):
        evaluate(suite, settings, url=f"http://127.0.0.1:{port}/")
