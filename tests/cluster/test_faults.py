"""Faults under load in the cluster mode: nothing lost, nothing twice, never a hang.

While at least 50 people go through interviews (the public vignettes, as ``make
bench-load`` does), one after the other: kill -9 a Rasa replica, an action server, a web
worker and the event worker; restart PostgreSQL, Redis and RabbitMQ (each is started
again in a ``finally``, whatever happens). Then every interview has completed, every
answer is in its stored summary once, every message that was not answered normally got
a 503 with "please try again" within 10 s, and the event worker has recorded every event
of Rasa's tracker store.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import pytest
from conftest import backing_up
from sqlalchemy import select, text

from bench.load import (
    Client,
    Interview,
    Stack,
    Stats,
    load_vignettes,
    run_interview,
    thinker,
)
from bot.events.record import event_key
from bot.store.db import Database
from bot.store.models import ConversationEvent

pytestmark = pytest.mark.slow

PEOPLE = 50
THINK_S = 4.0
#: Seconds between two faults (the load goes on meanwhile).
BETWEEN_S = 12.0
CATCH_UP_S = 180.0
RESTORE_S = 120.0
PG_CTL = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main"
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


def sh(command: str) -> None:
    """Run a shell command of the machine's service notes (its failure is not ours)."""
    subprocess.run(command, shell=True, capture_output=True, timeout=180, check=False)


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


@contextmanager
def restoring_backing_services() -> Iterator[None]:
    """Whatever happens inside, PostgreSQL, Redis and RabbitMQ run again afterwards."""
    try:
        yield
    finally:
        sh(f"{PG_CTL} start")
        sh(f"redis-cli ping >/dev/null 2>&1 || {REDIS_START}")
        sh("rabbitmqctl status >/dev/null 2>&1 || rabbitmq-server -detached")
        assert wait_until(backing_up, RESTORE_S), "a backing service did not come back"


def restart_postgres() -> None:
    try:
        sh(f"{PG_CTL} restart")
    finally:
        sh(f"{PG_CTL} start")


def restart_redis() -> None:
    try:
        sh("redis-cli shutdown nosave")
        time.sleep(3)
    finally:
        sh(REDIS_START)


def restart_rabbitmq() -> None:
    try:
        sh("rabbitmqctl stop")
        time.sleep(3)
    finally:
        sh("rabbitmq-server -detached")
        wait_until(backing_up, RESTORE_S)


@dataclass
class Faults:
    """The fault schedule and what it did."""

    cluster: Stack
    done: list[str] = field(default_factory=list)
    restarted: dict[str, tuple[int, int]] = field(default_factory=dict)

    def kill(self, name: str) -> None:
        pid = self.cluster.pids()[name]
        os.kill(pid, signal.SIGKILL)
        self.done.append(f"kill -9 {name}")
        # the supervisor starts it again
        assert wait_until(lambda: self.cluster.pids().get(name, pid) != pid, 60), name
        self.restarted[name] = (pid, self.cluster.pids()[name])

    def run(self) -> None:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("rasa-1", lambda: self.kill("rasa-1")),
            ("actions-1", lambda: self.kill("actions-1")),
            ("web-1", lambda: self.kill("web-1")),
            ("events", lambda: self.kill("events")),
            ("PostgreSQL", restart_postgres),
            ("Redis", restart_redis),
            ("RabbitMQ", restart_rabbitmq),
        ]
        for name, fault in steps:
            time.sleep(BETWEEN_S)
            fault()
            if not name[0].islower():
                self.done.append(f"restart {name}")


