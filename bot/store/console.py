"""Read queries of the clinician console: the review queue and the audit log.

Both are paged and filtered in SQL, so the pages stay fast with many interviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, select, true
from sqlalchemy.orm import Session

from bot.store.crud import EMERGENCY
from bot.store.models import STATUSES, AuditEntry, Conversation, RedFlagTold


@dataclass(frozen=True)
class QueueRow:
    """One interview in the queue."""

    conversation: Conversation
    red_flags: int
    #: The kind of an emergency told in it (``None``: none).
    emergency: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of results and how many there are in all."""

    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.offset + self.limit < self.total


def queue(
    session: Session,
    *,
    status: str | None = None,
    red_flag: bool | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QueueRow], Page]:
    """Interviews for review: emergencies, then red flags not yet reviewed, then newest first.

    ``status`` keeps one status, ``red_flag`` keeps interviews with (True) or
    without (False) a red flag told, ``search`` keeps ids containing the text
    (case-insensitive).
    """
    flags = (
        select(func.count(RedFlagTold.id))
        .where(RedFlagTold.conversation_id == Conversation.id)
        .scalar_subquery()
    )
    flagged = exists().where(RedFlagTold.conversation_id == Conversation.id)
    emergency = (
        select(RedFlagTold.kind)
        .where(RedFlagTold.conversation_id == Conversation.id, RedFlagTold.code == EMERGENCY)
        .limit(1)
        .scalar_subquery()
    )
    conditions = []
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        conditions.append(Conversation.status == status)
    if red_flag is not None:
        conditions.append(flagged if red_flag else ~flagged)
    if search:
        conditions.append(func.lower(Conversation.id).contains(search.lower(), autoescape=True))
    where = and_(true(), *conditions)
    open_ = Conversation.status != "reviewed"
    urgent = case((and_(emergency.isnot(None), open_), 0), (and_(flagged, open_), 1), else_=2)
    query = (
        select(Conversation, flags.label("red_flags"), emergency.label("emergency"))
        .where(where)
        .order_by(urgent, Conversation.created_at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [QueueRow(conv, int(count or 0), kind) for conv, count, kind in session.execute(query)]
    return rows, _page(session, Conversation, where, offset, limit)


def audit_log(
    session: Session,
    *,
    conversation_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEntry], Page]:
    """Audit entries, newest first, filtered by exact conversation id, actor and action."""
    conditions = []
    if conversation_id:
        conditions.append(AuditEntry.conversation_id == conversation_id)
    if actor:
        conditions.append(AuditEntry.actor == actor)
    if action:
        conditions.append(AuditEntry.action == action)
    where = and_(true(), *conditions)
    query = (
        select(AuditEntry)
        .where(where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    entries = list(session.execute(query).scalars())
    return entries, _page(session, AuditEntry, where, offset, limit)


def _page(session: Session, model: Any, where: Any, offset: int, limit: int) -> Page:
    """The page bounds with the number of ``model`` rows matching ``where``."""
    total = session.execute(select(func.count()).select_from(model).where(where)).scalar()
    return Page(int(total or 0), offset, limit)


def audit_actions(session: Session) -> list[str]:
    """The distinct action names in the audit log (for a filter)."""
    query = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return [str(action) for action in session.execute(query).scalars()]
