"""Questions the person asks: why a question, what calcinosis is, what Calx is, off-topic.

Each answers briefly (never a diagnosis) and notes anything the message stated in
passing; the rules then resume the interview, which asks the open question again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import base
from actions.red_flags import absorb_mentions
from bot.interview import wording


class Reply(Action, ABC):
    """Answers with one text of ``bot/interview/texts.yaml``, worded for the respondent."""

    @property
    @abstractmethod
    def action_name(self) -> str:
        """The action's name in the domain."""

    @property
    @abstractmethod
    def text_key(self) -> str:
        """The text said."""

    def name(self) -> str:
        """Action name."""
        return self.action_name

    def reply(self, tracker: Tracker) -> str:
        """What to say."""
        return wording.text(self.text_key, base.state_of(tracker).respondent)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say the reply, then note what the message stated."""
        dispatcher.utter_message(text=self.reply(tracker))
        return absorb_mentions(dispatcher, tracker)


class ActionExplainWhy(Reply):
    """Why the open question is asked (plain for a patient, the rationale for a clinician)."""

    action_name = "action_explain_why"
    text_key = "why"

    def reply(self, tracker: Tracker) -> str:
        """The reason for the question that is open."""
        return wording.explain(tracker.get_slot(REQUESTED_SLOT), base.state_of(tracker).respondent)


class ActionAnswerCalcinosis(Reply):
    """A short explanation of calcinosis (from the seed), without a diagnosis."""

    action_name = "action_answer_calcinosis"
    text_key = "calcinosis"


class ActionAnswerAbout(Reply):
    """What Calx is, how long it takes and who sees the answers."""

    action_name = "action_answer_about"
    text_key = "about"


class ActionOutOfScope(Reply):
    """An off-topic question: a polite short answer, no medical advice."""

    action_name = "action_out_of_scope"
    text_key = "out_of_scope"
