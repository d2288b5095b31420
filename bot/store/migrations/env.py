"""Alembic environment for Calx's tables (only ours: Rasa's ``events`` table is ignored)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from bot.store.db import Database
from bot.store.models import UTCDateTime, metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Compare only tables declared in our models (and everything inside them)."""
    if type_ == "table":
        return name in metadata.tables
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    """Run the migrations on the configured database's engine (with its SQLite pragmas)."""
    database = config.attributes.get("database")
    if database is None:
        database = Database(config.get_main_option("sqlalchemy.url") or "")
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_name=include_name,
            compare_type=True,
            render_item=render_item,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run against a database")
run_migrations_online()
