"""Fixtures: the console served over HTTP on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from console_app import BACKENDS, Console, console_server

from bot.store.testing import temporary_database


@pytest.fixture(scope="session", params=BACKENDS)
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """The web app with the console on a migrated database of each backend, over HTTP."""
    directory = tmp_path_factory.mktemp("console-db")
    with temporary_database(request.param, directory=directory) as db, console_server(db) as app:
        yield app


@pytest.fixture
def cid() -> str:
    """A conversation id no other test uses."""
    return f"console-{uuid.uuid4().hex}"
