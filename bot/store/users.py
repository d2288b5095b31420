"""Console users and their sessions: small typed functions that take a session.

Passwords arrive here already hashed (argon2, see :mod:`bot.console.passwords`);
session cookies are stored as their SHA-256 digest, so a copy of the database
does not let anyone log in. Account changes and logins are written to the audit
log; the username is an actor name there, like ``"api"`` or ``"interview"``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.crud import INTERVIEW_ACTOR, audit
from bot.store.models import ROLES, USERNAME_LENGTH, ConsoleSession, User, utcnow

_USERNAME_RE = re.compile(rf"^[a-z][a-z0-9._-]{{1,{USERNAME_LENGTH - 1}}}$")
#: Actor names used by machines: no person may log in under them.
RESERVED_USERNAMES = frozenset({INTERVIEW_ACTOR, "api", "system", "admin-cli", "anonymous"})
#: The audit-log actor for account changes made on the command line.
CLI_ACTOR = "admin-cli"


class UserExists(ValueError):
    """A user with this name exists already."""


class UserNotFound(LookupError):
    """No user has this name."""


def check_username(username: str) -> str:
    """Return the username if it is allowed, else raise ``ValueError``.

    2..64 characters: lower-case letters, digits, ``.``, ``_`` and ``-``, starting
    with a letter; machine actor names (``api``, ``interview``...) are reserved.
    """
    if not isinstance(username, str) or not _USERNAME_RE.match(username):
        raise ValueError(
            f"a username is 2..{USERNAME_LENGTH} characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter"
        )
    if username in RESERVED_USERNAMES:
        raise ValueError(f"{username!r} is reserved for the system")
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


# -- users ----------------------------------------------------------------------------------


def create_user(
    session: Session, username: str, password_hash: str, role: str, *, actor: str = CLI_ACTOR
) -> User:
    """Add a user; raises :class:`UserExists` or ``ValueError`` (bad name or role). Audited."""
    check_username(username)
    _check_role(role)
    if get_user(session, username) is not None:
        raise UserExists(f"a user named {username!r} exists already")
    now = utcnow()
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        active=True,
        failed_logins=0,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # created by someone else meanwhile
        raise UserExists(f"a user named {username!r} exists already") from None
    audit(session, actor, "user_created", None, {"username": username, "role": role})
    return user


def get_user(session: Session, username: str) -> User | None:
    """Return the user with this name, or ``None``."""
    query = select(User).where(User.username == username)
    user: User | None = session.execute(query).scalar_one_or_none()
    return user


def require_user(session: Session, username: str) -> User:
    """Return the user with this name or raise :class:`UserNotFound`."""
    user = get_user(session, username)
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


def count_users(session: Session) -> int:
    """How many users there are (0 before the first ``create-user``)."""
    return int(session.execute(select(func.count(User.id))).scalar() or 0)


def list_users(session: Session) -> list[User]:
    """All users, by name."""
    return list(session.execute(select(User).order_by(User.username)).scalars())


def set_password_hash(
    session: Session, username: str, password_hash: str, *, actor: str = CLI_ACTOR
) -> User:
    """Replace a user's password hash, unlock the account and end its sessions. Audited."""
    user = require_user(session, username)
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_sessions_of(session, user)
    audit(session, actor, "password_changed", None, {"username": username})
    session.flush()
    return user


def rehash_password(session: Session, user: User, password_hash: str) -> None:
    """Store a stronger hash of the same password (after a login; not audited)."""
    user.password_hash = password_hash
    session.flush()


def set_active(session: Session, username: str, active: bool, *, actor: str = CLI_ACTOR) -> User:
    """Enable or disable a user (disabling ends its sessions). Audited."""
    user = require_user(session, username)
    user.active = active
    if not active:
        end_sessions_of(session, user)
    audit(
        session, actor, "user_enabled" if active else "user_disabled", None, {"username": username}
    )
    session.flush()
    return user


