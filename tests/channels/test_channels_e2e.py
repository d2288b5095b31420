"""Slack, Teams and the widget on the real processes (``bot.runner``, as ``make run``).

The Rasa server runs Calx's channels from ``credentials.yml`` with secrets from the
environment; Slack's Web API, Microsoft's identity service and the Bot Connector are
local fakes that record what Calx sends. Marker ``e2e`` (the widget test: ``browser`` too).
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from harness import FakeService, Recorded, fake_service, wait_for

from bot.channels import slack
from bot.channels.report import console_url
from bot.channels.state import question_input
from bot.interview import wording
from bot.knowledge import get_dictionary

for _folder in ("e2e", "widget", "browser", "console"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _folder))
from calx_process import Calx  # noqa: E402

pytestmark = pytest.mark.e2e

TEAM = "T0HOSPITAL"
#: The hospital's Entra tenant (the Teams users that are staff).
TENANT = "72f988bf-0000-4000-8000-00000000cafe"
BOT = "UCALXBOT"
APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
WEB_URL = "http://console.hospital.example"
#: Longest wait for the channel to answer one message (a cold server may load models).
TURN_WAIT_S = 120.0


@dataclass
class Fakes:
    slack: FakeService
    identity: FakeService
    connector: FakeService
    key: rsa.RSAPrivateKey
    signing_secret: str


@dataclass
class ChannelCalx(Calx):
    """Calx with its channels pointed at the fakes."""

    extra_env: dict[str, str] | None = None

    def env(self) -> dict[str, str]:
        return {**super().env(), **(self.extra_env or {})}


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1"}

    def accept(_: Recorded) -> tuple[int, Any]:
        return 200, {"id": uuid.uuid4().hex}

    with (
        fake_service() as slack_api,
        fake_service() as identity,
        fake_service(default=accept) as connector,
    ):
        slack_api.route("POST", "/chat.postMessage", lambda r: (200, {"ok": True, "ts": "1.1"}))
        identity.route(
            "GET",
            "/openid",
            lambda r: (200, {"issuer": ISSUER, "jwks_uri": f"{identity.base_url}/keys"}),
        )
        identity.route("GET", "/keys", lambda r: (200, {"keys": [jwk]}))
        identity.route(
            "POST", "/token", lambda r: (200, {"access_token": "bf-token", "expires_in": 3600})
        )
        yield Fakes(slack_api, identity, connector, key, secrets.token_hex(16))


@pytest.fixture(scope="module")
def calx(fakes: Fakes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelCalx]:
    directory = tmp_path_factory.mktemp("channels-e2e")
    app = ChannelCalx(database_url=f"sqlite:///{directory / 'calx.db'}", log=directory / "run.log")
    app.extra_env = {
        "CALX_SLACK_BOT_TOKEN": "xoxb-e2e",
        "CALX_SLACK_SIGNING_SECRET": fakes.signing_secret,
        "CALX_SLACK_API_URL": fakes.slack.base_url,
        "CALX_TEAMS_APP_ID": APP_ID,
        "CALX_TEAMS_APP_PASSWORD": "e2e-password",
        "CALX_TEAMS_OPENID_URL": f"{fakes.identity.base_url}/openid",
        "CALX_TEAMS_ISSUER": ISSUER,
        "CALX_TEAMS_TOKEN_URL": f"{fakes.identity.base_url}/token",
        "CALX_SLACK_TEAM_IDS": TEAM,
        "CALX_TEAMS_TENANT_IDS": TENANT,
        "CALX_WEB_URL": WEB_URL,
        "CALX_RASA_URL": app.rasa,
    }
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
        assert code == 0, f"bot.runner exited with {code}; see {app.log}"


# -- answering whatever is asked -----------------------------------------------------------------

#: A clinician's case, told in one message at the start.
CASE = "58F with SSc, hard nodules on her fingertips and elbows, Raynaud's, no dialysis"


def answer_for(slot: str, respondent: str) -> str:
    """A plain answer to the question for ``slot`` (no red flag is ever set)."""
    if slot in ("consent", "summary_confirmed"):
        return "yes"
    if slot == "respondent":
        return (
            "I'm a resident describing a case" if respondent == "clinician" else "I'm the patient"
        )
    finding = get_dictionary().finding(slot)
    if finding.type == "bool":
        return "no"
    if finding.type == "int":
        return "58"
    if finding.type == "text":
        return "nothing else to add"
    return "I don't know"


def turn_done(tracker: dict[str, Any], message_id: str) -> bool:
    """Whether the tracker handled the user message ``message_id`` and listens again."""
    events = tracker.get("events") or []
    seen = any(e.get("event") == "user" and e.get("message_id") == message_id for e in events)
    last_action = next((e for e in reversed(events) if e.get("event") == "action"), {})
    return seen and last_action.get("name") == "action_listen"


# -- Slack -----------------------------------------------------------------------------------------


def slack_post(calx: Calx, fakes: Fakes, payload: dict[str, Any], **bad: Any) -> httpx.Response:
    body = json.dumps(payload).encode()
    stamp = str(bad.get("timestamp", int(time.time())))
    secret = bad.get("secret", fakes.signing_secret)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack.signature(secret, stamp, body),
    }
    if "retry" in bad:
        headers["X-Slack-Retry-Num"] = str(bad["retry"])
    return httpx.post(f"{calx.rasa}/webhooks/slack/webhook", content=body, headers=headers)


def slack_event(text: str, channel: str, ts: str, thread_ts: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention" if thread_ts is None else "message",
        "user": "URESIDENT",
        "text": f"<@{BOT}> {text}" if thread_ts is None else text,
        "ts": ts,
        "channel": channel,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {
        "type": "event_callback",
        "team_id": TEAM,
        "event_id": f"Ev{uuid.uuid4().hex[:12]}",
        "event": event,
        "authorizations": [{"user_id": BOT, "is_bot": True}],
    }


def slack_say(calx: Calx, fakes: Fakes, text: str, thread: str, *, first: bool = False) -> str:
    """Send one message into the thread and wait until Calx handled it; returns the sender."""
    ts = thread if first else f"{time.time():.6f}"
    payload = slack_event(text, "C0CASES", ts, None if first else thread)
    assert slack_post(calx, fakes, payload).status_code == 200
    sender = f"slack:{TEAM}:C0CASES:{thread}"
    wait_for(
        lambda: turn_done(calx.tracker(sender), payload["event_id"]),
        "Slack message handled",
        TURN_WAIT_S,
    )
    return sender


def test_a_resident_completes_a_case_in_a_slack_thread(calx: ChannelCalx, fakes: Fakes) -> None:
    thread = f"{time.time():.6f}"
    sender = slack_say(calx, fakes, "hello", thread, first=True)
    other = f"{time.time() + 1:.6f}"
    slack_say(calx, fakes, "hello", other, first=True)  # another thread, another case
    told_case = False
    for _ in range(80):
        slot = calx.requested(sender)
        if slot is None:
            break
        if slot not in ("consent", "respondent") and not told_case:
            text, told_case = CASE, True
        else:
            text = answer_for(slot, "clinician")
        slack_say(calx, fakes, text, thread)
    assert calx.requested(sender) is None
    summary = calx.summary(sender)
    assert summary is not None
    assert summary["status"] == "complete" and summary["respondent"] == "clinician"
    assert summary["findings"]["raynaud"] == "yes"

    def report() -> list[dict[str, Any]]:
        return [
            p.json()
            for p in fakes.slack.find("POST", "/chat.postMessage")
            if p.json().get("thread_ts") == thread
            and (p.json().get("blocks") or [{}])[0].get("type") == "header"  # not a question's
        ]

    [final] = wait_for(report, "the Block Kit report", TURN_WAIT_S)
    shown = json.dumps(final["blocks"])
    assert summary["differential"][0]["name"] in shown
    assert console_url(WEB_URL, sender) in shown
    threads = {p.json().get("thread_ts") for p in fakes.slack.find("POST", "/chat.postMessage")}
    assert threads == {thread, other}  # every reply in its own thread, never in the channel
    assert calx.requested(f"slack:{TEAM}:C0CASES:{other}") == "consent"


def test_slack_forgeries_and_retries_change_nothing(calx: ChannelCalx, fakes: Fakes) -> None:
    thread = f"{time.time():.6f}"
    sender = slack_say(calx, fakes, "hello", thread, first=True)
    events = len(calx.tracker(sender)["events"])
    posts = len(fakes.slack.requests)
    forged = slack_event("yes", "C0CASES", f"{time.time():.6f}", thread)
    assert slack_post(calx, fakes, forged, secret="wrong").status_code == 401
    assert slack_post(calx, fakes, forged, timestamp=int(time.time()) - 600).status_code == 401
    genuine = slack_event("yes", "C0CASES", f"{time.time():.6f}", thread)
    assert slack_post(calx, fakes, genuine).status_code == 200
    assert slack_post(calx, fakes, genuine, retry=1).status_code == 200
    wait_for(lambda: turn_done(calx.tracker(sender), genuine["event_id"]), "handled", TURN_WAIT_S)
    time.sleep(1)  # give a (wrong) second handling of the retry the time to show up
    users = [e for e in calx.tracker(sender)["events"][events:] if e["event"] == "user"]
    assert [u["message_id"] for u in users] == [genuine["event_id"]]
    assert len(fakes.slack.requests) > posts


# -- Teams -----------------------------------------------------------------------------------------


def teams_token(fakes: Fakes, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": APP_ID,
        "exp": now + 600,
        "nbf": now - 10,
        "serviceurl": fakes.connector.base_url,
        **claims,
    }
    return jwt.encode(body, fakes.key, algorithm="RS256", headers={"kid": "k1"})


def teams_say(calx: Calx, fakes: Fakes, text: str, conversation: str, token: str = "") -> str:
    activity = {
        "type": "message",
        "id": f"act-{uuid.uuid4().hex[:10]}",
        "serviceUrl": fakes.connector.base_url,
        "channelId": "msteams",
        "from": {"id": "29:resident", "aadObjectId": "aad-1"},
        "conversation": {"id": conversation, "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}"},
        "text": text,
    }
    reply = httpx.post(
        f"{calx.rasa}/webhooks/botframework/webhook",
        json=activity,
        headers={"Authorization": f"Bearer {token or teams_token(fakes)}"},
    )
    if reply.status_code != 200:
        return str(reply.status_code)
    sender = f"teams:{conversation}"
    wait_for(lambda: turn_done(calx.tracker(sender), activity["id"]), "Teams turn", TURN_WAIT_S)
    return sender


def test_a_resident_completes_a_case_in_teams(calx: ChannelCalx, fakes: Fakes) -> None:
    conversation = f"19:{uuid.uuid4().hex}@thread.tacv2;messageid=1"
    assert (
        teams_say(calx, fakes, "hi", conversation, teams_token(fakes, iss="https://evil")) == "401"
    )
    expired = teams_token(fakes, exp=int(time.time()) - 3600)
    assert teams_say(calx, fakes, "hi", conversation, expired) == "401"
    sender = teams_say(calx, fakes, "<at>Calx</at> hello", conversation)
    for _ in range(80):
        slot = calx.requested(sender)
        if slot is None:
            break
        teams_say(calx, fakes, answer_for(slot, "clinician"), conversation)
    summary = calx.summary(sender)
    assert summary is not None and summary["status"] == "complete"
    users = [e for e in calx.tracker(sender)["events"] if e["event"] == "user"]
    assert users[0]["text"] == "hello"  # the refused messages left nothing

    def cards() -> list[Any]:  # the report's card (the places' tick-box card has no link)
        return [
            r.json()["attachments"][0]
            for r in fakes.connector.find("POST", "/v3/conversations/")
            if r.json().get("attachments")
            and r.json()["attachments"][0]["content"].get("actions", [{}])[0].get("url")
        ]

    [card] = wait_for(cards, "the Adaptive Card", TURN_WAIT_S)
    assert card["content"]["actions"][0]["url"] == console_url(WEB_URL, sender)
    assert all(
        r.headers["Authorization"] == "Bearer bf-token"
        for r in fakes.connector.find("POST", "/v3/conversations/")
    )


# -- the widget ------------------------------------------------------------------------------------


def option_values(slot: str) -> dict[str, Any]:
    """The widget's options for ``slot``: label -> coded value."""
    spec = question_input(slot, {})
    assert spec is not None
    return {o["label"]: o["value"] for o in spec["options"]}


