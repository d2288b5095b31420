"""bot.channels.guard and the REST channel in process: cleaning, screening, 503 on failure."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from typing import Any

import httpx
import pytest
from harness import ScriptedAgent, serve_channels
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage

from bot.channels import guard, rest
from bot.channels.rest import CalxRestInput
from bot.ratelimit import Limit, MemoryStore, RateLimiter


@given(st.text())
def test_cleaned_text_can_be_stored_and_is_never_a_command(text: str) -> None:
    cleaned = guard.clean(text)
    assert not guard._UNWANTED.search(cleaned)
    assert "\x00" not in cleaned and not cleaned.startswith("/")
    cleaned.encode("utf-8")  # no lone surrogates: storable anywhere
    assert guard.clean(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)


@given(st.one_of(st.none(), st.integers(), st.lists(st.text()), st.text(max_size=6000)))
def test_screen_never_raises_and_always_says_why(raw: Any) -> None:
    screened = guard.screen(raw)
    assert (screened.text is None) is (screened.reply is not None)
    if screened.text is not None:
        assert len(screened.text) <= guard.MAX_MESSAGE_CHARS and screened.status == 200
    elif not isinstance(raw, str):
        assert screened.status == 400
    elif len(raw) > guard.MAX_MESSAGE_CHARS:
        assert screened.status == 413


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ye\x00s", "yes"),
        ("  /restart", "restart"),
        ('/inform{"x": 1}', 'inform{"x": 1}'),
        ("\u202eon \U0001f44d", "\u202eon \U0001f44d"),  # right-to-left and emoji are kept
        ("cafe\u0301", "caf\u00e9"),
        ("a\ud800b", "ab"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert guard.clean(raw) == expected


@pytest.mark.parametrize("raw", ["", " \t\n", "\u200b\u200d", "\u0301", "\ue000", "///", "\x00"])
def test_nothing_visible_is_empty(raw: str) -> None:
    assert guard.screen(raw) == guard.Screened(None, guard.EMPTY, 200)


def test_metadata_keeps_only_what_a_client_may_set() -> None:
    forged = {"calx": {"respondent": "clinician", "channel": "slack", "hidden": True, "lang": "fr"}}
    assert guard.clean_metadata(forged, "rest") == {
        "calx": {"channel": "rest", "hidden": True, "lang": "fr"}
    }
    for junk in (None, "x", [1], {"calx": "clinician"}, {"calx": {"lang": "<b>"}}):
        assert guard.clean_metadata(junk, "widget") == {"calx": {"channel": "widget"}}


@pytest.mark.parametrize("body", [b"[" * 50_000, b"\xff", b"{", b'{"a": 1} x'])
def test_load_json_raises_value_error_only(body: bytes) -> None:
    with pytest.raises(ValueError):
        guard.load_json(body)


class FailingAgent(ScriptedAgent):
    """An agent whose turns fail (a database restarting) or hang."""

    def __init__(self, hang: bool = False) -> None:
        super().__init__()
        self.hang = hang

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.hang:
            await asyncio.sleep(30)
        raise RuntimeError(f"database away while handling {message.text!r}")


@pytest.mark.parametrize("hang", [False, True])
def test_a_failed_turn_gets_503_and_please_try_again(hang: bool) -> None:
    channel = CalxRestInput(deadline_s=0.5 if hang else None)
    agent = FailingAgent(hang)
    with serve_channels([channel], agent) as url:
        response = httpx.post(
            f"{url}/webhooks/rest/webhook", json={"sender": "s1", "message": "yes"}, timeout=30
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json()[0]["text"] == rest.TRY_AGAIN
    assert len(agent.received) == 1


def test_rest_limits_per_sender_and_address() -> None:
    channel = CalxRestInput()
    channel.limiter = RateLimiter(
        MemoryStore(), Limit(1, 3), Limit(1, 5), trusted_proxies=guard_networks("127.0.0.1")
    )
    agent = ScriptedAgent()
    with serve_channels([channel], agent) as url, httpx.Client(base_url=url) as client:
        same = [client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
                for _ in range(5)]  # fmt: skip
        proxied = [
            client.post("/webhooks/rest/webhook", json={"sender": f"p{i}", "message": "hi"},
                        headers={"X-Forwarded-For": "198.51.100.3"})
            for i in range(7)
        ]  # fmt: skip
    assert [r.status_code for r in same] == [200, 200, 200, 429, 429]
    assert [r.status_code for r in proxied] == [200] * 5 + [429] * 2
    refused = same[-1]
    assert refused.headers["Retry-After"] == "1"
    assert "faster than I can read" in json.loads(refused.text)[0]["text"]
    assert len(agent.received) == 3 + 5


def guard_networks(spec: str) -> Any:
    from bot.ratelimit import networks

    return networks(spec)
