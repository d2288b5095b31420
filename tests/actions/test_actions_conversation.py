"""Actions around the form: why/FAQ, pause and resume, start over, submit, corrections."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TrackerFactory
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

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


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(
    ("respondent", "expected"),
    [
        ("patient", wording.why("raynaud", "patient")),
        ("clinician", wording.why("raynaud", "clinician")),
    ],
)
async def test_why_explains_the_open_question(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    respondent: str,
    expected: str,
) -> None:
    tracker = tracker_for(
        "why?", intent="ask_why", requested_slot="raynaud", consent="yes", respondent=respondent
    )
    assert await ActionExplainWhy().run(dispatcher, tracker, domain) == []
    assert texts(dispatcher) == [expected]


@pytest.mark.parametrize(
    ("action", "key"),
    [
        (ActionAnswerCalcinosis, "calcinosis"),
        (ActionAnswerAbout, "about"),
        (ActionOutOfScope, "out_of_scope"),
    ],
)
async def test_short_answers_without_a_diagnosis(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    action: type,
    key: str,
) -> None:
    tracker = tracker_for("what is this?", intent="ask_calcinosis", requested_slot="age", **STARTED)
    await action().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [wording.text(key, "patient")]


async def test_an_aside_with_a_red_flag_is_noted_and_told(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for(
        "why do you ask? also one of them is red, hot and full of pus now",
        intent="ask_why",
        requested_slot="age",
        **STARTED,
    )
    events = await ActionExplainWhy().run(dispatcher, tracker, domain)
    slots = slots_of(events)
    assert slots["lesion_infection_signs"] == "yes"
    assert slots["red_flags_told"] == ["infected_lesion"]
    assert len(texts(dispatcher)) == 3  # the reason, the red flag, "we can carry on"
    with recorder.database.session() as session:
        assert [f.code for f in crud.get_red_flags(session, tracker.sender_id)] == [
            "infected_lesion"
        ]


async def test_an_aside_never_changes_an_answer(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for(
        "what is calcinosis? my fingers never go white",
        intent="ask_calcinosis",
        requested_slot="age",
        raynaud="yes",
        **STARTED,
    )
    assert await ActionAnswerCalcinosis().run(dispatcher, tracker, domain) == []


async def test_welcome_greets_with_the_privacy_notice(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    await ActionWelcome().run(
        dispatcher, tracker_for("hi", intent="greet", active_loop=None), domain
    )
    assert texts(dispatcher) == [wording.text("greeting"), wording.text("privacy")]


async def test_pause_and_welcome_back(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = tracker_for("I need to stop", intent="pause", requested_slot="raynaud", **STARTED)
    assert await ActionPause().run(dispatcher, tracker, domain) == []
    await ActionWelcomeBack().run(dispatcher, tracker_for("hi", intent="greet", **STARTED), domain)
    assert texts(dispatcher) == [wording.text("pause"), wording.text("welcome_back")]


async def test_start_over_clears_every_answer_but_keeps_consent(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for(
        "start over", intent="start_over", age=40, raynaud="yes", red_flags_told=["x"], **STARTED
    )
    recorder.answers(tracker.sender_id, {"age": (40, "40")})
    slots = slots_of(await ActionStartOver().run(dispatcher, tracker, domain))
    assert all(slots[code] is None for code in get_dictionary().findings)
    assert "consent" not in slots
    assert slots["respondent"] is None
    assert slots["red_flags_told"] == []
    assert slots["requested_slot"] is None
    with recorder.database.session() as session:
        assert crud.get_answers(session, tracker.sender_id) == {}


async def test_start_over_after_declining_asks_consent_again(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for("start over", intent="start_over", consent="no", interview_over=True)
    slots = slots_of(await ActionStartOver().run(dispatcher, tracker, domain))
    assert slots["consent"] is None
    assert slots["interview_over"] is None


@pytest.mark.parametrize(
    ("consent", "key"), [("yes", "after_interview_complete"), ("no", "after_interview_declined")]
)
async def test_after_the_interview(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    consent: str,
    key: str,
) -> None:
    tracker = tracker_for("thanks!", intent="goodbye", consent=consent, active_loop=None)
    assert await ActionAfterInterview().run(dispatcher, tracker, domain) == [
        UserUtteranceReverted()
    ]
    assert texts(dispatcher) == [wording.text(key)]


FINDINGS = {
    "age": 61,
    "sex": "female",
    "lesion_consistency": "hard",
    "lesion_locations": ["fingers"],
    "raynaud": "yes",
    "skin_thickening": "yes",
    "lesion_infection_signs": "yes",
}


async def _submit(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
    respondent: str,
) -> tuple[str, list[dict[str, Any]]]:
    tracker = tracker_for(
        "yes",
        intent="affirm",
        consent="yes",
        respondent=respondent,
        summary_confirmed="yes",
        red_flags_told=["infected_lesion"],
        active_loop=None,
        **FINDINGS,
    )
    recorder.start(tracker.sender_id, respondent=respondent)
    recorder.answers(tracker.sender_id, {c: (v, str(v)) for c, v in FINDINGS.items()})
    events = await ActionSubmitInterview().run(dispatcher, tracker, domain)
    return tracker.sender_id, events


@pytest.mark.parametrize("respondent", ["patient", "proxy"])
async def test_submit_stores_complete_and_tells_a_patient_only_what_happens_next(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
    respondent: str,
) -> None:
    sender, events = await _submit(tracker_for, dispatcher, domain, recorder, respondent)
    assert events == [SlotSet("interview_over", True)]
    with recorder.database.session() as session:
        summary = summary_service.get_summary(session, sender)
    assert summary["status"] == "complete"
    said = " ".join(texts(dispatcher)).lower()
    for cause in summary["differential"]:
        assert cause["name"].lower() not in said
    assert texts(dispatcher)[0] == wording.text("end", respondent)


async def test_submit_gives_a_clinician_the_differential_and_workup(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    sender, _ = await _submit(tracker_for, dispatcher, domain, recorder, "clinician")
    with recorder.database.session() as session:
        summary = summary_service.get_summary(session, sender)
    assert texts(dispatcher) == readback.closing("clinician", summary, ["infected_lesion"])
    report = texts(dispatcher)[1]
    assert summary["differential"][0]["name"] in report
    assert "X-ray" in report and "Not recommended: MRI" in report


async def test_submit_after_declining_stores_nothing(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for("no", intent="deny", consent="no", active_loop=None)
    assert await ActionSubmitInterview().run(dispatcher, tracker, domain) == [
        SlotSet("interview_over", True)
    ]
    assert texts(dispatcher) == [wording.text("consent_declined")]
    with recorder.database.session() as session:
        assert crud.get_conversation(session, tracker.sender_id) is None


async def test_a_correction_after_the_end_updates_the_stored_summary(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    sender, _ = await _submit(tracker_for, dispatcher, domain, recorder, "patient")
    dispatcher.messages.clear()
    tracker = tracker_for(
        "actually I am on dialysis",
        intent="correct",
        sender=sender,
        active_loop=None,
        red_flags_told=["infected_lesion"],
        **STARTED,
        **FINDINGS,
    )
    slots = slots_of(await ActionCorrect().run(dispatcher, tracker, domain))
    assert slots["dialysis"] == "yes"
    assert "Dialysis" in texts(dispatcher)[0]
    with recorder.database.session() as session:
        summary = summary_service.get_summary(session, sender)
    assert summary["findings"]["dialysis"] == "yes"
    assert summary["status"] == "complete"
    assert summary["differential"] == sorted(summary["differential"], key=lambda c: -c["score"])
    assert workup.assess(summary["findings"]).rules_version == summary["rules_version"]


async def test_a_correction_naming_nothing_is_asked_to_be_clearer(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    tracker = tracker_for("change it please", intent="correct", active_loop=None, **STARTED)
    assert await ActionCorrect().run(dispatcher, tracker, domain) == []
    assert texts(dispatcher) == [wording.text("change_not_found", "patient")]
