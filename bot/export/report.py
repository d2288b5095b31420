"""The summary laid out for a clinician: one model for the console page, the PDF and FHIR.

:func:`build_report` turns the summary of :func:`bot.summary.get_summary` into
plain dataclasses: red flags first, findings grouped as the dictionary groups
them (answered, ``unknown`` or not asked), the differential with its evidence,
the workup as a checklist, the labs and the review. :func:`compare` says what a
change of labs moved in the differential and which tests it added or dropped.

Strings here are data: every renderer escapes them for its own format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.knowledge import get_dictionary
from bot.knowledge.dictionary import UNKNOWN, Finding

STATUS_LABELS = {"in_progress": "In progress", "complete": "Complete", "reviewed": "Reviewed"}
RESPONDENT_LABELS = {
    "patient": "The patient",
    "proxy": "A parent or carer for the patient",
    "clinician": "A clinician describing a case",
}
GROUP_LABELS = {
    "dystrophic": "Dystrophic",
    "metastatic": "Metastatic",
    "iatrogenic": "Iatrogenic",
    "idiopathic": "Idiopathic",
    "calciphylaxis": "Calciphylaxis",
    "mimic": "Mimic (looks like calcinosis)",
}
RED_FLAG_TITLES = {
    "calciphylaxis_suspected": "Possible calciphylaxis",
    "infected_lesion": "Possibly infected lesion",
    "severe_hypercalcemia_symptoms": "Severe symptoms of high calcium",
    "rapid_weakness": "Weakness with trouble swallowing or breathing",
}
#: Display names of workup codes that are not dictionary labs (general naming).
WORKUP_NAMES = {
    "cbc_diff": "Full blood count with differential",
    "liver_panel": "Liver function tests",
    "kidney_function": "Kidney function (creatinine, eGFR)",
    "thyroid_function": "Thyroid function",
    "electrolytes": "Electrolytes",
    "albumin_protein": "Albumin and total protein",
    "urine_dipstick": "Urine dipstick",
    "ena_subgroups": "ENA subgroups",
    "xray": "X-ray",
    "ct": "CT",
    "ultrasound": "Ultrasound",
    "mri": "MRI",
}
#: Workup items answered by a dictionary lab of another code.
WORKUP_LAB = {
    "ena_subgroups": "ena_pattern",
    "kidney_function": "creatinine",
    "albumin_protein": "albumin",
}


@dataclass(frozen=True)
class FindingRow:
    """One finding: the coded answer beside the person's own words."""

    code: str
    question: str
    state: str  # answered | unknown | not_asked
    answer: str
    words: str | None = None
    value: Any = None


@dataclass(frozen=True)
class FindingGroup:
    """Findings under one heading of the dictionary."""

    key: str
    title: str
    rows: tuple[FindingRow, ...]

    @property
    def answered(self) -> int:
        """How many findings of the group have an answer (``unknown`` included)."""
        return sum(row.state != "not_asked" for row in self.rows)


@dataclass(frozen=True)
class RedFlagRow:
    """A red flag: what the clinician should know and the advice the person was given.

    ``advice`` is what the person was told (``told_at``); ``None`` for ``told_at``
    means the flag is true from the answers but was not recorded as told.
    """

    code: str
    title: str
    clinician: str | None
    advice: str
    told_at: str | None


@dataclass(frozen=True)
class CauseRow:
    """One cause of the differential with its evidence."""

    rank: int
    code: str
    name: str
    group: str
    group_title: str
    score: float
    evidence_for: tuple[str, ...]
    evidence_against: tuple[str, ...]
    confirm: str

    @property
    def percent(self) -> str:
        """The score as a percentage for display."""
        return percent(self.score)


@dataclass(frozen=True)
class WorkupItem:
    """A test to order, with the reason; ``result`` once a lab value is entered."""

    code: str
    name: str
    reason: str
    result: str | None = None


@dataclass(frozen=True)
class WorkupSection:
    """A part of the workup checklist."""

    key: str
    title: str
    items: tuple[WorkupItem, ...]
    note: str = ""


