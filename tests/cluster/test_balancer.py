"""HAProxy with the cluster's own configuration, in front of stand-in Rasa servers.

The stand-ins answer every request but one: the first request marked ``die`` is taken
and the connection closed without a word, as a Rasa replica killed in a turn does. The
person must get an answer from the other replica, never a connection closed in their
face (marker ``slow``: HAProxy comes from ``make cluster-deps``).
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.load import free_port
from bot.cluster.topology import Topology, write_haproxy_config
from bot.settings import Settings

pytestmark = pytest.mark.slow


@dataclass
class Replicas:
    """What the stand-in Rasa servers saw."""

    died: threading.Event = field(default_factory=threading.Event)
    served: list[str] = field(default_factory=list)


def _handler(name: str, replicas: Replicas) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Rasa's Sanic

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(b"{}")

        def do_POST(self) -> None:
            text = self.rfile.read(int(self.headers["Content-Length"])).decode()
            if text == "die" and not replicas.died.is_set():
                replicas.died.set()  # killed in the middle of the turn: no reply at all
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            replicas.served.append(name)
            self._answer(json.dumps([{"text": f"{name} took {text}"}]).encode())

    return Handler


class QuietServer(ThreadingHTTPServer):
    """A stand-in server that does not print HAProxy's health checks hanging up."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet."""


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def balancer(tmp_path: Path) -> Iterator[tuple[int, Replicas]]:
    """HAProxy on a free port in front of two stand-in Rasa servers."""
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    assert haproxy, "HAProxy is missing: make cluster-deps"
    port = free_port(span=2)
    settings = Settings(rasa_port=port, action_port=free_port(span=2), web_port=free_port(span=2))
    topology = Topology(settings, tmp_path)
    replicas = Replicas()
    servers = [
        QuietServer(("127.0.0.1", r.port), _handler(r.name, replicas)) for r in topology.rasa
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    process = subprocess.Popen(
        [haproxy, "-db", "-f", str(write_haproxy_config(topology))],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "haproxy.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 20
        while not _listening(port):
            assert process.poll() is None, (tmp_path / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "HAProxy did not listen"
            time.sleep(0.1)
        time.sleep(2.5)  # the first health checks: both replicas up
        yield port, replicas
    finally:
        process.terminate()
        process.wait(10)
        for server in servers:
            server.shutdown()
            server.server_close()


def _post(connection: http.client.HTTPConnection, text: str) -> tuple[int, str]:
    connection.request("POST", "/webhooks/rest/webhook", body=text.encode())
    response = connection.getresponse()
    return response.status, response.read().decode()


@pytest.mark.parametrize("earlier", [0, 2], ids=["first request", "kept-alive connection"])
def test_a_replica_dying_in_a_turn_is_answered_by_another(
    balancer: tuple[int, Replicas], earlier: int
) -> None:
    port, replicas = balancer
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        for i in range(earlier):  # the connection is kept alive between turns
            assert _post(connection, f"turn {i}")[0] == 200
        status, body = _post(connection, "die")
    finally:
        connection.close()
    assert replicas.died.is_set(), "the stand-in never died: the test proves nothing"
    assert status == 200, body
    assert "took die" in body
    assert len(replicas.served) == earlier + 1  # the dead replica's turn was not counted
