"""``interpret(finding, message)``: the one function that codes every answer.

The message goes through the spaCy pipeline (entities with negation and uncertainty, see
``bot.nlp.pipeline``) and through the answer patterns of ``bot.nlp.answers`` (how people
say yes, no and "I don't know") and ``bot.nlp.numbers`` (ages). Nothing of the message is
logged. Rules of thumb: an answer that is not understood is ``None`` (the question is asked
again), never a guess; conflicting signals ("no, ... but it hurts") are not understood;
mentions of other findings are kept only when stated as facts.

Yes / no answers are coded here; the other types in ``bot.nlp.values``; what "stopped" means
for each finding in ``bot.nlp.timing``; doubt around an answer in ``bot.nlp.doubt``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import UNKNOWN, Finding, get_dictionary
from bot.nlp.analysis import Mention, analyse
from bot.nlp.answers import (
    Polarity,
    ceased_lead,
    lead_polarity,
    not_now,
    past_lead,
    refuted,
    unknown_marker,
)
from bot.nlp.doubt import doubted
from bot.nlp.indirect import indirect
from bot.nlp.numbers import age_mention, lipid_value, sex_mention
from bot.nlp.pipeline import Evidence, parse
from bot.nlp.text import normalize
from bot.nlp.timing import CURRENT_ONLY, EVER, RECENT, TAKES_NOW, evidence_of, timed_status
from bot.nlp.values import (
    consistency,
    count,
    diagnoses,
    injected_elsewhere,
    integer,
    locations,
    sex,
)

#: Findings whose wording overlaps: while one is asked, the other is not taken in passing.
_CONFUSABLE: tuple[frozenset[str], ...] = (
    frozenset({"function_limited", "muscle_weakness"}),
    frozenset({"lesion_ulceration", "digital_ulcers"}),
    frozenset({"lesion_pain", "joint_pain_swelling"}),
    frozenset({"lesion_infection_signs", "constitutional_symptoms"}),
    frozenset({"heliotrope_or_gottron_rash", "photosensitive_or_malar_rash"}),
)
#: Findings about how things are now ("Is there redness ...?", "Is it hard to climb
#: stairs?"): an episode that is over ("one got infected last winter", "she was weak at the
#: start") is no "yes" once the answer says it is not so now.
PRESENT_STATE = frozenset(
    {
        "lesion_pain", "lesion_infection_signs", "skin_necrosis", "function_limited",
        "muscle_weakness", "joint_pain_swelling", "raynaud", "reflux_or_swallowing",
        "heliotrope_or_gottron_rash", "photosensitive_or_malar_rash", "breathing_difficulty",
    }
)  # fmt: skip
#: "not now", "settled", "fine now", "now she runs around": it is not so at present.
_NOT_SO_NOW = re.compile(
    r"\bnot\s+(?:right\s+)?(?:now|any\s*more|currently|at\s+the\s+moment|at\s+present|"
    r"these\s+days|nowadays|today)\b|\bno\s+longer\b"
    r"|\b(?:nothing|none|no)\s+(?:\w+\s+)?(?:now|at\s+the\s+moment|currently|these\s+days|today)\b"
    r"|\b(?:settled|cleared(?:\s+up)?|gone|healed|resolved|recovered|better|fine|ok|okay|normal|"
    r"good|alright|all\s+right)\s+now\b"
    r"|\b(?:has|have|it's|they've|it|that's|that\s+has)\s+(?:all\s+)?(?:settled|cleared|healed|"
    r"resolved|gone)\b|\b(?:antibiotics|treatment|tablets|cream)\s+(?:cleared|sorted|fixed)\b"
    r"|\bnow\s+(?:s?he|they|i|we|it)(?:'s|'re|'m)?\s+(?:\w+\s+){0,3}?(?:fine|ok|okay|normal|"
    r"normally|well|better|runs?|walks?|manages?|climbs?|plays?|does)\b"
)


def not_so_now(text: str) -> bool:
    """Tell whether a normalised answer says the state is over ("not now", "settled")."""
    return _NOT_SO_NOW.search(text) is not None


#: Multi-valued findings are never filled in passing: a mention may be only part of the list.
_NEVER_MENTIONED = frozenset({"lesion_locations"})
_LESION_GROUP = "the lumps"
#: The value an enum may keep for an answer in between (lesion_consistency's "unsure"): a
#: hedged answer to it is that value, not "unknown".
_UNSURE = "unsure"


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


# ----------------------------------------------------------------------------- per type


#: "my mum has them too", "her dad had the same": an answer to the family question.
_RELATIVE_HAS_THEM = re.compile(
    r"\b(?:mum|mom|mother|dad|father|sister|brother|aunt|auntie|uncle|grandma|grandmother|"
    r"granny|nan|grandad|grandpa|grandfather|cousin|parents?|siblings?|niece|nephew)'?s?\s+"
    r"(?:also\s+)?(?:has|had|have|gets|got|get)\s+(?:them|these|those|it|this|the\s+same|"
    r"similar|some|something\s+(?:similar|like\s+(?:this|that|it|them)))\b"
)


def _without(text: str, spans: list[str]) -> str:
    """``text`` without the (normalised) words of ``spans``."""
    for span in spans:
        text = text.replace(normalize(span), " ", 1)
    return normalize(text)


def _bool(code: str, text: str, message: str, mentions: list[Mention]) -> str | None:
    if unknown_marker(text) and not refuted(text):
        return UNKNOWN
    affirmed: set[str] = set()
    own_affirmed: list[str] = []
    negated = False
    uncertain = False
    stopped = False
    for m, e, status in evidence_of(mentions, code):
        stopped = stopped or (m.ceased and status != m.status)
        if status in ("affirmed", "hedged"):
            own_affirmed.append(m.text)
            if e.override:
                return str(e.value)
            recent_only = code in CURRENT_ONLY and m.historical
            affirmed.add("no" if recent_only else str(e.value))
        elif status == "negated" and e.value == "yes":
            negated = True
        elif status in ("uncertain", "hypothetical"):
            uncertain = True
    # the words of the answer's own symptom ("she doesn't know where she is") are no "no"
    lead = lead_polarity(_without(text, own_affirmed))
    if _episode_over(code, text, lead, mentions):
        return "no"
    if code == "high_cholesterol":
        measured = lipid_value(text, bare=True)
        if measured is not None and lead in (None, measured) and not (affirmed - {measured}):
            return measured
    if len(affirmed) > 1 and lead is None:
        return _after_contrast(code, message, mentions)
    if stopped or (not affirmed and not negated and past_lead(text)):
        # "not anymore": the "no" is about now, the question may be about the past
        lead = _past_answer(code, text, lead)
    if not (affirmed or negated or uncertain):
        if lead in ("yes", "no") and _answers_another_finding(code, message, mentions):
            return None
        if code in EVER and not_now(text):
            return None  # "not at the moment" to "are you, or have you been?"
    if code == "family_history_calcinosis" and _RELATIVE_HAS_THEM.search(text):
        affirmed.add("yes")
    if code in TAKES_NOW and affirmed == {"no"} and not negated:
        return "no"  # "yes, 1000 units a day", "yes, one calcium tablet": not a lot
    if affirmed or negated:
        # an affirmed symptom beats a negated part ("a sore that won't heal, but not black");
        # an affirmed "yes" and an affirmed "all normal" contradict each other
        value: str | None = lead if len(affirmed) > 1 else (affirmed.pop() if affirmed else "no")
        if value is not None and lead is not None and lead != value and not _bare_lead(text):
            # "no fever, but I've lost 5 kg": the "no" belongs to its own words
            return value
        if value is None or (lead is not None and lead != value):
            return None
        return value
    if refuted(text):
        return "no"  # "they thought it might be sarcoid but it wasn't", "ruled out"
    if uncertain and lead is None:
        return UNKNOWN
    return lead


def _episode_over(code: str, text: str, lead: Polarity | None, mentions: list[Mention]) -> bool:
    """Whether a present-state "yes" comes only from an episode that is over.

    "not at the moment, had one infected last winter": the answer is "no".
    """
    if code not in PRESENT_STATE or not (lead == "no" or not_so_now(text)):
        return False
    said = [
        m
        for m, e, status in evidence_of(mentions, code)
        if status in ("affirmed", "hedged", "stale") and e.value == "yes"
    ]
    return bool(said) and all(m.past or m.ceased for m in said)


_CONTRAST = re.compile(r"\b(?:but|though|although|however|yet)\b", re.IGNORECASE)


def _after_contrast(code: str, message: str, mentions: list[Mention]) -> str | None:
    """Of two contradicting statements, the one after the last "but", else None.

    "legs feel heavy, but I can still do stairs" is a "no" (if the side after is one-sided).
    """
    turns = [m.start() for m in _CONTRAST.finditer(message)]
    if not turns:
        return None
    turn = turns[-1]
    before: set[str] = set()
    after: set[str] = set()
    for m, e, status in evidence_of(mentions, code):
        if status in ("affirmed", "hedged"):
            (after if m.start_char >= turn else before).add(str(e.value))
    if len(after) == 1 and before - after:
        return after.pop()
    return None


#: Words a bare yes/no clause is made of ("no", "nope, she doesn't", "not really, no").
_BARE_WORDS = frozenset(
    {
        "yes", "yeah", "yep", "yup", "ya", "yh", "ye", "yea", "no", "nope", "nah", "not", "never",
        "none", "nothing", "really", "at", "all", "i", "he", "she", "they", "we", "it", "you", "do",
        "does", "did", "don't", "doesn't", "didn't", "dont", "have", "has", "had", "haven't",
        "hasn't", "hadn't", "am", "is", "are", "was", "were", "isn't", "aren't", "wasn't",
        "weren't",
        "i'm", "he's", "she's", "they're", "it's", "we're", "i've", "they've", "think", "so",
        "well",
        "um", "uh", "erm", "oh", "ok", "okay", "actually", "sorry", "definitely", "absolutely",
        "certainly", "of", "course", "sure", "that", "know", "as", "far", "any", "much", "quite",
        "too", "either", "sadly", "unfortunately", "honestly", "i'd", "say", "would", "probably",
        "maybe", "kind", "sort", "a", "bit", "little", "lot", "sometimes", "often", "always",
        "mostly", "mainly", "totally",
    }
)  # fmt: skip
_CLAUSE_END = re.compile(r"[,;:.!?()]|\s-+\s|\bbut\b|\bthough\b|\bhowever\b")


def _bare_lead(text: str) -> bool:
    """Whether the first clause of a normalised answer is only a yes/no ("no", "nope, never").

    A first clause with words of its own ("no fever", "I haven't been weighing myself")
    carries its own polarity; a bare one answers the question.
    """
    stop = _CLAUSE_END.search(text)
    clause = text[: stop.start()] if stop else text
    return all(word in _BARE_WORDS for word in re.findall(r"[a-z']+", clause))


def _past_answer(code: str, text: str, lead: Polarity | None) -> Polarity | None:
    """The polarity of an answer that says it was so once, for ``code``'s question."""
    if code in EVER:
        return "yes" if past_lead(text) or lead == "no" else lead
    if code in TAKES_NOW:
        return "no" if ceased_lead(text) else lead
    if code in RECENT or (lead == "yes" and ceased_lead(text)):
        return None  # "used to" for a present state or a recent time: ask again
    return lead


