"""Run the pipeline on a message and describe each entity: what it is and how it is said."""

from __future__ import annotations

import datetime
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from bot.nlp.pipeline import (
    CLAUSE_SUFFIX,
    Entry,
    Normaliser,
    compile_pattern,
    get_nlp,
    load_lexicon,
    parse,
)

Status = Literal["affirmed", "hedged", "negated", "uncertain", "hypothetical", "family"]

#: Answer words that stand alone ("no, my fingers go white"): not a negation of what follows.
_ANSWER_WORDS = frozenset({"no", "nope", "nah", "nil", "none"})
#: Tokens that make a comma-separated segment affirmative on its own ("HD x3y", "Raynaud's +").
_AFFIRMING = frozenset(
    {
        "+", "++", "+ve", "pos", "positive", "yes", "present", "since", "on", "takes", "taking",
        "uses", "using", "has", "had", "started", "daily", "weekly", "monthly", "bd", "bid",
        "tds", "tid", "qd", "od", "prn", "mg", "mcg", "iu", "units",
    }
)  # fmt: skip
_DURATION_TOKEN = re.compile(
    r"^x\d+(?:[a-z]{1,3})?$|^\d+(?:y|yr|yrs|m|mo|mos)$|^\d+(?:k|mg|mcg|iu|g)$"
)
_SEGMENT_BREAKS = frozenset({",", ";", "+", "/"})
#: Normalised words that negate what follows ("fingers don't go white": "n't" -> "not").
_NEGATION_NORMS = frozenset({"not", "never", "no", "nor", "cannot"})
#: Words after "not" that make it no negation ("not only", "not just").
_NOT_NEGATING_NEXT = frozenset({"only", "just", "necessarily"})
#: Words saying something was so once and is not now, as sequences of words (lower case or
#: normalised): before the entity ("used to", "stopped the vitamin D", "no longer on") and
#: after it ("not on dialysis anymore", "the calcium I stopped").
_CEASED_BEFORE = (
    ("use", "to"), ("stop",), ("quit",), ("come", "off"), ("no", "longer"), ("previously",),
    ("formerly",), ("was", "on"), ("were", "on"),
)  # fmt: skip
_CEASED_AFTER = (
    ("anymore",), ("any", "more"), ("any", "longer"), ("in", "the", "past"), ("previously",),
    ("stop",), ("quit",), ("come", "off"), ("no", "longer"),
)  # fmt: skip
#: Where the clause of a "stopped" word ends.
_CLAUSE_ENDS = frozenset(
    {",", ";", ":", "(", ")", "-", "but", "however", "though", "although", "whereas", "while",
     "because", "cos", "since", "except", "now", "still", "currently", "before", "after",
     "until", "till", "when"}
)  # fmt: skip
#: "and" followed by one of these starts a new clause ("... and I take vitamin D").
_NEW_SUBJECT = frozenset(
    {"i", "she", "he", "they", "we", "it", "my", "his", "her", "their", "started", "began", "now",
     "then", "recently", "currently", "last", "this"}
)  # fmt: skip
_CEASED_REACH = 6
_PRIORITY: tuple[tuple[str, Status], ...] = (
    ("FAMILY", "family"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "uncertain"),
    ("NEGATED_EXISTENCE", "negated"),
    ("HEDGE", "hedged"),
)


@dataclass(frozen=True)
class Mention:
    """One entity of a message with its ConText status."""

    entry: Entry
    label: str
    text: str
    start_char: int
    end_char: int
    sentence: int
    status: Status
    historical: bool
    lesion_context: bool
    ceased: bool = False
    past: bool = False

    @property
    def confident(self) -> bool:
        """Whether the entity is stated as a fact about the person (affirmed or negated)."""
        return self.status in ("affirmed", "negated")


