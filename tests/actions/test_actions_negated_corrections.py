"""Corrections that say "no" in their own words ("actually my fingers don't go white"), with
the real NLP, at every point of the dialogue: during the interview, at the read-back and
after the end. A negated mention is never coded as "yes"; a correction changes the answer
and says so; a negated mention in passing fills only what is unanswered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from action_run import ActionRun, slots_of

from actions.corrections import ActionCorrect
from actions.interview import ValidateInterviewForm
from bot import summary as summary_service
from bot.interview import wording
from bot.interview.records import Recorder

pytestmark = pytest.mark.asyncio
STARTED = {"consent": "yes", "respondent": "patient"}
#: (message, finding, its earlier answer): each says the finding is absent.
NEGATED_CORRECTIONS = [
    ("actually my fingers don't go white in the cold", "raynaud", "yes"),
    ("sorry, no, my fingers never go white in the cold", "raynaud", "yes"),
    ("I meant no, my fingers don't go white", "raynaud", "yes"),
    ("actually I don't get white fingers", "raynaud", "yes"),
    ("actually I'm not on dialysis", "dialysis", "yes"),
]


def changed_to_no(code: str, respondent: str = "patient") -> str:
    return wording.text(
        "changed",
        respondent,
        label=wording.label(code, respondent),
        value=wording.value_text(code, "no"),
    )


def stored(recorder: Recorder, sender: str) -> dict[str, Any] | None:
    with recorder.database.session() as session:
        return summary_service.get_summary(session, sender)


@pytest.mark.parametrize(("text", "code", "before"), NEGATED_CORRECTIONS)
async def test_during_the_interview(
    act: ActionRun, recorder: Recorder, text: str, code: str, before: str
) -> None:
    sender = f"negated-{uuid.uuid4().hex}"
    recorder.start(sender, respondent="patient")
    recorder.answers(sender, {code: (before, "yes")})
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            text,
            sender=sender,
            requested_slot="lesion_pain",
            last_answered=code,
            **{code: before},
            **STARTED,
        )
    )
    assert slots[code] == "no"
    assert "lesion_pain" not in slots, "a correction answers nothing else"
    assert act.texts[0] == changed_to_no(code)
    summary = stored(recorder, sender)
    assert summary is not None and summary["findings"][code] == "no"
    assert summary["answers"][code]["words"] == text


@pytest.mark.parametrize(("text", "code", "before"), NEGATED_CORRECTIONS)
async def test_at_the_readback(
    act: ActionRun, recorder: Recorder, text: str, code: str, before: str
) -> None:
    slots = slots_of(
        await act(
            ValidateInterviewForm(),
            text,
            intent="correct",
            requested_slot="summary_confirmed",
            awaiting_change=True,
            age=50,
            **{code: before},
            **STARTED,
        )
    )
    assert slots[code] == "no"
    assert slots["summary_confirmed"] is None, "the read-back is read again"
    assert act.texts == [changed_to_no(code)]


@pytest.mark.parametrize(("text", "code", "before"), NEGATED_CORRECTIONS)
async def test_after_the_end(
    act: ActionRun, recorder: Recorder, text: str, code: str, before: str
) -> None:
    sender = f"after-{uuid.uuid4().hex}"
    recorder.start(sender, respondent="patient")
    recorder.answers(sender, {"age": (50, "50"), code: (before, "yes")})
    recorder.complete(sender)
    slots = slots_of(
        await act(
            ActionCorrect(),
            text,
            intent="correct",
            sender=sender,
            active_loop=None,
            interview_over=True,
            age=50,
            **{code: before},
            **STARTED,
        )
    )
    assert slots[code] == "no"
    assert act.texts == [changed_to_no(code)]
    summary = stored(recorder, sender)
    assert summary is not None and summary["findings"][code] == "no"
    assert summary["status"] == "complete"


@pytest.mark.parametrize("text", ["my fingers never go white", "my fingers don't go white"])
async def test_a_negated_mention_in_passing(act: ActionRun, recorder: Recorder, text: str) -> None:
    """Fills an unanswered finding with "no"; never changes an answer given."""
    said = f"they hurt a bit. {text}"
    filled = slots_of(
        await act(ValidateInterviewForm(), said, requested_slot="lesion_pain", **STARTED)
    )
    assert filled["raynaud"] == "no"
    assert filled["lesion_pain"] == "yes"
    kept = slots_of(
        await act(
            ValidateInterviewForm(), said, requested_slot="lesion_pain", raynaud="yes", **STARTED
        )
    )
    assert "raynaud" not in kept
    assert kept["lesion_pain"] == "yes"
