"""The storage API: small typed functions that take a session.

The caller owns the transaction (``with db.session() as session: ...`` commits at
the end). Values are validated against the data dictionary before they are
stored, so the tables only ever hold canonical codes. Patient text (``words``)
is stored but never logged, and is kept out of the audit log.

Actors are plain names: ``"interview"`` for the dialogue, ``"api"`` for the
service token, later a console user's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.knowledge import get_dictionary
from bot.store.models import (
    CODE_LENGTH,
    ID_LENGTH,
    RESPONDENTS,
    STATUSES,
    Answer,
    AuditEntry,
    Conversation,
    LabResult,
    RedFlagTold,
    utcnow,
)

#: The actor the dialogue (action server) writes as.
INTERVIEW_ACTOR = "interview"

_CODE_RE = re.compile(rf"^[a-z][a-z0-9_]{{0,{CODE_LENGTH - 1}}}$")


class ConversationNotFound(LookupError):
    """No conversation has this id."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"no conversation {conversation_id!r}")
        self.conversation_id = conversation_id


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as stored: the coded value and the person's own words."""

    value: Any
    words: str | None
    updated_at: datetime


# -- conversations --------------------------------------------------------------------------


def _check_id(conversation_id: str) -> str:
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= ID_LENGTH:
        raise ValueError(f"a conversation id is 1..{ID_LENGTH} characters")
    return conversation_id


def _check_respondent(respondent: str | None) -> str | None:
    if respondent is not None and respondent not in RESPONDENTS:
        raise ValueError(f"respondent must be one of {', '.join(RESPONDENTS)}, not {respondent!r}")
    return respondent


def get_conversation(session: Session, conversation_id: str) -> Conversation | None:
    """Return the conversation, or ``None`` if there is none with this id."""
    conversation: Conversation | None = session.get(Conversation, conversation_id)
    return conversation


