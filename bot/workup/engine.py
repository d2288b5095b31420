"""Temporary engine stub with the final API (replaced by the real engine)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import UNKNOWN, get_dictionary


@dataclass(frozen=True)
class RedFlag:
    """A red flag: plain advice for a patient, a line for a clinician."""

    code: str
    advice: str
    clinician: str

    def to_dict(self) -> dict[str, str]:
        """Contract shape."""
        return {"code": self.code, "advice": self.advice, "clinician": self.clinician}


@dataclass(frozen=True)
class Candidate:
    """One ranked cause (or mimic) with the reasons for and against it."""

    code: str
    name: str
    group: str
    score: float
    for_: tuple[str, ...] = ()
    against: tuple[str, ...] = ()
    confirm: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Contract shape."""
        return {"code": self.code, "name": self.name, "group": self.group,
                "score": round(self.score, 4), "for": list(self.for_),
                "against": list(self.against), "confirm": self.confirm}


@dataclass(frozen=True)
class Workup:
    """Labs and imaging to order, what not to order, and why."""

    labs: tuple[str, ...]
    imaging: tuple[str, ...]
    not_recommended: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Contract shape."""
        return {"labs": list(self.labs), "imaging": list(self.imaging),
                "not_recommended": list(self.not_recommended), "reasons": dict(self.reasons)}


@dataclass(frozen=True)
class Assessment:
    """The engine's result for one set of findings and labs."""

    differential: tuple[Candidate, ...]
    workup: Workup
    red_flags: tuple[RedFlag, ...]
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        """Contract shape: differential, workup, red_flags, rules_version."""
        return {"differential": [c.to_dict() for c in self.differential],
                "workup": self.workup.to_dict(),
                "red_flags": [f.to_dict() for f in self.red_flags],
                "rules_version": self.rules_version}


def assess(findings: Mapping[str, Any], labs: Mapping[str, str] | None = None) -> Assessment:
    """Stub: every cause at equal score."""
    d = get_dictionary()
    d.check_findings(dict(findings))
    d.check_labs(dict(labs or {}))
    n = len(d.differential)
    return Assessment(
        differential=tuple(Candidate(c, c, g, 1 / n) for c, g in d.differential.items()),
        workup=Workup(d.labs_core, ("xray",), ("mri",)),
        red_flags=tuple(check_red_flags(findings)),
        rules_version="stub",
    )


def check_red_flags(findings: Mapping[str, Any]) -> list[RedFlag]:
    """Stub: no red flags."""
    return []


def applicable(code: str, findings: Mapping[str, Any]) -> bool:
    """Stub: dialysis only when kidney disease is not denied."""
    return not (code == "dialysis" and findings.get("kidney_disease") == "no")


def next_question(findings: Mapping[str, Any]) -> str | None:
    """Stub: dictionary order, skipping answered and inapplicable findings."""
    for code in get_dictionary().findings:
        if code not in findings and applicable(code, findings):
            return code
    return None


def questions_left(findings: Mapping[str, Any]) -> int:
    """Stub: count of unanswered applicable findings."""
    return sum(1 for c in get_dictionary().findings
               if c not in findings and applicable(c, findings) and c != UNKNOWN)
