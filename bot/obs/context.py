"""The id of the request being handled, for every log line written while handling it."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

#: The header a request id comes in and goes out with.
HEADER = "X-Request-ID"
#: What a request id given by a client (or a proxy) may look like: nothing to inject.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

_current: ContextVar[str | None] = ContextVar("calx_request_id", default=None)


def new_request_id() -> str:
    """A fresh random request id (32 hex characters)."""
    return uuid.uuid4().hex


def accept(header: str | bytes | None) -> str:
    """The request id to use: the given one if it is well formed, else a new one."""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    if header and _WELL_FORMED.match(header):
        return header
    return new_request_id()


def current() -> str | None:
    """The request id of the request being handled here (``None`` outside a request)."""
    return _current.get()


def bind(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` the current one; :func:`reset` with the token undoes it."""
    return _current.set(request_id)


def reset(token: Token[str | None]) -> None:
    """Restore the request id that was current before :func:`bind`."""
    _current.reset(token)
