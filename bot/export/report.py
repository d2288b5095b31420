"""The one view of a conversation's summary, for every face that shows it to a clinician.

:func:`build_report` turns the summary of :func:`bot.summary.get_summary` into a typed
:class:`Report` (pydantic: it is also the response model of
``GET /api/conversations/{id}/report``). The console page, the PDF, FHIR, the Slack and
Teams reports and the chat's plain-text report all render it, in the same order, so names,
order and labels cannot drift between them:

1. red flags and the urgency they make;
2. the leading causes with what is for, against and what would confirm;
3. the workup to order (X-ray first; MRI marked not recommended);
4. positive findings, then negatives, then "did not know"; "not asked" folded away.

Findings are worded for a clinician (``label_clinician`` and the clinician question of
``bot/interview/wording.yaml``). Strings here are data: every renderer escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.export import bodymap
from bot.knowledge import get_dictionary
from bot.knowledge.dictionary import UNKNOWN

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
#: The causes a short report (chat, the head of the PDF) leads with: at least MIN_CAUSES,
#: more while they score at least MIN_SCORE, at most TOP_CAUSES; TOP_REASONS reasons each.
TOP_CAUSES = 5
MIN_CAUSES = 3
MIN_SCORE = 0.01
TOP_REASONS = 3
#: How each urgency reads.
URGENCY_LABELS = {
    "emergency": "Emergency advice was given during the interview",
    "urgent": "Urgent: red flags to act on",
    "routine": "No red flags: routine review",
}
#: How a workup item is marked, the same everywhere ("not recommended" is never a box).
MARKS = {"to_do": "☐", "done": "☑", "not_recommended": "✗"}
MARK_WORDS = {"to_do": "to do", "done": "done", "not_recommended": "not recommended"}
#: The marks where the glyphs are not in the font (the PDF).
MARK_TEXT = {"to_do": "[  ]", "done": "[x]", "not_recommended": "[not recommended]"}

Urgency = Literal["emergency", "urgent", "routine"]
FindingState = Literal["positive", "negative", "unknown", "not_asked"]
ItemState = Literal["to_do", "done", "not_recommended"]


class View(BaseModel):
    """A part of the report: read-only once built."""

    class Config:
        allow_mutation = False


class FindingRow(View):
    """One finding: its clinician label and question, the coded answer, the person's words."""

    code: str
    label: str
    question: str
    group: str
    state: FindingState
    answer: str
    words: str | None = None
    value: Any = None

    @property
    def answered(self) -> bool:
        """Whether the question was put and answered (``unknown`` included)."""
        return self.state != "not_asked"


class FindingGroup(View):
    """Findings under one heading of the dictionary, in the dictionary's order."""

    key: str
    title: str
    rows: tuple[FindingRow, ...]

    @property
    def answered(self) -> int:
        """How many findings of the group have an answer (``unknown`` included)."""
        return sum(row.answered for row in self.rows)


class RedFlagRow(View):
    """A red flag: what the clinician should know and the advice the person was given.

    ``advice`` is what the person was told (``told_at``); ``None`` for ``told_at``
    means the flag is true from the answers but was not recorded as told.
    """

    code: str
    title: str
    clinician: str | None
    advice: str
    told_at: str | None
    emergency: bool = False


class CauseRow(View):
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


class WorkupItem(View):
    """A test: its name, the reason, how it stands; ``result`` once a lab value is entered."""

    code: str
    name: str
    reason: str
    result: str | None = None
    state: ItemState = "to_do"

    @property
    def mark(self) -> str:
        """The box drawn for it: ☐ to do, ☑ done, ✗ not recommended."""
        return MARKS[self.state]

    @property
    def mark_text(self) -> str:
        """The mark in ASCII: ``[  ]``, ``[x]``, ``[not recommended]``."""
        return MARK_TEXT[self.state]

    @property
    def mark_words(self) -> str:
        """The mark in words, for screen readers and plain text."""
        return MARK_WORDS[self.state]


class WorkupSection(View):
    """A part of the workup checklist."""

    key: str
    title: str
    items: tuple[WorkupItem, ...]
    note: str = ""


class LabRow(View):
    """A lab value entered, by whom and when."""

    code: str
    name: str
    value: str
    entered_by: str | None
    entered_at: str | None


