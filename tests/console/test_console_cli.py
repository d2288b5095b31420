"""``python -m bot.console``: accounts made on the command line, no default password."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from console_app import BACKENDS, console_server, make_settings, serve

from bot.console.__main__ import CommandFailed, read_password
from bot.console.passwords import hash_password
from bot.store import users
from bot.store.db import Database
from bot.store.testing import temporary_database
from bot.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
GOOD = "a long enough passphrase"


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    with temporary_database(request.param, directory=tmp_path_factory.mktemp("cli-db")) as database:
        yield database


def cli(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.console", "--url", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_create_user_then_log_in_with_it(db: Database) -> None:
    done = cli(
        db.url,
        "create-user",
        "dr.house",
        "--role",
        "clinician",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert "created clinician dr.house" in done.stdout and GOOD not in done.stdout
    with db.session() as session:
        user = users.require_user(session, "dr.house")
        assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
        assert user.role == "clinician" and user.active
    with console_server(db) as console, console.client() as client:
        assert console.login_response(client, "dr.house", GOOD).status_code == 303
        assert console.login_response(client, "dr.house", GOOD + "x").status_code == 401
    listed = cli(db.url, "list-users")
    assert "dr.house\tclinician\tactive" in listed.stdout and "argon2" not in listed.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (
            ["create-user", "shorty", "--role", "admin", "--password-stdin"],
            "short\n",
            2,
            "at least 12",
        ),
        (["create-user", "blank", "--role", "admin", "--password-stdin"], "", 2, "at least 12"),
        (
            ["create-user", "samename", "--role", "admin", "--password-stdin"],
            "samename-and-more\n",
            2,
            "username",
        ),
        (["create-user", "api", "--role", "admin", "--password-stdin"], GOOD + "\n", 1, "reserved"),
        (
            ["create-user", "Bad Name", "--role", "admin", "--password-stdin"],
            GOOD + "\n",
            1,
            "lower-case",
        ),
        (["create-user", "noprompt", "--role", "admin"], "", 2, "--password-stdin"),
        (["create-user", "x1", "--role", "root", "--password-stdin"], GOOD, 2, "invalid choice"),
        (["unlock", "nobody"], "", 1, "no user named"),
    ],
)
def test_bad_requests_create_nobody(
    db: Database, args: list[str], stdin: str, code: int, message: str
) -> None:
    done = cli(db.url, *args, stdin=stdin)
    assert done.returncode == code and message in done.stderr
    with db.session() as session:
        assert users.get_user(session, args[1].lower()) is None or args[1] == "nobody"


def test_a_name_is_taken_once(db: Database) -> None:
    first = cli(db.url, "create-user", "twice", "--role", "admin", "--password-stdin", stdin=GOOD)
    again = cli(
        db.url, "create-user", "twice", "--role", "clinician", "--password-stdin", stdin=GOOD
    )
    assert first.returncode == 0 and again.returncode == 1 and "exists" in again.stderr


def test_unlock_disable_enable_and_new_password(db: Database) -> None:
    assert (
        cli(
            db.url, "create-user", "nurse", "--role", "clinician", "--password-stdin", stdin=GOOD
        ).returncode
        == 0
    )
    from datetime import timedelta

    with db.session() as session:
        user = users.require_user(session, "nurse")
        assert users.record_login_failure(
            session, user, max_failures=1, lock_for=timedelta(hours=1)
        )
    assert "locked" in cli(db.url, "list-users").stdout
    assert cli(db.url, "unlock", "nurse").returncode == 0
    assert "nurse\tclinician\tactive" in cli(db.url, "list-users").stdout
    assert cli(db.url, "disable", "nurse").returncode == 0
    assert "nurse\tclinician\tdisabled" in cli(db.url, "list-users").stdout
    assert cli(db.url, "enable", "nurse").returncode == 0
    new = "another good passphrase"
    assert cli(db.url, "set-password", "nurse", "--password-stdin", stdin=new).returncode == 0
    with console_server(db) as console, console.client() as client:
        assert console.login_response(client, "nurse", GOOD).status_code == 401
        assert console.login_response(client, "nurse", new).status_code == 303


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    with temporary_database("sqlite", migrate=False, directory=tmp_path) as db:
        done = cli(
            db.url, "create-user", "early", "--role", "admin", "--password-stdin", stdin=GOOD
        )
    assert done.returncode == 2 and "python -m bot.store upgrade" in done.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_prompt_asks_twice() -> None:
    answers = iter([GOOD, GOOD])
    assert (
        read_password("x", from_stdin=False, stdin=_Terminal(), prompt=lambda _: next(answers))
        == GOOD
    )
    answers = iter([GOOD, GOOD + "?"])
    with pytest.raises(CommandFailed, match="differ"):
        read_password("x", from_stdin=False, stdin=_Terminal(), prompt=lambda _: next(answers))
    with pytest.raises(CommandFailed, match="--password-stdin"):
        read_password("x", from_stdin=False, stdin=io.StringIO(), prompt=lambda _: GOOD)


def test_the_login_page_says_how_to_make_the_first_account(tmp_path: Path) -> None:
    with temporary_database("sqlite", directory=tmp_path) as db:
        with serve(create_app(make_settings(db.url))) as base_url:
            empty = httpx.get(f"{base_url}/login").text
            with db.session() as session:
                users.create_user(session, "first-admin", hash_password(GOOD), "admin")
            later = httpx.get(f"{base_url}/login").text
        db.dispose()
    assert "There is no account yet" in empty and "create-user NAME --role admin" in empty
    assert "There is no account yet" not in later
