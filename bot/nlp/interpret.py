"""``interpret(finding, message)``: the one function that codes every answer.

The message goes through the spaCy pipeline (entities with negation and uncertainty, see
``bot.nlp.pipeline``) and through the answer patterns of ``bot.nlp.answers`` (how people
say yes, no and "I don't know") and ``bot.nlp.numbers`` (ages). Nothing of the message is
logged. Rules of thumb: an answer that is not understood is ``None`` (the question is asked
again), never a guess; conflicting signals ("no, ... but it hurts") are not understood;
mentions of other findings are kept only when stated as facts.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
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
from bot.nlp.indirect import indirect
from bot.nlp.numbers import age_mention, lipid_value, parse_age, parse_onset_age, sex_mention
from bot.nlp.pipeline import Evidence, load_lexicon, parse
from bot.nlp.text import STANDALONE_NUMBER_RE, normalize, word_number

#: Findings whose wording overlaps: while one is asked, the other is not taken in passing.
_CONFUSABLE: tuple[frozenset[str], ...] = (
    frozenset({"function_limited", "muscle_weakness"}),
    frozenset({"lesion_ulceration", "digital_ulcers"}),
    frozenset({"lesion_pain", "joint_pain_swelling"}),
    frozenset({"lesion_infection_signs", "constitutional_symptoms"}),
    frozenset({"heliotrope_or_gottron_rash", "photosensitive_or_malar_rash"}),
)
#: Findings about the present: something the person only used to do is not a "yes".
_CURRENT_ONLY = frozenset(
    {"chemotherapy_recent", "calcium_or_antacid_intake", "vitamin_d_high_dose"}
)
#: Findings asked about the whole past (the question says "or have you been", "have you
#: had", "have you been told", "did you have", "has ... broken open"): what stopped
#: ("not on dialysis anymore", "I used to") still happened, so it is a "yes".
EVER = frozenset(
    {
        "lesion_ulceration", "prior_injury_at_site", "injections_or_infusions", "kidney_disease",
        "dialysis", "organ_transplant", "cancer_history", "parathyroid_disease", "sarcoidosis",
        "short_stature_or_short_fingers", "digital_ulcers", "mouth_ulcers_or_hair_loss",
        "hypercalcemia_symptoms", "constitutional_symptoms", "high_cholesterol",
    }
)  # fmt: skip
#: Findings about what the person takes now ("Do you take ..."): what stopped is a "no".
TAKES_NOW = frozenset({"calcium_or_antacid_intake", "vitamin_d_high_dose"})
#: Findings about a recent time: "stopped" is no "no" (only "years ago" is), and "not on
#: it anymore" says nothing about when it stopped.
_RECENT = frozenset({"chemotherapy_recent"})
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


def _timed(m: Mention, e: Evidence) -> str:
    """The mention's status for ``e.finding`` once a "stopped" in its clause is read.

    For a finding about the whole past, something stopped happened ("affirmed"); for what
    is taken now it is a "negated"; for a recent time "not ... anymore" says nothing
    ("stale"); for a present state "not ... anymore" is "negated" and "used to" says
    nothing ("stale").
    """
    if not m.ceased or m.status not in ("affirmed", "hedged", "negated"):
        return m.status
    code = e.finding
    if code in EVER:
        if m.status == "negated":
            return "affirmed" if e.value == "yes" else "stale"
        return m.status
    if code in TAKES_NOW:
        return "negated" if e.value == "yes" else "stale"
    if code in _RECENT:
        return "stale" if m.status == "negated" else m.status
    return "negated" if m.status == "negated" else "stale"


def _evidence(mentions: Iterable[Mention], code: str) -> list[tuple[Mention, Evidence, str]]:
    return [
        (m, e, _timed(m, e))
        for m in mentions
        for e in m.entry.evidence
        if e.finding == code and e.policy != "none" and m.status != "family"
    ]


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
    for m, e, status in _evidence(mentions, code):
        stopped = stopped or (m.ceased and status != m.status)
        if status in ("affirmed", "hedged"):
            own_affirmed.append(m.text)
            if e.override:
                return str(e.value)
            recent_only = code in _CURRENT_ONLY and m.historical
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
        for m, e, status in _evidence(mentions, code)
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
    for m, e, status in _evidence(mentions, code):
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
    if code in _RECENT or (lead == "yes" and ceased_lead(text)):
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


def _sex(text: str) -> str | None:
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


def _values(mentions: list[Mention], code: str, *, hedged_ok: bool = True) -> list[Any]:
    ok = ("affirmed", "hedged", "uncertain") if hedged_ok else ("affirmed",)
    out: list[Any] = []
    for m, e, _ in _evidence(mentions, code):
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


def _consistency(text: str, mentions: list[Mention]) -> str | None:
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
    for m, e, _ in _evidence(mentions, "lesion_consistency"):
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


def _count(text: str) -> str | None:
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


def _site_values(m: Mention) -> set[str]:
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
        if m.status in ("affirmed", "hedged", "uncertain") and _site_values(m)
    ]
    out: set[int] = set()
    for (_, prev), (i, m) in itertools.pairwise(sites):
        if prev.sentence != m.sentence or not (_site_values(prev) | _site_values(m)) <= _HEAD:
            continue
        match = _LANDMARK.match(message, prev.end_char)
        if match and match.end() >= m.start_char:
            out.add(i)
    return out


def _locations(text: str, message: str, mentions: list[Mention]) -> list[str] | str | None:
    landmarks = _landmarks(message, mentions)
    sites = _values([m for i, m in enumerate(mentions) if i not in landmarks], "lesion_locations")
    if sites:
        return [str(s) for s in sites]
    if unknown_marker(text) or _UNSURE_WHERE.search(text):
        return UNKNOWN
    return None


def _diagnoses(text: str, mentions: list[Mention]) -> list[str] | str | None:
    lead = lead_polarity(text)
    rheum: list[str] = []
    ambiguous_only = True
    other = False
    uncertain = False
    for m, e, _ in _evidence(mentions, "known_diagnoses"):
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


def _int(code: str, text: str, context: Mapping[str, Any] | None) -> int | str | None:
    value = parse_onset_age(text, context) if code == "lesion_onset_age" else parse_age(text)
    if value is None and unknown_marker(text):
        return UNKNOWN
    return value


#: Calcium or phosphate through a drip counts wherever it went in (the question's first part).
_CALCIUM_DRIP = "drug_calcium_iv"


def _regions(sites: Iterable[str]) -> set[str]:
    """The body regions of location codes (the lexicon's ``regions:``)."""
    regions = load_lexicon().regions
    return {region for site in sites for region in regions.get(site, frozenset())}


def _injected_elsewhere(mentions: list[Mention], context: Mapping[str, Any] | None) -> bool:
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
    named = {s for m in said if m.label == "BODY_SITE" for s in _site_values(m)}
    named.discard("venipuncture_sites")
    return bool(named) and not (_regions(named) & _regions(str(s) for s in lumps))


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
    value = _locations(text, message, sites)
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
    status = _timed(m, e)
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
    if e.finding in _CURRENT_ONLY and m.historical and not (m.ceased and status == "negated"):
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
        value = _int(finding, text, context)
    elif finding == "sex":
        value = _sex(text)
    elif finding == "lesion_consistency":
        value = _consistency(text, mentions)
    elif finding == "lesion_count":
        value = _count(text)
    elif finding == "lesion_locations":
        value = _locations(text, message, mentions)
    elif finding == "known_diagnoses":
        value = _diagnoses(text, mentions)
    elif spec.type == "bool":
        value = _bool(finding, text, message, mentions)
        if finding == "injections_or_infusions" and value == "yes":
            value = "no" if _injected_elsewhere(mentions, context) else value
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


_DOUBT_FILE = Path(__file__).resolve().parent / "rules" / "doubt.yaml"


@lru_cache(maxsize=1)
def _doubt() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """The doubt patterns of ``rules/doubt.yaml`` (checked: a bad one names file and line)."""
    from bot import datafile

    raw = datafile.load(_DOUBT_FILE)

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        out = []
        for text in raw.get(key) or []:
            try:
                out.append(re.compile(str(text), re.IGNORECASE))
            except re.error as error:
                raise ValueError(f"{_DOUBT_FILE.name}: {key}: {text!r}: {error}") from None
        return tuple(out)

    return compiled("patterns"), compiled("against_no")


def doubted(message: str, value: Any) -> bool:
    """Whether doubt around the answer makes ``value`` unknown (see ``rules/doubt.yaml``)."""
    patterns, against_no = _doubt()
    if value == "no":
        return any(p.search(message) for p in against_no)
    return any(p.search(message) for p in patterns)
