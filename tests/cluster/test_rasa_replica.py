"""The cluster's Rasa replica changes, on Rasa's own classes and a real SQL tracker store.

A tracker store error fails the turn (no in-memory fallback), a failed custom action
fails the turn (no "continue without its events"), and a message whose client
``message_id`` is already stored is not handled again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.cluster import rasa_server


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply the replica's changes for this test only (Rasa's classes are restored)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    monkeypatch.setattr(Agent, "handle_message", Agent.handle_message)
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    rasa_server.fail_fast_tracker_store()
    rasa_server.fail_fast_actions()
    rasa_server.once_per_message_id()


def _store(tmp_path: Path) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))


class Broken:
    """A tracker store whose database is away."""

    domain: Any = None
    event_broker: Any = None

    async def retrieve(self, sender_id: str) -> Any:
        raise ConnectionError("database restarting")

    async def save(self, tracker: Any) -> None:
        raise ConnectionError("database restarting")


@pytest.mark.usefixtures("patched")
@pytest.mark.parametrize("operation", ["retrieve", "save"])
def test_a_tracker_store_error_fails_the_turn(operation: str) -> None:
    from rasa.core.agent import Agent
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    store = Agent._create_tracker_store(Broken(), Domain.empty())
    call = (
        store.retrieve("a")
        if operation == "retrieve"
        else store.save(DialogueStateTracker.from_events("a", []))
    )
    with pytest.raises(rasa_server.TrackerStoreUnavailable):
        asyncio.run(call)


def test_without_the_change_rasa_falls_back_to_memory() -> None:
    """What the change is for: Rasa's own wrapper answers "no such conversation"."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    assert asyncio.run(FailSafeTrackerStore(Broken()).retrieve("a")) is None


@pytest.mark.usefixtures("patched")
def test_a_failed_custom_action_is_an_ordinary_error_past_the_agent() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig

    action = RemoteAction("validate_interview_form", EndpointConfig("http://127.0.0.1:9/webhook"))
    with pytest.raises(
        rasa_server.ActionServerUnavailable
    ):  # not an Exception: Rasa can't swallow it
        asyncio.run(action.run(None, None, _tracker(), None))

    class Failing:
        async def handle_message(self, message: Any) -> Any:
            raise rasa_server.ActionServerUnavailable("ClientConnectionError")

    agent = Agent.__new__(Agent)
    agent.processor = Failing()
    agent.lock_store = InMemoryLockStore()
    agent.is_ready = lambda: True  # type: ignore[method-assign]
    message = _message("a", None)
    with pytest.raises(RuntimeError):
        asyncio.run(Agent.handle_message(agent, message))


@pytest.mark.parametrize(("asked", "taken"), [("m-1", True), ("m-2", False)])
def test_a_message_id_already_stored_is_recognised(tmp_path: Path, asked: str, taken: bool) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = _store(tmp_path)
    events = [UserUttered("15", message_id="m-0"), UserUttered("yes", message_id="m-1")]
    asyncio.run(store.save(DialogueStateTracker.from_events("a", events)))
    assert rasa_server._taken_in(FailSafeTrackerStore(store), "a", asked) is taken
    assert rasa_server._taken_in(store, "b", "m-1") is False


@pytest.mark.usefixtures("patched")
def test_a_repeated_message_is_not_handled_again(tmp_path: Path) -> None:
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = _store(tmp_path)
    asyncio.run(
        store.save(DialogueStateTracker.from_events("a", [UserUttered("yes", message_id="m-1")]))
    )
    processor = MessageProcessor.__new__(MessageProcessor)
    processor.tracker_store = store
    handled: list[str] = []

    async def run_turn(message: Any) -> list[str]:
        handled.append(message.message_id)
        return []

    processor.log_message = run_turn  # the first thing Rasa's handle_message does
    assert asyncio.run(MessageProcessor.handle_message(processor, _message("a", "m-1"))) is None
    assert handled == []


def _message(sender: str, message_id: str | None) -> Any:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    return UserMessage("yes", CollectingOutputChannel(), sender, message_id=message_id)


def _tracker() -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events("a", [])
