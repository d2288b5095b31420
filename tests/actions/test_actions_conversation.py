"""Actions around the form: why/FAQ, pause and resume, start over, submit, corrections."""

from __future__ import annotations

from typing import Any

import pytest
from action_run import STAFF_REST, ActionRun, slots_of
from rasa_sdk.events import SlotSet, UserUtteranceReverted

from actions.corrections import ActionCorrect
from actions.faq import (
    ActionAnswerAbout,
    ActionAnswerCalcinosis,
    ActionExplainWhy,
    ActionOutOfScope,
)
from actions.session import (
    ActionAfterInterview,
    ActionPause,
    ActionStartOver,
    ActionWelcome,
    ActionWelcomeBack,
)
from actions.submit import ActionSubmitInterview
from bot import summary as summary_service
from bot import workup
from bot.interview import readback, wording
from bot.interview.records import Recorder
from bot.knowledge import get_dictionary
from bot.store import crud

pytestmark = pytest.mark.asyncio
STARTED = {"consent": "yes", "respondent": "patient"}
FINDINGS = {
    "age": 61,
    "sex": "female",
    "lesion_consistency": "hard",
    "lesion_locations": ["fingers"],
    "raynaud": "yes",
    "skin_thickening": "yes",
    "lesion_infection_signs": "yes",
}


def stored(recorder: Recorder, sender: str) -> dict[str, Any] | None:
    with recorder.database.session() as session:
        return summary_service.get_summary(session, sender)


@pytest.mark.parametrize("respondent", ["patient", "clinician"])
async def test_why_explains_the_open_question(act: ActionRun, respondent: str) -> None:
    events = await act(
        ActionExplainWhy(),
        "why?",
        intent="ask_why",
        requested_slot="raynaud",
        consent="yes",
        respondent=respondent,
    )
    assert events == []
    assert act.texts == [wording.why("raynaud", respondent)]


@pytest.mark.parametrize(
    ("action", "key"),
    [
        (ActionAnswerCalcinosis, "calcinosis"),
        (ActionAnswerAbout, "about"),
        (ActionOutOfScope, "out_of_scope"),
    ],
)
async def test_short_answers_without_a_diagnosis(act: ActionRun, action: type, key: str) -> None:
    await act(action(), "what is this?", intent="ask_calcinosis", requested_slot="age", **STARTED)
    assert act.texts == [wording.text(key, "patient")]


