"""An emergency in any turn: told at once, stored, the interview waits; asked again, told again.

The NLU marks the message (intent ``emergency``, entity ``emergency`` = kind: see
tests/nlp/test_nlp_rasa_component.py); these tests run the actions as the action server does.
"""

from __future__ import annotations

from typing import Any

import pytest
from action_run import STAFF_REST, ActionRun, slots_of

from actions.emergency import ActionEmergency
from actions.interview import ValidateInterviewForm, _ask_finding_class
from actions.session import ActionAfterInterview
from bot import summary as summary_service
from bot import workup
from bot.interview import emergency, wording
from bot.interview.records import Recorder
from bot.store import crud

pytestmark = pytest.mark.asyncio


def flagged(kind: str) -> dict[str, Any]:
    """What the NLU gives a message the emergency screen found."""
    return {
        "intent": "emergency",
        "confidence": 1.0,
        "entities": [{"entity": "emergency", "value": kind, "start": 0, "end": 5}],
    }


OPEN = workup.next_question({"age": 50})
STARTED = {"consent": "yes", "respondent": "patient", "age": 50, "requested_slot": OPEN}


@pytest.mark.parametrize("kind", ["chest_pain", "stroke", "self_harm", "poisoning"])
async def test_the_advice_is_told_stored_and_the_interview_waits(
    act: ActionRun, recorder: Recorder, kind: str
) -> None:
    events = await act(ActionEmergency(), "whatever they said", **flagged(kind), **STARTED)
    [advice] = act.texts
    assert advice == emergency.advice(kind)
    assert "emergency" in advice and emergency.current_locale().number in advice
    assert slots_of(events) == {"emergency": kind}
    with recorder.database.session() as session:
        summary = summary_service.get_summary(session, act.sender)
        entries = crud.audit_entries(session, conversation_id=act.sender)
    assert summary is not None
    assert summary["red_flags"][0] == {
        "code": "emergency",
        "kind": kind,
        "advice": advice,
        "told_at": summary["red_flags"][0]["told_at"],
    }
    assert "whatever they said" not in str(summary)  # no words of the person kept with it
    assert [e.action for e in entries].count("emergency_told") == 1


async def test_before_consent_it_is_still_stored(act: ActionRun, recorder: Recorder) -> None:
    await act(ActionEmergency(), "help", **flagged("breathing"), active_loop=None)
    with recorder.database.session() as session:
        stored = summary_service.get_summary(session, act.sender)
    assert stored is not None and stored["red_flags"][0]["kind"] == "breathing"


async def test_a_clinician_on_a_staff_channel_gets_the_clinical_line(act: ActionRun) -> None:
    staff = {**STARTED, "respondent": "clinician", **STAFF_REST}
    await act(ActionEmergency(), "pt seizing now", **flagged("seizure"), **staff)
    assert act.texts == [emergency.advice("seizure", clinician=True)]
    await act(ActionEmergency(), "pt seizing now", **flagged("seizure"), **STARTED)
    assert act.texts[-1] == emergency.advice("seizure")


async def test_the_form_leaves_the_message_to_the_emergency_rule(act: ActionRun) -> None:
    events = await act(
        ValidateInterviewForm(), "he can't breathe", **flagged("breathing"), **STARTED
    )
    assert events == []  # rejected: the rule runs action_emergency, nothing is an answer


@pytest.mark.parametrize("text", ["what should I do?", "is it serious?", "should I go now?", "no"])
async def test_after_the_warning_the_advice_again_and_nothing_stored(
    act: ActionRun, recorder: Recorder, text: str
) -> None:
    events = await act(
        ValidateInterviewForm(), text, intent="ask_why", emergency="chest_pain", **STARTED
    )
    assert act.texts == [emergency.again("chest_pain")]
    slots = slots_of(events)
    assert OPEN not in slots
    assert slots["requested_slot"] == OPEN
    with recorder.database.session() as session:
        assert crud.get_answers(session, act.sender) == {}
    await act(_ask_finding_class(str(OPEN))(), text, emergency="chest_pain", **STARTED)
    assert len(act.texts) == 1  # the question is not asked while the emergency is on


async def test_carry_on_resumes_the_open_question(act: ActionRun) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(), "ok, carry on", intent="resume", emergency="stroke", **STARTED
        )
    )
    assert slots["emergency"] is None
    assert slots["requested_slot"] == OPEN
    assert act.texts == [wording.text("welcome_back", "patient")]
    await act(_ask_finding_class(str(OPEN))(), "ok", **STARTED)
    assert act.texts[-1].startswith(wording.question(str(OPEN), "patient"))


async def test_warned_before_the_welcome_hears_it_when_carrying_on(act: ActionRun) -> None:
    await act(
        ValidateInterviewForm(),
        "I'm ok now",
        intent="affirm",
        emergency="breathing",
        requested_slot="consent",
    )
    assert act.texts == [wording.text("greeting"), wording.text("privacy")]


async def test_after_the_interview_the_advice_again_then_the_usual(act: ActionRun) -> None:
    over = {"consent": "yes", "interview_over": True, "active_loop": None}
    await act(ActionAfterInterview(), "what now?", emergency="bleeding", **over)
    assert act.texts == [emergency.again("bleeding")]
    events = await act(ActionAfterInterview(), "false alarm", emergency="bleeding", **over)
    assert slots_of(events) == {"emergency": None}
    assert act.texts[-1] == wording.text("after_interview_complete")
