"""Corrections after the interview ended ("actually I'm on dialysis").

During the interview the form handles corrections itself: any answer that states a
finding differently from before is a change, confirmed to the person.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import base
from bot.interview import wording
from bot.interview.turn import correction


class ActionCorrect(Action):
    """Apply a correction to a finished interview and refresh its stored summary."""

    def name(self) -> str:
        """Action name."""
        return "action_correct"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Change the answers the message states; say what changed."""
        state = base.state_of(tracker)
        if state.consent != "yes":
            dispatcher.utter_message(text=wording.text("after_interview_declined"))
            return []
        text = base.message_text(tracker)
        turn = correction(state, text, base.extractor()(text, state.findings))
        if not turn.changes:
            dispatcher.utter_message(text=wording.text("change_not_found", state.respondent))
            return []
        base.say(dispatcher, turn.messages)
        base.save_turn(tracker, turn.apply(state), turn)
        try:
            base.recorder().complete(tracker.sender_id)
        except Exception:
            base.log.exception("could not refresh a stored summary after a correction")
        return base.slot_events(turn.slot_updates())
