"""The emergency screen: does a message describe an emergency happening now?

One function over the analysed message (:func:`screen`), called on every channel and every
turn whatever the interview is waiting for (the Rasa NLU component runs it). The phrasings
are data, ``rules/emergencies.yaml``: per kind (chest pain, stroke, breathing, ...) the
patterns that name it, and the cues around a pattern that say it is not happening now to
someone here: negated ("never had chest pains"), past ("a stroke in 2015"), habitual
("breathless on the stairs for years"), over ("it settled"), imagined or asked about
("could this spread to my heart?"), or someone else's history ("my gran had a stroke").
A cue of the present in the same clause ("now", "just", "20 minutes ago", "is fitting")
outweighs all of them but a negation. When in doubt it fires: a missed emergency is the
worst error.

The patterns are compiled with the pipeline's own pattern compiler and matched on the same
spelling-corrected lemmas (``Token.norm_``) that every other rule reads, on the one ``Doc``
of the message (:func:`bot.nlp.pipeline.parse`). Nothing of the message is logged.
"""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import datafile
from bot.contract import EMERGENCY_KINDS
from bot.nlp.detours import looks_like_document
from bot.nlp.pipeline import RULES_DIR, Normaliser, compile_pattern, get_nlp, load_lexicon, parse

EMERGENCIES_FILE = RULES_DIR / "emergencies.yaml"
#: The kinds of the contract (CONTRACT.md "Emergencies").
KINDS = EMERGENCY_KINDS
#: Cue categories and where each looks (see the data file's comments).
CUES = (
    "negation",
    "hypothetical",
    "asking",
    "past",
    "chronic",
    "resolved",
    "general",
    "other_person",
    "lasting",
    "lately",
    "recent",
)
WHERE = ("before", "clause", "sentence", "question")
#: Cues a kind may ignore (``immune:``).
IMMUNE = frozenset(
    {"hypothetical", "asking", "past", "chronic", "resolved", "general", "other_person", "lasting"}
)
#: Tokens that end a clause (a cue's reach) inside a sentence.
CLAUSE_BREAKS = frozenset({",", ";", ":", "(", ")", "-", "\u2013", "\u2014", "...", "/"})
CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "whereas", "except", "yet"})
#: A subject between a negation and the match: the negation is about something else
#: ("no, she can't breathe").
SUBJECTS = frozenset(
    {"i", "he", "she", "they", "we", "you", "it", "my", "his", "her", "their", "our", "your"}
)
#: "and" followed by one of these starts a new clause ("... last year and she's in a home now").
NEW_SUBJECT = SUBJECTS
#: Normalised words that make a pattern spell its own negation ("can't breathe", "won't stop").
NEGATION_NORMS = frozenset({"not", "no", "never", "nobody", "noone", "nothing", "none"})
#: Words that end a negation's reach: each part of a list keeps its own ("won't work and her
#: face is numb").
AND_WORDS = frozenset(
    {"and", "n", "&", "plus", "then", "also", "an", "so", "because", "cos", "coz", "as"}
)
#: Simple past verbs that put someone else's event in their history ("my gran had a stroke").
PAST_VERBS = frozenset({"had", "suffered", "got", "was", "were", "died", "went", "passed"})
#: A negation this close before a cue voids the cue ("won't go away" is not "gone away")...
VOID_REACH = 2
#: ...for cues that a negation turns round ("not for years", "hasn't settled").
VOIDABLE = frozenset({"past", "chronic", "resolved", "general"})
#: Cues a kind's ``settled_by`` may list.
SETTLING = frozenset({"past", "chronic", "resolved", "general"})
_CLASS = re.compile(r"\{([A-Z_]+)\}")
_BUILTIN_YEAR = "YEAR_PAST"


class EmergencyRuleError(ValueError):
    """``emergencies.yaml`` is malformed; the message names file and line."""


