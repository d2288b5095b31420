"""``interpret(finding, message)``: the one function that codes every answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import UNKNOWN, Finding, get_dictionary
from bot.nlp.answers import lead_polarity, unknown_marker
from bot.nlp.numbers import parse_age, parse_onset_age, sex_of_age_answer
from bot.nlp.text import NUMBER_RE, normalize, word_number


@dataclass(frozen=True)
class Interpretation:
    """How one answer codes: ``value`` for the asked finding, ``mentions`` for others."""

    finding: str
    value: Any
    mentions: dict[str, Any] = field(default_factory=dict)


def _finding(code: str) -> Finding:
    findings = get_dictionary().findings
    if code not in findings:
        raise ValueError(f"unknown finding code {code!r}")
    return findings[code]


def _bool(text: str) -> str | None:
    if unknown_marker(text):
        return UNKNOWN
    return lead_polarity(text)


_FEMALE = r"f|female|fem|woman|women|girl|lady|wife|daughter|mother|mum|mom|sister|she|her|fe?male"
_MALE = r"m|male|man|men|boy|gentleman|guy|husband|son|father|dad|brother|he|him|his"
_OTHER = r"other|intersex|non-?binary|x"


def _sex(text: str) -> str | None:
    female = re.search(rf"\b(?:{_FEMALE})\b", text) is not None
    male = re.search(rf"\b(?:{_MALE})\b", text) is not None
    if re.search(rf"^\s*(?:{_OTHER})\b", text):
        return "other"
    if female != male:
        return "female" if female else "male"
    if unknown_marker(text):
        return UNKNOWN
    return None


_HARD = (
    r"(?:rock[\s-]*)?hard|stony|stone[s]?|pebbles?|rocks?|bony|bones?|solid|calcified|gritty"
    r"|grains?|woody|indurated"
)
_SOFT = (
    r"soft|squishy|squashy|rubbery|toothpaste|paste|pasty|liquid|fluid|milky|creamy|chalky"
    r"|ooz\w*|leak\w*|drain\w*"
)


def _consistency(text: str) -> str | None:
    t = re.sub(r"\bhard\s+to\s+(?:say|tell|know)\b", "", text)
    hard = re.search(rf"(?<!not )(?<!not very )\b(?:{_HARD})\b", t) is not None
    soft = re.search(rf"(?<!not )\b(?:{_SOFT})\b", t) is not None
    if unknown_marker(text):
        return "unsure"
    if hard and soft:
        return "both"
    if hard:
        return "hard"
    if soft:
        return "soft_paste"
    if re.search(r"\bfirm\b", t):
        return "unsure"
    return None


def _count(text: str) -> str | None:
    if re.search(
        r"\b(?:many|lots|loads|tons|multiple|numerous|dozens?|hundreds|countless|"
        r"a\s+lot|too\s+many|everywhere|clusters?|masses)\b|>\s*\d|\d+\s*\+",
        text,
    ):
        return "many"
    numbers = [word_number(n) for n in re.findall(rf"(?<![\d.])({NUMBER_RE})(?![\d.])", text)]
    values = [n for n in numbers if n is not None]
    if re.search(r"\b(?:a\s+)?(?:few|couple|several|some|handful|both|pair)\b", text):
        values.append(3.0)
    if values and not (len(values) == 1 and re.search(r"^\s*an?\b", text)):
        top = max(values)
        return "one" if top <= 1 else "few" if top < 10 else "many"
    if re.search(r"\b(?:single|solitary|just\s+(?:the\s+)?one|only\s+(?:the\s+)?one)\b", text):
        return "one"
    if unknown_marker(text):
        return UNKNOWN
    return None


def _text_value(message: str) -> str:
    return message.strip()


def _int(code: str, text: str, context: Mapping[str, Any] | None) -> int | str | None:
    value = parse_onset_age(text, context) if code == "lesion_onset_age" else parse_age(text)
    if value is None and unknown_marker(text):
        return UNKNOWN
    return value


def interpret(
    finding: str, message: str, context: Mapping[str, Any] | None = None
) -> Interpretation:
    """Code ``message`` as the answer to ``finding``'s question.

    ``value`` is canonical for the finding, ``"unknown"`` for "I don't know", or ``None``
    when the answer was not understood (never a guess). ``mentions`` holds other findings
    stated explicitly and confidently in the same message. ``context`` is the findings
    known so far (``age`` turns "2 years ago" into an onset age).

    Raises:
        ValueError: ``finding`` is not a finding code of the dictionary.

    """
    spec = _finding(finding)
    text = normalize(message)
    mentions: dict[str, Any] = {}
    value: Any = None
    if spec.type == "text":
        value = _text_value(message) or None
    elif spec.type == "int":
        value = _int(finding, text, context)
        if finding == "age":
            sex = sex_of_age_answer(text)
            if sex:
                mentions["sex"] = sex
    elif finding == "sex":
        value = _sex(text)
    elif finding == "lesion_consistency":
        value = _consistency(text)
    elif finding == "lesion_count":
        value = _count(text)
    elif spec.type == "bool":
        value = _bool(text)
    elif unknown_marker(text):
        value = UNKNOWN
    elif finding == "known_diagnoses" and lead_polarity(text) == "no":
        value = ["none"]
    if value is not None:
        value = spec.check(value)
    return Interpretation(finding=finding, value=value, mentions=mentions)


def extract(message: str, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every finding stated explicitly in a free message (corrections, stories, shorthand)."""
    text = normalize(message)
    out: dict[str, Any] = {}
    age = parse_age(text) if re.search(r"\d\s*(?:f|m|yo|y/o)\b|\byears?\s+old\b", text) else None
    if age is not None:
        out["age"] = age
    sex = sex_of_age_answer(text)
    if sex:
        out["sex"] = sex
    return out
