"""The Teams channel over real HTTP: tokens signed by a local key set, a fake Bot Connector."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from harness import (
    SUBMITTED,
    FakeService,
    Recorded,
    ScriptedAgent,
    fake_service,
    interview_domain,
    serve_channels,
    wait_for,
)
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActiveLoop, SlotSet
from test_slack import store_interview

from bot.channels import teams
from bot.channels.report import console_url
from bot.interview import readback
from bot.store.db import Database

APP_ID = "00000000-1111-2222-3333-444444444444"
ISSUER = "https://api.botframework.com"
WEB_URL = "http://console.example"
TENANT = "tenant-of-the-hospital"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", **extra}


@dataclass
class TeamsRig:
    url: str
    identity: FakeService
    connector: FakeService
    agent: ScriptedAgent
    key: rsa.RSAPrivateKey
    kid: str

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": APP_ID,
            "iat": now,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": self.connector.base_url,
        }
        claims.update(overrides.pop("claims", {}))
        for name in overrides.pop("drop", ()):
            claims.pop(name)
        key = overrides.pop("key", self.key)
        kid = overrides.pop("kid", self.kid)
        algorithm = overrides.pop("algorithm", "RS256")
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})

    def activity(self, text: str, conversation: str = "a:1dmchat", **extra: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"act-{uuid.uuid4().hex[:10]}",
            "timestamp": "2026-11-25T10:00:00.000Z",
            "serviceUrl": self.connector.base_url,
            "channelId": "msteams",
            "from": {"id": "29:resident", "name": "Resident", "aadObjectId": "aad-resident"},
            "conversation": {"id": conversation, "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "recipient": {"id": f"28:{APP_ID}", "name": "Calx"},
            "text": text,
            **extra,
        }

    def post(self, activity: dict[str, Any], token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return httpx.post(
            f"{self.url}/webhooks/botframework/webhook", json=activity, headers=headers
        )

    def replies(self) -> list[Recorded]:
        return self.connector.find("POST", "/v3/conversations/")

    def wait_replies(self, count: int) -> list[Recorded]:
        wait_for(lambda: len(self.replies()) >= count, f"{count} replies to the Bot Connector")
        return self.replies()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


def connector_accepts(recorded: Recorded) -> tuple[int, Any]:
    return 200, {"id": uuid.uuid4().hex}


@pytest.fixture
def rig(key: rsa.RSAPrivateKey) -> Iterator[TeamsRig]:
    kid = "calx-test-key"
    jwks = {"keys": [public_jwk(key, kid, endorsements=["msteams"])]}
    with fake_service() as identity, fake_service(default=connector_accepts) as connector:
        identity.route(
            "GET",
            "/v1/.well-known/openidconfiguration",
            lambda r: (200, {"issuer": ISSUER, "jwks_uri": f"{identity.base_url}/keys"}),
        )
        identity.route("GET", "/keys", lambda r: (200, jwks))
        identity.route(
            "POST",
            "/token",
            lambda r: (200, {"access_token": "connector-token", "expires_in": 3600}),
        )
        config = teams.TeamsConfig(
            app_id=APP_ID,
            app_password="app-secret",
            openid_url=f"{identity.base_url}/v1/.well-known/openidconfiguration",
            issuers=(ISSUER,),
            token_url=f"{identity.base_url}/token",
            web_url=WEB_URL,
            tenant_ids=(TENANT,),
        )
        agent = ScriptedAgent()
        with serve_channels([teams.TeamsInput(config)], agent) as url:
            yield TeamsRig(url, identity, connector, agent, key, kid)


def test_server_starts_without_fetching_keys(rig: TeamsRig) -> None:
    assert rig.identity.requests == []  # nothing fetched at start-up: works offline
    health = httpx.get(f"{rig.url}/webhooks/botframework/")
    assert health.json() == {"status": "ok", "enabled": True}


def test_message_is_answered_in_its_conversation(rig: TeamsRig) -> None:
    activity = rig.activity("<at>Calx</at> hello, new case")
    assert rig.post(activity).status_code == 200
    [reply] = rig.wait_replies(1)
    assert reply.path == f"/v3/conversations/a%3A1dmchat/activities/{activity['id']}"
    assert reply.headers["Authorization"] == "Bearer connector-token"
    body = reply.json()
    assert body["text"] == "echo: hello, new case"
    assert body["textFormat"] == "markdown"
    assert body["replyToId"] == activity["id"]
    assert body["recipient"]["id"] == "29:resident"
    assert body["conversation"]["id"] == "a:1dmchat"
    [message] = rig.agent.received
    assert message.sender_id == "teams:a:1dmchat"
    assert message.input_channel == "botframework"
    assert message.metadata["calx"] == {
        "channel": "teams",
        "respondent": "clinician",
        "staff": True,
    }
    token_request = rig.identity.find("POST", "/token")[0]
    form = parse_qs(token_request.body.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == [APP_ID]
    assert form["scope"] == ["https://api.botframework.com/.default"]


@pytest.mark.parametrize(
    "where",
    [{"conversation": {"id": "a:1dmchat", "tenantId": "another-tenant"}, "channelData": {}}, {}],
)
def test_a_tenant_that_is_not_staff_is_told_so_and_gets_no_turn(
    rig: TeamsRig, where: dict[str, Any]
) -> None:
    activity = rig.activity("<at>Calx</at> I'm a doctor")
    activity.update(where)
    if not where:  # no tenant at all
        activity["conversation"] = {"id": "a:1dmchat"}
        del activity["channelData"]
    assert rig.post(activity).status_code == 200
    [reply] = rig.wait_replies(1)
    assert reply.json()["text"] == teams.NOT_STAFF
    assert rig.agent.received == []


def test_channel_threads_are_separate_conversations(rig: TeamsRig) -> None:
    first = "19:abc@thread.tacv2;messageid=1700000000001"
    second = "19:abc@thread.tacv2;messageid=1700000000002"
    rig.post(rig.activity("<at>Calx</at> case one", conversation=first))
    rig.post(rig.activity("<at>Calx</at> case two", conversation=second))
    rig.post(rig.activity("more on one", conversation=first))
    rig.wait_replies(3)
    senders = [m.sender_id for m in rig.agent.received]
    assert senders == [f"teams:{first}", f"teams:{second}", f"teams:{first}"]


def test_a_delivery_is_handled_once(rig: TeamsRig) -> None:
    activity = rig.activity("once")
    for _ in range(3):
        assert rig.post(activity).status_code == 200
    rig.post(rig.activity("marker"))
    rig.wait_replies(2)
    assert [m.text for m in rig.agent.received] == ["once", "marker"]


def other_key_token(rig: TeamsRig) -> str:
    return rig.token(key=new_key())


BAD_TOKENS = {
    "forged (other key, same kid)": lambda rig: other_key_token(rig),
    "unknown key id": lambda rig: rig.token(kid="not-a-key"),
    "expired": lambda rig: rig.token(claims={"exp": int(time.time()) - 3600}),
    "not yet valid": lambda rig: rig.token(claims={"nbf": int(time.time()) + 3600}),
    "wrong issuer": lambda rig: rig.token(claims={"iss": "https://evil.example"}),
    "wrong audience": lambda rig: rig.token(claims={"aud": "another-bot"}),
    "no expiry": lambda rig: rig.token(drop=["exp"]),
    "other service URL": lambda rig: rig.token(claims={"serviceurl": "https://evil.example"}),
    "no service URL": lambda rig: rig.token(drop=["serviceurl"]),
    "HS256 with the public key": lambda rig: jwt.encode(
        {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 600},
        "shared-secret-long-enough-for-hs256-0123456789",
        algorithm="HS256",
        headers={"kid": rig.kid},
    ),
    "garbage": lambda rig: "not.a.token",
}


@pytest.mark.parametrize("make", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_tokens_get_401_and_change_nothing(rig: TeamsRig, make: Any) -> None:
    activity = rig.activity("forged message", conversation="a:forged")
    assert rig.post(activity, token=make(rig)).status_code == 401
    rig.post(rig.activity("genuine"))
    rig.wait_replies(1)
    assert [m.text for m in rig.agent.received] == ["genuine"]
    assert rig.agent.tracker("teams:a:forged") is None
    assert len(rig.replies()) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}],
    ids=["none", "basic", "empty"],
)
def test_missing_token_gets_401(rig: TeamsRig, headers: dict[str, str]) -> None:
    reply = httpx.post(
        f"{rig.url}/webhooks/botframework/webhook", json=rig.activity("hi"), headers=headers
    )
    assert reply.status_code == 401
    assert rig.agent.received == []


def test_key_not_endorsed_for_the_channel_gets_401(rig: TeamsRig) -> None:
    activity = rig.activity("from another channel", channelId="skype")
    assert rig.post(activity).status_code == 401
    assert rig.agent.received == []


def test_activity_pointing_elsewhere_than_its_token_gets_401(rig: TeamsRig) -> None:
    activity = rig.activity("reply somewhere else", serviceUrl="http://127.0.0.1:9/evil")
    assert rig.post(activity).status_code == 401
    assert rig.agent.received == []


def test_keys_are_fetched_once_and_cached(rig: TeamsRig) -> None:
    for n in range(3):
        rig.post(rig.activity(f"message {n}"))
    rig.wait_replies(3)
    assert len(rig.identity.find("GET", "/keys")) == 1
    assert len(rig.identity.find("GET", "/v1/.well-known/openidconfiguration")) == 1
    assert len(rig.identity.find("POST", "/token")) == 1


def test_non_message_activities_are_acknowledged_and_ignored(rig: TeamsRig) -> None:
    update = rig.activity("", type="conversationUpdate")
    assert rig.post(update).status_code == 200
    rig.post(rig.activity("marker"))
    rig.wait_replies(1)
    assert [m.text for m in rig.agent.received] == ["marker"]


def test_buttons_become_suggested_actions(rig: TeamsRig) -> None:
    async def send(message: Any) -> None:
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "Raynaud's?", [{"title": "Yes", "payload": "yes"}]
        )

    rig.agent.reply = lambda m: []
    original = rig.agent.handle_message

    async def handle(message: Any) -> None:
        await original(message)
        await send(message)

    rig.agent.handle_message = handle  # type: ignore[method-assign]
    rig.post(rig.activity("hi"))
    [reply] = rig.wait_replies(1)
    assert reply.json()["suggestedActions"] == {
        "actions": [{"type": "imBack", "title": "Yes", "value": "yes"}]
    }


def test_several_places_are_ticked_on_a_card_and_sent_together(rig: TeamsRig) -> None:
    rig.agent.tracker_store = InMemoryTrackerStore(interview_domain())
    asking = [ActiveLoop("interview_form"), SlotSet("requested_slot", "lesion_locations")]
    rig.agent.reply = lambda m: ["Where?", *asking]
    rig.post(rig.activity("58F hard nodules"))
    [reply] = rig.wait_replies(1)
    body = reply.json()
    [card] = body["attachments"]
    [choices] = [b for b in card["content"]["body"] if b["type"] == "Input.ChoiceSet"]
    assert choices["isMultiSelect"] is True
    values = {c["title"]: c["value"] for c in choices["choices"]}
    assert "fingers" in values and "I don't know" not in values
    assert all("," not in v for v in values.values())  # the card joins them with commas
    assert [a["title"] for a in body["suggestedActions"]["actions"]] == ["I don't know"]
    # Send on the card: a message with no text, the ticked values in `value`
    submitted = rig.activity("")
    submitted["value"] = {choices["id"]: f"{values['fingers']},{values['elbows']}"}
    rig.post(submitted)
    rig.wait_replies(2)
    assert [m.text for m in rig.agent.received][-1] == "fingers, elbows"


def test_the_answers_of_the_open_question_are_suggested_actions(rig: TeamsRig) -> None:
    rig.agent.tracker_store = InMemoryTrackerStore(interview_domain())
    asking = [ActiveLoop("interview_form"), SlotSet("requested_slot", "lesion_consistency")]
    rig.agent.reply = lambda m: ["Consistency?", *asking]
    rig.post(rig.activity("58F hard nodules"))
    [reply] = rig.wait_replies(1)
    actions = reply.json()["suggestedActions"]["actions"]
    assert all(a["type"] == "imBack" for a in actions)  # a tap sends the answer as a reply
    titles = [a["title"] for a in actions]
    assert len(titles) >= 4 and "_" not in "".join(titles)  # the values in words
    assert "soft_paste" not in json.dumps(actions)


def test_clinician_gets_an_adaptive_card(rig: TeamsRig, database: Database) -> None:
    conversation = f"a:{uuid.uuid4().hex}"
    sender = f"teams:{conversation}"
    summary = store_interview(database, sender, "clinician")
    report_text = readback.clinician_report(summary)
    rig.agent.reply = lambda m: ["Summary saved for review.", report_text, SUBMITTED]
    rig.post(rig.activity("yes", conversation=conversation))
    replies = rig.wait_replies(2)
    assert replies[0].json()["text"] == "Summary saved for review."
    card = replies[1].json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = card["content"]
    assert content["type"] == "AdaptiveCard"
    assert content["actions"][0]["url"] == console_url(WEB_URL, sender)
    body = json.dumps(content["body"])
    assert summary["differential"][0]["name"] in body
    assert "score 0" not in body and "cbc diff" not in body and "cbc_diff" not in body
    facts = next(b for b in content["body"] if b["type"] == "FactSet")["facts"]
    assert facts[0]["title"] == "Imaging" and "X-ray" in facts[0]["value"]
    assert facts[-1]["title"] == "Not recommended" and "MRI" in facts[-1]["value"]
    assert all(r.json().get("text") != teams.markdown(report_text) for r in replies)
    sites = summary["findings"]["lesion_locations"]
    [image] = [b for b in content["body"] if b["type"] == "Image"]
    assert image["url"] == f"{WEB_URL}/bodymap.png?sites={','.join(sites)}"
    assert "Body map" in image["altText"]


def test_patient_on_teams_is_never_shown_a_differential(rig: TeamsRig, database: Database) -> None:
    conversation = f"a:{uuid.uuid4().hex}"
    store_interview(database, f"teams:{conversation}", "proxy")
    rig.agent.reply = lambda m: ["Thank you, that's everything.", SUBMITTED]
    rig.post(rig.activity("yes", conversation=conversation))
    [reply] = rig.wait_replies(1)
    assert "attachments" not in reply.json()


def test_long_conversation_ids_are_hashed_into_the_sender_id() -> None:
    long_id = "19:" + "x" * 400
    sender = teams.sender_id({"conversation": {"id": long_id}})
    assert sender.startswith("teams:") and len(sender) < 60
    assert sender == teams.sender_id({"conversation": {"id": long_id}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line one\nline two", "line one\n\nline two"),
        ("Summary:\n- a: yes\n- b: no", "Summary:\n\n- a: yes\n- b: no"),
    ],
)
def test_markdown_keeps_lines_apart(text: str, expected: str) -> None:
    assert teams.markdown(text) == expected
