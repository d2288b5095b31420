"""The web app factory: ``uvicorn --factory bot.web.app:create_app``.

The console (HTML pages, logins, exports: ``bot/web/console/``) is installed
beside the API router; ``/portal`` will be a router of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from bot.obs.asgi import RequestIdMiddleware
from bot.ratelimit import RateLimiter
from bot.settings import Settings, get_settings
from bot.store.db import Database
from bot.web import api, bodymap, console, portal
from bot.web.limits import MAX_BODY_BYTES, BodySizeLimit, RateLimit


def _warm_up_nlp() -> None:
    from bot.nlp import interpret  # heavy: loaded at start-up, never at import

    interpret("lesion_pain", "no")


def create_app(
    settings: Settings | None = None, *, max_body_bytes: int = MAX_BODY_BYTES
) -> FastAPI:
    """Build the app for ``settings`` (default: the environment); no connection is made yet."""
    if settings is None:
        settings = get_settings()
    settings.check_production()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the NLP pipeline before serving, so the first /api/interpret is not slow.
        await asyncio.to_thread(_warm_up_nlp)
        yield
        database.dispose()

    development = settings.env != "production"
    app = FastAPI(
        title="Calx",
        description="Calcinosis history-taking: summaries, labs and answer coding.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if development else None,
    )
    app.state.settings = settings
    app.state.db = database
    app.include_router(api.router)
    app.include_router(bodymap.router)  # /bodymap.svg, /bodymap.png: public, no identifiers
    console.install(app)  # pages on /, /static/, GET /api/conversations/{sender}/export
    portal.install(app)  # the patient-portal demo page /portal and the widget's files /widget/
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)

    @app.middleware("http")
    async def no_store(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    # Outermost first in the request's path: request id, then the rate limit.
    app.add_middleware(RateLimit, limiter=RateLimiter.from_settings(settings))
    app.add_middleware(RequestIdMiddleware)
    return app
