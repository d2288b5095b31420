"""What the channels share: the Rasa agent, trackers, de-duplication, per-conversation order.

Slack and Teams acknowledge a request at once and handle its message in the
background (Slack retries after 3 seconds); :class:`ConversationQueue` keeps the
messages of one conversation in order of arrival. Nothing here logs message text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import guard
from bot.knowledge import UNKNOWN
from bot.ratelimit import Decision

log = logging.getLogger(__name__)

#: Senders remembered as "told to slow down" before the stale ones are forgotten.
QUIET_SENDERS = 10_000
#: The action that completes the interview (actions/submit.py).
SUBMIT_ACTION = "action_submit_interview"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class AgentAccess:
    """The Rasa agent of the server a channel's blueprint is registered in."""

    def __init__(self) -> None:
        self._app: Sanic | None = None

    def attach(self, blueprint: Blueprint) -> None:
        """Remember the app ``blueprint`` is registered in, when the server starts."""

        async def _capture(app: Sanic, _loop: Any) -> None:
            self._app = app

        blueprint.listener(_capture, "before_server_start")

    @property
    def agent(self) -> Any | None:
        """Rasa's ``Agent`` (``None`` before start-up)."""
        if self._app is None:
            return None
        return getattr(self._app.ctx, "agent", None)

    async def tracker(self, sender_id: str) -> Any | None:
        """The tracker of ``sender_id``'s latest session, or ``None`` if there is none."""
        agent = self.agent
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return None
        return await store.retrieve(sender_id)


class SeenIds:
    """The most recent ids seen (bounded), to handle each delivery of an event once."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, key: str) -> bool:
        """Remember ``key``; ``False`` if it was already seen."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._ids


class ConversationQueue:
    """Runs jobs in the background, one at a time per conversation, in order of arrival."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, key: str, job: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``job()`` after the jobs already submitted for ``key``."""
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)

        async def run() -> None:
            try:
                async with lock:
                    await job()
            except Exception:
                log.exception("a channel job failed (conversation kept)")
            finally:
                held, left = self._locks[key]
                if left <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (held, left - 1)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        """Jobs submitted and not finished yet."""
        return len(self._tasks)


