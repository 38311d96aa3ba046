"""services and training (issue 10): conversation access tokens and recommendation impressions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "conversation_access",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_table(
        "impressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impressions_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_impressions_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impressions_created_at"))
        batch_op.drop_index(batch_op.f("ix_impressions_conversation_id"))
    op.drop_table("impressions")
    op.drop_table("conversation_access")
