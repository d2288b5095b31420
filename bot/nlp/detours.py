"""Messages that step out of the interview's script (skip, go back, diagnosis questions...).

Skip, go back, a diagnosis question, frustration, a pasted document, markup or code,
another language. The phrasings are data (``rules/detours.yaml``: regular expressions,
checked on load with file and line of a mistake); the interview decides what to do with each
(``bot.interview.detours``). Another language is told by ``lingua`` (a maintained detector,
trigram models of the languages Calx has a notice in, low-accuracy mode: small and fast).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot import datafile
from bot.nlp.pipeline import RULES_DIR

DETOURS_FILE = RULES_DIR / "detours.yaml"
#: Kinds told by their patterns alone, in the order they are tried.
PHRASED = ("markup", "skip", "diagnosis_question", "frustration")
KINDS = (*PHRASED, "go_back", "document", "other_language")
#: Confidence the detector must give another language (and at most this for English).
LANGUAGE_CONFIDENCE = 0.6
ENGLISH_AT_MOST = 0.15
MIN_WORDS_FOR_LANGUAGE = 3


class DetourRuleError(ValueError):
    """``detours.yaml`` is malformed (the message names file and line)."""


@dataclass(frozen=True)
class Phrasing:
    """One kind: its compiled patterns and the longest message it counts in."""

    patterns: tuple[re.Pattern[str], ...]
    max_words: int | None = None


@dataclass(frozen=True)
class DocumentShape:
    """What makes a message a pasted document."""

    min_chars: int
    min_lines: int
    markers: tuple[re.Pattern[str], ...]
    min_markers: int


@dataclass(frozen=True)
class Rules:
    """The parsed ``detours.yaml``."""

    phrasings: dict[str, Phrasing]
    document: DocumentShape


def _compile(raw: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list) or not raw:
        raise DetourRuleError(f"{where}: patterns must be a non-empty list of regular expressions")
    out = []
    for text in raw:
        try:
            out.append(re.compile(str(text), re.IGNORECASE))
        except re.error as error:
            raise DetourRuleError(f"{where}: {text!r}: {error}") from None
    return tuple(out)


def parse_rules(raw: Any) -> Rules:
    """Check and parse the detour rules."""
    top = f"{DETOURS_FILE.name}:1"
    if not isinstance(raw, dict) or not set(raw) >= {*PHRASED, "go_back", "document"}:
        raise DetourRuleError(f"{top}: needs {', '.join((*PHRASED, 'go_back', 'document'))}")
    phrasings = {}
    for kind in (*PHRASED, "go_back"):
        spec = raw[kind]
        where = datafile.where(DETOURS_FILE, spec)
        if not isinstance(spec, dict):
            raise DetourRuleError(f"{where}: {kind} must be a mapping")
        patterns = _compile(spec.get("patterns"), where)
        if kind == "go_back" and not all("topic" in p.groupindex for p in patterns):
            raise DetourRuleError(f"{where}: every go_back pattern needs a (?P<topic>...) group")
        limit = spec.get("max_words")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise DetourRuleError(f"{where}: max_words must be a positive number")
        phrasings[kind] = Phrasing(patterns, limit)
    doc = raw["document"]
    where = datafile.where(DETOURS_FILE, doc)
    try:
        shape = DocumentShape(
            int(doc["min_chars"]),
            int(doc["min_lines"]),
            _compile(doc.get("markers"), where),
            int(doc["min_markers"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise DetourRuleError(f"{where}: document: {error}") from None
    return Rules(phrasings, shape)


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """``rules/detours.yaml``, checked (cached)."""
    try:
        return parse_rules(datafile.load(DETOURS_FILE))
    except ValueError as error:
        if isinstance(error, DetourRuleError):
            raise
        raise DetourRuleError(str(error)) from None


def phrased(text: str) -> str | None:
    """The first of :data:`PHRASED` whose patterns match ``text`` (``None``: none)."""
    words = len(text.split())
    for kind in PHRASED:
        phrasing = load_rules().phrasings[kind]
        if phrasing.max_words is not None and words > phrasing.max_words:
            continue
        if any(p.search(text) for p in phrasing.patterns):
            return kind
    return None


def go_back_topics(text: str) -> list[str]:
    """The words that may name the question someone wants to go back to (best first)."""
    topics = []
    for pattern in load_rules().phrasings["go_back"].patterns:
        for match in pattern.finditer(text):
            if match.group("topic").strip():
                topics.append(match.group("topic").strip())
    return topics


def looks_like_document(text: str) -> bool:
    """Whether ``text`` is a pasted letter, summary or printout rather than an answer."""
    shape = load_rules().document
    lines = [line for line in text.splitlines() if line.strip()]
    if len(text) < shape.min_chars and len(lines) < shape.min_lines:
        return False
    markers = sum(bool(p.search(text)) for p in shape.markers)
    return markers >= shape.min_markers


# -- another language --------------------------------------------------------------------------

#: ISO 639-1 codes of the languages Calx has a notice in (bot/interview/languages.yaml).
LANGUAGES = (
    "es", "fr", "de", "it", "pt", "pl", "ro", "cy", "ga", "hi", "ur", "bn", "pa", "ar",
    "tr", "zh", "vi", "yo", "so", "ru", "lt", "tl", "nl", "el", "fa", "ta", "gu",
)  # fmt: skip
_DETECTOR: list[Any] = []
_LOCK = threading.Lock()


def _detector() -> Any:
    if not _DETECTOR:
        with _LOCK:
            if not _DETECTOR:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                languages = [Language.ENGLISH] + [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                    for code in LANGUAGES
                ]
                builder = LanguageDetectorBuilder.from_languages(*languages)
                _DETECTOR.append(builder.with_low_accuracy_mode().build())
    return _DETECTOR[0]


def language_of(text: str, confidence: float | None = None) -> tuple[str, ...]:
    """The language(s) of ``text`` when it is clearly not English (ISO 639-1), else ``()``.

    ``confidence``: what the detector must give it (default :data:`LANGUAGE_CONFIDENCE`).
    Two close languages that share it between them ("Tengo sesenta y dos años": Spanish or
    Portuguese) are both given.
    """
    if len(text.split()) < MIN_WORDS_FOR_LANGUAGE and not any(ord(c) > 0x2FF for c in text):
        return ()
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return ()
    needed = confidence or LANGUAGE_CONFIDENCE
    english = next((v.value for v in values if v.language.name == "ENGLISH"), 0.0)
    top = [v for v in values[:2] if v.language.name != "ENGLISH"]
    if english > ENGLISH_AT_MOST or not top or values[0].language.name == "ENGLISH":
        return ()
    codes = tuple(str(v.language.iso_code_639_1.name.lower()) for v in top)
    if top[0].value >= needed:
        return codes[:1]
    if len(top) == 2 and top[0].value + top[1].value >= needed + 0.2:
        return codes
    return ()
