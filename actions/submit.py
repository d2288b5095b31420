"""The end of the interview: store the summary as complete and say what happens next."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import base
from bot.interview import readback, wording
from bot.interview.turn import INTERVIEW_OVER


class ActionSubmitInterview(Action):
    """After the read-back was confirmed (or consent refused)."""

    def name(self) -> str:
        """Action name."""
        return "action_submit_interview"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Complete the stored interview; tell a patient what's next, a clinician the result."""
        state = base.state_of(tracker)
        over: list[EventType] = [SlotSet(INTERVIEW_OVER, True)]
        if state.consent != "yes":
            dispatcher.utter_message(text=wording.text("consent_declined", state.respondent))
            return over
        summary = None
        try:
            summary = base.recorder().complete(tracker.sender_id)
        except Exception:
            base.log.exception("could not complete a stored interview")
        # a differential only for a clinician on a staff channel, whatever the slot says
        who = state.respondent if state.clinician or state.respondent != "clinician" else None
        base.say(dispatcher, readback.closing(who, summary, state.flags_told))
        return over
