"""The conversation around the interview: welcome, pause and resume, start over, after the end."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import base
from actions.red_flags import absorb_mentions
from bot.interview import emergency, replies, wording
from bot.interview.turn import CONSENT, CONTROL_SLOTS, EMERGENCY
from bot.knowledge import get_dictionary


class ActionWelcome(Action):
    """Greeting and privacy notice; the form then asks for consent."""

    def name(self) -> str:
        """Action name."""
        return "action_welcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Greet and say how answers are kept (shorter, in clinical terms, on Slack or Teams)."""
        who = base.channel_respondent(tracker)
        base.say(dispatcher, [wording.text("greeting", who), wording.text("privacy", who)])
        return []


class ActionWelcomeBack(Action):
    """The person is back (after a pause, or just says hello mid-interview)."""

    def name(self) -> str:
        """Action name."""
        return "action_welcome_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Welcome back; the form asks the open question again."""
        dispatcher.utter_message(
            text=wording.text("welcome_back", base.state_of(tracker).respondent)
        )
        return absorb_mentions(dispatcher, tracker)


class ActionPause(Action):
    """The person needs to stop: everything is saved, the open question waits for them."""

    def name(self) -> str:
        """Action name."""
        return "action_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say how to come back (the form stays on the same question)."""
        events = absorb_mentions(dispatcher, tracker)
        dispatcher.utter_message(text=wording.text("pause", base.state_of(tracker).respondent))
        return events


class ActionStartOver(Action):
    """Start over: clear every answer (stored ones too); consent given stays given."""

    def name(self) -> str:
        """Action name."""
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Clear the answers; the form then asks who is answering (or for consent)."""
        try:
            base.recorder().reset(tracker.sender_id)
        except Exception:
            base.log.exception("could not reset a stored interview")
        keep_consent = tracker.get_slot(CONSENT) == "yes"
        events: list[EventType] = [SlotSet(code, None) for code in get_dictionary().findings]
        events += [
            SlotSet(name, value)
            for name, value in CONTROL_SLOTS.items()
            if not (name == CONSENT and keep_consent)
        ]
        events.append(SlotSet(REQUESTED_SLOT, None))
        dispatcher.utter_message(text=wording.text("start_over"))
        return events


class ActionAfterInterview(Action):
    """Any message once the interview is over (or was declined): say how to begin again."""

    def name(self) -> str:
        """Action name."""
        return "action_after_interview"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Explain that the interview is finished (or that nothing was stored).

        After an emergency warning, the advice again instead.
        """
        state = base.state_of(tracker)
        events: list[EventType] = [UserUtteranceReverted()]
        if state.emergency:
            if not replies.resumes(base.message_text(tracker)):
                advice = emergency.again(state.emergency, clinician=state.clinician)
                dispatcher.utter_message(text=advice)
                return events
            events.append(SlotSet(EMERGENCY, None))
        declined = tracker.get_slot(CONSENT) != "yes"
        entry = "declined" if declined else "complete"
        dispatcher.utter_message(text=wording.text(f"after_interview_{entry}"))
        # as Rasa's default fallback: forget the message so the policies listen again
        return events