#: Where the clause of an answer's own "I do" ends.
_CLAUSE_BREAK = re.compile(
    r"[,.;:!?()\n]|\s-+\s|\b(?:and|but|also|plus|though|although|since|because|cos|so|then|"
    r"however|as\s+well)\b",
    re.IGNORECASE,
)
#: Interjections before the clause that carries an answer ("yes, actually I do ...").
_INTERJECTIONS = re.compile(
    r"^(?:\W*\b(?:actually|well|um+|uh+|er+m?|oh|ok(?:ay)?|so|sorry|honestly|really|yes|yeah|"
    r"yep|yup|yea|no+|nope|nah|definitely|absolutely|sure|correction|i\s+mean)\b)*[\W_]*",
    re.IGNORECASE,
)
#: A clause whose verb takes what follows as its object: "I do get ...", "she's on ...".
_SUBJECT_VERB = re.compile(
    r"(?:i|i'm|im|i've|ive|s?he|s?he's|shes|hes|they|they're|theyre|we|we're|my\s+\w+|"
    r"his\s+\w+|her\s+\w+)\b",
    re.IGNORECASE,
)
_MENTION_POLICIES = ("full", "partial", "lesion")


def _speaks_of_another(m: Mention, code: str) -> bool:
    findings = {e.finding for e in m.entry.evidence if e.policy in _MENTION_POLICIES}
    asked = any(e.finding == code for e in m.entry.evidence)
    return bool(findings - _NEVER_MENTIONED) and not asked and m.status != "family"


