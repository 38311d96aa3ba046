"""Conversation memory: the persisted history, trimmed to a budget, older turns summarised.

Example:
    >>> mem = ConversationMemory(max_turns=2, max_chars=200)
    >>> window = mem.window([("customer", "hi"), ("assistant", "hello"), ("customer", "returns?")])
    >>> [m[1] for m in window.recent]
    ['hello', 'returns?']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.retrieval.text import snippet


@dataclass(frozen=True)
class MemoryWindow:
    """The turns a generator sees verbatim, plus a summary of everything older."""

    summary: str
    recent: tuple[tuple[str, str], ...]


class ConversationMemory:
    """Keeps the last ``max_turns`` messages (and at most ``max_chars`` of them); the rest is summarised.

    The summary is extractive (one line per earlier customer message and the gist of the reply),
    so it needs no model and cannot introduce facts.
    """

    def __init__(self, max_turns: int = 8, max_chars: int = 3000, summary_chars: int = 800) -> None:
        if max_turns < 1 or max_chars < 100 or summary_chars < 50:
            raise ValueError("max_turns >= 1, max_chars >= 100 and summary_chars >= 50 are required")
        self.max_turns = max_turns
        self.max_chars = max_chars
        self.summary_chars = summary_chars

    def window(self, messages: Sequence[tuple[str, str]], previous_summary: str = "") -> MemoryWindow:
        recent: list[tuple[str, str]] = []
        used = 0
        for role, text in reversed(messages):
            if len(recent) >= self.max_turns or used + len(text) > self.max_chars:
                break
            recent.append((role, text))
            used += len(text)
        recent.reverse()
        older = messages[: len(messages) - len(recent)]
        summary = self.summarise(older, previous_summary) if older else previous_summary
        return MemoryWindow(summary, tuple(recent))

    def summarise(self, messages: Sequence[tuple[str, str]], previous_summary: str = "") -> str:
        lines = [previous_summary] if previous_summary else []
        for role, text in messages:
            if role == "customer":
                lines.append(f"Customer: {snippet(text, 140)}")
            elif role in ("assistant", "agent"):
                lines.append(f"{role.capitalize()}: {snippet(text, 100)}")
        out = "\n".join(lines)
        # Keep the newest lines when over budget: they matter most for the next reply.
        return out[-self.summary_chars :] if len(out) > self.summary_chars else out
