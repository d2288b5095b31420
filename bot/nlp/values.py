"""Coders of the answers that are not yes / no: sex, texture, count, sites, diagnoses, ages.

Each takes the normalised answer (and the pipeline's mentions) and returns the finding's
value, ``unknown`` for an "I don't know", or ``None`` when the answer is not understood
(the question is asked again). Called by :func:`bot.nlp.interpret.interpret`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.knowledge import UNKNOWN
from bot.nlp.analysis import Mention
from bot.nlp.answers import lead_polarity, unknown_marker
from bot.nlp.numbers import parse_age, parse_onset_age
from bot.nlp.pipeline import load_lexicon
from bot.nlp.text import STANDALONE_NUMBER_RE, word_number
from bot.nlp.timing import evidence_of

_SEX_TIERS = (
    (
        r"f|fem|female|woman|women|girl|lady|lass",
        r"m|male|man|men|boy|gentleman|guy|bloke|lad|chap|fella",
    ),
    (r"she|her|hers|herself", r"he|him|his|himself"),
    (
        r"wife|daughter|mother|mum|mom|sister|granddaughter|niece|aunt|grandmother|girlfriend",
        r"husband|son|father|dad|brother|grandson|nephew|uncle|grandfather|boyfriend",
    ),
)
_SEX_OTHER = r"other|intersex|non-?binary|nonbinary|x"


_ASSIGNED = re.compile(
    r"\b(?:assigned|born|registered)\s+(?P<sex>male|female)\b|\b(?P<ab>amab|afab)\b"
)


def sex(text: str) -> str | None:
    """Female, male or other, from words of the person or of someone typing for them."""
    assigned = _ASSIGNED.search(text)
    if assigned:
        word = assigned.group("sex") or ("male" if assigned.group("ab") == "amab" else "female")
        return "male" if word == "male" else "female"
    if re.search(rf"^\s*(?:{_SEX_OTHER})\b", text):
        return "other"
    for female_words, male_words in _SEX_TIERS:
        # "(?<!')": the "m" of "I'm" is no "M"
        female = re.search(rf"(?<!')\b(?:{female_words})\b", text) is not None
        male = re.search(rf"(?<!')\b(?:{male_words})\b", text) is not None
        if female != male:
            return "female" if female else "male"
        if female:
            return None  # both at the same strength: ask again
    if unknown_marker(text):
        return UNKNOWN
    return None


def values_of(mentions: list[Mention], code: str, *, hedged_ok: bool = True) -> list[Any]:
    """The values the mentions give ``code`` (hedged ones too, unless ``hedged_ok`` is off)."""
    ok = ("affirmed", "hedged", "uncertain") if hedged_ok else ("affirmed",)
    out: list[Any] = []
    for m, e, _ in evidence_of(mentions, code):
        if m.status in ok:
            out.extend(e.value if isinstance(e.value, list) else [e.value])
    return out


_BOTH = re.compile(
    r"\s*(?:(?:um+|well|hmm+|erm*)[\s,]+)?(?:both|a\s+bit\s+of\s+both|a\s+mix(?:ture)?(?:\s+of\s+both)?)"
    r"(?:[\s,]+(?:really|i\s+think|i\s+guess|probably|tbh|honestly|i'd\s+say))?[\s.!]*"
)


#: What is inside the lumps or comes out of them (paste, chalky fluid), not how they feel.
_CONTENT = frozenset({"lx_paste", "lx_material", "lx_discharge"})
_SAID = ("affirmed", "hedged", "uncertain")


def consistency(text: str, mentions: list[Mention]) -> str | None:
    """Hard, soft, both or in between, from textures, contents and hedges.

    Hard (or firm) lumps with paste inside or coming out are "both"; firm, hard-ish or
    "hard but not rock hard" is "unsure" (neither of the two textures the question names).
    """
    if _BOTH.fullmatch(text):
        return "both"
    if unknown_marker(text):
        return "unsure"
    said: set[str] = set()
    denied_hard = negated = False
    for m, e, _ in evidence_of(mentions, "lesion_consistency"):
        if m.status == "negated":
            negated = True
            denied_hard = denied_hard or e.value == "hard"
        elif m.entry.id in _CONTENT and m.status in (*_SAID, "hypothetical"):
            said.add("content")  # "if I squeeze one, paste comes out" is what happens
        elif m.status in _SAID:
            said.add(str(e.value))
    hard = "hard" in said
    firm = "unsure" in said
    if "both" in said or ((hard or firm) and "content" in said) or (hard and "soft_paste" in said):
        return "both"
    if firm or (hard and denied_hard):
        return "hard" if hard and not denied_hard else "unsure"
    if hard:
        return "hard"
    if said & {"soft_paste", "content"}:
        return "soft_paste"
    return "unsure" if negated else None


_MANY = re.compile(
    r"\b(?:many|lots|loads|tons|multiple|numerous|dozens?|hundreds|countless|innumerable|"
    r"a\s+lot|too\s+many|loads|heaps|masses|"
    r"all\s+over|everywhere|more\s+than\s+(?:ten|10|a\s+dozen)|over\s+(?:ten|10|a\s+dozen)|"
    r"more\s+than\s+(?:i|we|you)\s+can\s+count|(?:can't|cannot)\s+count)\b"
    r"|>\s*\d|\b\d+\s*\+"
)
#: Words for a group that say "many" only when no number is given ("a cluster of five").
_GROUP = re.compile(r"\b(?:mass\s+of|clusters?|crops?|sheets?)\b")
_FEW = re.compile(r"\b(?:few|couple|several|some|handful|both|pair|two\s+or\s+three)\b")
_EACH = re.compile(r"\b(?:one|1)\s+(?:on|in|at|over)\s+(?:each|both|either)\b")
_ONE = re.compile(r"\b(?:single|solitary|just\s+(?:the\s+)?one|only\s+(?:the\s+)?one|one\s+only)\b")


def count(text: str) -> str | None:
    """One, few or many lumps, from numbers and words of quantity."""
    if _MANY.search(text):
        return "many"
    numbers = [word_number(n) for n in STANDALONE_NUMBER_RE.findall(text)]
    values = [n for n in numbers if n is not None and n < 1000]
    if _GROUP.search(text) and not [v for v in values if v > 1]:
        return "many"
    if re.fullmatch(r"\s*(?:an?|one)\s*[.!]*", text):
        return "one"
    values = [v for v in values if v > 0] or values
    if _FEW.search(text):
        values.append(3.0)
    if _EACH.search(text):
        values = [v for v in values if v > 1] + [2.0]
    if _ONE.search(text) and not values:
        return "one"
    if values:
        top = max(values)
        return "one" if top <= 1 else "few" if top < 10 else "many"
    if unknown_marker(text):
        return UNKNOWN
    return None


_UNSURE_WHERE = re.compile(r"\b(?:not\s+sure|don't\s+know|no\s+idea|unsure)\s+where\b")


#: A face landmark right after a site says where on it ("upper eyelids, the inner corners by
#: my nose", "on his chin, just under his bottom lip"): not a site of its own.
_LANDMARK = re.compile(
    r"[\s,]*(?:(?:the|its|their|his|her|my)\s+)?(?:(?:inner|outer|upper|lower|top|bottom)\s+)?"
    r"(?:(?:corners?|sides?|edges?|parts?|ends?|bits?)\s+)?"
    r"(?:near|by|beside|next\s+to|close\s+to|in\s+front\s+of|towards?|"
    r"(?:just|right)\s+(?:under|below|above|beneath|behind|over|by|near|next\s+to|in\s+front\s+of))\s+"
    r"(?:(?:the|my|his|her|their|your|its|both|either)\s+)?(?:(?:left|right)\s+)?",
    re.IGNORECASE,
)
_HEAD = frozenset({"face_head", "eyelids_mouth"})


def site_values(m: Mention) -> set[str]:
    """The ``lesion_locations`` codes a mention names."""
    return {
        str(v)
        for e in m.entry.evidence
        if e.finding == "lesion_locations"
        for v in (e.value if isinstance(e.value, list) else [e.value])
    }


def _landmarks(message: str, mentions: list[Mention]) -> set[int]:
    """Indexes of the site mentions that only locate the head site named just before."""
    sites = [
        (i, m)
        for i, m in enumerate(mentions)
        if m.status in ("affirmed", "hedged", "uncertain") and site_values(m)
    ]
    out: set[int] = set()
    for (_, prev), (i, m) in itertools.pairwise(sites):
        if prev.sentence != m.sentence or not (site_values(prev) | site_values(m)) <= _HEAD:
            continue
        match = _LANDMARK.match(message, prev.end_char)
        if match and match.end() >= m.start_char:
            out.add(i)
    return out


def locations(text: str, message: str, mentions: list[Mention]) -> list[str] | str | None:
    """The sites named (not the landmarks that only say where on the face)."""
    landmarks = _landmarks(message, mentions)
    sites = values_of([m for i, m in enumerate(mentions) if i not in landmarks], "lesion_locations")
    if sites:
        return [str(s) for s in sites]
    if unknown_marker(text) or _UNSURE_WHERE.search(text):
        return UNKNOWN
    return None


def diagnoses(text: str, mentions: list[Mention]) -> list[str] | str | None:
    """The rheumatic diagnoses named, ``["none"]`` for none, or unknown."""
    lead = lead_polarity(text)
    rheum: list[str] = []
    ambiguous_only = True
    other = False
    uncertain = False
    for m, e, _ in evidence_of(mentions, "known_diagnoses"):
        if m.status in ("uncertain", "hypothetical") and e.value != "none":
            uncertain = True
        if m.status not in ("affirmed", "hedged"):
            continue
        if e.value == "none":
            other = True
            continue
        rheum.append(str(e.value))
        ambiguous_only = ambiguous_only and m.entry.ambiguous
    if rheum and not (lead == "no" and ambiguous_only):
        return rheum
    if unknown_marker(text) or (uncertain and lead != "no"):
        return UNKNOWN
    if lead == "no" or other:
        return ["none"]
    return None


def integer(code: str, text: str, context: Mapping[str, Any] | None) -> int | str | None:
    """An age (or the age at onset, read against the age given before)."""
    value = parse_onset_age(text, context) if code == "lesion_onset_age" else parse_age(text)
    if value is None and unknown_marker(text):
        return UNKNOWN
    return value


#: Calcium or phosphate through a drip counts wherever it went in (the question's first part).
_CALCIUM_DRIP = "drug_calcium_iv"


def regions(sites: Iterable[str]) -> set[str]:
    """The body regions of location codes (the lexicon's ``regions:``)."""
    regions = load_lexicon().regions
    return {region for site in sites for region in regions.get(site, frozenset())}


def injected_elsewhere(mentions: list[Mention], context: Mapping[str, Any] | None) -> bool:
    """Whether the injections named are all in another part of the body than the lumps.

    "just his normal jabs in his legs" when the lumps are on his face: the question asks
    about injections where the lumps are, so it is a "no".
    """
    lumps = (context or {}).get("lesion_locations")
    if not isinstance(lumps, list) or not lumps:
        return False
    said = [m for m in mentions if m.status in ("affirmed", "hedged")]
    if any(m.entry.id == _CALCIUM_DRIP for m in said):
        return False
    named = {s for m in said if m.label == "BODY_SITE" for s in site_values(m)}
    named.discard("venipuncture_sites")
    return bool(named) and not (regions(named) & regions(str(s) for s in lumps))
