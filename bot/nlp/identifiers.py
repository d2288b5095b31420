"""Identifiers in a message, found and taken out before anything stores the message.

Phone numbers, e-mail, postal addresses, health or insurance numbers, dates of birth.

Every channel calls :func:`redact` at its edge (``bot.channels.guard``), so neither Rasa's
tracker store nor the stored answers ever hold them; the interview tells the person gently
that they are not needed here, and a date of birth given for the age still gives the age.
Phone numbers are found by ``phonenumbers`` (Google's libphonenumber); the rest by the
shapes below (general knowledge of how the UK, US, Ireland, Canada and Australia write them).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

#: What replaces each kind in the text (the person's words otherwise kept as typed).
PLACEHOLDER = "({kind} removed)"
KINDS = (
    "email",
    "health_number",
    "insurance_number",
    "phone",
    "date_of_birth",
    "postal_address",
    "postcode",
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: NHS / CHI numbers (10 digits, often 3-3-4), Irish PPS, Medicare, "hospital no" + digits.
_HEALTH = re.compile(
    r"(?i)\b(?:(?:nhs|chi|hospital|mrn|medicare|patient|pps|health|mcn)\s*(?:no\.?|number|num|#|id)?"
    r"\s*[:#]?\s*)[A-Z]?\d[\d \-]{5,14}\d[A-Z]?\b|\b\d{3}[ -]\d{3}[ -]\d{4}\b"
)
#: US social security, UK national insurance, or any "insurance / NI / policy number ...".
_INSURANCE = re.compile(
    r"(?i)\b\d{3}-\d{2}-\d{4}\b|"
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b|"
    r"\b(?:national\s+insurance|ni|insurance|policy|member(?:ship)?|ssn|social\s+security)\s*"
    r"(?:no\.?|number|num|#|id)\s*(?:is)?\s*[:#]?\s*[A-Z]{0,3}\s?\d[\d\s\-]{4,16}\d(?:\s?[A-D]\b)?"
)
_DOB_CUE = r"(?:born(?:\s+on)?|d\.?o\.?b\.?|date\s+of\s+birth|birthday\s+is|bday)"
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTHS
    + r",?\s+(?:19|20)\d{2}|"
    + _MONTHS
    + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})"
)
_DOB = re.compile(rf"(?i)\b{_DOB_CUE}\s*[:\-]?\s*(?:on\s+)?(?P<date>{_DATE})")
_POSTCODE = re.compile(r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
_STREET = re.compile(
    r"(?i)\b\d{1,5}[a-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}(?:road|rd|street|st|avenue|ave|lane|ln|"
    r"close|drive|dr|way|crescent|place|court|terrace|gardens|grove|boulevard|blvd|square|"
    r"park|hill|row|mews|walk)\b\.?"
)


@dataclass(frozen=True)
class Redacted:
    """A message with its identifiers taken out."""

    text: str
    kinds: tuple[str, ...] = ()
    #: The age a date of birth gives (years, today), when one was given.
    age_from_birth_date: int | None = None
    spans: tuple[tuple[int, int], ...] = field(default=(), repr=False)

    @property
    def changed(self) -> bool:
        """Whether anything was taken out."""
        return bool(self.kinds)


def _age(date_text: str, today: datetime.date) -> int | None:
    from dateutil import parser

    try:
        born = parser.parse(date_text, dayfirst=True, fuzzy=True).date()
    except (ValueError, OverflowError):
        return None
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years if 0 <= years <= 130 else None


def _phones(text: str) -> list[tuple[int, int]]:
    import phonenumbers

    found: list[tuple[int, int]] = []
    for region in ("GB", "US", "IE", "AU"):
        matcher = phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        for match in matcher:
            digits = sum(c.isdigit() for c in match.raw_string)
            if digits >= 9:  # a phone number, not an age, a dose or a year
                found.append((match.start, match.end))
    return found


def redact(text: str, today: datetime.date | None = None) -> Redacted:
    """``text`` without identifiers (each replaced by ``[<kind> removed]``)."""
    today = today or datetime.date.today()
    spans: list[tuple[int, int, str]] = []
    age = None
    for match in _DOB.finditer(text):
        spans.append((match.start(), match.end(), "date_of_birth"))
        age = _age(match.group("date"), today)
    for kind, pattern in (
        ("email", _EMAIL),
        ("health_number", _HEALTH),
        ("insurance_number", _INSURANCE),
        ("postal_address", _STREET),
        ("postcode", _POSTCODE),
    ):
        spans += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    spans += [(start, end, "phone") for start, end in _phones(text)]
    if not spans:
        return Redacted(text)
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and start < kept[-1][1]:
            continue  # inside an identifier already taken out
        kept.append((start, end, kind))
    out, last = [], 0
    for start, end, kind in kept:
        out += [text[last:start], PLACEHOLDER.format(kind=kind.replace("_", " "))]
        last = end
    out.append(text[last:])
    kinds = tuple(dict.fromkeys(kind for _, _, kind in kept))
    return Redacted("".join(out), kinds, age, tuple((s, e) for s, e, _ in kept))
