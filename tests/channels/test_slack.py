"""The Slack channel over real HTTP: signed requests in, replies to a fake Slack Web API."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from harness import (
    SUBMITTED,
    FakeService,
    ScriptedAgent,
    fake_service,
    interview_domain,
    serve_channels,
    wait_for,
)
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActiveLoop, SlotSet

from bot.channels import slack
from bot.channels.report import build_report, console_url
from bot.export import bodymap
from bot.interview import readback
from bot.store import crud
from bot.store.db import Database
from bot.summary import complete_interview, get_summary

WEB_URL = "http://console.example"
BOT = "UCALXBOT"


@dataclass
class SlackRig:
    url: str
    secret: str
    api: FakeService
    agent: ScriptedAgent
    channel: slack.SlackThreadInput

    def post(
        self,
        payload: dict[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        retry: int | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or slack.signature(self.secret if secret is None else secret, stamp, body),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return httpx.post(f"{self.url}/webhooks/slack/webhook", content=body, headers=headers)

    def click(self, payload: dict[str, Any], *, secret: str | None = None) -> httpx.Response:
        """A button click as Slack sends it: form-encoded ``payload=<json>``, signed."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack.signature(secret or self.secret, stamp, body),
        }
        return httpx.post(f"{self.url}/webhooks/slack/interactive", content=body, headers=headers)

    def posts(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.api.find("POST", "/chat.postMessage")]

    def wait_posts(self, count: int) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.posts()) >= count, f"{count} posts to Slack")
        return self.posts()


def event(
    text: str,
    *,
    kind: str = "app_mention",
    channel: str = "C0CASES",
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    user: str = "URESIDENT",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": ts or f"{time.time():.6f}",
        "channel": channel,
        "channel_type": channel_type,
        **extra,
    }
    if thread_ts:
        body["thread_ts"] = thread_ts
    return {
        "type": "event_callback",
        "team_id": "T0HOSPITAL",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12]}",
        "event": body,
        "authorizations": [{"user_id": BOT, "is_bot": True, "team_id": "T0HOSPITAL"}],
    }


@pytest.fixture
def rig() -> Iterator[SlackRig]:
    secret = secrets.token_hex(16)
    with fake_service() as api:
        api.route(
            "POST", "/chat.postMessage", lambda r: (200, {"ok": True, "ts": f"{time.time():.6f}"})
        )
        config = slack.SlackConfig(
            bot_token="xoxb-test",
            signing_secret=secret,
            api_url=api.base_url,
            web_url=WEB_URL,
            team_ids=("T0HOSPITAL",),
        )
        channel = slack.SlackThreadInput(config)
        agent = ScriptedAgent()
        with serve_channels([channel], agent) as url:
            yield SlackRig(url, secret, api, agent, channel)


def test_url_verification_answers_the_challenge(rig: SlackRig) -> None:
    reply = rig.post({"type": "url_verification", "challenge": "abc123", "token": "x"})
    assert reply.status_code == 200
    assert reply.json() == {"challenge": "abc123"}


def test_mention_starts_a_conversation_answered_in_its_thread(rig: SlackRig) -> None:
    payload = event(f"<@{BOT}> hello, new case", ts="1700000000.000100")
    assert rig.post(payload).status_code == 200
    [post] = rig.wait_posts(1)
    assert post["channel"] == "C0CASES"
    assert post["thread_ts"] == "1700000000.000100"
    assert post["text"] == "echo: hello, new case"
    [message] = rig.agent.received
    assert message.sender_id == "slack:T0HOSPITAL:C0CASES:1700000000.000100"
    assert message.input_channel == "slack"
    assert message.metadata["calx"] == {
        "channel": "slack",
        "respondent": "clinician",
        "staff": True,
    }
    assert message.message_id == payload["event_id"]


def test_a_workspace_that_is_not_staff_is_told_so_and_gets_no_turn(rig: SlackRig) -> None:
    payload = event(f"<@{BOT}> I'm a clinician, new case", ts="1700000000.000900")
    payload["team_id"] = "T0ELSEWHERE"
    assert rig.post(payload).status_code == 200
    [post] = rig.wait_posts(1)
    assert post["text"] == slack.escape(slack.NOT_STAFF)
    assert post["thread_ts"] == "1700000000.000900"
    assert rig.agent.received == []


