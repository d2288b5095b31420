"""The conversation as it was typed, read (read-only) from Rasa's tracker store.

Rasa's SQL tracker store keeps one row per event in the ``events`` table of the
same database; user and bot messages carry their text in the JSON ``data``. The
table is absent until Rasa has run once: then there is no transcript (``None``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import inspect, text

from bot.store.db import Database

#: Most messages shown for one conversation.
MAX_MESSAGES = 2000


@dataclass(frozen=True)
class Message:
    """One message: who sent it (``person`` or ``bot``), the text, when."""

    sender: str
    text: str
    at: str | None


def _at(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), tz=timezone.utc).isoformat()


def read_transcript(
    database: Database, conversation_id: str, *, limit: int = MAX_MESSAGES
) -> list[Message] | None:
    """User and bot texts of a conversation in order; ``None`` if there is no tracker store."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("events"):
            return None
        rows = connection.execute(
            text(
                "SELECT type_name, timestamp, data FROM events "
                "WHERE sender_id = :sender AND type_name IN ('user', 'bot') "
                "ORDER BY id LIMIT :limit"
            ),
            {"sender": conversation_id, "limit": limit},
        )
        messages: list[Message] = []
        for type_name, timestamp, data in rows:
            try:
                event = json.loads(data) if data else {}
            except ValueError:
                continue
            said = event.get("text") if isinstance(event, dict) else None
            if not isinstance(said, str) or not said:
                continue
            sender = "person" if type_name == "user" else "bot"
            messages.append(Message(sender, said, _at(timestamp)))
        connection.rollback()
    return messages
