"""The cluster mode for the load and fault tests (marker ``slow``: ``make test-slow``).

They start ``python -m bot.cluster`` on free ports with a fresh PostgreSQL database and
are skipped unless ``-m slow`` is given, so ``make test`` stays quick.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import Stack, temporary_postgres
from bot.cluster.backing import amqp_answers, postgres_answers, redis_answers
from bot.settings import Settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load and fault tests: make test-slow (pytest -m slow)")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


def _group_alive(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def backing_up() -> bool:
    """Whether PostgreSQL, Redis and RabbitMQ all answer."""
    settings = Settings()
    return (
        postgres_answers("postgresql://postgres@127.0.0.1:5432/postgres")
        and redis_answers(settings.redis_url)
        and amqp_answers(settings.amqp_url)
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``make run-cluster`` on free ports and its own database; Ctrl-C at the end."""
    assert backing_up(), "PostgreSQL, Redis and RabbitMQ must run (see the env notes)"
    log = tmp_path_factory.mktemp("cluster") / "cluster.log"
    with temporary_postgres("calx_cluster_test") as url:
        stack = Stack("cluster", url, log).start()
        try:
            yield stack
        finally:
            code = stack.stop()
            assert stack.process is not None
            deadline = time.monotonic() + 30
            while _group_alive(stack.process.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert not _group_alive(stack.process.pid), f"a process survived Ctrl-C; see {log}"
            assert code == 0, f"bot.cluster exited with {code}; see {log}"
