"""The cluster's processes, ports and configuration files.

Public ports are those of ``make run`` (settings ``rasa_port``, ``action_port``,
``web_port``) and belong to HAProxy; replica ``i`` (from 1) of each service listens on
``public port + 100 + i`` (Rasa 5106.., actions 5156.., web 8101..). Files go to
``var/run/cluster-<rasa port>/``: ``endpoints.yml`` (Rasa's SQL tracker store, Redis
lock store, pika event broker, the action endpoint through HAProxy), ``credentials.yml``
(the REST channel with a deadline: 503 "please try again" after 8 s), ``haproxy.cfg`` and
the 503 pages.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from bot.channels.rest import RETRY_AFTER_S, TRY_AGAIN
from bot.events.worker import QUEUE
from bot.runner.supervisor import ROOT, RUN_DIR, Service, _status
from bot.settings import Settings

#: Replicas of the action server and of the web app.
ACTION_SERVERS = 2
WEB_WORKERS = 2
#: Offset of the first replica's port from the public port.
REPLICA_OFFSET = 100
#: Seconds a Rasa lock on a conversation lives: a replica killed in a turn holds it that
#: long at most (Rasa's default is 60 s, longer than a person should wait).
TICKET_LOCK_LIFETIME_S = 8
#: Seconds a turn may take before the REST channel answers 503 "please try again"
#: (its ``deadline_s``); HAProxy waits a little longer for a Rasa server, the person
#: never more than 10 s.
MESSAGE_DEADLINE_S = 8.0
RASA_SERVER_TIMEOUT = "9500ms"
HAPROXY_LOG_FORMAT = (
    '{"time":"%t","service":"haproxy","frontend":"%f","server":"%b/%s","method":"%HM",'
    '"status":%ST,"termination":"%ts","retries":"%rc","ms":%Tt}'
)
REST_CHANNEL = "bot.channels.rest.CalxRestInput"


@dataclass(frozen=True)
class Replica:
    """One process behind the balancer."""

    role: str  # rasa | actions | web
    index: int
    port: int

    @property
    def name(self) -> str:
        """``rasa-1``, ``actions-2``..."""
        return f"{self.role}-{self.index}"


@dataclass(frozen=True)
class Topology:
    """Which replicas listen where, for some settings."""

    settings: Settings
    run_dir: Path

    @classmethod
    def of(cls, settings: Settings, run_dir: Path = RUN_DIR) -> Topology:
        """The topology for ``settings``, its files under ``run_dir/cluster-<rasa port>``."""
        if settings.replicas < 1:
            raise ValueError("CALX_REPLICAS must be at least 1")
        return cls(settings, run_dir / f"cluster-{settings.rasa_port}")

    def _replicas(self, role: str, public: int, count: int) -> list[Replica]:
        return [Replica(role, i, public + REPLICA_OFFSET + i) for i in range(1, count + 1)]

    @property
    def rasa(self) -> list[Replica]:
        """The Rasa servers."""
        return self._replicas("rasa", self.settings.rasa_port, self.settings.replicas)

    @property
    def actions(self) -> list[Replica]:
        """The action servers."""
        return self._replicas("actions", self.settings.action_port, ACTION_SERVERS)

    @property
    def web(self) -> list[Replica]:
        """The web app workers."""
        return self._replicas("web", self.settings.web_port, WEB_WORKERS)

    @property
    def endpoints(self) -> Path:
        """Rasa's endpoints file of the cluster."""
        return self.run_dir / "endpoints.yml"

    @property
    def credentials(self) -> Path:
        """Rasa's credentials file of the cluster."""
        return self.run_dir / "credentials.yml"

    @property
    def haproxy_cfg(self) -> Path:
        """HAProxy's configuration."""
        return self.run_dir / "haproxy.cfg"

    @property
    def pids(self) -> Path:
        """``name pid`` lines of the running processes (for operators and fault tests)."""
        return self.run_dir / "pids"


# -- Rasa's files -----------------------------------------------------------------------------


def lock_store_config(redis_url: str) -> dict[str, Any]:
    """Rasa's ``lock_store`` of ``type: redis`` for a ``redis://`` URL."""
    url = urlsplit(redis_url)
    config: dict[str, Any] = {
        "type": "redis",
        "url": url.hostname or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.path.strip("/") or 0),
        "key_prefix": "calx",
        "use_ssl": url.scheme == "rediss",
    }
    if url.password:
        config["password"] = unquote(url.password)
    return config


