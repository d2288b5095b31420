"""The interview form's validation and its questions, run as the action server runs them."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TrackerFactory
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.interview import (
    ASK_FINDING_ACTIONS,
    AskConsent,
    AskRespondent,
    AskSummaryConfirmed,
    ValidateInterviewForm,
)
from bot import summary as summary_service
from bot import workup
from bot.interview import wording
from bot.interview.records import Recorder
from bot.knowledge import get_dictionary

pytestmark = pytest.mark.asyncio
STARTED = {"consent": "yes", "respondent": "patient"}
FIRST = workup.next_question({})


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages]


async def validate(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    text: str,
    **kwargs: Any,
) -> dict[str, Any]:
    tracker = tracker_for(text, **kwargs)
    events = await ValidateInterviewForm().run(dispatcher, tracker, domain)
    return {"events": events, "slots": slots_of(events), "sender": tracker.sender_id}


async def test_first_run_asks_for_consent(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    out = await validate(
        tracker_for, dispatcher, domain, "hello", intent="greet", after=("action_welcome",)
    )
    assert out["events"] == [SlotSet("requested_slot", "consent")]
    assert dispatcher.messages == []


async def test_consent_creates_the_stored_conversation(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for, dispatcher, domain, "yes, I agree", intent="affirm", requested_slot="consent"
    )
    assert out["slots"]["consent"] == "yes"
    assert out["slots"]["requested_slot"] == "respondent"
    with recorder.database.session() as session:
        assert summary_service.get_summary(session, out["sender"])["consent"] is True


async def test_consent_declined_ends_the_form_and_stores_nothing(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for, dispatcher, domain, "no", intent="deny", requested_slot="consent"
    )
    assert out["slots"] == {"consent": "no", "reask_count": 0, "requested_slot": None}
    with recorder.database.session() as session:
        assert summary_service.get_summary(session, out["sender"]) is None


async def test_respondent_then_the_engines_first_question(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "I'm a resident, asking about a patient of mine",
        intent="identify_respondent",
        requested_slot="respondent",
        consent="yes",
    )
    assert out["slots"]["respondent"] == "clinician"
    assert out["slots"]["requested_slot"] == workup.next_question({})
    assert texts(dispatcher) == [wording.text("intro", "clinician")]


async def test_an_answer_is_coded_stored_with_words_and_the_next_question_chosen(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    text = "62F, on dialysis, and my fingers go white in the cold"
    out = await validate(tracker_for, dispatcher, domain, text, requested_slot="age", **STARTED)
    assert out["slots"]["age"] == 62
    assert out["slots"]["sex"] == "female"
    assert out["slots"]["dialysis"] == "yes"
    assert out["slots"]["raynaud"] == "yes"
    findings = {k: out["slots"][k] for k in ("age", "sex", "dialysis", "raynaud")}
    assert out["slots"]["requested_slot"] == workup.next_question(findings)
    with recorder.database.session() as session:
        summary = summary_service.get_summary(session, out["sender"])
    assert summary["status"] == "in_progress"
    assert summary["answers"]["raynaud"]["words"] == text
    assert summary["findings"]["age"] == 62


async def test_not_understood_keeps_the_question_and_counts(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(tracker_for, dispatcher, domain, "purple", requested_slot=FIRST, **STARTED)
    assert out["slots"] == {"reask_count": 1, "requested_slot": FIRST}


async def test_after_two_reasks_unknown_and_move_on(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "purple",
        requested_slot="lesion_count",
        reask_count=2,
        **STARTED,
    )
    assert out["slots"]["lesion_count"] == "unknown"
    assert out["slots"]["requested_slot"] != "lesion_count"
    assert texts(dispatcher) == [wording.text("gave_up")]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("why do you ask?", "ask_why"),
        ("what is calcinosis?", "ask_calcinosis"),
        ("I need to stop, I'll come back later", "pause"),
        ("start over", "start_over"),
    ],
)
async def test_an_interruption_is_not_an_answer_so_the_form_is_rejected(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
    text: str,
    intent: str,
) -> None:
    out = await validate(
        tracker_for, dispatcher, domain, text, intent=intent, requested_slot="raynaud", **STARTED
    )
    assert out["events"] == []


async def test_a_plain_no_is_never_swallowed_by_a_doubtful_intent(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "nope",
        intent="out_of_scope",
        confidence=0.55,
        requested_slot="raynaud",
        **STARTED,
    )
    assert out["slots"]["raynaud"] == "no"


async def test_the_story_is_kept_verbatim_even_if_nlu_thinks_it_is_a_question(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    story = "Referred for calcinosis? No. It started after my fall two years ago."
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        story,
        intent="ask_calcinosis",
        confidence=0.99,
        requested_slot="free_text_story",
        **STARTED,
    )
    assert out["slots"]["free_text_story"] == story


async def test_back_from_an_interruption_only_requests_the_slot(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "why do you ask?",
        intent="ask_why",
        after=("action_explain_why",),
        requested_slot=FIRST,
        **STARTED,
    )
    assert out["events"] == [SlotSet("requested_slot", FIRST)]


async def test_a_red_flag_mid_interview_is_told_and_stored(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "yes, one is red and hot and there's pus",
        requested_slot="lesion_infection_signs",
        **STARTED,
    )
    assert out["slots"]["red_flags_told"] == ["infected_lesion"]
    advice = workup.check_red_flags({"lesion_infection_signs": "yes"})[0].advice
    assert any(advice in t for t in texts(dispatcher))
    with recorder.database.session() as session:
        stored = summary_service.get_summary(session, out["sender"])["red_flags"]
    assert [f["code"] for f in stored] == ["infected_lesion"]
    assert stored[0]["told_at"]


async def test_readback_confirmed_ends_the_form(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    recorder: Recorder,
) -> None:
    done = {"age": 30}
    out = await validate(
        tracker_for,
        dispatcher,
        domain,
        "yes, that's all correct",
        intent="affirm",
        requested_slot="summary_confirmed",
        **STARTED,
        **done,
    )
    if workup.next_question(done) is None:  # the engine may still want more
        assert out["slots"]["requested_slot"] is None
    assert out["slots"]["summary_confirmed"] == "yes"


# -- asking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("respondent", ["patient", "proxy", "clinician"])
@pytest.mark.parametrize("code", ["age", "raynaud", "lesion_locations"])
async def test_each_finding_is_asked_for_the_respondent(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    code: str,
    respondent: str,
) -> None:
    tracker = tracker_for("", requested_slot=code, consent="yes", respondent=respondent)
    await ASK_FINDING_ACTIONS[code]().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [wording.question(code, respondent)]


async def test_a_reask_is_simpler(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = tracker_for("", requested_slot="raynaud", reask_count=1, **STARTED)
    await ASK_FINDING_ACTIONS["raynaud"]().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [wording.reask("raynaud", "patient", 1)]


async def test_nothing_is_asked_right_after_a_pause(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = tracker_for(
        "gotta go", intent="pause", after=("action_pause",), requested_slot="raynaud", **STARTED
    )
    assert await ASK_FINDING_ACTIONS["raynaud"]().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


async def test_progress_note_is_added_and_remembered(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    answered = dict.fromkeys(
        [
            "lesion_pain",
            "lesion_ulceration",
            "raynaud",
            "kidney_disease",
            "sarcoidosis",
            "cancer_history",
        ],
        "no",
    )
    code = workup.next_question(answered)
    assert code is not None
    tracker = tracker_for("", requested_slot=code, **STARTED, **answered)
    events = await ASK_FINDING_ACTIONS[code]().run(dispatcher, tracker, domain)
    assert "questions left)" in texts(dispatcher)[0]
    assert events == [SlotSet("progress_noted", 6)]


@pytest.mark.parametrize(
    ("action", "slots", "expected"),
    [
        (AskConsent, {}, wording.text("consent_question")),
        (AskConsent, {"reask_count": 1}, wording.text("consent_reask")),
        (AskRespondent, {"consent": "yes"}, wording.text("respondent_question")),
        (AskRespondent, {"consent": "yes", "reask_count": 1}, wording.text("respondent_reask")),
        (AskSummaryConfirmed, {**STARTED, "awaiting_change": True}, wording.text("ask_change")),
        (
            AskSummaryConfirmed,
            {**STARTED, "awaiting_change": True, "reask_count": 1},
            wording.text("change_not_found"),
        ),
        (AskSummaryConfirmed, {**STARTED, "reask_count": 1}, wording.text("readback_reask")),
    ],
)
async def test_control_questions(
    tracker_for: TrackerFactory,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    action: type,
    slots: dict[str, Any],
    expected: str,
) -> None:
    await action().run(dispatcher, tracker_for("", **slots), domain)
    assert texts(dispatcher) == [expected]


async def test_the_readback_reads_every_answer(
    tracker_for: TrackerFactory, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = tracker_for(
        "", requested_slot="summary_confirmed", age=44, lesion_locations=["knees"], **STARTED
    )
    await AskSummaryConfirmed().run(dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    assert (
        "Age: 44" in text and "knees" in text and text.endswith(wording.text("readback_question"))
    )


async def test_one_ask_action_per_finding() -> None:
    assert set(ASK_FINDING_ACTIONS) == set(get_dictionary().findings)
    assert {cls().name() for cls in ASK_FINDING_ACTIONS.values()} == {
        f"action_ask_{c}" for c in get_dictionary().findings
    }
