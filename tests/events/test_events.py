"""The event worker on the real RabbitMQ and databases, fed by Rasa's own broker and store.

Rasa's ``PikaEventBroker`` and ``SQLTrackerStore`` save real trackers; the worker
(``bot.events.worker.Worker``) records each event once, whether it came through the
broker, was delivered again, waited in the queue while the worker was away, was handed
back while the database was down, or only exists in Rasa's table (the sweep).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.cluster.backing import amqp_answers
from bot.events.record import EventRow, counts, event_key, record, sweep, to_row
from bot.events.worker import Worker
from bot.store.db import Database
from bot.store.models import Conversation, ConversationEvent, EventCheckpoint
from bot.store.testing import temporary_database

AMQP_URL = os.environ.get("CALX_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
WAIT_S = 60.0

needs_rabbitmq = pytest.mark.skipif(
    not amqp_answers(AMQP_URL) and os.environ.get("CI") != "true",
    reason="RabbitMQ is not running on 127.0.0.1:5672",
)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with temporary_database(request.param, directory=tmp_path) as database:
        yield database


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue on an exchange of its own (never Rasa's: a running cluster's events stay
    out of the test, and the test's out of the cluster), both deleted afterwards."""
    name = f"calx_events_test_{uuid.uuid4().hex[:10]}"
    yield name
    asyncio.run(_delete(name))


def _exchange(queue: str) -> str:
    return f"{queue}_exchange"


def _events(sender: str, n_users: int, *, age_s: float = 0.0) -> list[Any]:
    """Real Rasa events of a short conversation (user, action, bot, slot), ``age_s`` old."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    start = time.time() - age_s - n_users  # never in the future
    events: list[Any] = []
    for i in range(n_users):
        at = start + i
        parse = {"intent": {"name": "inform", "confidence": 0.9}, "entities": []}
        events += [
            UserUttered(f"secret words {i}", parse_data=parse, timestamp=at),
            ActionExecuted("interview_form", timestamp=at + 0.1),
            SlotSet("requested_slot", "age", timestamp=at + 0.2),
            BotUttered(f"question {i}", timestamp=at + 0.3),
        ]
    return events


def _rasa_store(db: Database, broker: Any = None) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    url = make_url(db.url)
    if url.get_backend_name() == "sqlite":
        return SQLTrackerStore(
            Domain.empty(), dialect="sqlite", db=url.database, event_broker=broker
        )
    return SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        event_broker=broker,
    )


async def _save_through_rasa(db: Database, queue: str, trackers: dict[str, list[Any]]) -> None:
    """Save trackers with Rasa's SQL store and its pika broker (events go to both)."""
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.shared.core.trackers import DialogueStateTracker

    broker = PikaEventBroker(
        AMQP_URL.rstrip("/"),
        username="guest",
        password="guest",
        queues=[queue],
        exchange_name=_exchange(queue),
    )
    await broker.connect()
    store = _rasa_store(db, broker)
    for sender, events in trackers.items():
        await store.save(DialogueStateTracker.from_events(sender, events))
    while broker._background_tasks:  # publishing is fire-and-forget
        await asyncio.sleep(0.05)
    await broker.close()


async def _publish_raw(queue: str, bodies: list[bytes]) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(_exchange(queue), aio_pika.ExchangeType.FANOUT)
        declared = await channel.declare_queue(queue, durable=True)
        await declared.bind(exchange, "")
        for body in bodies:
            await exchange.publish(aio_pika.Message(body), "")


async def _delete(queue: str) -> None:
    import aio_pika

    with suppress(Exception):  # RabbitMQ is not running: there is nothing to delete
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(_exchange(queue))


def _worker(db: Database, queue: str) -> Worker:
    return Worker(db.url, AMQP_URL, queue=queue, exchange=_exchange(queue), sweep_every=None)