def event_broker_config(amqp_url: str) -> dict[str, Any]:
    """Rasa's ``event_broker`` of ``type: pika`` for an ``amqp://`` URL."""
    url = urlsplit(amqp_url)
    vhost = unquote(url.path[1:]) if len(url.path) > 1 else ""
    host = f"{url.scheme}://{url.hostname or '127.0.0.1'}:{url.port or 5672}"
    return {
        "type": "pika",
        "url": f"{host}/{vhost}" if vhost else host,
        "username": unquote(url.username or "guest"),
        "password": unquote(url.password or "guest"),
        "port": url.port or 5672,
        "queues": [QUEUE],
        "raise_on_failure": False,  # the turn goes on; the worker's sweep finds the event
    }


def _write_private(path: Path, content: str) -> None:
    """Write a file only its owner can read (it may hold the broker's password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(content)


def write_rasa_files(topology: Topology, root: Path = ROOT) -> None:
    """``endpoints.yml`` and ``credentials.yml`` of the cluster, from the checked-in ones."""
    settings = topology.settings
    endpoints: dict[str, Any] = yaml.safe_load((root / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": f"http://{settings.host}:{settings.action_port}/webhook"}
    endpoints["tracker_store"] = {"type": "bot.rasa_stores.CalxSQLTrackerStore"}
    endpoints["lock_store"] = lock_store_config(settings.redis_url)
    endpoints["event_broker"] = event_broker_config(settings.amqp_url)
    _write_private(topology.endpoints, yaml.safe_dump(endpoints, sort_keys=False))
    channels: dict[str, Any] = yaml.safe_load((root / "credentials.yml").read_text()) or {}
    if REST_CHANNEL in channels:
        channels[REST_CHANNEL] = {
            **(channels[REST_CHANNEL] or {}),
            "deadline_s": MESSAGE_DEADLINE_S,
        }
    _write_private(topology.credentials, yaml.safe_dump(channels, sort_keys=False))


# -- HAProxy ----------------------------------------------------------------------------------

_ERROR_PAGE = (
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    f"Retry-After: {RETRY_AFTER_S}\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{body}\n"
)


def _error_pages(topology: Topology) -> dict[str, Path]:
    """503 answers for HAProxy's own errors (no server, a server died, a timeout)."""
    bodies = {
        "rasa": json.dumps([{"recipient_id": "", "text": TRY_AGAIN}]),
        "web": json.dumps({"detail": "Calx is busy or restarting: please try again in a moment."}),
    }
    pages = {}
    for name, body in bodies.items():
        path = topology.run_dir / f"503-{name}.http"
        path.write_text(_ERROR_PAGE.replace("{body}", body))
        pages[name] = path
    return pages


def _servers(replicas: list[Replica], host: str) -> list[str]:
    return [f"    server {r.name} {host}:{r.port}" for r in replicas]


def haproxy_config(topology: Topology) -> str:
    """HAProxy's configuration: three frontends on the public ports, one backend each.

    - Rasa: least connections; ``/socket.io/`` sticks to a replica by the client's
      address (a socket.io session lives in one server's memory); a request that could
      not reach a server, or whose server died before answering, is sent to another; no
      server at all, or a turn past the deadline, gives HTTP 503 with "please try again".
    - Action server: also retried on another server when one dies in a request (actions
      only record answers by finding code, so running one twice changes nothing).
    - Web app: round robin, checked on ``/api/health``; a request whose worker died before
      answering is sent, buffered, to the other worker.
    """
    settings, host = topology.settings, topology.settings.host
    pages = _error_pages(topology)
    lines = [
        "global",
        "    maxconn 2000",
        "    noreuseport",  # a port already taken is an error, not shared with another process
        "    tune.bufsize 1048576",  # a tracker sent to the action server fits: L7 retries
        "    log stderr format raw local0 info",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 30s",
        "    timeout tunnel 1h",
        "    timeout http-request 10s",
        "    retries 3",
        "    option redispatch 1",
        "    option forwardfor",  # the rate limits see the client (CALX_TRUSTED_PROXIES)
        # one JSON line per request that ended badly (no path: tokens ride in query strings)
        "    log global",
        "    option dontlog-normal",
        f"    log-format '{HAPROXY_LOG_FORMAT}'",
        # a dead server refuses connections at once (and requests go to another); a busy
        # one may take seconds to answer a check: that is no reason to take it out
        "    timeout check 10s",
        "    default-server check inter 1s fall 3 rise 1",
        "",
        "frontend rasa",
        f"    bind {host}:{settings.rasa_port}",
        f"    errorfile 503 {pages['rasa']}",
        "    use_backend rasa_socketio if { path_beg /socket.io }",
        "    default_backend rasa",
        "",
        "backend rasa",
        "    balance leastconn",
        f"    timeout server {RASA_SERVER_TIMEOUT}",
        "    option httpchk GET /",
        # a replica killed in a turn: the message goes to another (the once-per-message_id
        # guard and the conversation lock make a turn that did get stored run only once)
        "    option http-buffer-request",  # the whole message at hand, so it can be sent again
        "    retry-on conn-failure empty-response",
        *(f"    errorfile {code} {pages['rasa']}" for code in (502, 503, 504)),
        *_servers(topology.rasa, host),
        "",
        "backend rasa_socketio",
        "    balance source",
        "    hash-type consistent",
        "    option httpchk GET /",
        *(f"    errorfile {code} {pages['rasa']}" for code in (502, 503, 504)),
        *_servers(topology.rasa, host),
        "",
        "frontend actions",
        f"    bind {host}:{settings.action_port}",
        "    default_backend actions",
        "",
        "backend actions",
        "    balance leastconn",
        "    option http-buffer-request",
        "    option httpchk GET /health",
        "    retry-on conn-failure empty-response junk-response response-timeout 502 503",
        *_servers(topology.actions, host),
        "",
        "frontend web",
        f"    bind {host}:{settings.web_port}",
        f"    errorfile 503 {pages['web']}",
        "    default_backend web",
        "",
        "backend web",
        "    balance roundrobin",
        "    option httpchk GET /api/health",
        "    option http-buffer-request",  # the whole message at hand, so it can be sent again
        "    retry-on conn-failure empty-response",
        *(f"    errorfile {code} {pages['web']}" for code in (502, 503, 504)),
        *_servers(topology.web, host),
        "",
    ]
    return "\n".join(lines)


