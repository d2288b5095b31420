"""How the interview words things: questions per respondent, re-asks, reasons, labels.

Respondents are ``patient`` (typing for themselves), ``proxy`` (a parent, family
member or carer typing for the patient) and ``clinician`` (a resident describing a
case). The texts live in ``wording.yaml`` (per finding) and ``texts.yaml`` (the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import UNKNOWN, Finding, get_dictionary

HERE = Path(__file__).resolve().parent
WORDING_FILE = HERE / "wording.yaml"
TEXTS_FILE = HERE / "texts.yaml"

RESPONDENTS = ("patient", "proxy", "clinician")
#: Words for yes/no/unknown in read-backs (clinicians see the same words).
BOOL_WORDS = {"yes": "yes", "no": "no", UNKNOWN: "not known"}
#: Most re-asks of one question before its answer is stored as ``unknown``.
MAX_REASKS = 2


@dataclass(frozen=True)
class FindingWording:
    """Every way the interview words one finding."""

    code: str
    patient: str
    proxy: str
    clinician: str
    simple: str
    label: str
    label_clinician: str
    why_plain: str
    why_clinical: str
    values: dict[str, str]
    #: Words people use to name the question ("the kidney one", "when they started").
    aliases: str = ""


def _respondent(respondent: str | None) -> str:
    return respondent if respondent in RESPONDENTS else "patient"


def _build(finding: Finding, spec: dict[str, Any]) -> FindingWording:
    has_clinician = finding.ask_clinician != finding.ask
    return FindingWording(
        code=finding.code,
        patient=finding.ask,
        proxy=spec.get("proxy") or finding.ask,
        clinician=finding.ask_clinician if has_clinician else spec.get("clinician", finding.ask),
        simple=spec.get("simple") or finding.ask,
        label=spec.get("label") or finding.code.replace("_", " "),
        label_clinician=spec.get("label_clinician") or spec.get("label") or finding.code,
        why_plain=spec.get("why") or "It helps the care team understand the lumps.",
        why_clinical=finding.why,
        values={str(k): str(v) for k, v in (spec.get("values") or {}).items()},
        aliases=str(spec.get("aliases") or ""),
    )


@lru_cache(maxsize=1)
def wordings() -> dict[str, FindingWording]:
    """Wording of every finding of the dictionary (built once per process)."""
    raw = yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8")) or {}
    specs: dict[str, Any] = raw.get("findings") or {}
    return {
        code: _build(finding, specs.get(code) or {})
        for code, finding in get_dictionary().findings.items()
    }


@lru_cache(maxsize=1)
def _texts() -> dict[str, Any]:
    texts: dict[str, Any] = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    return texts


def text(key: str, respondent: str | None = None, **values: Any) -> str:
    """The text ``key`` of ``texts.yaml`` for ``respondent``, with ``{placeholders}`` filled."""
    entry = _texts()[key]
    if isinstance(entry, dict):
        entry = entry.get(_respondent(respondent), entry.get("default", ""))
    return str(entry).format(**values) if values else str(entry)


def question(code: str, respondent: str | None) -> str:
    """The question for ``code`` as put to this respondent."""
    wording = wordings()[code]
    return str(getattr(wording, _respondent(respondent)))


def options(code: str) -> str:
    """The possible answers to ``code``, in words, for a re-ask."""
    finding = get_dictionary().finding(code)
    wording = wordings()[code]
    if finding.type == "bool":
        return "yes, no, or I don't know"
    if finding.type in ("enum", "multi"):
        words = [wording.values.get(v, v.replace("_", " ")) for v in finding.values]
        joiner = "; " if finding.type == "multi" else ", "
        more = " (one or more)" if finding.type == "multi" else ""
        return joiner.join(words) + more + ", or I don't know"
    if finding.type == "int":
        return "a number, for example 45, or I don't know"
    return "anything you'd like to add, or 'nothing'"


def reask(code: str, respondent: str | None, attempt: int) -> str:
    """The re-ask after ``attempt`` answers were not understood (1 or 2)."""
    if attempt <= 1:
        first = text("not_understood_1", respondent, simple=wordings()[code].simple)
        if get_dictionary().finding(code).type in ("multi", "text"):
            return first  # the simpler question already gives examples
        return first + " " + text("options_line", respondent, options=options(code))
    return text("not_understood_2", respondent, options=options(code))


def why(code: str, respondent: str | None) -> str:
    """Why ``code`` is asked: plain words for a patient or proxy, the rationale for a clinician."""
    wording = wordings()[code]
    reason = wording.why_clinical if respondent == "clinician" else wording.why_plain
    return text("why", respondent, why=reason)


def label(code: str, respondent: str | None) -> str:
    """How the read-back names ``code``."""
    wording = wordings()[code]
    return wording.label_clinician if respondent == "clinician" else wording.label


def value_text(code: str, value: Any, respondent: str | None = None) -> str:
    """A coded value of ``code`` in words (lists joined, ``unknown`` as "not known")."""
    del respondent  # one set of value words serves every respondent for now
    wording = wordings()[code]
    if value == UNKNOWN:
        return BOOL_WORDS[UNKNOWN]
    if get_dictionary().finding(code).type == "text":
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(code, v) for v in value) or BOOL_WORDS[UNKNOWN]
    if isinstance(value, str) and value in BOOL_WORDS and not wording.values:
        return BOOL_WORDS[value]
    if isinstance(value, str):
        return wording.values.get(value, value.replace("_", " "))
    return str(value)


def explain(requested: str | None, respondent: str | None) -> str:
    """The answer to "why?" while ``requested`` is open (any slot of the interview)."""
    if requested in get_dictionary().findings:
        return why(str(requested), respondent)
    if requested in ("consent", "respondent", "summary_confirmed"):
        return text(f"why_{requested}", respondent)
    return text("why_not_asking", respondent)