def test_each_thread_is_its_own_conversation(rig: SlackRig) -> None:
    rig.post(event(f"<@{BOT}> first case", ts="1700000001.000001"))
    rig.post(event(f"<@{BOT}> second case", ts="1700000002.000002"))
    rig.wait_posts(2)
    # a reply in the first thread, without a mention, continues that conversation
    rig.post(event("58F, hard nodules", kind="message", thread_ts="1700000001.000001"))
    posts = rig.wait_posts(3)
    assert [p["thread_ts"] for p in posts] == [
        "1700000001.000001",
        "1700000002.000002",
        "1700000001.000001",
    ]
    senders = [m.sender_id for m in rig.agent.received]
    assert senders[0] == senders[2] != senders[1]
    first = rig.agent.tracker(senders[0])
    assert [e.text for e in first.events if e.type_name == "user"] == [
        "first case",
        "58F, hard nodules",
    ]


def test_messages_of_one_thread_are_answered_in_order(rig: SlackRig) -> None:
    rig.post(event(f"<@{BOT}> start", ts="1700000003.000001"))
    rig.wait_posts(1)
    for n in range(6):
        rig.post(event(f"answer {n}", kind="message", thread_ts="1700000003.000001"))
    posts = rig.wait_posts(7)
    assert [p["text"] for p in posts[1:]] == [f"echo: answer {n}" for n in range(6)]


def test_thread_calx_is_not_part_of_is_ignored(rig: SlackRig) -> None:
    assert rig.post(event("chatting", kind="message", thread_ts="1600000000.1")).status_code == 200
    rig.post(event(f"<@{BOT}> marker", ts="1700000004.000001"))
    rig.wait_posts(1)
    assert [m.text for m in rig.agent.received] == ["marker"]


@pytest.mark.parametrize(
    "payload",
    [
        event("from a bot", kind="message", thread_ts="1700000005.1", bot_id="B1"),
        event("edited", kind="message", thread_ts="1700000005.1", subtype="message_changed"),
        event("my own echo", kind="message", channel_type="im", user=BOT),
        event("top-level chatter", kind="message"),
        event(f"<@{BOT}> also an app_mention", kind="message", thread_ts="1700000005.1"),
        event("a reaction", kind="reaction_added"),
    ],
    ids=["bot", "edit", "self", "top-level", "mention-twice", "other-event"],
)
def test_messages_not_for_calx_are_ignored(rig: SlackRig, payload: dict[str, Any]) -> None:
    rig.post(event(f"<@{BOT}> start", ts="1700000005.1"))
    rig.wait_posts(1)
    assert rig.post(payload).status_code == 200
    rig.post(event(f"<@{BOT}> marker", ts="1700000006.1"))
    rig.wait_posts(2)
    assert [m.text for m in rig.agent.received] == ["start", "marker"]


def test_direct_messages_are_one_conversation_at_top_level(rig: SlackRig) -> None:
    rig.post(event("hello", kind="message", channel="D0DM", channel_type="im"))
    rig.post(event("I'm a resident", kind="message", channel="D0DM", channel_type="im"))
    posts = rig.wait_posts(2)
    assert all("thread_ts" not in p for p in posts)
    assert {m.sender_id for m in rig.agent.received} == {"slack:T0HOSPITAL:D0DM:im"}


def test_text_is_escaped_both_ways(rig: SlackRig) -> None:
    rig.agent.reply = lambda m: ["a < b & c > d"]
    rig.post(event(f"<@{BOT}> calcium &gt; 2.6 see <https://x.example/a|the note>"))
    [post] = rig.wait_posts(1)
    assert post["text"] == "a &lt; b &amp; c &gt; d"
    assert rig.agent.received[0].text == "calcium > 2.6 see the note"


# Timestamps are offsets from the moment of the request (a constant computed at
# collection time would drift into the 5-minute window in a long test run).
BAD_REQUESTS = {
    "wrong secret": {"secret": "not-the-secret"},
    "stale timestamp": {"timestamp_offset": -6 * 60},
    "future timestamp": {"timestamp_offset": 6 * 60},
    "forged signature": {"signature": "v0=" + "0" * 64},
    "no signature": {"signature": "v0="},
}


