"""bot.ratelimit: the algorithm, the Redis store shared by replicas, client addresses."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
import redis

from bot.ratelimit import (
    Limit,
    MemoryStore,
    RateLimiter,
    RedisStore,
    client_ip,
    networks,
)
from bot.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("per_second", "burst"), [(1.0, 1), (2.0, 5), (10.0, 30), (0.5, 3)])
def test_a_burst_then_the_sustained_rate(per_second: float, burst: int) -> None:
    clock = Clock()
    store = MemoryStore(clock)
    limit = Limit(per_second, burst)
    allowed = [store.hit_now("k", limit).allowed for _ in range(burst + 5)]
    assert allowed == [True] * burst + [False] * 5
    refused = store.hit_now("k", limit)
    assert refused.retry_after == pytest.approx(1 / per_second)
    assert refused.retry_after_header == str(max(1, int(-(-1 // per_second))))
    clock.now += refused.retry_after
    assert store.hit_now("k", limit).allowed
    assert not store.hit_now("k", limit).allowed
    clock.now += 10 * burst / per_second  # a long pause refills the burst
    assert all(store.hit_now("k", limit).allowed for _ in range(burst))
    assert store.hit_now("other", limit).allowed  # keys are independent


def test_refused_requests_do_not_count() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    limit = Limit(1.0, 2)
    for _ in range(100):
        store.hit_now("k", limit)
    clock.now += 1.0
    assert store.hit_now("k", limit).allowed


def test_memory_is_bounded() -> None:
    clock = Clock()
    store = MemoryStore(clock, max_keys=50)
    for i in range(500):
        store.hit_now(f"k{i}", Limit(1.0, 5))
        clock.now += 0.001
    assert len(store._tat) <= 50


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", None, "", "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", "", "203.0.113.9"),  # untrusted peer: header ignored
        ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "127.0.0.1", "198.51.100.1"),  # spoofed left part
        ("10.0.0.2", "198.51.100.1, 10.0.0.7", "10.0.0.0/8", "198.51.100.1"),
        ("127.0.0.1", "not-an-ip", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "127.0.0.1", "2001:db8::1"),
        (None, None, "", "unknown"),
    ],
)
def test_client_address(peer: str | None, header: str | None, trusted: str, expected: str) -> None:
    assert client_ip(peer, header, networks(trusted)) == expected


def test_exempt_networks_skip_the_ip_limit_but_not_the_sender_limit() -> None:
    limiter = RateLimiter(MemoryStore(), Limit(1, 2), Limit(1, 2), networks("127.0.0.0/8"))

    async def run() -> list[tuple[bool, str]]:
        out = []
        for i in range(5):
            d = await limiter.check(scope="chat", sender=f"s{i}", ip="127.0.0.1")
            out.append((d.allowed, d.scope))
        for _ in range(3):
            d = await limiter.check(scope="chat", sender="same", ip="127.0.0.1")
            out.append((d.allowed, d.scope))
        for i in range(3):
            d = await limiter.check(scope="chat", sender=f"x{i}", ip="198.51.100.4")
            out.append((d.allowed, d.scope))
        return out

    assert asyncio.run(run()) == [(True, "")] * 5 + [(True, ""), (True, ""), (False, "sender")] + [
        (True, ""),
        (True, ""),
        (False, "ip"),
    ]


def test_settings_choose_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALX_REDIS_URL", raising=False)
    monkeypatch.delenv("CALX_CLUSTER", raising=False)
    assert isinstance(RateLimiter.from_settings(Settings(_env_file=None)).store, MemoryStore)
    assert isinstance(
        RateLimiter.from_settings(Settings(_env_file=None, cluster=True)).store, RedisStore
    )
    monkeypatch.setenv("CALX_REDIS_URL", REDIS_URL)
    assert isinstance(RateLimiter.from_settings(Settings(_env_file=None)).store, RedisStore)
    off = RateLimiter.from_settings(Settings(_env_file=None, rate_sender_per_s=0))
    assert not off.sender.enabled and off.ip.enabled


@needs_redis
def test_replicas_share_the_limit_through_redis() -> None:
    """Two stores (two replicas) count against one limit."""
    key = f"calx:rl:test:{uuid.uuid4().hex}"
    limit = Limit(1.0, 10)

    async def run() -> list[bool]:
        a, b = RedisStore(REDIS_URL), RedisStore(REDIS_URL)
        return [(await (a if i % 2 else b).hit(key, limit)).allowed for i in range(14)]

    assert asyncio.run(run()) == [True] * 10 + [False] * 4
    ttl = redis.Redis.from_url(REDIS_URL).pttl(key)
    assert 0 < ttl <= 12_000  # keys expire on their own


def test_without_redis_the_process_keeps_its_own_counts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    store = RedisStore(f"redis://127.0.0.1:{port}/0")

    async def run() -> list[bool]:
        return [(await store.hit("k", Limit(1.0, 3))).allowed for _ in range(5)]

    assert asyncio.run(run()) == [True, True, True, False, False]
