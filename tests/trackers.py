"""Building Rasa SDK trackers for action tests, as Rasa sends them to the action server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker

from bot.interview.turn import CONTROL_SLOTS
from bot.knowledge import get_dictionary

FORM = "interview_form"

TrackerFactory = Callable[..., Tracker]


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
    before: tuple[str, ...] = (),
    active_loop: str | None = FORM,
    input_channel: str | None = "rest",
    metadata: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    **slots: Any,
) -> Tracker:
    """A tracker whose latest event is the user's message (then the actions in ``after``).

    ``before`` names actions of the previous turn (before the form asked and listened).
    ``input_channel`` and ``metadata`` are those of the user's message (a channel's).

    Like the temporary tracker Rasa sends to the form's validation action, the form's
    own ``ActionExecuted`` comes last.
    """
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": list(entities or []),
    }
    events: list[dict[str, Any]] = []
    for name in before:
        events += [{"event": "action", "name": name}, {"event": "bot", "text": f"({name})"}]
    if before:
        events.append({"event": "action", "name": FORM})
    events += [
        {"event": "action", "name": "action_listen"},
        {
            "event": "user",
            "text": text,
            "parse_data": latest,
            "input_channel": input_channel,
            "metadata": metadata or {},
        },
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
