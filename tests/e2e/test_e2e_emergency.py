"""Emergencies of every kind through the real Rasa server, the REST channel and the widget.

Each is sent as the answer to whatever question is open: the reply is the emergency advice
(with the word "emergency" and the number of the locale), the interview waits, the stored
summary holds ``{"code": "emergency", "kind": ...}`` first; "what should I do?" gets the
advice again; "carry on" brings the open question back. Near-misses get no advice.
"""

from __future__ import annotations

import time
import uuid

import pytest
from calx_process import Calx
from test_e2e_flows import slots, start, widget_turns

from bot.interview import emergency, wording

pytestmark = pytest.mark.e2e

#: One message per kind (the project's own wording; the blind corpora are in tests/data).
KINDS = {
    "chest_pain": "sorry to interrupt but my chest feels crushed and it's going down my left arm",
    "stroke": "my mum's face has dropped on one side and she can't lift her arm",
    "breathing": "he can't breathe, can we stop",
    "anaphylaxis": "my lips and tongue are swelling up after a wasp sting",
    "bleeding": "I cut my leg and it won't stop bleeding, there's blood everywhere",
    "seizure": "my son is having a fit on the floor right now",
    "unresponsive": "she's collapsed and I can't wake her",
    "self_harm": "honestly I don't want to be alive anymore",
    "poisoning": "my toddler just swallowed some of my tablets",
    "other": "worst headache of my life, came on suddenly a few minutes ago",
}
NUMBER = emergency.locale("en-GB").number


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_told_at_once_stored_and_the_question_waits(calx: Calx, kind: str) -> None:
    sender, question = start(calx)
    replies = calx.say(sender, KINDS[kind])
    assert replies == [emergency.advice(kind, where=emergency.locale("en-GB"))]
    assert "emergency" in replies[0].lower() and NUMBER in replies[0]
    state = slots(calx, sender)
    assert state["emergency"] == kind
    assert state[question] is None  # the message is no answer
    assert calx.requested(sender) == question
    summary = calx.summary(sender)
    assert summary is not None
    assert summary["red_flags"][0]["code"] == "emergency"
    assert summary["red_flags"][0]["kind"] == kind
    assert KINDS[kind] not in str(summary)


def test_asked_again_the_advice_again_then_carry_on(calx: Calx) -> None:
    sender, question = start(calx)
    calx.say(sender, KINDS["chest_pain"])
    for text in ("what should I do?", "is it serious?", "should I go now?"):
        assert calx.say(sender, text) == [emergency.again("chest_pain")]
        assert calx.requested(sender) == question
    replies = calx.say(sender, "ok it's passed, carry on")
    assert replies[0] == wording.text("welcome_back", "patient")
    assert replies[-1].startswith(wording.question(question, "patient"))
    assert slots(calx, sender)["emergency"] is None


def test_an_emergency_as_the_first_message(calx: Calx) -> None:
    sender = f"first-{uuid.uuid4().hex[:10]}"
    replies = calx.say(sender, "help my husband has collapsed and isn't breathing")
    assert len(replies) == 1 and "emergency" in replies[0].lower()
    summary = calx.summary(sender)
    assert summary is not None and summary["red_flags"][0]["kind"] in ("breathing", "unresponsive")
    replies = calx.say(sender, "carry on")
    assert replies[:2] == [wording.text("greeting"), wording.text("privacy")]
    assert calx.requested(sender) == "consent"


@pytest.mark.parametrize(
    "text",
    [
        "no, never had chest pains",
        "my gran had a stroke in her eighties",
        "could this spread to my heart?",
        "I'd rather not say, this form is killing me",
    ],
)
def test_near_misses_get_no_emergency(calx: Calx, text: str) -> None:
    sender, _ = start(calx)
    replies = calx.say(sender, text)
    assert not any("emergency" in r.lower() for r in replies)
    assert slots(calx, sender)["emergency"] is None


def test_a_resident_describing_a_past_event_is_not_told_to_call(calx: Calx) -> None:
    sender, _ = start(calx, "I'm a resident, asking about a patient of mine", staff=True)
    replies = calx.say(sender, "pt had a stroke in 2019 and an MI in 2021, both stable", staff=True)
    assert not any("emergency" in r.lower() for r in replies)
    replies = calx.say(sender, "update: pt now seizing on the ward", staff=True)
    assert replies == [emergency.advice("seizure", clinician=True, where=emergency.locale("en-GB"))]


def test_the_widget_gets_the_advice_and_the_urgent_box(calx: Calx) -> None:
    session = uuid.uuid4().hex
    said = widget_turns(calx, session, ["hello", "yes", "I'm the patient", KINDS["stroke"]], 7)
    deadline = time.monotonic() + 10
    while slots(calx, session).get("emergency") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert emergency.advice("stroke", where=emergency.locale("en-GB")) in said
    assert slots(calx, session)["emergency"] == "stroke"
