"""Shared fixtures for the dialogue's tests (rasa-demo / Sara style).

- ``domain``: ``domain.yml`` as the action server receives it
- ``dispatcher``: a fresh ``CollectingDispatcher``
- ``tracker_for``: builds an SDK ``Tracker`` from slots, the latest message and events
  (a fresh user message by default; ``after=`` names the actions that already ran)
- ``interview_db`` / ``recorder``: a migrated SQLite database the actions write to
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from trackers import TrackerFactory, build_tracker

from actions import base
from bot.interview.records import Recorder
from bot.store.db import Database
from bot.store.testing import temporary_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain, as a dict (what actions receive)."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
    return loaded


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that collects the bot's messages."""
    return CollectingDispatcher()


@pytest.fixture
def tracker_for() -> TrackerFactory:
    """``tracker_for(text, intent=..., requested_slot=..., <slot>=...)``."""
    return build_tracker


@pytest.fixture(scope="session")
def interview_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated SQLite database for the whole session (tests use fresh sender ids)."""
    with temporary_database("sqlite", directory=tmp_path_factory.mktemp("db")) as db:
        yield db


@pytest.fixture
def recorder(interview_db: Database) -> Iterator[Recorder]:
    """The actions' recorder, writing to ``interview_db`` for this test."""
    new = Recorder(interview_db)
    previous = base.use_recorder(new)
    try:
        yield new
    finally:
        base.use_recorder(previous)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each backend (SQLite file, throw-away PostgreSQL database)."""
    with temporary_database(request.param, directory=tmp_path_factory.mktemp("db")) as db:
        yield db