@dataclass(frozen=True)
class Pattern:
    """One pattern of a kind: its text, what must be in the message too, where it is."""

    text: str
    needs: tuple[str, ...] = ()
    where: str = ""
    #: Opt-in cues this pattern yields to (``yields:``), beyond those every pattern heeds.
    yields: frozenset[str] = frozenset()
    #: Names the danger itself (``severe: true``): not settled by the kind's ``settled_by``.
    severe: bool = False
    #: Cues this pattern ignores beyond its kind's (``immune:``; a dosing habit is the danger).
    immune: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Kind:
    """One kind of emergency: patterns that name it, vetoes, and cues it ignores."""

    code: str
    patterns: tuple[Pattern, ...]
    unless: tuple[str, ...] = ()
    immune: frozenset[str] = frozenset()
    #: Cues that together say it is over and usual for this person, outweighing a recent
    #: cue (``settled_by:``; e.g. a known epileptic's usual seizure that stopped).
    settled_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Cue:
    """A cue category: its patterns, where it looks and how far."""

    category: str
    where: str
    reach: int
    patterns: tuple[str, ...]
    #: Words that look like this cue and are not it ("I'm used to it" is no past habit).
    pseudo: tuple[str, ...] = ()
    #: Heeded only by the patterns that list it in ``yields:`` (``opt_in: true``).
    opt_in: bool = False


@dataclass(frozen=True)
class Rules:
    """The parsed ``emergencies.yaml``."""

    classes: dict[str, str]
    kinds: tuple[Kind, ...]
    cues: dict[str, Cue]

    def expand(self, text: str) -> str:
        """``text`` with each ``{CLASS}`` replaced by its words."""
        return _CLASS.sub(lambda m: self.classes[m.group(1)], text)

    def all_patterns(self) -> list[str]:
        """Every pattern of every kind and cue, classes expanded (the speller's vocabulary)."""
        out: list[str] = []
        for kind in self.kinds:
            for p in kind.patterns:
                out += [p.text, *p.needs]
            out += list(kind.unless)
        for cue in self.cues.values():
            out += [*cue.patterns, *cue.pseudo]
        return [self.expand(t) for t in out]


@dataclass(frozen=True)
class Emergency:
    """What the screen found: the kind, and where in the message (never logged)."""

    kind: str
    start_char: int
    end_char: int
    kinds: tuple[str, ...] = field(default=())


def _year_regex() -> str:
    this_year = datetime.date.today().year
    years = "|".join(str(y) for y in range(1900, this_year))
    return f"~^({years})$"