class Report(View):
    """A conversation's summary, in the order every face shows it."""

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
    urgency: Urgency
    urgency_label: str
    red_flags: tuple[RedFlagRow, ...]
    differential: tuple[CauseRow, ...]
    workup: tuple[WorkupSection, ...]
    positives: tuple[FindingRow, ...]
    negatives: tuple[FindingRow, ...]
    unknown: tuple[FindingRow, ...]
    not_asked: tuple[FindingRow, ...]
    groups: tuple[FindingGroup, ...]
    #: Where the lumps are: codes of ``lesion_locations`` (the body map), and their words.
    sites: tuple[str, ...] = ()
    site_labels: tuple[str, ...] = ()
    labs: tuple[LabRow, ...]
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None
    summary: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)

    @property
    def top_cause(self) -> CauseRow | None:
        """The leading cause, if any."""
        return self.differential[0] if self.differential else None

    @property
    def leading(self) -> tuple[CauseRow, ...]:
        """The causes a short report shows: scoring above zero, see ``MIN_SCORE``."""
        ranked = [c for c in self.differential if c.score > 0]
        likely = sum(1 for c in ranked if c.score >= MIN_SCORE)
        return tuple(ranked[: min(TOP_CAUSES, max(MIN_CAUSES, likely))])

    @property
    def to_order(self) -> tuple[WorkupSection, ...]:
        """The workup sections with something to order (not the "not recommended" one)."""
        return tuple(s for s in self.workup if s.key != "not_recommended")

    @property
    def not_recommended(self) -> tuple[WorkupItem, ...]:
        """The tests marked not recommended (MRI)."""
        return tuple(i for s in self.workup if s.key == "not_recommended" for i in s.items)


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


def code_words(code: str) -> str:
    """A code in words, where nothing better names it (``soft_paste`` -> ``soft paste``)."""
    return code.replace("_", " ")


def workup_name(code: str) -> str:
    """The display name of a workup code (a dictionary lab, an extra test, or general)."""
    dictionary = get_dictionary()
    if code in WORKUP_NAMES:
        return WORKUP_NAMES[code]
    if code in dictionary.labs:
        return dictionary.labs[code].name
    return dictionary.workup_other.get(code, code_words(code).capitalize())


def _answer(code: str, value: Any) -> str:
    """A coded value in a clinician's words; ``unknown`` as "Did not know"."""
    from bot.interview import wording

    if value == UNKNOWN:
        return "Did not know"
    text = wording.value_text(code, value, "clinician").strip() or "(nothing added)"
    return text[:1].upper() + text[1:]


def _state(value: Any) -> FindingState:
    if value == UNKNOWN:
        return "unknown"
    return "negative" if value == "no" else "positive"


def _finding_rows(summary: Mapping[str, Any]) -> tuple[FindingRow, ...]:
    from bot.interview import wording

    answers: Mapping[str, Any] = summary.get("answers") or {}
    findings: Mapping[str, Any] = summary.get("findings") or {}
    rows = []
    for code, finding in get_dictionary().findings.items():
        said = wording.wordings()[code]
        common = {
            "code": code,
            "label": said.label_clinician,
            "question": said.clinician,
            "group": finding.group,
        }
        if code in findings:
            value = findings[code]
            words = (answers.get(code) or {}).get("words")
            rows.append(
                FindingRow(
                    **common,
                    state=_state(value),
                    answer=_answer(code, value),
                    words=words,
                    value=value,
                )
            )
        else:
            rows.append(FindingRow(**common, state="not_asked", answer="Not asked"))
    return tuple(rows)


def _groups(rows: Sequence[FindingRow]) -> tuple[FindingGroup, ...]:
    dictionary = get_dictionary()
    by_group: dict[str, list[FindingRow]] = {}
    for row in rows:
        by_group.setdefault(row.group, []).append(row)
    return tuple(
        FindingGroup(key=key, title=dictionary.groups.get(key, key.capitalize()), rows=tuple(r))
        for key, r in by_group.items()
    )


def _red_flag_title(flag: Mapping[str, Any]) -> str:
    if flag.get("kind"):  # an emergency told (CONTRACT.md "Emergencies")
        from bot.interview.emergency import label

        return f"EMERGENCY told: {label(str(flag['kind']))}"
    return RED_FLAG_TITLES.get(flag["code"], code_words(flag["code"]).capitalize())


def _red_flags(summary: Mapping[str, Any]) -> tuple[RedFlagRow, ...]:
    return tuple(
        RedFlagRow(
            code=flag["code"],
            title=_red_flag_title(flag),
            clinician=flag.get("clinician"),
            advice=flag.get("advice_given") or flag.get("advice") or "",
            told_at=flag.get("told_at"),
            emergency=bool(flag.get("kind")),
        )
        for flag in summary.get("red_flags") or []
    )


