"""Numbers from free text: ages, onset ages and lipid values.

Ages: "I'm 49", "62F", "7 weeks old", "about 2 years ago"; lipids: "LDL 7.8", "cholesterol
was 8".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.nlp.text import (
    AMOUNT_RE,
    DURATION_RE,
    NUMBER_RE,
    STANDALONE_NUMBER_RE,
    UNIT_RE,
    duration_years,
    word_number,
)

MAX_AGE = 130

#: "62F", "45 yo M", "a 70-year-old woman": an age with the sex right after it.
AGE_SEX_RE = re.compile(
    r"\b(?P<age>\d{1,3})\s*(?:-?\s*(?:yo|y/o|y\.o\.|yrs?|years?)(?:[\s-]*old)?)?\s*[-/ ]?\s*"
    r"(?P<sex>f|m|female|male|woman|man|girl|boy|lady|gentleman)\b"
)
#: An age said as an age: "I'm 49", "she is 5", "aged 62", "49 years old", "age: 15".
AGE_CUE_RE = re.compile(
    rf"(?:\b(?:i'm|i\s+am|im|(?:s?he|they)(?:'s|\s+is|\s+are|'re)|(?:he|she)\s+turned|"
    r"(?:my|our|the)\s+\w+\s+(?:is|'s)|is|aged?|age\s*[:=]?|turned|turning)\s+"
    rf"(?:just\s+|about\s+|around\s+|nearly\s+|almost\s+)?(?P<a>{NUMBER_RE})\b(?!\s*(?:%|kg|cm|lb|mm))"
    rf"|\b(?P<b>{NUMBER_RE})\s*(?:-|\s)?(?:years?|yrs?|y)(?:\s*-?\s*old|\s*/?\s*o\b|o\b)"
    rf"|\b(?P<c>\d{{1,3}})\s*(?:yo|y/o|y\.o\.?)(?!\w))"
)
#: An infant's age: "7 weeks old", "3 months old", "10 days old".
INFANT_RE = re.compile(
    rf"\b(?P<n>{NUMBER_RE}|a\s+few|a\s+couple\s+of|a)\s*(?:-|\s)?(?P<u>months?|mos?|weeks?|wks?|days?)\s*-?\s*old\b"
)
NEWBORN_RE = re.compile(r"\b(?:new\s*-?\s*born|neonate|neonatal|just\s+born)\b")


def _numbers(text: str) -> list[str]:
    return [n for n in STANDALONE_NUMBER_RE.findall(text) if n not in ("a", "an")]


def _as_age(value: float | None) -> int | None:
    if value is None or value < 0 or value > MAX_AGE:
        return None
    return int(value)


def infant_age(text: str) -> int | None:
    """0 for "7 weeks old"/"newborn", months >= 12 turned into years, else None."""
    match = INFANT_RE.search(text)
    if match:
        amount = match.group("n")
        n = word_number(amount) if amount not in ("a few", "a couple of", "a") else 1.0
        if n is None:
            return None
        unit = match.group("u")
        months = n if unit.startswith("mo") else n / 4.345 if unit.startswith("w") else n / 30.4
        return int(months // 12)
    if NEWBORN_RE.search(text):
        return 0
    return None


_BARE_INFANT_RE = re.compile(
    rf"^\s*(?:(?:s?he|it|they)(?:'s|\s+is|\s+are)\s+|about\s+|around\s+|nearly\s+|just\s+|only\s+|"
    r"almost\s+|barely\s+)*"
    rf"(?P<n>{NUMBER_RE})\s*(?P<u>months?|mos?|weeks?|wks?|days?)\s*[.!]*\s*$"
)


_BARE_YEARS_RE = re.compile(
    rf"^\s*(?:about\s+|around\s+|nearly\s+|almost\s+|just\s+)?(?P<n>{NUMBER_RE})\s*"
    r"(?:years?|yrs?|y)(?:\s+of\s+age|\s+old)?\s*[.!]*\s*$"
)


#: An age to come: "she'll be 7 in March", "turning 50 next month" (one year less now).
_FUTURE_AGE_RE = re.compile(
    rf"\b(?:will\s+be|'ll\s+be|turns|turning|is\s+going\s+to\s+be)\s+(?P<n>{NUMBER_RE})\b"
    r"(?!\s*(?:months?|weeks?|days?))"
)
#: "I'm 70 next birthday": the age after the next birthday.
_NEXT_BIRTHDAY_RE = re.compile(
    rf"\b(?P<n>{NUMBER_RE})\s+(?:on\s+my\s+|at\s+(?:my|his|her)\s+)?next\s+birthday\b"
)


def parse_age(text: str) -> int | None:
    """Return the age a normalised answer to "how old" gives, or None (never a guess)."""
    future = _NEXT_BIRTHDAY_RE.search(text) or _FUTURE_AGE_RE.search(text)
    if future and (
        future.re is _NEXT_BIRTHDAY_RE
        or not re.search(r"\b(?:is|'s|am|'m|aged?)\s+(?:just\s+)?\d", text)
    ):
        now = _as_age(word_number(future.group("n")))
        return now - 1 if now else None
    infant = infant_age(text)
    if infant is not None:
        return infant
    bare = _BARE_INFANT_RE.search(text)
    if bare:
        return infant_age(f"{bare.group('n')} {bare.group('u')} old")
    years = _BARE_YEARS_RE.search(text)
    if years:
        return _as_age(word_number(years.group("n")))
    match = AGE_SEX_RE.search(text)
    if match:
        return _as_age(float(match.group("age")))
    cued = [m.group("a") or m.group("b") or m.group("c") for m in AGE_CUE_RE.finditer(text)]
    values = {_as_age(word_number(c)) for c in cued if c}
    values.discard(None)
    if len(values) == 1:
        return values.pop()
    if values:
        return None
    plain = {_as_age(word_number(n)) for n in _numbers(text)}
    plain.discard(None)
    if len(plain) == 1 and not DURATION_RE.search(text):
        return plain.pop()
    return None


def sex_of_age_answer(text: str) -> str | None:
    """Return the sex given next to an age ("62F", "45 yo male"), else None."""
    match = AGE_SEX_RE.search(text)
    if not match:
        return None
    return "female" if match.group("sex") in _FEMALE_WORDS else "male"


#: A span of time: "2 years", "six months", "a couple of weeks", "3y", "10 yrs".
_DUR = rf"{AMOUNT_RE}(?:(?<=\d)\s*|\s+|\s*-\s*){UNIT_RE}(?:\s+and\s+a\s+half)?"
_AGO_RE = re.compile(
    rf"\b(?P<dur>{_DUR})\s*(?:ago|back|before|earlier|previously)\b"
    r"|\b(?:been|had\s+(?:them|it|these|this|those|the\s+lumps?))\s+(?:there\s+|around\s+|here\s+)?"
    rf"(?:for\s+)?(?:about|around|roughly|nearly|almost|over|like|~)?\s*\b(?P<been>{_DUR})\b"
    r"|\b(?:for|over|in|since|during)\s+(?:the\s+)?(?:last|past)?\s*"
    rf"(?:about|around|roughly|nearly|almost|~)?\s*\b(?P<for>{_DUR})\b"
    r"|^\s*(?:(?:idk|dunno|not\s+sure|i\s+don't\s+know|hmm+|um+|erm*)[,\s]+)?"
    r"(?:maybe|perhaps|probably|possibly|i\s+think|like|about|around|roughly|approx\.?|~)?"
    rf"\s*\b(?P<bare>{_DUR})\s*"
    r"(?:now|or\s+so|ish|maybe|i\s+think|probably|roughly|approx\.?|or\s+more|at\s+least)?[.!]*\s*$"
)
_RECENT_RE = re.compile(
    r"\b(?:recent(?:ly)?|new|this\s+year|last\s+(?:few\s+)?(?:weeks?|months?|days?)|"
    r"(?:a\s+)?few\s+(?:weeks?|months?|days?)(?:\s+ago)?|couple\s+of\s+(?:weeks?|months?)|"
    r"weeks?|months?|days?|just\s+(?:now|started|appeared)|lately)\b"
)
_LAST_YEAR_RE = re.compile(
    r"\blast\s+year\b|\b(?:over|in|during|within)\s+the\s+(?:last|past)\s+(?:year|12\s+months|twelve\s+months)\b"
)
_BIRTH_RE = re.compile(
    r"\b(?:since|from|at)\s+birth\b|\bborn\s+with\b|\bsince\s+(?:s?he|i|they)\s+(?:was|were)\s+born\b|"
    r"\bsince\s+(?:s?he|i|they)\s+(?:was|were)\s+(?:a\s+)?(?:tiny\s+)?(?:baby|newborn|infant)\b|"
    r"\bwhen\s+(?:s?he|i|they)\s+(?:was|were)\s+(?:a\s+)?(?:tiny\s+)?(?:baby|newborn|infant)\b|"
    r"\b(?:as|since)\s+(?:a|an)\s+(?:baby|newborn|infant)\b|\bafter\s+(?:s?he|i|they)\s+(?:was|were)\s+born\b|"
    r"\bsoon\s+after\s+birth\b|\b(?:in|since|from)\s+infancy\b|\bcongenital\b"
)
_AT_AGE_RE = re.compile(
    r"\b(?:at|aged?|when\s+(?:i|s?he|they)\s+(?:was|were)|since\s+(?:i|s?he|they)\s+(?:was|were)|"
    r"(?:since|from|around|about|at)\s+(?:the\s+)?age(?:\s+of)?)\s+"
    r"(?:about\s+|around\s+|roughly\s+|~)?(?:age\s+)?"
    rf"(?P<n>{NUMBER_RE})\b(?!\s*(?:years?|yrs?|months?|weeks?|days?)\s+ago)"
)


_DECADE_WORDS = {
    "teens": 13, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
    "seventies": 70, "eighties": 80, "nineties": 90,
}  # fmt: skip
#: "since my 50s", "since her teens": from the start of that decade.
_SINCE_DECADE_RE = re.compile(
    r"\b(?:since|from)\s+(?:my|his|her|their|your)\s+(?:early\s+)?(?:(?P<d>[1-9]0)'?s|(?P<w>"
    + "|".join(_DECADE_WORDS)
    + r"))\b"
)


def _relative(text: str, age: int | None) -> int | None:
    if _BIRTH_RE.search(text):
        return 0
    decade = _SINCE_DECADE_RE.search(text)
    if decade:
        start = int(decade.group("d")) if decade.group("d") else _DECADE_WORDS[decade.group("w")]
        return start if age is None or start <= age else None
    infant = infant_age(text)
    if infant is not None and re.search(r"\b(?:at|when|since|from)\b", text):
        return infant
    if age is None:
        return None
    match = _AGO_RE.search(text)
    if match:
        span = (
            match.group("dur") or match.group("for") or match.group("been") or match.group("bare")
        )
        dur = DURATION_RE.search(span)
        years = duration_years(dur) if dur else None
        if years is None:
            return None
        # "more than 20 years ago": at least 21 years ago
        more = re.search(r"\b(?:more\s+than|over)\s+$", text[: match.start()]) and years >= 1
        onset = age - int(years) - (1 if more else 0)
        return onset if 0 <= onset <= age else None
    if _LAST_YEAR_RE.search(text):
        return max(age - 1, 0)
    if _RECENT_RE.search(text):
        return age
    return None


#: An infant's age at onset: "when she was 18 months", "at 3 weeks".
_AT_INFANT_RE = re.compile(
    r"\b(?:at|aged?|from|when\s+(?:i|s?he|they)\s+(?:was|were)|since\s+(?:i|s?he|they)\s+(?:was|were))\s+"
    rf"(?:about\s+|around\s+|roughly\s+)?(?P<n>{NUMBER_RE})\s*-?\s*(?P<u>months?|mos?|weeks?|wks?|days?)\b"
    r"(?!\s+ago)"
)


def parse_onset_age(text: str, context: Mapping[str, Any] | None) -> int | None:
    """Return the onset age a normalised answer gives, using the known ``age`` for "2 years ago"."""
    age = _known_age(context)
    baby = _AT_INFANT_RE.search(text)
    if baby:
        onset = infant_age(f"{baby.group('n')} {baby.group('u')} old")
        if onset is not None and (age is None or onset <= age):
            return onset
    at = _AT_AGE_RE.search(text)
    if at:
        onset = _as_age(word_number(at.group("n")))
        if onset is not None and (age is None or onset <= age):
            return onset
    relative = _relative(text, age)
    if relative is not None:
        return relative
    if DURATION_RE.search(text) or re.search(r"\b(?:ago|back|since|for)\b", text):
        return None
    numbers = [
        n
        for n in re.findall(rf"(?<![\d.])({NUMBER_RE})(?![\d.]|'?s\b)", text)
        if n not in ("a", "an")
    ]
    values = {_as_age(word_number(n)) for n in numbers}
    values.discard(None)
    if len(values) == 1:
        onset = values.pop()
        if onset is not None and (age is None or onset <= age):
            return onset
    return None


def _known_age(context: Mapping[str, Any] | None) -> int | None:
    if not context:
        return None
    value = context.get("age")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and 0 <= value <= MAX_AGE:
        return int(value)
    if isinstance(value, str) and value.isdigit() and int(value) <= MAX_AGE:
        return int(value)
    return None


#: An age said as a fact in a free message ("62F", "a 45 yo", "aged 62", "45-year-old").
_AGE_FACT_RE = re.compile(
    r"\b(?P<a>\d{1,3})\s*(?:yo|y/o|y\.o\.|yrs?\s+old|years?\s+old|-?\s*years?-?\s*old)\b"
    r"|\bage[d:]?\s*(?P<b>\d{1,3})\b"
)
_FEMALE_WORDS = ("f", "female", "woman", "girl", "lady")
_RELATION_FEMALE = r"daughter|wife|mother|mum|mom|sister|girlfriend|granddaughter|niece|grandmother"
_RELATION_MALE = r"son|husband|father|dad|brother|boyfriend|grandson|nephew|grandfather"
_PROXY_RE = re.compile(
    r"\b(?:typing|answering|writing|asking|here|speaking|filling\s+(?:this\s+)?in)\s+for\s+"
    rf"(?:my|our)\s+(?:(?P<f>{_RELATION_FEMALE})|(?P<m>{_RELATION_MALE}))\b"
    rf"|\b(?:my|our)\s+(?:little\s+)?(?:(?P<f2>{_RELATION_FEMALE})|(?P<m2>{_RELATION_MALE}))"
    rf"(?:\s+is|\s*'s)\s+(?:{NUMBER_RE})\b"
    r"|\bi\s*(?:'m|\s+am)\s+(?:a\s+)?(?P<f3>woman|girl|female|lady)\b"
    r"|\bi\s*(?:'m|\s+am)\s+(?:a\s+)?(?P<m3>man|boy|male|guy)\b"
    rf"|^\s*(?:(?P<f4>she)|(?P<m4>he))\s*(?:'s|\s+is)\s+(?:just\s+|about\s+)?(?:{NUMBER_RE})\b"
)


#: "my daughter is 9", "our son is twelve": a proxy giving the patient's age.
_PROXY_AGE_RE = re.compile(
    rf"\b(?:my|our)\s+(?:little\s+)?(?:{_RELATION_FEMALE}|{_RELATION_MALE})(?:\s+is|\s*'s)\s+"
    rf"(?:just\s+|nearly\s+|almost\s+)?(?P<n>{NUMBER_RE})\b"
    r"(?!\s*(?:months?|weeks?|days?|%|kg|cm|ft|foot|feet|times?))"
)


#: "she's 4 and has ...", "I'm 38, ...": an age opening a free message.
_OPENING_AGE_RE = re.compile(
    rf"^\s*(?:i'm|i\s+am|s?he's|s?he\s+is)\s+(?:just\s+|nearly\s+|almost\s+)?(?P<n>{NUMBER_RE})"
    r"(?=\s*(?:[,.;!]|and\b|but\b|now\b|$))"
)


def age_mention(text: str) -> int | None:
    """Return an age stated as a fact in a normalised free message, else None."""
    opening = _OPENING_AGE_RE.search(text)
    if opening:
        return _as_age(word_number(opening.group("n")))
    match = AGE_SEX_RE.search(text)
    if match:
        return _as_age(float(match.group("age")))
    infant = INFANT_RE.search(text)
    if infant and re.search(r"\b(?:is|'s|aged?)\s+$", text[: infant.start()]):
        return infant_age(text)
    fact = _AGE_FACT_RE.search(text)
    if fact:
        return _as_age(float(fact.group("a") or fact.group("b")))
    proxy = _PROXY_AGE_RE.search(text)
    if proxy:
        return _as_age(word_number(proxy.group("n")))
    return None


def sex_mention(text: str) -> str | None:
    """Return the patient's sex stated as a fact in a normalised free message, else None."""
    sex = sex_of_age_answer(text)
    if sex:
        return sex
    match = _PROXY_RE.search(text)
    if not match:
        return None
    female = any(match.group(g) for g in ("f", "f2", "f3", "f4"))
    return "female" if female else "male"


