"""Exports for the console and the API: read the summary, render it, audit the export."""

from __future__ import annotations

from bot import summary as summary_service
from bot.export import render
from bot.store import crud
from bot.store.db import Database
from bot.store.models import ID_LENGTH


def export_conversation(
    database: Database, conversation_id: str, export_format: str, *, actor: str, via: str
) -> bytes | None:
    """The conversation's summary as ``pdf`` or ``fhir`` bytes; ``None`` for an unknown id.

    The summary is read in one transaction and the export audited in another, so
    rendering (which takes a moment) holds no database lock.
    """
    if not 0 < len(conversation_id) <= ID_LENGTH:
        return None
    with database.session() as session:
        data = summary_service.get_summary(session, conversation_id)
    if data is None:
        return None
    body = render(data, export_format)
    with database.session() as session:
        detail = {"format": export_format, "via": via, "status": data["status"]}
        crud.audit(session, actor, "exported", conversation_id, detail)
    return body
