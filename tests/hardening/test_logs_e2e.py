"""Logs of the real processes: JSON lines with request ids, and never what a person typed.

A marker sentence is planted in a whole interview (in answers and in the free-text
story) over REST, and in messages to the widget, Slack and Teams, including refused
ones (too long, not JSON, over the rate limit) and ``/api/interpret``. Then every log
file and the captured stdout/stderr of every process are searched: the marker must not
appear. The stack runs at the production log level (INFO).
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import body_bytes, fresh_sender
from test_bad_inputs import SlackThread, TeamsConversation, flood, widget_say
from test_channels_e2e import ChannelCalx, Fakes
from test_socketio import WidgetClient
from vignette_runner import interview, load

from bot.channels.guard import MAX_MESSAGE_CHARS

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
#: Fields every JSON log line has.
FIELDS = {"ts", "level", "logger", "message", "request_id", "process", "pid"}
#: All that `make run` shows on the terminal: a line per step, then the ready block.
TERMINAL = re.compile(
    r"^(Preparing the language pipeline\.\.\.|Migrating the database\.\.\.|Model: calx-\S+"
    r"|Training the Rasa model .*|Starting Rasa, the action server and the web app \(logs: .+\)"
    r"\.\.\.|Calx is running:|  \S.*  (https?://\S+.*|/\S+)|Press Ctrl-C to stop\.)$"
)


def marker() -> str:
    """A sentence nobody else writes: a random word inside ordinary words."""
    return f"my knuckles ache like a {uuid.uuid4().hex[:10]} in the frost"


def planted_vignette(sentence: str) -> dict[str, Any]:
    """Vignette p03 with the marker in its free-text story and appended to some answers."""
    vignette = copy.deepcopy(next(v for v in load() if v["id"] == "p03"))
    answers = vignette["answers"]
    answers["free_text_story"] = {"value": sentence, "say": f"Well, {sentence}."}
    for code in list(answers)[::4]:
        if code != "free_text_story":
            answers[code]["say"] = f"{answers[code]['say']}, and {sentence}"
    return vignette


def log_files(since: float, stack: ChannelCalx) -> list[Path]:
    """Every log the processes wrote: the terminal's capture, the run log, files under var/."""
    own = [stack.log, stack.service_log]
    candidates = [*own, *(ROOT / "var").rglob("*.log"), *(ROOT / "var" / "run").rglob("*")]
    return [p for p in candidates if p.is_file() and (p in own or p.stat().st_mtime >= since)]


def test_no_patient_text_in_any_log(stack: ChannelCalx, fakes: Fakes) -> None:
    started = time.time()
    sentence = marker()
    run = interview(stack, planted_vignette(sentence))
    summary = run["summary"]
    assert summary["status"] == "complete"
    stored = json.dumps(summary)
    assert sentence in stored, "the marker never reached the summary: the test proves nothing"

    # The same words through the other channels and the error paths.
    widget = WidgetClient(stack.rasa)
    widget.connect()
    widget_say(widget, f"hello, {sentence}")
    widget_say(widget, sentence * (MAX_MESSAGE_CHARS // len(sentence) + 1))  # too long
    widget.close()
    SlackThread(stack, fakes).say(f"hello {sentence}")
    TeamsConversation(stack, fakes).say(f"hello {sentence}")
    sender = fresh_sender("marker")
    rest = f"{stack.rasa}/webhooks/rest/webhook"
    httpx.post(rest, content=body_bytes({"sender": sender, "message": sentence * 300}))
    httpx.post(rest, content=f'{{"sender": "{sender}", "message": "{sentence}'.encode())
    flood(40, 100.0, lambda _: httpx.post(rest, json={"sender": sender, "message": sentence},
                                          timeout=120))  # fmt: skip
    httpx.post(
        f"{stack.web}/api/interpret",
        json={"finding": "free_text_story", "text": sentence},
        headers={"Authorization": f"Bearer {stack.api_token}"},
    )
    httpx.post(
        f"{stack.web}/api/interpret",
        json={"finding": sentence, "text": sentence, "context": sentence},
        headers={"Authorization": f"Bearer {stack.api_token}"},
    )
    time.sleep(2)  # let the background turns (Slack, Teams, the flood) finish and log

    searched, leaks = 0, []
    words = sentence.split(" ")[-4]  # the random word alone
    for path in log_files(started, stack):
        content = path.read_bytes().decode("utf-8", "replace")
        searched += 1
        if words in content:
            leaks.append(str(path))
    size = stack.service_log.stat().st_size
    print(f"\nsearched {searched} log files ({size} bytes of process output)")
    # The right output was searched: this interview's requests are in it.
    assert run["sender"] in stack.service_log.read_text(errors="replace")
    assert not leaks, f"patient text in {leaks}"


def test_every_process_logs_json_lines_with_request_ids(stack: ChannelCalx) -> None:
    request_id = f"hardening-{uuid.uuid4().hex[:8]}"
    offset = stack.service_log.stat().st_size
    answer = httpx.post(
        f"{stack.rasa}/webhooks/rest/webhook",
        json={"sender": fresh_sender("ids"), "message": "hello"},
        headers={"X-Request-ID": request_id},
        timeout=120,
    )
    assert answer.headers["X-Request-ID"] == request_id
    web = httpx.get(f"{stack.web}/api/health", headers={"X-Request-ID": request_id})
    assert web.headers["X-Request-ID"] == request_id
    made = httpx.get(f"{stack.web}/portal")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    time.sleep(1)
    with stack.service_log.open("rb") as log:
        log.seek(offset)
        lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line]
    entries, other = [], []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            other.append(line)
    assert not other, other[:5]  # the run log holds log lines only
    assert all(set(entry) >= FIELDS for entry in entries)
    processes = {entry["process"] for entry in entries}
    assert {"rasa", "actions", "web"} <= processes, processes
    access = [e for e in entries if e["logger"] in ("calx.access", "uvicorn.access")]
    assert access and all(e["request_id"] for e in access)
    mine = {e["process"] for e in entries if e["request_id"] == request_id}
    assert {"rasa", "web"} <= mine
    rest = [e for e in access if e.get("path") == "/webhooks/rest/webhook"]
    assert rest and rest[-1]["status"] == 200 and rest[-1]["duration_ms"] >= 0


def test_the_terminal_shows_steps_and_every_endpoint_only(stack: ChannelCalx) -> None:
    """`make run` is quiet: no log line or warning on the terminal; every channel listed."""
    shown = [line for line in stack.log.read_text(errors="replace").splitlines() if line]
    assert shown and len(shown) <= 25, shown
    assert [line for line in shown if not TERMINAL.match(line)] == []
    ready = {
        label.strip(): where.split()[0]
        for label, where in (line.strip().split("  ", 1) for line in shown if line[:2] == "  ")
    }
    assert ready["Slack events"] == f"{stack.rasa}/webhooks/slack/webhook"
    assert ready["Slack buttons"] == f"{stack.rasa}/webhooks/slack/interactive"
    assert ready["Teams"] == f"{stack.rasa}/webhooks/botframework/webhook"
    assert ready["patient portal"] == f"{stack.web}/portal"
    assert ready["logs (JSON lines)"] == str(stack.service_log)
    # what the terminal no longer shows is in the run log, as JSON
    logged = stack.service_log.read_text(errors="replace")
    assert all(f'"process": "{name}"' in logged for name in ("rasa", "actions", "web"))
