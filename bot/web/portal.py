"""The patient-portal demo page (``/portal``) and the widget's static files (``/widget/``).

The page is an example portal with the chat widget embedded as any portal would:
one ``<script>`` tag plus an optional JSON config block. The widget talks to the
Rasa server's socket.io channel (``CALX_WIDGET_SERVER_URL``, default
``CALX_RASA_URL``); the page's Content-Security-Policy allows scripts and styles
from this site only, and connections to this site and that server.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from bot.interview import emergency
from bot.settings import Settings

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
STATIC_DIR = WIDGET_DIR / "static"
#: Example same-day link of the demo portal (a real portal sets its own links); the
#: emergency link comes from the locale of the settings (its words and the number it dials).
DEMO_SAME_DAY_LINK = {"label": "Same-day advice: NHS 111", "href": "https://111.nhs.uk/"}


def urgent_links(settings: Settings) -> list[dict[str, str]]:
    """The demo portal's urgent-care links: the emergency number of ``CALX_LOCALE`` first."""
    where = emergency.locale(settings.locale, settings.emergency_number or None)
    links = [emergency.link(where)]
    if settings.locale == "en-GB":
        links.append(DEMO_SAME_DAY_LINK)
    return links


router = APIRouter()


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(WIDGET_DIR / "templates")), autoescape=True, trim_blocks=True
    )


def server_url(settings: Settings) -> str:
    """The Rasa server as the browser reaches it."""
    return (settings.widget_server_url or settings.rasa_url).rstrip("/")


def _origins(url: str) -> str:
    """``http(s)://host:port`` and its ``ws(s)://`` twin, for ``connect-src``."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    socket = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}"
    return f"{origin} {socket}"


def csp(settings: Settings) -> str:
    """The demo page's Content-Security-Policy (no inline script, no other site)."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {_origins(server_url(settings))}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def widget_config(settings: Settings) -> dict[str, Any]:
    """The demo portal's widget configuration (every key is optional for a real portal)."""
    return {
        "serverUrl": server_url(settings),
        "title": "Questions about skin lumps",
        "urgentLinks": urgent_links(settings),
        "privacyUrl": "/portal#privacy",
    }


@router.get("/portal", response_class=HTMLResponse, include_in_schema=False)
async def portal(request: Request) -> HTMLResponse:
    """The demo patient portal with the chat widget."""
    settings: Settings = request.app.state.settings
    html = (
        _templates().get_template("portal.html").render(config=json_block(widget_config(settings)))
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": csp(settings),
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        },
    )


def json_block(value: Any) -> Markup:
    """``value`` as JSON to put in ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with every markup character escaped


def install(app: FastAPI) -> None:
    """Mount ``/portal`` and the widget's files on ``app``."""
    app.include_router(router)
    app.mount("/widget", StaticFiles(directory=str(STATIC_DIR)), name="widget")
