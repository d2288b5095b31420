"""The clinician review console: HTML pages on ``/`` behind a login, and the export API.

:func:`install` adds to the web app: the console's pages (login, queue, summary
with labs, sign-off and export, the admins' audit log), the stylesheet under
``/static/``, and ``GET /api/conversations/{sender}/export`` (service token).
Templates are in ``bot/web/templates``, static files in ``bot/web/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI) -> None:
    """Mount the console on ``app`` (nothing connects to the database here)."""
    from bot.web.console import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