@dataclass(frozen=True)
class LabRow:
    """A lab value entered, by whom and when."""

    code: str
    name: str
    value: str
    entered_by: str | None
    entered_at: str | None


@dataclass(frozen=True)
class Report:
    """A conversation's summary, ready to render."""

    conversation_id: str
    status: str
    status_label: str
    respondent: str | None
    respondent_label: str
    channel: str | None
    created_at: str | None
    updated_at: str | None
    completed_at: str | None
    rules_version: str | None
    red_flags: tuple[RedFlagRow, ...]
    groups: tuple[FindingGroup, ...]
    differential: tuple[CauseRow, ...]
    workup: tuple[WorkupSection, ...]
    labs: tuple[LabRow, ...]
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None
    summary: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def top_cause(self) -> CauseRow | None:
        """The leading cause, if any."""
        return self.differential[0] if self.differential else None


def percent(score: float) -> str:
    """A score 0..1 as a whole percentage; ``<1%`` for a small non-zero one."""
    value = score * 100
    if 0 < value < 1:
        return "<1%"
    return f"{value:.0f}%"


def when(value: str | None) -> str:
    """An ISO timestamp as ``25 Nov 2026, 13:19 UTC`` (``-`` when missing)."""
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.strftime("%d %b %Y, %H:%M UTC")


def _label(code: str) -> str:
    return code.replace("_", " ")


def format_value(finding: Finding, value: Any) -> str:
    """A coded value as words: ``yes`` -> ``Yes``, lists joined, ``unknown`` spelled out."""
    if value == UNKNOWN:
        return "Unknown (did not know)"
    if isinstance(value, list):
        return ", ".join(_label(str(v)) for v in value)
    if finding.type == "bool":
        return "Yes" if value == "yes" else "No"
    return _label(str(value)) if finding.type == "enum" else str(value)


def workup_name(code: str) -> str:
    """The display name of a workup code (a dictionary lab, an extra test, or general)."""
    dictionary = get_dictionary()
    if code in WORKUP_NAMES:
        return WORKUP_NAMES[code]
    if code in dictionary.labs:
        return dictionary.labs[code].name
    return dictionary.workup_other.get(code, _label(code).capitalize())


def _finding_groups(summary: Mapping[str, Any]) -> tuple[FindingGroup, ...]:
    dictionary = get_dictionary()
    answers: Mapping[str, Any] = summary.get("answers") or {}
    findings: Mapping[str, Any] = summary.get("findings") or {}
    by_group: dict[str, list[FindingRow]] = {}
    for code, finding in dictionary.findings.items():
        question = finding.ask_clinician or finding.ask
        if code in findings:
            value = findings[code]
            words = (answers.get(code) or {}).get("words")
            state = "unknown" if value == UNKNOWN else "answered"
            row = FindingRow(code, question, state, format_value(finding, value), words, value)
        else:
            row = FindingRow(code, question, "not_asked", "Not asked")
        by_group.setdefault(finding.group, []).append(row)
    return tuple(
        FindingGroup(key, dictionary.groups.get(key, key.capitalize()), tuple(rows))
        for key, rows in by_group.items()
    )


def _red_flag_title(flag: Mapping[str, Any]) -> str:
    if flag.get("kind"):  # an emergency told (CONTRACT.md "Emergencies")
        from bot.interview.emergency import label

        return f"EMERGENCY told: {label(str(flag['kind']))}"
    return RED_FLAG_TITLES.get(flag["code"], _label(flag["code"]).capitalize())


def _red_flags(summary: Mapping[str, Any]) -> tuple[RedFlagRow, ...]:
    return tuple(
        RedFlagRow(
            code=flag["code"],
            title=_red_flag_title(flag),
            clinician=flag.get("clinician"),
            advice=flag.get("advice_given") or flag.get("advice") or "",
            told_at=flag.get("told_at"),
        )
        for flag in summary.get("red_flags") or []
    )


