"""The dialogue's paths over the REST channel: why, FAQ, don't know, corrections, red flags,
a clinician's shorthand, consent declined, start over, and the end."""

from __future__ import annotations

import time
import uuid

import pytest
from calx_process import Calx

from bot import workup
from bot.interview import wording
from bot.knowledge import get_dictionary

pytestmark = pytest.mark.e2e


def start(
    calx: Calx, respondent: str = "I'm the patient", *, staff: bool = False
) -> tuple[str, str]:
    """A new conversation past consent and respondent; returns (sender, first question)."""
    sender = f"flow-{uuid.uuid4().hex[:10]}"
    calx.say(sender, "hello", staff=staff)
    assert calx.requested(sender) == "consent"
    calx.say(sender, "yes, I agree", staff=staff)
    assert calx.requested(sender) == "respondent"
    calx.say(sender, respondent, staff=staff)
    slot = calx.requested(sender)
    assert slot in get_dictionary().findings
    return sender, slot


def slots(calx: Calx, sender: str) -> dict[str, object]:
    values: dict[str, object] = calx.tracker(sender)["slots"]
    return values


def test_why_and_off_topic_questions_are_answered_and_the_question_resumes(calx: Calx) -> None:
    sender, slot = start(calx)
    replies = calx.say(sender, "why do you need to know that?")
    assert replies[0] == wording.why(slot, "patient")
    assert replies[-1] == wording.question(slot, "patient")
    assert calx.requested(sender) == slot
    replies = calx.say(sender, "what's the weather like today?")
    assert replies[0] == wording.text("out_of_scope", "patient")
    replies = calx.say(sender, "what is calcinosis?")
    assert replies[0] == wording.text("calcinosis", "patient")
    assert calx.requested(sender) == slot


def test_i_dont_know_is_stored_as_unknown(calx: Calx) -> None:
    sender, slot = start(calx)
    calx.say(sender, "I don't know")
    assert slots(calx, sender)[slot] == "unknown"
    assert calx.requested(sender) != slot


def test_answered_in_passing_is_not_asked_and_a_correction_is_confirmed(calx: Calx) -> None:
    sender, _ = start(calx)
    calx.say(sender, "I'm 50, I'm on dialysis and my fingers go white in the cold")
    state = slots(calx, sender)
    assert state["dialysis"] == "yes"
    assert state["raynaud"] == "yes"
    assert calx.requested(sender) not in ("dialysis", "raynaud")
    replies = calx.say(sender, "actually I don't get white fingers")
    assert slots(calx, sender)["raynaud"] == "no"
    assert any("Got it, I've changed" in r for r in replies)


def test_a_red_flag_mid_interview_is_told_at_once_stored_and_the_interview_goes_on(
    calx: Calx,
) -> None:
    sender, slot = start(calx)
    replies = calx.say(sender, "I'm 40, and one of the lumps is red, hot and full of pus")
    advice = workup.check_red_flags({"lesion_infection_signs": "yes"})[0].advice
    assert wording.text("red_flag", "patient", advice=advice) in replies
    state = slots(calx, sender)
    assert state["lesion_infection_signs"] == "yes"
    assert state["red_flags_told"] == ["infected_lesion"]
    summary = calx.summary(sender)
    assert summary is not None
    assert [f["code"] for f in summary["red_flags"]] == ["infected_lesion"]
    assert summary["red_flags"][0]["told_at"]
    assert calx.requested(sender) not in (slot, "lesion_infection_signs")
    calx.say(sender, "no")  # the next answer does not repeat the flag
    assert slots(calx, sender)["red_flags_told"] == ["infected_lesion"]


def test_a_clinician_gives_several_findings_at_once(calx: Calx) -> None:
    sender, slot = start(calx, "I'm a resident, asking about a patient of mine", staff=True)
    assert slot == workup.next_question({})
    calx.say(
        sender,
        "62F with lcSSc, hard nodules over the fingertips and elbows, Raynaud's, "
        "sclerodactyly, on HD for 3 years, denies dysphagia",
        staff=True,
    )
    state = slots(calx, sender)
    filled = {c: state[c] for c in get_dictionary().findings if state.get(c) is not None}
    assert filled["age"] == 62 and filled["sex"] == "female"
    assert filled["raynaud"] == "yes" and filled["skin_thickening"] == "yes"
    assert len(filled) >= 6
    assert calx.requested(sender) not in filled
    question = calx.say(sender, "why?", staff=True)[-1]
    assert question == wording.question(str(calx.requested(sender)), "clinician")


