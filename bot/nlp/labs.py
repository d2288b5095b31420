"""Lab results in a clinician's words ("Ca 3.1 high, PO4 nl, ACA+, CK 2300, Ca/PO4/PTH all nl").

Read into the dictionary's lab codes and values from the names, qualifiers and reference
ranges of ``rules/labs.yaml`` (checked on load with file and line of a mistake). A name
followed closely by a qualifier ("nl", "+ve", "raised", "suppressed") or by a number read
against its unit's range gives the value; a list of names joined by slashes ("Ca/PO4/PTH")
shares the qualifier after it. A number plainly inside or outside the range is read; one
near a limit, or in an unknown unit, is not (the lab's own range decides, not a guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot import datafile
from bot.nlp.pipeline import RULES_DIR

LABS_FILE = RULES_DIR / "labs.yaml"
QUALITIES = ("high", "low", "normal", "positive", "negative")
#: Words a qualifier may stand behind the name at most.
REACH = 3


class LabRuleError(ValueError):
    """``labs.yaml`` is malformed (the message names file and line)."""


@dataclass(frozen=True)
class LabWords:
    """One lab: the names it goes by, the ranges of its units, its values by quality."""

    code: str
    names: tuple[str, ...]
    ranges: dict[str, tuple[float, float]]
    default_unit: str | None
    values: dict[str, str]


@dataclass(frozen=True)
class Rules:
    """The parsed ``labs.yaml``."""

    words: dict[str, str]
    labs: tuple[LabWords, ...]
    ena: dict[str, tuple[str, ...]]
    margin: float


def parse_rules(raw: Any) -> Rules:
    """Check and parse the lab rules against the dictionary's lab codes and values."""
    from bot.knowledge import get_dictionary

    labs_dict = get_dictionary().labs
    top = f"{LABS_FILE.name}:1"
    if not isinstance(raw, dict) or not {"words", "labs", "ena"} <= set(raw):
        raise LabRuleError(f"{top}: needs words, labs and ena")
    words = raw["words"]
    if set(words) != set(QUALITIES):
        raise LabRuleError(f"{datafile.where(LABS_FILE, words)}: words must be {QUALITIES}")
    labs = []
    for code, spec in raw["labs"].items():
        where = datafile.where(LABS_FILE, spec)
        if code not in labs_dict:
            raise LabRuleError(f"{where}: {code!r} is not a lab of the dictionary")
        allowed = set(labs_dict[code].values)
        values = {q: q for q in QUALITIES if q in allowed}
        values.update(spec.get("values") or {})
        if not set(values.values()) <= allowed:
            raise LabRuleError(f"{where}: {code}: values must be among {sorted(allowed)}")
        ranges = {
            str(unit): (float(low), float(high))
            for unit, (low, high) in (spec.get("ranges") or {}).items()
        }
        labs.append(
            LabWords(
                str(code),
                tuple(str(n) for n in spec["names"]),
                ranges,
                spec.get("default_unit"),
                values,
            )
        )
    ena = {str(k): tuple(v) for k, v in raw["ena"].items()}
    pattern_values = set(labs_dict["ena_pattern"].values)
    if not set(ena) <= pattern_values:
        raise LabRuleError(f"{datafile.where(LABS_FILE, raw['ena'])}: ena keys must be values")
    return Rules({q: str(w) for q, w in words.items()}, tuple(labs), ena, float(raw["margin"]))


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """``rules/labs.yaml``, checked (cached)."""
    try:
        return parse_rules(datafile.load(LABS_FILE))
    except LabRuleError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise LabRuleError(f"{LABS_FILE.name}: {error}") from None


def _alternatives(words: str) -> str:
    return "|".join(w.replace("_", r"\s+") for w in words.split("|"))


@lru_cache(maxsize=1)
def _compiled() -> tuple[Any, ...]:
    rules = load_rules()
    quality = {
        q: re.compile(rf"^(?:{_alternatives(w)})(?![a-z])", re.IGNORECASE)
        for q, w in rules.words.items()
    }
    names = []
    for lab in rules.labs:
        alts = "|".join(
            re.escape(n).replace(r"\ ", r"[\s-]*").replace(r"\\", "\\") for n in lab.names
        )
        names.append((lab, re.compile(rf"(?<![a-z0-9])(?:{alts})(?![a-z0-9])", re.IGNORECASE)))
    ena = [
        (
            value,
            re.compile(rf"(?<![a-z0-9])(?:{'|'.join(re.escape(n) for n in ns)})(?![a-z0-9])", re.I),
        )
        for value, ns in rules.ena.items()
    ]
    return quality, names, ena


_NUMBER = re.compile(r"^[:=\s]*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-zµ]+/[a-z]+)?", re.IGNORECASE)
_JOIN = re.compile(r"^\s*/\s*", re.IGNORECASE)


def _quality_after(rest: str) -> str | None:
    quality, _, _ = _compiled()
    words = rest.strip(" :=,()").split()
    for i, _word in enumerate(words[:REACH]):
        tail = " ".join(words[i:])
        for q, pattern in quality.items():
            if pattern.match(tail):
                return str(q)
        if words[i].lower() in ("all", "both", "was", "is", "were", "are", "level"):
            continue
        if i == 0 and re.match(r"^\d", words[i]):
            return None  # a number: read below
        break
    return None


def _by_number(lab: LabWords, rest: str, margin: float) -> str | None:
    match = _NUMBER.match(rest)
    if not match or not lab.ranges:
        return None
    value = float(match.group("num"))
    unit = (match.group("unit") or lab.default_unit or "").lower()
    if unit not in lab.ranges:
        return None
    low, high = lab.ranges[unit]
    span = (high - low) * margin + (margin if high - low < 1 else 0)
    if value > high + span:
        return "high"
    if value < low - span:
        return "low"
    if low + span <= value <= high - span:
        return "normal"
    return None


def read_labs(text: str) -> dict[str, str]:
    """The lab values ``text`` states, as ``{lab code: dictionary value}``."""
    _, names, ena = _compiled()
    rules = load_rules()
    found: dict[str, str] = {}
    pending: list[LabWords] = []
    spans: list[tuple[int, int, LabWords]] = []
    for lab, pattern in names:
        spans += [(m.start(), m.end(), lab) for m in pattern.finditer(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    last_end = -1
    kept = []
    for start, end, lab in spans:
        if start >= last_end:
            kept.append((start, end, lab))
            last_end = end
    for index, (_start, end, lab) in enumerate(kept):
        rest = text[end:]
        following = kept[index + 1][0] - end if index + 1 < len(kept) else None
        if following is not None and _JOIN.match(rest) and following <= 2:
            pending.append(lab)  # "Ca/PO4/PTH all nl": the quality comes after the last
            continue
        quality = _quality_after(rest)
        value = None
        group = [*pending, lab]
        pending = []
        for member in group:
            if quality is not None:
                value = member.values.get(quality)
            elif member is lab:
                number = _by_number(lab, rest, rules.margin)
                value = lab.values.get(number) if number else None
            if value is not None:
                found.setdefault(member.code, value)
    for value, pattern in ena:
        for match in pattern.finditer(text):
            quality = _quality_after(text[match.end() :])
            if value == "negative" and quality == "negative":
                found.setdefault("ena_pattern", "negative")
            elif value != "negative" and quality == "positive":
                found["ena_pattern"] = value
    return found