def causes(differential: Sequence[Mapping[str, Any]]) -> tuple[CauseRow, ...]:
    """The engine's differential (best first) as rows."""
    return tuple(
        CauseRow(
            rank=rank,
            code=item["code"],
            name=item.get("name") or _label(item["code"]).capitalize(),
            group=item.get("group", ""),
            group_title=GROUP_LABELS.get(item.get("group", ""), item.get("group", "")),
            score=float(item.get("score", 0.0)),
            evidence_for=tuple(item.get("for") or ()),
            evidence_against=tuple(item.get("against") or ()),
            confirm=item.get("confirm") or "",
        )
        for rank, item in enumerate(differential, start=1)
    )


def _workup(workup: Mapping[str, Any], labs: Mapping[str, str]) -> tuple[WorkupSection, ...]:
    dictionary = get_dictionary()
    reasons: Mapping[str, str] = workup.get("reasons") or {}

    def item(code: str) -> WorkupItem:
        lab = WORKUP_LAB.get(code, code)
        result = labs.get(lab)
        shown = None if result is None else _label(result)
        if result is not None and lab != code:
            shown = f"{dictionary.labs[lab].name}: {shown}"
        return WorkupItem(code, workup_name(code), reasons.get(code, ""), shown)

    all_labs = list(workup.get("labs") or [])
    core = [c for c in all_labs if c not in dictionary.labs_conditional]
    conditional = [c for c in all_labs if c in dictionary.labs_conditional]
    sections = [
        WorkupSection(
            "imaging",
            "Imaging: X-ray first",
            tuple(item(c) for c in workup.get("imaging") or []),
            "X-ray is the first choice to show the extent of calcinosis.",
        ),
        WorkupSection(
            "optional", "Imaging if needed", tuple(item(c) for c in workup.get("optional") or [])
        ),
        WorkupSection(
            "labs",
            "Baseline labs",
            tuple(item(c) for c in core),
            _shared_reason([reasons.get(c, "") for c in core]),
        ),
        WorkupSection("conditional", "Conditional tests", tuple(item(c) for c in conditional)),
        WorkupSection("other", "Other tests", tuple(item(c) for c in workup.get("other") or [])),
        WorkupSection(
            "not_recommended",
            "Not recommended",
            tuple(item(c) for c in workup.get("not_recommended") or []),
        ),
    ]
    return tuple(section for section in sections if section.items)


def _shared_reason(reasons: list[str]) -> str:
    """The reason every item has in common, if they all have the same one."""
    return reasons[0] if reasons and len(set(reasons)) == 1 else ""


def _labs(summary: Mapping[str, Any]) -> tuple[LabRow, ...]:
    dictionary = get_dictionary()
    entered: Mapping[str, Any] = summary.get("labs_entered") or {}
    return tuple(
        LabRow(
            code=code,
            name=dictionary.labs[code].name if code in dictionary.labs else _label(code),
            value=_label(value),
            entered_by=(entered.get(code) or {}).get("entered_by"),
            entered_at=(entered.get(code) or {}).get("entered_at"),
        )
        for code, value in (summary.get("labs") or {}).items()
    )


def build_report(summary: Mapping[str, Any]) -> Report:
    """Lay out a summary (the shape of :func:`bot.summary.get_summary`) for rendering."""
    respondent = summary.get("respondent")
    status = str(summary.get("status", ""))
    return Report(
        conversation_id=str(summary["conversation_id"]),
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        respondent=respondent,
        respondent_label=RESPONDENT_LABELS.get(respondent or "", "Not yet known"),
        channel=summary.get("channel"),
        created_at=summary.get("created_at"),
        updated_at=summary.get("updated_at"),
        completed_at=summary.get("completed_at"),
        rules_version=summary.get("rules_version"),
        red_flags=_red_flags(summary),
        groups=_finding_groups(summary),
        differential=causes(summary.get("differential") or []),
        workup=_workup(summary.get("workup") or {}, summary.get("labs") or {}),
        labs=_labs(summary),
        reviewed_by=summary.get("reviewed_by"),
        reviewed_at=summary.get("reviewed_at"),
        review_note=summary.get("review_note"),
        summary=summary,
    )


