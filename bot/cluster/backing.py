"""The backing services of the cluster mode: PostgreSQL, Redis, RabbitMQ.

:func:`wait_for_services` checks each one by its own protocol (a query, a ``PING``,
the AMQP greeting) and, while one is down, says so in one line with how to start it,
never with a stack trace.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from bot.store.db import Database

#: AMQP 0-9-1 protocol header; a broker answers with a Connection.Start method frame.
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
AMQP_METHOD_FRAME = 1
CONNECT_TIMEOUT_S = 3.0
#: Seconds between two "still waiting" lines for the same service.
REPEAT_S = 30.0


@dataclass(frozen=True)
class Backing:
    """One service the cluster needs: how to check it and how a person starts it."""

    name: str
    where: str
    check: Callable[[], bool]
    hint: str


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def redis_answers(url: str) -> bool:
    """Whether Redis at ``url`` answers ``PING``."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def amqp_answers(url: str) -> bool:
    """Whether an AMQP broker at ``url`` greets a client (the ``Connection.Start`` frame)."""
    host, port = _host_port(url, 5672)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as sock:
            sock.sendall(AMQP_HEADER)
            return sock.recv(1)[:1] == bytes([AMQP_METHOD_FRAME])
    except OSError:
        return False


def postgres_answers(url: str) -> bool:
    """Whether the database server answers; the database itself is created if missing."""
    database = Database(url)
    try:
        database.create_database_if_missing()
        return database.ping()
    except Exception:  # any failure means "not there yet"
        return False
    finally:
        database.dispose()


def backing_services(database_url: str, redis_url: str, amqp_url: str) -> list[Backing]:
    """PostgreSQL, Redis and RabbitMQ at these URLs (passwords never shown)."""
    db_url = make_url(database_url)
    redis_host, redis_port = _host_port(redis_url, 6379)
    amqp_host, amqp_port = _host_port(amqp_url, 5672)
    return [
        Backing(
            "PostgreSQL",
            f"{db_url.host or 'localhost'}:{db_url.port or 5432}/{db_url.database}",
            lambda: postgres_answers(database_url),
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
        ),
        Backing(
            "Redis",
            f"{redis_host}:{redis_port}",
            lambda: redis_answers(redis_url),
            "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
        ),
        Backing(
            "RabbitMQ",
            f"{amqp_host}:{amqp_port}",
            lambda: amqp_answers(amqp_url),
            "rabbitmq-server -detached",
        ),
    ]


def wait_for_services(
    services: list[Backing],
    *,
    timeout: float | None = None,
    interval: float = 1.0,
    say: Callable[[str], None] = print,
) -> bool:
    """Wait until every service answers; False if ``timeout`` seconds pass first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    told: dict[str, float] = {}
    for service in services:
        while not service.check():
            now = time.monotonic()
            if now - told.get(service.name, -REPEAT_S) >= REPEAT_S:
                say(
                    f"waiting for {service.name} at {service.where} "
                    f"(is it running? start it with: {service.hint})"
                )
                told[service.name] = now
            if deadline is not None and now >= deadline:
                return False
            time.sleep(interval)
        if service.name in told:
            say(f"{service.name} at {service.where} answers")
    return True
