"""Throw-away databases for tests: a SQLite file or a PostgreSQL database with a random name.

Usable by any test suite (store, web, end-to-end)::

    with temporary_database("postgresql") as db:   # migrated to head, dropped afterwards
        ...
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.db import Database

#: Server for PostgreSQL test databases (``CALX_TEST_POSTGRES_URL`` overrides it).
DEFAULT_POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
BACKENDS = ("sqlite", "postgresql")


def postgres_server_url() -> str:
    """Return the PostgreSQL server URL (no database) the tests use."""
    return os.environ.get("CALX_TEST_POSTGRES_URL", DEFAULT_POSTGRES_SERVER).rstrip("/")


def temporary_database_url(backend: str, directory: Path | None = None) -> str:
    """Return a URL for a new, not yet created database of ``backend``."""
    name = f"calx_test_{secrets.token_hex(6)}"
    if backend == "sqlite":
        folder = directory or Path(tempfile.gettempdir())
        return f"sqlite:///{folder / (name + '.db')}"
    if backend == "postgresql":
        return f"{postgres_server_url()}/{name}"
    raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")


@contextmanager
def temporary_database(
    backend: str, *, migrate: bool = True, directory: Path | None = None
) -> Iterator[Database]:
    """Create a database (migrated to head unless ``migrate=False``); drop it afterwards."""
    db = Database(temporary_database_url(backend, directory))
    db.create_database_if_missing()
    try:
        if migrate:
            db.migrate()
        yield db
    finally:
        db.drop_database()
