"""``make bench-load``: simulated interviews against ``make run`` and ``make run-cluster``.

Each simulated person takes one public vignette (``tests/data/vignettes-public.yaml``),
says "hello", then answers whatever ``requested_slot`` the tracker shows with the
vignette's ``say`` text (the plain value if asked again, then "I don't know"), about
2 s after each reply. Per mode: per-turn p50/p95/p99 of the REST channel, messages per
second, errors, interviews completed, and every stored summary compared with what was
said; then the saturation point (more people at once until p95 passes 1 s).

``python -m bench.load [--interviews 200] [--modes run,cluster] [--no-saturation]``

The client is also the fault tests' (``tests/cluster``): a message answered with 503 or
not at all is sent again only if the tracker shows it was not taken in (its
``message_id``), as the widget does after a reload.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
VIGNETTES = ROOT / "tests" / "data" / "vignettes-public.yaml"
#: A reply later than this is a hang (the cluster's promise is 10 s at most).
HANG_S = 10.0
#: The client gives up on one request after this (past HANG_S it counts as a hang).
REQUEST_TIMEOUT_S = 60.0
#: Seconds the client keeps trying one message or one read before the interview fails.
GIVE_UP_S = 180.0
MAX_TURNS = 150
THINK_S = 2.0
WORDS = {"yes": "yes", "no": "no", "unknown": "I don't know"}
FAMILY = re.compile(r"mother|father|parent|typing|wife|husband|daughter|son\b", re.IGNORECASE)
P95_LIMIT_MS = 1000.0


def load_vignettes() -> list[dict[str, Any]]:
    """The public vignettes."""
    vignettes: list[dict[str, Any]] = yaml.safe_load(VIGNETTES.read_text())["vignettes"]
    return vignettes


def plain(value: Any) -> str:
    """A coded value said plainly ("elbows and knees", "I don't know")."""
    if isinstance(value, list):
        return " and ".join(str(v).replace("_", " ") for v in value)
    return WORDS.get(str(value), str(value).replace("_", " "))


def who(vignette: dict[str, Any]) -> str:
    """The answer to "who is answering?" for a vignette."""
    if vignette["role"] == "clinician":
        return "I'm a resident, asking about a patient of mine"
    return (
        "I'm answering for them, I'm family"
        if FAMILY.search(vignette["summary"])
        else ("I'm the patient")
    )


def answer(vignette: dict[str, Any], slot: str, attempt: int) -> str:
    """What the person says when ``slot`` is asked for the ``attempt``-th time (from 0)."""
    if slot == "consent":
        return "yes, I agree"
    if slot == "respondent":
        return who(vignette)
    if slot == "summary_confirmed":
        return "yes, that's all correct"
    given = vignette["answers"].get(slot)
    if given is None:  # Calx's own follow-ups, not in the vignettes
        return "I'm not sure"
    return [str(given["say"]), plain(given["value"]), "I don't know"][min(attempt, 2)]


# -- the client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a running Calx answers, and its tokens."""

    rasa: str
    web: str
    rasa_token: str
    api_token: str


@dataclass
class Stats:
    """What the clients saw (shared by all of them in one run)."""

    turns_ms: list[float] = field(default_factory=list)
    turn_at: list[float] = field(default_factory=list)
    errors: int = 0  # answers that were not a normal reply (503, 5xx, no answer)
    try_again: int = 0  # 503s and "please try again" texts
    unclear: int = 0  # 5xx other than 503, or a 503 without a text
    hangs: int = 0  # no answer within HANG_S
    resent: int = 0  # messages sent again because they were not taken in
    taken_anyway: int = 0  # messages not answered that the tracker shows were taken in
    no_answer: Counter[str] = field(default_factory=Counter)  # connection errors, by type

    def turn(self, ms: float) -> None:
        """Record one answered message."""
        self.turns_ms.append(ms)
        self.turn_at.append(time.monotonic())


class InterviewFailed(RuntimeError):
    """The client could not go on (Calx unreachable for longer than ``GIVE_UP_S``)."""