def _at_request_time(bad: dict[str, Any]) -> dict[str, Any]:
    if "timestamp_offset" not in bad:
        return bad
    return {"timestamp": int(time.time()) + bad["timestamp_offset"]}


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_or_stale_signatures_get_401_and_change_nothing(
    rig: SlackRig, bad: dict[str, Any]
) -> None:
    bad = _at_request_time(bad)
    payload = event(f"<@{BOT}> forged", ts="1700000007.1")
    reply = rig.post(payload, **bad)
    assert reply.status_code == 401
    assert rig.post({"type": "url_verification", "challenge": "c"}, **bad).status_code == 401
    # a good request afterwards is handled: the forged one left no trace
    rig.post(event(f"<@{BOT}> genuine", ts="1700000008.1"))
    rig.wait_posts(1)
    assert [m.text for m in rig.agent.received] == ["genuine"]
    assert rig.agent.tracker("slack:T0HOSPITAL:C0CASES:1700000007.1") is None
    assert len(rig.posts()) == 1


def test_body_changed_after_signing_gets_401(rig: SlackRig) -> None:
    payload = event(f"<@{BOT}> original")
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    sig = slack.signature(rig.secret, stamp, body)
    tampered = body.replace(b"original", b"tampered")
    reply = httpx.post(
        f"{rig.url}/webhooks/slack/webhook",
        content=tampered,
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig},
    )
    assert reply.status_code == 401
    assert rig.agent.received == []


def test_retries_are_not_processed_twice(rig: SlackRig) -> None:
    payload = event(f"<@{BOT}> once only", ts="1700000009.1")
    rig.post(payload)
    for retry in (1, 2, 3):
        assert rig.post(payload, retry=retry).status_code == 200
    rig.post(event(f"<@{BOT}> marker", ts="1700000010.1"))
    rig.wait_posts(2)
    assert [m.text for m in rig.agent.received] == ["once only", "marker"]


def test_retry_after_a_restart_is_not_processed_twice(rig: SlackRig) -> None:
    payload = event(f"<@{BOT}> before restart", ts="1700000011.1")
    rig.post(payload)
    rig.wait_posts(1)
    rig.channel.seen = type(rig.channel.seen)()  # the process forgot what it saw
    assert rig.post(payload, retry=1).status_code == 200
    rig.post(event(f"<@{BOT}> marker", ts="1700000012.1"))
    rig.wait_posts(2)
    assert [m.text for m in rig.agent.received] == ["before restart", "marker"]


def test_channel_without_secrets_refuses_everything() -> None:
    with fake_service() as api:
        channel = slack.SlackThreadInput(slack.SlackConfig(api_url=api.base_url))
        agent = ScriptedAgent()
        with serve_channels([channel], agent) as url:
            body = json.dumps(event("hi")).encode()
            stamp = str(int(time.time()))
            reply = httpx.post(
                f"{url}/webhooks/slack/webhook",
                content=body,
                headers={
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": slack.signature("", stamp, body),
                },
            )
            assert reply.status_code == 401
            assert httpx.get(f"{url}/webhooks/slack/").json() == {"status": "ok", "enabled": False}
    assert agent.received == []


@given(st.binary(max_size=200), st.text(max_size=20))
def test_signature_verifies_only_the_signed_body(body: bytes, secret: str) -> None:
    now = time.time()
    stamp = str(int(now))
    good = slack.signature(secret or "s", stamp, body)
    assert slack.verify(secret or "s", stamp, body, good, now=now)
    assert not slack.verify(secret or "s", stamp, body + b"x", good, now=now)
    assert not slack.verify((secret or "s") + "x", stamp, body, good, now=now)
    assert not slack.verify(secret or "s", stamp, body, good, now=now + 301)


# -- the end of an interview ------------------------------------------------------------------

CASE = {
    "lesion_consistency": ("hard", "hard nodules"),
    "lesion_locations": (["fingers", "elbows"], "fingertips and elbows"),
    "raynaud": ("yes", "Raynaud's"),
    "skin_thickening": ("yes", "sclerodactyly"),
    "kidney_disease": ("no", "normal renal function"),
}


