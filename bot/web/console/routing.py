"""The console's route class: security headers on every response, errors as pages.

Console responses get a strict Content-Security-Policy (no script at all, only
this site's stylesheet), ``no-store`` caching (patient data), no framing and no
referrer to other sites. A :class:`~bot.web.console.auth.ConsoleError` raised by
a route or a dependency becomes a redirect to the login page or an error page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from bot.web.console.auth import (
    ConsoleError,
    LoginRequired,
    clear_cookie,
    session_cookie,
    settings_of,
)
from bot.web.console.templating import render

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def safe_next(target: str | None) -> str:
    """A local path to go back to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def error_response(request: Request, error: ConsoleError) -> Response:
    """The response for a console error: the login page for :class:`LoginRequired`."""
    if isinstance(error, LoginRequired):
        target = "/login"
        if request.method in ("GET", "HEAD") and request.url.path != "/":
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?" + urlencode({"next": wanted})
        response: Response = RedirectResponse(target, status_code=303)
        if request.cookies.get(session_cookie(settings_of(request))):
            clear_cookie(response, settings_of(request), session_cookie(settings_of(request)))
        return response
    return render(
        request,
        "error.html",
        {"message": error.message, "status": error.status_code},
        status_code=error.status_code,
    )


class ConsoleRoute(APIRoute):
    """An ``APIRoute`` whose responses carry the console's headers and show errors as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler (dependencies included)."""
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except ConsoleError as error:
                response = error_response(request, error)
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return console_handler
