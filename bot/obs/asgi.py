"""Request ids for the web app (ASGI): bound while the request is handled, sent back.

uvicorn's access line is written while the response starts, inside this middleware,
so it carries the request id too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.obs import context

_HEADER = context.HEADER.lower().encode()


class RequestIdMiddleware:
    """ASGI middleware: ``X-Request-ID`` from the request (if well formed) or a new one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bind the request id, add it to the response's headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(_HEADER)
        request_id = context.accept(given)
        scope.setdefault("state", {})["request_id"] = request_id
        token = context.bind(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER]
                message["headers"] = [*headers, (_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            context.reset(token)
