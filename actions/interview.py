"""The interview form: validating every answer and asking every question.

``validate_interview_form`` codes the answer to whatever ``requested_slot`` is open
(consent, respondent, a finding, the read-back) and decides the next one with
``bot.workup.next_question``. ``action_ask_<slot>`` words each question for the
respondent, more simply when an answer was not understood.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import base
from actions import emergency as emergency_action
from bot.interview import detours, emergency, readback, replies, turn, wording
from bot.interview.turn import InterviewState, Turn
from bot.knowledge import get_dictionary

#: Intents that may still carry a free-text story rather than interrupt it.
STORY_INTERRUPTIONS = frozenset({"pause", "start_over"})
#: A free-text answer this short with a confident pause/start-over intent is an interruption.
STORY_INTERRUPTION_WORDS = 8
#: Right after a pause, a reply this short with one of these intents means "I'm back".
BACK_INTENTS = frozenset({"affirm", "resume", "greet"})
BACK_WORDS = 3


class ValidateInterviewForm(base.BaseFormValidationAction):
    """Codes each answer of the interview and picks the next question."""

    def name(self) -> str:
        """The form's validation action."""
        return f"validate_{base.FORM}"

    def handle(self, requested: str, state: InterviewState, tracker: Tracker) -> Turn | None:
        """The turn for the latest message, or ``None`` if it interrupts the interview."""
        text = base.message_text(tracker)
        intent, confidence = base.message_intent(tracker)
        if intent == turn.EMERGENCY_INTENT:
            return None  # the emergency rule answers it, whatever was asked
        if state.emergency:
            return _after_emergency(state, text, intent, confidence)
        if state.pending:
            confirmed = detours.confirm_pending(state, text, intent, confidence)
            if confirmed is not None:
                return confirmed
        answer = self._answer(requested, state, tracker, text, intent, confidence)
        if answer is None:
            return None
        if state.pending:
            answer.slots[turn.PENDING] = None  # answered something else: the document is dropped
        if state.clinician:  # "Ca 3.1 high, PO4 nl, ACA+": the labs a case states
            answer.labs = base.lab_reader()(text)
        removed = base.channel_note(tracker, "removed")
        if removed:
            answer.messages.insert(0, wording.text("identifier_removed", state.respondent))
        return answer

    def _answer(
        self,
        requested: str,
        state: InterviewState,
        tracker: Tracker,
        text: str,
        intent: str | None,
        confidence: float,
    ) -> Turn | None:
        if requested == turn.CONSENT:
            answer = turn.answer_consent(state, text, intent, confidence)
            return None if _interrupts(answer, turn.CONSENT, intent) else answer
        if requested == turn.RESPONDENT:
            answer = turn.answer_respondent(state, text)
            return None if _interrupts(answer, turn.RESPONDENT, intent) else answer
        if requested == turn.SUMMARY_CONFIRMED:
            if intent in turn.INTERRUPTIONS and confidence >= turn.INTERRUPTION_CONFIDENCE:
                return None
            return turn.answer_summary(state, text, intent, confidence, base.extractor())
        if requested not in get_dictionary().findings:
            return None
        if _back_from_pause(tracker, text, intent):
            return _welcome_back(state)
        is_story = get_dictionary().finding(requested).type == "text"
        if is_story and _story_interrupted(text, intent, confidence):
            return None
        interpret = base.interpreter()
        result = _with_birth_age(requested, interpret(requested, text, state.findings), tracker)
        detour = detours.handle(
            state,
            requested,
            text,
            result.value,
            base.extractor(),
            story=is_story,
            interpret=interpret,
            interrupting=turn.is_interruption(intent, confidence, result.value),
        )
        if detour is not None:
            return detour
        if not is_story and turn.is_interruption(intent, confidence, result.value):
            return None
        answered = turn.answer_finding(
            state, requested, text, result, intent=intent, interpret=interpret
        )
        aside = detours.aside(text, state.respondent)
        if aside is not None and requested in answered.findings:
            answered.messages.append(aside)
        return answered

    def after_turn(
        self, tracker: Tracker, before: InterviewState, after: InterviewState, turn_: Turn
    ) -> None:
        """Create the stored conversation on consent, note the respondent, save answers."""
        started = before.consent is None and after.consent == "yes"
        who_changed = after.respondent is not None and after.respondent != before.respondent
        if started or who_changed:
            try:
                base.recorder().start(
                    tracker.sender_id,
                    respondent=after.respondent,
                    channel=tracker.get_latest_input_channel(),
                )
            except Exception:
                base.log.exception("could not store the start of an interview")
        base.save_turn(tracker, after, turn_)


def _with_birth_age(requested: str, result: Any, tracker: Tracker) -> Any:
    """A date of birth given for the age (taken out by the channel) still gives the age."""
    age = base.channel_note(tracker, "birth_age")
    if requested == "age" and result.value is None and isinstance(age, int):
        return replace(result, value=age)
    return result


