"""The generator path of a turn: the extractive reply's passages go to a generator (llama.cpp or an
OpenAI-compatible server) and its draft is shown only when the groundedness guard accepts it."""

from __future__ import annotations

import logging
import re
from collections.abc import Generator
from typing import Any

from assistant.config import Settings
from assistant.conversation.compose import Composed
from assistant.conversation.generate import GenerationRequest, GroundednessGuard
from assistant.conversation.memory import ConversationMemory
from assistant.conversation.turn import Turn, Unsupported, deltas, passage_title

log = logging.getLogger(__name__)


class GeneratedReplies:
    """Stage mixin of :class:`~assistant.conversation.engine.Assistant` (attributes declared below)."""

    settings: Settings
    generator: Any
    guard: GroundednessGuard
    memory: ConversationMemory

    def _respond(self, turn: Turn) -> Composed:
        raise NotImplementedError

    def _guarded(self, turn: Turn, text: str, *, withheld: str | None = None) -> str:
        raise NotImplementedError

    def _respond_generated(self, turn: Turn) -> Generator[str, None, Composed]:
        extractive = self._respond(turn)
        passages = list(extractive.used)
        if self.generator is None or not passages or extractive.meta.get("basis") not in ("policy", "answer"):
            text = self._guarded(turn, extractive.text)
            yield from deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        used = passages[: self.settings.retrieval_k]
        window = self.memory.window(turn.loaded.history, turn.loaded.summary)
        req = GenerationRequest(
            question=turn.text,
            language=turn.language,
            passages=[(i, passage_title(p), p.text) for i, p in enumerate(used, start=1)],
            facts=list(extractive.facts),
            history=list(window.recent),
            summary=window.summary,
        )
        evidence = [p.text for p in used] + list(extractive.facts) + [turn.text]
        draft = ""
        try:
            for delta in self.generator.stream(req):
                draft += delta
            check = self.guard.check(draft, evidence)
            if check.ok:
                check = self.guard.check_substance(draft, turn.text, evidence[:-1])
            if not check.ok:
                raise Unsupported(check.reasons)
        except Unsupported as exc:
            log.warning("generated draft rejected, falling back to the extractive reply: %s", "; ".join(exc.reasons))
            turn.guard = {"ok": False, "reasons": list(exc.reasons), "draft": draft}
            text = self._guarded(turn, extractive.text)
            yield from deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        except Exception as exc:  # a down model server must not take the chat down with it
            log.error("answer backend failed, using the extractive reply: %s", exc)
            turn.guard = {"ok": False, "reasons": [f"backend error: {exc}"]}
            text = self._guarded(turn, extractive.text)
            yield from deltas(text)
            return Composed(text, extractive.used, extractive.facts, extractive.meta)
        turn.guard = {"ok": True}
        text = draft.strip()
        if not re.search(r"\[\d+\]", text):
            text += "\n\nSources: " + " ".join(f"[{i}]" for i in range(1, len(used) + 1))
        if extractive.meta.get("reminder"):  # an order action still waiting for the customer's yes
            text += f"\n\n{extractive.meta['reminder']}"
        text = self._guarded(turn, text)
        yield from deltas(text)
        return Composed(text, tuple(used), extractive.facts, {"basis": "generated"})