def unlock_user(session: Session, username: str, *, actor: str = CLI_ACTOR) -> User:
    """Clear a lock-out and the count of failed logins. Audited."""
    user = require_user(session, username)
    user.failed_logins = 0
    user.locked_until = None
    audit(session, actor, "user_unlocked", None, {"username": username})
    session.flush()
    return user


# -- logging in -----------------------------------------------------------------------------


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Whether the account is locked out at ``now`` (default: now)."""
    until: datetime | None = user.locked_until
    return until is not None and until > (now or utcnow())


def record_login_failure(
    session: Session, user: User | None, *, max_failures: int, lock_for: timedelta
) -> bool:
    """Count a wrong password; lock the account after ``max_failures`` in a row.

    ``user`` is ``None`` for an unknown username (only audited). Returns True if
    the account is locked now. Audited as ``login_failed`` (and ``account_locked``).
    """
    if user is None:
        audit(session, "anonymous", "login_failed", None, {"known_user": False})
        return False
    now = utcnow()
    if is_locked(user, now):
        audit(session, user.username, "login_refused_locked", None)
        return True
    user.failed_logins = (user.failed_logins or 0) + 1
    audit(session, user.username, "login_failed", None, {"failures": user.failed_logins})
    locked: bool = user.failed_logins >= max_failures
    if locked:
        user.locked_until = now + lock_for
        user.failed_logins = 0
        audit(
            session,
            user.username,
            "account_locked",
            None,
            {"until": user.locked_until.isoformat(), "after_failures": max_failures},
        )
    session.flush()
    return locked


def record_login_success(session: Session, user: User) -> None:
    """Reset the failure count and note the time of the login. Audited."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit(session, user.username, "login", None)
    session.flush()


# -- sessions -------------------------------------------------------------------------------


def session_digest(token: str) -> str:
    """The stored id of a session: the SHA-256 hex digest of its cookie token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    session: Session, user: User, *, lifetime: timedelta
) -> tuple[str, ConsoleSession]:
    """Start a session for ``user``; return the cookie token (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ConsoleSession(
        id=session_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_hex(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return token, row


def get_session(
    session: Session, token: str, *, idle_timeout: timedelta, touch_after: timedelta
) -> ConsoleSession | None:
    """Return the live session for a cookie token, or ``None``.

    A session is dead once expired, idle longer than ``idle_timeout``, or when its
    user is disabled or locked out; a dead session is deleted. ``last_seen_at``
    is moved on at most every ``touch_after`` (not on every request).
    """
    if not token or len(token) > 128:
        return None
    row: ConsoleSession | None = session.get(ConsoleSession, session_digest(token))
    if row is None:
        return None
    now = utcnow()
    user: User = row.user
    if (
        row.expires_at <= now
        or row.last_seen_at + idle_timeout <= now
        or not user.active
        or is_locked(user, now)
    ):
        session.delete(row)
        session.flush()
        return None
    if now - row.last_seen_at >= touch_after:
        row.last_seen_at = now
        session.flush()
    return row


def end_session(session: Session, token: str) -> bool:
    """Delete the session of a cookie token; True if there was one."""
    result = session.execute(
        delete(ConsoleSession).where(ConsoleSession.id == session_digest(token))
    )
    return bool(result.rowcount)


def end_sessions_of(session: Session, user: User) -> None:
    """Log a user out everywhere."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))


def purge_expired_sessions(session: Session) -> int:
    """Delete sessions past their expiry; return how many."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= utcnow()))
    return int(result.rowcount or 0)


def set_flash(session: Session, row: ConsoleSession, message: dict[str, Any] | None) -> None:
    """Keep a one-time message for the next page (codes and values only, no patient text)."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == row.id).values(flash=message))
    row.flash = message


def pop_flash(session: Session, row: ConsoleSession) -> dict[str, Any] | None:
    """Return the one-time message and forget it."""
    message: dict[str, Any] | None = row.flash
    if message is not None:
        set_flash(session, row, None)
    return message
