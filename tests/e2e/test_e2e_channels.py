"""A resident on Slack, through the real signed webhook of the running Rasa server: the
channel says a clinician is typing, so "who is answering?" is never asked, and the
welcome, privacy notice and consent are short and clinically worded."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from calx_process import Calx
from slack_fake import TEAM, SlackApi, wait_for

from bot import workup
from bot.channels import slack
from bot.interview import wording

pytestmark = pytest.mark.e2e

BOT = "UCALX"
CHANNEL = "C0RESIDENTS"
#: Longest wait for one Slack message to be handled (answered in the background).
TURN_WAIT_S = 120.0


def slack_say(calx: Calx, slack_api: SlackApi, text: str, thread: str, *, first: bool) -> str:
    """Post one signed Slack event (a mention starts the thread); wait until it is handled."""
    event: dict[str, Any] = {
        "type": "app_mention" if first else "message",
        "user": "URESIDENT",
        "text": f"<@{BOT}> {text}" if first else text,
        "ts": thread if first else f"{time.time():.6f}",
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    if not first:
        event["thread_ts"] = thread
    event_id = f"Ev{uuid.uuid4().hex[:12]}"
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": event_id,
            "event": event,
            "authorizations": [{"user_id": BOT, "is_bot": True}],
        }
    ).encode()
    stamp = str(int(time.time()))
    response = httpx.post(
        f"{calx.rasa}/webhooks/slack/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack.signature(slack_api.signing_secret, stamp, body),
        },
    )
    assert response.status_code == 200
    sender = f"slack:{TEAM}:{CHANNEL}:{thread}"

    def handled() -> bool:
        events = calx.tracker(sender).get("events") or []
        seen = any(e.get("event") == "user" and e.get("message_id") == event_id for e in events)
        actions = [e for e in events if e.get("event") == "action"]
        return seen and bool(actions) and actions[-1].get("name") == "action_listen"

    wait_for(handled, "the Slack message handled", TURN_WAIT_S)
    return sender


def posts(slack_api: SlackApi, thread: str) -> list[dict[str, Any]]:
    """What Calx posted into ``thread``, in order."""
    return [
        r.json()
        for r in slack_api.api.find("POST", "/chat.postMessage")
        if r.json().get("thread_ts") == thread
    ]


def posted(slack_api: SlackApi, thread: str) -> list[str]:
    """The texts Calx posted into ``thread``, in order (the answers' line under a question cut)."""
    return [str(p.get("text")).split("\n_")[0] for p in posts(slack_api, thread)]


def buttons(post: dict[str, Any]) -> list[str]:
    """The titles of a post's answer buttons."""
    actions = [b for b in post.get("blocks") or [] if b.get("type") == "actions"]
    return [e["text"]["text"] for b in actions for e in b["elements"] if "text" in e]


def test_a_resident_on_slack_is_never_asked_who_is_answering(
    calx: Calx, slack_api: SlackApi
) -> None:
    thread = f"{time.time():.6f}"
    sender = slack_say(calx, slack_api, "hi, new case", thread, first=True)
    expected = [
        wording.text(key, "clinician") for key in ("greeting", "privacy", "consent_question")
    ]
    wait_for(lambda: len(posted(slack_api, thread)) >= 3, "the welcome posted", TURN_WAIT_S)
    assert posted(slack_api, thread) == [slack.escape(t) for t in expected]
    assert buttons(posts(slack_api, thread)[2]) == ["Yes", "No"]  # consent, a click away
    slots = calx.tracker(sender)["slots"]
    assert slots["respondent"] == "clinician" and slots["requested_slot"] == "consent"

    slack_say(calx, slack_api, "yes", thread, first=False)
    first = workup.next_question({})
    assert calx.requested(sender) == first
    wait_for(lambda: len(posted(slack_api, thread)) >= 5, "the first question", TURN_WAIT_S)
    assert posted(slack_api, thread)[3:5] == [
        slack.escape(wording.text("intro", "clinician")),
        slack.escape(wording.question(str(first), "clinician")),
    ]
    slack_say(
        calx,
        slack_api,
        "58F with SSc, Raynaud's, hard nodules on the fingertips",
        thread,
        first=False,
    )
    tracker = calx.tracker(sender)
    assert tracker["slots"]["age"] == 58 and tracker["slots"]["raynaud"] == "yes"
    asked = {
        e.get("value")
        for e in tracker["events"]
        if e.get("event") == "slot" and e.get("name") == "requested_slot"
    }
    assert "respondent" not in asked
    summary = calx.summary(sender)
    assert summary is not None and summary["respondent"] == "clinician"
    assert summary["channel"] == "slack"


def test_the_rest_channel_cannot_claim_to_be_a_clinician(calx: Calx) -> None:
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    metadata = {"calx": {"channel": "slack", "respondent": "clinician"}}
    for text in ("hello", "yes, I agree"):
        response = httpx.post(
            f"{calx.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata},
            timeout=60,
        )
        response.raise_for_status()
    assert calx.requested(sender) == "respondent"
    assert calx.tracker(sender)["slots"]["respondent"] is None
