"""The kind of an emergency told (red flag ``emergency``: chest_pain, stroke, ...).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("red_flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("red_flags", schema=None) as batch_op:
        batch_op.drop_column("kind")
