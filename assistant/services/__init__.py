"""The use cases of one running shop, built once by :class:`Services` for the CLI, the HTTP API and the UI.

The API (``assistant/api``) and the UI (``ui/``) call these services only; they never touch the
stores or each other (``import-linter`` contracts in ``pyproject.toml`` keep it so):

=================  ===========================================================================
``chat``           conversations: start (conversation token, identity token), send / stream,
                   history, feedback, handoff, product clicks and impressions
``support_desk``   the agents' queue, conversation detail, drafts and decisions, replies,
                   product suggestions, release / resolve, customer interest profiles
``orders``         order actions (cancel, address change, return, exchange): the policy's
                   verdict now, an agent's approval applied to the order or a rejection, the
                   customer told either way
``catalog``        ingestion runs and removals, then refreshing the caches that depend on the data
``training``       train, evaluate, list and activate interest-encoder checkpoints
``analytics``      per-day analytics for admins
``users``          accounts, sessions, customer identity tokens, demo mode
``knowledge``      suggested answers mined from past conversations: review, approve, re-mine
=================  ===========================================================================

Example:
    >>> from assistant.config import Settings
    >>> services = Services.build(Settings(data_dir="/tmp/shop"))
    >>> services.db.table_counts()["products"] >= 0
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.services.analytics import AnalyticsService
from assistant.services.catalog import CatalogService
from assistant.services.chat import ChatService
from assistant.services.knowledge import KnowledgeService
from assistant.services.orders import OrderService
from assistant.services.support_desk import SupportDeskService
from assistant.services.training import TrainingService
from assistant.services.users import UsersService
from assistant.store.db import Database
from assistant.vectors import VectorStore

if TYPE_CHECKING:
    from assistant.conversation.engine import Assistant
    from assistant.interest.online import InterestService

__all__ = [
    "AnalyticsService",
    "CatalogService",
    "ChatService",
    "KnowledgeService",
    "OrderService",
    "Services",
    "SupportDeskService",
    "TrainingService",
    "UsersService",
]


@dataclass
class Services:
    """The long-lived objects of one running shop: stores, engines (loaded on first use), use cases."""

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

    # --- engines (what the use cases run on) ----------------------------------------------------
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

    # --- use cases ----------------------------------------------------------------------------
    @cached_property
    def users(self) -> UsersService:
        return UsersService(self.settings, self.db, self.vectors, lambda: self._interest)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(
            self.settings, self.db, self.vectors, lambda: self._assistant, lambda: self._interest
        )

    @cached_property
    def chat(self) -> ChatService:
        return ChatService(
            self.settings, self.db, self.users, self.catalog, lambda: self.assistant, lambda: self.interest
        )

    @cached_property
    def support_desk(self) -> SupportDeskService:
        return SupportDeskService(self.settings, self.db, lambda: self.interest)

    @cached_property
    def orders(self) -> OrderService:
        return OrderService(self.settings, self.db)

    @cached_property
    def training(self) -> TrainingService:
        return TrainingService(self.settings, self.db, lambda: self.interest, lambda: self._interest)

    @cached_property
    def analytics(self) -> AnalyticsService:
        return AnalyticsService(self.settings, self.db)

    @cached_property
    def knowledge(self) -> KnowledgeService:
        return KnowledgeService(self.settings, self.db, self.vectors, lambda: self.catalog.refresh(interest=False))

    def warm_up(self) -> None:
        """Load models and indexes now, so the first customer does not wait for them."""
        _ = self.vectors.embedder
        self.assistant.warm_up()  # retrieval indexes, catalog, language profiles (issue 15)
        from assistant.security.pii import guard_for

        guard_for(self.settings, self.db).refresh(force=True)  # the output guard's index of the store

    def deployment_warnings(self) -> list[str]:
        """Configuration mistakes this process has seen while serving, for the admins (``/api/admin/status``,
        the admin page): so far, forwarded-client headers from peers that are not trusted proxies."""
        from assistant.security.proxies import deployment_warnings

        return deployment_warnings(self.settings)