def _recorded(db: Database, senders: list[str] | None = None) -> int:
    with db.session() as s:
        query = select(func.count()).select_from(ConversationEvent)
        if senders is not None:
            query = query.where(ConversationEvent.conversation_id.in_(senders))
        return int(s.execute(query).scalar() or 0)


async def _run_until(worker: Worker, done: Any, timeout: float = WAIT_S) -> None:
    """Run the worker until ``done()`` is true (or ``timeout`` passes), then stop it."""
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(done) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    worker.stop()
    await task


# -- identity and recording -----------------------------------------------------------------


def test_identity_is_the_same_from_the_broker_and_from_rasas_table() -> None:
    event = _events("a", 1)[0].as_dict()
    published = {"sender_id": "a", **event}
    stored = json.loads(json.dumps(event))
    assert event_key("a", published) == event_key("a", stored)
    assert event_key("a", stored) != event_key("b", stored)


@pytest.mark.parametrize(
    ("sender", "event"),
    [
        (None, {"event": "user", "timestamp": 1.0}),
        ("", {"event": "user", "timestamp": 1.0}),
        ("x" * 256, {"event": "user", "timestamp": 1.0}),
        ("a", {"event": "user"}),
        ("a", {"timestamp": 1.0}),
        ("a", {"event": 3, "timestamp": 1.0}),
    ],
)
def test_what_is_not_an_event_of_a_conversation_is_ignored(sender: Any, event: Any) -> None:
    assert to_row(sender, event) is None


def test_a_row_keeps_no_text() -> None:
    user, action, slot, bot = (to_row("a", e.as_dict()) for e in _events("a", 1))
    assert (user.type, user.name) == ("user", "inform")
    assert (action.type, action.name) == ("action", "interview_form")
    assert (slot.type, slot.name) == ("slot", "requested_slot")
    assert (bot.type, bot.name) == ("bot", None)
    assert "secret" not in repr([user, action, slot, bot])


def test_recording_twice_records_once_and_moves_last_activity(db: Database) -> None:
    sender = f"rec-{uuid.uuid4().hex}"
    rows = [to_row(sender, e.as_dict()) for e in _events(sender, 3)]
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with db.session() as s:
        s.add(
            Conversation(id=sender, status="in_progress", created_at=long_ago, updated_at=long_ago)
        )
    with db.session() as s:
        assert record(s, [r for r in rows if r is not None], "broker") == 12
    with db.session() as s:
        assert record(s, [r for r in rows if r is not None], "broker") == 0
        assert counts(s, sender) == {"user": 3, "action": 3, "slot": 3, "bot": 3}
        updated = s.get(Conversation, sender).updated_at
    assert updated == max(r.at for r in rows if isinstance(r, EventRow))
    older = to_row(sender, _events(sender, 1, age_s=600)[0].as_dict())
    with db.session() as s:
        assert record(s, [older], "broker") == 1  # an old event, delivered late
        assert s.get(Conversation, sender).updated_at == updated  # never moves back


# -- the sweep ------------------------------------------------------------------------------


def test_sweep_records_what_only_rasas_table_has_once(db: Database) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    old, recent = f"old-{uuid.uuid4().hex}", f"new-{uuid.uuid4().hex}"
    store = _rasa_store(db)
    asyncio.run(store.save(DialogueStateTracker.from_events(old, _events(old, 2, age_s=120))))
    asyncio.run(store.save(DialogueStateTracker.from_events(recent, _events(recent, 2))))
    with db.session() as s:
        assert sweep(s, lag_s=30) == 8  # the recent conversation is left to the broker
    with db.session() as s:
        assert sweep(s, lag_s=30) == 0
        assert s.get(EventCheckpoint, "rasa_events").position > 0
        assert counts(s, recent) == {}
    with db.session() as s:
        assert sweep(s, lag_s=0) == 8
    assert _recorded(db, [old, recent]) == 16


def test_sweep_without_rasas_table_does_nothing(db: Database) -> None:
    with db.session() as s:
        assert sweep(s, lag_s=0) == 0