#: Answered "yes" when asked, so that the urgent-care box comes up mid-interview.
RED_FLAG_ANSWER = "lesion_infection_signs"


def answer_in_widget(hands: Any, slot: str, step: int) -> dict[str, Any]:
    """Answer the open question by button, checkbox or text; returns ``{finding: value}``."""
    if slot in ("consent", "summary_confirmed"):
        hands.choose("Yes")
        return {}
    if slot == "respondent":
        hands.choose("I'm the patient")
        return {}
    finding = get_dictionary().finding(slot)
    if slot == RED_FLAG_ANSWER:
        hands.choose("Yes")
        return {slot: "yes"}
    if finding.type == "bool":
        if step % 2:
            hands.choose("No")
        else:
            hands.type("no, not that I know of")  # typed, not clicked
        return {slot: "no"}
    if finding.type == "multi":
        labels = hands.widget.checkboxes()[:2]
        hands.check(*labels)
        values = option_values(slot)
        return {slot: sorted((values[label] for label in labels), key=finding.values.index)}
    if finding.type == "enum":
        label = hands.widget.options()[0]
        hands.choose(label)
        return {slot: option_values(slot)[label]}
    if finding.type == "int":
        hands.type("52")
        return {slot: 52}
    hands.type("They started last winter.")
    return {slot: "They started last winter."}


