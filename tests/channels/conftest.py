"""Fixtures of the channel tests: a migrated SQLite database as CALX_DATABASE_URL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from bot.settings import get_settings
from bot.store.db import Database
from bot.store.testing import temporary_database


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated throw-away SQLite database, made the process's CALX_DATABASE_URL."""
    with temporary_database("sqlite", directory=tmp_path_factory.mktemp("db")) as db:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CALX_DATABASE_URL", db.url)
            get_settings.cache_clear()
            yield db
        get_settings.cache_clear()
        db.dispose()