def write_haproxy_config(topology: Topology) -> Path:
    """Write ``haproxy.cfg`` (and its error pages); return its path."""
    topology.run_dir.mkdir(parents=True, exist_ok=True)
    topology.haproxy_cfg.write_text(haproxy_config(topology))
    return topology.haproxy_cfg


# -- the processes ----------------------------------------------------------------------------


def _answers(url: str, status: int = 200) -> Callable[[], bool]:
    """A probe: whether ``url`` answers with ``status``."""
    return lambda: _status(url) == status


def _rasa_ready(base: str, token: str) -> Callable[[], bool]:
    """A probe: the server has its model, and has parsed one message (warming its models)."""
    warm: list[bool] = []

    def probe() -> bool:
        if _status(f"{base}/status?token={token}") != 200:
            return False
        if not warm:
            request = urllib.request.Request(  # noqa: S310 - our own replica
                f"{base}/model/parse?token={token}",
                data=json.dumps({"text": "hello"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=60):  # noqa: S310
                warm.append(True)
        return bool(warm)

    return probe


def services(topology: Topology, model: Path, haproxy: str, root: Path = ROOT) -> list[Service]:
    """HAProxy, the Rasa servers, the action servers, the web workers and the event worker."""
    settings, host, python = topology.settings, topology.settings.host, sys.executable
    rasa, web = f"http://{host}:{settings.rasa_port}", f"http://{host}:{settings.web_port}"
    public = _answers(f"{rasa}/")
    result = [
        Service(
            "haproxy",
            [haproxy, "-db", "-f", str(topology.haproxy_cfg)],
            lambda: public() and _status(f"{web}/api/health") == 200,
            [("chat (REST)", f"{rasa}/webhooks/rest/webhook"),
             ("Rasa HTTP API", f"{rasa}/  (token: CALX_RASA_TOKEN)"),
             ("clinician console", f"{web}/"),
             ("patient portal", f"{web}/portal"),
             ("JSON API", f"{web}/api/")],
        )
    ]  # fmt: skip
    for r in topology.rasa:
        base = f"http://{host}:{r.port}"
        result.append(
            Service(
                r.name,
                [python, "-m", "bot.cluster.rasa_server", "--model", str(model),
                 "--endpoints", str(topology.endpoints),
                 "--credentials", str(topology.credentials), "--port", str(r.port)],
                _rasa_ready(base, settings.rasa_token),
                # up, but the model could not be loaded
                broken=_answers(f"{base}/status?token={settings.rasa_token}", 409),
            )
        )  # fmt: skip
    for r in topology.actions:
        result.append(
            Service(
                r.name,
                [
                    python,
                    "-m",
                    "bot.runner.action_server",
                    "--actions",
                    "actions",
                    "--port",
                    str(r.port),
                ],
                _answers(f"http://{host}:{r.port}/health"),
            )
        )
    for r in topology.web:
        result.append(
            Service(
                r.name,
                [python, "-m", "uvicorn", "--factory", "bot.web.app:create_app",
                 "--host", host, "--port", str(r.port), "--no-access-log"],
                _answers(f"http://{host}:{r.port}/api/health"),
            )
        )  # fmt: skip
    result.append(Service("events", [python, "-m", "bot.events"], lambda: True))
    return result
