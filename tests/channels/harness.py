"""Test harness for the channels: a real Sanic server with a scripted stand-in for Rasa's agent,
and small local HTTP servers that play Slack's Web API, Microsoft's identity service and the
Bot Connector (recording what Calx sends them).

The agent keeps real Rasa trackers (``InMemoryTrackerStore``) and answers with whatever the
test scripts, so the channels' HTTP handling, verification, threading and replies are tested
for real; the whole stack (Rasa's NLU and dialogue) is covered by ``tests/e2e``-style tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.server import configure_cors
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from sanic import Sanic

Reply = Callable[[UserMessage], list[Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 30.0) -> Any:
    """Poll ``condition`` until it is truthy (replies are posted in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


class ScriptedAgent:
    """Stands in for Rasa's ``Agent``: real trackers, replies from ``reply(message)``.

    ``reply`` returns texts (sent as bot messages) and Rasa events (applied to the tracker),
    e.g. ``ActionExecuted("action_submit_interview")``.
    """

    def __init__(self, reply: Reply | None = None, domain: Domain | None = None) -> None:
        self.tracker_store = InMemoryTrackerStore(domain or Domain.empty())
        self.reply: Reply = reply or (lambda m: [f"echo: {m.text}"])
        self.received: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(
            UserUttered(
                message.text,
                input_channel=message.input_channel,
                message_id=message.message_id,
                metadata=message.metadata,
            )
        )
        for item in self.reply(message):
            if isinstance(item, Event):
                tracker.update(item)
            else:
                await message.output_channel.send_response(message.sender_id, {"text": item})
                tracker.update(BotUttered(item))
        await self.tracker_store.save(tracker)

    def tracker(self, sender_id: str) -> Any:
        """The tracker (read in a thread of its own: the caller may run an event loop)."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.tracker_store.retrieve(sender_id)).result()


@contextmanager
def serve_channels(
    channels: list[InputChannel], agent: Any, cors: str | None = None
) -> Iterator[str]:
    """Serve ``channels`` (under ``/webhooks/``) on a real Sanic server; yield its base URL.

    ``cors`` sets the allowed origins as ``rasa run --cors`` does.
    """
    Sanic.test_mode = True  # Sanic's start-up "touch-up" can run only once per process otherwise
    app = Sanic(f"calx_channels_{uuid.uuid4().hex[:8]}")
    if cors is not None:
        configure_cors(app, cors)
    register(channels, app, route="/webhooks/")
    app.ctx.agent = agent
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        holder["server"] = server
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the channel server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server = holder["server"]

        async def stop() -> None:
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await server.after_stop()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeService:
    """A local HTTP server answering from ``routes`` and recording every request."""

    routes: dict[tuple[str, str], Callable[[Recorded], tuple[int, Any]]] = field(
        default_factory=dict
    )
    requests: list[Recorded] = field(default_factory=list)
    base_url: str = ""

    def route(self, method: str, path: str, handler: Callable[[Recorded], tuple[int, Any]]) -> None:
        self.routes[(method, path)] = handler

    def find(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in list(self.requests) if r.method == method and r.path.startswith(prefix)]


@contextmanager
def fake_service(
    default: Callable[[Recorded], tuple[int, Any]] | None = None,
) -> Iterator[FakeService]:
    """Run a :class:`FakeService` on a free port (``default`` answers unknown routes)."""
    service = FakeService()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(method, self.path, dict(self.headers), self.rfile.read(length))
            service.requests.append(recorded)
            handler = service.routes.get((method, self.path.split("?")[0]))
            if handler is None:
                handler = default or (lambda r: (404, {"error": "not found"}))
            status, body = handler(recorded)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


SUBMITTED = ActionExecuted("action_submit_interview")


def interview_domain() -> Domain:
    """A domain with the interview's slots (control slots and one per finding) and its form."""
    from bot.interview.turn import CONTROL_SLOTS
    from bot.knowledge import get_dictionary

    names = [*CONTROL_SLOTS, *get_dictionary().findings]
    slots = {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in names}
    return Domain.from_dict({"slots": slots, "forms": {"interview_form": {"required_slots": []}}})
