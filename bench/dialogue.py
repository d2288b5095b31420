"""Dialogue benchmark: per-turn latency of whole interviews, Calx next to Rasa's starter bot.

Both run in the same benchmark, on free ports, as servers answer people:

- **Calx**: ``python -m bot.runner`` (the supervisor of ``make run``: Rasa, the action
  server, the web app) with a throw-away SQLite database. Simulated people take public
  vignettes (``tests/data/vignettes-public.yaml``) through the REST channel, answering
  whatever ``requested_slot`` the tracker shows, as the end-to-end tests do.
- **Rasa's starter bot**: ``rasa init --no-prompt`` into a temporary folder (which trains
  its model with Rasa's own trainer), served by ``rasa run`` with the same arguments as
  Calx's Rasa server (Rasa's defaults: in-memory tracker store, no action server).
  Conversations are its stories' user turns, each with a training example of the intent.

Conversations of both bots alternate, so that both see the same machine load. A turn is
one ``POST /webhooks/rest/webhook`` until the reply. Calx's time in its actions per
turn is estimated from the tracker's event timestamps: for every action served by the
action server, and the form (which calls ``validate_interview_form`` and the
``action_ask_*`` question), the time from the event before it to its ``ActionExecuted``:
the action server calls plus Rasa's form step and the policies' pick, without NLU.

``python -m bench dialogue`` (in ``make bench``); ``python -m bench.dialogue
--interviews N`` for more or fewer interviews (default 6 of the 22 vignettes).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.common import Row, print_table
from bot.runner.rasa_server import rasa_argv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from calx_process import Calx, free_port  # noqa: E402
from vignette_runner import interview, load  # noqa: E402

DEFAULT_INTERVIEWS = 6
#: Said to Calx before timing: consent, respondent and a first answer.
WARM_UP = ("hello", "yes, I agree", "I'm the patient", "I'm 40 and my fingers go white")
#: Seconds for ``rasa init`` (it trains) and for the starter's server to answer.
STARTER_TIMEOUT_S = 900.0
STARTER_TOKEN = "bench-starter-token"  # a local throw-away server
#: Quieter Rasa processes (no usage reporting, no TensorFlow banners).
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}


def say(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """One message through the REST channel, as ``Calx.say`` sends it."""
    response = httpx.post(
        f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    replies: list[dict[str, Any]] = response.json()
    return replies


@dataclass
class Starter:
    """Rasa's starter bot (``rasa init``), trained and served by ``rasa run``."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "bench.log"

    def _run(self, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", *argv],
                cwd=self.directory,
                env={**os.environ, **QUIET_ENV},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def init(self) -> subprocess.Popen[bytes]:
        """Start ``rasa init --no-prompt`` (project files, then a trained model)."""
        return self._run(["rasa", "init", "--no-prompt", "--init-dir", str(self.directory)])

    def model(self) -> Path:
        models = sorted((self.directory / "models").glob("*.tar.gz"))
        if not models:
            raise RuntimeError(f"rasa init trained no model; see {self.log}")
        return models[-1]

    def serve(self) -> None:
        """``rasa run`` with the arguments of Calx's Rasa server; wait until it answers."""
        argv = rasa_argv(
            str(self.model()),
            str(self.directory / "endpoints.yml"),
            str(self.directory / "credentials.yml"),
            self.port,
            "127.0.0.1",
        )
        self.process = self._run([*argv, "--auth-token", STARTER_TOKEN])
        deadline = time.monotonic() + STARTER_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the starter bot's server exited; see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                status = httpx.get(f"{self.url}/status", params={"token": STARTER_TOKEN})
                if status.status_code == 200:
                    return
            time.sleep(1)
        raise RuntimeError(f"the starter bot did not answer; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def conversations(self) -> Iterator[list[str]]:
        """Its stories' user turns, each intent said with its training examples in turn."""
        data = self.directory / "data"
        nlu = yaml.safe_load((data / "nlu.yml").read_text())["nlu"]
        examples = {
            item["intent"]: itertools.cycle(
                line.removeprefix("- ").strip()
                for line in item["examples"].splitlines()
                if line.strip()
            )
            for item in nlu
            if "intent" in item
        }
        stories = yaml.safe_load((data / "stories.yml").read_text())["stories"]
        turns = [[step["intent"] for step in s["steps"] if "intent" in step] for s in stories]
        for intents in itertools.cycle(turns):
            yield [next(examples[intent]) for intent in intents]


#: Events Rasa logs with an action after running it, stamped then (the policies' output).
PREDICTION_EVENTS = frozenset({"user_featurization"})


def action_server_ms(events: Sequence[dict[str, Any]], remote: set[str]) -> list[float]:
    """Per turn, the milliseconds spent in actions of ``remote`` (from event timestamps).

    Rasa stamps an action's ``ActionExecuted`` (and the prediction events logged with
    it) once the action has run, so an action took from the event before those to it.
    """
    turns: list[float] = []
    previous: float | None = None
    for event in events:
        kind = event.get("event")
        if kind in PREDICTION_EVENTS:
            continue
        stamp = float(event.get("timestamp") or 0.0)
        if kind == "user":
            turns.append(0.0)
        elif turns and previous is not None and kind == "action" and event.get("name") in remote:
            turns[-1] += (stamp - previous) * 1000
        previous = stamp
    return turns


def remote_actions() -> set[str]:
    """The actions Calx's action server runs, and the form (it calls the validation)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {*domain.get("actions", []), *(domain.get("forms") or {})}


def measure(calx: Calx, starter: Starter, interviews: int) -> list[Row]:
    """Alternate Calx interviews and starter conversations; the rows of the table."""
    vignettes = load()
    chosen = [vignettes[round(i * len(vignettes) / interviews)] for i in range(interviews)]
    remote = remote_actions()
    calx_ms: list[float] = []
    actions_ms: list[float] = []
    starter_ms: list[float] = []
    talks = starter.conversations()
    warm_up = "bench-warm-up"  # first loads (the NLP pipeline in the action server) not timed
    for text in WARM_UP:
        say(calx.rasa, warm_up, text)
    say(starter.url, warm_up, "hello")
    for vignette in chosen:
        run = interview(calx, vignette)
        calx_ms += run["turn_ms"]
        events = calx.tracker(run["sender"]).get("events") or []
        actions_ms += action_server_ms(events, remote)
        while len(starter_ms) < len(calx_ms):
            sender = f"bench-{uuid.uuid4().hex[:10]}"
            for text in next(talks):
                started = time.perf_counter()
                say(starter.url, sender, text)
                starter_ms.append((time.perf_counter() - started) * 1000)
    return [
        Row("Rasa starter bot (rasa init), per turn", starter_ms),
        Row("Calx, per turn (REST, whole interviews)", calx_ms),
        Row("Calx, of which its actions (est.)", actions_ms),
    ]


def run(interviews: int = DEFAULT_INTERVIEWS) -> None:
    """Start both bots, run the conversations, print the table, stop everything."""
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="calx-bench-dialogue-"))
    (work / "starter").mkdir()
    calx = Calx(database_url=f"sqlite:///{work / 'calx.db'}", log=work / "calx.log")
    starter = Starter(work / "starter")
    print("\nDialogue: starting Calx (make run's supervisor) and training Rasa's starter bot...")
    try:
        init = starter.init()  # trains while Calx prepares and starts
        calx.start()
        if init.wait(STARTER_TIMEOUT_S) != 0:
            raise RuntimeError(f"rasa init failed; see {starter.log}")
        starter.serve()
        rows = measure(calx, starter, interviews)
    finally:
        starter.stop()
        if calx.process is not None:
            calx.stop()
    print_table(
        f"Dialogue, per turn: {interviews} simulated interviews of Calx next to Rasa's starter "
        "bot, alternating (ratio = p50 / starter's p50)",
        rows,
        rows[0].name,
    )
    shutil.rmtree(work, ignore_errors=True)
    print(f"(dialogue suite: {time.monotonic() - started:.0f} s in all, training included)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dialogue", description=__doc__)
    parser.add_argument("--interviews", type=int, default=DEFAULT_INTERVIEWS)
    args = parser.parse_args(argv)
    run(max(1, args.interviews))
    return 0


if __name__ == "__main__":
    sys.exit(main())