def what_is_seen(page: Any) -> list[str]:
    """What a person could not reach or read at this step (empty: all is well).

    The answer box and Send wholly in the viewport; every control at least 24 x 24 px;
    an urgent box in view and showing all its advice, or folded to its pinned line with
    the emergency link in view.
    """
    from widget_page import in_view, small_targets

    wrong = [f"small: {target}" for target in small_targets(page)]
    for name, control in (
        ("answer box", page.get_by_role("textbox", name="Your answer")),
        ("Send", page.get_by_role("button", name="Send", exact=True)),
    ):
        if not in_view(page, control):
            wrong.append(f"{name} out of view")
    urgent = page.locator(".calx-urgent")
    if urgent.is_visible():
        if not in_view(page, urgent):
            wrong.append("urgent box out of view")
        if urgent.evaluate("e => e.scrollHeight > e.clientHeight + 1"):
            wrong.append("urgent advice clipped")
        link = urgent.get_by_role("link")
        if link.count() and not in_view(page, link.first):
            wrong.append("emergency link out of view")
    return wrong


WAYS = {
    "desktop-click": ({"width": 1280, "height": 800}, "click"),
    "phone-touch": ({"width": 390, "height": 844}, "touch"),
    "phone-keyboard": ({"width": 390, "height": 844}, "keyboard"),
    "desktop-keyboard": ({"width": 1280, "height": 800}, "keyboard"),
}


