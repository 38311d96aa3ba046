"""operations (issue 15)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:00:00

vector_chunks: the text and metadata of every vector-store entry, the source of `shopassist reindex`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "vector_chunks",
        sa.Column("collection", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("collection", "id"),
    )
    with op.batch_alter_table("vector_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vector_chunks_source"), ["source"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("vector_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vector_chunks_source"))
    op.drop_table("vector_chunks")