async def test_an_aside_with_a_red_flag_is_noted_and_told(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = slots_of(
        await act(
            ActionExplainWhy(),
            "why do you ask? also one of them is red, hot and full of pus now",
            intent="ask_why",
            requested_slot="age",
            **STARTED,
        )
    )
    assert slots["lesion_infection_signs"] == "yes"
    assert slots["red_flags_told"] == ["infected_lesion"]
    assert len(act.texts) == 3  # the reason, the red flag, "we can carry on"
    with recorder.database.session() as session:
        assert [f.code for f in crud.get_red_flags(session, act.sender)] == ["infected_lesion"]


async def test_an_aside_never_changes_an_answer(act: ActionRun, recorder: Recorder) -> None:
    events = await act(
        ActionAnswerCalcinosis(),
        "what is calcinosis? my fingers never go white",
        intent="ask_calcinosis",
        requested_slot="age",
        raynaud="yes",
        **STARTED,
    )
    assert events == []


@pytest.mark.parametrize("before", [None, "unknown"])
async def test_an_aside_fills_an_unanswered_or_unknown_finding(
    act: ActionRun, recorder: Recorder, before: str | None
) -> None:
    slots = slots_of(
        await act(
            ActionAnswerCalcinosis(),
            "what is calcinosis? I'm on dialysis by the way",
            intent="ask_calcinosis",
            requested_slot="age",
            dialysis=before,
            **STARTED,
        )
    )
    assert slots["dialysis"] == "yes"


async def test_welcome_greets_with_the_privacy_notice(act: ActionRun) -> None:
    await act(ActionWelcome(), "hi", intent="greet", active_loop=None)
    assert act.texts == [wording.text("greeting"), wording.text("privacy")]


async def test_pause_and_welcome_back(act: ActionRun) -> None:
    assert (
        await act(
            ActionPause(), "I need to stop", intent="pause", requested_slot="raynaud", **STARTED
        )
        == []
    )
    await act(ActionWelcomeBack(), "hi", intent="greet", **STARTED)
    assert act.texts == [wording.text("pause"), wording.text("welcome_back")]


async def test_start_over_clears_every_answer_but_keeps_consent(
    act: ActionRun, recorder: Recorder
) -> None:
    sender = "start-over-test"
    recorder.answers(sender, {"age": (40, "40")})
    slots = slots_of(
        await act(
            ActionStartOver(),
            "start over",
            intent="start_over",
            sender=sender,
            age=40,
            raynaud="yes",
            red_flags_told=["x"],
            **STARTED,
        )
    )
    assert all(slots[code] is None for code in get_dictionary().findings)
    assert "consent" not in slots
    assert slots["respondent"] is None
    assert slots["red_flags_told"] == []
    assert slots["requested_slot"] is None
    with recorder.database.session() as session:
        assert crud.get_answers(session, sender) == {}


async def test_start_over_after_declining_asks_consent_again(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = slots_of(
        await act(
            ActionStartOver(), "start over", intent="start_over", consent="no", interview_over=True
        )
    )
    assert slots["consent"] is None
    assert slots["interview_over"] is None


@pytest.mark.parametrize(
    ("consent", "key"), [("yes", "after_interview_complete"), ("no", "after_interview_declined")]
)
async def test_after_the_interview(act: ActionRun, consent: str, key: str) -> None:
    events = await act(
        ActionAfterInterview(), "thanks!", intent="goodbye", consent=consent, active_loop=None
    )
    assert events == [UserUtteranceReverted()]
    assert act.texts == [wording.text(key)]


async def submit(act: ActionRun, recorder: Recorder, respondent: str) -> list[dict[str, Any]]:
    sender = f"submit-{respondent}-{id(act)}"
    recorder.start(sender, respondent=respondent)
    recorder.answers(sender, {c: (v, str(v)) for c, v in FINDINGS.items()})
    return await act(
        ActionSubmitInterview(),
        "yes",
        intent="affirm",
        sender=sender,
        consent="yes",
        respondent=respondent,
        summary_confirmed="yes",
        red_flags_told=["infected_lesion"],
        active_loop=None,
        **FINDINGS,
        **(STAFF_REST if respondent == "clinician" else {}),
    )


@pytest.mark.parametrize("respondent", ["patient", "proxy"])
async def test_submit_stores_complete_and_tells_a_patient_only_what_happens_next(
    act: ActionRun, recorder: Recorder, respondent: str
) -> None:
    assert await submit(act, recorder, respondent) == [SlotSet("interview_over", True)]
    summary = stored(recorder, act.sender)
    assert summary is not None and summary["status"] == "complete"
    said = " ".join(act.texts).lower()
    assert not [c["name"] for c in summary["differential"] if c["name"].lower() in said]
    assert act.texts[0] == wording.text("end", respondent)


async def test_submit_gives_a_clinician_the_differential_and_workup(
    act: ActionRun, recorder: Recorder
) -> None:
    await submit(act, recorder, "clinician")
    summary = stored(recorder, act.sender)
    assert summary is not None
    assert act.texts == readback.closing("clinician", summary, ["infected_lesion"])
    report = act.texts[1]
    assert summary["differential"][0]["name"] in report
    assert "X-ray" in report and "Not recommended: MRI" in report


async def test_submit_after_declining_stores_nothing(act: ActionRun, recorder: Recorder) -> None:
    events = await act(ActionSubmitInterview(), "no", intent="deny", consent="no", active_loop=None)
    assert events == [SlotSet("interview_over", True)]
    assert act.texts == [wording.text("consent_declined")]
    assert stored(recorder, act.sender) is None


async def test_a_correction_after_the_end_updates_the_stored_summary(
    act: ActionRun, recorder: Recorder
) -> None:
    await submit(act, recorder, "patient")
    sender, said_before = act.sender, len(act.texts)
    slots = slots_of(
        await act(
            ActionCorrect(),
            "actually I am on dialysis",
            intent="correct",
            sender=sender,
            active_loop=None,
            red_flags_told=["infected_lesion"],
            **STARTED,
            **FINDINGS,
        )
    )
    assert slots["dialysis"] == "yes"
    assert "Dialysis" in act.texts[said_before]
    summary = stored(recorder, sender)
    assert summary is not None
    assert summary["findings"]["dialysis"] == "yes"
    assert summary["status"] == "complete"
    assert summary["rules_version"] == workup.assess(summary["findings"]).rules_version


async def test_a_correction_naming_nothing_is_asked_to_be_clearer(
    act: ActionRun, recorder: Recorder
) -> None:
    assert (
        await act(
            ActionCorrect(), "change it please", intent="correct", active_loop=None, **STARTED
        )
        == []
    )
    assert act.texts == [wording.text("change_not_found", "patient")]
