"""The interview form's validation and its questions, run as the action server runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from action_run import STAFF_REST, ActionRun, slots_of
from rasa_sdk.events import SlotSet

from actions import base
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
from bot.store.db import Database

pytestmark = pytest.mark.asyncio
STARTED = {"consent": "yes", "respondent": "patient"}
FIRST = workup.next_question({})


def stored(recorder: Recorder, sender: str) -> dict[str, Any] | None:
    with recorder.database.session() as session:
        return summary_service.get_summary(session, sender)


async def validate(act: ActionRun, text: str, **kwargs: Any) -> dict[str, Any]:
    return slots_of(await act(ValidateInterviewForm(), text, **kwargs))


async def test_first_run_asks_for_consent(act: ActionRun) -> None:
    events = await act(ValidateInterviewForm(), "hello", intent="greet", after=("action_welcome",))
    assert events == [SlotSet("requested_slot", "consent")]
    assert act.texts == []


async def test_consent_creates_the_stored_conversation(act: ActionRun, recorder: Recorder) -> None:
    slots = await validate(act, "yes, I agree", intent="affirm", requested_slot="consent")
    assert slots["consent"] == "yes"
    assert slots["requested_slot"] == "respondent"
    assert stored(recorder, act.sender)["consent"] is True  # type: ignore[index]


async def test_consent_declined_ends_the_form_and_stores_nothing(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = await validate(act, "no", intent="deny", requested_slot="consent")
    assert slots == {"consent": "no", "reask_count": 0, "requested_slot": None}
    assert stored(recorder, act.sender) is None


async def test_respondent_then_the_engines_first_question(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = await validate(
        act,
        "I'm a resident, asking about a patient of mine",
        intent="identify_respondent",
        requested_slot="respondent",
        consent="yes",
        **STAFF_REST,
    )
    assert slots["respondent"] == "clinician"
    assert slots["requested_slot"] == FIRST
    assert act.texts == [wording.text("intro", "clinician")]


async def test_an_answer_is_coded_stored_with_words_and_the_next_question_chosen(
    act: ActionRun, recorder: Recorder
) -> None:
    text = "62F, on dialysis, and my fingers go white in the cold"
    slots = await validate(act, text, requested_slot="age", **STARTED)
    findings = {"age": 62, "sex": "female", "dialysis": "yes", "raynaud": "yes"}
    assert {code: slots[code] for code in findings} == findings
    assert slots["requested_slot"] == workup.next_question(findings)
    summary = stored(recorder, act.sender)
    assert summary is not None
    assert summary["status"] == "in_progress"
    assert summary["answers"]["raynaud"]["words"] == text
    assert summary["findings"]["age"] == 62


async def test_not_understood_keeps_the_question_and_counts(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = await validate(act, "purple", requested_slot=FIRST, **STARTED)
    assert slots == {"reask_count": 1, "requested_slot": FIRST}


async def test_after_two_reasks_unknown_and_move_on(act: ActionRun, recorder: Recorder) -> None:
    slots = await validate(act, "purple", requested_slot="lesion_count", reask_count=2, **STARTED)
    assert slots["lesion_count"] == "unknown"
    assert slots["requested_slot"] != "lesion_count"
    assert act.texts == [wording.text("gave_up")]


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
    act: ActionRun, recorder: Recorder, text: str, intent: str
) -> None:
    assert (
        await act(ValidateInterviewForm(), text, intent=intent, requested_slot="raynaud", **STARTED)
        == []
    )


async def test_a_plain_no_is_never_swallowed_by_a_doubtful_intent(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = await validate(
        act, "nope", intent="out_of_scope", confidence=0.55, requested_slot="raynaud", **STARTED
    )
    assert slots["raynaud"] == "no"


async def test_the_story_is_kept_verbatim_even_if_nlu_thinks_it_is_a_question(
    act: ActionRun, recorder: Recorder
) -> None:
    story = "Referred for calcinosis? No. It started after my fall two years ago."
    slots = await validate(
        act,
        story,
        intent="ask_calcinosis",
        confidence=0.99,
        requested_slot="free_text_story",
        **STARTED,
    )
    assert slots["free_text_story"] == story


@pytest.mark.parametrize(
    ("text", "intent", "answered"),
    [
        ("ok", "affirm", False),
        ("yes", "affirm", False),
        ("yes I'm here", "affirm", False),
        ("no", "deny", True),
        ("yes, they hurt a lot", "affirm", True),
    ],
)
async def test_back_after_a_pause_a_bare_ok_is_not_an_answer(
    act: ActionRun, recorder: Recorder, text: str, intent: str, answered: bool
) -> None:
    slots = await validate(
        act, text, intent=intent, before=("action_pause",), requested_slot="lesion_pain", **STARTED
    )
    assert ("lesion_pain" in slots) is answered
    if not answered:
        assert act.texts == [wording.text("welcome_back", "patient")]
        assert slots["requested_slot"] == workup.next_question({})


async def test_a_bare_yes_without_a_pause_is_an_answer(act: ActionRun, recorder: Recorder) -> None:
    slots = await validate(
        act,
        "yes",
        intent="affirm",
        before=("action_explain_why",),
        requested_slot="lesion_pain",
        **STARTED,
    )
    assert slots["lesion_pain"] == "yes"


async def test_back_from_an_interruption_only_requests_the_slot(
    act: ActionRun, recorder: Recorder
) -> None:
    events = await act(
        ValidateInterviewForm(),
        "why do you ask?",
        intent="ask_why",
        after=("action_explain_why",),
        requested_slot=FIRST,
        **STARTED,
    )
    assert events == [SlotSet("requested_slot", FIRST)]


async def test_a_red_flag_mid_interview_is_told_and_stored(
    act: ActionRun, recorder: Recorder
) -> None:
    slots = await validate(
        act,
        "yes, one is red and hot and there's pus",
        requested_slot="lesion_infection_signs",
        **STARTED,
    )
    assert slots["red_flags_told"] == ["infected_lesion"]
    advice = workup.check_red_flags({"lesion_infection_signs": "yes"})[0].advice
    assert any(advice in t for t in act.texts)
    summary = stored(recorder, act.sender)
    assert summary is not None
    assert [f["code"] for f in summary["red_flags"]] == ["infected_lesion"]
    assert summary["red_flags"][0]["told_at"]


async def test_readback_confirmed(act: ActionRun, recorder: Recorder) -> None:
    slots = await validate(
        act,
        "yes, that's all correct",
        intent="affirm",
        requested_slot="summary_confirmed",
        age=30,
        **STARTED,
    )
    assert slots["summary_confirmed"] == "yes"
    assert slots["requested_slot"] == workup.next_question(
        {"age": 30}
    )  # None once the engine is done


# -- corrections (the real NLP) ---------------------------------------------------------------


def stored_finding(recorder: Recorder, sender: str, code: str) -> Any:
    summary = stored(recorder, sender)
    return None if summary is None else summary["findings"].get(code)


@pytest.mark.parametrize(
    "text",
    ["yes they hurt, and my fingers go white in the cold", "they hurt. I get white fingers too"],
)
async def test_a_passing_mention_keeps_the_answer_given(
    act: ActionRun, recorder: Recorder, text: str
) -> None:
    slots = await validate(
        act, text, requested_slot="lesion_pain", raynaud="no", last_answered="raynaud", **STARTED
    )
    assert slots["lesion_pain"] == "yes"
    assert "raynaud" not in slots
    assert not any("changed" in t for t in act.texts)
    assert stored_finding(recorder, act.sender, "raynaud") is None  # never stored as "yes"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("actually my fingers do go white in the cold", "inform"),
        ("sorry, no, I do get white fingers in the cold", "deny"),
        ("my fingers go white in the cold", "correct"),
    ],
)
async def test_a_correction_changes_the_answer_and_is_confirmed(
    act: ActionRun, recorder: Recorder, text: str, intent: str
) -> None:
    slots = await validate(
        act,
        text,
        intent=intent,
        requested_slot="lesion_pain",
        raynaud="no",
        last_answered="raynaud",
        **STARTED,
    )
    assert slots["raynaud"] == "yes"
    assert "lesion_pain" not in slots, "the question asked is asked again, not guessed"
    assert slots["requested_slot"] == workup.next_question({"raynaud": "yes"})
    label = wording.label("raynaud", "patient")
    assert act.texts[0] == wording.text(
        "changed", "patient", label=label, value=wording.value_text("raynaud", "yes")
    )
    assert stored_finding(recorder, act.sender, "raynaud") == "yes"


async def test_i_meant_corrects_the_previous_answer(act: ActionRun, recorder: Recorder) -> None:
    slots = await validate(
        act,
        "sorry, I meant no",
        intent="correct",
        requested_slot="lesion_pain",
        dialysis="yes",
        last_answered="dialysis",
        **STARTED,
    )
    assert slots["dialysis"] == "no"
    assert "lesion_pain" not in slots
    assert act.texts[0].startswith("Got it, I've changed")


# -- asking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("respondent", ["patient", "proxy", "clinician"])
@pytest.mark.parametrize("code", ["age", "raynaud", "lesion_locations"])
async def test_each_finding_is_asked_for_the_respondent(
    act: ActionRun, code: str, respondent: str
) -> None:
    await act(
        ASK_FINDING_ACTIONS[code](), requested_slot=code, consent="yes", respondent=respondent
    )
    assert act.texts == [wording.question(code, respondent)]


async def test_a_reask_is_simpler(act: ActionRun) -> None:
    await act(ASK_FINDING_ACTIONS["raynaud"](), requested_slot="raynaud", reask_count=1, **STARTED)
    assert act.texts == [wording.reask("raynaud", "patient", 1)]


async def test_nothing_is_asked_right_after_a_pause(act: ActionRun) -> None:
    events = await act(
        ASK_FINDING_ACTIONS["raynaud"](),
        "gotta go",
        intent="pause",
        after=("action_pause",),
        requested_slot="raynaud",
        **STARTED,
    )
    assert events == []
    assert act.texts == []


async def test_progress_note_is_added_and_remembered(act: ActionRun) -> None:
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
    events = await act(ASK_FINDING_ACTIONS[code](), requested_slot=code, **STARTED, **answered)
    assert "questions left)" in act.texts[0]
    assert events == [SlotSet("progress_noted", 6)]
    # in the widget, whose progress line shows the count, the question comes alone
    widget = {"input_channel": "socketio", "metadata": {"calx": {"channel": "widget"}}}
    events = await act(
        ASK_FINDING_ACTIONS[code](), requested_slot=code, **widget, **STARTED, **answered
    )
    assert "questions left" not in act.texts[-1] and events == []


@pytest.mark.parametrize(
    ("action", "slots", "expected"),
    [
        (AskConsent, {}, "consent_question"),
        (AskConsent, {"reask_count": 1}, "consent_reask"),
        (AskRespondent, {"consent": "yes"}, "respondent_question_public"),
        (AskRespondent, {"consent": "yes", "reask_count": 1}, "respondent_reask_public"),
        (AskSummaryConfirmed, {**STARTED, "awaiting_change": True}, "ask_change"),
        (
            AskSummaryConfirmed,
            {**STARTED, "awaiting_change": True, "reask_count": 1},
            "change_not_found",
        ),
        (AskSummaryConfirmed, {**STARTED, "reask_count": 1}, "readback_reask"),
    ],
)
async def test_control_questions(
    act: ActionRun, action: type, slots: dict[str, Any], expected: str
) -> None:
    await act(action(), **slots)
    assert act.texts == [wording.text(expected, slots.get("respondent"))]


async def test_the_readback_reads_every_answer(act: ActionRun) -> None:
    await act(
        AskSummaryConfirmed(),
        requested_slot="summary_confirmed",
        age=44,
        lesion_locations=["knees"],
        **STARTED,
    )
    text = act.texts[0]
    assert (
        "Age: 44" in text and "knees" in text and text.endswith(wording.text("readback_question"))
    )


async def test_one_ask_action_per_finding() -> None:
    assert set(ASK_FINDING_ACTIONS) == set(get_dictionary().findings)
    assert {cls().name() for cls in ASK_FINDING_ACTIONS.values()} == {
        f"action_ask_{c}" for c in get_dictionary().findings
    }


async def test_an_answer_the_database_did_not_take_fails_the_turn(
    act: ActionRun, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # a database that cannot be opened: the answer must not live on in the slots alone
    broken = Recorder(Database(f"sqlite:///{tmp_path}/no/such/dir/calx.db"))
    previous = base.use_recorder(broken)
    try:
        with pytest.raises(base.AnswersNotStored):
            await validate(act, "62F, on dialysis since March", requested_slot="age", **STARTED)
    finally:
        base.use_recorder(previous)
    assert "could not store the answers" in caplog.text
    assert "dialysis" not in caplog.text  # the type of error only, never the words
