"""``python -m bot.console``: manage the accounts of the clinician console.

Commands (the database is ``CALX_DATABASE_URL`` unless ``--url`` is given)::

    create-user NAME --role clinician|admin [--password-stdin]
    set-password NAME [--password-stdin]    new password; unlocks, logs out everywhere
    unlock NAME                             clear a lock-out after failed logins
    disable NAME | enable NAME              stop or allow logging in
    list-users                              names, roles, state (never hashes)

The password is asked twice at a prompt, or read as one line from standard input
with ``--password-stdin`` (for scripts). There is no default password. Run
``python -m bot.store upgrade`` first.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from bot.console.passwords import check_policy, hash_password
from bot.store import users
from bot.store.db import Database
from bot.store.models import ROLES

EXIT_USAGE = 2


class CommandFailed(Exception):
    """A command could not be done; the message is for the person at the terminal."""


def read_password(
    username: str,
    *,
    from_stdin: bool,
    stdin: TextIO | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> str:
    """Read a new password (one stdin line, or twice at a prompt) and check the policy."""
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        if not (stdin or sys.stdin).isatty():
            raise CommandFailed("no terminal to ask for a password: use --password-stdin")
        password = prompt(f"New password for {username}: ")
        if prompt("Repeat it: ") != password:
            raise CommandFailed("the two passwords differ")
    try:
        return check_policy(password, username)
    except ValueError as exc:
        raise CommandFailed(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.console", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--url", help="database URL (default: CALX_DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="add a console user")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    password = sub.add_parser("set-password", help="give a user a new password")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    for name, text in (
        ("unlock", "clear a lock-out"),
        ("disable", "stop a user from logging in"),
        ("enable", "allow a disabled user again"),
    ):
        sub.add_parser(name, help=text).add_argument("name")
    sub.add_parser("list-users", help="list the users")
    return parser


def _database(url: str | None) -> Database:
    if url is None:
        from bot.settings import get_settings

        url = get_settings().database_url
    db = Database(url)
    if not db.ping():
        raise CommandFailed(f"cannot reach the database {db!r}")
    if db.current_revision() != db.head_revision():
        raise CommandFailed("the database schema is not current: run python -m bot.store upgrade")
    return db


def run(args: argparse.Namespace, out: TextIO) -> None:
    """Do one parsed command, printing what was done to ``out``."""
    password = ""
    if args.command == "create-user":
        users.check_username(args.name)  # before asking for a password
    if args.command in ("create-user", "set-password"):
        password = read_password(args.name, from_stdin=args.password_stdin)
    db = _database(args.url)
    try:
        with db.session() as session:
            if args.command == "create-user":
                users.create_user(session, args.name, hash_password(password), args.role)
                print(f"created {args.role} {args.name}", file=out)
            elif args.command == "set-password":
                users.set_password_hash(session, args.name, hash_password(password))
                print(f"new password set for {args.name}; their sessions were ended", file=out)
            elif args.command == "unlock":
                users.unlock_user(session, args.name)
                print(f"unlocked {args.name}", file=out)
            elif args.command in ("disable", "enable"):
                users.set_active(session, args.name, args.command == "enable")
                print(f"{args.command}d {args.name}", file=out)
            else:
                for user in users.list_users(session):
                    state = "active" if user.active else "disabled"
                    if users.is_locked(user):
                        state = "locked"
                    last = user.last_login_at.isoformat() if user.last_login_at else "never"
                    print(f"{user.username}\t{user.role}\t{state}\tlast login {last}", file=out)
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        run(args, sys.stdout)
    except (CommandFailed, ValueError, LookupError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, CommandFailed) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
