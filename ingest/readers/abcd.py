"""``abcd``: the ABCD store's agent guidelines as policy passages (one per flow/subflow).

``guidelines.json`` gives one passage per subflow ("Product Defect > Initiate Refund": the
instructions and each action with its sub-steps); ``kb.json`` gives one passage per subflow
listing the actions that resolve it; ``abcd_sample.json`` dialogues become conversations
(intent = subflow). A directory path reads the guidelines and the dialogues: ``kb.json`` lists an
agent's console buttons ("pull up account, validate purchase, notify team"), which the assistant
would quote to customers as policy, so it is read only when named on its own. ``ontology.json``
is not text to retrieve.

Example:
    >>> from ingest.readers import get_reader
    >>> get_reader("abcd").kinds
    ('policy', 'conversation')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.readers.base import ReadContext, Reader, ReadResult, register
from ingest.records import Kind, RawItem, Rejection
from ingest.textio import iter_json_records, open_text

FILES = ("guidelines.json", "abcd_sample.json")  # kb.json only when named: agent console steps


def _guideline_text(description: str, subflow: dict[str, Any]) -> str:
    """A subflow as a policy passage: the flow's topic, the case it is for, the agent's steps.

    The first instruction describes the case to the agent ("The email confirmation of the order does
    not match the desired order quantity."): it is labelled ``Case:``, so that it helps find the
    section but is never quoted to a customer as a rule (``assistant.conversation.compose``).

    Example:
        >>> print(_guideline_text("refunds and returns", {"instructions": ["The item arrived late.", "Wrap up."],
        ...                        "actions": [{"button": "Pull up Account", "text": "Get the name", "subtext": []}]}))
        Flow: refunds and returns.
        Case: The item arrived late.
        Wrap up.
        - [Pull up Account] Get the name
    """
    lines: list[str] = []
    if description:
        lines.append(f"Flow: {description}.")
    for i, ins in enumerate(subflow.get("instructions") or []):
        lines.append(f"Case: {ins}" if i == 0 and str(ins).strip() else str(ins))
    for action in subflow.get("actions") or []:
        if not isinstance(action, dict):
            continue
        button = action.get("button")
        head = f"- [{button}] " if button and button != "N/A" else "- "
        lines.append(head + str(action.get("text", "")))
        lines.extend(f"  - {sub}" for sub in action.get("subtext") or [])
    return "\n".join(lines)


@register
class Abcd(Reader):
    name: ClassVar[str] = "abcd"
    kinds: ClassVar[tuple[Kind, ...]] = ("policy", "conversation")
    description = "ABCD agent guidelines (guidelines.json, kb.json) and sample dialogues"

    def sniff(self, path: Path, head: str, first: dict[str, Any] | None, header: list[str]) -> str | None:
        if first is not None and "subflows" in first and "description" in first:
            return "JSON object of flows with subflows (ABCD guidelines)"
        if path.name == "kb.json" and (path.parent / "guidelines.json").exists():
            return "kb.json beside guidelines.json (ABCD)"
        if first is not None and "convo_id" in first and "original" in first:
            return "JSON dialogues with convo_id and original (ABCD)"
        return None

    def sniff_dir(self, path: Path) -> str | None:
        if (path / "guidelines.json").is_file():
            return "directory with guidelines.json (ABCD)"
        return None

    def expand(self, path: Path) -> list[Path]:
        if path.is_dir():
            return [path / f for f in FILES if (path / f).is_file()]
        return [path]

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with ctx.attach(open_text(path)) as tf:
            section = 0
            for line, key, value in iter_json_records(tf):
                if isinstance(value, Rejection):
                    yield value
                    continue
                if isinstance(value, dict) and "subflows" in value:
                    subflows = value.get("subflows")
                    if not isinstance(subflows, dict):
                        yield Rejection(file=path.name, line=line, field="subflows", message="expected an object")
                        continue
                    for sub_name, sub in subflows.items():
                        if not isinstance(sub, dict):
                            yield Rejection(file=path.name, line=line, field=f"subflows.{sub_name}",
                                            message="expected an object")
                            continue
                        text = _guideline_text(str(value.get("description", "")), sub)
                        data = {"doc": path.name, "title": f"{key} > {sub_name}", "section": section, "text": text}
                        section += 1
                        yield RawItem(kind="policy", data=data, file=path.name, line=line)
                elif isinstance(value, list) and all(isinstance(v, str) for v in value) and isinstance(key, str):
                    label = key.replace("_", " ")
                    text = f"To resolve '{label}', take these actions in order: " + ", ".join(
                        v.replace("-", " ") for v in value
                    ) + "."
                    data = {"doc": path.name, "title": f"Resolution steps > {label}", "section": section,
                            "text": text}
                    section += 1
                    yield RawItem(kind="policy", data=data, file=path.name, line=line)
                elif isinstance(value, dict) and "original" in value:
                    scenario = value.get("scenario") if isinstance(value.get("scenario"), dict) else {}
                    flow = scenario.get("flow", "") if isinstance(scenario, dict) else ""
                    subflow = scenario.get("subflow", "") if isinstance(scenario, dict) else ""
                    turns = [
                        {"role": t[0], "text": t[1]}
                        for t in value.get("original") or []
                        if isinstance(t, list) and len(t) == 2
                    ]
                    data = {
                        "conversation_id": f"abcd-{value.get('convo_id', key)}",
                        "turns": turns,
                        "intent": subflow,
                        "category": flow,
                    }
                    yield RawItem(kind="conversation", data=data, file=path.name, line=line)
                else:
                    yield Rejection(file=path.name, line=line, message="not an ABCD flow, kb entry or dialogue")
