"""Console logins: session cookies, CSRF tokens, lock-out, roles.

- A login creates a server-side session (``console_sessions``); the browser holds
  a random token in an ``HttpOnly``, ``SameSite=Strict`` cookie, ``Secure`` (and
  named ``__Host-...``) unless the app runs on plain-http loopback for development
  (``Settings.secure_cookies``; always secure in production).
- Every form carries the session's CSRF token; the login form, before there is a
  session, carries an HMAC (``CALX_SECRET_KEY``) of a random cookie.
- After ``MAX_FAILED_LOGINS`` wrong passwords in a row an account is locked for
  ``LOCK_FOR``; ``python -m bot.console unlock NAME`` lifts it earlier.
- Console pages take only the session cookie: the service token is for ``/api/``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from bot.settings import Settings
from bot.store import users
from bot.store.db import Database
from bot.store.models import ConsoleSession

MAX_FAILED_LOGINS = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(minutes=60)
TOUCH_AFTER = timedelta(seconds=60)
CSRF_FIELD = "csrf_token"


class ConsoleError(Exception):
    """Raised inside a console route; turned into a page or a redirect (see ``routing``)."""

    status_code = 400
    message = "The request could not be handled."


class LoginRequired(ConsoleError):
    """No valid session: go to the login page."""

    status_code = 303
    message = "Please log in."


class Forbidden(ConsoleError):
    """Logged in, but the role does not allow this page."""

    status_code = 403
    message = "Your account does not have access to this page."


class CsrfRejected(ConsoleError):
    """A form without the right CSRF token (stale page, or sent from another site)."""

    status_code = 403
    message = "This form has expired. Go back, reload the page and try again."


class PageNotFound(ConsoleError):
    """No such conversation or page."""

    status_code = 404
    message = "There is no such page or conversation."


@dataclass(frozen=True)
class ConsoleUser:
    """The person logged in to the console."""

    username: str
    role: str
    session_id: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        """Whether the user may see the audit log."""
        return self.role == "admin"


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def database_of(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.db
    return database


def cookie_name(settings: Settings, base: str) -> str:
    """``__Host-`` prefixed when cookies are secure (bound to this host, path ``/``, HTTPS)."""
    return f"__Host-{base}" if settings.secure_cookies else base


def session_cookie(settings: Settings) -> str:
    """The name of the session cookie."""
    return cookie_name(settings, "calx_session")


def login_cookie(settings: Settings) -> str:
    """The name of the login form's CSRF cookie."""
    return cookie_name(settings, "calx_login")


def set_cookie(response: Response, settings: Settings, name: str, value: str) -> None:
    """Set a browser-session cookie: HttpOnly, SameSite=Strict, Secure when configured."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        path="/",
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    """Remove a cookie set by :func:`set_cookie`."""
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict"
    )


# -- the login form's CSRF token (no session yet) ---------------------------------------------


def login_form_token(settings: Settings, cookie_value: str) -> str:
    """The token the login form carries: an HMAC of the login cookie with the secret key."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"calx-login:" + cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()


def new_login_cookie() -> str:
    """A fresh random value for the login cookie."""
    return secrets.token_urlsafe(32)


def login_token_valid(settings: Settings, cookie_value: str | None, form_value: str) -> bool:
    """Whether the login form's token matches its cookie."""
    if not cookie_value or not form_value:
        return False
    return hmac.compare_digest(login_form_token(settings, cookie_value), form_value)


# -- who is logged in ---------------------------------------------------------------------


def current_user(request: Request) -> ConsoleUser:
    """Dependency: the logged-in user, or :class:`LoginRequired` (service tokens don't count)."""
    settings = settings_of(request)
    token = request.cookies.get(session_cookie(settings))
    if not token:
        raise LoginRequired()
    with database_of(request).session() as session:
        row = users.get_session(session, token, idle_timeout=IDLE_TIMEOUT, touch_after=TOUCH_AFTER)
        if row is None:
            raise LoginRequired()
        user = ConsoleUser(row.user.username, row.user.role, row.id, row.csrf_token)
    request.state.user = user
    return user


def require_admin(user: Annotated[ConsoleUser, Depends(current_user)]) -> ConsoleUser:
    """Dependency: the logged-in user must be an admin (:class:`Forbidden` otherwise)."""
    if not user.is_admin:
        raise Forbidden()
    return user


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def checked_form(
    user: Annotated[ConsoleUser, Depends(current_user)],
    fields: Annotated[dict[str, str], Depends(form_fields)],
) -> dict[str, str]:
    """Dependency: a form posted by the logged-in user with the session's CSRF token."""
    if not hmac.compare_digest(fields.get(CSRF_FIELD, "").encode(), user.csrf_token.encode()):
        raise CsrfRejected()
    return fields


User = Annotated[ConsoleUser, Depends(current_user)]
Admin = Annotated[ConsoleUser, Depends(require_admin)]
Form = Annotated[dict[str, str], Depends(checked_form)]


def keep_flash(request: Request, user: ConsoleUser, message: dict[str, Any]) -> None:
    """Keep a one-time message (codes and values only) for the user's next page."""
    with database_of(request).session() as session:
        row = session.get(ConsoleSession, user.session_id)
        if row is not None:
            users.set_flash(session, row, message)


def take_flash(request: Request, user: ConsoleUser) -> dict[str, Any] | None:
    """Return the one-time message kept for this page, if any, and forget it."""
    with database_of(request).session() as session:
        row = session.get(ConsoleSession, user.session_id)
        return None if row is None else users.pop_flash(session, row)
