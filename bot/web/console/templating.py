"""Jinja2 templates of the console (``bot/web/templates``), always autoescaped.

Every value is escaped by Jinja; nothing in the templates is marked ``safe``, so
a patient's ``<script>`` is shown as text.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.export.report import percent, when
from bot.web.console.auth import CSRF_FIELD, ConsoleUser

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def cid_path(conversation_id: str) -> str:
    """A conversation id as one URL path segment (``/``, ``?``, ``#``, ``%`` encoded)."""
    return quote(conversation_id, safe="")


def _stamp(value: datetime) -> str:
    """A stored time to the second, in UTC (for the audit log)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _detail(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment (autoescape on, undefined names are errors)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["percent"] = percent
    env.filters["cid"] = cid_path
    env.filters["detail"] = _detail
    env.filters["stamp"] = _stamp
    env.filters["label"] = lambda code: str(code).replace("_", " ")
    env.globals["urlencode"] = urlencode
    env.globals["csrf_field"] = CSRF_FIELD
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    user: ConsoleUser | None = None,
) -> HTMLResponse:
    """Render ``template`` with the logged-in user (if any) and ``context``."""
    values: dict[str, Any] = {
        "request": request,
        "user": user if user is not None else getattr(request.state, "user", None),
        "path": request.url.path,
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