def require_conversation(session: Session, conversation_id: str) -> Conversation:
    """Return the conversation or raise :class:`ConversationNotFound`."""
    conversation = get_conversation(session, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


def get_or_create_conversation(
    session: Session,
    conversation_id: str,
    *,
    channel: str | None = None,
    respondent: str | None = None,
    consent: bool | None = None,
) -> Conversation:
    """Return the conversation (created ``in_progress`` if new), updating what is given.

    ``channel``, ``respondent`` and ``consent`` overwrite the stored values when not
    ``None``; leave them out to keep what is there.
    """
    _check_id(conversation_id)
    _check_respondent(respondent)
    conversation = get_conversation(session, conversation_id)
    now = utcnow()
    if conversation is None:
        conversation = Conversation(
            id=conversation_id, status="in_progress", created_at=now, updated_at=now
        )
        session.add(conversation)
        audit(session, INTERVIEW_ACTOR, "conversation_started", conversation_id)
    changed = False
    for name, value in (("channel", channel), ("respondent", respondent), ("consent", consent)):
        if value is not None and getattr(conversation, name) != value:
            setattr(conversation, name, value)
            changed = True
    if changed:
        conversation.updated_at = now
    session.flush()
    return conversation


def list_conversations(
    session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[Conversation]:
    """Conversations, most recently updated first, optionally of one status."""
    query = select(Conversation).order_by(Conversation.updated_at.desc(), Conversation.id)
    if status is not None:
        query = query.where(Conversation.status == _check_status(status))
    return list(session.execute(query.limit(limit).offset(offset)).scalars())


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return status


def set_status(
    session: Session,
    conversation_id: str,
    status: str,
    *,
    actor: str,
    note: str | None = None,
) -> Conversation:
    """Set the status; ``reviewed`` also records who reviewed it, when, and the note.

    ``complete`` sets ``completed_at`` the first time. Audited.
    """
    _check_status(status)
    conversation = require_conversation(session, conversation_id)
    now = utcnow()
    previous = conversation.status
    conversation.status = status
    conversation.updated_at = now
    if status == "in_progress":
        conversation.completed_at = None
    elif conversation.completed_at is None:
        conversation.completed_at = now
    if status == "reviewed":
        conversation.reviewed_by = actor
        conversation.reviewed_at = now
        conversation.review_note = note
    audit(
        session,
        actor,
        "status_changed",
        conversation_id,
        {"from": previous, "to": status, "note": note is not None},
    )
    session.flush()
    return conversation


def store_result(
    session: Session,
    conversation_id: str,
    result: Mapping[str, Any],
    rules_version: str,
) -> Conversation:
    """Store the engine's result (and the inputs it was computed from) for a conversation."""
    conversation = require_conversation(session, conversation_id)
    conversation.result = dict(result)
    conversation.rules_version = rules_version
    conversation.updated_at = utcnow()
    session.flush()
    return conversation


def reset_conversation(session: Session, conversation_id: str, *, actor: str) -> Conversation:
    """Start over: forget answers, red flags told (not an emergency), respondent, consent, result.

    Labs (entered by clinicians about the patient) and the audit log are kept.
    The status goes back to ``in_progress``.
    """
    conversation = require_conversation(session, conversation_id)
    session.execute(delete(Answer).where(Answer.conversation_id == conversation_id))
    session.execute(
        delete(RedFlagTold).where(
            RedFlagTold.conversation_id == conversation_id, RedFlagTold.code != EMERGENCY
        )
    )
    conversation.status = "in_progress"
    conversation.respondent = None
    conversation.consent = None
    conversation.result = None
    conversation.rules_version = None
    conversation.completed_at = None
    conversation.reviewed_by = None
    conversation.reviewed_at = None
    conversation.review_note = None
    conversation.updated_at = utcnow()
    audit(session, actor, "conversation_reset", conversation_id)
    session.flush()
    session.expire(conversation, ["answers", "red_flags"])
    return conversation


# -- answers --------------------------------------------------------------------------------


def record_answers(
    session: Session,
    conversation_id: str,
    answers: Mapping[str, tuple[Any, str | None]],
    *,
    respondent: str | None = None,
    channel: str | None = None,
    actor: str = INTERVIEW_ACTOR,
) -> dict[str, Any]:
    """Store ``{finding code: (value, the person's words)}``; return the canonical values.

    Creates the conversation if needed. Values are checked with the data
    dictionary (``ValueError`` on an unknown code or a value not allowed, and
    nothing is stored then); ``"unknown"`` is a valid value, ``None`` is not (an
    answer not understood is not stored). NUL characters are dropped from text.
    Answering a finding again updates its
    row. A changed answer on a finished conversation is audited, and a reviewed
    conversation goes back to ``complete`` since the review no longer covers it.
    """
    values = get_dictionary().check_findings(
        {code: _clean(pair[0]) for code, pair in answers.items()}
    )
    conversation = get_or_create_conversation(
        session, conversation_id, respondent=respondent, channel=channel
    )
    existing = {a.finding: a for a in conversation.answers}
    now = utcnow()
    changed: list[str] = []
    for code, value in values.items():
        words = _clean(answers[code][1])
        row = existing.get(code)
        if row is None:
            conversation.answers.append(
                Answer(finding=code, value=value, words=words, created_at=now, updated_at=now)
            )
            changed.append(code)
        elif row.value != value or row.words != words:
            if row.value != value:
                changed.append(code)
            row.value = value
            row.words = words
            row.updated_at = now
    if changed:
        conversation.updated_at = now
        if conversation.status != "in_progress":
            status = "complete"  # a review no longer covers changed answers
            detail = {"findings": changed, "from": conversation.status, "to": status}
            audit(session, actor, "answers_changed", conversation_id, detail)
            conversation.status = status
    session.flush()
    return values


def _clean(value: Any) -> Any:
    """Drop NUL characters from text: PostgreSQL cannot store them and they carry no meaning."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def get_answers(session: Session, conversation_id: str) -> dict[str, StoredAnswer]:
    """Return ``{finding code: StoredAnswer}`` in dictionary order (empty if none)."""
    rows = session.execute(
        select(Answer).where(Answer.conversation_id == conversation_id)
    ).scalars()
    by_code = {row.finding: StoredAnswer(row.value, row.words, row.updated_at) for row in rows}
    return _in_dictionary_order(by_code, list(get_dictionary().findings))


def get_findings(session: Session, conversation_id: str) -> dict[str, Any]:
    """Return the coded findings ``{code: value}`` answered so far."""
    return {code: answer.value for code, answer in get_answers(session, conversation_id).items()}


def _in_dictionary_order(items: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    rank = {code: i for i, code in enumerate(order)}
    return {code: items[code] for code in sorted(items, key=lambda c: (rank.get(c, len(rank)), c))}


# -- labs -----------------------------------------------------------------------------------


def set_labs(
    session: Session, conversation_id: str, labs: Mapping[str, Any], *, actor: str
) -> dict[str, str]:
    """Store lab values (a lab entered again replaces the old value); audited.

    Raises ``ValueError`` for an unknown lab code or value (nothing is stored)
    and :class:`ConversationNotFound` for an unknown conversation.
    """
    conversation = require_conversation(session, conversation_id)
    checked = get_dictionary().check_labs(dict(labs))
    existing = {row.lab: row for row in conversation.labs}
    now = utcnow()
    for code, value in checked.items():
        row = existing.get(code)
        if row is None:
            conversation.labs.append(
                LabResult(lab=code, value=value, entered_by=actor, entered_at=now)
            )
        else:
            row.value = value
            row.entered_by = actor
            row.entered_at = now
    conversation.updated_at = now
    audit(session, actor, "labs_entered", conversation_id, {"labs": checked})
    session.flush()
    return checked


def get_labs(session: Session, conversation_id: str) -> dict[str, str]:
    """Return the lab values ``{code: value}`` entered for a conversation."""
    rows = session.execute(
        select(LabResult).where(LabResult.conversation_id == conversation_id)
    ).scalars()
    return _in_dictionary_order({r.lab: r.value for r in rows}, list(get_dictionary().labs))


# -- red flags ------------------------------------------------------------------------------


def record_red_flag(session: Session, conversation_id: str, code: str, advice: str) -> bool:
    """Record that the person was told red flag ``code``; False if they already were.

    Use the return value to tell each red flag once per conversation. Creates
    the conversation if needed.
    """
    if not _CODE_RE.match(code):
        raise ValueError(f"{code!r} is not a red-flag code")
    conversation = get_or_create_conversation(session, conversation_id)
    if any(flag.code == code for flag in conversation.red_flags):
        return False
    conversation.red_flags.append(RedFlagTold(code=code, advice=advice, told_at=utcnow()))
    conversation.updated_at = utcnow()
    audit(session, INTERVIEW_ACTOR, "red_flag_told", conversation_id, {"code": code})
    session.flush()
    return True


#: The red flag of an emergency told (``bot.nlp.emergency``): kept through "start over".
EMERGENCY = "emergency"


def record_emergency(
    session: Session, conversation_id: str, kind: str, advice: str, *, channel: str | None = None
) -> bool:
    """Record that the person was told to get emergency help (``kind``: CONTRACT.md).

    Creates the conversation if needed (an emergency is kept even before consent: no words
    of the person are stored with it). Each emergency told is audited; the red flag
    ``emergency`` keeps the first kind and its time. ``False`` if one was recorded before.
    """
    if not _CODE_RE.match(kind):
        raise ValueError(f"{kind!r} is not an emergency kind")
    conversation = get_or_create_conversation(session, conversation_id, channel=channel)
    audit(session, INTERVIEW_ACTOR, "emergency_told", conversation_id, {"kind": kind})
    conversation.updated_at = utcnow()
    if any(flag.code == EMERGENCY for flag in conversation.red_flags):
        session.flush()
        return False
    conversation.red_flags.append(
        RedFlagTold(code=EMERGENCY, advice=advice, kind=kind, told_at=utcnow())
    )
    session.flush()
    return True


def get_red_flags(session: Session, conversation_id: str) -> list[RedFlagTold]:
    """Return the red flags told in a conversation, oldest first."""
    query = (
        select(RedFlagTold)
        .where(RedFlagTold.conversation_id == conversation_id)
        .order_by(RedFlagTold.told_at, RedFlagTold.id)
    )
    return list(session.execute(query).scalars())


# -- audit log ------------------------------------------------------------------------------


def audit(
    session: Session,
    actor: str,
    action: str,
    conversation_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the audit log (never put patient text in ``detail``)."""
    if not actor:
        raise ValueError("an audit entry needs an actor")
    if not _CODE_RE.match(action):
        raise ValueError(f"{action!r} is not an action name (lower_snake_case)")
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        conversation_id=conversation_id,
        detail=dict(detail) if detail is not None else None,
    )
    session.add(entry)
    return entry


def audit_entries(
    session: Session, conversation_id: str | None = None, *, limit: int = 200
) -> list[AuditEntry]:
    """Return audit entries (of one conversation, if given), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if conversation_id is not None:
        query = query.where(AuditEntry.conversation_id == conversation_id)
    return list(session.execute(query.limit(limit)).scalars())
