"""Shared fixtures for the dialogue's tests (rasa-demo / Sara style).

- ``domain``: ``domain.yml`` as the action server receives it
- ``dispatcher``: a fresh ``CollectingDispatcher``
- ``tracker_for``: builds an SDK ``Tracker`` from slots, the latest message and events
  (a fresh user message by default; ``after=`` names the actions that already ran)
- ``interview_db`` / ``recorder``: a migrated SQLite database the actions write to
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import base
from bot.interview.records import Recorder
from bot.interview.turn import CONTROL_SLOTS
from bot.knowledge import get_dictionary
from bot.store.db import Database
from bot.store.testing import temporary_database

ROOT = Path(__file__).resolve().parent.parent
FORM = "interview_form"

TrackerFactory = Callable[..., Tracker]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain, as a dict (what actions receive)."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
    return loaded


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that collects the bot's messages."""
    return CollectingDispatcher()


def all_slots(**values: Any) -> dict[str, Any]:
    """Every slot of the domain at its start value, with ``values`` set."""
    slots: dict[str, Any] = {code: None for code in get_dictionary().findings}
    slots.update({name: value for name, value in CONTROL_SLOTS.items()})
    slots["requested_slot"] = None
    slots.update(values)
    return slots


def build_tracker(
    text: str = "",
    *,
    intent: str | None = "inform",
    confidence: float = 0.99,
    sender: str | None = None,
    after: tuple[str, ...] = (),
    active_loop: str | None = FORM,
    **slots: Any,
) -> Tracker:
    """A tracker whose latest event is the user's message (then the actions in ``after``).

    Like the temporary tracker Rasa sends to the form's validation action, the form's
    own ``ActionExecuted`` comes last.
    """
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
    }
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    for name in after:
        events.append({"event": "action", "name": name})
        events.append({"event": "bot", "text": f"({name} said something)"})
    events.append({"event": "slot", "name": "requested_slot", "value": slots.get("requested_slot")})
    events.append({"event": "action", "name": FORM})
    return Tracker(
        sender_id=sender or f"test-{uuid.uuid4().hex}",
        slots=all_slots(**slots),
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name=FORM,
    )


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
