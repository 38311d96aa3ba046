"""messages stored before verification stamps (issue 11)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:00:00

Since the verification stamp (``meta.verified_for``: the customer a message was written for while its
conversation was verified), reading a transcript back with the conversation token alone hides the
messages with personal details once that verification has ended. Messages stored before the stamp
existed carry none, so they were always shown, even after the verification ended.

This backfills ``meta.verified_for = true`` ("written for a customer unknown now") on the messages stored
before the first stamped one: read back, such a message is hidden whenever it holds personal details the
customer verified now (or nobody) may not see, and shown as written otherwise. Messages after the first
stamped one were written by the stamping code: unstamped there means written while not verified (a
guest's own words), which stays readable. With no stamped message at all, every message is marked.
The schema does not change; downgrade removes the marks.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERIFIED_FOR = "verified_for"
UNKNOWN = True  # JSON true: never equal to a customer id (a string)
BATCH = 500

messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("meta", sa.JSON))


def _batches(bind: sa.Connection) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Every message's id and meta in id order (the order they were stored), ``BATCH`` at a time."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(messages.c.id, messages.c.meta).where(messages.c.id > last).order_by(messages.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield [(int(i), dict(meta or {})) for i, meta in rows]
        last = int(rows[-1][0])


def _save(bind: sa.Connection, changed: list[dict[str, Any]]) -> None:
    if changed:
        bind.execute(
            messages.update().where(messages.c.id == sa.bindparam("mid")).values(meta=sa.bindparam("new_meta")),
            changed,
        )


def upgrade() -> None:
    """Mark the messages stored before the first stamped one as written for an unknown customer."""
    bind = op.get_bind()
    for rows in _batches(bind):
        changed = []
        for mid, meta in rows:
            if meta.get(VERIFIED_FOR):
                _save(bind, changed)
                return  # the stamping code wrote this one and every later one
            changed.append({"mid": mid, "new_meta": {**meta, VERIFIED_FOR: UNKNOWN}})
        _save(bind, changed)


def downgrade() -> None:
    """Remove the marks (stamps naming a customer stay)."""
    bind = op.get_bind()
    for rows in _batches(bind):
        _save(
            bind,
            [
                {"mid": mid, "new_meta": {k: v for k, v in meta.items() if k != VERIFIED_FOR}}
                for mid, meta in rows
                if meta.get(VERIFIED_FOR) is UNKNOWN
            ],
        )