class Client:
    """One simulated person's HTTP calls, through the contract only."""

    def __init__(self, target: Target, http: httpx.AsyncClient, stats: Stats) -> None:
        self.target, self.http, self.stats = target, http, stats

    async def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET with retries while Calx answers 5xx or not at all."""
        deadline = time.monotonic() + GIVE_UP_S
        while True:
            with contextlib.suppress(httpx.TransportError):
                response = await self.http.get(url, timeout=REQUEST_TIMEOUT_S, **kwargs)
                if response.status_code < 500:
                    return response
            if time.monotonic() > deadline:
                raise InterviewFailed(f"GET {url.split('?')[0]} kept failing")
            await asyncio.sleep(1.0)

    async def tracker(self, sender: str, events: str = "NONE") -> dict[str, Any]:
        """The tracker (``events``: NONE for the slots only, ALL for every event)."""
        response = await self._get(
            f"{self.target.rasa}/conversations/{sender}/tracker",
            params={"token": self.target.rasa_token, "include_events": events},
        )
        response.raise_for_status()
        tracker: dict[str, Any] = response.json()
        return tracker

    async def summary(self, sender: str) -> dict[str, Any] | None:
        """The stored summary (None: 404)."""
        response = await self._get(
            f"{self.target.web}/api/conversations/{sender}/summary",
            headers={"Authorization": f"Bearer {self.target.api_token}"},
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        summary: dict[str, Any] = response.json()
        return summary

    async def _taken_in(self, sender: str, message_id: str) -> bool:
        tracker = await self.tracker(sender, "ALL")
        return any(
            e.get("event") == "user" and e.get("message_id") == message_id
            for e in tracker.get("events") or []
        )

    async def say(self, sender: str, text: str) -> None:
        """Send one message until it is taken in (once), recording what happened."""
        message_id = uuid.uuid4().hex
        deadline = time.monotonic() + GIVE_UP_S
        body = {"sender": sender, "message": text, "message_id": message_id}
        while True:
            started = time.monotonic()
            try:
                response = await self.http.post(
                    f"{self.target.rasa}/webhooks/rest/webhook",
                    json=body,
                    # a machine client, as the evaluation tools: a clinician needs the token
                    headers={"Authorization": f"Bearer {self.target.api_token}"},
                    timeout=REQUEST_TIMEOUT_S,
                )
            except httpx.TransportError as error:
                response = None
                self.stats.no_answer[type(error).__name__] += 1
            elapsed = time.monotonic() - started
            if response is not None and response.status_code == 200:
                self.stats.turn(elapsed * 1000)
                return
            self.stats.errors += 1
            self.stats.hangs += elapsed > HANG_S
            if response is not None and response.status_code == 503 and _says_try_again(response):
                self.stats.try_again += 1
            else:
                self.stats.unclear += response is not None
            await asyncio.sleep(float((response and response.headers.get("Retry-After")) or 2))
            if await self._taken_in(sender, message_id):
                self.stats.taken_anyway += 1
                return
            if time.monotonic() > deadline:
                raise InterviewFailed("a message could not be delivered")
            self.stats.resent += 1


def _says_try_again(response: httpx.Response) -> bool:
    with contextlib.suppress(ValueError):
        body = response.json()
        texts = [m.get("text", "") for m in body] if isinstance(body, list) else [str(body)]
        return any("again" in t.lower() for t in texts)  # "please send it again"
    return False


# -- one interview ------------------------------------------------------------------------------


@dataclass
class Interview:
    """One simulated interview and what became of it."""

    vignette: dict[str, Any]
    sender: str
    said: dict[str, list[str]] = field(default_factory=dict)  # slot -> texts, in order
    completed: bool = False
    failure: str | None = None
    summary: dict[str, Any] | None = None
    lost: list[str] = field(default_factory=list)  # asked findings missing from the summary
    mismatched: list[str] = field(default_factory=list)  # stored but not as the dialogue has it
    user_events: int = 0
    messages: int = 0
    duplicated: int = 0  # messages taken in more than once

    @property
    def answers(self) -> int:
        """Findings answered."""
        return sum(1 for slot in self.said if slot in self.vignette["answers"])


async def run_interview(
    client: Client, vignette: dict[str, Any], *, think: Callable[[], float], label: str = "load"
) -> Interview:
    """Go through one interview, then compare the stored summary with the dialogue."""
    interview = Interview(vignette, f"{label}-{vignette['id']}-{uuid.uuid4().hex[:12]}")
    text, last, same = "hello", None, 0
    try:
        for _ in range(MAX_TURNS):
            await client.say(interview.sender, text)
            interview.messages += 1
            slot = (await client.tracker(interview.sender))["slots"].get("requested_slot")
            if slot is None:
                break
            same = same + 1 if slot == last else 0
            last = slot
            if same > 2:
                interview.failure = f"{slot} asked {same + 1} times"
                break
            text = answer(vignette, slot, same)
            interview.said.setdefault(slot, []).append(text)
            await asyncio.sleep(think())
        await check(client, interview)
    except InterviewFailed as error:
        interview.failure = str(error)
    return interview


def _same(stored: Any, expected: Any) -> bool:
    if isinstance(stored, list) or isinstance(expected, list):
        return sorted(stored or []) == sorted(expected or [])
    return stored == expected


async def check(client: Client, interview: Interview) -> None:
    """Compare the stored summary with the tracker and with what was said."""
    tracker = await client.tracker(interview.sender, "ALL")
    slots = tracker.get("slots") or {}
    ids = [e.get("message_id") for e in tracker.get("events") or [] if e.get("event") == "user"]
    interview.user_events = len(ids)
    interview.duplicated = len(ids) - len(set(ids))
    summary = await client.summary(interview.sender)
    interview.summary = summary
    interview.completed = bool(summary) and summary.get("status") in ("complete", "reviewed")
    stored = (summary or {}).get("answers") or {}
    texts = {t for said in interview.said.values() for t in said}
    for code in interview.said:
        if code not in interview.vignette["answers"]:
            continue  # consent, respondent, read-back
        if code not in stored:
            interview.lost.append(code)
        elif stored[code].get("words") not in texts or not _same(
            stored[code].get("value"), slots.get(code)
        ):
            interview.mismatched.append(code)


# -- running Calx -------------------------------------------------------------------------------


def free_port(span: int = 0) -> int:
    """A free port ``p`` with ``p + 101 .. p + span`` free as well (for cluster replicas).

    Chosen below Linux's ephemeral range (32768..): a probe of a port nobody listens on
    yet can otherwise be given that very port as its own source and talk to itself.
    """
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randrange(20000, 32000 - 100 - span)
        if _free(port) and all(_free(port + 100 + i) for i in range(1, span + 1)):
            return port
    raise RuntimeError("no free port")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Stack:
    """``make run`` (``bot.runner``) or ``make run-cluster`` (``bot.cluster``) on free ports."""

    mode: str  # run | cluster
    database_url: str
    log: Path
    replicas: int = 2
    env_extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        span = max(self.replicas, 2) if self.mode == "cluster" else 0
        self.rasa_port, self.action_port, self.web_port = (free_port(span) for _ in range(3))
        self.target = Target(
            f"http://127.0.0.1:{self.rasa_port}",
            f"http://127.0.0.1:{self.web_port}",
            secrets.token_hex(16),
            secrets.token_hex(16),
        )

    def env(self) -> dict[str, str]:
        """The environment of the supervisor (random secrets, the ports, the database)."""
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CALX_DATABASE_URL": self.database_url,
            "CALX_RASA_TOKEN": self.target.rasa_token,
            "CALX_API_TOKEN": self.target.api_token,
            "CALX_SECRET_KEY": secrets.token_hex(16),
            "CALX_RASA_PORT": str(self.rasa_port),
            "CALX_ACTION_PORT": str(self.action_port),
            "CALX_WEB_PORT": str(self.web_port),
            "CALX_RASA_URL": self.target.rasa,
            "CALX_WEB_URL": self.target.web,
            "CALX_REPLICAS": str(self.replicas),
            **self.env_extra,
        }

    def start(self, timeout: float = 900.0) -> Stack:
        """Start and wait until the Rasa server(s) and the web app answer."""
        module = "bot.cluster" if self.mode == "cluster" else "bot.runner"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        ready = "Calx is running:"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{module} exited with {self.process.returncode}; see {self.log}"
                )
            if ready in self.log.read_text(errors="replace"):
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"{module} not ready after {timeout:.0f}s; see {self.log}")

    def stop(self) -> int:
        """Ctrl-C, then wait; kill the group if it does not stop within a minute."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)
        return int(self.process.returncode)

    def pids(self) -> dict[str, int]:
        """The cluster's ``name -> pid`` (cluster mode only)."""
        path = ROOT / "var" / "run" / f"cluster-{self.rasa_port}" / "pids"
        lines = path.read_text().split("\n") if path.exists() else []
        return {name: int(pid) for name, pid in (line.split() for line in lines if line.strip())}