def store_interview(db: Database, sender: str, respondent: str) -> dict[str, Any]:
    with db.session() as s:
        crud.get_or_create_conversation(
            s, sender, channel="slack", respondent=respondent, consent=True
        )
        crud.record_answers(s, sender, CASE, respondent=respondent)
    with db.session() as s:
        complete_interview(s, sender)
        summary = get_summary(s, sender)
    assert summary is not None
    return summary


def test_clinician_gets_block_kit_report_with_console_link(
    rig: SlackRig, database: Database
) -> None:
    ts = f"{time.time():.6f}"
    sender = f"slack:T0HOSPITAL:C0CASES:{ts}"
    summary = store_interview(database, sender, "clinician")
    report_text = readback.clinician_report(summary)
    rig.agent.reply = lambda m: (
        ["Summary saved for review.", report_text, SUBMITTED] if m.text == "yes" else ["Correct?"]
    )
    rig.post(event(f"<@{BOT}> 58F hard nodules fingertips", ts=ts))
    rig.post(event("yes", kind="message", thread_ts=ts))
    posts = rig.wait_posts(3)
    assert [p["text"] for p in posts[:2]] == ["Correct?", "Summary saved for review."]
    final = posts[2]
    assert final["thread_ts"] == ts
    assert report_text not in [p["text"] for p in posts[:2]]  # posted once, as Block Kit
    blocks = final["blocks"]
    shown = json.dumps(blocks)
    top = summary["differential"][0]
    assert top["name"] in shown
    assert not re.search(r"score \d", shown)  # a weight of the rules, not a chance: not shown
    report = build_report(summary, WEB_URL)
    named = [
        i.name for s in report.view.to_order if s.key in ("labs", "conditional") for i in s.items
    ]
    assert len(named) == len(summary["workup"]["labs"]) > 0
    for name in named:
        assert slack.escape(name) in shown
    codes = [c for c in summary["workup"]["labs"] if "_" in c]  # "cbc_diff", "ena_subgroups"
    assert codes
    for code in codes:  # display names, never codes ("cbc diff")
        assert code not in shown and code.replace("_", " ") not in shown
    [button] = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert button["url"] == console_url(WEB_URL, sender)
    assert button["url"].startswith(f"{WEB_URL}/conversations/slack%3AT0HOSPITAL%3AC0CASES%3A")
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_patient_on_slack_is_never_shown_a_differential(rig: SlackRig, database: Database) -> None:
    ts = f"{time.time():.6f}"
    sender = f"slack:T0HOSPITAL:C0CASES:{ts}"
    store_interview(database, sender, "patient")
    rig.agent.reply = lambda m: ["Thank you, that's everything.", SUBMITTED]
    rig.post(event(f"<@{BOT}> yes", ts=ts))
    [post] = rig.wait_posts(1)
    assert post["text"] == "Thank you, that's everything."
    assert "blocks" not in post


def test_report_blocks_name_every_part_of_the_workup(database: Database) -> None:
    summary = store_interview(database, f"slack:T:C:{uuid.uuid4().hex}", "clinician")
    report = build_report(summary, WEB_URL)
    text = json.dumps(slack.report_blocks(report))
    for section in report.view.workup:
        for item in section.items:
            assert slack.escape(item.name) in text
    for cause in report.view.leading:
        assert slack.escape(cause.name) in text
    assert "Not recommended" in text and "MRI" in text
    assert report.text == readback.clinician_report(summary)
    sites = summary["findings"]["lesion_locations"]
    [image] = [b for b in slack.report_blocks(report) if b["type"] == "image"]
    assert image["image_url"] == f"{WEB_URL}/bodymap.png?sites={','.join(sites)}"
    assert all(bodymap.site_label(code) in image["alt_text"] for code in sites)