def events_since_user(tracker: Any) -> Sequence[Any]:
    """The tracker's events after its latest user message (the current turn)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if getattr(events[index], "type_name", None) == "user":
            return events[index + 1 :]
    return events


def completed_in_turn(tracker: Any) -> bool:
    """Whether the interview was completed (summary stored) by the latest message."""
    return any(
        getattr(event, "type_name", None) == "action"
        and getattr(event, "action_name", None) == SUBMIT_ACTION
        for event in events_since_user(tracker)
    )


def message_seen(tracker: Any, message_id: str) -> bool:
    """Whether the tracker already holds a user message with ``message_id``."""
    return any(
        getattr(event, "type_name", None) == "user"
        and getattr(event, "message_id", None) == message_id
        for event in tracker.events
    )


def configured(
    credentials: Mapping[str, Any] | None, prefix: str, keys: Sequence[str]
) -> dict[str, str]:
    """Channel settings, each from ``credentials.yml`` or else ``CALX_<PREFIX>_<KEY>``.

    ``web_url`` (the console's address, for links) is added.
    """
    from bot.settings import get_settings

    settings = get_settings()
    given = dict(credentials or {})
    values = {key: str(given.get(key) or getattr(settings, f"{prefix}_{key}")) for key in keys}
    values["web_url"] = str(given.get("web_url") or settings.web_url)
    return values


def answer_buttons(tracker: Any) -> list[dict[str, str]]:
    """The answers of the open question as buttons (``title``, ``payload``), if it has any.

    The options the widget shows (:mod:`bot.channels.state`), for a question answered by
    picking one (yes / no / don't know, an enum's values, the consent) or several (the
    places: those buttons carry ``multi``, for a channel that can pick several at once);
    a number or free text is typed.
    """
    from bot.channels.state import REQUESTED_SLOT, question_input

    if tracker is None or not tracker.active_loop_name:
        return []
    slots = tracker.current_slot_values()
    asked = question_input(slots.get(REQUESTED_SLOT), slots) or {}
    kind = asked.get("kind")
    if kind not in ("choice", "number", "multi"):
        return []
    return [
        {
            "title": str(o["label"]),
            "payload": str(o["payload"]),
            **({"multi": "yes"} if kind == "multi" and o.get("value") != UNKNOWN else {}),
        }
        for o in asked.get("options") or []
        if o.get("label") and o.get("payload")
    ]


class WebhookChannel(guard.RateLimited, InputChannel, ABC):  # type: ignore[misc]
    """A channel with one webhook (``POST /webhook``; ``GET /`` for health).

    Its messages are acknowledged at once and handled in the background, in order per
    conversation; each delivery of an event is handled once. A body over
    :data:`~bot.channels.guard.MAX_BODY_BYTES` gets 413 before anything else.
    """

    #: The Sanic blueprint's name (unique per channel).
    blueprint_name = "calx_webhook"

    def __init__(self) -> None:
        self.agent = AgentAccess()
        self.seen = SeenIds()
        self.queue = ConversationQueue()
        self._quiet_until: dict[str, float] = {}

    @property
    @abstractmethod
    def enabled(self) -> bool:
        """Whether the channel has its secrets (without them every request gets 401)."""

    @abstractmethod
    async def handle_request(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Verify a webhook request, acknowledge it, queue its message."""

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook``."""
        blueprint = Blueprint(self.blueprint_name, __name__)
        self.agent.attach(blueprint)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "enabled": self.enabled})

        async def webhook(request: Request) -> HTTPResponse:
            if len(request.body or b"") > guard.MAX_BODY_BYTES:
                return response.json({"error": "request body too large"}, status=413)
            return await self.handle_request(request, on_new_message)

        blueprint.add_route(health, "/", methods=["GET"])
        blueprint.add_route(webhook, "/webhook", methods=["POST"])
        return blueprint

    async def count(self, sender: str) -> Decision:
        """Count a message of ``sender`` when it arrives (messages are handled one by one later)."""
        return await self.limiter.check(scope="chat", sender=sender)

    async def admit(
        self, sender: str, text: str, output: Any, counted: Decision
    ) -> guard.Screened | None:
        """The screened message to hand to Rasa; or ``None`` when a reply was posted instead.

        A message that is not text, too long or empty, or that was over the conversation's
        rate limit when it arrived (``counted``), is answered in the conversation
        (:mod:`bot.channels.guard`), with no turn. Of a flood, one message per wait is told.
        """
        screened = guard.screen(text)
        reply = screened.reply
        if screened.text is not None:
            if counted.allowed:
                return screened
            if not self._tell_once(sender, counted.retry_after):
                return None
            reply = guard.too_fast(counted.retry_after_header)
        await output.send_text_message(sender, reply or guard.EMPTY)
        await output.flush()
        return None

    def _tell_once(self, sender: str, wait: float) -> bool:
        """Whether to tell ``sender`` to slow down now (not again until ``wait`` has passed)."""
        now = time.monotonic()
        if self._quiet_until.get(sender, 0.0) > now:
            return False
        if len(self._quiet_until) > QUIET_SENDERS:
            self._quiet_until = {k: v for k, v in self._quiet_until.items() if v > now}
        self._quiet_until[sender] = now + wait
        return True

    async def deliver(
        self, message: UserMessage, on_new_message: OnNewMessage, web_url: str
    ) -> None:
        """Hand ``message`` to Rasa, then post the turn's replies.

        The output channel collects them and posts them on ``flush(report)``, with the
        clinician's report if the interview was completed by this message.
        """
        from bot.channels.report import report_if_completed

        await on_new_message(message)
        tracker = await self.agent.tracker(message.sender_id)  # read once for both
        report = await report_if_completed(tracker, web_url)
        output = message.output_channel
        if report is None and hasattr(output, "offer"):
            buttons = answer_buttons(tracker)
            if buttons:
                output.offer(buttons)
        await output.flush(report)

    def get_output_channel(self) -> OutputChannel | None:
        """No output outside an incoming message (the thread or service URL comes with it)."""
        return None
