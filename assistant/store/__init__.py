"""Relational app state: models, migrations and the :class:`Database` handle."""

from assistant.store.db import Database
from assistant.store.models import Base

__all__ = ["Base", "Database"]
