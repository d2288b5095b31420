"""The event worker: Rasa's events from RabbitMQ into ``conversation_events``.

Rasa's ``pika`` event broker publishes every event of every replica, persistent, to the
fanout exchange ``rasa-exchange`` and the durable queue :data:`QUEUE`. The worker reads
them with manual acknowledgements, in batches, and acknowledges a batch only once it is
committed: a worker killed in between gets the batch again and records nothing twice
(:func:`bot.events.record.record`). Events published while the worker was away wait in
the durable queue. Events the broker lost (RabbitMQ down while a replica died) are found
by a periodic sweep of Rasa's own ``events`` table. A lost connection (RabbitMQ
restarted) is made again, and everything set up again, by the worker itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.events.record import EventRow, record, sweep, to_row
from bot.store.db import Database

log = logging.getLogger("bot.events")

#: The fanout exchange Rasa's pika broker declares (non-durable, as Rasa declares it).
EXCHANGE = "rasa-exchange"
#: The durable queue named in the cluster's ``endpoints.yml`` (``queues: [calx_events]``).
QUEUE = "calx_events"
BATCH = 200
BATCH_WAIT_S = 0.2
SWEEP_EVERY_S = 30.0
RETRY_S = 1.0
REPORT_EVERY_S = 60.0
HEARTBEAT_S = 5.0
SETTLE_S = 5.0


@dataclass
class Worker:
    """Consumes :data:`QUEUE` into the database at ``database_url``."""

    database_url: str
    amqp_url: str
    queue: str = QUEUE
    exchange: str = EXCHANGE
    sweep_every: float | None = SWEEP_EVERY_S
    batch: int = BATCH
    #: A file touched every few seconds while the worker is connected (liveness probe).
    heartbeat: Path | None = None
    stats: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.database = Database(self.database_url)
        self._pending: asyncio.Queue[Any] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._closing = asyncio.Event()  # no more deliveries: drain what came, then end
        self.connected = False
        self.connection_name = f"calx-events-{os.getpid()}-{id(self):x}"

    def stop(self) -> None:
        """Finish the current batch and stop."""
        self._stop.set()

    # -- writing ----------------------------------------------------------------------

    def _write(self, rows: list[EventRow]) -> int:
        with self.database.session() as session:
            return record(session, rows, "broker")

    def _sweep(self) -> int:
        with self.database.session() as session:
            return sweep(session)

    async def _flush(self, messages: list[Any]) -> None:
        """Record a batch, then acknowledge it; on a database error, hand it back to RabbitMQ."""
        rows: list[EventRow] = []
        for message in messages:
            try:
                body = json.loads(message.body)
            except ValueError:
                body = None
            row = to_row(body.get("sender_id"), body) if isinstance(body, dict) else None
            if row is None:
                self.stats["ignored"] += 1
            else:
                rows.append(row)
        try:
            new = await asyncio.to_thread(self._write, rows)
        except Exception as error:  # database away: RabbitMQ keeps the batch for later
            log.warning(
                "database unavailable (%s): batch returned to the queue", type(error).__name__
            )
            self.database.dispose()
            await self._settle(messages, ack=False)
            if not self._closing.is_set():
                await asyncio.sleep(RETRY_S)
            return
        self.stats["new"] += new
        self.stats["seen again"] += len(rows) - new
        await self._settle(messages, ack=True)

    async def _settle(self, messages: list[Any], *, ack: bool) -> None:
        """Acknowledge messages (or hand them back); once the connection is gone, stop.

        An ``ack`` or ``nack`` on a channel that has closed can wait for ever in aiormq;
        RabbitMQ delivers every unacknowledged message again on the next connection.
        """
        for message in messages:
            if not self.connected:
                return
            reply = message.ack() if ack else message.nack(requeue=True)
            with contextlib.suppress(Exception):  # the channel closed: it will be redelivered
                await asyncio.wait_for(reply, SETTLE_S)

    async def _drain(self) -> None:
        while not (self._closing.is_set() and self._pending.empty()):
            try:
                first = await asyncio.wait_for(self._pending.get(), timeout=0.5)
            except asyncio.TimeoutError:
                continue
            messages = [first]
            await asyncio.sleep(BATCH_WAIT_S)
            while not self._pending.empty() and len(messages) < self.batch:
                messages.append(self._pending.get_nowait())
            await self._flush(messages)

    async def _sweeper(self) -> None:
        while self.sweep_every is not None and not self._stop.is_set():
            try:
                swept = await asyncio.to_thread(self._sweep)
            except Exception as error:  # database away: next time
                log.warning("sweep skipped: database unavailable (%s)", type(error).__name__)
                self.database.dispose()
            else:
                self.stats["swept"] += swept
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.sweep_every)

    async def _reporter(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), HEARTBEAT_S)
            if self.heartbeat is not None and self.connected:
                self.heartbeat.touch()
            if time.monotonic() - last >= REPORT_EVERY_S:
                log.info("events: %s", dict(self.stats) or "none yet")
                last = time.monotonic()

    # -- reading ----------------------------------------------------------------------

    async def _connect(self) -> Any:
        """A connection to RabbitMQ, waiting (one line, no stack trace) while it is down."""
        import aio_pika

        told = False
        while not self._stop.is_set():
            try:
                return await aio_pika.connect(self._named_url())
            except Exception as error:  # broker not there (yet, or again)
                if not told:
                    log.warning(
                        "waiting for RabbitMQ (%s): is it running? (rabbitmq-server -detached)",
                        type(error).__name__,
                    )
                    told = True
                await asyncio.sleep(RETRY_S)
        return None

    def _named_url(self) -> str:
        """The broker URL with this worker's connection name (shown by ``rabbitmqctl``)."""
        parts = urlsplit(self.amqp_url)
        query = urlencode([*parse_qsl(parts.query), ("name", self.connection_name)])
        return urlunsplit(parts._replace(query=query))

    async def _consume(self, connection: Any) -> None:
        """Consume on ``connection`` until :meth:`stop` or until the connection is lost."""
        import aio_pika

        lost = asyncio.Event()
        connection.close_callbacks.add(lambda *_: lost.set())
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.batch * 2)
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(self.queue, durable=True)
        await queue.bind(exchange, "")
        tag = await queue.consume(self._pending.put, no_ack=False)
        self.connected = True
        log.info("event worker consuming %r", self.queue)
        try:
            while not (self._stop.is_set() or lost.is_set()) and connection.connected.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), RETRY_S)
        finally:
            self.connected = False
        if not self._stop.is_set():
            # unacknowledged messages come again on the next connection (recorded once)
            log.warning("lost the connection to RabbitMQ: reconnecting")
            self.stats["reconnections"] += 1
        else:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)

    async def run(self) -> None:
        """Consume until :meth:`stop`, reconnecting after an outage; flush before returning."""
        jobs = (self._drain(), self._sweeper(), self._reporter())
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            while not self._stop.is_set():
                connection = await self._connect()
                if connection is None:
                    break
                try:
                    await self._consume(connection)
                except Exception as error:  # the broker went away while setting up
                    log.warning("RabbitMQ set-up failed (%s): retrying", type(error).__name__)
                    await asyncio.sleep(RETRY_S)
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
        finally:
            self._stop.set()
            self._closing.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.database.dispose()
            log.info("event worker stopped: %s", dict(self.stats))


def run_worker(worker: Worker) -> None:
    """Run ``worker`` until SIGINT or SIGTERM."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()

    asyncio.run(main())
