"""The conversation assistant: cited answers, order lookups after identity checks, handoff.

Example:
    >>> from assistant.conversation import Assistant  # doctest: +SKIP
    >>> bot = Assistant(settings, db, vectors)  # doctest: +SKIP
"""

from assistant.conversation.engine import Assistant, ConversationNotFound
from assistant.conversation.types import Citation, DraftView, MessageView, Recommendation, SessionEvent, TurnResult

__all__ = [
    "Assistant",
    "Citation",
    "ConversationNotFound",
    "DraftView",
    "MessageView",
    "Recommendation",
    "SessionEvent",
    "TurnResult",
]