def _answers_another_finding(code: str, message: str, mentions: list[Mention]) -> bool:
    """Whether the yes/no of ``message`` is the verb of another finding's clause.

    "actually I do get white fingers" asked about dialysis: the "I do" is about the
    fingers, not an answer to the question. A bare "yes," before another clause is kept.
    """
    others = [m for m in mentions if _speaks_of_another(m, code)]
    if not others:
        return False
    start = _INTERJECTIONS.match(message)
    begin = start.end() if start else 0
    if not _SUBJECT_VERB.match(message, begin):
        return False
    stop = _CLAUSE_BREAK.search(message, begin)
    end = stop.start() if stop else len(message)
    return any(begin <= m.start_char < end for m in others)


#: Words for the sex, strongest first: sex words, then pronouns for the patient, then the
#: patient's relation to a proxy ("my daughter").
# ----------------------------------------------------------------------------- mentions


def _places_of_the_lumps(text: str, message: str, mentions: list[Mention]) -> list[str] | None:
    """Where the lumps are, when a message says so in passing.

    "Hard lumps on her elbows and knees", "calcinosis fingertips + forearms": the places
    named in the sentences that name the lumps, affirmed, coded as the location question
    would code them. A place goes with the nearest word for a lesion in its sentence; when
    the message has a word of the lumps alone ("bumps", "nodules"), places by a word that
    names a rash's marks too ("red spots", "plaques": ``ambiguous`` in the lexicon) are left.
    """
    lesions = [m for m in mentions if m.label == "LESION"]
    if not lesions:
        return None
    only_lumps = any(not m.entry.ambiguous for m in lesions)

    def nearest(site: Mention) -> Mention | None:
        same = [m for m in lesions if m.sentence == site.sentence]
        return min(same, key=lambda m: _gap(m, site)) if same else None

    sites = []
    for m in mentions:
        if m.label != "BODY_SITE" or m.status != "affirmed":
            continue
        lesion = nearest(m)
        if lesion is not None and not (only_lumps and lesion.entry.ambiguous):
            sites.append(m)
    if not sites:
        return None
    value = locations(text, message, sites)
    if not isinstance(value, list) or not value:
        return None
    return list(_finding("lesion_locations").check(value))  # each place once, in order


