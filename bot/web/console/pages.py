"""The console's pages: login, queue, summary (labs, sign-off, export) and the audit log.

Forms post and redirect (no JavaScript); a one-time message kept in the session
carries what a lab entry changed to the summary page it redirects to. Views,
lab entries, sign-offs and exports are written to the audit log under the
user's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import summary as summary_service
from bot import workup
from bot.console.passwords import hash_password, needs_rehash, verify_password
from bot.export import FORMATS
from bot.export.changes import Changes, compare
from bot.export.report import STATUS_LABELS, CauseRow, build_report, causes
from bot.interview.emergency import label as emergency_label
from bot.knowledge import get_dictionary
from bot.store import console as console_store
from bot.store import crud, users
from bot.store.db import Database
from bot.store.models import ID_LENGTH, STATUSES, USERNAME_LENGTH, Conversation
from bot.web.console import auth
from bot.web.console.auth import (
    CSRF_FIELD,
    Admin,
    Form,
    PageNotFound,
    User,
    database_of,
    settings_of,
)
from bot.web.console.exporting import download, export_conversation, read_summary
from bot.web.console.routing import ConsoleRoute, safe_next
from bot.web.console.templating import cid_path, render
from bot.web.console.transcript import read_transcript

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

QUEUE_PAGE = 50
AUDIT_PAGE = 100
MAX_NOTE = 4000
NOTICES = {
    "signed_off": "Signed off as reviewed.",
    "no_change": "No lab value was changed.",
    "note_too_long": f"The note is longer than {MAX_NOTE} characters; nothing was saved.",
}


def _page_number(value: str) -> int:
    return max(1, min(int(value), 100_000)) if value.isdigit() else 1


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _summary_url(conversation_id: str, anchor: str = "") -> str:
    return f"/conversations/{cid_path(conversation_id)}" + (f"#{anchor}" if anchor else "")


# -- logging in and out ------------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    next_url: str,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    """The login form with a fresh CSRF cookie and token."""
    settings = settings_of(request)
    cookie = auth.new_login_cookie()
    try:
        with database_of(request).session() as session:
            no_accounts = users.count_users(session) == 0
    except SQLAlchemyError:  # no database or no schema yet: the form still shows
        no_accounts = False
    context = {
        "no_accounts": no_accounts,
        "token": auth.login_form_token(settings, cookie),
        "next": next_url,
        "error": error,
        "username": username,
        "max_failures": auth.MAX_FAILED_LOGINS,
        "lock_minutes": int(auth.LOCK_FOR.total_seconds() // 60),
    }
    response = render(request, "login.html", context, status_code=status_code)
    auth.set_cookie(response, settings, auth.login_cookie(settings), cookie)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """Show the login form."""
    return _login_page(request, next_url=safe_next(next))


def _log_in(
    database: Database, username: str, password: str, old_token: str | None
) -> tuple[str, str | None]:
    """Check a password; return (``ok``, session token), (``locked``, None) or (``wrong``, None).

    A successful login ends the browser's previous session, if it had one.
    """
    with database.session() as session:
        user = users.get_user(session, username) if username else None
        if user is not None and users.is_locked(user):
            users.record_login_failure(
                session, user, max_failures=auth.MAX_FAILED_LOGINS, lock_for=auth.LOCK_FOR
            )
            return "locked", None
        stored = user.password_hash if user is not None and user.active else None
        if not verify_password(stored, password):
            locked = users.record_login_failure(
                session, user, max_failures=auth.MAX_FAILED_LOGINS, lock_for=auth.LOCK_FOR
            )
            return ("locked" if locked else "wrong"), None
        assert user is not None  # verify_password fails without a hash
        users.record_login_success(session, user)
        if needs_rehash(user.password_hash):
            users.rehash_password(session, user, hash_password(password))
        users.purge_expired_sessions(session)
        if old_token:
            users.end_session(session, old_token)
        token, _ = users.create_session(session, user, lifetime=auth.SESSION_LIFETIME)
        return "ok", token


@router.post("/login")
def log_in(
    request: Request, fields: Annotated[dict[str, str], Depends(auth.form_fields)]
) -> Response:
    """Log in: a session cookie and back to where the user was going; or the form again."""
    settings = settings_of(request)
    next_url = safe_next(fields.get("next"))
    username = fields.get("username", "").strip().lower()[: USERNAME_LENGTH + 1]
    cookie = request.cookies.get(auth.login_cookie(settings))
    if not auth.login_token_valid(settings, cookie, fields.get(CSRF_FIELD, "")):
        message = "The log-in form had expired. Please try again."
        return _login_page(
            request, next_url=next_url, error=message, username=username, status_code=403
        )
    old_token = request.cookies.get(auth.session_cookie(settings))
    outcome, token = _log_in(database_of(request), username, fields.get("password", ""), old_token)
    if outcome == "ok" and token is not None:
        response = _redirect(next_url)
        auth.set_cookie(response, settings, auth.session_cookie(settings), token)
        auth.clear_cookie(response, settings, auth.login_cookie(settings))
        return response
    if outcome == "locked":
        minutes = int(auth.LOCK_FOR.total_seconds() // 60)
        message = (
            "This account is locked after too many failed log-ins. Try again in "
            f"{minutes} minutes, or ask an administrator to unlock it."
        )
        return _login_page(
            request, next_url=next_url, error=message, username=username, status_code=423
        )
    return _login_page(
        request,
        next_url=next_url,
        error="Wrong username or password.",
        username=username,
        status_code=401,
    )


@router.post("/logout")
def log_out(request: Request, user: User, fields: Form) -> Response:
    """End the session and go back to the login page."""
    settings = settings_of(request)
    with database_of(request).session() as session:
        users.end_session(session, request.cookies.get(auth.session_cookie(settings), ""))
        crud.audit(session, user.username, "logout")
    response = _redirect("/login")
    auth.clear_cookie(response, settings, auth.session_cookie(settings))
    return response


# -- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A row of the queue page."""

    id: str
    status: str
    status_label: str
    respondent: str
    red_flags: int
    top: CauseRow | None
    #: What kind of emergency the person was told to get help for (``None``: none).
    emergency: str | None
    created_at: str | None
    updated_at: str | None