# -- what a change of labs did ---------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """How one cause moved when labs changed, and the evidence that moved it."""

    code: str
    name: str
    rank_before: int | None
    rank_after: int | None
    score_before: float
    score_after: float
    gained_for: tuple[str, ...]
    gained_against: tuple[str, ...]
    lost_for: tuple[str, ...]
    lost_against: tuple[str, ...]

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``same`` (by rank, then by score)."""
        before = self.rank_before or 10_000
        after = self.rank_after or 10_000
        if after != before:
            return "up" if after < before else "down"
        if abs(self.score_after - self.score_before) < 0.005:
            return "same"
        return "up" if self.score_after > self.score_before else "down"


@dataclass(frozen=True)
class Changes:
    """What entering labs changed: labs, moves in the differential, tests added or dropped."""

    labs_before: dict[str, str]
    labs_after: dict[str, str]
    moves: tuple[Move, ...]
    tests_added: tuple[WorkupItem, ...]
    tests_dropped: tuple[WorkupItem, ...]

    @property
    def labs_changed(self) -> dict[str, tuple[str | None, str]]:
        """``{lab: (old value or None, new value)}`` for the labs that changed."""
        return {
            code: (self.labs_before.get(code), value)
            for code, value in self.labs_after.items()
            if self.labs_before.get(code) != value
        }


def _workup_codes(workup: Mapping[str, Any]) -> list[str]:
    keys = ("imaging", "optional", "labs", "other")
    return [code for key in keys for code in workup.get(key) or []]


def compare(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    labs_before: Mapping[str, str],
    labs_after: Mapping[str, str],
    *,
    top: int = 5,
) -> Changes:
    """Compare two engine results (``Assessment.to_dict()``) for the same findings.

    A cause is listed when it is among the first ``top`` before or after and its
    rank or score moved; the evidence it gained or lost says why.
    """
    ranked_before = [c for c in before.get("differential", []) if c.get("score", 0) > 0]
    ranked_after = [c for c in after.get("differential", []) if c.get("score", 0) > 0]
    Ranked = dict[str, tuple[int | None, Mapping[str, Any]]]
    old: Ranked = {c["code"]: (rank, c) for rank, c in enumerate(ranked_before, start=1)}
    new: Ranked = {c["code"]: (rank, c) for rank, c in enumerate(ranked_after, start=1)}
    absent: tuple[int | None, Mapping[str, Any]] = (None, {})
    moves: list[Move] = []
    for code in dict.fromkeys(
        [c["code"] for c in ranked_after] + [c["code"] for c in ranked_before]
    ):
        rank_b, item_b = old.get(code, absent)
        rank_a, item_a = new.get(code, absent)
        if min(rank_b or 10_000, rank_a or 10_000) > top:
            continue
        move = Move(
            code=code,
            name=(item_a or item_b).get("name") or _label(code),
            rank_before=rank_b,
            rank_after=rank_a,
            score_before=float(item_b.get("score", 0.0)),
            score_after=float(item_a.get("score", 0.0)),
            gained_for=_new(item_a.get("for"), item_b.get("for")),
            gained_against=_new(item_a.get("against"), item_b.get("against")),
            lost_for=_new(item_b.get("for"), item_a.get("for")),
            lost_against=_new(item_b.get("against"), item_a.get("against")),
        )
        if move.direction != "same" or move.gained_for or move.gained_against:
            moves.append(move)
    added_codes = _new(
        _workup_codes(after.get("workup", {})), _workup_codes(before.get("workup", {}))
    )
    dropped_codes = _new(
        _workup_codes(before.get("workup", {})), _workup_codes(after.get("workup", {}))
    )
    reasons_after = after.get("workup", {}).get("reasons", {})
    reasons_before = before.get("workup", {}).get("reasons", {})
    return Changes(
        labs_before=dict(labs_before),
        labs_after=dict(labs_after),
        moves=tuple(moves),
        tests_added=tuple(
            WorkupItem(c, workup_name(c), reasons_after.get(c, "")) for c in added_codes
        ),
        tests_dropped=tuple(
            WorkupItem(c, workup_name(c), reasons_before.get(c, "")) for c in dropped_codes
        ),
    )


def _new(items: Sequence[str] | None, than: Sequence[str] | None) -> tuple[str, ...]:
    """Items of ``items`` not in ``than``, in order."""
    seen = set(than or ())
    return tuple(item for item in items or () if item not in seen)