def _urgency(flags: Sequence[RedFlagRow]) -> Urgency:
    if any(flag.emergency for flag in flags):
        return "emergency"
    return "urgent" if flags else "routine"


def causes(differential: Sequence[Mapping[str, Any]]) -> tuple[CauseRow, ...]:
    """The engine's differential (best first) as rows."""
    return tuple(
        CauseRow(
            rank=rank,
            code=item["code"],
            name=item.get("name") or code_words(item["code"]).capitalize(),
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

    def item(code: str, advised: bool = True) -> WorkupItem:
        lab = WORKUP_LAB.get(code, code)
        result = labs.get(lab)
        shown = None if result is None else code_words(result)
        if result is not None and lab != code:
            shown = f"{dictionary.labs[lab].name}: {shown}"
        reason = reasons.get(code) or dictionary.imaging.get(code, "")
        state: ItemState = "not_recommended" if not advised else ("done" if shown else "to_do")
        return WorkupItem(
            code=code, name=workup_name(code), reason=reason, result=shown, state=state
        )

    all_labs = list(workup.get("labs") or [])
    core = [c for c in all_labs if c not in dictionary.labs_conditional]
    conditional = [c for c in all_labs if c in dictionary.labs_conditional]
    sections = [
        WorkupSection(
            key="imaging",
            title="Imaging: X-ray first",
            items=tuple(item(c) for c in workup.get("imaging") or []),
            note="X-ray is the first choice to show the extent of calcinosis.",
        ),
        WorkupSection(
            key="optional",
            title="Imaging if needed",
            items=tuple(item(c) for c in workup.get("optional") or []),
        ),
        WorkupSection(
            key="labs",
            title="Baseline labs",
            items=tuple(item(c) for c in core),
            note=_shared_reason([reasons.get(c, "") for c in core]),
        ),
        WorkupSection(
            key="conditional",
            title="Conditional tests",
            items=tuple(item(c) for c in conditional),
        ),
        WorkupSection(
            key="other",
            title="Other tests",
            items=tuple(item(c) for c in workup.get("other") or []),
        ),
        WorkupSection(
            key="not_recommended",
            title="Not recommended",
            items=tuple(item(c, advised=False) for c in workup.get("not_recommended") or []),
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
            name=dictionary.labs[code].name if code in dictionary.labs else code_words(code),
            value=code_words(value),
            entered_by=(entered.get(code) or {}).get("entered_by"),
            entered_at=(entered.get(code) or {}).get("entered_at"),
        )
        for code, value in (summary.get("labs") or {}).items()
    )


def build_report(summary: Mapping[str, Any]) -> Report:
    """Lay out a summary (the shape of :func:`bot.summary.get_summary`) for rendering."""
    respondent = summary.get("respondent")
    status = str(summary.get("status", ""))
    flags = _red_flags(summary)
    urgency = _urgency(flags)
    rows = _finding_rows(summary)
    sites = bodymap.chosen((summary.get("findings") or {}).get(bodymap.FINDING))
    return Report(
        conversation_id=str(summary.get("conversation_id") or ""),
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        respondent=respondent,
        respondent_label=RESPONDENT_LABELS.get(respondent or "", "Not yet known"),
        channel=summary.get("channel"),
        created_at=summary.get("created_at"),
        updated_at=summary.get("updated_at"),
        completed_at=summary.get("completed_at"),
        rules_version=summary.get("rules_version"),
        urgency=urgency,
        urgency_label=URGENCY_LABELS[urgency],
        red_flags=flags,
        differential=causes(summary.get("differential") or []),
        workup=_workup(summary.get("workup") or {}, summary.get("labs") or {}),
        positives=tuple(r for r in rows if r.state == "positive"),
        negatives=tuple(r for r in rows if r.state == "negative"),
        unknown=tuple(r for r in rows if r.state == "unknown"),
        not_asked=tuple(r for r in rows if r.state == "not_asked"),
        groups=_groups(rows),
        sites=tuple(sites),
        site_labels=tuple(bodymap.site_label(code) for code in sites),
        labs=_labs(summary),
        reviewed_by=summary.get("reviewed_by"),
        reviewed_at=summary.get("reviewed_at"),
        review_note=summary.get("review_note"),
        summary=dict(summary),
    )
