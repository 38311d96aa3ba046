"""The Markdown report of a dialogue-suite run, written for a shop owner.

It gives the pass rate of each check kind, then each failing turn with the customer's message,
the assistant's reply and, in plain words, what was expected and what happened.

Example:
    >>> describe_expectation("contains_any", ["30 days", "thirty days"])
    "The reply mentions at least one of: '30 days', 'thirty days'."
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assistant.evaluation.dialogues.suite import CHECK_KINDS

if TYPE_CHECKING:
    from assistant.evaluation.dialogues.runner import RunResult, TurnRecord

CHECK_TITLES: dict[str, str] = {
    "contains_any": "Reply mentions one of the expected phrases",
    "contains_all": "Reply mentions every expected phrase",
    "not_contains": "Reply avoids forbidden phrases",
    "cites_any": "Reply cites the expected source",
    "asks_identity": "Asks to verify identity when it should (and only then)",
    "handoff": "Hands over to a person when it should (and only then)",
    "language": "Replies in the customer's language",
    "products": "Products put forward in the reply",
    "recs": "Recommendation panel",
    "no_foreign_pii": "Reveals no other customer's personal data",
}


def _strings(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _items(expected: dict[str, Any]) -> str:
    parts: list[str] = []
    if "min_count" in expected:
        parts.append(f"at least {expected['min_count']}")
    if "max_count" in expected:
        parts.append(f"at most {expected['max_count']}")
    if "min_price" in expected:
        parts.append(f"each priced at least ${expected['min_price']}")
    if "max_price" in expected:
        parts.append(f"each priced at most ${expected['max_price']}")
    if "category_any" in expected:
        parts.append(f"each in a category like {_strings(expected['category_any'])}")
    if "name_any" in expected:
        parts.append(f"one named like {_strings(expected['name_any'])}")
    if "name_none" in expected:
        parts.append(f"none named like {_strings(expected['name_none'])}")
    if "reason_not_contains" in expected:
        parts.append(f"no reason saying {_strings(expected['reason_not_contains'])}")
    return "; ".join(parts)


def describe_expectation(kind: str, expected: Any) -> str:
    """What a check expects, in plain words."""
    if kind == "contains_any":
        return f"The reply mentions at least one of: {_strings(expected)}."
    if kind == "contains_all":
        return f"The reply mentions all of: {_strings(expected)}."
    if kind == "not_contains":
        return f"The reply mentions none of: {_strings(expected)}."
    if kind == "cites_any":
        return f"The reply cites a source titled like one of: {_strings(expected)}."
    if kind == "asks_identity":
        return "The reply asks the customer to verify who they are." if expected else (
            "The reply does not ask the customer to verify who they are."
        )
    if kind == "handoff":
        return "The conversation is handed to a person." if expected else "The conversation stays with the assistant."
    if kind == "language":
        return "The reply is written in Chinese." if expected == "zh" else "The reply is written in English."
    if kind == "products":
        return f"Products the reply puts forward: {_items(expected)}."
    if kind == "recs":
        return f"Products in the recommendation panel: {_items(expected)}."
    if kind == "no_foreign_pii":
        return "No name, email, zip, address, order or tracking number of another customer is shown."
    return f"{kind}: {json.dumps(expected, ensure_ascii=False)}"


def _quote_block(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _rate(passed: int, total: int) -> str:
    return f"{100 * passed / total:.0f}%" if total else "-"


def _product_line(label: str, items: Any) -> str | None:
    if not isinstance(items, list):
        return None
    shown = []
    for item in items[:8]:
        if not isinstance(item, dict):
            continue
        price = item.get("price")
        bits = [str(item.get("name") or item.get("product_id") or "?")]
        if isinstance(price, (int, float)):
            bits.append(f"${price:g}")
        if item.get("reason"):
            bits.append(f"reason: {item['reason']}")
        shown.append(" - ".join(bits))
    return f"*{label}:* " + ("; ".join(shown) if shown else "none")


def _turn_section(dialogue_id: str, note: str, signed_in: str | None, turn: TurnRecord) -> list[str]:
    who = f"signed in as {signed_in}" if signed_in else "guest"
    out = [f"### {dialogue_id}, turn {turn.index} ({who})", ""]
    if note:
        out += [f"*About this dialogue:* {note}", ""]
    out += ["**Customer:**", "", _quote_block(turn.say), ""]
    if turn.error:
        out += [f"**The request failed:** {turn.error}", ""]
    else:
        out += ["**Assistant:**", "", _quote_block(turn.reply if turn.reply is not None else "(no reply text)"), ""]
        for label, key in (("Products put forward", "products"), ("Recommendation panel", "recommendations")):
            line = _product_line(label, (turn.result or {}).get(key))
            if line:
                out += [line, ""]
    for check in turn.checks:
        if check.passed:
            continue
        out.append(f"- **{CHECK_TITLES.get(check.kind, check.kind)}** (`{check.kind}`)")
        out.append(f"  - Expected: {describe_expectation(check.kind, check.expected)}")
        out.append(f"  - Got: {_one_line(check.got)}")
    out.append("")
    return out


def markdown_report(result: RunResult) -> str:
    """The whole report: pass rates per check kind, then every failing turn."""
    summary = result.summary()
    lines = [
        f"# Dialogue suite report: {result.suite}",
        "",
        f"Run {result.started_at:%Y-%m-%d %H:%M} UTC against {result.target}: "
        f"{summary['dialogues']['total']} dialogues, {sum(len(d.turns) for d in result.dialogues)} customer messages.",
        "",
        *[f"**Warning:** {w}\n" for w in result.warnings],
        "## Pass rates",
        "",
        "| check | passed | total | rate |",
        "|---|---:|---:|---:|",
    ]
    for kind in CHECK_KINDS:
        if kind in summary["checks"]:
            c = summary["checks"][kind]
            lines.append(
                f"| {CHECK_TITLES[kind]} (`{kind}`) | {c['passed']} | {c['total']} | {_rate(c['passed'], c['total'])} |"
            )
    for label, key in (("**Turns** (every check of the turn passed)", "turns"), ("**Dialogues**", "dialogues")):
        c = summary[key]
        lines.append(f"| {label} | {c['passed']} | {c['total']} | {_rate(c['passed'], c['total'])} |")
    lat = summary["latency_ms"]
    if lat["p50"] is not None:
        lines += ["", f"Reply time: median {lat['p50']:.0f} ms, 95th percentile {lat['p95']:.0f} ms."]
    failing = [(d, t) for d in result.dialogues for t in d.turns if not t.passed]
    lines += ["", f"## Failing turns ({len(failing)})", ""]
    if not failing:
        lines += ["Every turn passed.", ""]
    for d, t in failing:
        lines += _turn_section(d.id, d.note, d.signed_in, t)
        if t.index == 1 and d.notes:
            lines += [f"*Opening the conversation:* {'; '.join(d.notes)}", ""]
    passed_dialogues = [d.id for d in result.dialogues if d.passed]
    if passed_dialogues:
        lines += ["## Dialogues that passed", "", ", ".join(passed_dialogues), ""]
    return "\n".join(lines).rstrip() + "\n"
