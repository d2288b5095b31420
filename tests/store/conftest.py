"""Real databases for the store tests: a SQLite file and a throw-away PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.testing import temporary_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One migrated database per backend for the whole session (tests use fresh ids)."""
    with temporary_database(request.param, directory=tmp_path_factory.mktemp("db")) as db:
        yield db


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database created but not migrated, dropped after the test."""
    with temporary_database(request.param, migrate=False, directory=tmp_path) as db:
        yield db


@pytest.fixture
def cid() -> str:
    """A conversation id no other test uses."""
    return f"test-{uuid.uuid4().hex}"
