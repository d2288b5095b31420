"""Password hashing with argon2id (argon2-cffi) and the password policy.

A login with an unknown username still runs one verification against a dummy
hash, so that the answer takes as long as for a known user.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Shortest password accepted (a passphrase of a few words is easy to type and strong).
MIN_LENGTH = 12
#: Longest password accepted (argon2 is slow on purpose; don't hash megabytes).
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current defaults


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only to spend the time")


def check_policy(password: str, username: str = "") -> str:
    """Return the password if acceptable, else raise ``ValueError`` saying why."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"the password must have at most {MAX_LENGTH} characters")
    if not password.strip() or password != password.strip("\r\n"):
        raise ValueError("the password must not be blank or end with a line break")
    if username and username.lower() in password.lower():
        raise ValueError("the password must not contain the username")
    if len(set(password)) < 5:
        raise ValueError("the password must not repeat so few characters")
    return password


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` (salted; a new string every time)."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (unknown user) spends the same time and fails."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)
