"""The Calx spaCy pipeline: ``spacy.blank("en")`` plus rules, built and saved once per rule set.

Pipeline: tokenizer -> ``lemmatizer`` (lookup lemmas from spacy-lookups-data) ->
``sentencizer`` (spaCy's; medspaCy's PyRuSH would log every token) -> ``calx_normalizer``
(spelling-corrected lower-case lemma in ``Token.norm_``) -> ``entity_ruler`` (patterns
compiled from ``rules/lexicon.yaml``) -> ``medspacy_context`` (ConText with the rules of
``rules/context.yaml``: negation, uncertainty, hypotheticals, family).

How training and serving are guaranteed to use the same pipeline:

* ``pipeline_hash()`` is a content hash of the rule files, this module's source and the
  versions of spaCy, medspaCy and spacy-lookups-data.
* ``python -m bot.nlp.build`` (run by ``make setup``) saves the pipeline to
  ``var/nlp/<hash>/`` (idempotent: nothing to do when that directory exists). Every
  process loads the pipeline from there through ``get_nlp()``, lazily and once, and builds
  it first if it is missing (so a fresh checkout or a test run works without the step).
* The Rasa component ``CalxSpacyEntityExtractor`` stores the hash in the trained model and
  refuses to load a model trained with another pipeline (retrain with ``rasa train``);
  the hash is also its fingerprint add-on, so ``rasa train`` retrains it when rules change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from bot.settings import VAR_DIR

log = logging.getLogger(__name__)

RULES_DIR = Path(__file__).resolve().parent / "rules"
LEXICON_FILE = RULES_DIR / "lexicon.yaml"
CONTEXT_FILE = RULES_DIR / "context.yaml"
#: The emergency screen's phrasings (bot.nlp.emergency): their words join the speller's.
EMERGENCIES_FILE = RULES_DIR / "emergencies.yaml"
#: Indirect descriptions of the yes/no findings (bot.nlp.indirect): their words too.
INDIRECT_FILE = RULES_DIR / "indirect.yaml"
NLP_DIR = VAR_DIR / "nlp"
CONTEXT_JSON = "context_rules.json"
#: Category suffix of ConText rules whose scope ends at a clause break (a comma, a dash).
CLAUSE_SUFFIX = "_C"
POLICIES = ("full", "partial", "lesion", "answer", "none")
_GAP_DEFAULT = 3
_SENTENCE_PUNCT = [".", "!", "?", ";", "\n", "\n\n", "...", "。"]
_CONTEXT_CATEGORIES = (
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HEDGE",
    "HYPOTHETICAL",
    "FAMILY",
    "HISTORICAL",
    "TERMINATE",
    "PSEUDO",
    "CLAUSE_BREAK",
    "SELF",
)


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Evidence:
    """What an entity says about one finding: the coded value and when it counts."""

    finding: str
    value: Any
    policy: str
    override: bool = False


@dataclass(frozen=True)
class Entry:
    """One lexicon entry: an entity id, its label and the findings it is evidence for."""

    id: str
    label: str
    evidence: tuple[Evidence, ...]
    patterns: tuple[str | list[dict[str, Any]], ...]
    ambiguous: bool = False


@dataclass(frozen=True)
class Lexicon:
    """The parsed lexicon: entries by id and the words that are never lemmatised."""

    entries: dict[str, Entry]
    protected: frozenset[str]
    context: tuple[dict[str, Any], ...] = field(default=())
    terminations: dict[str, list[str]] = field(default_factory=dict)
    #: Body regions of each ``lesion_locations`` value (``regions:`` in the lexicon).
    regions: dict[str, frozenset[str]] = field(default_factory=dict)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: {exc}") from exc


def _evidence(entry_id: str, raw: Any, default_policy: str, where: str) -> tuple[Evidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: entry {entry_id!r}: findings must be a mapping")
    out: list[Evidence] = []
    for code, spec in raw.items():
        policy = default_policy
        value: Any = spec
        if isinstance(spec, str) and "@" in spec:
            value, policy = spec.split("@", 1)
        override = isinstance(value, str) and value.endswith("!")
        if override:
            value = value[:-1]
        if policy not in POLICIES:
            raise RuleError(f"{where}: entry {entry_id!r}: unknown policy {policy!r}")
        out.append(Evidence(str(code), value, policy, override))
    return tuple(out)


def _regions(raw: Any, where: str) -> dict[str, frozenset[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: regions must map a location code to a list of regions")
    out: dict[str, frozenset[str]] = {}
    for code, regions in raw.items():
        if (
            not isinstance(regions, list)
            or not regions
            or not all(isinstance(r, str) and r for r in regions)
        ):
            raise RuleError(f"{where}: regions of {code!r} must be a non-empty list of names")
        out[str(code)] = frozenset(regions)
    return out


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read ``rules/lexicon.yaml`` and ``rules/context.yaml`` (checked, cached)."""
    raw = _read_yaml(LEXICON_FILE)
    where = str(LEXICON_FILE)
    entries: dict[str, Entry] = {}
    for item in raw.get("entries") or []:
        entry_id = item.get("id")
        if not entry_id or entry_id in entries:
            raise RuleError(f"{where}: missing or duplicate entry id {entry_id!r}")
        policy = item.get("policy", "partial")
        patterns = item.get("patterns") or []
        if not patterns or not all(isinstance(p, str | list) for p in patterns):
            raise RuleError(f"{where}: entry {entry_id!r} needs a list of patterns")
        entries[entry_id] = Entry(
            id=entry_id,
            label=str(item.get("label", "SYMPTOM")),
            evidence=_evidence(entry_id, item.get("findings"), policy, where),
            patterns=tuple(patterns),
            ambiguous=bool(item.get("ambiguous", False)),
        )
    context_raw = _read_yaml(CONTEXT_FILE)
    context = context_raw.get("rules") or []
    terminations = {
        str(k): [str(v) for v in vs] for k, vs in (context_raw.get("terminations") or {}).items()
    }
    for rule in context:
        if rule.get("category") not in _CONTEXT_CATEGORIES:
            raise RuleError(f"{CONTEXT_FILE}: unknown category in {rule!r}")
    protected = frozenset(str(w).lower() for w in raw.get("protected") or [])
    return Lexicon(
        entries=entries,
        protected=protected,
        context=tuple(context),
        terminations=terminations,
        regions=_regions(raw.get("regions"), where),
    )


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("spacy", "medspacy", "spacy-lookups-data"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - the lock installs all three
            out[dist] = "missing"
    return out


@lru_cache(maxsize=1)
def pipeline_hash() -> str:
    """Content hash of everything that decides what the pipeline does (16 hex digits)."""
    digest = hashlib.sha256()
    for path in iter_rule_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(_versions(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def pipeline_dir(root: Path = NLP_DIR) -> Path:
    """Directory the pipeline of this rule set is saved in."""
    return root / f"calx-{pipeline_hash()}"


# ----------------------------------------------------------------------------- patterns


#: Contracted verbs: "they're" matches patterns written with "be".
_CLITICS = {"'re": "be", "'s": "be", "'m": "be", "'ve": "have", "'d": "would", "'ll": "will"}


class Normaliser:
    """Maps a word to the form patterns match on: lower case, lookup lemma, unless protected."""

    def __init__(self, lemmas: Any, protected: Iterable[str]) -> None:
        self._lemmas = lemmas
        self._protected = frozenset(protected)

    def __call__(self, lower: str) -> str:
        """Return the pattern form of an already lower-cased word."""
        if lower in self._protected:
            return lower
        if lower in _CLITICS:
            return _CLITICS[lower]
        lemma = self._lemmas.get(lower)
        return str(lemma) if lemma else lower


def _item_alternatives(item: str, tokenize: Any) -> list[list[str]]:
    """Token texts of each alternative of one pattern item (``a|b_c`` -> [[a], [b, c]])."""
    alts = []
    for alt in item.split("|"):
        words = [t for t in tokenize(alt.replace("_", " ")) if t.strip()]
        if words:
            alts.append(words)
    return alts


def compile_pattern(
    text: str, tokenize: Any, norm: Normaliser, gap_excludes: Iterable[str] = ()
) -> list[list[dict[str, Any]]]:
    """Compile one pattern of the rule mini-language into spaCy token patterns.

    ``gap_excludes``: normalised words the ``*`` gaps may not cover (used to tell a
    negation the pattern spells out from one that only fell into a gap).
    """
    sequences: list[list[dict[str, Any]]] = [[]]
    excluded = sorted(set(gap_excludes))
    for item in text.split():
        options: list[list[dict[str, Any]]]
        gap = re.fullmatch(r"\*(\d*)", item)
        if gap:
            n = int(gap.group(1) or _GAP_DEFAULT)
            spec: dict[str, Any] = {"TEXT": {"NOT_IN": [".", "!", "?", ";"]}, "OP": "?"}
            if excluded:
                spec["NORM"] = {"NOT_IN": excluded}
            options = [[dict(spec) for _ in range(n)]]
        elif item.startswith("~") and len(item) > 1:
            options = [[{"LOWER": {"REGEX": item[1:]}}]]
        else:
            optional = item.endswith("?") and len(item) > 1 and not item.startswith("=")
            body = item[:-1] if optional else item
            singles: list[dict[str, Any]] = []
            norms: list[str] = []
            multi: list[list[dict[str, Any]]] = []
            for alt in _top_level_alternatives(body):
                if alt.startswith("=") and len(alt) > 1:
                    singles.append({"TEXT": alt[1:]})
                    continue
                if alt.startswith("~") and len(alt) > 1:
                    singles.append({"LOWER": {"REGEX": alt[1:]}})  # "floppy|~^limp$"
                    continue
                for words in _item_alternatives(alt, tokenize):
                    if len(words) == 1:
                        norms.append(norm(words[0].lower()))
                    else:
                        seq: list[dict[str, Any]] = []
                        for w in words:
                            seq = _join(seq, [{"NORM": norm(w.lower())}])
                        multi.append(seq)
            if norms:
                unique = sorted(set(norms))
                singles.append(
                    {"NORM": unique[0]} if len(unique) == 1 else {"NORM": {"IN": unique}}
                )
            options = [[s] for s in singles] + multi
            if not options:
                raise RuleError(f"empty item {item!r} in pattern {text!r}")
            if optional:
                options.append([])
        sequences = [_join(seq, opt) for seq in sequences for opt in options]
    return [seq for seq in sequences if seq]


def _top_level_alternatives(body: str) -> list[str]:
    """``a|b|~^(c|d)$`` split at the bars outside a regex's parentheses."""
    parts, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


_HYPHEN = {"TEXT": {"IN": ["-", "\u2013"]}, "OP": "?"}


def _literal(spec: dict[str, Any]) -> bool:
    return "OP" not in spec and ("NORM" in spec or "TEXT" in spec)


def _join(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Concatenate token specs, letting a hyphen stand between two words ("salt-losing")."""
    if left and right and _literal(left[-1]) and _literal(right[0]):
        return [*left, dict(_HYPHEN), *right]
    return left + right


def _text_only(body: str) -> list[str]:
    return [alt for alt in body.split("|") if alt and not alt.startswith(("=", "~", "*"))]


def pattern_words(patterns: Iterable[str | list[Any]], tokenize: Any) -> set[str]:
    """Alphabetic words the patterns spell out (the spelling corrector's vocabulary)."""
    words: set[str] = set()
    for text in patterns:
        if not isinstance(text, str):
            continue
        for item in text.split():
            body = item[:-1] if item.endswith("?") and len(item) > 1 else item
            for alt in _text_only(body):
                for word in tokenize(alt.replace("_", " ")):
                    low = word.lower()
                    if low.isalpha() and len(low) >= 4:
                        words.add(low)
    return words


# ----------------------------------------------------------------------------- spelling


class SpellCorrector:
    """Corrects unknown words to the nearest pattern word ("dialisis" -> "dialysis").

    symspellpy's symmetric-delete lookup over the rules' own vocabulary (the words their
    patterns spell out): a word the lemma table knows is never changed; an unknown one takes
    the closest vocabulary word within 1 edit (5-7 letters) or 2 (longer), and only if every
    candidate that close means the same; a dropped final g ("swellin") is put back. A word
    spelt as it sounds ("throte", "tung", "tite") that no edit reaches takes the vocabulary
    word of the same Metaphone code (jellyfish), when only one meaning has that sound.
    """

    def __init__(self, vocabulary: Iterable[str], known: Any, norm: Any = str) -> None:
        from symspellpy import SymSpell

        self.vocabulary = frozenset(vocabulary)
        self._known = known
        self._norm = norm
        self._index = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        self._sounds: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            self._index.create_dictionary_entry(word, 1)
            self._sounds.setdefault(_sound(word), []).append(word)
        self.correct = lru_cache(maxsize=4096)(self._correct)

    @staticmethod
    def limit(word: str) -> int:
        """Edits allowed for a word of this length."""
        return 1 if len(word) < 8 else 2

    def _correct(self, word: str) -> str:
        from symspellpy import Verbosity

        if len(word) < 4 or not word.isalpha() or word in self.vocabulary or self._known(word):
            return word
        if len(word) < 5:
            return self._by_sound(word)
        if word.endswith("in") and word + "g" in self.vocabulary:
            return word + "g"  # a dropped g ("swellin", "convulsin"): how people type speech
        found = self._index.lookup(word, Verbosity.ALL, max_edit_distance=self.limit(word))
        # same first letter: people rarely mistype it, and it keeps "nees" from "knees"
        same_start = [s for s in found if s.term[0] == word[0]]
        if not same_start:
            return self._by_sound(word)
        closest = min(s.distance for s in same_start)
        candidates = [s.term for s in same_start if s.distance == closest]
        if len({self._norm(c) for c in candidates}) != 1:
            return word  # nothing close, or close to words that mean different things
        return str(candidates[0])

    def _by_sound(self, word: str) -> str:
        """The one vocabulary word that sounds like ``word`` (same start, similar length)."""
        from editdistpy import damerau_osa

        sounds = [
            (damerau_osa.distance(word, c, 3), c)
            for c in self._sounds.get(_sound(word), [])
            if c[0] == word[0] and abs(len(c) - len(word)) <= 2
        ]
        sounds = [(d, c) for d, c in sounds if d >= 0]  # -1: further than 3 edits
        if not sounds:
            return word
        closest = min(d for d, _ in sounds)
        candidates = [c for d, c in sounds if d == closest]
        if len({self._norm(c) for c in candidates}) != 1:
            return word
        return candidates[0]


def _sound(word: str) -> str:
    """A word's Metaphone code (how it sounds in English)."""
    import jellyfish

    return str(jellyfish.metaphone(word))


# ----------------------------------------------------------------------------- components


def _register_components() -> None:
    """Register the ``calx_normalizer`` factory with spaCy (idempotent)."""
    from spacy.language import Language

    if Language.has_factory("calx_normalizer"):
        return

    @Language.factory(  # type: ignore[untyped-decorator]
        "calx_normalizer", default_config={"vocabulary": [], "protected": []}
    )
    def _make(nlp: Any, name: str, vocabulary: list[str], protected: list[str]) -> CalxNormalizer:
        return CalxNormalizer(nlp, name, vocabulary, protected)


_ISH = re.compile(r"[a-z]+-ish")


def _merge_ish(doc: Any) -> None:
    """Merge "hard - ish" (the tokenizer splits at hyphens) into one token "hard-ish"."""
    spans = [
        doc[i - 1 : i + 2]
        for i in range(1, len(doc) - 1)
        if doc[i].text == "-"
        and doc[i + 1].lower_ == "ish"
        and doc[i - 1].is_alpha
        and not doc[i - 1].whitespace_
        and not doc[i].whitespace_
    ]
    if spans:
        with doc.retokenize() as retokenizer:
            for span in spans:
                retokenizer.merge(span)


class CalxNormalizer:
    """spaCy component: sets ``Token.norm_`` to the spelling-corrected lookup lemma.

    Also keeps a ``?`` glued to the next word ("?sarcoid") in that word's sentence so
    ConText can read it as uncertainty.
    """

    def __init__(self, nlp: Any, name: str, vocabulary: list[str], protected: list[str]) -> None:
        self.nlp = nlp
        self.name = name
        self.vocabulary = list(vocabulary)
        self.protected = list(protected)
        self._ready: tuple[Normaliser, SpellCorrector] | None = None

    def _tools(self) -> tuple[Normaliser, SpellCorrector]:
        if self._ready is None:
            table = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
            values = frozenset(str(v) for v in table.values())

            def known(word: str) -> bool:
                return word in table or word in values

            norm = Normaliser(table, self.protected)
            self._ready = (norm, SpellCorrector(self.vocabulary, known, norm))
        return self._ready

    def __call__(self, doc: Any) -> Any:
        """Set norms on ``doc`` in place and return it."""
        norm, speller = self._tools()
        _merge_ish(doc)
        for i, token in enumerate(doc):
            low = token.lower_
            if _ISH.fullmatch(low):
                low = speller.correct(low.replace("-", ""))  # "purple-ish" -> "purplish"
            elif token.is_alpha and low not in self.protected:
                low = speller.correct(low)
            token.norm_ = norm(low)
            if i and doc[i - 1].text == "?" and not doc[i - 1].whitespace_ and token.is_alpha:
                token.is_sent_start = False
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        """Save the vocabulary and protected words."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {"vocabulary": self.vocabulary, "protected": self.protected}
        (path / "normalizer.json").write_text(json.dumps(data), encoding="utf-8")

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> CalxNormalizer:
        """Load what ``to_disk`` saved."""
        data = json.loads((Path(path) / "normalizer.json").read_text(encoding="utf-8"))
        self.vocabulary = list(data["vocabulary"])
        self.protected = list(data["protected"])
        self._ready = None
        return self


# ----------------------------------------------------------------------------- build / load


def _context_rules(lexicon: Lexicon, tokenize: Any, norm: Normaliser) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for group in lexicon.context:
        for text in group["patterns"]:
            compiled = [text] if isinstance(text, list) else compile_pattern(text, tokenize, norm)
            for i, pattern in enumerate(compiled):
                rule: dict[str, Any] = {
                    "literal": f"{text}#{i}",
                    "category": group["category"],
                    "direction": group["direction"],
                    "pattern": pattern,
                }
                if group.get("max_scope"):
                    rule["max_scope"] = int(group["max_scope"])
                if group.get("clause"):
                    rule["category"] += CLAUSE_SUFFIX
                rules.append(rule)
    return rules


def _terminating_types(lexicon: Lexicon) -> dict[str, list[str]]:
    """Which categories end which scopes: clause-scoped ones end at a clause break."""
    out = {c: list(lexicon.terminations.get(c, [])) for c in _CONTEXT_CATEGORIES}
    for category in _CONTEXT_CATEGORIES:
        out[category + CLAUSE_SUFFIX] = ["CLAUSE_BREAK", *out[category]]
    return {k: v for k, v in out.items() if v}


def _apply_terminations(nlp: Any) -> None:
    """Set which categories end each ConText rule's scope.

    Done on the rule objects: medspaCy 1.3.1's ``terminating_types`` option only reaches
    the first rule of each category (its lists arrive as one-shot iterators).
    """
    terminations: dict[str, list[str]] = nlp.meta.get("calx_terminations", {})
    for rule in nlp.get_pipe("medspacy_context").rules:
        rule.terminated_by = set(rule.terminated_by) | set(terminations.get(rule.category, []))


def _ruler_patterns(lexicon: Lexicon, tokenize: Any, norm: Normaliser) -> list[dict[str, Any]]:
    patterns: list[dict[str, Any]] = []
    for entry in lexicon.entries.values():
        for text in entry.patterns:
            if isinstance(text, list):
                patterns.append({"label": entry.label, "pattern": text, "id": entry.id})
                continue
            try:
                compiled = compile_pattern(text, tokenize, norm)
            except RuleError as exc:
                raise RuleError(f"{LEXICON_FILE}: entry {entry.id!r}: {exc}") from None
            patterns.extend({"label": entry.label, "pattern": p, "id": entry.id} for p in compiled)
    return patterns


def _silence_pyrush() -> None:
    """Keep medspaCy's PyRuSH (imported, never used) from logging text through loguru."""
    try:
        from loguru import logger

        logger.disable("PyRuSH")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass


def build_nlp() -> Any:
    """Build the pipeline in memory from the rule files (no disk access besides reading)."""
    import spacy

    _silence_pyrush()
    import medspacy.context  # noqa: F401  (registers the medspacy_context factory)

    _register_components()
    lexicon = load_lexicon()
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("sentencizer", config={"punct_chars": _SENTENCE_PUNCT})
    nlp.initialize()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    norm = Normaliser(table, lexicon.protected)

    def tokenize(text: str) -> list[str]:
        return [t.text for t in nlp.make_doc(text)]

    from bot.nlp import emergency, indirect

    all_patterns = [p for e in lexicon.entries.values() for p in e.patterns]
    all_patterns += emergency.load_rules().all_patterns()
    all_patterns += indirect.load_rules().all_patterns()
    vocabulary = sorted(pattern_words(all_patterns, tokenize))
    nlp.add_pipe(
        "calx_normalizer",
        config={"vocabulary": vocabulary, "protected": sorted(lexicon.protected)},
    )
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(_ruler_patterns(lexicon, tokenize, norm))
    context_rules = _context_rules(lexicon, tokenize, norm)
    with tempfile.TemporaryDirectory() as tmp:
        rules_path = Path(tmp) / CONTEXT_JSON
        rules_path.write_text(json.dumps({"context_rules": context_rules}), encoding="utf-8")
        nlp.add_pipe(
            "medspacy_context",
            config={"rules": str(rules_path), "prune_on_target_overlap": True},
        )
    nlp.meta["calx_terminations"] = _terminating_types(lexicon)
    _apply_terminations(nlp)
    nlp.meta["calx_pipeline_hash"] = pipeline_hash()
    nlp.meta["calx_context_rules"] = len(context_rules)
    nlp._calx_context_rules = context_rules
    return nlp


def save_nlp(root: Path = NLP_DIR) -> Path:
    """Build and save the pipeline under ``root`` unless it is there already; return its path."""
    target = pipeline_dir(root)
    if (target / "meta.json").exists():
        return target
    nlp = build_nlp()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        nlp.to_disk(tmp)
        rules = {"context_rules": nlp._calx_context_rules}
        (tmp / CONTEXT_JSON).write_text(json.dumps(rules), encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "meta.json").exists():  # a concurrent builder won otherwise
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_nlp(path: Path) -> Any:
    """Load a saved pipeline directory (its ConText rules from the same directory)."""
    import spacy

    _silence_pyrush()
    import medspacy.context  # noqa: F401

    _register_components()
    rules = str(Path(path) / CONTEXT_JSON)
    nlp = spacy.load(path, config={"components.medspacy_context.rules": rules})
    _apply_terminations(nlp)
    return nlp


_LOCK = threading.Lock()
_NLP: list[Any] = []


def get_nlp() -> Any:
    """The pipeline of this checkout, loaded lazily once per process (built if missing)."""
    if _NLP:
        return _NLP[0]
    with _LOCK:
        if not _NLP:
            try:
                nlp = load_nlp(save_nlp())
            except OSError as exc:  # read-only checkout: same rules, built in memory
                log.warning("could not save the NLP pipeline under %s (%s)", NLP_DIR, exc)
                nlp = build_nlp()
            _NLP.append(nlp)
    return _NLP[0]


def iter_rule_files() -> Iterator[Path]:
    """The files whose content the pipeline hash covers (for Make dependencies)."""
    yield from (LEXICON_FILE, CONTEXT_FILE, EMERGENCIES_FILE, INDIRECT_FILE, Path(__file__))


@lru_cache(maxsize=64)
def parse(text: str) -> Any:
    """The analysed ``Doc`` of ``text`` (the last few kept: one analysis per message).

    Every reader of a message (entities, the emergency screen, the coders) takes this Doc;
    none changes it.
    """
    return get_nlp()(text)