# ----------------------------------------------------------------------------- lipids

#: Lipid results: (high from, normal below) in mmol/L and in mg/dL. Total cholesterol and
#: LDL cut-offs are the NCEP ATP III bands (total >= 6.2 mmol/L / 240 mg/dL high, < 5.2 /
#: 200 desirable; LDL >= 4.1 / 160 high, < 3.4 / 130 near optimal), triglycerides >= 2.3
#: / 200 high, < 1.7 / 150 normal (general clinical knowledge). In between is no answer.
_LIPID_LIMITS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "total": ((6.2, 5.2), (240.0, 200.0)),
    "ldl": ((4.1, 3.4), (160.0, 130.0)),
    "tg": ((2.3, 1.7), (200.0, 150.0)),
}
#: A bare number to the cholesterol question ("it was 7.9"): high or normal whichever lipid
#: it is (LDL's high mark, total cholesterol's normal one would disagree: no answer).
_BARE_LIMITS = ((6.2, 3.4), (240.0, 130.0))
_MG_FROM = 30.0
_LIPID_NAMES = (
    r"(?P<what>total\s+(?:serum\s+)?chol(?:esterol)?|(?:serum\s+)?cholesterol|chol|tc|"
    r"non-?hdl(?:-?c)?(?:\s+cholesterol)?|ldl(?:-?c)?(?:\s+cholesterol)?|bad\s+cholesterol|"
    r"triglycerides?|trigs?|tgs?)"
)
_LIPID_FILLER = (
    r"(?:\s*(?:levels?|readings?|results?|values?|is|was|were|of|at|=|:|-|came\s+back(?:\s+(?:at|as))?|"
    r"has\s+been|had\s+been|been|measured|around|about|approx\.?|approximately|~|over|above|"
    r"nearly|almost|only|just|still|last\s+time|at\s+my\s+last\s+check))*"
)
_NOT_A_LEVEL = (
    r"(?!\s*(?:years?|yrs?|y\b|months?|weeks?|days?|ago|times|%|kg|mg\b(?!\s*/)|mcg|units?|am|pm))"
)
_LIPID_RE = re.compile(
    rf"\b{_LIPID_NAMES}\b{_LIPID_FILLER}\s*(?P<num>\d+(?:[.,]\d+)?){_NOT_A_LEVEL}"
    r"\s*(?P<unit>mmol(?:/l)?|mg/dl)?"
)
_BARE_LIPID_RE = re.compile(
    rf"^(?:(?:yes|yeah|no|it|its|it's|mine|my\s+level|that)\b)?{_LIPID_FILLER}\s*"
    rf"(?P<num>\d+(?:[.,]\d+)?){_NOT_A_LEVEL}\s*(?P<unit>mmol(?:/l)?|mg/dl)?(?:\s|[.,!;]|$)"
)
#: A relative's result is not the patient's ("my dad's cholesterol was 9").
_RELATIVE_RE = re.compile(
    r"\b(?:mum|mom|mother|dad|father|sister|brother|aunt|auntie|uncle|grandma|grandmother|granny|"
    r"gran|nan|grandad|grandpa|grandfather|cousin|parents?|siblings?|niece|nephew|family|son|"
    r"daughter)(?:'s|s|')?\b"
)


