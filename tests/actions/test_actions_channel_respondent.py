"""Residents on Slack and Teams: the channel says who is typing, so "who is answering?" is
never asked; the greeting, privacy notice and consent are short and clinically worded."""

from __future__ import annotations

from typing import Any

import pytest
from action_run import ActionRun, slots_of

from actions.interview import AskConsent, ValidateInterviewForm
from actions.session import ActionStartOver, ActionWelcome
from actions.submit import ActionSubmitInterview
from bot import summary as summary_service
from bot import workup
from bot.channels import slack, teams
from bot.interview import wording
from bot.interview.records import Recorder

pytestmark = pytest.mark.asyncio
FIRST = workup.next_question({})
#: What bot.channels sends with every Slack / Teams message (input channel, metadata).
CHANNELS = {
    "slack": ("slack", {"calx": dict(slack.CHANNEL_METADATA)}),
    "teams": ("botframework", {"calx": dict(teams.CHANNEL_METADATA)}),
}


def on(channel: str) -> dict[str, Any]:
    input_channel, metadata = CHANNELS[channel]
    return {"input_channel": input_channel, "metadata": metadata}


@pytest.fixture(params=sorted(CHANNELS))
def channel(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_the_welcome_is_short_and_clinical(act: ActionRun, channel: str) -> None:
    await act(ActionWelcome(), "hi", intent="greet", active_loop=None, **on(channel))
    assert act.texts == [
        wording.text("greeting", "clinician"),
        wording.text("privacy", "clinician"),
    ]
    assert act.texts != [wording.text("greeting"), wording.text("privacy")]


async def test_the_respondent_is_set_from_the_channel_and_consent_asked(
    act: ActionRun, channel: str
) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(), "hi", intent="greet", after=("action_welcome",), **on(channel)
        )
    )
    assert slots == {"respondent": "clinician", "requested_slot": "consent"}


async def test_consent_is_worded_for_a_clinician(act: ActionRun) -> None:
    await act(AskConsent(), "hi", requested_slot="consent", respondent="clinician")
    assert act.texts == [wording.text("consent_question", "clinician")]


async def test_after_consent_the_first_finding_is_asked_never_who_is_answering(
    act: ActionRun, recorder: Recorder, channel: str
) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            "yes",
            intent="affirm",
            requested_slot="consent",
            respondent="clinician",
            **on(channel),
        )
    )
    assert slots["consent"] == "yes"
    assert slots["requested_slot"] == FIRST
    assert act.texts == [wording.text("intro", "clinician")]
    with recorder.database.session() as session:
        stored = summary_service.get_summary(session, act.sender)
    assert stored is not None
    assert stored["respondent"] == "clinician"
    assert stored["channel"] == CHANNELS[channel][0]


async def test_start_over_keeps_the_clinician(
    act: ActionRun, recorder: Recorder, channel: str
) -> None:
    cleared = slots_of(
        await act(
            ActionStartOver(),
            "start over",
            intent="start_over",
            consent="yes",
            respondent="clinician",
            age=50,
            **on(channel),
        )
    )
    assert cleared["respondent"] is None
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            "start over",
            intent="start_over",
            after=("action_start_over",),
            consent="yes",
            **on(channel),
        )
    )
    assert slots == {"respondent": "clinician", "requested_slot": FIRST}


async def test_declining_is_answered_briefly(act: ActionRun, channel: str) -> None:
    await act(ActionSubmitInterview(), "no", intent="deny", consent="no", respondent="clinician")
    assert act.texts == [wording.text("consent_declined", "clinician")]


@pytest.mark.parametrize(
    ("input_channel", "metadata"),
    [
        ("rest", {"calx": {"channel": "slack", "respondent": "clinician"}}),
        ("rest", {"calx": {"channel": "slack", "respondent": "clinician", "staff": True}}),
        ("socketio", {"calx": {"channel": "widget", "respondent": "clinician"}}),
        ("socketio", {"calx": {"respondent": "clinician", "staff": True}}),
        ("slack", {"calx": {"channel": "slack", "respondent": "clinician"}}),
        ("botframework", {"calx": {"channel": "teams", "respondent": "clinician"}}),
        ("slack", {}),
        ("slack", {"calx": {"respondent": "surgeon"}}),
        ("slack", {"calx": "clinician"}),
    ],
)
async def test_other_channels_and_odd_metadata_are_asked_who_is_answering(
    act: ActionRun, input_channel: str, metadata: dict[str, Any]
) -> None:
    await act(
        ActionWelcome(),
        "hi",
        intent="greet",
        active_loop=None,
        input_channel=input_channel,
        metadata=metadata,
    )
    assert act.texts == [wording.text("greeting"), wording.text("privacy")]
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            "yes",
            intent="affirm",
            requested_slot="consent",
            input_channel=input_channel,
            metadata=metadata,
        )
    )
    assert "respondent" not in slots
    assert slots["requested_slot"] == "respondent"
