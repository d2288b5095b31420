"""Rate limits per sender and per client IP, shared by the web app and the Rasa channels.

A limit is a rate and a burst (generic cell rate algorithm: ``burst`` requests at once,
then one every ``1 / per_second`` seconds). A refused request gets how long to wait
(``Retry-After``). In cluster mode (or when ``CALX_REDIS_URL`` is set) the counters live
in Redis, so the limits hold across replicas; otherwise in the process's memory. If
Redis does not answer, the process falls back to its own memory for a few seconds
rather than refusing or stalling people.

Per-IP limits leave the ``CALX_RATE_EXEMPT`` networks alone (loopback by default: a
load balancer on the same host passes the client's address in ``X-Forwarded-For``,
which is believed only from ``CALX_TRUSTED_PROXIES``).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Seconds the memory store stands in after Redis failed to answer.
REDIS_COOLDOWN_S = 5.0
#: Seconds Calx waits for Redis per request.
REDIS_TIMEOUT_S = 0.25
KEY_PREFIX = "calx:rl:"
_EPSILON = 1e-9

# GCRA on Redis's clock (the same for every replica): KEYS[1] holds the theoretical
# arrival time; ARGV = interval, burst. Returns {allowed, seconds to wait}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local over = new_tat - now - burst * interval
if over > 1e-9 then return {0, tostring(over)} end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {1, '0'}
"""


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, then ``per_second`` (0 in either: no limit)."""

    per_second: float
    burst: int

    @property
    def enabled(self) -> bool:
        """Whether the limit applies at all."""
        return self.per_second > 0 and self.burst > 0

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate."""
        return 1.0 / self.per_second


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead; if not, how long to wait."""

    allowed: bool
    retry_after: float = 0.0
    scope: str = ""

    @property
    def retry_after_header(self) -> str:
        """Whole seconds for ``Retry-After`` (at least 1)."""
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True)


class Store(Protocol):
    """Where the counters are kept."""

    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one request for ``key``; the decision."""


class MemoryStore:
    """The counters of this process (bounded: stale keys are dropped)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 200_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._tat: dict[str, float] = {}

    def hit_now(self, key: str, limit: Limit) -> Decision:
        """:meth:`hit` without awaiting (nothing here waits)."""
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + limit.interval
        over = new_tat - now - limit.burst * limit.interval
        if over > _EPSILON:  # the sums of intervals carry rounding errors
            return Decision(False, over)
        self._tat[key] = new_tat
        if len(self._tat) > self.max_keys:
            self._prune(now)
        return ALLOWED

    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one request for ``key``."""
        return self.hit_now(key, limit)

    def _prune(self, now: float) -> None:
        self._tat = {k: v for k, v in self._tat.items() if v > now}
        while len(self._tat) > self.max_keys:  # all of them busy: forget the oldest
            self._tat.pop(next(iter(self._tat)))


class RedisStore:
    """The counters in Redis (one atomic script per request), memory while Redis is away."""

    def __init__(self, url: str, fallback: MemoryStore | None = None) -> None:
        self.url = url
        self.fallback = fallback or MemoryStore()
        self._clients: dict[int, Any] = {}
        self._down_until = 0.0

    def _script(self) -> Any:
        loop = id(asyncio.get_running_loop())
        script = self._clients.get(loop)
        if script is None:
            from redis import asyncio as redis_asyncio

            client = redis_asyncio.from_url(
                self.url,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
            )
            script = client.register_script(_GCRA)
            self._clients[loop] = script
        return script

    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one request for ``key`` in Redis (in memory while Redis is down)."""
        if time.monotonic() < self._down_until:
            return self.fallback.hit_now(key, limit)
        try:
            allowed, wait = await self._script()(keys=[key], args=[limit.interval, limit.burst])
        except Exception as error:  # any Redis failure: keep serving people
            self._down_until = time.monotonic() + REDIS_COOLDOWN_S
            log.warning(
                "rate limits kept in memory for %.0fs: Redis did not answer (%s)",
                REDIS_COOLDOWN_S,
                type(error).__name__,
            )
            return self.fallback.hit_now(key, limit)
        if int(allowed):
            return ALLOWED
        return Decision(False, float(wait))


def networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """``"127.0.0.0/8, ::1"`` as networks (single addresses are /32 or /128)."""
    items = spec.split(",") if isinstance(spec, str) else spec
    return tuple(ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _within(address: str, nets: tuple[Network, ...]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer's, or from ``X-Forwarded-For`` if the peer is trusted.

    The header is read from the right (the closest hop first), skipping trusted proxies;
    the first address that is not one of them is the client.
    """
    address = (peer or "").strip()
    if not forwarded_for or not _within(address, trusted):
        return address or "unknown"
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        if _address(hop) is None:
            break
        address = hop
        if not _within(hop, trusted):
            break
    return address


def _key(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return KEY_PREFIX + parts[0] + ":" + digest[:40]


class RateLimiter:
    """The limits of one process: per sender (a conversation) and per client IP."""

    def __init__(
        self,
        store: Store,
        sender: Limit,
        ip: Limit,
        exempt: tuple[Network, ...] = (),
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self.store = store
        self.sender = sender
        self.ip = ip
        self.exempt = exempt
        self.trusted_proxies = trusted_proxies

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        """Limits, exemptions and the store (Redis in cluster mode or if set) of ``settings``."""
        shared = settings.cluster or "redis_url" in settings.__fields_set__
        store: Store = RedisStore(settings.redis_url) if shared else MemoryStore()
        return cls(
            store,
            Limit(settings.rate_sender_per_s, settings.rate_sender_burst),
            Limit(settings.rate_ip_per_s, settings.rate_ip_burst),
            networks(settings.rate_exempt),
            networks(settings.trusted_proxies),
        )

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address for this limiter's trusted proxies."""
        return client_ip(peer, forwarded_for, self.trusted_proxies)

    async def check(
        self, *, scope: str, sender: str | None = None, ip: str | None = None
    ) -> Decision:
        """Count a request of ``sender`` from ``ip`` in ``scope`` (e.g. ``chat``, ``web``)."""
        if ip is not None and self.ip.enabled and not _within(ip, self.exempt):
            decision = await self.store.hit(_key("ip", scope, ip), self.ip)
            if not decision.allowed:
                return Decision(False, decision.retry_after, "ip")
        if sender is not None and self.sender.enabled:
            decision = await self.store.hit(_key("sender", sender), self.sender)
            if not decision.allowed:
                return Decision(False, decision.retry_after, "sender")
        return ALLOWED


@lru_cache(maxsize=1)
def get_limiter() -> RateLimiter:
    """This process's limiter, from the settings."""
    return RateLimiter.from_settings(get_settings())