def test_rest_without_the_service_token_is_never_a_clinician(calx: Calx) -> None:
    sender = f"flow-{uuid.uuid4().hex[:10]}"
    calx.say(sender, "hello")
    replies = calx.say(sender, "yes, I agree")
    assert replies[-1] == wording.text("respondent_question_public")
    replies = calx.say(sender, "I'm a consultant rheumatologist describing a case")
    assert replies == [wording.text("clinician_elsewhere"), wording.text("respondent_reask_public")]
    assert calx.requested(sender) == "respondent"
    assert slots(calx, sender)["respondent"] is None
    replies = calx.say(sender, "ok, I'm answering for my daughter")
    assert slots(calx, sender)["respondent"] == "proxy"
    assert replies[0] == wording.text("intro", "proxy")


def test_consent_declined_stores_nothing_and_ends(calx: Calx) -> None:
    sender = f"flow-{uuid.uuid4().hex[:10]}"
    calx.say(sender, "hi")
    replies = calx.say(sender, "no, I'd rather not")
    assert replies == [wording.text("consent_declined")]
    assert calx.requested(sender) is None
    assert calx.summary(sender) is None
    assert calx.say(sender, "hello?") == [wording.text("after_interview_declined")]


def test_start_over_clears_the_answers(calx: Calx) -> None:
    sender, _ = start(calx)
    calx.say(sender, "I'm 35 and on dialysis")
    assert slots(calx, sender)["dialysis"] == "yes"
    calx.say(sender, "start over")
    state = slots(calx, sender)
    assert all(state[c] is None for c in get_dictionary().findings)
    assert calx.requested(sender) == "respondent"
    summary = calx.summary(sender)
    assert summary is not None and summary["findings"] == {}


def test_the_socketio_channel_of_the_widget_starts_and_keeps_a_session(calx: Calx) -> None:
    import socketio  # the polling transport: see the stack notes

    session = uuid.uuid4().hex  # the widget channel accepts 32-hex session ids only
    said: list[str] = []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: said.append(data.get("text", "")))
    client.connect(calx.rasa, transports=["polling"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": "hello", "session_id": session})
        deadline = time.monotonic() + 30
        while len(said) < 3 and time.monotonic() < deadline:
            client.sleep(0.2)
    finally:
        client.disconnect()
    assert said == [
        wording.text("greeting"),
        wording.text("privacy"),
        wording.text("consent_question"),
    ]
    deadline = time.monotonic() + 10  # the tracker is saved after the last message is sent
    while calx.requested(session) != "consent" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert calx.requested(session) == "consent"


def widget_turns(calx: Calx, session: str, messages: list[str], replies: int) -> list[str]:
    """Say ``messages`` over the widget's socket.io channel; the bot's texts once ``replies``."""
    import socketio

    said: list[str] = []
    client = socketio.Client()
    client.on("bot_uttered", lambda data: said.append(data.get("text", "")))
    client.connect(calx.rasa, transports=["polling"], socketio_path="/socket.io")
    try:
        client.emit("session_request", {"session_id": session})
        for message in messages:
            before = len(said)
            metadata = {"calx": {"respondent": "clinician", "staff": True}}  # a forged claim
            client.emit(
                "user_uttered", {"message": message, "session_id": session, "metadata": metadata}
            )
            deadline = time.monotonic() + 30
            while len(said) == before and time.monotonic() < deadline:
                client.sleep(0.2)
        deadline = time.monotonic() + 30
        while len(said) < replies and time.monotonic() < deadline:
            client.sleep(0.2)
    finally:
        client.disconnect()
    return said


def test_the_widget_never_takes_a_clinician(calx: Calx) -> None:
    session = uuid.uuid4().hex
    said = widget_turns(calx, session, ["hello", "yes", "I'm a clinician"], replies=6)
    assert wording.text("clinician_elsewhere") in said
    assert said[-1] == wording.text("respondent_reask_public")
    assert calx.tracker(session)["slots"]["respondent"] is None
