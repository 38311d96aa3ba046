"""Wiring: builds the stores and the engines once, for the CLI, the HTTP app and the UI.

Example:
    >>> from assistant.config import Settings
    >>> services = Services.build(Settings(data_dir="/tmp/shop"))
    >>> services.db.table_counts()["products"] >= 0
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.store.db import Database
from assistant.vectors import VectorStore

if TYPE_CHECKING:
    from assistant.conversation.engine import Assistant
    from assistant.interest.online import InterestService


@dataclass
class Services:
    """The long-lived objects of one running shop."""

    settings: Settings
    db: Database
    vectors: VectorStore
    _interest: InterestService | None = field(default=None, repr=False)
    _assistant: Assistant | None = field(default=None, repr=False)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings)
        db.migrate()
        return cls(settings=settings, db=db, vectors=VectorStore(settings))

    @property
    def interest(self) -> InterestService:
        if self._interest is None:
            from assistant.interest.online import InterestService

            self._interest = InterestService(self.settings, self.db)
        return self._interest

    @property
    def assistant(self) -> Assistant:
        if self._assistant is None:
            from assistant.conversation.engine import Assistant

            self._assistant = Assistant(self.settings, self.db, self.vectors, interest=self.interest)
        return self._assistant

    def warm_up(self) -> None:
        """Load models and indexes now, so the first customer does not wait for them."""
        _ = self.vectors.embedder
        _ = self.assistant