# -- the worker on RabbitMQ -----------------------------------------------------------------


@needs_rabbitmq
def test_worker_records_rasas_events_once_and_the_sweep_finds_nothing_more(
    db: Database, queue: str
) -> None:
    senders = [f"w-{uuid.uuid4().hex}" for _ in range(5)]
    trackers = {s: _events(s, 4) for s in senders}

    async def scenario() -> None:
        await _save_through_rasa(db, queue, trackers)  # the worker is not running yet
        worker = _worker(db, queue)
        await _run_until(worker, lambda: _recorded(db, senders) >= 80)
        assert worker.stats["new"] == 80

    asyncio.run(scenario())
    assert _recorded(db, senders) == 80
    with db.session() as s:
        assert sweep(s, lag_s=0) == 0  # the broker delivered every event of Rasa's table


@needs_rabbitmq
def test_redelivered_and_junk_messages_change_nothing(db: Database, queue: str) -> None:
    sender = f"dup-{uuid.uuid4().hex}"
    bodies = [json.dumps({"sender_id": sender, **e.as_dict()}).encode() for e in _events(sender, 2)]

    async def scenario() -> None:
        await _publish_raw(queue, bodies + bodies + [b"not json", b'{"event": "user"}'])
        worker = _worker(db, queue)
        await _run_until(
            worker, lambda: worker.stats["ignored"] >= 2 and _recorded(db, [sender]) >= 8
        )
        assert (worker.stats["new"], worker.stats["seen again"], worker.stats["ignored"]) == (
            8,
            8,
            2,
        )

    asyncio.run(scenario())
    assert _recorded(db, [sender]) == 8


@needs_rabbitmq
def test_a_batch_the_database_refused_is_delivered_again(
    db: Database, queue: str, tmp_path: Path
) -> None:
    sender = f"down-{uuid.uuid4().hex}"
    bodies = [json.dumps({"sender_id": sender, **e.as_dict()}).encode() for e in _events(sender, 3)]

    async def scenario() -> None:
        await _publish_raw(queue, bodies)
        # a database without Calx's tables: every batch fails and goes back to the queue
        broken = _worker(Database(f"sqlite:///{tmp_path / 'empty.db'}"), queue)
        await _run_until(broken, lambda: False, timeout=3)
        assert broken.stats["new"] == 0
        worker = _worker(db, queue)
        await _run_until(worker, lambda: _recorded(db, [sender]) >= 12)

    asyncio.run(scenario())
    assert _recorded(db, [sender]) == 12


def _close_connection(name: str) -> bool:
    """Close a client's connection from the broker's side, as a RabbitMQ restart does."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for line in listed.stdout.splitlines():
        if f'"{name}"' in line:
            closed = subprocess.run(
                ["rabbitmqctl", "-q", "close_connection", line.split("\t")[0], "test"],
                capture_output=True,
                timeout=60,
                check=False,
            )
            return closed.returncode == 0
    return False


@needs_rabbitmq
@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")
def test_the_worker_reconnects_after_losing_rabbitmq(db: Database, queue: str) -> None:
    senders = [f"re-{uuid.uuid4().hex}" for _ in range(2)]

    async def scenario() -> None:
        worker = _worker(db, queue)
        task = asyncio.create_task(worker.run())
        await _save_through_rasa(db, queue, {senders[0]: _events(senders[0], 2)})
        while _recorded(db, senders[:1]) < 8:
            await asyncio.sleep(0.2)
        assert await asyncio.to_thread(_close_connection, worker.connection_name)
        while not worker.stats["reconnections"]:
            await asyncio.sleep(0.2)
        await _save_through_rasa(db, queue, {senders[1]: _events(senders[1], 3)})
        deadline = time.monotonic() + WAIT_S
        while _recorded(db, senders) < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        worker.stop()
        await task

    asyncio.run(scenario())
    assert _recorded(db, senders) == 20
