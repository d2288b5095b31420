"""The widget's socket.io channel over a real server, with python-socketio clients (polling)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
from engineio.payload import Payload
from harness import ScriptedAgent, interview_domain, serve_channels, wait_for
from rasa.shared.core.events import ActiveLoop, SlotSet

from bot.channels.socketio import MAX_PACKETS_PER_REQUEST, CalxSocketIOInput
from bot.knowledge import get_dictionary


@dataclass
class WidgetClient:
    """A socket.io client as the widget uses it; records every event it receives."""

    url: str
    client: socketio.Client = field(default_factory=lambda: socketio.Client(reconnection=False))
    events: list[tuple[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # as the browser's engine.io client, take a burst of replies in one response (the
        # Python client's default refuses more than 16 packets and drops the connection)
        Payload.max_decode_packets = MAX_PACKETS_PER_REQUEST
        for name in ("session_confirm", "bot_uttered", "calx_state"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        def record(data: Any = None) -> None:
            with self.lock:
                self.events.append((name, data))

        return record

    def of(self, name: str) -> list[Any]:
        with self.lock:
            return [data for kind, data in self.events if kind == name]

    def connect(self, session_id: str | None = None) -> str:
        self.client.connect(self.url, transports=["polling"], socketio_path="/socket.io")
        self.client.emit("session_request", {"session_id": session_id})
        return str(wait_for(lambda: self.of("session_confirm"), "session_confirm")[-1])

    def say(self, text: str, **metadata: Any) -> dict[str, Any]:
        before = len(self.of("calx_state"))
        self.client.emit("user_uttered", {"message": text, "metadata": metadata})
        states = wait_for(lambda: self.of("calx_state")[before:], "calx_state after a message")
        return dict(states[-1])

    def resume(self) -> dict[str, Any]:
        before = len(self.of("calx_state"))
        self.client.emit("calx_resume", {})
        return dict(wait_for(lambda: self.of("calx_state")[before:], "calx_state on resume")[-1])

    def close(self) -> None:
        self.client.disconnect()


FORM = ActiveLoop("interview_form")


def ask(slot: str, **slots: Any) -> list[Any]:
    return [FORM, *(SlotSet(k, v) for k, v in slots.items()), SlotSet("requested_slot", slot)]


@pytest.fixture
def server() -> Iterator[tuple[str, ScriptedAgent]]:
    agent = ScriptedAgent(domain=interview_domain())
    with serve_channels([CalxSocketIOInput()], agent) as url:
        yield url, agent


@pytest.fixture
def widget(server: tuple[str, ScriptedAgent]) -> Iterator[WidgetClient]:
    client = WidgetClient(server[0])
    yield client
    client.close()


def test_session_is_handed_out_and_messages_are_answered(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    session = widget.connect()
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    state = widget.say("hello")
    assert widget.of("bot_uttered") == [{"text": "echo: hello"}]
    assert state["session_id"] == session
    assert state["asking"] is None and state["input"] is None
    [message] = server[1].received
    assert message.sender_id == session
    assert message.input_channel == "socketio"
    assert message.metadata == {"calx": {"channel": "widget"}}


def test_reload_resumes_the_same_conversation(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    url, agent = server
    agent.reply = lambda m: (
        ["Do you agree?", *ask("consent")] if m.text == "hello" else ["Who is answering?"]
    )
    session = widget.connect()
    widget.say("hello", calx={"hidden": True})
    widget.say("yes")
    widget.close()
    again = WidgetClient(url)
    try:
        assert again.connect(session) == session
        state = again.resume()
        assert state["transcript"] == [
            {"from": "bot", "text": "Do you agree?"},
            {"from": "user", "text": "yes"},
            {"from": "bot", "text": "Who is answering?"},
        ]  # the automatic "hello" is not shown
        again.say("I'm the patient")
    finally:
        again.close()
    assert {m.sender_id for m in agent.received} == {session}


@pytest.mark.parametrize(
    "asked", ["slack:T0HOSPITAL:C0CASES:1700000000.1", "teams:a:1", "../etc", "A" * 32, ""]
)
def test_foreign_session_ids_are_replaced(
    server: tuple[str, ScriptedAgent], widget: WidgetClient, asked: str
) -> None:
    session = widget.connect(asked)
    assert session != asked and re.fullmatch(r"[0-9a-f]{32}", session)
    widget.say("hi")
    assert [m.sender_id for m in server[1].received] == [session]


def test_messages_before_a_session_are_ignored(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    widget.client.connect(widget.url, transports=["polling"])
    widget.client.emit("user_uttered", {"message": "sneaky", "session_id": "0" * 32})
    widget.client.emit("session_request", {})
    wait_for(lambda: widget.of("session_confirm"), "session_confirm")
    widget.say("after")
    assert [m.text for m in server[1].received] == ["after"]


def test_only_known_metadata_is_passed_on(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    widget.connect()
    widget.say("hi", calx={"hidden": "yes", "lang": "en-GB", "respondent": "clinician"}, x=1)
    assert server[1].received[0].metadata == {"calx": {"channel": "widget", "lang": "en-GB"}}


def test_state_offers_answers_to_the_open_question(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    agent = server[1]
    widget.connect()
    agent.reply = lambda m: ["Raynaud?", *ask("raynaud", consent="yes", respondent="patient")]
    state = widget.say("hello")
    assert state["asking"] == "raynaud"
    assert state["input"]["kind"] == "choice"
    assert [o["label"] for o in state["input"]["options"]] == ["Yes", "No", "I don't know"]
    assert isinstance(state["questions_left"], int) and state["questions_left"] > 0
    agent.reply = lambda m: ["Where?", *ask("lesion_locations")]
    state = widget.say("yes")
    assert state["input"]["kind"] == "multi"
    values = [o["value"] for o in state["input"]["options"]]
    assert values == [*get_dictionary().finding("lesion_locations").values, "unknown"]


def test_red_flag_is_in_the_state_in_the_same_turn(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    agent = server[1]
    widget.connect()
    agent.reply = lambda m: [
        "Important: ...",
        *ask("lesion_pain", consent="yes", respondent="patient", lesion_infection_signs="yes"),
    ]
    state = widget.say("there's pus and a fever")
    assert [f["code"] for f in state["red_flags"]] == ["infected_lesion"]
    assert state["red_flags"][0]["advice"]


def test_finished_interview_offers_no_answers(
    server: tuple[str, ScriptedAgent], widget: WidgetClient
) -> None:
    agent = server[1]
    widget.connect()
    agent.reply = lambda m: [
        "Thank you, that's everything.",
        ActiveLoop(None),
        SlotSet("summary_confirmed", "yes"),
        SlotSet("requested_slot", None),
    ]
    state = widget.say("yes")
    assert state["finished"] is True
    assert state["input"] is None and state["questions_left"] is None
