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


def clinician_report(summary: Mapping[str, Any]) -> str:
    """The leading causes, the workup and the red flags, for a clinician (the one report)."""
    from bot.export.report import build_report
    from bot.export.text import report_text

    return report_text(build_report(summary))


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