def block_action(
    post: dict[str, Any], title: str, *, action_ts: str | None = None
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when ``title`` is clicked on ``post``."""
    actions = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    button = next(b for b in actions if b.get("text", {}).get("text") == title)
    return {
        "type": "block_actions",
        "team": {"id": "T0HOSPITAL"},
        "user": {"id": "URESIDENT"},
        "channel": {"id": post["channel"]},
        "message": {"ts": f"{time.time():.6f}", "thread_ts": post.get("thread_ts")},
        "actions": [
            {
                "action_id": button["action_id"],
                "value": button["value"],
                "action_ts": action_ts or f"{time.time():.6f}",
            }
        ],
    }


def test_the_answers_of_the_open_question_are_buttons_and_a_click_answers_it(
    rig: SlackRig,
) -> None:
    rig.agent.tracker_store = InMemoryTrackerStore(interview_domain())
    asking = [ActiveLoop("interview_form"), SlotSet("requested_slot", "raynaud")]
    story = [SlotSet("requested_slot", "free_text_story")]  # typed: no buttons
    rig.agent.reply = lambda m: ["Raynaud's?", *asking] if m.text != "Yes" else ["Noted.", *story]
    ts = "1700000100.000100"
    rig.post(event(f"<@{BOT}> 58F hard nodules fingertips", ts=ts))
    [question] = rig.wait_posts(1)
    actions = next(b for b in question["blocks"] if b["type"] == "actions")["elements"]
    assert [a["text"]["text"] for a in actions] == ["Yes", "No", "I don't know"]
    assert "Yes · No" in question["text"]  # the answers in the notification text too
    # a click is the answer, in the same thread, signed like every request
    click = block_action(question, "Yes")
    assert rig.click(click, secret="not-the-secret").status_code == 401
    assert rig.click(click).status_code == 200
    assert rig.click(click).status_code == 200  # delivered twice: handled once
    [_, answer] = rig.wait_posts(2)
    assert answer["thread_ts"] == ts and answer["text"] == "Noted."
    received = rig.agent.received
    assert [m.text for m in received] == ["58F hard nodules fingertips", "Yes"]
    assert received[1].sender_id == received[0].sender_id
    assert received[1].metadata["calx"]["respondent"] == "clinician"
    time.sleep(0.5)
    assert len(rig.posts()) == 2


def test_several_places_are_picked_in_one_menu_and_sent_together(rig: SlackRig) -> None:
    rig.agent.tracker_store = InMemoryTrackerStore(interview_domain())
    asking = [ActiveLoop("interview_form"), SlotSet("requested_slot", "lesion_locations")]
    story = [SlotSet("requested_slot", "free_text_story")]
    rig.agent.reply = lambda m: ["Where?", *asking] if "nodules" in m.text else ["Noted.", *story]
    ts = "1700000200.000100"
    rig.post(event(f"<@{BOT}> 58F hard nodules", ts=ts))
    [question] = rig.wait_posts(1)
    block = next(b for b in question["blocks"] if b["type"] == "actions")
    menu, send, *rest = block["elements"]
    assert menu["type"] == "multi_static_select" and send["text"]["text"] == "Send"
    sites = [o["text"]["text"] for o in menu["options"]]
    assert "fingers" in sites and "elbows" in sites and "I don't know" not in sites
    assert [b["text"]["text"] for b in rest] == ["I don't know"]  # still one click
    picked = [o for o in menu["options"] if o["text"]["text"] in ("fingers", "elbows")]
    click = block_action(question, "Send")
    click["state"] = {
        "values": {block["block_id"]: {menu["action_id"]: {"selected_options": picked}}}
    }
    choosing = {**click, "actions": [{**click["actions"][0], "action_id": menu["action_id"]}]}
    assert rig.click(choosing).status_code == 200  # a change of the menu is no answer
    assert rig.click(click).status_code == 200
    [_, answer] = rig.wait_posts(2)
    assert answer["thread_ts"] == ts and answer["text"] == "Noted."
    assert [m.text for m in rig.agent.received][-1] == "fingers, elbows"


def test_a_click_on_a_thread_calx_has_no_conversation_in_is_ignored(rig: SlackRig) -> None:
    post = {
        "channel": "C0CASES",
        "thread_ts": "1600000000.1",
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {"text": {"text": "Yes"}, "value": "Yes", "action_id": "calx_answer:0"}
                ],
            }
        ],
    }
    assert rig.click(block_action(post, "Yes")).status_code == 200
    other = block_action(post, "Yes")
    other["actions"][0]["action_id"] = "someone_elses_button"
    assert rig.click(other).status_code == 200
    time.sleep(0.5)
    assert rig.agent.received == [] and rig.posts() == []