def _gap(a: Mention, b: Mention) -> int:
    """Characters between two mentions (0 when they overlap)."""
    return max(0, max(a.start_char, b.start_char) - min(a.end_char, b.end_char))


def _mention_value(m: Mention, e: Evidence, asked: str | None, over: bool = False) -> Any:
    """The value a mention gives another finding, or None if it should not count.

    ``over``: the message says something is not so now ("... but that's gone now").
    """
    status = timed_status(m, e)
    if status not in ("affirmed", "negated") or e.policy in ("answer", "none"):
        return None
    if over and e.finding in PRESENT_STATE and (m.past or m.ceased) and status == "affirmed":
        return None  # an episode that is over
    if e.finding in _NEVER_MENTIONED:
        return None
    if e.policy == "lesion" and not m.lesion_context:
        asked_group = get_dictionary().findings[asked].group if asked else None
        if asked_group != _LESION_GROUP:
            return None
    if e.finding in CURRENT_ONLY and m.historical and not (m.ceased and status == "negated"):
        return None
    if e.finding == "known_diagnoses":
        if m.status != "affirmed" or m.entry.ambiguous or e.value == "none":
            return None
        return e.value
    if status == "negated":
        return "no" if e.value == "yes" and e.policy == "full" else None
    return e.value


def _denied_part(m: Mention, e: Evidence) -> bool:
    """A negated mention of one part of a several-part finding ("no fever")."""
    return (
        m.status == "negated"
        and not m.ceased
        and e.policy == "partial"
        and e.value == "yes"
        and e.finding not in _NEVER_MENTIONED
    )


#: Material seen or coming out: soft evidence only next to a named texture.
_MATERIAL = frozenset({"lx_discharge", "lx_material"})


def _ids(mentions: list[Mention]) -> set[str]:
    return {m.entry.id for m in mentions if m.status in ("affirmed", "hedged")}


def _texture(mentions: list[Mention]) -> set[Any]:
    """Consistency values named as a texture ("hard", "soft"), not inferred from discharge."""
    return {
        e.value
        for m in mentions
        if m.status == "affirmed" and m.entry.id not in _MATERIAL
        for e in m.entry.evidence
        if e.finding == "lesion_consistency" and e.policy != "answer"
    }