@pytest.mark.browser
@pytest.mark.parametrize("way", list(WAYS))
def test_patient_completes_the_interview_in_the_widget(calx: ChannelCalx, way: str) -> None:
    """A whole interview with the real dialogue, by mouse, by touch or by keyboard alone."""
    from browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, axe_scan
    from console_app import require_tool
    from hands import Hands
    from playwright.sync_api import sync_playwright
    from widget_page import WidgetPage

    size, how = WAYS[way]
    require_tool(CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        touch = {"has_touch": True, "is_mobile": True} if how == "touch" else {}
        page = browser.new_context(locale="en-GB", viewport=size, **touch).new_page()
        page.goto(f"{calx.web}/portal")
        widget = WidgetPage(page)
        hands = Hands(widget, how)
        hands.open()
        session = widget.session()
        expected: dict[str, Any] = {}
        problems: list[str] = []
        urgent_shown = False
        for step in range(80):
            slot = calx.requested(session)
            if slot is None:
                break
            problems.extend(f"step {step} ({slot}): {wrong}" for wrong in what_is_seen(page))
            urgent_shown = urgent_shown or widget.urgent().is_visible()
            if step == 6 and how == "click":  # mid-way: reload, and the same interview comes back
                before = widget.texts("bot")
                widget.reload()
                assert widget.session() == session
                assert widget.texts("bot") == before
            expected.update(answer_in_widget(hands, slot, step))
        assert calx.requested(session) is None
        assert problems == []
        assert RED_FLAG_ANSWER in expected and urgent_shown  # the urgent box was met
        assert len(expected) > 5
        shown = widget.texts("bot")
        assert axe_scan(page, f"widget-e2e-{way}", every_impact=True) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"widget-e2e-{way}.png"))
        browser.close()
    summary = calx.summary(session)
    assert summary is not None
    assert summary["status"] == "complete" and summary["respondent"] == "patient"
    assert {code: summary["findings"].get(code) for code in expected} == expected
    assert summary["differential"]  # for the clinician; the patient is told what happens next
    assert wording.text("end", "patient").strip() in shown[-2:]  # then the red flag's reminder
    assert not [text for text in shown if "differential" in text.lower() or "score" in text]
