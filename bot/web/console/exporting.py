"""Summaries for the console and exports: read (with the advice actually given), render, audit."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot import summary as summary_service
from bot.export import FORMATS, filename, render
from bot.store import crud
from bot.store.db import Database
from bot.store.models import ID_LENGTH


def read_summary(session: Session, conversation_id: str) -> dict[str, Any] | None:
    """The summary of :func:`bot.summary.get_summary`, each red flag with ``advice_given``.

    ``advice_given`` is the text the person was told, as stored when it was told
    (the summary's ``advice`` is the rules' current wording).
    """
    if not 0 < len(conversation_id) <= ID_LENGTH:
        return None
    data = summary_service.get_summary(session, conversation_id)
    if data is None:
        return None
    told = {flag.code: flag.advice for flag in crud.get_red_flags(session, conversation_id)}
    data["red_flags"] = [
        {**flag, "advice_given": told.get(flag["code"])} for flag in data.get("red_flags") or []
    ]
    return data


def export_conversation(
    database: Database, conversation_id: str, export_format: str, *, actor: str, via: str
) -> bytes | None:
    """The conversation's summary as ``pdf`` or ``fhir`` bytes; ``None`` for an unknown id.

    The summary is read in one transaction and the export audited in another, so
    rendering (which takes a moment) holds no database lock.
    """
    with database.session() as session:
        data = read_summary(session, conversation_id)
    if data is None:
        return None
    body = render(data, export_format)
    with database.session() as session:
        detail = {"format": export_format, "via": via, "status": data["status"]}
        crud.audit(session, actor, "exported", conversation_id, detail)
    return body


def download(body: bytes, conversation_id: str, export_format: str) -> Response:
    """An export as a file download (``Content-Disposition: attachment``)."""
    name = filename(conversation_id, export_format)
    return Response(
        body,
        media_type=FORMATS[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