def _lipid_band(
    value: float, unit: str | None, limits: tuple[tuple[float, float], ...]
) -> str | None:
    mmol, mg = limits
    high, normal = mg if unit == "mg/dl" or (unit is None and value >= _MG_FROM) else mmol
    if value >= high:
        return "yes"
    if value < normal:
        return "no"
    return None


def _kind(name: str) -> str:
    if "ldl" in name or "bad" in name:
        return "ldl"
    return "tg" if name.startswith(("tri", "tg")) else "total"


def lipid_value(text: str, bare: bool = False) -> str | None:
    """Whether the patient's stated lipid results are high: "yes", "no" or None.

    "LDL 7.8" -> "yes", "total cholesterol 4.2" -> "no", values in between or a relative's
    result -> None. ``bare``: the message answers the cholesterol question, so a number on
    its own ("it was 7.9") is read too, within the limits every lipid agrees on.
    """
    found: set[str] = set()
    for match in _LIPID_RE.finditer(text):
        sentence_start = max(text.rfind(mark, 0, match.start()) for mark in ".;!?\n")
        if _RELATIVE_RE.search(text, sentence_start + 1, match.start()):
            continue
        number = word_number(match.group("num"))
        if number is None:
            continue
        kind = _kind(match.group("what"))
        band = _lipid_band(number, match.group("unit"), _LIPID_LIMITS[kind])
        if band is not None:
            found.add(band)
    if not found and bare:
        bare_match = _BARE_LIPID_RE.search(text)
        number = word_number(bare_match.group("num")) if bare_match else None
        if bare_match and number is not None and not _RELATIVE_RE.search(text):
            band = _lipid_band(number, bare_match.group("unit"), _BARE_LIMITS)
            if band is not None:
                found.add(band)
    # any high result counts: the question is whether they have ever been told it is high
    return "yes" if "yes" in found else ("no" if found else None)
