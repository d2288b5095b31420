"""Recording Rasa's events: identity, idempotent insert, and the sweep of Rasa's table.

An event's identity is its conversation and its whole serialised form (Rasa puts the
same ``event.as_dict()`` on the broker and in its ``events`` table), so an event
redelivered by RabbitMQ, or found again by the sweep, is recorded once. What is kept
is the type, the intent or action name and the time, never the text.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.store.models import (
    ACTOR_LENGTH,
    CODE_LENGTH,
    ID_LENGTH,
    Conversation,
    ConversationEvent,
    EventCheckpoint,
    utcnow,
)

#: The checkpoint of the sweep over Rasa's ``events`` table.
SWEEP_CHECKPOINT = "rasa_events"
#: The sweep leaves rows younger than this to the broker; older rows' lower-id
#: neighbours are all committed, so its checkpoint can move past them.
SWEEP_LAG_S = 30.0
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class EventRow:
    """What is kept of one event."""

    event_key: str
    conversation_id: str
    type: str
    name: str | None
    at: datetime


def event_key(sender_id: str, event: Mapping[str, Any]) -> str:
    """SHA-256 of the conversation id and the event's canonical JSON (without ``sender_id``)."""
    body = {k: v for k, v in event.items() if k != "sender_id"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{sender_id}\0{canonical}".encode()).hexdigest()


def _name(event: Mapping[str, Any]) -> str | None:
    """The intent of a user event, the name of an action, slot or form; never a text."""
    if event.get("event") == "user":
        intent = (event.get("parse_data") or {}).get("intent") or {}
        name = intent.get("name") if isinstance(intent, dict) else None
    else:
        name = event.get("name")
    return str(name)[:ACTOR_LENGTH] if isinstance(name, str) and name else None


def to_row(sender_id: Any, event: Mapping[str, Any]) -> EventRow | None:
    """The row for one event, or None if it is not a Rasa event of a conversation."""
    kind, stamp = event.get("event"), event.get("timestamp")
    if not isinstance(sender_id, str) or not 0 < len(sender_id) <= ID_LENGTH:
        return None
    if not isinstance(kind, str) or not isinstance(stamp, (int, float)):
        return None
    return EventRow(
        event_key=event_key(sender_id, event),
        conversation_id=sender_id,
        type=kind[:CODE_LENGTH],
        name=_name(event),
        at=datetime.fromtimestamp(float(stamp), timezone.utc),
    )


def record(session: Session, rows: Iterable[EventRow], source: str) -> int:
    """Insert the rows not yet recorded, bring the conversations' last activity forward.

    Returns how many rows were new. Running it again with the same rows changes nothing.
    """
    unique = {row.event_key: row for row in rows}
    if not unique:
        return 0
    now = utcnow()
    values = [{**row.__dict__, "source": source, "received_at": now} for row in unique.values()]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ConversationEvent.__table__)
        .values(values)
        .on_conflict_do_nothing(index_elements=["event_key"])
    )
    inserted = int(session.execute(statement).rowcount or 0)
    latest: dict[str, datetime] = {}
    for row in unique.values():
        latest[row.conversation_id] = max(row.at, latest.get(row.conversation_id, row.at))
    for conversation_id, at in latest.items():
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.updated_at < at)
            .values(updated_at=at)
            .execution_options(synchronize_session=False)
        )
    return inserted


def sweep(session: Session, *, lag_s: float = SWEEP_LAG_S, limit: int = SWEEP_BATCH) -> int:
    """Record events of Rasa's ``events`` table past the checkpoint; return how many were new.

    Only rows older than ``lag_s`` seconds are read (the broker delivers the others
    first). Without a Rasa ``events`` table yet, nothing happens.
    """
    checkpoint = session.get(EventCheckpoint, SWEEP_CHECKPOINT)
    position = checkpoint.position if checkpoint is not None else 0
    try:
        with session.begin_nested():
            result = session.execute(
                text(
                    "SELECT id, sender_id, data, timestamp FROM events "
                    "WHERE id > :position ORDER BY id LIMIT :limit"
                ),
                {"position": position, "limit": limit},
            ).all()
    except (ProgrammingError, OperationalError):  # Rasa has not created its table yet
        return 0
    rows: list[EventRow] = []
    horizon = time.time() - lag_s
    for _row_id, sender_id, data, stamp in result:
        if stamp is None or float(stamp) >= horizon:
            break  # recent: the broker's to deliver (the next sweep looks again)
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            event = None
        found = to_row(sender_id, event) if isinstance(event, dict) else None
        if found is not None:
            rows.append(found)
    new = record(session, rows, "sweep")
    settled = _settled(result, position, horizon)
    if checkpoint is None:
        session.add(EventCheckpoint(name=SWEEP_CHECKPOINT, position=settled, updated_at=utcnow()))
    elif settled > position:
        checkpoint.position = settled
        checkpoint.updated_at = utcnow()
    return new


def _settled(result: Iterable[Any], position: int, horizon: float) -> int:
    """The id up to which every row read is older than ``horizon`` (rows are in id order)."""
    settled = position
    for row_id, _sender, _data, stamp in result:
        if stamp is None or float(stamp) >= horizon:
            break
        settled = int(row_id)
    return settled


def counts(session: Session, conversation_id: str) -> dict[str, int]:
    """How many events of each type are recorded for a conversation."""
    query = (
        select(ConversationEvent.type, func.count())
        .where(ConversationEvent.conversation_id == conversation_id)
        .group_by(ConversationEvent.type)
    )
    return {str(kind): int(n) for kind, n in session.execute(query)}