@contextlib.contextmanager
def temporary_postgres(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database URL, dropped afterwards."""
    from bot.store.db import Database

    url = f"postgresql://postgres@127.0.0.1:5432/{prefix}_{secrets.token_hex(4)}"
    database = Database(url)
    database.create_database_if_missing()
    try:
        yield url
    finally:
        database.drop_database()


# -- the runs -----------------------------------------------------------------------------------


@dataclass
class Report:
    """One run of interviews (or one saturation step)."""

    mode: str
    people: int
    seconds: float
    stats: Stats
    interviews: list[Interview]

    def pct(self, q: float) -> float:
        """The ``q`` quantile of the turn times (ms)."""
        data = sorted(self.stats.turns_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")

    @property
    def rate(self) -> float:
        """Messages answered per second."""
        return len(self.stats.turns_ms) / self.seconds if self.seconds else 0.0

    def count(self, what: str) -> int:
        """Interviews ``completed``, or how many are ``lost``, ``mismatched``, ``duplicated``."""
        if what == "completed":
            return sum(i.completed for i in self.interviews)
        if what == "duplicated":
            return sum(i.duplicated for i in self.interviews)
        return sum(len(getattr(i, what)) for i in self.interviews)


def thinker(rng: random.Random, mean: float) -> Callable[[], float]:
    """Think times around ``mean`` seconds (uniform within +-25 %)."""
    return lambda: rng.uniform(mean * 0.75, mean * 1.25)


def _http(people: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=people * 2 + 10, max_keepalive_connections=people * 2)
    return httpx.AsyncClient(limits=limits)


async def interviews(
    target: Target, count: int, *, mode: str, think_s: float = THINK_S, seed: int = 8
) -> Report:
    """``count`` interviews at once, each a public vignette in turn; the whole report."""
    vignettes, rng, stats = load_vignettes(), random.Random(seed), Stats()
    async with _http(count) as http:
        client = Client(target, http, stats)
        think = thinker(rng, think_s)
        started = time.monotonic()

        async def one(i: int) -> Interview:
            await asyncio.sleep(rng.uniform(0, think_s))  # people do not all start at once
            return await run_interview(client, vignettes[i % len(vignettes)], think=think)

        done = await asyncio.gather(*(one(i) for i in range(count)))
        return Report(mode, count, time.monotonic() - started, stats, list(done))


async def step(
    target: Target, people: int, *, mode: str, seconds: float, think_s: float = THINK_S
) -> Report:
    """``people`` simulated people for ``seconds`` (new interviews as others end)."""
    vignettes, rng, stats = load_vignettes(), random.Random(people), Stats()
    warm_up = min(10.0, seconds / 4)
    async with _http(people) as http:
        client = Client(target, http, stats)
        think = thinker(rng, think_s)

        async def person(i: int) -> None:
            await asyncio.sleep(rng.uniform(0, think_s))
            while True:
                vignette = vignettes[rng.randrange(len(vignettes))]
                await run_interview(client, vignette, think=think, label=f"step{people}-{i}")

        tasks = [asyncio.create_task(person(i)) for i in range(people)]
        started = time.monotonic()
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    window = [
        ms for ms, at in zip(stats.turns_ms, stats.turn_at, strict=True) if at - started >= warm_up
    ]
    measured = Stats(turns_ms=window, errors=stats.errors, hangs=stats.hangs)
    return Report(mode, people, seconds - warm_up, measured, [])


async def saturation(
    target: Target, *, mode: str, seconds: float, start: int = 10, most: int = 640
) -> list[Report]:
    """Double the people at once until p95 passes 1 s (or ``most`` is reached)."""
    steps, people = [], start
    while people <= most:
        report = await step(target, people, mode=mode, seconds=seconds)
        steps.append(report)
        print(
            f"  {mode}: {people:4d} people  {report.rate:6.1f} msg/s  "
            f"p95 {report.pct(0.95):7.0f} ms",
            flush=True,
        )
        if report.pct(0.95) > P95_LIMIT_MS:
            break
        people *= 2
    return steps


# -- tables -------------------------------------------------------------------------------------


def print_load(reports: Sequence[Report]) -> None:
    """The interview runs, one row per mode."""
    header = (
        f"{'mode':8} {'people':>6} {'turns':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'msg/s':>6} {'errors':>6} {'done':>5} {'answers':>7} {'lost':>4} {'mism.':>5} "
        f"{'dup.':>4}"
    )
    print("\nLoad: simulated interviews (REST channel, ~2 s think time)")
    print(header)
    print("-" * len(header))
    for r in reports:
        print(
            f"{r.mode:8} {r.people:>6} {len(r.stats.turns_ms):>6} {r.pct(0.5):>7.0f} "
            f"{r.pct(0.95):>7.0f} {r.pct(0.99):>7.0f} {r.rate:>6.1f} {r.stats.errors:>6} "
            f"{r.count('completed'):>5} {sum(i.answers for i in r.interviews):>7} "
            f"{r.count('lost'):>4} {r.count('mismatched'):>5} {r.count('duplicated'):>4}"
        )
    print(
        "(errors: answers other than a normal reply; done: interviews completed; lost: asked "
        "findings missing from the stored summary; mism.: stored otherwise than the dialogue "
        "has it; dup.: messages taken in twice)"
    )


def print_saturation(results: dict[str, list[Report]]) -> None:
    """The saturation steps and the rate reached per mode."""
    print("\nSaturation: people at once until p95 passes 1 s")
    header = f"{'mode':8} {'people':>6} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for mode, steps in results.items():
        for r in steps:
            print(
                f"{mode:8} {r.people:>6} {r.rate:>7.1f} {r.pct(0.5):>7.0f} {r.pct(0.95):>7.0f} "
                f"{r.stats.errors:>6}"
            )
    for mode, steps in results.items():
        ok = [r for r in steps if r.pct(0.95) <= P95_LIMIT_MS]
        best = max((r.rate for r in ok), default=0.0)
        print(f"{mode}: {best:.1f} messages/s with p95 <= 1 s")


# -- main ---------------------------------------------------------------------------------------


def _machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu})"


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--modes", default="run,cluster")
    parser.add_argument("--think", type=float, default=THINK_S, help="seconds per answer")
    parser.add_argument("--no-saturation", action="store_true")
    parser.add_argument("--step-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    print(f"bench-load {time.strftime('%Y-%m-%d %H:%M')} on {_machine()}", flush=True)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    reports, steps = [], {}
    for mode in modes:
        with contextlib.ExitStack() as stack:
            if mode == "cluster":
                url = stack.enter_context(temporary_postgres("calx_bench"))
            else:  # make run's default: a SQLite file
                path = out / f"bench-{secrets.token_hex(4)}.db"
                url = f"sqlite:///{path}"
                for suffix in ("", "-wal", "-shm"):
                    stack.callback(Path(f"{path}{suffix}").unlink, missing_ok=True)
            calx = Stack(mode, url, out / f"{mode}.log")
            print(f"starting {mode} (log {calx.log})...", flush=True)
            calx.start()
            stack.callback(calx.stop)
            print(f"{mode}: {args.interviews} interviews...", flush=True)
            reports.append(
                asyncio.run(interviews(calx.target, args.interviews, mode=mode, think_s=args.think))
            )
            print_load(reports[-1:])
            if not args.no_saturation:
                steps[mode] = asyncio.run(
                    saturation(calx.target, mode=mode, seconds=args.step_seconds)
                )
    print_load(reports)
    if steps:
        print_saturation(steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
