"""What every channel checks before a message reaches Rasa: text, size, rate.

- :func:`clean`: control characters, lone surrogates and non-characters removed (they
  break storage: PostgreSQL refuses NUL), Unicode normalised (NFC), and no leading
  ``/`` (Rasa would read ``/intent{...}`` as an intent with entities: a person could
  set answers without saying them). Right-to-left text and emoji are kept.
- :func:`screen`: a message that is not text, longer than :data:`MAX_MESSAGE_CHARS`
  or with nothing visible after cleaning (whitespace, zero-width and private-use
  characters, lone accents) gets a clear reply instead of a turn (nothing is stored);
  identifiers (phone numbers, e-mail, addresses, health or insurance numbers, dates of
  birth: :mod:`bot.nlp.identifiers`) are taken out before anything stores the text, and
  :func:`with_removed` tells the interview what was (``calx.removed``, ``calx.birth_age``).
- :func:`too_fast`: the reply when a sender or an address is over its rate limit.
- :func:`clean_metadata`: the only metadata a client may attach; :func:`as_staff` marks a
  message whose sender the channel itself verified as staff (never the client's word).
"""

from __future__ import annotations

import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from bot.ratelimit import RateLimiter, get_limiter

#: Longest user message (characters); longer ones are refused with a reply, never cut.
MAX_MESSAGE_CHARS = 5000
#: Largest request body a chat channel reads (a message and a little JSON around it).
MAX_BODY_BYTES = 64 * 1024
#: Longest sender id (the tracker store's column).
MAX_SENDER_CHARS = 255

_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_LANG = re.compile(r"[A-Za-z-]{2,12}")

EMPTY = "I didn't get any text there. Please type your answer (or \"I don't know\")."
NOT_TEXT = "I can only read text. Please type your answer."


def too_long(length: int) -> str:
    """The reply to a message over :data:`MAX_MESSAGE_CHARS`."""
    return (
        f"That message is too long for me ({length} characters). Please send it in parts "
        f"of at most {MAX_MESSAGE_CHARS} characters."
    )


def too_fast(retry_after: str) -> str:
    """The reply to a sender (or an address) over its rate limit."""
    return (
        "You're sending messages faster than I can read them. Please wait "
        f"{retry_after} s, then send your last message again."
    )


def clean(text: str) -> str:
    """``text`` without characters that can't be stored or would be read as commands."""
    text = unicodedata.normalize("NFC", _UNWANTED.sub("", text))
    return text.strip().lstrip("/").strip()


def _visible(char: str) -> bool:
    """Not whitespace, a format or private-use character, or a lone combining mark."""
    category = unicodedata.category(char)
    return category[0] not in "ZC" and category != "Mn" and not char.isspace()


@dataclass(frozen=True)
class Screened:
    """A message checked: ``text`` to pass on, or a ``reply`` (and an HTTP status) instead."""

    text: str | None
    reply: str | None = None
    status: int = 200
    #: Kinds of identifiers taken out of ``text`` (``bot.nlp.identifiers``).
    removed: tuple[str, ...] = ()
    #: The age a date of birth in the message gave.
    birth_age: int | None = None


def screen(raw: Any) -> Screened:
    """Check a message as it came in; never raises."""
    if not isinstance(raw, str):
        return Screened(None, NOT_TEXT, 400)
    if len(raw) > MAX_MESSAGE_CHARS:
        return Screened(None, too_long(len(raw)), 413)
    text = clean(raw)
    if not any(_visible(char) for char in text):
        return Screened(None, EMPTY, 200)
    from bot.nlp.identifiers import redact

    redacted = redact(text)
    return Screened(redacted.text, removed=redacted.kinds, birth_age=redacted.age_from_birth_date)


def with_removed(metadata: dict[str, Any], screened: Screened) -> dict[str, Any]:
    """``metadata`` saying which identifiers the channel took out of the message."""
    if not screened.removed:
        return metadata
    calx = dict(metadata.get("calx") or {})
    calx["removed"] = list(screened.removed)
    if screened.birth_age is not None:
        calx["birth_age"] = screened.birth_age
    return {**metadata, "calx": calx}


def load_json(body: bytes) -> Any:
    """A request body's JSON; ``ValueError`` for anything else (bad UTF-8, nesting too deep)."""
    try:
        return json.loads(body.decode("utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (platform payloads vary)."""
    return value if isinstance(value, Mapping) else {}


def valid_sender(sender: Any) -> TypeGuard[str]:
    """Whether ``sender`` can be a conversation id (printable text up to 255 characters)."""
    return (
        isinstance(sender, str)
        and 0 < len(sender) <= MAX_SENDER_CHARS
        and sender.isprintable()
        and sender.strip() == sender
    )


def clean_metadata(raw: Any, channel: str) -> dict[str, Any]:
    """``{"calx": {"channel": channel, "hidden"?: True, "lang"?: str}}`` from a client's metadata.

    Anything else a client sends (a respondent, another channel) is dropped.
    """
    calx: dict[str, Any] = {"channel": channel}
    given = raw.get("calx") if isinstance(raw, Mapping) else None
    if isinstance(given, Mapping):
        if given.get("hidden") is True:
            calx["hidden"] = True
        lang = given.get("lang")
        if isinstance(lang, str) and _LANG.fullmatch(lang):
            calx["lang"] = lang
    return {"calx": calx}


#: The metadata key (under ``calx``) of a message whose sender the channel verified as staff.
STAFF = "staff"


def as_staff(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` marked as sent by staff (only a channel that verified it may call this)."""
    calx = dict(metadata.get("calx") or {})
    calx[STAFF] = True
    return {**metadata, "calx": calx}


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header is ``Bearer <token>`` (constant time; no empty token)."""
    if not token or not header:
        return False
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


class RateLimited:
    """Mixin: a channel's rate limiter, the process's own unless one is set (tests)."""

    _limiter: RateLimiter | None = None

    @property
    def limiter(self) -> RateLimiter:
        """The limiter (the process's, from the settings, made on first use)."""
        if self._limiter is None:
            self._limiter = get_limiter()
        return self._limiter

    @limiter.setter
    def limiter(self, value: RateLimiter) -> None:
        self._limiter = value
