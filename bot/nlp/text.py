"""Plain-text helpers: normalising a message and reading numbers written in digits or words."""

from __future__ import annotations

import re
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})
# Apostrophes people leave out (general knowledge of how people type on phones).
_CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
    "wouldnt": "wouldn't",
    "im": "i'm",
    "ive": "i've",
    "id": "i'd",
    "its": "it's",
    "theyre": "they're",
    "theres": "there's",
    "thats": "that's",
    "shes": "she's",
    "hes": "he's",
    "youre": "you're",
}
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b")


#: "5ish", "~40", "approx. 3": a rough number is "about" it.
_ROUGHLY_RE = re.compile(r"(?:~\s*|\bapprox\.?\s+)(\d+)|\b(\d+)\s*-?ish\b")


def normalize(text: str) -> str:
    """Lower-case, unify quotes/dashes, restore dropped apostrophes and squeeze spaces."""
    out = text.translate(_APOSTROPHES).translate(_DASHES).lower()
    out = _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1)], out)
    out = _ROUGHLY_RE.sub(lambda m: f"about {m.group(1) or m.group(2)}", out)
    return re.sub(r"\s+", " ", out).strip()


_UNITS = {
    "zero": 0, "none": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNIT_WORDS = "|".join(sorted((w for w in _UNITS if w not in ("a", "an", "none")), key=len)[::-1])
_TEN_WORDS = "|".join(_TENS)
#: Words that sound like a unit after a tens word ("fourty too", "fifty fore"): 42 or 40
#: "too"? Such a number is not read (the question is asked again), never guessed.
_SOUND_ALIKE = r"(?![ -](?:too|fore|ate)\b)"
#: A number written in words ("forty-five", "a hundred and two", "twelve"), not "a"/"an" alone.
NUMBER_WORDS_RE = (
    rf"(?:(?:a|one)[ -]hundred(?:[ -](?:and[ -])?(?:(?:{_TEN_WORDS})(?:[ -](?:{_UNIT_WORDS}))?"
    rf"|{_UNIT_WORDS}))?|(?:{_TEN_WORDS}){_SOUND_ALIKE}(?:[ -](?:{_UNIT_WORDS}))?|{_UNIT_WORDS})"
)
#: A number in digits (an optional decimal part) or in words.
NUMBER_RE = rf"(?:\d+(?:[.,]\d+)?|{NUMBER_WORDS_RE})"
#: A whole number standing on its own ("15", "forty-five"; not the "one" of "gone").
STANDALONE_NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:\d+(?:[.,]\d+)?(?![\d.,]*\d)(?![a-z])|{NUMBER_WORDS_RE}\b)", re.IGNORECASE
)


def word_number(text: str) -> float | None:
    """Return the value of a number in digits or words ("forty-five" -> 45), else None."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return float(text.replace(",", "."))
    words = [w for w in re.split(r"[ -]+", text) if w and w != "and"]
    if not words:
        return None
    total = 0
    current = 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            return None
    total += current
    return float(total)


@dataclass(frozen=True)
class Duration:
    """A span of time in years (fractional), e.g. "6 months" -> 0.5."""

    years: float


_UNIT_YEARS = {
    "year": 1.0, "yr": 1.0, "y": 1.0, "month": 1 / 12, "mo": 1 / 12, "mth": 1 / 12,
    "week": 1 / 52, "wk": 1 / 52, "w": 1 / 52, "day": 1 / 365, "d": 1 / 365,
}  # fmt: skip
#: "2 years", "six months", "a couple of weeks", "3y", "10 yrs".
#: The amount of a duration: a number, "a", "a couple of", "half a".
AMOUNT_RE = rf"(?:{NUMBER_RE}|a\s+couple(?:\s+of)?|couple\s+of|half\s+an?|a|an)"
#: The unit of a duration.
UNIT_RE = r"(?:years?|yrs?|y|months?|mos?|mths?|weeks?|wks?|w|days?|d)"
DURATION_RE = re.compile(
    rf"\b(?P<n>{AMOUNT_RE})(?:(?<=\d)\s*|\s+|\s*-\s*)(?P<unit>{UNIT_RE})\b"
    r"(?P<half>\s+and\s+a\s+half)?"
)


def duration_years(match: re.Match[str]) -> float | None:
    """Years of a ``DURATION_RE`` match, or None if the amount is not a number."""
    amount = re.sub(r"\s+", " ", match.group("n"))
    if amount.startswith(("a couple", "couple")):
        n: float | None = 2.0
    elif amount.startswith("half"):
        n = 0.5
    elif amount in ("a", "an"):
        n = 1.0
    else:
        n = word_number(amount)
    if n is None:
        return None
    if match.group("half"):
        n += 0.5
    unit = match.group("unit").rstrip("s") or match.group("unit")
    for key, factor in _UNIT_YEARS.items():
        if unit == key:
            return n * factor
    return None
