"""The read-back of what the interview understood, and what is said at the end.

A patient or proxy is told what happens next and never a diagnosis; a clinician gets
the ranked differential with its main reasons and the workup to order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.interview import wording
from bot.knowledge import get_dictionary

#: Longest free text quoted back in the read-back.
MAX_QUOTE = 240
#: How many causes a clinician is shown at the end.
TOP_CAUSES = 5
#: How many reasons for / against each cause.
TOP_REASONS = 3
#: The chat shows at least this many causes, more while they score at least MIN_SCORE.
MIN_CAUSES = 3
MIN_SCORE = 0.01
IMAGING_NAMES = {"xray": "X-ray", "ct": "CT", "ultrasound": "ultrasound", "mri": "MRI"}
#: Names of workup codes that are not dictionary labs (general clinical usage).
WORKUP_NAMES = {
    "cbc_diff": "CBC with differential",
    "liver_panel": "liver panel",
    "kidney_function": "kidney function",
    "thyroid_function": "thyroid function",
    "electrolytes": "electrolytes",
    "albumin_protein": "albumin and total protein",
    "urine_dipstick": "urine dipstick",
    "ena_subgroups": "ENA subgroups",
}


def _quote(value: str) -> str:
    value = " ".join(value.split())
    return f'"{value[:MAX_QUOTE]}…"' if len(value) > MAX_QUOTE else f'"{value}"'


def readback(findings: Mapping[str, Any], respondent: str | None) -> str:
    """What was understood, in plain words, grouped as in the dictionary."""
    dictionary = get_dictionary()
    lines = [wording.text("readback_intro", respondent)]
    group = None
    for code, finding in dictionary.findings.items():
        if code not in findings:
            continue
        if finding.group != group:
            group = finding.group
            lines.append(dictionary.groups.get(group, group.capitalize()) + ":")
        value = findings[code]
        shown = (
            _quote(value)
            if finding.type == "text" and value != "unknown"
            else wording.value_text(code, value, respondent)
        )
        lines.append(f"- {wording.label(code, respondent)}: {shown}")
    return "\n".join(lines)


def change_list(findings: Mapping[str, Any], respondent: str | None) -> str:
    """The answers as a numbered list to pick the one to change (after "no" to the read-back)."""
    from bot.interview.turn import answer_choices

    lines = [wording.text("ask_change", respondent)]
    for number, code in enumerate(answer_choices(findings), 1):
        shown = wording.value_text(code, findings[code], respondent)
        if get_dictionary().finding(code).type == "text":
            shown = _quote(findings[code])
        lines.append(f"{number}. {wording.label(code, respondent)}: {shown}")
    return "\n".join(lines)


def _names(codes: Sequence[str]) -> str:
    labs = get_dictionary().labs
    return ", ".join(
        labs[c].name if c in labs else WORKUP_NAMES.get(c, c.replace("_", " ")) for c in codes
    )


def _imaging(codes: Sequence[str], reasons: Mapping[str, str]) -> str:
    parts = []
    for code in codes:
        name = IMAGING_NAMES.get(code, code)
        reason = reasons.get(code) or get_dictionary().imaging.get(code)
        parts.append(f"{name} ({reason})" if reason else name)
    return "; ".join(parts)


def _cause_line(rank: int, cause: Mapping[str, Any]) -> str:
    name = cause.get("name") or str(cause["code"]).replace("_", " ")
    line = f"{rank}. {name} [{cause.get('group', '')}, score {float(cause.get('score', 0)):.3f}]"
    pros = list(cause.get("for") or [])[:TOP_REASONS]
    cons = list(cause.get("against") or [])[:TOP_REASONS]
    if pros:
        line += " for: " + "; ".join(pros) + "."
    if cons:
        line += " Against: " + "; ".join(cons) + "."
    return line


def clinician_report(summary: Mapping[str, Any]) -> str:
    """The ranked differential and the workup, for a clinician, from a stored summary."""
    ranked = [c for c in summary.get("differential") or [] if float(c.get("score", 0)) > 0]
    likely = sum(1 for c in ranked if float(c.get("score", 0)) >= MIN_SCORE)
    causes = ranked[: max(MIN_CAUSES, likely)]
    lines = ["Differential (most likely first):"]
    lines += [_cause_line(i, c) for i, c in enumerate(causes[:TOP_CAUSES], start=1)]
    if not causes:
        lines.append("- no cause scores above zero on the findings given")
    work = summary.get("workup") or {}
    reasons = work.get("reasons") or {}
    lines.append("Workup to order:")
    labs = [c for c in work.get("labs") or []]
    core = [c for c in labs if c in get_dictionary().labs_core]
    extra = [c for c in labs if c not in core]
    if core:
        lines.append("- Labs: " + _names(core))
    for code in extra:
        why = reasons.get(code) or get_dictionary().labs_conditional.get(code)
        lines.append(f"- Also {_names([code])}" + (f": {why}" if why else ""))
    if work.get("imaging"):
        lines.append("- Imaging: " + _imaging(work["imaging"], reasons))
    if work.get("not_recommended"):
        lines.append("- Not recommended: " + _imaging(work["not_recommended"], reasons))
    flags = summary.get("red_flags") or []
    for flag in flags:
        lines.append(
            "Red flag: " + str(flag.get("clinician") or flag.get("advice") or flag["code"])
        )
    return "\n".join(lines)


def closing(
    respondent: str | None, summary: Mapping[str, Any] | None, told: Sequence[str]
) -> list[str]:
    """The messages at the end of a confirmed interview."""
    messages = [wording.text("end", respondent)]
    if respondent == "clinician":
        if summary is not None:
            messages.append(clinician_report(summary))
        return messages
    advice = {
        str(f["code"]): str(f.get("advice") or "") for f in (summary or {}).get("red_flags") or []
    }
    for code in told:
        if advice.get(code):
            messages.append(wording.text("end_red_flags", respondent, advice=advice[code]))
    return messages
