"""Running actions as the action server does, and seeing what they said and set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from trackers import TrackerFactory


@dataclass
class ActionRun:
    """Runs actions as the action server does; keeps what they said and set."""

    tracker_for: TrackerFactory
    domain: dict[str, Any]
    dispatcher: CollectingDispatcher = field(default_factory=CollectingDispatcher)
    sender: str = ""

    async def __call__(self, action: Action, text: str = "", **kwargs: Any) -> list[dict[str, Any]]:
        """Run ``action`` after the user said ``text`` (``kwargs``: see ``build_tracker``)."""
        tracker = self.tracker_for(text, **kwargs)
        self.sender = tracker.sender_id
        events: list[dict[str, Any]] = await action.run(self.dispatcher, tracker, self.domain)
        return events

    @property
    def texts(self) -> list[str]:
        """Every message sent so far."""
        return [m["text"] for m in self.dispatcher.messages]


#: A REST message that carried the service token: the channel marked it as staff's.
STAFF_REST: dict[str, Any] = {
    "input_channel": "rest",
    "metadata": {"calx": {"channel": "rest", "staff": True}},
}


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    """``{slot: value}`` of the ``SlotSet`` events."""
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}