def _segment(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Token range of the comma-separated segment around ``doc[start:end]``."""
    sent = doc[start].sent
    left = start
    while left > sent.start and doc[left - 1].text not in _SEGMENT_BREAKS:
        left -= 1
    right = end
    while right < sent.end and doc[right].text not in _SEGMENT_BREAKS:
        right += 1
    # "Raynaud's +": the marker closing the segment belongs to it
    if right < sent.end and doc[right].text in ("+", "++"):
        right += 1
    return left, right


def _affirmed_segment(doc: Any, left: int, right: int) -> bool:
    return any(t.lower_ in _AFFIRMING or _DURATION_TOKEN.match(t.lower_) for t in doc[left:right])


def _category(modifier: Any) -> str:
    return str(modifier.category).removesuffix(CLAUSE_SUFFIX)


def _double_negation(doc: Any, start: int, end: int) -> bool:
    """Two different negation words side by side cancel ("never not thirsty", "don't not").

    An answer word is left out ("no", "nope", "nah"): "no not really", "nope never had
    it" are still a no.
    """
    if end - start != 1 or doc[start].lower_ in _ANSWER_WORDS:
        return False
    for i in (start - 1, end):
        if 0 <= i < len(doc):
            other = doc[i]
            if other.norm_ in _NEGATION_NORMS and other.lower_ not in (
                _ANSWER_WORDS | {doc[start].lower_}
            ):
                return True
    return False


def _counts(doc: Any, modifier: Any, seg: tuple[int, int], affirmed_seg: bool) -> bool:
    """Whether a ConText modifier really applies (standalone answers and other segments don't)."""
    start, end = modifier.modifier_span
    if _category(modifier) == "NEGATED_EXISTENCE":
        if _double_negation(doc, start, end):
            return False
        words = doc[start:end]
        if (
            len(words) == 1
            and words[0].lower_ in _ANSWER_WORDS
            and (end >= len(doc) or doc[end].is_punct)
        ):
            return False
        if affirmed_seg and not (seg[0] <= start < seg[1]):
            return False
    return True


def _spells_negation(entry: Entry) -> bool:
    """Whether one of the entry's patterns names a negation itself ("sores that won't heal")."""
    for text in entry.patterns:
        if not isinstance(text, str):
            continue
        for item in text.split():
            for alt in item.rstrip("?").split("|"):
                words = set(alt.lstrip("=").lower().split("_"))
                if words & {"not", "n't", "never", "no", "nor", "cannot", "no_one", "nobody"}:
                    return True
    return False


class _LiteralNegations:
    """Matches the entries that spell a negation with gaps that may not cover one.

    A negation inside an entity's span belongs to the entry when a pattern of it still
    matches with negation-free gaps ("sores that don't heal"); otherwise it fell into a
    gap and negates the entity ("fingers don't go white"). Built lazily, once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matcher: Any = None

    def _build(self, nlp: Any) -> Any:
        from spacy.matcher import Matcher

        lexicon = load_lexicon()
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        norm = Normaliser(table, lexicon.protected)

        def tokenize(text: str) -> list[str]:
            return [t.text for t in nlp.make_doc(text)]

        matcher = Matcher(nlp.vocab)
        for entry in lexicon.entries.values():
            if not _spells_negation(entry):
                continue
            patterns: list[list[dict[str, Any]]] = []
            for text in entry.patterns:
                if isinstance(text, list):
                    patterns.append(text)
                else:
                    patterns.extend(compile_pattern(text, tokenize, norm, _NEGATION_NORMS))
            matcher.add(entry.id, patterns)
        return matcher

    def literal(self, doc: Any, entry_id: str, token: int) -> bool:
        """Whether ``entry_id`` matches ``doc`` around ``token`` without a gap covering it."""
        if self._matcher is None:
            with self._lock:
                if self._matcher is None:
                    self._matcher = self._build(get_nlp())
        sent = doc[token].sent
        key = doc.vocab.strings.add(entry_id)
        for match_id, start, end in self._matcher(sent.as_doc()):
            if match_id == key and start <= token - sent.start < end:
                return True
        return False


_LITERAL = _LiteralNegations()


def _inner_negation(doc: Any, ent: Any, entry: Entry, spells: bool) -> tuple[bool, bool]:
    """Negations inside the entity's own words: (one fell into a gap, one is the pattern's).

    A gap negation negates the entity ("fingers don't go white"); a literal one is part of
    what it names ("can't climb stairs").
    """
    gap = literal = False
    for token in doc[ent.start : ent.end]:
        if token.norm_ not in _NEGATION_NORMS:
            continue
        nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if nxt is not None and nxt.norm_ in _NOT_NEGATING_NEXT:
            continue
        if spells and _LITERAL.literal(doc, entry.id, token.i):
            literal = True
        elif ent.start < token.i < ent.end - 1:
            gap = True
    return gap, literal


def _clause_end(doc: Any, i: int) -> bool:
    token = doc[i]
    if token.norm_ in _CLAUSE_ENDS or token.lower_ in _CLAUSE_ENDS:
        return True
    return token.lower_ == "and" and i + 1 < len(doc) and doc[i + 1].lower_ in _NEW_SUBJECT


def _has_marker(words: list[tuple[str, str]], markers: tuple[tuple[str, ...], ...]) -> bool:
    firsts = {marker[0] for marker in markers}
    for i in range(len(words)):
        if not firsts.intersection(words[i]):
            continue
        for marker in markers:
            part = words[i : i + len(marker)]
            if len(part) == len(marker) and all(
                w in pair for w, pair in zip(marker, part, strict=True)
            ):
                return True
    return False


def _clause_window(doc: Any, ent: Any) -> tuple[int, int]:
    """Token range around the entity up to its clause's ends (at most a few words away)."""
    sent = ent.sent
    left = ent.start
    while left > sent.start and ent.start - left < _CEASED_REACH and not _clause_end(doc, left - 1):
        left -= 1
    right = ent.end
    while right < sent.end and right - ent.end < _CEASED_REACH and not _clause_end(doc, right):
        right += 1
    return left, right


def _ceased(doc: Any, ent: Any) -> bool:
    """Whether the entity's clause says it stopped ("not on dialysis anymore", "used to")."""
    left, right = _clause_window(doc, ent)

    def words(start: int, end: int) -> list[tuple[str, str]]:
        return [(t.lower_, t.norm_) for t in doc[start:end]]

    inside = words(ent.start + 1, ent.end - 1)  # "fingers used to go white"
    return _has_marker(words(left, ent.start) + inside, _CEASED_BEFORE) or _has_marker(
        inside + words(ent.end, right), _CEASED_AFTER
    )


_MONTHS = (
    "january", "february", "march", "april", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec",
)  # fmt: skip
_PERIODS = (
    "week", "month", "year", "winter", "summer", "spring", "autumn", "fall", "time", "christmas",
    "weekend", "term",
)  # fmt: skip
#: Words dating a clause to an earlier time ("last winter", "a year ago", "at the start").
_PAST_TIME = (
    ("ago",), ("at", "first"), ("at", "the", "start"), ("at", "the", "beginning"),
    ("at", "diagnosis"), ("at", "onset"), ("initially",), ("originally",), ("back", "then"),
    ("at", "the", "time"), ("in", "the", "past"), ("before",), ("previously",),
    *(("last", period) for period in _PERIODS),
    *(("in", month) for month in _MONTHS),
    *(("in", "the", season) for season in ("spring", "summer", "autumn", "fall", "winter")),
)  # fmt: skip
#: Past-tense verbs of the entity's own clause ("it was red", "one got infected").
_PAST_VERBS = frozenset(
    {"was", "were", "had", "got", "went", "became", "needed", "did", "used", "could", "couldn't",
     "turned", "came", "started", "began", "wasn't", "weren't"}
)  # fmt: skip
#: Words putting a clause in the present ("now", "still", "today", "is").
_PRESENT = (
    ("now",), ("still",), ("currently",), ("today",), ("nowadays",), ("at", "the", "moment"),
    ("these", "days"), ("at", "present"), ("is",), ("are",), ("am",), ("'s",), ("'re",),
    ("'m",), ("this", "week"),
)  # fmt: skip


_WHEN = frozenset({"when", "before", "after", "until", "till"})


def _past(doc: Any, ent: Any) -> bool:
    """Whether the entity's clause is about an earlier time and not about now.

    "it was red and puffy", "one got infected last winter", "weak at the start" are past;
    "it is still red", "red now" are not.
    """
    left, right = _clause_window(doc, ent)
    words = [(t.lower_, t.norm_) for t in doc[left:right]]
    if _has_marker(words, _PRESENT):
        return False
    before = {t.lower_ for t in doc[left : ent.end]}
    if before & _PAST_VERBS or _has_marker(words, _PAST_TIME):
        return True
    # "weak when it all started", "red when the drip came out"
    if right < ent.sent.end and doc[right].lower_ in _WHEN:
        after = doc[right + 1 : min(right + 6, ent.sent.end)]
        for token in after:
            if token.is_punct:
                break
            if token.lower_ in _PAST_VERBS:
                return True
    return False


#: Words before a year that put the entity in that year ("in 2010"; not "since 2010").
_IN_YEAR = frozenset({"in", "during", "circa", "around", "until", "till", "back", "of"})
_YEAR = re.compile(r"^(?:19|20)\d\d$")
#: A decade ("in the 90s", "in the nineties"): long ago unless it is this one.
_DECADE = re.compile(
    r"^(?:(?:19)?[4-9]0'?s|(?:forties|fifties|sixties|seventies|eighties|nineties))$"
)


def _long_ago(doc: Any, ent: Any) -> bool:
    """Whether the entity's clause dates it to a year at least two years back ("in 2010")."""
    this_year = datetime.date.today().year
    left, right = _clause_window(doc, ent)
    for i in range(left, right):
        token = doc[i]
        if (
            _YEAR.match(token.text)
            and i > 0
            and doc[i - 1].lower_ in _IN_YEAR
            and int(token.text) <= this_year - 2
        ):
            return True
        if (
            _DECADE.match(token.lower_)
            and i > 1
            and doc[i - 1].lower_ == "the"
            and doc[i - 2].lower_ in _IN_YEAR
        ):
            return True
    return False


#: Entities saying "family history" ("FHx", "no family history"): followed by "of" they
#: are a family modifier for what they name, and say nothing of lumps unless they name them.
_FAMILY_HISTORY = frozenset({"cond_family", "cond_family_none", "cond_fh", "cond_fh_of"})


_OF = frozenset({"of", ":", "-"})


def _family_history_scopes(doc: Any) -> dict[int, tuple[int, int]]:
    """Token ranges named by a "family history of ..." entity, by the entity's start.

    The entity covers the words ConText would read as a family trigger (a modifier that
    overlaps an entity is pruned), so its scope is found here: to the end of its segment
    ("family history of ..."), or from its start ("... runs in the family").
    """
    scopes: dict[int, tuple[int, int]] = {}
    for ent in doc.ents:
        if ent.ent_id_ not in _FAMILY_HISTORY:
            continue
        left, right = _segment(doc, ent.start, ent.end)
        if doc[ent.start].norm_ == "run":  # "kidney disease runs in the family"
            scopes[ent.start] = (left, ent.start)
        elif doc[ent.end - 1].lower_ in _OF or (ent.end < len(doc) and doc[ent.end].lower_ in _OF):
            scopes[ent.start] = (ent.end, right)
    return scopes


def _in_family_scope(ent: Any, doc: Any, scopes: dict[int, tuple[int, int]]) -> bool:
    """Whether ``ent`` is named by a family history (or is one naming no lumps)."""
    for start, (begin, end) in scopes.items():
        if begin <= ent.start < end and ent.label_ != "LESION":
            return True
        if ent.start == start:
            named = [e for e in doc.ents if begin <= e.start < end]
            if named and not any(e.label_ == "LESION" for e in named):
                return True
    return False


#: "my mum has it and so do I": what the relative has, the patient has too.
_ME_TOO = re.compile(
    r"\b(?:so\s+(?:do|have|am|did)\s+i|me\s+too|as\s+(?:do|have|did)\s+i|same\s+(?:for|with)\s+me|"
    r"so\s+(?:does|has|did)\s+(?:s?he|my\s+\w+)|(?:i|s?he)\s+(?:do|does|have|has|get|gets)"
    r"(?:\s+(?:it|them|that|one))?\s+(?:too|as\s+well))\b",
    re.IGNORECASE,
)

_SPELLS: dict[str, bool] = {}


def _entry_spells_negation(entry: Entry) -> bool:
    if entry.id not in _SPELLS:
        _SPELLS[entry.id] = _spells_negation(entry)
    return _SPELLS[entry.id]


def analyse(message: str) -> list[Mention]:
    """Entities of ``message`` with their status (negated, uncertain, ...), in text order."""
    entries = load_lexicon().entries
    doc = parse(message)
    sentences = {s.start: i for i, s in enumerate(doc.sents)}
    lesion_sents = {sentences[e.sent.start] for e in doc.ents if e.label_ == "LESION"}
    family_scopes = _family_history_scopes(doc)
    out: list[Mention] = []
    for ent in doc.ents:
        entry = entries.get(ent.ent_id_)
        if entry is None:
            continue
        seg = _segment(doc, ent.start, ent.end)
        affirmed_seg = _affirmed_segment(doc, *seg)
        categories = {_category(m) for m in ent._.modifiers if _counts(doc, m, seg, affirmed_seg)}
        gap_negation, literal_negation = _inner_negation(
            doc, ent, entry, _entry_spells_negation(entry)
        )
        if gap_negation:
            categories.add("NEGATED_EXISTENCE")
        status: Status = "affirmed"
        for category, name in _PRIORITY:
            if category in categories:
                status = name
                break
        if family_scopes and _in_family_scope(ent, doc, family_scopes):
            status = "family"
        elif status == "family" and _ME_TOO.search(message, ent.end_char, ent.sent.end_char):
            status = "affirmed"
        sentence = sentences[ent.sent.start]
        # "can't climb stairs anymore" is a new inability, not one that stopped
        ceased = not literal_negation and _ceased(doc, ent)
        out.append(
            Mention(
                entry=entry,
                label=ent.label_,
                text=ent.text,
                start_char=ent.start_char,
                end_char=ent.end_char,
                sentence=sentence,
                status=status,
                historical="HISTORICAL" in categories or _long_ago(doc, ent),
                ceased=ceased,
                lesion_context=sentence in lesion_sents,
                past=_past(doc, ent),
            )
        )
    return out
