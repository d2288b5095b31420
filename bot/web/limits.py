"""Request limits of the web app: body size (413) and a per-IP rate (429).

The body cap is enforced while the body is read; the rate limit (:mod:`bot.ratelimit`)
answers with ``Retry-After``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.ratelimit import RateLimiter

#: Largest request body accepted (the API only takes small JSON objects).
MAX_BODY_BYTES = 64 * 1024


class BodyTooLarge(HTTPException):
    """The request body is larger than allowed (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"request body larger than {limit} bytes",
        )


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` (declared or streamed) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check ``Content-Length`` first, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_too_large(send, self.max_bytes)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_too_large(send, self.max_bytes)


async def _send_too_large(send: Send, limit: int) -> None:
    await _send_json(
        send,
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        {"detail": f"request body larger than {limit} bytes"},
        [(b"connection", b"close")],
    )


class RateLimit:
    """ASGI middleware: per-IP rate limit (``bot.ratelimit``); 429 with ``Retry-After``."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, scope_name: str = "web") -> None:
        self.app = app
        self.limiter = limiter
        self.scope_name = scope_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its client's address; refuse it when over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        forwarded = headers.get(b"x-forwarded-for")
        peer = (scope.get("client") or ("", 0))[0]
        ip = self.limiter.client_ip(peer, forwarded.decode("latin-1") if forwarded else None)
        decision = await self.limiter.check(scope=self.scope_name, ip=ip)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        await _send_json(
            send,
            status.HTTP_429_TOO_MANY_REQUESTS,
            {"detail": f"too many requests: try again in {decision.retry_after_header} s"},
            [(b"retry-after", decision.retry_after_header.encode())],
        )


async def _send_json(
    send: Send, code: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
