"""Request ids and access lines for the Sanic apps (the Rasa server, the action server)."""

from __future__ import annotations

import logging
import time
from typing import Any

from sanic import Sanic
from sanic.request import Request

from bot.obs import context
from bot.obs.logs import EXTRA

ACCESS = logging.getLogger("calx.access")


async def _on_request(request: Request) -> None:
    request_id = context.accept(request.headers.get(context.HEADER))
    request.ctx.request_id = request_id
    request.ctx.started = time.perf_counter()
    # The connection's task handles one request at a time: the next one binds its own.
    context.bind(request_id)


async def _on_response(request: Request, response: Any) -> None:
    request_id = getattr(request.ctx, "request_id", None) or context.accept(None)
    if response is None:
        return
    response.headers[context.HEADER] = request_id
    started = getattr(request.ctx, "started", None)
    duration = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    status = getattr(response, "status", None)
    ACCESS.info(
        "%s %s %s",
        request.method,
        request.path,
        status,
        extra={
            EXTRA: {
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration,
                "client": request.remote_addr or request.ip,
            }
        },
    )


def install(app: Sanic, *, max_body_bytes: int | None = None) -> Sanic:
    """Give every request of ``app`` a request id (header in and out) and an access line.

    ``max_body_bytes`` caps every request body (Sanic answers 413 above it).
    """
    if getattr(app.ctx, "calx_obs", False):
        return app
    app.ctx.calx_obs = True
    if max_body_bytes is not None:
        app.config.REQUEST_MAX_SIZE = max_body_bytes
    app.register_middleware(_on_request, "request")
    app.register_middleware(_on_response, "response")
    return app