async def load_during(cluster: Stack, faults: Faults) -> tuple[list[Interview], Stats]:
    """PEOPLE people doing interviews back to back until the faults are over."""
    vignettes, rng, stats = load_vignettes(), random.Random(8), Stats()
    think = thinker(rng, THINK_S)
    finished: list[Interview] = []
    import httpx

    limits = httpx.Limits(max_connections=PEOPLE * 3, max_keepalive_connections=PEOPLE * 2)
    async with httpx.AsyncClient(limits=limits) as http:
        client = Client(cluster.target, http, stats)
        schedule = asyncio.create_task(asyncio.to_thread(faults.run))

        async def person(i: int) -> None:
            await asyncio.sleep(rng.uniform(0, THINK_S))
            n = 0
            while not schedule.done() or n == 0:
                vignette = vignettes[(i + n * PEOPLE) % len(vignettes)]
                finished.append(await run_interview(client, vignette, think=think, label=f"f{i}"))
                n += 1

        people = asyncio.gather(*(person(i) for i in range(PEOPLE)))
        await schedule  # a failed fault fails the test (after the people finish)
        await people
    return finished, stats


def _tracker_keys(database: Database, senders: set[str]) -> set[str]:
    import json

    keys = set()
    with database.session() as session:
        rows = session.execute(text("SELECT sender_id, data FROM events")).all()
    for sender, data in rows:
        if sender in senders:
            keys.add(event_key(sender, json.loads(data)))
    return keys


def _recorded_keys(database: Database, senders: set[str]) -> dict[str, str]:
    with database.session() as session:
        rows = session.execute(
            select(
                ConversationEvent.event_key,
                ConversationEvent.source,
                ConversationEvent.conversation_id,
            )
        ).all()
    return {key: source for key, source, sender in rows if sender in senders}


def test_faults_under_load_lose_nothing(cluster: Stack) -> None:
    faults = Faults(cluster)
    with restoring_backing_services():
        interviews, stats = asyncio.run(load_during(cluster, faults))
    senders = {i.sender for i in interviews}
    database = Database(cluster.database_url)
    try:
        expected = _tracker_keys(database, senders)
        recorded: dict[str, str] = {}

        def caught_up() -> bool:
            recorded.update(_recorded_keys(database, senders))
            return expected <= set(recorded)

        wait_until(caught_up, CATCH_UP_S)
    finally:
        database.dispose()
    answers = sum(i.answers for i in interviews)
    lost = sum(len(i.lost) for i in interviews)
    mismatched = sum(len(i.mismatched) for i in interviews)
    duplicated = sum(i.duplicated for i in interviews)
    failed = [(i.sender, i.failure) for i in interviews if i.failure or not i.completed]
    via = {source: list(recorded.values()).count(source) for source in ("broker", "sweep")}
    print(
        f"\nfaults: {', '.join(faults.done)}"
        f"\ninterviews {len(interviews)}, answers {answers}, lost {lost}, duplicated {duplicated}, "
        f"mismatched {mismatched}, not completed {len(failed)}"
        f"\nmessages answered {len(stats.turns_ms)}, 503 'please try again' {stats.try_again}, "
        f"other errors {stats.unclear}, no answer {dict(stats.no_answer)}, "
        f"longer than 10 s {stats.hangs}, sent again {stats.resent}, taken in anyway {stats.taken_anyway}"
        f"\nevents in Rasa's store {len(expected)}, recorded by the worker "
        f"{len(expected & set(recorded))} (broker {via['broker']}, sweep {via['sweep']})"
    )
    assert len(faults.done) == 7, faults.done
    assert len(interviews) >= PEOPLE
    assert not failed, failed[:5]
    wrong = [
        (i.sender, {code: i.said[code] for code in i.lost + i.mismatched}, i.summary)
        for i in interviews
        if i.lost or i.mismatched
    ]
    assert (lost, duplicated, mismatched) == (0, 0, 0), wrong[:3]
    assert stats.unclear == 0, "every failed message must get a 503 with 'please try again'"
    assert not stats.no_answer, "every message must get an answer"
    assert stats.hangs == 0, "a message waited more than 10 s"
    assert expected <= set(recorded), f"{len(expected - set(recorded))} events not recorded"
    with suppress(KeyError):
        assert all(old != new for old, new in faults.restarted.values())
