"""What the interview does when a message steps out of its script (``bot.nlp.detours``).

- skip ("skip", "I'd rather not say"): the open finding is stored as ``unknown``, said so,
  and the next question comes;
- go back ("can we go back to the kidney question"): the named finding, found from its
  question's words, is asked again now (slot ``reopen``), then the interview goes on;
- a diagnosis question ("what do you think it is?", "is it cancer?"): a kind answer that
  the care team will look at the answers and the tests (no diagnosis, no reassurance),
  then the open question;
- frustration or abuse: a calm acknowledgement with the offer to skip, pause or stop;
- a pasted document: nothing changes by itself; what Calx would take from it is read back
  and kept aside (slot ``pending``) until the person says yes;
- markup, code, templates: never coded, never echoed; the question again;
- another language: a short notice in that language that Calx speaks English for now.

Everything here is plain Python over an :class:`~bot.interview.turn.InterviewState`; the
actions call :func:`handle`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.interview import wording
from bot.interview.replies import is_correction, yes_no
from bot.interview.turn import (
    PENDING,
    REASKS,
    REOPEN,
    Interpreter,
    InterviewState,
    Turn,
    merge,
    merge_all,
    with_red_flags,
)
from bot.knowledge import UNKNOWN, get_dictionary
from bot.nlp import detours as language

LANGUAGES_FILE = Path(__file__).resolve().parent / "languages.yaml"
Extractor = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


def _again(state: InterviewState, *messages: str) -> Turn:
    """A turn that says ``messages`` and asks the open question again (nothing stored)."""
    turn = Turn(messages=list(messages))
    turn.slots[REASKS] = state.reasks  # a slot set, so the form asks its question again
    return turn


@lru_cache(maxsize=1)
def notices() -> dict[str, str]:
    """The notice that Calx speaks English for now, per language (ISO 639-1)."""
    raw: dict[str, Any] = yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in raw["notice"].items()}


def _words(text: str) -> set[str]:
    from bot.nlp.pipeline import parse

    return {
        t.norm_ for t in parse(text) if t.is_alpha and len(t.text) > 2 and t.norm_ not in _NOT_TOPIC
    }


#: Words of "go back to the ... question" that name no finding (articles, pronouns, verbs
#: of asking; "where", "when", "how many" do name one and are kept).
_NOT_TOPIC = frozenset(
    {
        "the", "and", "you", "your", "she", "his", "her", "they", "their", "our", "him",
        "this", "that", "these", "those", "are", "was", "were", "have", "has", "had", "can",
        "could", "would", "will", "about", "for", "with", "from", "into", "question",
        "answer", "bit", "part", "thing", "one", "earlier", "last", "again", "back", "sorry",
        "please", "pls", "redo", "change", "correct", "fix", "ask", "asked", "said", "say",
        "put", "wrong", "right", "think", "just", "want", "like", "get", "got", "not", "but",
        "actually", "before", "previous", "prev", "lot", "all", "also", "too", "very",
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def _finding_words() -> dict[str, tuple[set[str], set[str]]]:
    """Per finding: the words of its labels, and those of its questions."""
    out = {}
    for code, text in wording.wordings().items():
        labels = _words(
            " ".join([text.label, text.label_clinician, code.replace("_", " "), text.aliases])
        )
        out[code] = (labels, _words(" ".join([text.patient, text.simple])))
    return out


def find_finding(topic: str, *, by_label: bool = False) -> str | None:
    """The finding ``topic`` names: most words shared with its label (twice) and question.

    A tie goes to the finding with the shorter label (the more specific match: "the age
    question" is the age, not the age the lumps began); still tied, none. ``by_label``: only
    a finding whose label or aliases share a word counts.
    """
    words = _words(topic)
    if not words:
        return None
    scored = [
        (2 * len(words & labels) + len(words & question), -len(labels), code)
        for code, (labels, question) in _finding_words().items()
    ]
    scored.sort(reverse=True)
    best = scored[0]
    if best[0] == 0 or (len(scored) > 1 and scored[1][:2] == best[:2]):
        return None
    if by_label and not words & _finding_words()[best[2]][0]:
        return None
    return best[2]


def go_back(state: InterviewState, topics: list[str]) -> Turn | None:
    """Reopen the finding the first of ``topics`` that names one names (``None``: none)."""
    code = next((c for c in map(find_finding, topics) if c is not None), None)
    if code is None:
        return None
    turn = Turn(messages=[wording.text("going_back", state.respondent, label=_label(code, state))])
    turn.slots[REOPEN] = code
    turn.slots[REASKS] = 0
    return turn


def _label(code: str, state: InterviewState) -> str:
    return wording.label(code, state.respondent)


def skip(state: InterviewState, code: str) -> Turn:
    """The open finding stored as ``unknown``; the next question comes."""
    turn = Turn(messages=[wording.text("skipped", state.respondent)])
    turn.set_finding(code, UNKNOWN, "")
    turn.slots[REASKS] = 0
    return turn


def document(state: InterviewState, text: str, extract: Extractor) -> Turn:
    """A pasted document: what it says is read back and kept aside until the person says yes."""
    found = {c: v for c, v in extract(text, state.findings).items() if v is not None}
    changes = merge_all(state.findings, found, explicit=True)
    if not changes:
        return _again(state, wording.text("document_nothing", state.respondent))
    lines = [f"- {_label(c.code, state)}: {wording.value_text(c.code, c.new)}" for c in changes]
    turn = _again(
        state,
        wording.text("document_found", state.respondent) + "\n" + "\n".join(lines),
        wording.text("document_confirm", state.respondent),
    )
    turn.slots[PENDING] = {c.code: c.new for c in changes}
    return turn


def confirm_pending(
    state: InterviewState, text: str, intent: str | None, confidence: float
) -> Turn | None:
    """The reply to "shall I note these?" (``None``: neither yes nor no; the message goes on)."""
    answer = yes_no(text, intent, confidence)
    if answer is None:
        return None
    pending = dict(state.pending or {})
    if answer == "no":
        turn = _again(state, wording.text("document_dropped", state.respondent))
        turn.slots[PENDING] = None
        return turn
    turn = Turn(messages=[wording.text("document_applied", state.respondent)])
    for change in merge_all(state.findings, pending, explicit=True):
        turn.set_finding(change.code, change.new, "(from a pasted document, confirmed)")
        turn.changes.append(change)
    turn.slots[PENDING] = None
    turn.slots[REASKS] = 0
    return with_red_flags(state, turn)


def other_language(state: InterviewState, codes: tuple[str, ...]) -> Turn:
    """A short notice in the person's language (or the two it may be); the question again."""
    said = [notices()[code] for code in codes if code in notices()]
    english = wording.text("english_only", state.respondent)
    return _again(state, *said, english)


def correct_named(state: InterviewState, text: str, interpret: Interpreter) -> Turn | None:
    """A correction naming its finding ("the age I put was wrong, he is 12"): changed, confirmed."""
    if not is_correction(text):
        return None
    topics = [*language.go_back_topics(text), text]
    code = next((c for c in (find_finding(t, by_label=True) for t in topics) if c), None)
    if code is None or code not in state.findings:
        return None
    context = {c: v for c, v in state.findings.items() if c != code}
    change = merge(code, state.findings[code], interpret(code, text, context).value, explicit=True)
    if change is None:
        return None
    turn = _again(state, *[m for m in [change.message(state.respondent, explicit=True)] if m])
    turn.set_finding(code, change.new, text)
    turn.changes.append(change)
    return with_red_flags(state, turn)


def handle(
    state: InterviewState,
    requested: str,
    text: str,
    value: Any,
    extract: Extractor,
    *,
    story: bool = False,
    interpret: Interpreter | None = None,
    interrupting: bool = False,
) -> Turn | None:
    """The turn for a message that steps out of the script (``None``: it does not).

    ``value`` is what the message codes to for ``requested`` (``None``: not understood):
    a plain answer wins over a detour that needs no answer (skip, another language), and
    an answer with a diagnosis question or frustration is taken with a word about it
    (see :func:`aside`).
    """
    finding = requested in get_dictionary().findings
    kind = language.phrased(text)
    if kind == "markup":
        return _again(state, wording.text("markup", state.respondent))
    if story:  # the story is kept as typed: only a skip changes it
        return skip(state, requested) if kind == "skip" else None
    if language.looks_like_document(text):
        return document(state, text, extract)
    topics = language.go_back_topics(text)
    if topics:
        reopened = go_back(state, topics)
        if reopened is not None:
            return reopened
    if interpret is not None:
        corrected = correct_named(state, text, interpret)
        if corrected is not None:
            return corrected
    if kind == "skip" and finding:  # "can we just move on?" is no answer, whatever it codes to
        return skip(state, requested)
    if kind in ("diagnosis_question", "frustration") and value in (None, UNKNOWN):
        return _again(
            state, wording.text(kind, state.respondent)
        )  # "is it cancer?" is no "unknown"
    if value is not None:
        return None
    if not interrupting:  # "why?", "what is calcinosis?" are for the rules, in English
        codes = language.language_of(text)
        if codes:
            return other_language(state, codes)
    return None


def aside(text: str, respondent: str | None) -> str | None:
    """A word about a diagnosis question or frustration said along with an answer."""
    kind = language.phrased(text)
    if kind in ("diagnosis_question", "frustration"):
        return wording.text(kind, respondent)
    return None
