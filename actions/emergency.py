"""An emergency described in any turn: told at once, stored, and the interview waits.

The NLU gives the message the intent ``emergency`` and its kind as an entity when the
emergency screen (``bot.nlp.emergency``) finds one; a rule runs this action whatever the
form was waiting for. The form asks nothing until the person says they can carry on.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import base
from bot.interview import emergency
from bot.interview.turn import EMERGENCY

ACTION = "action_emergency"


class ActionEmergency(Action):
    """Tell the person what to do now; store the event; pause the interview."""

    def name(self) -> str:
        """Action name."""
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The advice first; then the record (a failed store never holds the advice back)."""
        kind = base.emergency_kind(tracker) or "other"
        state = base.state_of(tracker)
        advice = emergency.advice(kind, clinician=state.clinician)
        dispatcher.utter_message(text=advice)
        try:
            base.recorder().emergency(
                tracker.sender_id, kind, advice, channel=tracker.get_latest_input_channel()
            )
        except Exception as error:
            base.log.error("could not store an emergency told (%s)", type(error).__name__)
        return [SlotSet(EMERGENCY, kind)]