def _after_emergency(
    state: InterviewState, text: str, intent: str | None, confidence: float
) -> Turn | None:
    """After an emergency warning: the advice again, until the person says they can go on.

    "What should I do?", "is it serious?", "should I go now?" get the advice again in plain
    words (never "I can't help with that here"); nothing said meanwhile is an answer.
    "Start over" is still heard.
    """
    if intent == "start_over" and confidence >= turn.INTERRUPTION_CONFIDENCE:
        return None
    if replies.resumes(text):
        messages = [wording.text("welcome_back", state.respondent)]
        if state.consent is None:  # warned before the welcome: say it now
            messages = [wording.text("greeting"), wording.text("privacy")]
        back = Turn(messages=messages)
        back.slots[turn.EMERGENCY] = None
        back.slots[turn.REASKS] = state.reasks
        return back
    kind = state.emergency or "other"
    waiting = Turn(messages=[emergency.again(kind, clinician=state.clinician)])
    waiting.slots[turn.EMERGENCY] = kind
    return waiting


def _back_from_pause(tracker: Tracker, text: str, intent: str | None) -> bool:
    """A short "ok" / "yes" right after a pause means "I'm back", not an answer."""
    return (
        base.action_before_message(tracker.events) == "action_pause"
        and intent in BACK_INTENTS
        and len(text.split()) <= BACK_WORDS
    )


def _welcome_back(state: InterviewState) -> Turn:
    back = Turn(messages=[wording.text("welcome_back", state.respondent)])
    back.slots[turn.REASKS] = state.reasks  # a slot set, so the form asks its question again
    return back


def _interrupts(answer: Turn, slot: str, intent: str | None) -> bool:
    """A control question's reply not understood, with an interruption intent, interrupts."""
    return slot not in answer.slots and intent in turn.INTERRUPTIONS


def _story_interrupted(text: str, intent: str | None, confidence: float) -> bool:
    return (
        intent in STORY_INTERRUPTIONS
        and confidence >= turn.INTERRUPTION_CONFIDENCE
        and len(text.split()) <= STORY_INTERRUPTION_WORDS
    )


#: Actions after which the form asks nothing: the person is away, or getting help.
QUIET_AFTER = frozenset({"action_pause", emergency_action.ACTION})


def just_paused(tracker: Tracker) -> bool:
    """Whether the form runs right after a pause or an emergency (then it asks nothing)."""
    return base.previous_action(tracker.events) in QUIET_AFTER


class AskSlot(Action, ABC):
    """Asks for one slot of the interview form."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        """``action_ask_<slot>``, found by the form by this name."""
        return f"action_ask_{self.slot}"

    @abstractmethod
    def wording(self, state: InterviewState) -> tuple[str, list[EventType]]:
        """The question to send, and any events to return with it."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask the question (nothing after a pause, nor while an emergency is on)."""
        state = base.state_of(tracker)
        if just_paused(tracker) or state.emergency:
            return []
        text, events = self.wording(state)
        dispatcher.utter_message(text=text)
        return events


class AskFinding(AskSlot, ABC):
    """Asks a finding's question, worded for the respondent; simpler on a re-ask."""

    def wording(self, state: InterviewState) -> tuple[str, list[EventType]]:
        """The question, a re-ask, or the question with a progress note."""
        if state.reasks:
            return wording.reask(self.slot, state.respondent, state.reasks), []
        text = wording.question(self.slot, state.respondent)
        note, noted = turn.progress_note(state)
        if note is None:
            return text, []
        return f"{text} {note}", [SlotSet(turn.PROGRESS_NOTED, noted)]


class AskConsent(AskSlot):
    """Asks for consent."""

    slot = turn.CONSENT

    def wording(self, state: InterviewState) -> tuple[str, list[EventType]]:
        """The consent question (clearer on a re-ask)."""
        key = "consent_reask" if state.reasks else "consent_question"
        return wording.text(key, state.respondent), []


class AskRespondent(AskSlot):
    """Asks who is answering."""

    slot = turn.RESPONDENT

    def wording(self, state: InterviewState) -> tuple[str, list[EventType]]:
        """The respondent question (with the options spelled out on a re-ask).

        A clinician is offered only to staff: elsewhere the question names the patient and
        the people typing for them.
        """
        key = "respondent_reask" if state.reasks else "respondent_question"
        return wording.text(key if state.staff else f"{key}_public"), []


class AskSummaryConfirmed(AskSlot):
    """Reads back what was understood and asks whether it is right."""

    slot = turn.SUMMARY_CONFIRMED

    def wording(self, state: InterviewState) -> tuple[str, list[EventType]]:
        """The read-back and the question, or "what would you like to change?"."""
        if state.awaiting_change:
            if state.reasks:
                return wording.text("change_not_found", state.respondent), []
            return readback.change_list(state.findings, state.respondent), []
        if state.reasks:
            return wording.text("readback_reask", state.respondent), []
        text = readback.readback(state.findings, state.respondent, card_shown=state.state_shown)
        return text + "\n" + wording.text("readback_question", state.respondent), []


def _ask_finding_class(code: str) -> type[AskFinding]:
    attributes: dict[str, Any] = {"slot": code, "__module__": __name__}
    return type(f"AskFinding_{code}", (AskFinding,), attributes)


#: One ``action_ask_<code>`` per finding of the dictionary (kept referenced for the SDK).
ASK_FINDING_ACTIONS: dict[str, type[AskFinding]] = {
    code: _ask_finding_class(code) for code in get_dictionary().findings
}
