"""The console served for tests: users, a logged-in HTTP client, interviews seeded via the store."""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from webapp_server import BACKENDS, make_settings, serve

from bot import summary
from bot.console.passwords import hash_password
from bot.settings import Settings
from bot.store import crud, users
from bot.store.db import Database
from bot.web.app import create_app

__all__ = ["BACKENDS", "Console", "console_server", "make_settings", "seed", "serve"]

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

#: A finished interview: a red flag (infected lesion), unknown and free words.
RED_FLAG_ANSWERS: dict[str, tuple[Any, str]] = {
    "age": (52, "I'm 52"),
    "sex": ("female", "female"),
    "lesion_consistency": ("hard", "hard like little stones"),
    "lesion_locations": (["fingers", "elbows"], "on my fingers and elbows"),
    "lesion_infection_signs": ("yes", "one is red, warm and oozing"),
    "raynaud": ("yes", "my fingers go white in the cold"),
    "skin_thickening": ("yes", "the skin on my hands is tight"),
    "kidney_disease": ("unknown", "I don't know"),
}
CALM_ANSWERS: dict[str, tuple[Any, str]] = {
    "age": (30, "30"),
    "lesion_consistency": ("hard", "hard"),
    "lesion_locations": (["elbows"], "elbows"),
}


def seed(
    db: Database,
    cid: str,
    answers: Mapping[str, tuple[Any, str]] = CALM_ANSWERS,
    *,
    red_flags: Mapping[str, str] | None = None,
    complete: bool = True,
    respondent: str = "patient",
) -> None:
    """Store an interview through the store's CRUD functions, as the dialogue does."""
    with db.session() as session:
        crud.get_or_create_conversation(session, cid, channel="rest", consent=True)
        crud.record_answers(session, cid, dict(answers), respondent=respondent)
        for code, advice in (red_flags or {}).items():
            crud.record_red_flag(session, cid, code, advice)
        if complete:
            summary.complete_interview(session, cid)


def add_user(db: Database, role: str = "clinician", name: str | None = None) -> tuple[str, str]:
    """A new console user with a random password; returns (name, password)."""
    name = name or f"{role[:3]}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with db.session() as session:
        users.create_user(session, name, hash_password(password), role)
    return name, password


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@dataclass
class Console:
    """A running web app with the console: database, settings, base URL, users."""

    app: FastAPI
    db: Database
    settings: Settings
    base_url: str
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        """A fresh client without a session (redirects are not followed)."""
        return httpx.Client(base_url=self.base_url, follow_redirects=False)

    def login_response(self, client: httpx.Client, name: str, password: str) -> httpx.Response:
        """Post the login form as a browser would (fetching the form and its token first)."""
        form = client.get("/login")
        return client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf_token(form.text)},
        )

    @contextmanager
    def logged_in(self, role: str = "clinician") -> Iterator[httpx.Client]:
        """A client logged in as the console's clinician or admin."""
        with self.client() as client:
            name, password = self.accounts[role]
            response = self.login_response(client, name, password)
            assert response.status_code == 303, response.text
            yield client

    def api(self) -> httpx.Client:
        """A client with the service token (for ``/api/``)."""
        headers = {"Authorization": f"Bearer {self.settings.api_token}"}
        return httpx.Client(base_url=self.base_url, headers=headers)

    def audit(self, cid: str | None = None) -> list[tuple[str, str]]:
        """(actor, action) of the audit entries (of one conversation), oldest first."""
        with self.db.session() as session:
            return [(e.actor, e.action) for e in crud.audit_entries(session, cid, limit=100_000)]


@contextmanager
def console_server(db: Database, **overrides: Any) -> Iterator[Console]:
    """Serve the app on ``db`` with a clinician and an admin account."""
    settings = make_settings(db.url, **overrides)
    app = create_app(settings)
    with serve(app) as base_url:
        console = Console(app, db, settings, base_url)
        console.accounts["clinician"] = add_user(db, "clinician")
        console.accounts["admin"] = add_user(db, "admin")
        yield console
    db.dispose()


def require_tool(name: str) -> str:
    """The path of a system tool the test needs (``scripts/ci-system-deps.sh`` installs it).

    Missing, the test is skipped on a developer's machine but fails in CI (``CI`` or
    ``CALX_REQUIRE_SYSTEM_DEPS`` set), so CI never passes without running it.
    """
    import os
    import shutil

    import pytest

    found = shutil.which(name) or (
        name if os.path.isabs(name) and os.access(name, os.X_OK) else None
    )
    if found:
        return found
    message = f"{name} is missing: run scripts/ci-system-deps.sh (as root)"
    if os.environ.get("CI") or os.environ.get("CALX_REQUIRE_SYSTEM_DEPS"):
        pytest.fail(message)
    pytest.skip(message)