def _strings(raw: Any, where: str, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise EmergencyRuleError(f"{where}: {what} must be a list of non-empty patterns")
    return tuple(raw)


def _patterns(raw: Any, where: str) -> tuple[Pattern, ...]:
    if not isinstance(raw, list) or not raw:
        raise EmergencyRuleError(f"{where}: patterns must be a non-empty list")
    out = []
    for item in raw:
        if isinstance(item, str):
            out.append(Pattern(item, where=where))
        elif isinstance(item, Mapping) and isinstance(item.get("pattern"), str):
            spot = datafile.where(EMERGENCIES_FILE, item)
            needs = _strings(item["needs"], spot, "needs") if "needs" in item else ()
            yields = frozenset(_strings(item.get("yields") or [], spot, "yields"))
            if not yields <= set(CUES):
                raise EmergencyRuleError(f"{spot}: unknown cues in yields: {sorted(yields)}")
            severe = item.get("severe", False)
            if not isinstance(severe, bool):
                raise EmergencyRuleError(f"{spot}: severe must be true or false")
            immune = frozenset(_strings(item.get("immune") or [], spot, "immune"))
            if not immune <= IMMUNE:
                raise EmergencyRuleError(f"{spot}: unknown cues in immune: {sorted(immune)}")
            out.append(Pattern(str(item["pattern"]), needs, spot, yields, severe, immune))
        else:
            raise EmergencyRuleError(
                f"{where}: a pattern is a string or {{pattern:, needs:, yields:, severe:, immune:}}"
            )
    return tuple(out)


def parse_rules(raw: Any, path: Path = EMERGENCIES_FILE) -> Rules:
    """Check and parse the emergency rules (:class:`EmergencyRuleError` names file and line)."""
    top = f"{path.name}:1"
    if not isinstance(raw, Mapping):
        raise EmergencyRuleError(f"{top}: the file must be a mapping")
    classes = raw.get("classes") or {}
    if not isinstance(classes, Mapping) or not all(
        isinstance(k, str) and k.isupper() and isinstance(v, str) for k, v in classes.items()
    ):
        raise EmergencyRuleError(f"{datafile.where(path, classes)}: classes map NAMES to words")
    known = {**{str(k): str(v) for k, v in classes.items()}, _BUILTIN_YEAR: _year_regex()}
    kinds_raw = raw.get("kinds")
    if not isinstance(kinds_raw, Mapping) or set(kinds_raw) != set(KINDS):
        raise EmergencyRuleError(f"{top}: kinds must be exactly {', '.join(KINDS)}")
    kinds = []
    for code, spec in kinds_raw.items():
        where = datafile.where(path, spec)
        if not isinstance(spec, Mapping):
            raise EmergencyRuleError(f"{where}: kind {code!r} must be a mapping")
        immune = frozenset(spec.get("immune") or ())
        if not immune <= IMMUNE:
            raise EmergencyRuleError(f"{where}: kind {code!r}: unknown immune {sorted(immune)}")
        unless = _strings(spec.get("unless") or [], where, "unless")
        settled_by = frozenset(spec.get("settled_by") or ())
        if not settled_by <= SETTLING:
            raise EmergencyRuleError(f"{where}: kind {code!r}: settled_by takes {sorted(SETTLING)}")
        kind_patterns = _patterns(spec.get("patterns"), where)
        kinds.append(Kind(str(code), kind_patterns, unless, immune, settled_by))
    cues_raw = raw.get("cues")
    if not isinstance(cues_raw, Mapping) or set(cues_raw) != set(CUES):
        raise EmergencyRuleError(f"{top}: cues must be exactly {', '.join(CUES)}")
    cues = {}
    for category, spec in cues_raw.items():
        where = datafile.where(path, spec)
        if not isinstance(spec, Mapping) or spec.get("where") not in WHERE:
            raise EmergencyRuleError(f"{where}: cue {category!r} needs where: one of {WHERE}")
        reach = spec.get("reach", 0)
        if not isinstance(reach, int) or reach < 0 or (spec["where"] == "before" and not reach):
            raise EmergencyRuleError(f"{where}: cue {category!r}: reach must be a positive number")
        patterns = _strings(spec.get("patterns"), where, f"cue {category!r} patterns")
        pseudo = _strings(spec.get("pseudo") or [], where, f"cue {category!r} pseudo")
        opt_in = spec.get("opt_in", False)
        if not isinstance(opt_in, bool):
            raise EmergencyRuleError(f"{where}: cue {category!r}: opt_in must be true or false")
        cues[str(category)] = Cue(
            str(category), str(spec["where"]), reach, patterns, pseudo, opt_in
        )
    rules = Rules(known, tuple(kinds), cues)
    for text in rules_texts(rules):
        for name in _CLASS.findall(text):
            if name not in known:
                raise EmergencyRuleError(f"{top}: unknown class {{{name}}} in {text!r}")
    return rules


def rules_texts(rules: Rules) -> Iterable[str]:
    """Every pattern text, classes not yet expanded."""
    for kind in rules.kinds:
        for p in kind.patterns:
            yield p.text
            yield from p.needs
        yield from kind.unless
    for cue in rules.cues.values():
        yield from cue.patterns
        yield from cue.pseudo


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """``rules/emergencies.yaml``, checked (cached)."""
    try:
        raw = datafile.load(EMERGENCIES_FILE)
    except ValueError as error:
        raise EmergencyRuleError(str(error)) from None
    return parse_rules(raw)


# ----------------------------------------------------------------------------- matching


class _Screener:
    """The compiled patterns on the pipeline's vocabulary (built once per process)."""

    def __init__(self, nlp: Any, rules: Rules) -> None:
        from spacy.matcher import Matcher

        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        norm = Normaliser(table, load_lexicon().protected)

        def tokenize(text: str) -> list[str]:
            return [t.text for t in nlp.make_doc(text)]

        self.rules = rules
        self.matcher = Matcher(nlp.vocab)
        self.keys: dict[int, tuple[str, str, int]] = {}
        #: (kind, pattern index) of the patterns that spell a negation themselves
        self.negating: set[tuple[str, int]] = set()

        def add(role: str, name: str, index: int, text: str, where: str) -> None:
            try:
                compiled = compile_pattern(rules.expand(text), tokenize, norm)
            except ValueError as error:
                raise EmergencyRuleError(f"{where}: {text!r}: {error}") from None
            if role == "kind" and any(_negates(spec) for seq in compiled for spec in seq):
                self.negating.add((name, index))
            key = f"{role}:{name}:{index}"
            self.matcher.add(key, compiled)
            self.keys[nlp.vocab.strings[key]] = (role, name, index)

        top = f"{EMERGENCIES_FILE.name}"
        for kind in rules.kinds:
            for i, pattern in enumerate(kind.patterns):
                add("kind", kind.code, i, pattern.text, pattern.where or top)
                for j, need in enumerate(pattern.needs):
                    add("need", f"{kind.code}.{i}", j, need, pattern.where or top)
            for i, text in enumerate(kind.unless):
                add("unless", kind.code, i, text, top)
        for cue in rules.cues.values():
            for i, text in enumerate(cue.patterns):
                add("cue", cue.category, i, text, top)
            for i, text in enumerate(cue.pseudo):
                add("pseudo", cue.category, i, text, top)

    def __call__(self, doc: Any) -> list[Emergency]:
        """Every kind that fires in ``doc``, in the data file's order of kinds."""
        found: dict[str, list[tuple[int, int, int]]] = {}
        spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for match_id, start, end in self.matcher(doc):
            role, name, index = self.keys[match_id]
            if role == "kind":
                found.setdefault(name, []).append((index, start, end))
            else:
                spans.setdefault((role, name), []).append((start, end))
        if not found:
            return []
        context = _Context(doc, spans, self.rules, self.negating)
        # a pasted letter or printout tells history: only what it says is happening now counts
        context.document = looks_like_document(doc.text)
        fired = []
        for kind in self.rules.kinds:
            hits = [
                (start, end)
                for index, start, end in sorted(found.get(kind.code, []), key=lambda h: h[1])
                if context.fires(kind, index, start, end)
            ]
            if hits:
                start, end = hits[0]
                fired.append(
                    Emergency(kind.code, doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
                )
        return fired


class _Context:
    """The cues of one message and how they bear on a match."""

    def __init__(
        self,
        doc: Any,
        spans: dict[tuple[str, str], list[tuple[int, int]]],
        rules: Rules,
        negating: set[tuple[str, int]],
    ) -> None:
        self.doc = doc
        self.spans = spans
        self.rules = rules
        self.negating = negating
        self.clause = _clauses(doc)
        self.document = False

    def _cue(self, category: str) -> list[tuple[int, int]]:
        pseudo = self.spans.get(("pseudo", category), [])
        spans = [
            s
            for s in self.spans.get(("cue", category), [])
            if not any(p[0] < s[1] and s[0] < p[1] for p in pseudo)
        ]
        if category not in VOIDABLE:
            return spans
        return [s for s in spans if not self._voided(s)]

    def _voided(self, span: tuple[int, int]) -> bool:
        """A cue right after a negation says the opposite ("won't go away", "not for years")."""
        return any(
            n[1] <= span[0] and span[0] - n[1] <= VOID_REACH and self._same_clause(n[0], span[0])
            for n in self._cue("negation")
        )

    def _same_sentence(self, a: int, b: int) -> bool:
        return bool(self.doc[a].sent.start == self.doc[b].sent.start)

    def _same_clause(self, a: int, b: int) -> bool:
        return self._same_sentence(a, b) and self.clause[a] == self.clause[b]

    def _present(self, category: str, start: int, end: int) -> bool:
        cue = self.rules.cues[category]
        for c_start, c_end in self._cue(category):
            if (cue.where == "sentence" and self._same_sentence(c_start, start)) or (
                cue.where == "clause" and self._same_clause(c_start, start)
            ):
                return True
            if cue.where == "question" and self._asks(c_start, start):
                return True
            elif (
                cue.where == "before"
                and c_start < start
                and start - c_end <= cue.reach
                and self._same_clause(c_start, start)
            ):
                return True  # a cue may end in the match ("I could | poison myself")
        return False

    def _negated(self, kind: Kind, index: int, start: int, end: int) -> bool:
        negations = self._cue("negation")
        if (kind.code, index) not in self.negating and any(
            start < c_start and c_end <= end for c_start, c_end in negations
        ):
            return True  # inside the match: "my face isn't drooping"
        if self._echo_denied(start):
            return True
        reach = self.rules.cues["negation"].reach
        for c_start, c_end in negations:
            if c_end > start or start - c_end > reach or not self._same_clause(c_start, start):
                continue
            between = {t.lower_ for t in self.doc[c_end:start]}
            if not between & (SUBJECTS | AND_WORDS):
                return True
        return False

    def _asks(self, c_start: int, start: int) -> bool:
        """The cue opens the match's sentence and clause, and the sentence is a question."""
        if not self._same_clause(c_start, start):
            return False
        sent = self.doc[start].sent
        words = [t for t in sent if not t.is_punct and not t.is_space]
        ends = [t for t in sent if not t.is_space]
        return bool(words and words[0].i == c_start and ends and ends[-1].text.endswith("?"))

    def _echo_denied(self, start: int) -> bool:
        """An echo question denied ("Overdose? No, ..."): the word said back, then denied."""
        sent = self.doc[start].sent
        if len(sent) > 4 or sent[-1].text != "?" or sent.end >= len(self.doc):
            return False
        following = self.doc[sent.end]
        return any(c_start == following.i for c_start, _ in self._cue("negation"))

    def _someone_elses_past(self, start: int, end: int) -> bool:
        if not self._present("other_person", start, end):
            return False
        if self._present("past", start, end) or self._present("lately", start, end):
            return True
        sent = self.doc[start].sent
        return any(t.lower_ in PAST_VERBS for t in self.doc[sent.start : start + 1])

    def _needs(self, kind: Kind, index: int) -> bool:
        pattern = kind.patterns[index]
        if not pattern.needs:
            return True
        return bool(self.spans.get(("need", f"{kind.code}.{index}")))

    def _vetoed(self, kind: Kind, start: int, end: int) -> bool:
        return any(
            u_start < end and start < u_end
            for u_start, u_end in self.spans.get(("unless", kind.code), [])
        )

    def fires(self, kind: Kind, index: int, start: int, end: int) -> bool:
        """Whether the match ``doc[start:end]`` of ``kind`` says it is happening now."""
        if self._vetoed(kind, start, end) or not self._needs(kind, index):
            return False
        if self._negated(kind, index, start, end):
            return False
        pattern = kind.patterns[index]
        if self._settled(kind, pattern, start, end):
            return False
        if self._present("recent", start, end):
            return True
        if self.document:
            return False
        against = {
            "hypothetical": self._present("hypothetical", start, end),
            "asking": self._present("asking", start, end),
            "past": self._present("past", start, end),
            "chronic": self._present("chronic", start, end),
            "resolved": self._present("resolved", start, end),
            "general": self._present("general", start, end),
            "other_person": self._someone_elses_past(start, end),
            "lasting": self._present("lasting", start, end),
        }
        immune = kind.immune | pattern.immune
        return not any(v for k, v in against.items() if k not in immune and self._heeds(pattern, k))

    def _settled(self, kind: Kind, pattern: Pattern, start: int, end: int) -> bool:
        """All of the kind's ``settled_by`` cues are in the match's sentence (not a severe one)."""
        if not kind.settled_by or pattern.severe:
            return False
        return all(self._present(category, start, end) for category in kind.settled_by)

    def _heeds(self, pattern: Pattern, category: str) -> bool:
        cue = self.rules.cues.get(category)
        return cue is None or not cue.opt_in or category in pattern.yields


def _negates(spec: dict[str, Any]) -> bool:
    """Whether a compiled token spec matches a negation word."""
    value = spec.get("NORM")
    values = value.get("IN", []) if isinstance(value, dict) else [value]
    return any(v in NEGATION_NORMS for v in values)


def _clauses(doc: Any) -> list[int]:
    """A clause number per token (clauses end at commas, dashes, "but", "and she"...)."""
    out = []
    number = 0
    for token in doc:
        if token.is_sent_start:
            number += 1
        if (
            token.text in CLAUSE_BREAKS
            or token.lower_ in CLAUSE_WORDS
            or (
                token.lower_ in AND_WORDS
                and token.i + 1 < len(doc)
                and doc[token.i + 1].lower_ in NEW_SUBJECT
            )
        ):
            number += 1
        out.append(number)
    return out


_LOCK = threading.Lock()
_SCREENER: list[_Screener] = []


def _screener() -> _Screener:
    if not _SCREENER:
        with _LOCK:
            if not _SCREENER:
                _SCREENER.append(_Screener(get_nlp(), load_rules()))
    return _SCREENER[0]


def screen_doc(doc: Any) -> Emergency | None:
    """The emergency ``doc`` describes, or ``None`` (the first kind that fires, by priority)."""
    fired = _screener()(doc)
    if not fired:
        return None
    first = fired[0]
    return Emergency(first.kind, first.start_char, first.end_char, tuple(e.kind for e in fired))


def screen(text: str) -> Emergency | None:
    """The emergency ``text`` describes now, or ``None`` (see the module's docstring)."""
    if not text or not text.strip():
        return None
    return screen_doc(parse(text))
