"""Audit log: append-only, enforced by the database (updates and deletes are refused).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_log is append-only"
EVENTS = ("UPDATE", "DELETE")


def upgrade() -> None:
    """Add triggers that abort any update or delete of an audit entry."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            )
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    """Remove the triggers."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in EVENTS:
        op.execute(
            f"DROP TRIGGER IF EXISTS audit_log_no_{event.lower()}"
            + (" ON audit_log" if postgres else "")
        )
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
