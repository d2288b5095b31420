"""Who may be a clinician respondent: only staff, as the channel verified it (CONTRACT.md).

On the widget and on REST without the service token, "I'm a clinician" is answered with
where the clinicians' Calx is, and the person is asked again, as patient or proxy; the
chat never ends with a differential for them, even if the slot says "clinician".
"""

from __future__ import annotations

from typing import Any

import pytest
from action_run import ActionRun, slots_of

from actions.interview import AskRespondent, ValidateInterviewForm
from actions.submit import ActionSubmitInterview
from bot.interview import wording

pytestmark = pytest.mark.asyncio

STAFF_REST = {"input_channel": "rest", "metadata": {"calx": {"channel": "rest", "staff": True}}}
PUBLIC = {
    "widget": {"input_channel": "socketio", "metadata": {"calx": {"channel": "socketio"}}},
    "rest without the token": {"input_channel": "rest", "metadata": {"calx": {"channel": "rest"}}},
    "widget claiming staff": {
        "input_channel": "socketio",
        "metadata": {"calx": {"channel": "socketio", "staff": True}},
    },
}
CLAIMS = ["I'm a clinician", "I'm a doctor asking about a patient of mine", "3", "resident here"]


@pytest.fixture(params=sorted(PUBLIC))
def public(request: pytest.FixtureRequest) -> dict[str, Any]:
    return PUBLIC[str(request.param)]


@pytest.mark.parametrize("claim", CLAIMS)
async def test_a_claim_to_be_a_clinician_off_staff_channels_is_answered_and_asked_again(
    act: ActionRun, public: dict[str, Any], claim: str
) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            claim,
            intent="identify_respondent",
            requested_slot="respondent",
            consent="yes",
            **public,
        )
    )
    assert "respondent" not in slots
    assert slots["requested_slot"] == "respondent"
    assert act.texts == [wording.text("clinician_elsewhere")]
    assert "Slack" in act.texts[0] and "console" in act.texts[0]


async def test_the_question_off_staff_channels_offers_no_clinician(
    act: ActionRun, public: dict[str, Any]
) -> None:
    await act(AskRespondent(), "yes", requested_slot="respondent", consent="yes", **public)
    await act(
        AskRespondent(), "3", requested_slot="respondent", consent="yes", reask_count=1, **public
    )
    assert act.texts == [
        wording.text("respondent_question_public"),
        wording.text("respondent_reask_public"),
    ]
    assert not any("clinician" in text.lower() for text in act.texts)


@pytest.mark.parametrize("claim", ["I'm the patient", "I'm answering for my son"])
async def test_patients_and_proxies_are_taken_everywhere(
    act: ActionRun, public: dict[str, Any], claim: str
) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            claim,
            intent="identify_respondent",
            requested_slot="respondent",
            consent="yes",
            **public,
        )
    )
    assert slots["respondent"] in ("patient", "proxy")


async def test_rest_with_the_service_token_may_be_a_clinician(act: ActionRun) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            "I'm a resident asking about a patient",
            intent="identify_respondent",
            requested_slot="respondent",
            consent="yes",
            **STAFF_REST,
        )
    )
    assert slots["respondent"] == "clinician"
    await act(AskRespondent(), "yes", requested_slot="respondent", consent="yes", **STAFF_REST)
    assert act.texts[-1] == wording.text("respondent_question")


async def test_a_clinician_slot_off_a_staff_channel_ends_without_a_differential(
    act: ActionRun, public: dict[str, Any]
) -> None:
    findings = {"age": 50, "lesion_consistency": "hard", "raynaud": "yes"}
    await act(
        ActionSubmitInterview(),
        "yes",
        intent="affirm",
        consent="yes",
        respondent="clinician",
        summary_confirmed="yes",
        **findings,
        **public,
    )
    assert act.texts[0] == wording.text("end", None)
    assert not any(
        "systemic" in text.lower() or "differential" in text.lower() for text in act.texts
    )
