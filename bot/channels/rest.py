"""The REST channel (``POST /webhooks/rest/webhook``), checked before Rasa sees a message.

Same path and JSON as Rasa's own ``rest`` channel (``{"sender": ..., "message": ...}``
in, ``[{"recipient_id": ..., "text": ...}]`` out), registered in ``credentials.yml``
instead of it. Differences, all answered in JSON:

- the body must be a UTF-8 JSON object of at most :data:`~bot.channels.guard.MAX_BODY_BYTES`
  (400, 413); ``sender`` printable text of at most 255 characters (400);
  ``message`` text (400) of at most 5000 characters (413, with a reply saying so);
  an empty or whitespace-only message gets a reply and no turn;
- per-IP and per-sender rate limits (:mod:`bot.ratelimit`): 429 with ``Retry-After``
  and a reply saying how long to wait;
- ``metadata`` keeps only what a client may set (:func:`~bot.channels.guard.clean_metadata`)
  and ``input_channel`` is always ``rest``; a request with the service token
  (``Authorization: Bearer <CALX_API_TOKEN>``: machine clients, the evaluation tools) is
  marked as staff, the only way a REST sender may be a clinician respondent; an optional
  ``message_id`` (printable, at most 64 characters) is passed to Rasa; ``?stream=true`` is
  not offered (one JSON answer);
- a message that could not be handled (an error, or no answer within ``deadline_s``
  when set in ``credentials.yml``) gets 503, ``Retry-After`` and "please try again":
  the turn was not stored. The message's text is never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import guard

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: Seconds a client should wait before sending a message again after a 503.
RETRY_AFTER_S = 2
TRY_AGAIN = "Sorry, I couldn't take that in just now. Please send it again in a moment."
MAX_MESSAGE_ID = 64


class BadRequest(ValueError):
    """A request the channel refuses, with its HTTP status."""

    def __init__(
        self, status: int, error: str, reply: str | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.reply = reply
        self.retry_after = retry_after

    def response(self, sender: str) -> HTTPResponse:
        """The JSON answer: the reply in the channel's shape if there is one, else the error."""
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        body: Any = {"error": self.error} if self.reply is None else replies(sender, self.reply)
        return response.json(body, status=self.status, headers=headers)


def replies(sender: str, text: str) -> list[dict[str, str]]:
    """A bot reply in the REST channel's shape."""
    return [{"recipient_id": sender, "text": text}]


def parse_body(body: bytes) -> dict[str, Any]:
    """The request's JSON object; :class:`BadRequest` if it is too large or not one."""
    if len(body) > guard.MAX_BODY_BYTES:
        raise BadRequest(413, f"request body larger than {guard.MAX_BODY_BYTES} bytes")
    try:
        payload = guard.load_json(body)
    except UnicodeDecodeError:
        raise BadRequest(400, "the body must be UTF-8 JSON") from None
    except ValueError:
        raise BadRequest(400, "the body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return payload


def message_id(payload: Mapping[str, Any]) -> str | None:
    """The client's message id if it is short printable text (else Rasa makes one)."""
    value = payload.get("message_id")
    if isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID and value.isprintable():
        return value
    return None


class CalxRestInput(guard.RateLimited, RestInput):  # type: ignore[misc]
    """Rasa's REST channel with input checks, rate limits and 503 when a turn fails."""

    @classmethod
    def name(cls) -> str:
        """``/webhooks/rest/``, as Rasa's own."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> CalxRestInput:
        """``deadline_s`` (optional): seconds a turn may take before the client gets 503."""
        deadline = (credentials or {}).get("deadline_s")
        return cls(float(deadline) if deadline else None)

    def __init__(self, deadline_s: float | None = None, api_token: str | None = None) -> None:
        self.deadline_s = deadline_s
        self._api_token = api_token

    @property
    def api_token(self) -> str:
        """The service token that makes a request staff (``CALX_API_TOKEN`` unless given)."""
        if self._api_token is None:
            from bot.settings import get_settings

            self._api_token = get_settings().api_token
        return self._api_token

    def _staff(self, request: Request) -> bool:
        return guard.bearer_matches(request.headers.get("Authorization"), self.api_token)

    async def _admit(self, request: Request, sender: str | None = None) -> None:
        """Count the request per address (no ``sender``) or per sender; 429 over a limit."""
        limiter = self.limiter
        if sender is None:
            ip = limiter.client_ip(request.ip, request.headers.get("X-Forwarded-For"))
            decision = await limiter.check(scope="chat", ip=ip)
        else:
            decision = await limiter.check(scope="chat", sender=sender)
        if not decision.allowed:
            wait = decision.retry_after_header
            raise BadRequest(
                429, f"too many requests ({decision.scope})", guard.too_fast(wait), wait
            )

    async def _handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        await self._admit(request)  # per address, before the body is read
        payload = parse_body(request.body or b"")
        sender = payload.get("sender")
        if not guard.valid_sender(sender):
            raise BadRequest(400, "sender must be printable text of 1 to 255 characters")
        await self._admit(request, sender)
        screened = guard.screen(payload.get("message"))
        if screened.text is None:
            if screened.status != 200:
                raise BadRequest(screened.status, "message refused", screened.reply)
            return response.json(replies(sender, screened.reply or guard.EMPTY))
        metadata = guard.with_removed(
            guard.clean_metadata(payload.get("metadata"), self.name()), screened
        )
        if self._staff(request):
            metadata = guard.as_staff(metadata)
        collector = CollectingOutputChannel()
        message = UserMessage(
            screened.text,
            collector,
            sender,
            input_channel=self.name(),
            metadata=metadata,
            message_id=message_id(payload),
        )
        try:
            await asyncio.wait_for(on_new_message(message), self.deadline_s)
        except asyncio.TimeoutError:
            log.warning("message not handled within %s s: asked to retry", self.deadline_s)
            return self._try_again(sender)
        except Exception as error:  # any failure: the person is asked to send it again
            log.warning("message not handled (%s): asked to retry", type(error).__name__)
            return self._try_again(sender)
        return response.json(collector.messages)

    @staticmethod
    def _try_again(sender: str) -> HTTPResponse:
        return response.json(
            replies(sender, TRY_AGAIN), status=503, headers={"Retry-After": str(RETRY_AFTER_S)}
        )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """``GET /webhooks/rest/`` (health) and ``POST /webhooks/rest/webhook``."""
        webhook = Blueprint("calx_rest", __name__)

        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request) -> HTTPResponse:
            try:
                return await self._handle(request, on_new_message)
            except BadRequest as refused:
                sender = _sender_of(request)
                return refused.response(sender)

        webhook.add_route(health, "/", methods=["GET"])
        webhook.add_route(receive, "/webhook", methods=["POST"])
        return webhook


def _sender_of(request: Request) -> str:
    """The sender of a refused request, if its body names a valid one (else empty)."""
    try:
        sender = guard.load_json(request.body or b"").get("sender")
    except (ValueError, AttributeError):
        return ""
    return sender if guard.valid_sender(sender) else ""
