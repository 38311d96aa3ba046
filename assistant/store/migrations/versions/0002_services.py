"""services and training (issue 10)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:00:00

Reserved in the chain so that parallel work adds its tables without renumbering.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""


def downgrade() -> None:
    """Downgrade schema."""