def _queue_item(
    session: Session, conversation: Conversation, red_flags: int, emergency: str | None = None
) -> QueueItem:
    data = summary_service.get_summary(session, conversation.id) or {}
    ranked = causes((data.get("differential") or [])[:1])
    return QueueItem(
        id=conversation.id,
        status=conversation.status,
        status_label=STATUS_LABELS.get(conversation.status, conversation.status),
        respondent=conversation.respondent or "-",
        red_flags=red_flags,
        top=ranked[0] if ranked else None,
        emergency=emergency_label(emergency) if emergency else None,
        created_at=data.get("created_at"),
        updated_at=data.get("updated_at"),
    )


@router.get("/")
def queue_page(
    request: Request,
    user: User,
    status: str = "",
    red_flag: str = "",
    q: str = "",
    page: str = "1",
) -> Response:
    """Interviews newest first, red flags on top; filter by status and red flag, search by id."""
    filters = {
        "status": status if status in STATUSES else "",
        "red_flag": red_flag if red_flag in ("yes", "no") else "",
        "q": q.strip()[:ID_LENGTH],
    }
    page_no = _page_number(page)
    with database_of(request).session() as session:
        rows, found = console_store.queue(
            session,
            status=filters["status"] or None,
            red_flag={"yes": True, "no": False}.get(filters["red_flag"]),
            search=filters["q"] or None,
            limit=QUEUE_PAGE,
            offset=(page_no - 1) * QUEUE_PAGE,
        )
        items = [
            _queue_item(session, row.conversation, row.red_flags, row.emergency) for row in rows
        ]
    context = {
        "items": items,
        "page": found,
        "page_no": page_no,
        "filters": filters,
        "statuses": [(code, STATUS_LABELS[code]) for code in STATUSES],
    }
    return render(request, "queue.html", context, user=user)


# -- one conversation --------------------------------------------------------------------------


def _changes(summary: dict[str, Any], message: dict[str, Any]) -> Changes | None:
    """What a lab entry changed, re-computed from the labs before and after it."""
    before, after = message.get("before"), message.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    findings = summary.get("findings") or {}
    try:
        old = workup.assess(findings, before).to_dict()
        new = workup.assess(findings, after).to_dict()
    except ValueError:
        return None
    return compare(old, new, before, after)


