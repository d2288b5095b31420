"""Who is calling: the service token for machine clients (console logins come later).

Every route that needs a caller depends on :func:`require_api_token` (or, later,
on a console-session dependency) and gets a :class:`Principal`, whose ``actor``
name goes into the audit log.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from bot.settings import Settings

#: The audit-log actor for requests made with the service token.
SERVICE_ACTOR = "api"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    actor: str
    kind: str = "service"


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or wrong bearer token (Authorization: Bearer <CALX_API_TOKEN>)",
        headers={"WWW-Authenticate": "Bearer"},
    )


def bearer_token(request: Request) -> str | None:
    """Return the token of an ``Authorization: Bearer ...`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def token_matches(given: str, expected: str) -> bool:
    """Compare tokens in constant time; an empty expected token never matches."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_api_token(request: Request) -> Principal:
    """Dependency: the caller must present the service token; 401 otherwise."""
    settings: Settings = request.app.state.settings
    token = bearer_token(request)
    if token is None or not token_matches(token, settings.api_token):
        raise _unauthorized()
    return Principal(actor=SERVICE_ACTOR)
