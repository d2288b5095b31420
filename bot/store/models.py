"""SQLAlchemy models of Calx's own tables.

Rasa's tracker store keeps its ``events`` table in the same database; it is not
declared here and Alembic ignores it (see ``migrations/env.py``). Every schema
change comes with an Alembic migration in ``migrations/versions/``; a test checks
that the models and the migrations agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, declared_attr, relationship
from sqlalchemy.types import TypeDecorator

#: Constraint names that are the same on every backend (Alembic needs names to alter them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STATUSES: tuple[str, ...] = ("in_progress", "complete", "reviewed")
RESPONDENTS: tuple[str, ...] = ("patient", "proxy", "clinician")

#: Longest id Rasa accepts for a sender (its ``events.sender_id`` column).
ID_LENGTH = 255
CODE_LENGTH = 64
ACTOR_LENGTH = 255

metadata = MetaData(naming_convention=NAMING_CONVENTION)

if TYPE_CHECKING:

    class Base:
        """Typed stand-in for the declarative base (SQLAlchemy 1.4 has no stubs here)."""

        metadata: MetaData
        __table__: Any

        def __init__(self, **kwargs: Any) -> None: ...

else:
    Base = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):  # type: ignore[misc]
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps it as ``timestamptz``; SQLite, which has no time zones, as
    the naive UTC time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert to UTC (naive values are taken to be UTC already)."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Conversation(Base):
    """One interview, keyed by the Rasa sender id; holds the stored engine result."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'complete', 'reviewed')", name="status_valid"),
        CheckConstraint(
            "respondent IS NULL OR respondent IN ('patient', 'proxy', 'clinician')",
            name="respondent_valid",
        ),
        Index("ix_conversations_status_updated_at", "status", "updated_at"),
    )

    id = Column(String(ID_LENGTH), primary_key=True)
    channel = Column(String(CODE_LENGTH), nullable=True)
    respondent = Column(String(16), nullable=True)
    consent = Column(Boolean, nullable=True)
    status = Column(String(16), nullable=False, default="in_progress")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = Column(UTCDateTime, nullable=True)
    rules_version = Column(String(CODE_LENGTH), nullable=True)
    #: ``{"findings": ..., "labs": ..., "assessment": Assessment.to_dict()}`` at the
    #: last time the engine ran for this conversation (completion or new labs).
    result = Column(JSON, nullable=True)
    reviewed_by = Column(String(ACTOR_LENGTH), nullable=True)
    reviewed_at = Column(UTCDateTime, nullable=True)
    review_note = Column(Text, nullable=True)

    answers = relationship(
        "Answer", back_populates="conversation", cascade="all, delete-orphan", lazy="selectin"
    )
    labs = relationship(
        "LabResult", back_populates="conversation", cascade="all, delete-orphan", lazy="selectin"
    )
    red_flags = relationship(
        "RedFlagTold",
        back_populates="conversation",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="RedFlagTold.told_at",
    )


class _PartOfConversation:
    """Columns of a row that belongs to one conversation (deleted with it)."""

    id = Column(Integer, primary_key=True, autoincrement=True)

    @declared_attr  # type: ignore[untyped-decorator]
    def conversation_id(cls) -> Column:  # SQLAlchemy passes the class
        """The conversation this row belongs to."""
        return Column(
            String(ID_LENGTH), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        )


class Answer(_PartOfConversation, Base):
    """The coded answer to one finding, with the person's own words."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("conversation_id", "finding"),)

    finding = Column(String(CODE_LENGTH), nullable=False)
    #: The canonical coded value (string, integer or list; ``"unknown"`` allowed).
    value = Column(JSON, nullable=False)
    #: What the person typed when they gave this answer (patient text: never logged).
    words = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="answers")


class LabResult(_PartOfConversation, Base):
    """A lab value entered for a conversation (by a clinician or a machine client)."""

    __tablename__ = "labs"
    __table_args__ = (UniqueConstraint("conversation_id", "lab"),)

    lab = Column(String(CODE_LENGTH), nullable=False)
    value = Column(String(CODE_LENGTH), nullable=False)
    entered_by = Column(String(ACTOR_LENGTH), nullable=False)
    entered_at = Column(UTCDateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="labs")


class RedFlagTold(_PartOfConversation, Base):
    """A red flag the person was told about (told once per conversation)."""

    __tablename__ = "red_flags"
    __table_args__ = (UniqueConstraint("conversation_id", "code"),)

    code = Column(String(CODE_LENGTH), nullable=False)
    advice = Column(Text, nullable=False)
    told_at = Column(UTCDateTime, nullable=False, default=utcnow)
    #: For code ``emergency``: what kind (chest_pain, stroke, ... CONTRACT.md), else empty.
    kind = Column(String(CODE_LENGTH), nullable=True)

    conversation = relationship("Conversation", back_populates="red_flags")


class AuditEntry(Base):
    """Append-only record of who did what; kept when a conversation is reset or deleted.

    ``conversation_id`` is deliberately not a foreign key. ``actor`` is a name
    (``"api"``, ``"interview"``, later a console user's name).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_conversation_id_at", "conversation_id", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    actor = Column(String(ACTOR_LENGTH), nullable=False)
    action = Column(String(CODE_LENGTH), nullable=False)
    conversation_id = Column(String(ID_LENGTH), nullable=True)
    detail = Column(JSON, nullable=True)


# -- console users and their sessions --------------------------------------------------------

ROLES: tuple[str, ...] = ("clinician", "admin")
USERNAME_LENGTH = 64
#: Length of a SHA-256 hex digest (session ids are stored hashed, never as sent).
DIGEST_LENGTH = 64


class User(Base):
    """A person who logs in to the clinician console (password hashed with argon2)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('clinician', 'admin')", name="role_valid"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(USERNAME_LENGTH), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    #: Wrong passwords in a row since the last successful login.
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = Column(UTCDateTime, nullable=True)


class ConsoleSession(Base):
    """A logged-in browser: the SHA-256 of its cookie token, its CSRF token, its expiry."""

    __tablename__ = "console_sessions"

    id = Column(String(DIGEST_LENGTH), primary_key=True)
    user_id = Column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(DIGEST_LENGTH), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)
    #: A one-time message for the next page (codes and values only, never patient text).
    flash = Column(JSON, nullable=True)

    user = relationship("User", lazy="joined")


# -- Rasa's conversation events, as the event worker saw them (bot.events) --------------------

EVENT_KEY_LENGTH = 64  # SHA-256 hex of the event's identity


class ConversationEvent(Base):
    """One Rasa event of a conversation (type and intent/action name, never the text).

    Written by ``python -m bot.events`` from the event broker (``source`` ``broker``) or,
    for events the broker lost, from Rasa's ``events`` table (``sweep``); ``event_key``
    makes a redelivered event a no-op.
    """

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_conversation_events_conversation_id_at", "conversation_id", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    event_key = Column(String(EVENT_KEY_LENGTH), nullable=False, unique=True)
    conversation_id = Column(String(ID_LENGTH), nullable=False)
    type = Column(String(CODE_LENGTH), nullable=False)
    name = Column(String(ACTOR_LENGTH), nullable=True)
    at = Column(UTCDateTime, nullable=False)
    received_at = Column(UTCDateTime, nullable=False, default=utcnow)
    source = Column(String(16), nullable=False)


class EventCheckpoint(Base):
    """How far a reader of Rasa's ``events`` table got (the id below which all is seen)."""

    __tablename__ = "event_checkpoints"

    name = Column(String(CODE_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False, default=0)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
