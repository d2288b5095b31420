"""Indirect descriptions: a sign described the way it shows in daily life, not named.

"I push myself up off the sofa with my arms" answers the weakness question; "she wears
gloves in June" the Raynaud question. The phrasings are data, ``rules/indirect.yaml`` (per
yes/no finding, patterns for "yes" and for "no", in the lexicon's pattern mini-language),
checked on load with file and line of a mistake. They count only as the answer to their
own finding's question, and only when the answer's words gave nothing else
(``bot.nlp.interpret``); gaps never cover a negation, and a negation just before a pattern
makes it no evidence: the question is asked again rather than guessed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot import datafile
from bot.nlp.pipeline import RULES_DIR, Normaliser, compile_pattern, get_nlp, load_lexicon

INDIRECT_FILE = RULES_DIR / "indirect.yaml"
VALUES = ("yes", "no")
#: Normalised words no gap may cover, and whose presence just before a match voids it.
NEGATIONS = frozenset({"not", "no", "never", "nobody", "none", "nothing", "without", "nor"})
#: How far before a match a negation voids it (words, within the clause).
NEGATION_REACH = 3
_CLAUSE_BREAKS = frozenset({",", ";", ":", ".", "!", "?", "but", "though", "although"})


class IndirectRuleError(ValueError):
    """``indirect.yaml`` is malformed (the message names file and line)."""


@dataclass(frozen=True)
class Rules:
    """Per finding, its patterns for each value."""

    patterns: dict[str, dict[str, tuple[str, ...]]]

    def all_patterns(self) -> list[str]:
        """Every pattern (the speller's vocabulary)."""
        return [p for values in self.patterns.values() for ps in values.values() for p in ps]


def parse_rules(raw: Any) -> Rules:
    """Check the file: bool findings of the dictionary, values yes/no, lists of patterns."""
    from bot.knowledge import get_dictionary

    top = f"{INDIRECT_FILE.name}:1"
    findings = raw.get("findings") if isinstance(raw, dict) else None
    if not isinstance(findings, dict):
        raise IndirectRuleError(f"{top}: needs `findings:`")
    dictionary = get_dictionary().findings
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for code, values in findings.items():
        where = datafile.where(INDIRECT_FILE, values)
        if code not in dictionary or dictionary[code].type != "bool":
            raise IndirectRuleError(f"{where}: {code!r} is not a yes/no finding")
        if not isinstance(values, dict) or not set(values) <= set(VALUES):
            raise IndirectRuleError(f"{where}: {code}: values must be yes and/or no")
        out[str(code)] = {}
        for value, patterns in values.items():
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                raise IndirectRuleError(f"{where}: {code}.{value}: a list of patterns")
            out[str(code)][str(value)] = tuple(patterns)
    return Rules(out)


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """``rules/indirect.yaml``, checked (cached)."""
    try:
        return parse_rules(datafile.load(INDIRECT_FILE))
    except ValueError as error:
        if isinstance(error, IndirectRuleError):
            raise
        raise IndirectRuleError(str(error)) from None


class _Matchers:
    """One spaCy Matcher over every finding's patterns (built once per process)."""

    def __init__(self, nlp: Any, rules: Rules) -> None:
        from spacy.matcher import Matcher

        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        norm = Normaliser(table, load_lexicon().protected)

        def tokenize(text: str) -> list[str]:
            return [t.text for t in nlp.make_doc(text)]

        self.matcher = Matcher(nlp.vocab)
        self.keys: dict[int, tuple[str, str]] = {}
        for code, values in rules.patterns.items():
            for value, patterns in values.items():
                key = f"{code}:{value}"
                compiled = []
                for text in patterns:
                    try:
                        compiled += compile_pattern(text, tokenize, norm, NEGATIONS)
                    except ValueError as error:
                        raise IndirectRuleError(f"{INDIRECT_FILE.name}: {key}: {error}") from None
                self.matcher.add(key, compiled)
                self.keys[nlp.vocab.strings[key]] = (code, value)


_LOCK = threading.Lock()
_MATCHERS: list[_Matchers] = []


def _matchers() -> _Matchers:
    if not _MATCHERS:
        with _LOCK:
            if not _MATCHERS:
                _MATCHERS.append(_Matchers(get_nlp(), load_rules()))
    return _MATCHERS[0]


def _negated_before(doc: Any, start: int) -> bool:
    for i in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        token = doc[i]
        if token.lower_ in _CLAUSE_BREAKS:
            return False
        if token.norm_ in NEGATIONS:
            return True
    return False


def indirect(finding: str, doc: Any) -> str | None:
    """``yes`` or ``no`` for ``finding`` from an indirect description in ``doc``, else ``None``."""
    found: set[str] = set()
    matchers = _matchers()
    for match_id, start, _end in matchers.matcher(doc):
        code, value = matchers.keys[match_id]
        if code == finding and not _negated_before(doc, start):
            found.add(value)
    return found.pop() if len(found) == 1 else None
