"""What every Calx action shares: reading the tracker, saying things, saving progress.

Actions stay thin: they read an :class:`~bot.interview.turn.InterviewState` from the
slots, call :mod:`bot.interview`, and turn the result into events and messages.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.interview import turn
from bot.interview.records import Recorder
from bot.interview.turn import Extractor, Interpreter, InterviewState, Turn, next_slot

log = logging.getLogger(__name__)

FORM = "interview_form"
#: Actions that run between a user message and the form without answering anything.
PASSIVE_ACTIONS = frozenset(
    {"action_listen", "action_extract_slots", FORM, f"validate_{FORM}", "action_session_start"}
)

_recorder = Recorder()


def recorder() -> Recorder:
    """The process-wide recorder (its database is made on first use)."""
    return _recorder


def use_recorder(new: Recorder) -> Recorder:
    """Replace the process-wide recorder (tests); returns the previous one."""
    global _recorder
    previous, _recorder = _recorder, new
    return previous


def state_of(tracker: Tracker) -> InterviewState:
    """The interview's state from the tracker's slots (and whether staff is typing)."""
    shown = tracker.get_latest_input_channel() in turn.STATE_SHOWN_CHANNELS
    return InterviewState.from_slots(tracker.slots, staff=is_staff(tracker), state_shown=shown)


def message_text(tracker: Tracker) -> str:
    """The latest user message's text."""
    return str((tracker.latest_message or {}).get("text") or "")


def message_intent(tracker: Tracker) -> tuple[str | None, float]:
    """The latest user message's intent and NLU confidence."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def emergency_kind(tracker: Tracker) -> str | None:
    """The emergency the NLU found in the latest message (its ``emergency`` entity), if any."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "emergency" and entity.get("value"):
            return str(entity["value"])
    return None


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata the channel sent with the latest user message (``{}`` if none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return dict(metadata) if isinstance(metadata, Mapping) else {}
    return {}


def channel_note(tracker: Tracker, key: str) -> Any:
    """What the channel noted about the latest message (``calx.<key>`` of its metadata)."""
    calx = message_metadata(tracker).get("calx")
    return calx.get(key) if isinstance(calx, Mapping) else None


def is_staff(tracker: Tracker) -> bool:
    """Whether the latest message came from staff, as its channel verified."""
    return turn.is_staff(tracker.get_latest_input_channel(), message_metadata(tracker))


def channel_respondent(tracker: Tracker) -> str | None:
    """Who is typing, if the latest message came from a channel that says so (Slack, Teams)."""
    return turn.channel_respondent(tracker.get_latest_input_channel(), message_metadata(tracker))


def previous_action(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The last action since the latest user message that did more than listen or loop."""
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return None
        if kind == "action" and event.get("name") not in PASSIVE_ACTIONS:
            return str(event.get("name"))
    return None


def action_before_message(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The last action that did something before the latest user message (e.g. a pause)."""
    seen_user = False
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") not in PASSIVE_ACTIONS:
            return str(event.get("name"))
    return None


def is_fresh_message(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the latest user message has not been handled by any other action yet."""
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "bot" or (kind == "action" and event.get("name") not in PASSIVE_ACTIONS):
            return False
    return False


def say(dispatcher: CollectingDispatcher, messages: Iterable[str]) -> None:
    """Send each message as its own bubble."""
    for message in messages:
        dispatcher.utter_message(text=message)


def slot_events(updates: Mapping[str, Any]) -> list[EventType]:
    """``SlotSet`` events for ``{slot: value}``."""
    return [SlotSet(name, value) for name, value in updates.items()]


class AnswersNotStored(RuntimeError):
    """The database did not take a turn's answers: the action fails, so does the turn."""


def save_turn(tracker: Tracker, state: InterviewState, turn: Turn) -> None:
    """Store the answers and red flags of a turn (only once the person consented).

    Raises:
        AnswersNotStored: the store failed. The action fails rather than set slots the
            summary would lack; the channel asks the person to send the message again.
    """
    if state.consent != "yes" or not (turn.answers or turn.red_flags or turn.labs):
        return
    try:
        recorder().answers(
            tracker.sender_id,
            turn.answers,
            turn.red_flags,
            respondent=state.respondent,
            labs=turn.labs,
        )
    except Exception as error:
        # the type only: a database error's text carries the statement's parameters
        log.error("could not store the answers of a turn (%s)", type(error).__name__)
        raise AnswersNotStored(type(error).__name__) from None


class BaseFormValidationAction(FormValidationAction, ABC):
    """A form whose next question is decided in Python on every run.

    After a fresh user message, :meth:`handle` turns it into a :class:`Turn`, or returns
    ``None`` when the message is not an answer (then nothing is returned, the form is
    rejected, and the rules handle the interruption). The next slot to request always
    comes from :meth:`next_slot`; ``None`` ends the form.
    """

    @abstractmethod
    def handle(self, requested: str, state: InterviewState, tracker: Tracker) -> Turn | None:
        """The turn for the latest message as the answer to ``requested``."""

    def next_slot(self, state: InterviewState) -> str | None:
        """The slot to ask next."""
        return next_slot(state)

    def after_turn(
        self, tracker: Tracker, before: InterviewState, after: InterviewState, turn: Turn
    ) -> None:
        """Hook to persist a turn (default: store its answers and red flags)."""
        save_turn(tracker, after, turn)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Handle the latest answer (if any), then request the next slot."""
        state = state_of(tracker)
        events: list[EventType] = []
        preset = channel_respondent(tracker)
        if state.respondent is None and preset is not None:  # residents on Slack or Teams
            state = replace(state, respondent=preset)
            events.append(SlotSet(turn.RESPONDENT, preset))
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested and is_fresh_message(tracker.events):
            answer = self.handle(str(requested), state, tracker)
            if answer is None:
                return []  # an interruption: the form is rejected and a rule answers
            if state.reopen in answer.findings and turn.REOPEN not in answer.slots:
                answer.slots[turn.REOPEN] = None  # the question gone back to is answered
            say(dispatcher, answer.messages)
            after = answer.apply(state)
            self.after_turn(tracker, state, after, answer)
            events += slot_events(answer.slot_updates())
            state = after
        following = self.next_slot(state)
        if following != requested and state.reasks:
            events.append(SlotSet("reask_count", 0))
        return [*events, SlotSet(REQUESTED_SLOT, following)]


def interpreter() -> Interpreter:
    """``bot.nlp.interpret``: the one function that codes every answer."""
    from bot.nlp import interpret

    return interpret


def lab_reader() -> Any:
    """``bot.nlp.labs.read_labs``: lab results in a clinician's words."""
    from bot.nlp.labs import read_labs

    return read_labs


def extractor() -> Extractor:
    """``bot.nlp.extract``: every finding stated in a free message."""
    from bot.nlp import extract

    return extract