@router.get("/conversations/{cid:path}")
def summary_page(request: Request, cid: str, user: User) -> Response:
    """The explained summary of one interview, with lab entry, sign-off and export."""
    database = database_of(request)
    with database.session() as session:
        data = read_summary(session, cid)
        if data is None:
            raise PageNotFound()
        crud.audit(session, user.username, "summary_viewed", cid, {"via": "console"})
    message = auth.take_flash(request, user) or {}
    if message.get("conversation_id") != cid:
        message = {}
    dictionary = get_dictionary()
    context = {
        "report": build_report(data),
        "changes": _changes(data, message) if message.get("kind") == "labs" else None,
        "notice": NOTICES.get(message.get("code", "")) if message.get("kind") == "notice" else None,
        "error": message.get("text") if message.get("kind") == "error" else None,
        "transcript": read_transcript(database, cid),
        "lab_names": {code: lab.name for code, lab in dictionary.labs.items()},
        "lab_fields": [
            {
                "code": code,
                "name": lab.name,
                "choices": lab.values,
                "current": (data.get("labs") or {}).get(code),
            }
            for code, lab in dictionary.labs.items()
        ],
        "max_note": MAX_NOTE,
    }
    return render(request, "summary.html", context, user=user)


@router.post("/labs/{cid:path}")
def enter_labs(request: Request, cid: str, user: User, fields: Form) -> Response:
    """Store the lab values chosen (validated), then show what moved."""
    chosen = {
        code: fields[f"lab_{code}"] for code in get_dictionary().labs if fields.get(f"lab_{code}")
    }
    with database_of(request).session() as session:
        if crud.get_conversation(session, cid) is None:
            raise PageNotFound()
        before = crud.get_labs(session, cid)
        changed = {code: value for code, value in chosen.items() if before.get(code) != value}
        message: dict[str, Any]
        if not changed:
            message = {"kind": "notice", "code": "no_change"}
        else:
            try:
                summary_service.add_labs(session, cid, changed, user.username)
            except ValueError as exc:
                message = {"kind": "error", "text": f"Nothing was saved: {exc}"}
            else:
                message = {"kind": "labs", "before": before, "after": {**before, **changed}}
    auth.keep_flash(request, user, {**message, "conversation_id": cid})
    anchor = "changes" if message["kind"] == "labs" else "labs"
    return _redirect(_summary_url(cid, anchor))


@router.post("/review/{cid:path}")
def sign_off(request: Request, cid: str, user: User, fields: Form) -> Response:
    """Sign the interview off as reviewed, with an optional note (who and when are kept)."""
    note = fields.get("note", "").replace("\r\n", "\n").strip()
    with database_of(request).session() as session:
        if crud.get_conversation(session, cid) is None:
            raise PageNotFound()
        if len(note) > MAX_NOTE:
            code = "note_too_long"
        else:
            crud.set_status(session, cid, "reviewed", actor=user.username, note=note or None)
            code = "signed_off"
    auth.keep_flash(request, user, {"kind": "notice", "code": code, "conversation_id": cid})
    return _redirect(_summary_url(cid, "review"))


@router.get("/export/{export_format}/{cid:path}")
def export(request: Request, export_format: str, cid: str, user: User) -> Response:
    """Download the summary as PDF or FHIR R4 JSON (audited)."""
    if export_format not in FORMATS:
        raise PageNotFound()
    body = export_conversation(
        database_of(request), cid, export_format, actor=user.username, via="console"
    )
    if body is None:
        raise PageNotFound()
    return download(body, cid, export_format)


# -- the audit log (admins only) ---------------------------------------------------------------


@router.get("/audit")
def audit_page(
    request: Request,
    user: Admin,
    conversation: str = "",
    actor: str = "",
    action: str = "",
    page: str = "1",
) -> Response:
    """Who did what and when, newest first (read-only)."""
    filters = {
        "conversation": conversation.strip()[:ID_LENGTH],
        "actor": actor.strip()[:255],
        "action": action.strip()[:64],
    }
    page_no = _page_number(page)
    with database_of(request).session() as session:
        entries, found = console_store.audit_log(
            session,
            conversation_id=filters["conversation"] or None,
            actor=filters["actor"] or None,
            action=filters["action"] or None,
            limit=AUDIT_PAGE,
            offset=(page_no - 1) * AUDIT_PAGE,
        )
        actions = console_store.audit_actions(session)
        crud.audit(session, user.username, "audit_viewed")
    context = {
        "entries": entries,
        "page": found,
        "page_no": page_no,
        "filters": filters,
        "actions": actions,
    }
    return render(request, "audit.html", context, user=user)