def _mentions(
    mentions: list[Mention], text: str, asked: str | None, message: str | None = None
) -> dict[str, Any]:
    skip = {asked} if asked else set()
    for group in _CONFUSABLE:
        if asked in group:
            skip |= group
    votes: dict[str, set[Any]] = {}
    diagnoses: list[str] = []
    denied_parts: dict[str, set[str]] = {}
    over = not_so_now(text)
    for m in mentions:
        for e in m.entry.evidence:
            if e.finding in skip:
                continue
            value = _mention_value(m, e, asked, over)
            if value is None:
                if _denied_part(m, e):
                    denied_parts.setdefault(e.finding, set()).add(normalize(m.text))
                continue
            if e.finding == "known_diagnoses":
                diagnoses.append(str(value))
            else:
                votes.setdefault(e.finding, set()).add(value)
    out: dict[str, Any] = {}
    findings = get_dictionary().findings
    texture = _texture(mentions)
    if "lesion_consistency" in votes:
        # material coming out says nothing about how the lumps feel unless a texture is named
        votes["lesion_consistency"] = texture if texture else set()
    for code, values in votes.items():
        both = {"hard", "soft_paste"} <= values or ("hard" in values and _MATERIAL & _ids(mentions))
        if code == "lesion_consistency" and both:
            out[code] = "both"
        elif len(values) == 1:
            out[code] = findings[code].check(values.pop())
    for code, parts in denied_parts.items():
        # "no fever, no weight loss, no night sweats": several parts denied, none affirmed
        if len(parts) >= 2 and code not in votes and code not in out:
            out[code] = "no"
    if diagnoses:
        out["known_diagnoses"] = findings["known_diagnoses"].check(diagnoses)
    if message is not None and "lesion_locations" not in skip:
        places = _places_of_the_lumps(text, message, mentions)
        if places:
            out["lesion_locations"] = places
    if "high_cholesterol" not in skip and "high_cholesterol" not in out:
        measured = lipid_value(text)
        if measured is not None:
            out["high_cholesterol"] = measured
    if "age" not in skip:
        age = age_mention(text)
        if age is not None:
            out["age"] = age
    if "sex" not in skip:
        sex = sex_mention(text)
        if sex is not None:
            out["sex"] = sex
    return out


# ----------------------------------------------------------------------------- API


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
    if not isinstance(message, str):
        raise TypeError("message must be a string")
    text = normalize(message)
    if not text:
        return Interpretation(finding=finding, value=None)
    mentions = analyse(message)
    value: Any = None
    if spec.type == "text":
        value = message.strip()
    elif spec.type == "int":
        value = integer(finding, text, context)
    elif finding == "sex":
        value = sex(text)
    elif finding == "lesion_consistency":
        value = consistency(text, mentions)
    elif finding == "lesion_count":
        value = count(text)
    elif finding == "lesion_locations":
        value = locations(text, message, mentions)
    elif finding == "known_diagnoses":
        value = diagnoses(text, mentions)
    elif spec.type == "bool":
        value = _bool(finding, text, message, mentions)
        if finding == "injections_or_infusions" and value == "yes":
            value = "no" if injected_elsewhere(mentions, context) else value
        if value is None:  # described, not named ("I push myself up off the sofa")
            value = indirect(finding, parse(message))
    elif unknown_marker(text):
        value = UNKNOWN
    if value is not None:
        value = spec.check(value)
    unsure = _UNSURE if _UNSURE in spec.values else UNKNOWN
    if spec.type != "text" and value not in (None, UNKNOWN, unsure) and doubted(message, value):
        value = unsure  # a hedge is never a yes ("doesn't everyone?", "is that the same?")
    asked = None if spec.type == "text" else finding
    found = _mentions(mentions, text, asked, message)
    return Interpretation(finding=finding, value=value, mentions=found)


def extract(message: str, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every finding stated explicitly in a free message (corrections, stories, shorthand).

    Only facts count: negated mentions give "no" where the words cover the whole finding
    ("denies Raynaud's"), hedged, hypothetical and family mentions give nothing.
    """
    if not isinstance(message, str):
        raise TypeError("message must be a string")
    text = normalize(message)
    if not text:
        return {}
    return _mentions(analyse(message), text, None, message)
