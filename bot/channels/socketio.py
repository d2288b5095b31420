"""The widget's socket.io channel: Rasa's protocol, persistent sessions, interview state.

Speaks the protocol of Rasa's ``socketio`` channel (``session_request`` /
``session_confirm``, ``user_uttered`` / ``bot_uttered``, replies to the room of the
session id), with ``session_persistence`` always on, plus:

- after each turn, a ``calx_state`` event (see :mod:`bot.channels.state`): answer
  buttons, progress, red flags, end of the interview;
- ``calx_resume``: the widget asks after a reload; the answer is the state with the
  session's transcript, so the page redraws the same interview.

Session ids are random hex the server hands out (a client may bring back its own,
in the same form, to resume); a socket sends messages only into the session it
joined, so no other conversation (Slack, Teams, REST) can be written or read here.

Messages are checked as on every channel (:mod:`bot.channels.guard`): one that is not
text, too long or empty, or over the session's or the address's rate limit, gets a
``bot_uttered`` reply saying so and no turn. A packet over
:data:`~bot.channels.guard.MAX_BODY_BYTES` ends the connection (engine.io's limit).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from engineio.payload import Payload
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels import base, guard, state
from bot.ratelimit import RateLimiter

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
STATE_EVENT = "calx_state"
RESUME_EVENT = "calx_resume"
CHANNEL_METADATA = {"channel": "widget"}
#: Packets one polling request may carry (engine.io's default, 16, loses a queued burst).
MAX_PACKETS_PER_REQUEST = 256

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def clean_metadata(raw: Any) -> dict[str, Any]:
    """The metadata a widget may attach: ``{"calx": {"hidden": bool, "lang": str}}``."""
    return guard.clean_metadata(raw, CHANNEL_METADATA["channel"])


def _client_ip(limiter: RateLimiter, environ: Mapping[str, Any]) -> str:
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR")
    return limiter.client_ip(peer, environ.get("HTTP_X_FORWARDED_FOR"))


class CalxSocketIOInput(guard.RateLimited, InputChannel):  # type: ignore[misc]
    """socket.io at ``/socket.io`` for the patient-portal widget."""

    @classmethod
    def name(cls) -> str:
        """The ``input_channel`` of the widget's messages (as Rasa's socket.io channel)."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> CalxSocketIOInput:
        """Event names and path from ``credentials.yml`` (Rasa's keys; persistence is on)."""
        given = dict(credentials or {})
        return cls(
            user_message_evt=str(given.get("user_message_evt", "user_uttered")),
            bot_message_evt=str(given.get("bot_message_evt", "bot_uttered")),
            socketio_path=str(given.get("socketio_path", "/socket.io")),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        socketio_path: str = "/socket.io",
    ) -> None:
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.socketio_path = socketio_path
        self.sio: AsyncServer | None = None
        self.agent = base.AgentAccess()
        self.sessions: dict[str, str] = {}
        self.addresses: dict[str, str] = {}

    def get_output_channel(self) -> OutputChannel | None:
        """Output for Rasa's external events (the widget's socket.io server)."""
        if self.sio is None:
            return None
        return SocketIOOutput(self.sio, self.bot_message_evt)

    async def state(self, session_id: str, *, with_transcript: bool = False) -> dict[str, Any]:
        """The widget state of a session (with its transcript on resume)."""
        tracker = await self.agent.tracker(session_id)
        payload = await asyncio.to_thread(state.tracker_state, tracker)
        if with_transcript:
            payload["transcript"] = state.transcript(tracker)
        payload["session_id"] = session_id
        return payload

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The socket.io server (attached at ``socketio_path``) and a health route."""
        # Origins are checked by the Rasa server's CORS settings (`rasa run --cors`).
        # A client that was slow or offline sends its queued messages in one request:
        # engine.io refuses more than 16 packets per payload and the messages are lost; the
        # body's size stays capped (max_http_buffer_size) and each message meets the limiter.
        Payload.max_decode_packets = MAX_PACKETS_PER_REQUEST
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=guard.MAX_BODY_BYTES,
        )
        webhook: Blueprint = SocketBlueprint(
            sio, self.socketio_path, "calx_socketio_webhook", __name__
        )
        self.sio = sio
        self.agent.attach(webhook)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        webhook.add_route(health, "/", methods=["GET"])

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            ip = _client_ip(self.limiter, environ)
            decision = await self.limiter.check(scope="chat", ip=ip)
            if not decision.allowed:
                return False  # the client sees connect_error and retries later
            self.addresses[sid] = ip
            return True

        async def disconnect(sid: str) -> None:
            self.sessions.pop(sid, None)
            self.addresses.pop(sid, None)

        async def refuse(sid: str, session_id: str, reply: str) -> None:
            """The reply instead of a turn, then the unchanged state (the widget stops waiting)."""
            await sio.emit(self.bot_message_evt, {"text": reply}, room=sid)
            await sio.emit(STATE_EVENT, await self.state(session_id), room=sid)

        async def session_request(sid: str, data: Any) -> None:
            asked = data.get("session_id") if isinstance(data, Mapping) else None
            valid = isinstance(asked, str) and SESSION_ID.match(asked)
            session_id = str(asked) if valid else uuid.uuid4().hex
            previous = self.sessions.get(sid)
            if previous and previous != session_id:
                sio.leave_room(sid, previous)
            sio.enter_room(sid, session_id)
            self.sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid)

        async def resume(sid: str, _data: Any = None) -> None:
            session_id = self.sessions.get(sid)
            if session_id is None:
                return
            payload = await self.state(session_id, with_transcript=True)
            await sio.emit(STATE_EVENT, payload, room=sid)

        async def user_uttered(sid: str, data: Any) -> None:
            session_id = self.sessions.get(sid)
            if session_id is None or not isinstance(data, Mapping):
                return  # no session_request first: nothing to talk into
            screened = guard.screen(data.get("message"))
            if screened.text is None:
                await refuse(sid, session_id, screened.reply or guard.EMPTY)
                return
            ip = self.addresses.get(sid)
            decision = await self.limiter.check(scope="chat", sender=session_id, ip=ip)
            if not decision.allowed:
                await refuse(sid, session_id, guard.too_fast(decision.retry_after_header))
                return
            message = UserMessage(
                screened.text,
                SocketIOOutput(sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata=guard.with_removed(clean_metadata(data.get("metadata")), screened),
            )
            try:
                await on_new_message(message)
            finally:
                payload = await self.state(session_id)
                await sio.emit(STATE_EVENT, payload, room=session_id)

        sio.on("connect", connect)
        sio.on("disconnect", disconnect)
        sio.on("session_request", session_request)
        sio.on(RESUME_EVENT, resume)
        sio.on(self.user_message_evt, user_uttered)
        return webhook
