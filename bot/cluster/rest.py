"""The REST channel of the cluster mode: a failed message gets HTTP 503, never silence.

Rasa's own ``rest`` channel answers ``200 []`` when handling a message fails (the
database restarting, Redis away) and logs the message's text. This one, on the same
path ``/webhooks/rest/webhook`` and with the same JSON, answers a message it could not
handle (an error, or no answer within :data:`MESSAGE_DEADLINE_S`) with HTTP 503, a
``Retry-After`` and a "please try again" text, logs no text, and passes the client's
optional ``message_id`` to Rasa so that a client can tell from the tracker whether a
message it got no answer to was taken in::

    {"sender": "abc", "message": "yes", "message_id": "5f1c..."}

A 503 from here means the turn was not stored: the tracker is saved at the end of a
turn, and an error or the deadline stops the turn before that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.cluster.rasa_server import ActionServerUnavailable

log = logging.getLogger(__name__)

#: Longest a message may take before the person is asked to try again (HAProxy waits
#: 9.5 s for a server, the person never more than 10 s).
MESSAGE_DEADLINE_S = 8.0
#: Seconds a client should wait before sending the message again.
RETRY_AFTER_S = 2
TRY_AGAIN = "Sorry, I couldn't take that in just now. Please send it again in a moment."
MAX_MESSAGE_ID = 64


def _message_id(body: Any) -> str | None:
    """The client's message id if it is a short printable string, else None (Rasa makes one)."""
    value = body.get("message_id") if isinstance(body, dict) else None
    if isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID and value.isprintable():
        return value
    return None


def try_again(sender: str | None) -> HTTPResponse:
    """HTTP 503 with a text the widget or a REST client shows as is."""
    return response.json(
        [{"recipient_id": sender or "", "text": TRY_AGAIN}],
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


class ClusterRestInput(RestInput):  # type: ignore[misc]
    """Rasa's REST channel with 503 on failure, a deadline and client message ids."""

    @classmethod
    def name(cls) -> str:
        """The channel's URL segment: ``/webhooks/rest/``, as Rasa's own."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /webhooks/rest/`` (health) and ``POST /webhooks/rest/webhook``."""
        webhook = Blueprint("calx_cluster_rest", __name__)

        @webhook.route("/", methods=["GET"])  # type: ignore[untyped-decorator]
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])  # type: ignore[untyped-decorator]
        async def receive(request: Request) -> HTTPResponse:
            sender = await self._extract_sender(request)
            collector = CollectingOutputChannel()
            message = UserMessage(
                self._extract_message(request),
                collector,
                sender,
                input_channel=self._extract_input_channel(request),
                metadata=self.get_metadata(request),
                message_id=_message_id(request.json),
            )
            try:
                await asyncio.wait_for(on_new_message(message), MESSAGE_DEADLINE_S)
            except asyncio.TimeoutError:
                log.warning("message not handled within %.0f s: asked to retry", MESSAGE_DEADLINE_S)
                return try_again(sender)
            except (Exception, ActionServerUnavailable) as error:  # the person retries
                log.warning("message not handled (%s): asked to retry", type(error).__name__)
                return try_again(sender)
            return response.json(collector.messages)

        return webhook
